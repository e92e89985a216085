/* SPDX-License-Identifier: MIT */
/* fmt_gc: totals from the gc_* metadata (exact), lines summed from the rows
 * (sorted by function and line, then ranked by pause). */
#include "format/fmt_gc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"

/* One line's collections. */
typedef struct gc_line {
    int64_t func; /* -1: no Python frame */
    int64_t line, count, pause;
} gc_line_t;

/* Metadata `key` as an integer, or `dflt` when absent or not one. */
static int64_t meta_int(const pyro_profile_t *p, const char *key, int64_t dflt)
{
    const char *v = pyro_profile_get_meta(p, key);
    if (!v || !*v)
        return dflt;
    char *end = NULL;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    return *end || errno ? dflt : (int64_t)x;
}

static int by_place(const void *a, const void *b)
{
    const gc_line_t *x = a, *y = b;
    if (x->func != y->func)
        return x->func < y->func ? -1 : 1;
    return x->line < y->line ? -1 : (x->line > y->line);
}

static int by_pause(const void *a, const void *b)
{
    const gc_line_t *x = a, *y = b;
    if (x->pause != y->pause)
        return x->pause > y->pause ? -1 : 1;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return by_place(a, b);
}

/* The rows of series `s` summed per (function, line), by pause; *n of them
 * (the caller frees *out). PYRO_OK or PYRO_ENOMEM. */
static int lines_of(const pyro_profile_t *p, const pyro_series_t *s, gc_line_t **out, uint32_t *n)
{
    int cf = pyro_series_col(p, s, "func"), cl = pyro_series_col(p, s, "line");
    int cc = pyro_series_col(p, s, "count"), cp = pyro_series_col(p, s, "pause_ns");
    *out = NULL;
    *n = 0;
    if (cf < 0 || cl < 0 || cp < 0 || !s->nrows)
        return PYRO_OK;
    gc_line_t *l = pyro_calloc(s->nrows, sizeof *l);
    if (!l)
        return PYRO_ENOMEM;
    for (uint32_t r = 0; r < s->nrows; r++) {
        const int64_t *v = s->vals + (size_t)r * s->ncols;
        int64_t f = v[cf] >= 0 && (uint64_t)v[cf] < p->nfuncs ? v[cf] : -1;
        l[r] = (gc_line_t){f, f >= 0 ? v[cl] : 0, cc >= 0 ? v[cc] : 1, v[cp]};
    }
    qsort(l, s->nrows, sizeof *l, by_place);
    uint32_t k = 0;
    for (uint32_t r = 0; r < s->nrows; r++) {
        if (k && l[k - 1].func == l[r].func && l[k - 1].line == l[r].line) {
            l[k - 1].count += l[r].count;
            l[k - 1].pause += l[r].pause;
        } else {
            l[k++] = l[r];
        }
    }
    qsort(l, k, sizeof *l, by_pause);
    *out = l;
    *n = k;
    return PYRO_OK;
}

/* Rows a table shows of `n`: the option's limit, or under the default
 * limit PYRO_GC_LINES. */
static uint32_t shown(const pyro_render_opts_t *o, uint32_t n)
{
    pyro_render_opts_t d;
    pyro_render_defaults(&d);
    uint32_t lim = o->limit == d.limit ? PYRO_GC_LINES : o->limit;
    return lim && lim < n ? lim : n;
}

static void seconds(pyro_buf_t *out, int64_t ns, int width)
{
    pyro_render_duration(out, (double)ns * 1e-9, width);
}

