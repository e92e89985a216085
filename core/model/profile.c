/* SPDX-License-Identifier: MIT */
/* profile: growable arrays plus two indexes for find-or-create; the tables
 * of known metrics and of the modes that declare them. */
#include "model/profile.h"

#include <stdio.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"
#include "model/stats.h"

/* ==== metrics and modes ==== */

static const pyro_metric_info_t metrics[PYRO_M_COUNT] = {
    [PYRO_M_CALLS] = {"calls", PYRO_UNIT_EVENTS, PYRO_AGG_OWN},
    [PYRO_M_SELF_NS] = {"self_ns", PYRO_UNIT_NS, PYRO_AGG_OWN},
    [PYRO_M_TOTAL_NS] = {"total_ns", PYRO_UNIT_NS, PYRO_AGG_INCL},
    [PYRO_M_SAMPLES] = {"samples", PYRO_UNIT_EVENTS, PYRO_AGG_OWN},
    [PYRO_M_RUNNING] = {"running", PYRO_UNIT_EVENTS, PYRO_AGG_OWN},
    [PYRO_M_GIL] = {"gil", PYRO_UNIT_EVENTS, PYRO_AGG_OWN},
    [PYRO_M_CPU_NS] = {"cpu_ns", PYRO_UNIT_NS, PYRO_AGG_OWN},
    [PYRO_M_HITS] = {"hits", PYRO_UNIT_EVENTS, PYRO_AGG_OWN},
    [PYRO_M_ALLOC_BYTES] = {"alloc_bytes", PYRO_UNIT_BYTES, PYRO_AGG_OWN},
    [PYRO_M_ALLOCS] = {"allocs", PYRO_UNIT_EVENTS, PYRO_AGG_OWN},
    [PYRO_M_FREED_BYTES] = {"freed_bytes", PYRO_UNIT_BYTES, PYRO_AGG_OWN},
    [PYRO_M_PEAK_BYTES] = {"peak_bytes", PYRO_UNIT_BYTES, PYRO_AGG_OWN},
    [PYRO_M_LEAKED_BYTES] = {"leaked_bytes", PYRO_UNIT_BYTES, PYRO_AGG_OWN},
    [PYRO_M_LEAKED_ALLOCS] = {"leaked_allocs", PYRO_UNIT_EVENTS, PYRO_AGG_OWN},
    [PYRO_M_EVENTS] = {"events", PYRO_UNIT_EVENTS, PYRO_AGG_OWN},
    [PYRO_M_EVENT_SAMPLES] = {"event_samples", PYRO_UNIT_EVENTS, PYRO_AGG_OWN},
    [PYRO_M_PEAK_ALLOCS] = {"peak_allocs", PYRO_UNIT_EVENTS, PYRO_AGG_OWN},
};

/* Each mode's name and metrics, in column order (-1 ends the list). */
static const struct mode_info {
    const char *name;
    signed char metrics[PYRO_M_COUNT + 1];
} modes[PYRO_MODE_COUNT] = {
    [PYRO_MODE_NONE] = {"none", {-1}},
    [PYRO_MODE_TRACE] = {"trace", {PYRO_M_CALLS, PYRO_M_SELF_NS, PYRO_M_TOTAL_NS, -1}},
    [PYRO_MODE_SAMPLE] = {"sample",
                          {PYRO_M_SELF_NS, PYRO_M_TOTAL_NS, PYRO_M_SAMPLES, PYRO_M_RUNNING,
                           PYRO_M_GIL, PYRO_M_CPU_NS, -1}},
    [PYRO_MODE_LINES] = {"lines", {PYRO_M_CALLS, PYRO_M_HITS, PYRO_M_TOTAL_NS, -1}},
    [PYRO_MODE_MEMORY] = {"memory",
                          {PYRO_M_ALLOC_BYTES, PYRO_M_ALLOCS, PYRO_M_FREED_BYTES, PYRO_M_PEAK_BYTES,
                           PYRO_M_PEAK_ALLOCS, PYRO_M_LEAKED_BYTES, PYRO_M_LEAKED_ALLOCS, -1}},
};

const pyro_metric_info_t *pyro_metric_info(int m)
{
    return m >= 0 && m < PYRO_M_COUNT ? &metrics[m] : NULL;
}

int pyro_metric_find(const char *name, size_t len)
{
    for (int m = 0; m < PYRO_M_COUNT; m++)
        if (strlen(metrics[m].name) == len && memcmp(metrics[m].name, name, len) == 0)
            return m;
    return -1;
}

