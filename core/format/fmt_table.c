/* SPDX-License-Identifier: MIT */
/* fmt_table: pstats-compatible layout with optional color. */
#include "format/fmt_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"

static const char *const sort_titles[] = {
    "cumulative time", "internal time", "call count", "function name", "file name",
};

/* A sample profile's table counts samples, not calls: the same layout, its
 * own words. */
static const char *const sample_sort_titles[] = {
    "cumulative time", "own time", "samples", "function name", "file name",
};

static void calls_cell(pyro_buf_t *out, uint64_t nc, uint64_t cc, int width)
{
    char tmp[48];
    if (nc != cc)
        snprintf(tmp, sizeof tmp, "%llu/%llu", (unsigned long long)nc, (unsigned long long)cc);
    else
        snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)nc);
    pyro_buf_printf(out, "%*s", width, tmp);
}

/* pstats' func_std_string, with paths shortened per the options */
static void label(pyro_buf_t *out, const pyro_profile_t *p, uint32_t f, const pyro_render_opts_t *o)
{
    const pyro_func_t *fn = &p->funcs[f];
    if (fn->kind == PYRO_FUNC_NATIVE) {
        char buf[512];
        pyro_profile_func_label(p, f, buf, sizeof buf);
        pyro_buf_puts(out, buf);
    } else {
        pyro_buf_printf(out, "%s:%u(%s)", pyro_render_path(o, pyro_profile_strget(p, fn->file)),
                        fn->line, pyro_profile_strget(p, fn->name));
    }
}

static void row(pyro_buf_t *out, const pyro_profile_t *p, const pyro_stats_t *s, uint32_t f,
                const pyro_render_opts_t *o, int sampled)
{
    const pyro_fstat_t *fs = &s->funcs[f];
    double share = s->total_time > 0 ? fs->tottime / s->total_time : 0;
    const char *hot = share >= 0.10   ? pyro_color(o, PYRO_C_RED)
                      : share >= 0.02 ? pyro_color(o, PYRO_C_YELLOW)
                                      : "";
    if (sampled) { /* samples with the function on the stack, own and total seconds */
        pyro_buf_printf(out, "%9llu %s%8.3f%s %8.3f ", (unsigned long long)fs->primcalls, hot,
                        fs->tottime, *hot ? pyro_color(o, PYRO_C_RESET) : "", fs->cumtime);
        pyro_buf_puts(out, pyro_color(o, PYRO_C_BOLD));
        label(out, p, f, o);
        pyro_buf_puts(out, pyro_color(o, PYRO_C_RESET));
        pyro_buf_putc(out, '\n');
        return;
    }
    calls_cell(out, fs->ncalls, fs->primcalls, 9);
    pyro_buf_printf(out, " %s%8.3f%s ", hot, fs->tottime, *hot ? pyro_color(o, PYRO_C_RESET) : "");
    if (fs->ncalls)
        pyro_buf_printf(out, "%8.3f ", fs->tottime / (double)fs->ncalls);
    else
        pyro_buf_puts(out, "         ");
    pyro_buf_printf(out, "%8.3f ", fs->cumtime);
    if (fs->primcalls)
        pyro_buf_printf(out, "%8.3f ", fs->cumtime / (double)fs->primcalls);
    else
        pyro_buf_puts(out, "         ");
    pyro_buf_puts(out, pyro_color(o, PYRO_C_BOLD));
    label(out, p, f, o);
    pyro_buf_puts(out, pyro_color(o, PYRO_C_RESET));
    pyro_buf_putc(out, '\n');
}

static void edge_line(pyro_buf_t *out, const pyro_profile_t *p, const pyro_edge_t *e,
                      uint32_t other, const pyro_render_opts_t *o, int sampled)
{
    pyro_buf_puts(out, "    ");
    if (sampled)
        pyro_buf_printf(out, "%12llu", (unsigned long long)e->primcalls);
    else
        calls_cell(out, e->ncalls, e->primcalls, 12);
    pyro_buf_printf(out, " %8.3f %8.3f  ", e->tottime, e->cumtime);
    label(out, p, other, o);
    pyro_buf_putc(out, '\n');
}

