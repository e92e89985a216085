/* SPDX-License-Identifier: MIT */
/* fmt_linetime: line_profiler's report of an exact line timing profile. */
#include "format/fmt_linetime.h"

#include <stdlib.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"
#include "model/map.h"
#include "format/fmt_lines.h"
#include "format/source.h"

/* ==== the sums ==== */

static int64_t sat_add(int64_t a, int64_t b)
{
    if (b < 0)
        b = 0;
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* A function's sort key: its file, first line and qualname (pointers into
 * the profile's strings, so that qsort needs no context). */
typedef struct func_key {
    const char *file, *qual;
    uint32_t line, i;
} func_key_t;

static int func_key_cmp(const void *a, const void *b)
{
    const func_key_t *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    c = strcmp(x->qual, y->qual);
    if (c)
        return c;
    return x->i < y->i ? -1 : (x->i > y->i);
}

/* A line entry while collecting: the function it belongs to (an index into
 * the collected functions), then its numbers. */
typedef struct entry {
    uint32_t fi;
    pyro_lt_line_t l;
} entry_t;

static int entry_cmp(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    if (x->fi != y->fi)
        return x->fi < y->fi ? -1 : 1;
    return x->l.line < y->l.line ? -1 : (x->l.line > y->l.line);
}

int pyro_linetimes_collect(const pyro_profile_t *p, pyro_linetimes_t *t)
{
    memset(t, 0, sizeof *t);
    int rc = PYRO_OK;
    uint32_t *fidx = NULL, *rank = NULL, capf = 0, cape = 0, ne = 0;
    func_key_t *order = NULL;
    pyro_lt_func_t *funcs = NULL, *sorted = NULL;
    entry_t *ents = NULL;
    pyro_map_t index;
    pyro_map_init(&index);
    int chits = p->col[PYRO_M_HITS], ccalls = p->col[PYRO_M_CALLS], cns = p->col[PYRO_M_TOTAL_NS];
    fidx = pyro_malloc(((size_t)p->nfuncs + 1) * sizeof *fidx);
    if (!fidx) {
        rc = PYRO_ENOMEM;
        goto cleanup;
    }
    for (uint32_t f = 0; f < p->nfuncs; f++)
        fidx[f] = PYRO_NONE;
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const pyro_node_t *nd = &p->nodes[i];
        if (nd->func >= p->nfuncs || p->funcs[nd->func].kind != PYRO_FUNC_PYTHON)
            continue;
        uint32_t fi = fidx[nd->func];
        if (fi == PYRO_NONE) {
            if ((rc = pyro_grow((void **)&funcs, &capf, t->nfuncs, sizeof *funcs)))
                goto cleanup;
            fi = fidx[nd->func] = t->nfuncs++;
            memset(&funcs[fi], 0, sizeof *funcs);
            funcs[fi].func = nd->func;
        }
        pyro_lt_func_t *fn = &funcs[fi];
        if (nd->line == 0) {
            fn->calls = sat_add(fn->calls, pyro_node_get(p, i, ccalls));
            fn->total_ns = sat_add(fn->total_ns, pyro_node_get(p, i, cns));
            continue;
        }
        uint32_t k;
        if (!pyro_map_get(&index, fi, nd->line, &k)) {
            if ((rc = pyro_grow((void **)&ents, &cape, ne, sizeof *ents)) ||
                (rc = pyro_map_put(&index, fi, nd->line, ne)))
                goto cleanup;
            k = ne++;
            ents[k] = (entry_t){fi, {nd->line, 0, 0}};
        }
        ents[k].l.hits = sat_add(ents[k].l.hits, pyro_node_get(p, i, chits));
        ents[k].l.ns = sat_add(ents[k].l.ns, pyro_node_get(p, i, cns));
    }
    /* the functions by file and line; their lines after them in that order */
    order = pyro_malloc(((size_t)t->nfuncs + 1) * sizeof *order);
    rank = pyro_malloc(((size_t)t->nfuncs + 1) * sizeof *rank);
    sorted = pyro_malloc(((size_t)t->nfuncs + 1) * sizeof *sorted);
    if (!order || !rank || !sorted) {
        rc = PYRO_ENOMEM;
        goto cleanup;
    }
    for (uint32_t i = 0; i < t->nfuncs; i++) {
        const pyro_func_t *f = &p->funcs[funcs[i].func];
        order[i] = (func_key_t){pyro_profile_strget(p, f->file),
                                pyro_profile_strget(p, f->qualname), f->line, i};
    }
    if (t->nfuncs)
        qsort(order, t->nfuncs, sizeof *order, func_key_cmp);
    for (uint32_t i = 0; i < t->nfuncs; i++) {
        sorted[i] = funcs[order[i].i];
        rank[order[i].i] = i;
    }
    for (uint32_t k = 0; k < ne; k++)
        ents[k].fi = rank[ents[k].fi];
    if (ne)
        qsort(ents, ne, sizeof *ents, entry_cmp);
    t->lines = pyro_malloc(((size_t)ne + 1) * sizeof *t->lines);
    if (!t->lines) {
        rc = PYRO_ENOMEM;
        goto cleanup;
    }
    for (uint32_t i = 0; i < t->nfuncs; i++)
        sorted[i].last_line = p->funcs[sorted[i].func].line;
    for (uint32_t k = 0; k < ne; k++) {
        pyro_lt_func_t *fn = &sorted[ents[k].fi];
        if (!fn->n)
            fn->first = k;
        fn->n++;
        fn->last_line = ents[k].l.line; /* in order: the last one wins */
        t->lines[k] = ents[k].l;
    }
    t->nlines = ne;
    t->funcs = sorted;
    sorted = NULL;
cleanup:
    if (rc) {
        pyro_free(t->lines);
        memset(t, 0, sizeof *t);
    }
    pyro_map_free(&index);
    pyro_free(fidx);
    pyro_free(order);
    pyro_free(rank);
    pyro_free(sorted);
    pyro_free(funcs);
    pyro_free(ents);
    return rc;
}