const char *pyro_mode_name(int mode)
{
    return mode >= 0 && mode < PYRO_MODE_COUNT ? modes[mode].name : "?";
}

int pyro_mode_parse(const char *name)
{
    for (int i = 0; i < PYRO_MODE_COUNT; i++)
        if (strcmp(name, modes[i].name) == 0)
            return i;
    return -1;
}

int pyro_mode_metrics(int mode, int *out)
{
    int n = 0;
    if (mode < 0 || mode >= PYRO_MODE_COUNT)
        return 0;
    while (modes[mode].metrics[n] >= 0)
        out[n] = modes[mode].metrics[n], n++;
    return n;
}

/* ==== the profile ==== */

pyro_profile_t *pyro_profile_new(void)
{
    pyro_profile_t *p = pyro_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->strs = pyro_strtab_new();
    if (!p->strs) {
        pyro_free(p);
        return NULL;
    }
    pyro_map_init(&p->func_index);
    pyro_map_init(&p->child_index);
    memset(p->col, -1, sizeof p->col);
    return p;
}

void pyro_profile_free(pyro_profile_t *p)
{
    if (!p)
        return;
    pyro_strtab_free(p->strs);
    pyro_free(p->funcs);
    pyro_free(p->nodes);
    pyro_free(p->vals);
    pyro_free(p->threads);
    pyro_free(p->meta);
    for (uint32_t i = 0; i < p->nseries; i++)
        pyro_free(p->series[i].vals);
    pyro_free(p->series);
    pyro_map_free(&p->func_index);
    pyro_map_free(&p->child_index);
    pyro_stats_free(p->flat);
    pyro_free(p);
}

int pyro_profile_str(pyro_profile_t *p, const char *s, size_t len, uint32_t *id)
{
    return pyro_strtab_intern(p->strs, s, len, id);
}

const char *pyro_profile_strget(const pyro_profile_t *p, uint32_t id)
{
    const char *s = pyro_strtab_get(p->strs, id, NULL);
    return s ? s : "";
}

int pyro_profile_func(pyro_profile_t *p, const pyro_func_t *f, uint32_t *id)
{
    uint32_t nstr = pyro_strtab_count(p->strs);
    if (f->name >= nstr || f->qualname >= nstr || f->file >= nstr || f->kind > PYRO_FUNC_NATIVE)
        return PYRO_EINVAL;
    uint64_t k1 = (uint64_t)f->name | (uint64_t)f->qualname << 32;
    uint64_t k2 = (uint64_t)f->file | (uint64_t)f->line << 32;
    k2 ^= (uint64_t)f->kind << 63;
    uint32_t found;
    if (pyro_map_get(&p->func_index, k1, k2, &found)) {
        *id = found;
        return PYRO_OK;
    }
    int rc = pyro_grow((void **)&p->funcs, &p->capfuncs, p->nfuncs, sizeof *p->funcs);
    if (rc)
        return rc;
    if ((rc = pyro_map_put(&p->func_index, k1, k2, p->nfuncs)))
        return rc;
    p->funcs[p->nfuncs] = *f;
    *id = p->nfuncs++;
    return PYRO_OK;
}

int pyro_profile_add_thread(pyro_profile_t *p, const pyro_thread_t *t, uint32_t *id)
{
    if (t->name >= pyro_strtab_count(p->strs))
        return PYRO_EINVAL;
    int rc = pyro_grow((void **)&p->threads, &p->capthreads, p->nthreads, sizeof *p->threads);
    if (rc)
        return rc;
    p->threads[p->nthreads] = *t;
    *id = p->nthreads++;
    return PYRO_OK;
}

int pyro_profile_child(pyro_profile_t *p, uint32_t parent, uint32_t thread, uint32_t func,
                       uint32_t line, uint32_t *id)
{
    if (thread >= p->nthreads || func >= p->nfuncs)
        return PYRO_EINVAL;
    if (parent != PYRO_NONE && (parent >= p->nnodes || p->nodes[parent].thread != thread))
        return PYRO_EINVAL;
    uint64_t k1 = (uint64_t)parent | (uint64_t)thread << 32;
    uint64_t k2 = (uint64_t)func | (uint64_t)line << 32;
    uint32_t found;
    if (pyro_map_get(&p->child_index, k1, k2, &found)) {
        *id = found;
        return PYRO_OK;
    }
    size_t stride = p->ncols ? p->ncols : 1;
    int rc = pyro_grow((void **)&p->nodes, &p->capnodes, p->nnodes, sizeof *p->nodes);
    if (!rc)
        rc = pyro_grow((void **)&p->vals, &p->capvals, p->nnodes, stride * sizeof *p->vals);
    if (rc)
        return rc;
    if ((rc = pyro_map_put(&p->child_index, k1, k2, p->nnodes)))
        return rc;
    p->nodes[p->nnodes] =
        (pyro_node_t){.parent = parent, .func = func, .line = line, .thread = thread};
    memset(pyro_node_vals(p, p->nnodes), 0, stride * sizeof *p->vals);
    *id = p->nnodes++;
    return PYRO_OK;
}