static void summary(pyro_buf_t *out, const pyro_profile_t *p, const pyro_render_opts_t *o)
{
    int64_t n = meta_int(p, "gc_collections", 0), run = meta_int(p, "gc_run_ns", 0);
    int64_t pause = meta_int(p, "gc_pause_ns", 0);
    pyro_buf_printf(out, "\n  %-22s", "collections");
    pyro_render_count(out, (uint64_t)n, 10);
    pyro_buf_puts(out, "  generation");
    for (int g = 0; g < 3; g++) {
        char key[32];
        snprintf(key, sizeof key, "gc_collections_gen%d", g);
        pyro_buf_printf(out, "%s %d: %lld", g ? "," : "", g, (long long)meta_int(p, key, 0));
    }
    pyro_buf_printf(out, "\n  %-22s", "paused");
    seconds(out, pause, 10);
    if (run > 0) {
        pyro_buf_printf(out, "  %.1f%% of the ", 100.0 * (double)pause / (double)run);
        seconds(out, run, 0);
        pyro_buf_puts(out, " watched;");
    }
    pyro_buf_puts(out, " generation");
    for (int g = 0; g < 3; g++) {
        char key[32];
        snprintf(key, sizeof key, "gc_pause_gen%d_ns", g);
        pyro_buf_printf(out, "%s %d: ", g ? "," : "", g);
        seconds(out, meta_int(p, key, 0), 0);
    }
    int64_t max = meta_int(p, "gc_pause_max_ns", -1);
    if (n > 0 && max >= 0) {
        pyro_buf_printf(out, "\n  %-22s", "longest pause");
        seconds(out, max, 10);
        pyro_buf_printf(out, "  generation %lld, at ",
                        (long long)meta_int(p, "gc_pause_max_gen", 0));
        seconds(out, meta_int(p, "gc_pause_max_t_ns", 0), 0);
    }
    pyro_buf_printf(out, "\n  %-22s", "objects collected");
    pyro_render_count(out, (uint64_t)meta_int(p, "gc_collected", 0), 10);
    pyro_buf_printf(out, "  uncollectable: %lld", (long long)meta_int(p, "gc_uncollectable", 0));
    int64_t freed = meta_int(p, "gc_freed_bytes", INT64_MIN);
    if (freed != INT64_MIN) {
        pyro_buf_printf(out, "\n  %-22s", "freed by collections");
        pyro_render_bytes(out, freed, 10);
        pyro_buf_puts(out, "  of the tracked heap");
    }
    pyro_buf_putc(out, '\n');
    (void)o;
}

static void lines_table(pyro_buf_t *out, const pyro_profile_t *p, const pyro_render_opts_t *o,
                        const gc_line_t *l, uint32_t n)
{
    uint32_t k = shown(o, n);
    pyro_buf_printf(out, "\n%sWhere collections fired%s (by pause; ", pyro_color(o, PYRO_C_BOLD),
                    pyro_color(o, PYRO_C_RESET));
    if (k < n)
        pyro_buf_printf(out, "the top %u of %u lines", k, n);
    else
        pyro_buf_printf(out, "%u line%s", n, n == 1 ? "" : "s");
    if (meta_int(p, "gc_rows_merged", 0) > 0)
        pyro_buf_puts(out, "; approximate: neighbouring collections were merged to bound memory");
    pyro_buf_printf(out, ")\n%s  collections      pause  line%s\n", pyro_color(o, PYRO_C_CYAN),
                    pyro_color(o, PYRO_C_RESET));
    for (uint32_t i = 0; i < k; i++) {
        pyro_buf_puts(out, "  ");
        pyro_render_count(out, (uint64_t)l[i].count, 11);
        pyro_buf_putc(out, ' ');
        seconds(out, l[i].pause, 10);
        if (l[i].func < 0) {
            pyro_buf_puts(out, "  (no Python frame)\n");
            continue;
        }
        const pyro_func_t *fn = &p->funcs[l[i].func];
        pyro_buf_printf(out, "  %s:%lld %s%s%s\n",
                        pyro_render_path(o, pyro_profile_strget(p, fn->file)), (long long)l[i].line,
                        pyro_color(o, PYRO_C_BOLD), pyro_profile_strget(p, fn->qualname),
                        pyro_color(o, PYRO_C_RESET));
    }
}

