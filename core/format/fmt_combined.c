/* SPDX-License-Identifier: MIT */
/* fmt_combined: lines gathered from the raw nodes with a map of (function,
 * line), each summing time and the memory columns; ranked by a key set
 * before sorting. */
#include "format/fmt_combined.h"

#include <stdlib.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"
#include "model/map.h"
#include "format/source.h"

#define SOURCE_MAX 60 /* columns of source shown */

typedef struct cline {
    uint32_t func, line;
    int64_t ns, alloc, leaked, peak;
    double key; /* the rank: larger first */
} cline_t;

static int cline_cmp(const void *a, const void *b)
{
    const cline_t *x = a, *y = b;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    if (x->ns != y->ns)
        return x->ns > y->ns ? -1 : 1;
    if (x->func != y->func)
        return x->func < y->func ? -1 : 1;
    return x->line < y->line ? -1 : (x->line > y->line);
}

/* The lines of `p` with their sums into *out (*n), and the sums over all of
 * them into *all. PYRO_OK or PYRO_ENOMEM. */
static int gather(const pyro_profile_t *p, int cpu, cline_t **out, uint32_t *n, cline_t *all)
{
    pyro_map_t index;
    pyro_map_init(&index);
    cline_t *l = NULL;
    uint32_t count = 0, cap = 0;
    int rc = PYRO_OK;
    memset(all, 0, sizeof *all);
    for (uint32_t i = 0; i < p->nnodes && !rc; i++) {
        const pyro_node_t *nd = &p->nodes[i];
        cline_t v = {nd->func,
                     nd->line,
                     pyro_node_metric(p, i, cpu ? PYRO_M_CPU_NS : PYRO_M_SELF_NS),
                     pyro_node_metric(p, i, PYRO_M_ALLOC_BYTES),
                     pyro_node_metric(p, i, PYRO_M_LEAKED_BYTES),
                     pyro_node_metric(p, i, PYRO_M_PEAK_BYTES),
                     0};
        if (v.ns <= 0 && v.alloc <= 0)
            continue;
        uint32_t k;
        if (!pyro_map_get(&index, nd->func, nd->line, &k)) {
            if ((rc = pyro_grow((void **)&l, &cap, count, sizeof *l)) ||
                (rc = pyro_map_put(&index, nd->func, nd->line, count)))
                break;
            l[count] = (cline_t){.func = nd->func, .line = nd->line};
            k = count++;
        }
        l[k].ns += v.ns;
        l[k].alloc += v.alloc;
        l[k].leaked += v.leaked;
        l[k].peak += v.peak;
        all->ns += v.ns;
        all->alloc += v.alloc;
        all->leaked += v.leaked;
        all->peak += v.peak;
    }
    pyro_map_free(&index);
    if (rc) {
        pyro_free(l);
        l = NULL;
        count = 0;
    }
    *out = l;
    *n = count;
    return rc;
}

static double frac(int64_t part, int64_t whole)
{
    return whole > 0 && part > 0 ? (double)part / (double)whole : 0.0;
}

int pyro_fmt_combined_lines(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *p = ctx->raw;
    const pyro_render_opts_t *o = ctx->o;
    if (pyro_profile_col(p, PYRO_M_ALLOC_BYTES) < 0)
        return PYRO_OK;
    cline_t *l = NULL, all;
    uint32_t n = 0;
    pyro_source_cache_t src;
    memset(&src, 0, sizeof src);
    int rc = gather(p, o->cpu, &l, &n, &all);
    if (rc)
        goto cleanup;
    if (!all.ns && !all.alloc) /* nothing sampled, nothing allocated: the report says so */
        goto cleanup;
    int m = o->metric;
    int by_metric = m == PYRO_M_PEAK_BYTES || m == PYRO_M_ALLOC_BYTES || m == PYRO_M_LEAKED_BYTES;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; i++) {
        double t = frac(l[i].ns, all.ns), a = frac(l[i].alloc, all.alloc),
               k = frac(l[i].peak, all.peak);
        double share = t > a ? t : a;
        share = share > k ? share : k;
        if (by_metric) /* the metric's own share */
            share = m == PYRO_M_PEAK_BYTES     ? k
                    : m == PYRO_M_LEAKED_BYTES ? frac(l[i].leaked, all.leaked)
                                               : a;
        if (share < o->threshold || share <= 0)
            continue;
        l[i].key = !by_metric                 ? share
                   : m == PYRO_M_PEAK_BYTES   ? (double)l[i].peak
                   : m == PYRO_M_LEAKED_BYTES ? (double)l[i].leaked
                                              : (double)l[i].alloc;
        l[kept++] = l[i];
    }
    if (kept > 1)
        qsort(l, kept, sizeof *l, cline_cmp);
    uint32_t shown = o->limit && o->limit < kept ? o->limit : kept;
    pyro_buf_printf(out,
                    "\n%sLines: time and memory%s (own %s time; bytes the line allocated, "
                    "of them still live at exit (net) and live at the peak of the heap",
                    pyro_color(o, PYRO_C_BOLD), pyro_color(o, PYRO_C_RESET),
                    o->cpu ? "CPU" : "wall");
    pyro_buf_printf(out, "; by %s",
                    !by_metric                 ? "the larger share of time or memory"
                    : m == PYRO_M_PEAK_BYTES   ? "bytes live at the peak"
                    : m == PYRO_M_LEAKED_BYTES ? "bytes live at exit"
                                               : "bytes allocated");
    if (shown < kept)
        pyro_buf_printf(out, "; %u of %u lines", shown, kept);
    pyro_buf_printf(out, ")\n%s       %%     time   allocated         net     at peak  line%s\n",
                    pyro_color(o, PYRO_C_CYAN), pyro_color(o, PYRO_C_RESET));
    if (!kept)
        pyro_buf_puts(out, "  (no line took time or allocated memory above the threshold)\n");
    for (uint32_t i = 0; i < shown && !rc; i++) {
        const pyro_func_t *fn = &p->funcs[l[i].func];
        const char *file = pyro_profile_strget(p, fn->file);
        double s = (double)l[i].ns * 1e-9;
        if (all.ns > 0 && l[i].ns > 0) {
            pyro_buf_printf(out, "  %5.1f%% ", 100.0 * frac(l[i].ns, all.ns));
            pyro_render_duration(out, s, 8);
        } else { /* no time: a line seen only allocating */
            pyro_buf_printf(out, "%17s", "");
        }
        pyro_buf_putc(out, ' ');
        pyro_render_bytes(out, l[i].alloc, 11);
        pyro_buf_putc(out, ' ');
        pyro_render_bytes(out, l[i].leaked, 11);
        pyro_buf_putc(out, ' ');
        pyro_render_bytes(out, l[i].peak, 11);
        if (fn->kind == PYRO_FUNC_NATIVE)
            pyro_buf_printf(out, "  %s%s%s", pyro_color(o, PYRO_C_BOLD),
                            pyro_profile_strget(p, fn->name), pyro_color(o, PYRO_C_RESET));
        else
            pyro_buf_printf(out, "  %s:%u %s%s%s", pyro_render_path(o, file), l[i].line,
                            pyro_color(o, PYRO_C_BOLD), pyro_profile_strget(p, fn->qualname),
                            pyro_color(o, PYRO_C_RESET));
        if (fn->kind != PYRO_FUNC_NATIVE)
            rc = pyro_source_put_line(out, o, &src, file, l[i].line, SOURCE_MAX);
        pyro_buf_putc(out, '\n');
    }
cleanup:
    pyro_source_free(&src.src);
    pyro_free(l);
    return rc ? rc : pyro_buf_status(out);
}