int pyro_profile_add_column(pyro_profile_t *p, const char *name, size_t len, int unit, int agg,
                            int *col)
{
    if (!len || unit < 0 || unit >= PYRO_UNIT_COUNT || agg < 0 || agg >= PYRO_AGG_COUNT)
        return PYRO_EINVAL;
    int m = pyro_metric_find(name, len);
    if (m >= 0 && (metrics[m].unit != unit || metrics[m].agg != agg))
        return PYRO_EINVAL;
    if (p->nnodes)
        return PYRO_ESTATE;
    if (p->ncols == PYRO_MAX_COLUMNS)
        return PYRO_ELIMIT;
    uint32_t id;
    int rc = pyro_profile_str(p, name, len, &id);
    if (rc)
        return rc;
    for (uint32_t c = 0; c < p->ncols; c++)
        if (p->cols[c].name == id)
            return PYRO_EINVAL;
    p->cols[p->ncols] = (pyro_column_t){
        .name = id, .unit = (uint8_t)unit, .agg = (uint8_t)agg, .metric = (int8_t)m};
    if (m >= 0)
        p->col[m] = (int8_t)p->ncols;
    *col = (int)p->ncols++;
    return PYRO_OK;
}

int pyro_profile_set_mode(pyro_profile_t *p, int mode)
{
    if (mode < 0 || mode >= PYRO_MODE_COUNT)
        return PYRO_EINVAL;
    if (p->mode != PYRO_MODE_NONE && p->mode != mode)
        return PYRO_ESTATE;
    int want[PYRO_M_COUNT], rc = PYRO_OK;
    int n = pyro_mode_metrics(mode, want);
    for (int i = 0; i < n && !rc; i++) {
        const pyro_metric_info_t *mi = &metrics[want[i]];
        int col;
        if (p->col[want[i]] < 0)
            rc = pyro_profile_add_column(p, mi->name, strlen(mi->name), mi->unit, mi->agg, &col);
    }
    if (!rc && mode != PYRO_MODE_NONE)
        rc = pyro_profile_set_meta(p, "mode", modes[mode].name);
    if (!rc)
        p->mode = mode;
    return rc;
}

int pyro_profile_set_meta(pyro_profile_t *p, const char *key, const char *value)
{
    uint32_t k, v;
    int rc;
    if ((rc = pyro_strtab_intern_cstr(p->strs, key, &k)) ||
        (rc = pyro_strtab_intern_cstr(p->strs, value, &v)))
        return rc;
    for (uint32_t i = 0; i < p->nmeta; i++) {
        if (p->meta[i].key == k) {
            p->meta[i].value = v;
            return PYRO_OK;
        }
    }
    if ((rc = pyro_grow((void **)&p->meta, &p->capmeta, p->nmeta, sizeof *p->meta)))
        return rc;
    p->meta[p->nmeta++] = (pyro_meta_t){k, v};
    return PYRO_OK;
}

int pyro_profile_add_series(pyro_profile_t *p, const char *name, uint32_t ncols,
                            const char *const *cols, uint32_t *id)
{
    if (!name || !*name || ncols == 0 || ncols > PYRO_SERIES_MAX_COLS ||
        pyro_profile_find_series(p, name))
        return PYRO_EINVAL;
    pyro_series_t s = {0};
    s.ncols = ncols;
    int rc = pyro_profile_str(p, name, strlen(name), &s.name);
    for (uint32_t c = 0; c < ncols && !rc; c++)
        rc = cols[c] && *cols[c] ? pyro_profile_str(p, cols[c], strlen(cols[c]), &s.cols[c])
                                 : PYRO_EINVAL;
    if (!rc)
        rc = pyro_grow((void **)&p->series, &p->capseries, p->nseries, sizeof *p->series);
    if (rc)
        return rc;
    *id = p->nseries;
    p->series[p->nseries++] = s;
    return PYRO_OK;
}