static void types_table(pyro_buf_t *out, const pyro_profile_t *p, const pyro_render_opts_t *o)
{
    const char *state = pyro_profile_get_meta(p, "gc_types");
    const pyro_series_t *s = pyro_profile_find_series(p, "gc_types");
    if (!state || strcmp(state, "tracked") != 0 || !s) {
        const char *py = pyro_profile_get_meta(p, "python");
        pyro_buf_printf(out,
                        "\n%sTypes of the objects collections freed: not shown. This Python%s%s "
                        "offers no way to\nsee them without changing the program (CPython 3.13 "
                        "and later do, through PyRefTracer, except free-threaded builds).%s\n",
                        pyro_color(o, PYRO_C_DIM), py ? " " : "", py ? py : "",
                        pyro_color(o, PYRO_C_RESET));
        return;
    }
    int ct = pyro_series_col(p, s, "type"), cn = pyro_series_col(p, s, "objects");
    if (ct < 0 || cn < 0)
        return;
    uint32_t n = s->nrows, k = shown(o, n);
    pyro_buf_printf(out, "\n%sObjects the collections freed, by type%s (",
                    pyro_color(o, PYRO_C_BOLD), pyro_color(o, PYRO_C_RESET));
    if (k < n)
        pyro_buf_printf(out, "the top %u of %u types)\n", k, n);
    else
        pyro_buf_printf(out, "%u type%s)\n", n, n == 1 ? "" : "s");
    if (!n) {
        pyro_buf_puts(out, "  none: the collections freed no object\n");
        return;
    }
    pyro_buf_printf(out, "%s      objects  type%s\n", pyro_color(o, PYRO_C_CYAN),
                    pyro_color(o, PYRO_C_RESET));
    for (uint32_t i = 0; i < k; i++) {
        const int64_t *v = s->vals + (size_t)i * s->ncols;
        pyro_buf_puts(out, "  ");
        pyro_render_count(out, (uint64_t)v[cn], 11);
        pyro_buf_printf(out, "  %s\n",
                        v[ct] >= 0 && v[ct] <= UINT32_MAX ? pyro_profile_strget(p, (uint32_t)v[ct])
                                                          : "?");
    }
    int64_t other = meta_int(p, "gc_types_other", 0);
    if (other > 0)
        pyro_buf_printf(out,
                        "  and %lld objects of other types (more type names than the profiler "
                        "keeps)\n",
                        (long long)other);
}

int pyro_fmt_gc(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *p = ctx->raw;
    const pyro_render_opts_t *o = ctx->o;
    const pyro_series_t *s = pyro_profile_find_series(p, "gc");
    if (!s)
        return PYRO_OK;
    pyro_buf_printf(out, "\n%sGarbage collector%s (--gc)", pyro_color(o, PYRO_C_BOLD),
                    pyro_color(o, PYRO_C_RESET));
    if (meta_int(p, "gc_collections", (int64_t)s->nrows) <= 0) {
        pyro_buf_puts(out, "\n  No collection ran while the program was watched.\n");
        return pyro_buf_status(out);
    }
    summary(out, p, o);
    gc_line_t *l = NULL;
    uint32_t n = 0;
    int rc = lines_of(p, s, &l, &n);
    if (rc)
        return rc;
    if (n)
        lines_table(out, p, o, l, n);
    pyro_free(l);
    types_table(out, p, o);
    return pyro_buf_status(out);
}

/* ==== JSON ==== */

static void jstr(pyro_buf_t *out, const char *s) { pyro_buf_json_str(out, s, strlen(s)); }

static void jmeta(pyro_buf_t *out, const pyro_profile_t *p, const char *name, const char *key)
{
    int64_t v = meta_int(p, key, INT64_MIN);
    if (v == INT64_MIN)
        pyro_buf_printf(out, ",\"%s\":null", name);
    else
        pyro_buf_printf(out, ",\"%s\":%lld", name, (long long)v);
}