/* Edges with the most cumulative time first (then by the other end). */
static int by_cumtime(const void *a, const void *b)
{
    const pyro_edge_t *x = *(const pyro_edge_t *const *)a, *y = *(const pyro_edge_t *const *)b;
    if (x->cumtime != y->cumtime)
        return x->cumtime > y->cumtime ? -1 : 1;
    if (x->ncalls != y->ncalls)
        return x->ncalls > y->ncalls ? -1 : 1;
    return x->callee != y->callee ? (x->callee < y->callee ? -1 : 1)
                                  : (x->caller < y->caller ? -1 : x->caller > y->caller);
}

/* The header of a traced profile, as pstats prints it. */
static void call_header(pyro_buf_t *out, const pyro_profile_t *p, const pyro_stats_t *s,
                        const pyro_render_opts_t *o)
{
    pyro_buf_printf(out, "         %llu function calls", (unsigned long long)s->total_calls);
    if (s->total_calls != s->prim_calls)
        pyro_buf_printf(out, " (%llu primitive calls)", (unsigned long long)s->prim_calls);
    pyro_buf_printf(out, " in %.3f seconds", s->total_time);
    const char *clock = pyro_profile_get_meta(p, "clock");
    if (clock)
        pyro_buf_printf(out, " %s(%s clock)%s", pyro_color(o, PYRO_C_DIM), clock,
                        pyro_color(o, PYRO_C_RESET));
    pyro_buf_puts(out, "\n\n");
}

/* The header of a sample profile: "N samples in X seconds (wall clock,
 * 1000 Hz)", and why when there are none. Returns the number of samples. */
static uint64_t sample_header(pyro_buf_t *out, const pyro_profile_t *p, const pyro_stats_t *s,
                              const pyro_render_opts_t *o)
{
    uint64_t samples = 0;
    for (uint32_t i = 0; i < p->nnodes; i++)
        samples += (uint64_t)pyro_node_metric(p, i, PYRO_M_SAMPLES);
    const char *rate = pyro_profile_get_meta(p, "rate_hz");
    pyro_buf_printf(out, "         %llu sample%s in %.3f seconds %s(%s clock",
                    (unsigned long long)samples, samples == 1 ? "" : "s", s->total_time,
                    pyro_color(o, PYRO_C_DIM), o->cpu ? "CPU" : "wall");
    if (rate)
        pyro_buf_printf(out, ", %s Hz", rate);
    pyro_buf_printf(out, ")%s\n", pyro_color(o, PYRO_C_RESET));
    if (!samples) {
        pyro_buf_puts(out, "\n   ");
        pyro_render_no_samples(p, out);
        pyro_buf_putc(out, '\n');
    }
    pyro_buf_putc(out, '\n');
    return samples;
}

typedef struct by_count {
    uint64_t samples;
    uint32_t at; /* position in the order by the chosen key (ties keep it) */
    uint32_t func;
} by_count_t;

static int more_samples(const void *a, const void *b)
{
    const by_count_t *x = a, *y = b;
    if (x->samples != y->samples)
        return x->samples > y->samples ? -1 : 1;
    return x->at < y->at ? -1 : (x->at > y->at);
}

/* Reorder `order` by samples with the function on the stack (primcalls in a
 * sample view: recursion counted once), most first. Out of memory: left as
 * it is (still complete). */
static void by_samples(const pyro_stats_t *s, uint32_t *order, uint32_t n)
{
    by_count_t *tmp = pyro_calloc(n ? n : 1, sizeof *tmp);
    if (!tmp)
        return;
    for (uint32_t i = 0; i < n; i++)
        tmp[i] = (by_count_t){s->funcs[order[i]].primcalls, i, order[i]};
    qsort(tmp, n, sizeof *tmp, more_samples);
    for (uint32_t i = 0; i < n; i++)
        order[i] = tmp[i].func;
    pyro_free(tmp);
}

/* ==== counters per function (run --mode trace --counters) ==== */

#define MAX_COUNTERS 4 /* the tracer's limit */

typedef struct ctr_row {
    uint32_t func;
    int64_t own[MAX_COUNTERS], total[MAX_COUNTERS];
} ctr_row_t;

static int ctr_cmp(const void *a, const void *b)
{
    const ctr_row_t *x = a, *y = b;
    if (x->total[0] != y->total[0])
        return x->total[0] > y->total[0] ? -1 : 1;
    if (x->own[0] != y->own[0])
        return x->own[0] > y->own[0] ? -1 : 1;
    return x->func < y->func ? -1 : (x->func > y->func);
}