void pyro_linetimes_free(pyro_linetimes_t *t)
{
    pyro_free(t->funcs);
    pyro_free(t->lines);
    memset(t, 0, sizeof *t);
}

/* ==== the unit ==== */

int pyro_linetime_auto_unit(const pyro_linetimes_t *t, const uint8_t *shown)
{
    double min_per = 0, max_per = 0, max_time = 0;
    for (uint32_t i = 0; i < t->nfuncs; i++) {
        const pyro_lt_func_t *fn = &t->funcs[i];
        if (shown && !shown[i])
            continue;
        if ((double)fn->total_ns > max_time)
            max_time = (double)fn->total_ns;
        for (uint32_t k = fn->first; k < fn->first + fn->n; k++) {
            const pyro_lt_line_t *l = &t->lines[k];
            if (!l->hits || !l->ns)
                continue;
            double per = (double)l->ns / (double)l->hits;
            if (!min_per || per < min_per)
                min_per = per;
            if (per > max_per)
                max_per = per;
            if ((double)l->ns > max_time)
                max_time = (double)l->ns;
        }
    }
    if (!min_per)
        return PYRO_TIME_US; /* line_profiler's */
    int u = PYRO_TIME_NS;
    while (u > PYRO_TIME_S && min_per >= (double)pyro_time_unit_ns(u - 1))
        u--;
    while (u > PYRO_TIME_S && (max_time >= 1e9 * (double)pyro_time_unit_ns(u) ||
                               max_per >= 1e6 * (double)pyro_time_unit_ns(u)))
        u--;
    return u;
}

/* ==== writing ==== */

#define ROW "%6s %9s %12s %8s %8s  %s\n" /* line_profiler's columns */