int pyro_fmt_gc_json(const pyro_profile_t *p, pyro_buf_t *out)
{
    const pyro_series_t *s = pyro_profile_find_series(p, "gc");
    if (!s)
        return PYRO_OK;
    pyro_buf_printf(out, ",\n\"gc\":{\"collections\":%lld",
                    (long long)meta_int(p, "gc_collections", (int64_t)s->nrows));
    for (int k = 0; k < 2; k++) {
        pyro_buf_puts(out,
                      k ? ",\"pause_by_generation_ns\":[" : ",\"collections_by_generation\":[");
        for (int g = 0; g < 3; g++) {
            char key[32];
            snprintf(key, sizeof key, k ? "gc_pause_gen%d_ns" : "gc_collections_gen%d", g);
            pyro_buf_printf(out, "%s%lld", g ? "," : "", (long long)meta_int(p, key, 0));
        }
        pyro_buf_putc(out, ']');
    }
    jmeta(out, p, "pause_ns", "gc_pause_ns");
    jmeta(out, p, "pause_max_ns", "gc_pause_max_ns");
    jmeta(out, p, "pause_max_generation", "gc_pause_max_gen");
    jmeta(out, p, "pause_max_t_ns", "gc_pause_max_t_ns");
    jmeta(out, p, "run_ns", "gc_run_ns");
    jmeta(out, p, "collected", "gc_collected");
    jmeta(out, p, "uncollectable", "gc_uncollectable");
    jmeta(out, p, "freed_bytes", "gc_freed_bytes");
    jmeta(out, p, "rows_merged", "gc_rows_merged");
    const char *state = pyro_profile_get_meta(p, "gc_types");
    pyro_buf_printf(out, ",\"types\":\"%s\"",
                    state && strcmp(state, "tracked") == 0 ? "tracked" : "unavailable");
    gc_line_t *l = NULL;
    uint32_t n = 0;
    int rc = lines_of(p, s, &l, &n);
    if (rc)
        return rc;
    pyro_buf_puts(out, ",\n\"lines\":[");
    for (uint32_t i = 0; i < n; i++) {
        pyro_buf_puts(out, i ? ",{" : "{");
        if (l[i].func >= 0) {
            const pyro_func_t *fn = &p->funcs[l[i].func];
            pyro_buf_printf(out, "\"function\":%lld,\"file\":", (long long)l[i].func);
            jstr(out, pyro_profile_strget(p, fn->file));
            pyro_buf_puts(out, ",\"qualname\":");
            jstr(out, pyro_profile_strget(p, fn->qualname));
        } else {
            pyro_buf_puts(out, "\"function\":-1,\"file\":null,\"qualname\":null");
        }
        pyro_buf_printf(out, ",\"line\":%lld,\"collections\":%lld,\"pause_ns\":%lld}",
                        (long long)l[i].line, (long long)l[i].count, (long long)l[i].pause);
    }
    pyro_free(l);
    pyro_buf_puts(out, "],\n\"freed_types\":[");
    const pyro_series_t *t = pyro_profile_find_series(p, "gc_types");
    int ct = t ? pyro_series_col(p, t, "type") : -1, cn = t ? pyro_series_col(p, t, "objects") : -1;
    for (uint32_t i = 0; ct >= 0 && cn >= 0 && i < t->nrows; i++) {
        const int64_t *v = t->vals + (size_t)i * t->ncols;
        pyro_buf_puts(out, i ? ",{\"type\":" : "{\"type\":");
        jstr(out,
             v[ct] >= 0 && v[ct] <= UINT32_MAX ? pyro_profile_strget(p, (uint32_t)v[ct]) : "?");
        pyro_buf_printf(out, ",\"objects\":%lld}", (long long)v[cn]);
    }
    pyro_buf_puts(out, "],\n");
    pyro_render_json_series(out, p, s);
    pyro_buf_putc(out, '}');
    return pyro_buf_status(out);
}