static int col_named(const pyro_profile_t *p, const char *name)
{
    for (uint32_t c = 0; c < p->ncols; c++)
        if (strcmp(pyro_profile_strget(p, p->cols[c].name), name) == 0)
            return (int)c;
    return -1;
}

/* Each function's own count of each counter and its count with callees
 * (recursion counted once: only nodes without an ancestor of the same
 * function add their total), ranked by the first counter's total; --limit
 * rows at most. Nothing for a profile without counters. */
static int counters_table(const pyro_profile_t *p, const pyro_render_opts_t *o, pyro_buf_t *out)
{
    const char *names = pyro_profile_get_meta(p, "counters");
    if (!names || !*names)
        return PYRO_OK;
    char name[MAX_COUNTERS][32], col[48];
    int own[MAX_COUNTERS], total[MAX_COUNTERS], k = 0;
    for (const char *s = names; *s && k < MAX_COUNTERS; k++) {
        size_t len = strcspn(s, ",");
        snprintf(name[k], sizeof name[k], "%.*s", (int)(len < 31 ? len : 31), s);
        snprintf(col, sizeof col, "%s_total", name[k]);
        own[k] = col_named(p, name[k]);
        total[k] = col_named(p, col);
        if (own[k] < 0 || total[k] < 0)
            return PYRO_OK; /* not the tracer's columns: nothing to say */
        s += len + (s[len] == ',');
    }
    ctr_row_t *rows = pyro_calloc(p->nfuncs ? p->nfuncs : 1, sizeof *rows);
    if (!rows)
        return PYRO_ENOMEM;
    for (uint32_t f = 0; f < p->nfuncs; f++)
        rows[f].func = f;
    for (uint32_t n = 0; n < p->nnodes; n++) {
        uint32_t f = p->nodes[n].func, up = p->nodes[n].parent;
        while (up != PYRO_NONE && p->nodes[up].func != f)
            up = p->nodes[up].parent;
        for (int j = 0; j < k; j++) {
            rows[f].own[j] += pyro_node_get(p, n, own[j]);
            if (up == PYRO_NONE) /* the outermost call of f on this path */
                rows[f].total[j] += pyro_node_get(p, n, total[j]);
        }
    }
    uint32_t nrows = 0;
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        int any = 0;
        for (int j = 0; j < k; j++)
            any |= rows[f].total[j] != 0 || rows[f].own[j] != 0;
        if (any)
            rows[nrows++] = rows[f];
    }
    qsort(rows, nrows, sizeof *rows, ctr_cmp);
    uint32_t shown = o->limit && o->limit < nrows ? o->limit : nrows;
    const char *user = pyro_profile_get_meta(p, "counters_user_only");
    pyro_buf_printf(out,
                    "\n%s   Counters per function (own, and with callees: recursion counted once)",
                    pyro_color(o, PYRO_C_BOLD));
    if (user && strcmp(user, "1") == 0)
        pyro_buf_puts(out, ", user space only (perf_event_paranoid)");
    pyro_buf_printf(out, "%s\n", pyro_color(o, PYRO_C_RESET));
    const char *missed = pyro_profile_get_meta(p, "counters_threads_missed");
    if (missed)
        pyro_buf_printf(out, "   %s thread(s) not counted: %s\n", missed,
                        pyro_profile_get_meta(p, "counters_threads_missed_why"));
    if (shown < nrows)
        pyro_buf_printf(out, "   List reduced from %u to %u due to restriction <%u>\n", nrows,
                        shown, o->limit);
    if (!nrows)
        pyro_buf_puts(out, "   (no function counted any)\n");
    else {
        pyro_buf_printf(out, "\n%s", pyro_color(o, PYRO_C_CYAN));
        for (int j = 0; j < k; j++)
            pyro_buf_printf(out, " %23s", name[j]);
        pyro_buf_puts(out, "\n");
        for (int j = 0; j < k; j++)
            pyro_buf_puts(out, "          own      total");
        pyro_buf_printf(out, " filename:lineno(function)%s\n", pyro_color(o, PYRO_C_RESET));
    }
    for (uint32_t i = 0; i < shown; i++) {
        for (int j = 0; j < k; j++)
            pyro_buf_printf(out, " %11lld %10lld", (long long)rows[i].own[j],
                            (long long)rows[i].total[j]);
        pyro_buf_putc(out, ' ');
        label(out, p, rows[i].func, o);
        pyro_buf_putc(out, '\n');
    }
    pyro_free(rows);
    return PYRO_OK;
}