int pyro_series_append(pyro_profile_t *p, uint32_t id, const int64_t *row)
{
    if (id >= p->nseries)
        return PYRO_EINVAL;
    pyro_series_t *s = &p->series[id];
    if (s->nrows == s->caprows) {
        /* grow by rows: the array holds caprows * ncols values */
        uint32_t cap = s->caprows ? s->caprows * 2 : 64;
        if (cap <= s->caprows || (size_t)cap * s->ncols > UINT32_MAX)
            return PYRO_ELIMIT;
        int64_t *v = pyro_realloc(s->vals, (size_t)cap * s->ncols * sizeof *v);
        if (!v)
            return PYRO_ENOMEM;
        s->vals = v;
        s->caprows = cap;
    }
    memcpy(s->vals + (size_t)s->nrows * s->ncols, row, s->ncols * sizeof *row);
    s->nrows++;
    return PYRO_OK;
}

const pyro_series_t *pyro_profile_find_series(const pyro_profile_t *p, const char *name)
{
    for (uint32_t i = 0; i < p->nseries; i++)
        if (strcmp(pyro_profile_strget(p, p->series[i].name), name) == 0)
            return &p->series[i];
    return NULL;
}

int pyro_series_col(const pyro_profile_t *p, const pyro_series_t *s, const char *name)
{
    for (uint32_t c = 0; c < s->ncols; c++)
        if (strcmp(pyro_profile_strget(p, s->cols[c]), name) == 0)
            return (int)c;
    return -1;
}

const char *pyro_profile_get_meta(const pyro_profile_t *p, const char *key)
{
    for (uint32_t i = 0; i < p->nmeta; i++)
        if (strcmp(pyro_profile_strget(p, p->meta[i].key), key) == 0)
            return pyro_profile_strget(p, p->meta[i].value);
    return NULL;
}

void pyro_profile_func_label(const pyro_profile_t *p, uint32_t f, char *out, size_t cap)
{
    if (!cap)
        return;
    if (f >= p->nfuncs) {
        snprintf(out, cap, "?");
        return;
    }
    const pyro_func_t *fn = &p->funcs[f];
    const char *name = pyro_profile_strget(p, fn->name);
    if (fn->kind == PYRO_FUNC_NATIVE) {
        size_t n = strlen(name);
        if (n >= 2 && name[0] == '<' && name[n - 1] == '>')
            snprintf(out, cap, "{%.*s}", (int)(n - 2), name + 1);
        else
            snprintf(out, cap, "%s", name);
    } else {
        snprintf(out, cap, "%s:%u(%s)", pyro_profile_strget(p, fn->file), fn->line, name);
    }
}

int64_t pyro_profile_total_ns(const pyro_profile_t *p)
{
    int64_t t = 0;
    int total = p->col[PYRO_M_TOTAL_NS];
    for (uint32_t i = 0; i < p->nnodes; i++)
        if (p->nodes[i].parent == PYRO_NONE)
            t += pyro_node_get(p, i, total);
    return t;
}

int pyro_profile_children(const pyro_profile_t *p, pyro_children_t *c)
{
    uint32_t n = p->nnodes;
    c->first = pyro_calloc((size_t)n + 2, sizeof *c->first);
    c->kids = pyro_calloc(n ? n : 1, sizeof *c->kids);
    uint32_t *fill = pyro_calloc((size_t)n + 1, sizeof *fill);
    if (!c->first || !c->kids || !fill) {
        pyro_free(fill);
        pyro_children_free(c);
        return PYRO_ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t par = p->nodes[i].parent == PYRO_NONE ? n : p->nodes[i].parent;
        c->first[par + 1]++;
    }
    for (uint32_t i = 0; i <= n; i++)
        c->first[i + 1] += c->first[i];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t par = p->nodes[i].parent == PYRO_NONE ? n : p->nodes[i].parent;
        c->kids[c->first[par] + fill[par]++] = i;
    }
    pyro_free(fill);
    return PYRO_OK;
}

void pyro_children_free(pyro_children_t *c)
{
    pyro_free(c->first);
    pyro_free(c->kids);
    c->first = c->kids = NULL;
}