static double pct(int64_t part, int64_t whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* One row: line `n`, its numbers (NULL, or a line never executed: blank) and
 * its text. */
static void row(pyro_buf_t *out, const pyro_render_opts_t *o, uint32_t n, const pyro_lt_line_t *l,
                int64_t total, double unit_ns, const char *text, size_t len)
{
    pyro_buf_printf(out, "%6u", n);
    if (l && l->hits) {
        double p = pct(l->ns, total);
        const char *color = p >= 50   ? pyro_color(o, PYRO_C_RED)
                            : p >= 10 ? pyro_color(o, PYRO_C_YELLOW)
                                      : "";
        pyro_buf_printf(out, " %9lld %12.1f %8.1f %s%8.1f%s", (long long)l->hits,
                        (double)l->ns / unit_ns, (double)l->ns / unit_ns / (double)l->hits, color,
                        p, *color ? pyro_color(o, PYRO_C_RESET) : "");
    } else {
        pyro_buf_printf(out, "%41s", "");
    }
    pyro_buf_puts(out, "  ");
    pyro_buf_append(out, text, len);
    pyro_buf_putc(out, '\n');
}

/* The header and table of function `fn` of `t`. */
static int write_func(const pyro_profile_t *p, const pyro_render_opts_t *o,
                      const pyro_linetimes_t *t, const pyro_lt_func_t *fn, double unit_ns,
                      pyro_buf_t *out)
{
    const pyro_func_t *f = &p->funcs[fn->func];
    const char *file = pyro_profile_strget(p, f->file);
    const char *name = pyro_profile_strget(p, f->name);
    const pyro_lt_line_t *ls = t->lines + fn->first;
    int64_t sum = 0, hits = 0;
    for (uint32_t k = 0; k < fn->n; k++) {
        sum = sat_add(sum, ls[k].ns);
        hits = sat_add(hits, ls[k].hits);
    }
    int64_t total = fn->total_ns ? fn->total_ns : sum;
    pyro_buf_printf(out, "\nTotal time: %g s\nFile: %s\n%sFunction: %s at line %u%s",
                    (double)total * 1e-9, pyro_render_path(o, file), pyro_color(o, PYRO_C_BOLD),
                    pyro_profile_strget(p, f->qualname), f->line, pyro_color(o, PYRO_C_RESET));
    if (!fn->calls && !hits) {
        pyro_buf_puts(out, ": never called\n");
        return pyro_buf_status(out);
    }
    pyro_buf_printf(out, " (%lld call%s)\n", (long long)fn->calls, fn->calls == 1 ? "" : "s");
    pyro_source_t src;
    int rc = pyro_source_read(&src, file);
    if (rc) {
        pyro_source_free(&src);
        return rc;
    }
    uint32_t lo = f->line, hi = fn->last_line > f->line ? fn->last_line : f->line;
    if (fn->n && ls[0].line < lo)
        lo = ls[0].line;
    if (!pyro_source_unreadable(out, o, &src, file, "timed")) {
        uint32_t first, last;
        if (name[0] != '<' && f->line <= src.nlines &&
            !pyro_source_def_extent(&src, f, name, &first, &last))
            pyro_source_not_def(out, o, file, f->line, name);
        if (hi > src.nlines)
            pyro_source_too_short(out, o, &src, file, hi);
    }
    pyro_buf_putc(out, '\n');
    pyro_buf_printf(out, "%s", pyro_color(o, PYRO_C_CYAN));
    size_t at = out->len;
    pyro_buf_printf(out, "%6s %9s %12s %8s %8s  %s", "Line #", "Hits", "Time", "Per Hit", "% Time",
                    "Line Contents");
    size_t width = out->len - at;
    pyro_buf_printf(out, "%s\n", pyro_color(o, PYRO_C_RESET));
    pyro_buf_fill(out, '=', width);
    pyro_buf_putc(out, '\n');
    uint32_t k = 0;
    for (uint64_t n = lo; n <= hi; n++) {
        while (k < fn->n && ls[k].line < n)
            k++;
        const pyro_lt_line_t *l = k < fn->n && ls[k].line == n ? &ls[k] : NULL;
        size_t len = 0;
        const char *text = pyro_source_line(&src, (uint32_t)n, &len);
        if (!l && !text) { /* nothing to show: on to the next line that has code */
            if (k >= fn->n)
                break;
            n = ls[k].line - 1;
            continue;
        }
        if (!text) {
            text = src.err ? "" : "(past the end of the file)";
            len = strlen(text);
        }
        row(out, o, (uint32_t)n, l, sum, unit_ns, text, len);
    }
    pyro_source_free(&src);
    return pyro_buf_status(out);
}

/* A function ranked by its time, for the limit. */
typedef struct by_time {
    int64_t ns;
    uint32_t i;
} by_time_t;

static int by_time_cmp(const void *a, const void *b)
{
    const by_time_t *x = a, *y = b;
    if (x->ns != y->ns)
        return x->ns > y->ns ? -1 : 1;
    return x->i < y->i ? -1 : (x->i > y->i);
}

int pyro_fmt_linetime(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *p = ctx->raw;
    const pyro_render_opts_t *o = ctx->o;
    pyro_linetimes_t t;
    uint8_t *shown = NULL;
    by_time_t *rank = NULL;
    int rc = pyro_linetimes_collect(p, &t);
    if (rc)
        return rc;
    shown = pyro_calloc((size_t)t.nfuncs + 1, 1);
    rank = pyro_calloc((size_t)t.nfuncs + 1, sizeof *rank);
    if (!shown || !rank) {
        rc = PYRO_ENOMEM;
        goto cleanup;
    }
    uint32_t selected = 0;
    for (uint32_t i = 0; i < t.nfuncs; i++)
        if (pyro_lines_match(p, t.funcs[i].func, o->function))
            rank[selected++] = (by_time_t){t.funcs[i].total_ns, i};
    if (!selected && o->function && *o->function) {
        rc = PYRO_ENOMATCH;
        goto cleanup;
    }
    uint32_t nshown = o->limit && o->limit < selected ? o->limit : selected;
    if (nshown < selected)
        qsort(rank, selected, sizeof *rank, by_time_cmp);
    for (uint32_t i = 0; i < nshown; i++)
        shown[rank[i].i] = 1;
    int unit = o->unit > PYRO_TIME_AUTO && o->unit < PYRO_TIME_COUNT
                   ? o->unit
                   : pyro_linetime_auto_unit(&t, shown);
    double unit_ns = (double)pyro_time_unit_ns(unit);
    pyro_buf_printf(out, "Timer unit: %g s\n", unit_ns * 1e-9);
    const char *complete = pyro_profile_get_meta(p, "complete");
    if (complete && strcmp(complete, "no") == 0)
        pyro_buf_printf(out,
                        "%sIncomplete: line events were dropped for lack of memory; the numbers "
                        "are too low%s\n",
                        pyro_color(o, PYRO_C_YELLOW), pyro_color(o, PYRO_C_RESET));
    if (!t.nfuncs)
        pyro_buf_puts(out, "\nNo function was timed: choose functions with @profile, --function "
                           "or --module.\n");
    else if (nshown < selected)
        pyro_buf_printf(out, "%u of %u functions, those with the most time (the limit)\n", nshown,
                        selected);
    for (uint32_t i = 0; i < t.nfuncs && !rc; i++)
        if (shown[i])
            rc = write_func(p, o, &t, &t.funcs[i], unit_ns, out);
    if (!rc)
        rc = pyro_buf_status(out);
cleanup:
    pyro_free(shown);
    pyro_free(rank);
    pyro_linetimes_free(&t);
    return rc;
}