int pyro_fmt_table(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *p = ctx->p;
    const pyro_stats_t *s = ctx->stats;
    const pyro_render_opts_t *o = ctx->o;
    uint32_t *order = pyro_calloc(s->nfuncs ? s->nfuncs : 1, sizeof *order);
    const pyro_edge_t **edges = pyro_calloc(s->nedges ? s->nedges : 1, sizeof *edges);
    if (!order || !edges) {
        pyro_free(order);
        pyro_free(edges);
        return PYRO_ENOMEM;
    }
    uint32_t n = pyro_stats_order(s, p, o->sort, order);
    int sort = o->sort >= 0 && o->sort <= PYRO_SORT_FILE ? o->sort : 0;
    int sampled = !p->flat && p->mode == PYRO_MODE_SAMPLE;
    const char *const *titles = sampled ? sample_sort_titles : sort_titles;
    if (sampled && sort == PYRO_SORT_NCALLS) /* by samples on the stack, recursion once */
        by_samples(s, order, n);

    if (sampled && !sample_header(out, p, s, o)) {
        pyro_free(edges);
        pyro_free(order);
        return pyro_buf_status(out); /* no samples: said why, nothing to list */
    }
    if (!sampled)
        call_header(out, p, s, o);
    pyro_buf_printf(out, "   Ordered by: %s\n", titles[sort]);
    uint32_t shown = o->limit && o->limit < n ? o->limit : n;
    if (shown < n)
        pyro_buf_printf(out, "   List reduced from %u to %u due to restriction <%u>\n", n, shown,
                        o->limit);
    pyro_buf_printf(out, "\n%s%s filename:lineno(function)%s\n", pyro_color(o, PYRO_C_CYAN),
                    sampled ? "  samples  owntime  cumtime"
                            : "   ncalls  tottime  percall  cumtime  percall",
                    pyro_color(o, PYRO_C_RESET));
    for (uint32_t i = 0; i < shown; i++)
        row(out, p, s, order[i], o, sampled);

    uint32_t blocks = o->ncallers < shown ? o->ncallers : shown;
    if (blocks) {
        pyro_buf_printf(out, "\n   Callers and callees of the top %u (by %s)\n", blocks,
                        titles[sort]);
        pyro_buf_printf(out, "%s               %s  %s  cumtime%s\n", pyro_color(o, PYRO_C_CYAN),
                        sampled ? "samples" : " ncalls", sampled ? "owntime" : "tottime",
                        pyro_color(o, PYRO_C_RESET));
    }
    for (uint32_t i = 0; i < blocks; i++) {
        uint32_t f = order[i];
        const pyro_fstat_t *fs = &s->funcs[f];
        pyro_buf_printf(out, "\n%s", pyro_color(o, PYRO_C_BOLD));
        label(out, p, f, o);
        pyro_buf_printf(out, "%s\n", pyro_color(o, PYRO_C_RESET));
        pyro_buf_printf(out, "  %scalled by:%s", pyro_color(o, PYRO_C_DIM),
                        pyro_color(o, PYRO_C_RESET));
        pyro_buf_puts(out, fs->ncallers ? "\n"
                           : sampled    ? " (none: a root)\n"
                                        : " (nothing traced: a root)\n");
        uint32_t n = 0;
        for (uint32_t e = fs->first_caller; e < fs->first_caller + fs->ncallers; e++)
            edges[n++] = &s->edges[e];
        qsort(edges, n, sizeof *edges, by_cumtime);
        for (uint32_t e = 0; e < n; e++)
            edge_line(out, p, edges[e], edges[e]->caller, o, sampled);
        n = 0;
        for (uint32_t e = 0; e < s->nedges; e++)
            if (s->edges[e].caller == f)
                edges[n++] = &s->edges[e];
        if (n)
            pyro_buf_printf(out, "  %scalls:%s\n", pyro_color(o, PYRO_C_DIM),
                            pyro_color(o, PYRO_C_RESET));
        qsort(edges, n, sizeof *edges, by_cumtime);
        for (uint32_t e = 0; e < n; e++)
            edge_line(out, p, edges[e], edges[e]->callee, o, sampled);
    }
    pyro_free(edges);
    pyro_free(order);
    int rc = sampled ? PYRO_OK : counters_table(p, o, out);
    return rc ? rc : pyro_buf_status(out);
}