/* Column `to` of every node := column `from` summed over its subtree. */
static void subtree_sums(pyro_profile_t *p, int from, int to)
{
    for (uint32_t i = 0; i < p->nnodes; i++)
        pyro_node_vals(p, i)[to] = pyro_node_vals(p, i)[from];
    for (uint32_t i = p->nnodes; i-- > 0;)
        if (p->nodes[i].parent != PYRO_NONE)
            pyro_node_vals(p, p->nodes[i].parent)[to] += pyro_node_vals(p, i)[to];
}

void pyro_profile_fill_totals(pyro_profile_t *p)
{
    int self = p->col[PYRO_M_SELF_NS], total = p->col[PYRO_M_TOTAL_NS];
    if (self >= 0 && total >= 0)
        subtree_sums(p, self, total);
}

void pyro_profile_thread_sums(const pyro_profile_t *p, uint32_t t, pyro_thread_sums_t *out)
{
    memset(out, 0, sizeof *out);
    int samples = p->col[PYRO_M_SAMPLES], running = p->col[PYRO_M_RUNNING],
        gil = p->col[PYRO_M_GIL], wall = p->col[PYRO_M_SELF_NS], cpu = p->col[PYRO_M_CPU_NS];
    for (uint32_t i = 0; i < p->nnodes; i++) {
        if (p->nodes[i].thread != t)
            continue;
        out->samples += (uint64_t)pyro_node_get(p, i, samples);
        out->running += (uint64_t)pyro_node_get(p, i, running);
        out->gil += (uint64_t)pyro_node_get(p, i, gil);
        out->wall_ns += pyro_node_get(p, i, wall);
        out->cpu_ns += pyro_node_get(p, i, cpu);
    }
}

/* Copy strings (same ids), functions (same ids), threads, metadata and series. */
static int copy_frame(const pyro_profile_t *src, pyro_profile_t *dst)
{
    uint32_t nstr = pyro_strtab_count(src->strs);
    for (uint32_t i = 0; i < nstr; i++) {
        size_t n;
        const char *s = pyro_strtab_get(src->strs, i, &n);
        uint32_t id;
        int rc = pyro_strtab_intern(dst->strs, s, n, &id);
        if (rc)
            return rc;
        if (id != i)
            return PYRO_EINVAL; /* a table with duplicates: not one we made */
    }
    for (uint32_t f = 0; f < src->nfuncs; f++) {
        uint32_t id;
        int rc = pyro_profile_func(dst, &src->funcs[f], &id);
        if (rc)
            return rc;
        if (id != f)
            return PYRO_EINVAL;
    }
    for (uint32_t t = 0; t < src->nthreads; t++) {
        uint32_t id;
        int rc = pyro_profile_add_thread(dst, &src->threads[t], &id);
        if (rc)
            return rc;
    }
    for (uint32_t m = 0; m < src->nmeta; m++) {
        int rc = pyro_grow((void **)&dst->meta, &dst->capmeta, dst->nmeta, sizeof *dst->meta);
        if (rc)
            return rc;
        dst->meta[dst->nmeta++] = src->meta[m];
    }
    for (uint32_t i = 0; i < src->nseries; i++) {
        /* the same string ids: copy the names and the rows */
        const pyro_series_t *s = &src->series[i];
        int rc =
            pyro_grow((void **)&dst->series, &dst->capseries, dst->nseries, sizeof *dst->series);
        if (rc)
            return rc;
        pyro_series_t *d = &dst->series[dst->nseries];
        *d = *s;
        d->vals = NULL;
        d->caprows = d->nrows = 0;
        dst->nseries++;
        for (uint32_t r = 0; r < s->nrows; r++)
            if ((rc = pyro_series_append(dst, dst->nseries - 1, s->vals + (size_t)r * s->ncols)))
                return rc;
    }
    return PYRO_OK;
}

/* Declare the columns of `src` in `dst` (same indexes), then its mode. */
static int copy_columns(const pyro_profile_t *src, pyro_profile_t *dst)
{
    for (uint32_t c = 0; c < src->ncols; c++) {
        size_t n;
        const char *name = pyro_strtab_get(src->strs, src->cols[c].name, &n);
        int col, rc = pyro_profile_add_column(dst, name ? name : "", name ? n : 0,
                                              src->cols[c].unit, src->cols[c].agg, &col);
        if (rc)
            return rc;
    }
    return pyro_profile_set_mode(dst, src->mode);
}

