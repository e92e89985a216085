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
                const pyro_render_opts_t *o)
{
    const pyro_fstat_t *fs = &s->funcs[f];
    double share = s->total_time > 0 ? fs->tottime / s->total_time : 0;
    const char *hot = share >= 0.10   ? pyro_color(o, PYRO_C_RED)
                      : share >= 0.02 ? pyro_color(o, PYRO_C_YELLOW)
                                      : "";
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
                      uint32_t other, const pyro_render_opts_t *o)
{
    pyro_buf_puts(out, "    ");
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

int pyro_fmt_table(const pyro_profile_t *p, const pyro_stats_t *s, const pyro_render_opts_t *o,
                   pyro_buf_t *out)
{
    uint32_t *order = pyro_calloc(s->nfuncs ? s->nfuncs : 1, sizeof *order);
    const pyro_edge_t **edges = pyro_calloc(s->nedges ? s->nedges : 1, sizeof *edges);
    if (!order || !edges) {
        pyro_free(order);
        pyro_free(edges);
        return PYRO_ENOMEM;
    }
    uint32_t n = pyro_stats_order(s, p, o->sort, order);
    int sort = o->sort >= 0 && o->sort <= PYRO_SORT_FILE ? o->sort : 0;

    pyro_buf_printf(out, "         %llu function calls", (unsigned long long)s->total_calls);
    if (s->total_calls != s->prim_calls)
        pyro_buf_printf(out, " (%llu primitive calls)", (unsigned long long)s->prim_calls);
    pyro_buf_printf(out, " in %.3f seconds", s->total_time);
    const char *clock = pyro_profile_get_meta(p, "clock");
    if (clock)
        pyro_buf_printf(out, " %s(%s clock)%s", pyro_color(o, PYRO_C_DIM), clock,
                        pyro_color(o, PYRO_C_RESET));
    pyro_buf_puts(out, "\n\n");
    pyro_buf_printf(out, "   Ordered by: %s\n", sort_titles[sort]);
    uint32_t shown = o->limit && o->limit < n ? o->limit : n;
    if (shown < n)
        pyro_buf_printf(out, "   List reduced from %u to %u due to restriction <%u>\n", n, shown,
                        o->limit);
    pyro_buf_printf(
        out, "\n%s   ncalls  tottime  percall  cumtime  percall filename:lineno(function)%s\n",
        pyro_color(o, PYRO_C_CYAN), pyro_color(o, PYRO_C_RESET));
    for (uint32_t i = 0; i < shown; i++)
        row(out, p, s, order[i], o);

    uint32_t blocks = o->ncallers < shown ? o->ncallers : shown;
    if (blocks) {
        pyro_buf_printf(out, "\n   Callers and callees of the top %u (by %s)\n", blocks,
                        sort_titles[sort]);
        pyro_buf_printf(out, "%s                ncalls  tottime  cumtime%s\n",
                        pyro_color(o, PYRO_C_CYAN), pyro_color(o, PYRO_C_RESET));
    }
    for (uint32_t i = 0; i < blocks; i++) {
        uint32_t f = order[i];
        const pyro_fstat_t *fs = &s->funcs[f];
        pyro_buf_printf(out, "\n%s", pyro_color(o, PYRO_C_BOLD));
        label(out, p, f, o);
        pyro_buf_printf(out, "%s\n", pyro_color(o, PYRO_C_RESET));
        pyro_buf_printf(out, "  %scalled by:%s", pyro_color(o, PYRO_C_DIM),
                        pyro_color(o, PYRO_C_RESET));
        pyro_buf_puts(out, fs->ncallers ? "\n" : " (nothing traced: a root)\n");
        uint32_t n = 0;
        for (uint32_t e = fs->first_caller; e < fs->first_caller + fs->ncallers; e++)
            edges[n++] = &s->edges[e];
        qsort(edges, n, sizeof *edges, by_cumtime);
        for (uint32_t e = 0; e < n; e++)
            edge_line(out, p, edges[e], edges[e]->caller, o);
        n = 0;
        for (uint32_t e = 0; e < s->nedges; e++)
            if (s->edges[e].caller == f)
                edges[n++] = &s->edges[e];
        if (n)
            pyro_buf_printf(out, "  %scalls:%s\n", pyro_color(o, PYRO_C_DIM),
                            pyro_color(o, PYRO_C_RESET));
        qsort(edges, n, sizeof *edges, by_cumtime);
        for (uint32_t e = 0; e < n; e++)
            edge_line(out, p, edges[e], edges[e]->callee, o);
    }
    pyro_free(edges);
    pyro_free(order);
    return pyro_buf_status(out);
}