int pyro_profile_copy_empty(const pyro_profile_t *src, pyro_profile_t **out)
{
    if (src->flat)
        return PYRO_EINVAL;
    pyro_profile_t *p = pyro_profile_new();
    int rc = !p ? PYRO_ENOMEM : copy_frame(src, p);
    if (!rc)
        rc = copy_columns(src, p);
    if (rc) {
        pyro_profile_free(p);
        return rc;
    }
    *out = p;
    return PYRO_OK;
}

int pyro_profile_view(const pyro_profile_t *src, int flags, pyro_profile_t **out)
{
    if (src->flat)
        return PYRO_EINVAL;
    int sampled = src->mode == PYRO_MODE_SAMPLE;
    pyro_profile_t *p = NULL;
    uint32_t *map = pyro_malloc((src->nnodes ? src->nnodes : 1) * sizeof *map);
    int rc = !map ? PYRO_ENOMEM : pyro_profile_copy_empty(src, &p);
    int calls = -1;
    if (!rc && sampled && (flags & PYRO_VIEW_CALLS) && (calls = p->col[PYRO_M_CALLS]) < 0) {
        const pyro_metric_info_t *mi = &metrics[PYRO_M_CALLS];
        rc = pyro_profile_add_column(p, mi->name, strlen(mi->name), mi->unit, mi->agg, &calls);
    }
    /* the CPU view: own time is the CPU time of the samples */
    int self = rc ? -1 : p->col[PYRO_M_SELF_NS], cpu = rc ? -1 : p->col[PYRO_M_CPU_NS];
    int own_from = sampled && (flags & PYRO_VIEW_CPU) && cpu >= 0 ? cpu : self;
    for (uint32_t i = 0; i < src->nnodes && !rc; i++) {
        const pyro_node_t *s = &src->nodes[i];
        uint32_t parent = s->parent == PYRO_NONE ? PYRO_NONE : map[s->parent];
        uint32_t line = flags & PYRO_VIEW_FUNCS ? 0 : s->line;
        if ((rc = pyro_profile_child(p, parent, s->thread, s->func, line, &map[i])))
            break;
        const int64_t *sv = pyro_node_vals(src, i);
        int64_t *dv = pyro_node_vals(p, map[i]);
        for (uint32_t c = 0; c < src->ncols; c++)
            dv[c] += (int)c == self ? sv[own_from] : sv[c];
    }
    if (!rc && sampled) {
        pyro_profile_fill_totals(p);
        /* calls: samples with the node on the stack */
        int samples = p->col[PYRO_M_SAMPLES];
        if (calls >= 0 && samples >= 0)
            subtree_sums(p, samples, calls);
    }
    pyro_free(map);
    if (rc) {
        pyro_profile_free(p);
        return rc;
    }
    *out = p;
    return PYRO_OK;
}

int pyro_profile_func_times(const pyro_profile_t *p, uint32_t thread, int64_t *own, int64_t *total)
{
    memset(own, 0, p->nfuncs * sizeof *own);
    memset(total, 0, p->nfuncs * sizeof *total);
    pyro_children_t c;
    uint32_t *active = pyro_calloc(p->nfuncs ? p->nfuncs : 1, sizeof *active);
    /* the depth-first stack: a node to enter, or (with the top bit) to leave */
    uint32_t *stack = pyro_malloc(((size_t)p->nnodes * 2 + 1) * sizeof *stack);
    if (!active || !stack || pyro_profile_children(p, &c)) {
        pyro_free(active);
        pyro_free(stack);
        return PYRO_ENOMEM;
    }
    size_t top = 0;
    int self = p->col[PYRO_M_SELF_NS], tot = p->col[PYRO_M_TOTAL_NS];
    for (uint32_t i = c.first[p->nnodes]; i < c.first[p->nnodes + 1]; i++)
        if (thread == PYRO_NONE || p->nodes[c.kids[i]].thread == thread)
            stack[top++] = c.kids[i];
    while (top) {
        uint32_t x = stack[--top];
        if (x & 0x80000000u) {
            active[p->nodes[x & 0x7fffffffu].func]--;
            continue;
        }
        const pyro_node_t *n = &p->nodes[x];
        own[n->func] += pyro_node_get(p, x, self);
        if (!active[n->func]++)
            total[n->func] += pyro_node_get(p, x, tot);
        stack[top++] = x | 0x80000000u;
        for (uint32_t i = c.first[x]; i < c.first[x + 1]; i++)
            stack[top++] = c.kids[i];
    }
    pyro_children_free(&c);
    pyro_free(active);
    pyro_free(stack);
    return PYRO_OK;
}
