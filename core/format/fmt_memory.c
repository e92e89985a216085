/* SPDX-License-Identifier: MIT */
/* fmt_memory: lines are gathered from the nodes with a map of (function,
 * line); a stack is a node (a node is one call path of one thread), ranked
 * by its own bytes of a metric and shown by walking up to its root. */
#include "format/fmt_memory.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"
#include "model/map.h"
#include "format/fmt_memlines.h"
#include "format/source.h"

#define SOURCE_MAX 60 /* columns of source shown */

/* ==== the numbers ==== */

/* One line's sums over every stack and thread. */
typedef struct mem_line {
    uint32_t func, line;
    int64_t alloc, allocs, freed, peak, peak_allocs, leaked;
    int64_t key; /* what a section ranks by (set before it sorts) */
} mem_line_t;

/* The profile's totals: from the recorder's metadata where present, else
 * summed from the nodes. */
typedef struct totals {
    int64_t alloc, allocs, peak, leaked, leaked_allocs;
    int64_t peak_allocs; /* -1: a profile of an earlier version, whose nodes lack them */
    int64_t interval;    /* -1 when unknown */
    int64_t peak_ns, duration_ns, rss_peak, own, dropped, lost; /* -1 when unknown */
    int several; /* allocations were made on more than one thread */
} totals_t;

/* Metadata `key` as a non-negative integer, or -1 when absent or not one. */
static int64_t meta_int(const pyro_profile_t *p, const char *key)
{
    const char *v = pyro_profile_get_meta(p, key);
    if (!v || !*v)
        return -1;
    char *end = NULL;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    return *end || errno || x < 0 ? -1 : (int64_t)x;
}

static void totals_of(const pyro_profile_t *p, totals_t *t)
{
    memset(t, 0, sizeof *t);
    uint32_t first = PYRO_NONE; /* the first thread seen allocating */
    for (uint32_t n = 0; n < p->nnodes; n++) {
        int64_t a = pyro_node_metric(p, n, PYRO_M_ALLOC_BYTES);
        t->alloc += a;
        t->allocs += pyro_node_metric(p, n, PYRO_M_ALLOCS);
        t->peak += pyro_node_metric(p, n, PYRO_M_PEAK_BYTES);
        t->leaked += pyro_node_metric(p, n, PYRO_M_LEAKED_BYTES);
        t->leaked_allocs += pyro_node_metric(p, n, PYRO_M_LEAKED_ALLOCS);
        uint32_t th = p->nodes[n].thread;
        if (a > 0 && first == PYRO_NONE)
            first = th;
        else if (a > 0 && th != first)
            t->several = 1;
    }
    /* the recorder's own figures count what the tree may not (dropped stacks) */
    int64_t v;
    if ((v = meta_int(p, "mem_alloc_bytes")) >= 0)
        t->alloc = v;
    if ((v = meta_int(p, "mem_allocs")) >= 0)
        t->allocs = v;
    if ((v = meta_int(p, "mem_peak_bytes")) >= 0)
        t->peak = v;
    if ((v = meta_int(p, "mem_heap_bytes")) >= 0)
        t->leaked = v;
    if ((v = meta_int(p, "mem_live_allocs")) >= 0)
        t->leaked_allocs = v;
    t->peak_allocs = meta_int(p, "mem_peak_allocs");
    t->interval = meta_int(p, "mem_interval");
    t->peak_ns = meta_int(p, "mem_peak_ns");
    t->duration_ns = meta_int(p, "duration_ns");
    t->rss_peak = meta_int(p, "rss_peak_bytes");
    t->own = meta_int(p, "mem_own_bytes");
    t->dropped = meta_int(p, "mem_dropped");
    t->lost = meta_int(p, "mem_nogil_lost");
}

/* The lines of `p` with their sums into *out (*n of them). PYRO_OK or
 * PYRO_ENOMEM. */
static int lines_of(const pyro_profile_t *p, mem_line_t **out, uint32_t *n)
{
    pyro_map_t index;
    pyro_map_init(&index);
    mem_line_t *l = NULL;
    uint32_t count = 0, cap = 0;
    int rc = PYRO_OK;
    for (uint32_t i = 0; i < p->nnodes && !rc; i++) {
        const pyro_node_t *nd = &p->nodes[i];
        int64_t alloc = pyro_node_metric(p, i, PYRO_M_ALLOC_BYTES);
        int64_t allocs = pyro_node_metric(p, i, PYRO_M_ALLOCS);
        if (alloc <= 0 && allocs <= 0)
            continue;
        uint32_t k;
        if (!pyro_map_get(&index, nd->func, nd->line, &k)) {
            if ((rc = pyro_grow((void **)&l, &cap, count, sizeof *l)) ||
                (rc = pyro_map_put(&index, nd->func, nd->line, count)))
                break;
            l[count] = (mem_line_t){.func = nd->func, .line = nd->line};
            k = count++;
        }
        l[k].alloc += alloc;
        l[k].allocs += allocs;
        l[k].freed += pyro_node_metric(p, i, PYRO_M_FREED_BYTES);
        l[k].peak += pyro_node_metric(p, i, PYRO_M_PEAK_BYTES);
        l[k].peak_allocs += pyro_node_metric(p, i, PYRO_M_PEAK_ALLOCS);
        l[k].leaked += pyro_node_metric(p, i, PYRO_M_LEAKED_BYTES);
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

/* By key, largest first, then by function and line (a deterministic order). */
static int line_cmp(const void *a, const void *b)
{
    const mem_line_t *x = a, *y = b;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    if (x->func != y->func)
        return x->func < y->func ? -1 : 1;
    return x->line < y->line ? -1 : (x->line > y->line);
}

/* ==== pieces of text ==== */

typedef pyro_source_cache_t src_cache_t;

/* Append "  <source of line>" of `file` in dim (nothing when unreadable). */
static int source(pyro_buf_t *out, const pyro_render_opts_t *o, src_cache_t *c, const char *file,
                  uint32_t line)
{
    return pyro_source_put_line(out, o, c, file, line, SOURCE_MAX);
}

/* Append a share of `whole` as "  12.3%" ("  <0.1%" for a part too small to
 * show, blank when whole is 0). */
static void share(pyro_buf_t *out, int64_t part, int64_t whole)
{
    double pct = whole > 0 ? 100.0 * (double)part / (double)whole : 0;
    if (whole <= 0)
        pyro_buf_puts(out, "        ");
    else if (part > 0 && pct < 0.05)
        pyro_buf_puts(out, "   <0.1%");
    else
        pyro_buf_printf(out, " %6.1f%%", pct);
}

/* A section's title, bold, after a blank line (the caller ends the line). */
static void title(pyro_buf_t *out, const pyro_render_opts_t *o, const char *name)
{
    pyro_buf_printf(out, "\n%s%s%s", pyro_color(o, PYRO_C_BOLD), name, pyro_color(o, PYRO_C_RESET));
}

/* Name of thread `t`: its name, else "thread <native id>". */
static void thread_name(pyro_buf_t *out, const pyro_profile_t *p, uint32_t t)
{
    const char *name = t < p->nthreads ? pyro_profile_strget(p, p->threads[t].name) : "";
    if (*name)
        pyro_buf_puts(out, name);
    else
        pyro_buf_printf(out, "thread %llu",
                        t < p->nthreads ? (unsigned long long)p->threads[t].native_id : 0ULL);
}

/* Rows a section shows of `n`: the option's limit, or under the default
 * limit `dflt`. */
static uint32_t shown(const pyro_render_opts_t *o, uint32_t n, uint32_t dflt)
{
    pyro_render_opts_t d;
    pyro_render_defaults(&d);
    uint32_t lim = o->limit == d.limit ? dflt : o->limit;
    return lim && lim < n ? lim : n;
}

/* "(N of M LINES)" or "(M LINES)" after a title, with `what` before it. */
static void counted(pyro_buf_t *out, const char *what, uint32_t k, uint32_t n, const char *unit)
{
    pyro_buf_printf(out, " (%s%s", what, *what ? "; " : "");
    if (k < n)
        pyro_buf_printf(out, "the largest %u of %u %s%s)\n", k, n, unit, n == 1 ? "" : "s");
    else
        pyro_buf_printf(out, "%u %s%s)\n", n, unit, n == 1 ? "" : "s");
}

/* Append where line `line` of function `f` is: "path:line qualname" (the
 * name bold), or for a native or synthetic frame ("<no Python frame>",
 * "<truncated>") its name alone. */
static void where(pyro_buf_t *out, const pyro_profile_t *p, const pyro_render_opts_t *o, uint32_t f,
                  uint32_t line)
{
    const pyro_func_t *fn = &p->funcs[f];
    if (fn->kind == PYRO_FUNC_NATIVE)
        pyro_buf_printf(out, "  %s%s%s", pyro_color(o, PYRO_C_BOLD),
                        pyro_profile_strget(p, fn->name), pyro_color(o, PYRO_C_RESET));
    else
        pyro_buf_printf(out, "  %s:%u %s%s%s",
                        pyro_render_path(o, pyro_profile_strget(p, fn->file)), line,
                        pyro_color(o, PYRO_C_BOLD), pyro_profile_strget(p, fn->qualname),
                        pyro_color(o, PYRO_C_RESET));
}

/* ==== sections ==== */

static void recorded(pyro_buf_t *out, const pyro_profile_t *p, const pyro_render_opts_t *o,
                     const totals_t *t);

static void header(pyro_buf_t *out, const pyro_profile_t *p, const pyro_render_opts_t *o,
                   const totals_t *t)
{
    const char *cmd = pyro_profile_get_meta(p, "command");
    pyro_buf_printf(out, "%spyrometer%s memory profile", pyro_color(o, PYRO_C_BOLD),
                    pyro_color(o, PYRO_C_RESET));
    if (cmd && *cmd)
        pyro_buf_printf(out, " of %s", cmd);
    pyro_buf_putc(out, '\n');
    recorded(out, p, o, t);
}

/* How allocations were recorded and what was tracked, dim, in lines of
 * their own. */
static void recorded(pyro_buf_t *out, const pyro_profile_t *p, const pyro_render_opts_t *o,
                     const totals_t *t)
{
    pyro_buf_puts(out, pyro_color(o, PYRO_C_DIM));
    if (t->interval == 0) {
        pyro_buf_puts(out, "Every allocation was recorded (exact mode).");
    } else if (t->interval > 0) {
        pyro_buf_puts(out, "Sampled by bytes: one allocation recorded per ");
        pyro_render_bytes(out, t->interval, 0);
        pyro_buf_puts(out, " allocated on average, each weighed\nback to what it stands for. "
                           "Allocations much larger than ");
        pyro_render_bytes(out, t->interval, 0);
        pyro_buf_puts(out, " are all recorded at their\nsize; smaller ones are estimates, right "
                           "in sum over many, not one by one (--exact records all).");
    } else {
        pyro_buf_puts(out, "How allocations were recorded is not known (no mem_interval).");
    }
    const char *native = pyro_profile_get_meta(p, "mem_native");
    pyro_buf_puts(out, "\nTracked: Python's allocators (raw, mem, object). Native allocations "
                       "(malloc, mmap, ...)\nfrom extensions: ");
    if (native && strcmp(native, "yes") == 0)
        pyro_buf_puts(out, "tracked.");
    else
        pyro_buf_puts(out, "not tracked (--native tracks them).");
    pyro_buf_printf(out, "%s\n", pyro_color(o, PYRO_C_RESET));
}

/* One summary row: a label, a size, then whatever the caller appends. */
static void row(pyro_buf_t *out, const char *label, int64_t bytes)
{
    pyro_buf_printf(out, "\n  %-22s", label);
    pyro_render_bytes(out, bytes, 10);
}

static void summary(pyro_buf_t *out, const pyro_profile_t *p, const pyro_render_opts_t *o,
                    const totals_t *t)
{
    title(out, o, "Summary");
    row(out, "peak of the heap", t->peak);
    if (t->peak_ns >= 0) {
        pyro_buf_puts(out, "  at ");
        pyro_render_duration(out, (double)t->peak_ns * 1e-9, 0);
        if (t->duration_ns > 0) {
            pyro_buf_puts(out, " of ");
            pyro_render_duration(out, (double)t->duration_ns * 1e-9, 0);
        }
    }
    pyro_buf_puts(out, "  (what the tracked allocators held at most)");
    if (t->rss_peak >= 0) {
        row(out, "peak RSS", t->rss_peak);
        pyro_buf_puts(out, "  (the whole process, as the OS counts it)");
    }
    row(out, "allocated", t->alloc);
    pyro_buf_puts(out, "  in ");
    pyro_render_count(out, (uint64_t)t->allocs, 0);
    pyro_buf_printf(out, " allocation%s", t->allocs == 1 ? "" : "s");
    row(out, "live at exit", t->leaked);
    pyro_buf_puts(out, "  in ");
    pyro_render_count(out, (uint64_t)t->leaked_allocs, 0);
    pyro_buf_printf(out, " allocation%s (see Leaks)", t->leaked_allocs == 1 ? "" : "s");
    int64_t cap = meta_int(p, "mem_max_bytes"); /* --max-memory, when given */
    if (t->own >= 0) {
        row(out, "profiler's own memory", t->own);
        pyro_buf_puts(out, "  (bounded by distinct stacks and live records)");
    }
    if (cap > 0) {
        row(out, "cap (--max-memory)", cap);
        pyro_buf_puts(out, "  (records past it are dropped)");
    }
    if (t->dropped > 0 && cap > 0)
        pyro_buf_printf(out,
                        "\n  %s%lld record%s dropped: the profiler reached its memory cap "
                        "(--max-memory),\n  so the numbers here are lower than what the program "
                        "did.%s",
                        pyro_color(o, PYRO_C_RED), (long long)t->dropped,
                        t->dropped == 1 ? " was" : "s were", pyro_color(o, PYRO_C_RESET));
    else if (t->dropped > 0)
        pyro_buf_printf(out,
                        "\n  %s%lld record%s dropped: the profiler reached its memory cap or ran "
                        "out of memory,\n  so the numbers here are lower than what the program "
                        "did.%s",
                        pyro_color(o, PYRO_C_RED), (long long)t->dropped,
                        t->dropped == 1 ? " was" : "s were", pyro_color(o, PYRO_C_RESET));
    if (t->lost > 0)
        pyro_buf_printf(out,
                        "\n  %s%lld allocation event%s of threads without the GIL %s lost (the "
                        "profiler could not keep\n  them for lack of memory): the numbers here "
                        "miss them.%s",
                        pyro_color(o, PYRO_C_RED), (long long)t->lost, t->lost == 1 ? "" : "s",
                        t->lost == 1 ? "was" : "were", pyro_color(o, PYRO_C_RESET));
    pyro_buf_putc(out, '\n');
}

/* RSS and the heap through the run as sparklines (the profile's "memory"
 * series), each with its peak; nothing without a series. */
static void over_time(pyro_buf_t *out, const pyro_profile_t *p, const pyro_render_opts_t *o,
                      const totals_t *t)
{
    enum { MARKS = 60 };
    const pyro_series_t *s = pyro_profile_find_series(p, "memory");
    int rss = s ? pyro_series_col(p, s, "rss_bytes") : -1;
    int heap = s ? pyro_series_col(p, s, "heap_bytes") : -1;
    if (!s || s->nrows < 2 || rss < 0 || heap < 0 || pyro_series_col(p, s, "t_ns") != 0)
        return;
    /* each line on its own scale, up to its highest row: the tracked heap is
     * often a small part of RSS (the interpreter's own pages), and on RSS's
     * scale its rises would not show */
    int64_t end = s->vals[(size_t)(s->nrows - 1) * s->ncols], top[2] = {1, 1};
    const int cols[2] = {rss, heap};
    for (uint32_t r = 0; r < s->nrows; r++) {
        const int64_t *v = s->vals + (size_t)r * s->ncols;
        for (int k = 0; k < 2; k++)
            top[k] = v[cols[k]] > top[k] ? v[cols[k]] : top[k];
    }
    title(out, o, "Over time");
    pyro_buf_puts(out, "\n  from 0 to ");
    pyro_render_duration(out, (double)end * 1e-9, 0);
    pyro_buf_puts(out, ", each line on its own scale (a chart: -o FILE.timeline.svg)");
    static const char *const names[2] = {"RSS", "heap"};
    const int64_t peaks[2] = {meta_int(p, "rss_peak_bytes"), t->peak};
    const int64_t when[2] = {meta_int(p, "rss_peak_ns"), t->peak_ns};
    for (int k = 0; k < 2; k++) {
        pyro_buf_printf(out, "\n  %-6s%s", names[k],
                        pyro_color(o, k ? PYRO_C_YELLOW : PYRO_C_CYAN));
        pyro_render_sparkline(out, s, cols[k], end, MARKS, top[k]);
        pyro_buf_puts(out, pyro_color(o, PYRO_C_RESET));
        if (peaks[k] >= 0) {
            pyro_buf_puts(out, "  peak ");
            pyro_render_bytes(out, peaks[k], 0);
            if (when[k] >= 0) {
                pyro_buf_puts(out, " at ");
                pyro_render_duration(out, (double)when[k] * 1e-9, 0);
            }
        }
    }
    pyro_buf_putc(out, '\n');
}

/* The end of a line's row: `count` allocations, where it is and its
 * source, then a newline. 0, or -1 when out of memory. */
static int row_end(pyro_buf_t *out, const pyro_profile_t *p, const pyro_render_opts_t *o,
                   src_cache_t *c, const mem_line_t *l, int64_t count)
{
    pyro_buf_putc(out, ' ');
    pyro_render_count(out, (uint64_t)count, 9);
    where(out, p, o, l->func, l->line);
    if (source(out, o, c, pyro_profile_strget(p, p->funcs[l->func].file), l->line))
        return -1;
    pyro_buf_putc(out, '\n');
    return 0;
}

/* The lines with bytes live at the peak, largest first. */
static int peak_lines(pyro_buf_t *out, const pyro_profile_t *p, const pyro_render_opts_t *o,
                      mem_line_t *l, uint32_t n, const totals_t *t, src_cache_t *c)
{
    for (uint32_t i = 0; i < n; i++)
        l[i].key = l[i].peak;
    if (n > 1) /* l is NULL when there are none */
        qsort(l, n, sizeof *l, line_cmp);
    uint32_t m = 0;
    while (m < n && l[m].peak > 0)
        m++;
    title(out, o, "Live at the peak, by line");
    if (!m) {
        pyro_buf_puts(out, "\n  (nothing recorded was live at the peak)\n");
        return PYRO_OK;
    }
    uint32_t k = shown(o, m, PYRO_MEMORY_LINES);
    counted(out, "", k, m, "line");
    /* the allocations live at the peak; a profile of an earlier version has
     * only those the line made in all */
    int live = t->peak_allocs >= 0;
    pyro_buf_printf(out, "%s       bytes   %% peak    %s  line%s\n", pyro_color(o, PYRO_C_CYAN),
                    live ? "allocs" : "  made", pyro_color(o, PYRO_C_RESET));
    for (uint32_t i = 0; i < k; i++) {
        pyro_buf_puts(out, "  ");
        pyro_render_bytes(out, l[i].peak, 10);
        share(out, l[i].peak, t->peak);
        if (row_end(out, p, o, c, &l[i], live ? l[i].peak_allocs : l[i].allocs))
            return PYRO_ENOMEM;
    }
    return PYRO_OK;
}

/* The stacks with bytes of `metric`, largest first: each its bytes (in colour
 * `hue`), share of `whole`, allocations (`count_metric`; none shown when -1),
 * thread, then its frames; `what` says why when there are none. */
static int stacks(pyro_buf_t *out, const pyro_profile_t *p, const pyro_render_opts_t *o,
                  const char *name, const char *what, const char *hue, int metric, int count_metric,
                  int64_t whole, int threads, src_cache_t *c)
{
    pyro_ranked_t *r = pyro_malloc(((size_t)p->nnodes + 1) * sizeof *r);
    if (!r)
        return PYRO_ENOMEM;
    uint32_t m = 0;
    for (uint32_t i = 0; i < p->nnodes; i++) {
        int64_t v = pyro_node_metric(p, i, metric);
        if (v > 0)
            r[m++] = (pyro_ranked_t){v, i};
    }
    qsort(r, m, sizeof *r, pyro_ranked_cmp);
    title(out, o, name);
    if (!m) {
        pyro_buf_printf(out, "\n  (%s)\n", what);
        pyro_free(r);
        return PYRO_OK;
    }
    uint32_t k = shown(o, m, PYRO_MEMORY_STACKS);
    counted(out, "innermost frame first", k, m, "stack");
    int rc = PYRO_OK;
    for (uint32_t i = 0; i < k && !rc; i++) {
        uint32_t n = r[i].node;
        pyro_buf_printf(out, "  %s", pyro_color(o, hue));
        pyro_render_bytes(out, r[i].key, 10);
        pyro_buf_puts(out, pyro_color(o, PYRO_C_RESET));
        share(out, r[i].key, whole);
        if (count_metric >= 0) {
            int64_t count = pyro_node_metric(p, n, count_metric);
            pyro_buf_puts(out, "  ");
            pyro_render_count(out, (uint64_t)count, 0);
            pyro_buf_printf(out, " allocation%s", count == 1 ? "" : "s");
        }
        if (threads) {
            pyro_buf_puts(out, "  in ");
            thread_name(out, p, p->nodes[n].thread);
        }
        pyro_buf_putc(out, '\n');
        uint32_t shown_frames = 0;
        for (uint32_t f = n, guard = 0; f != PYRO_NONE && guard <= p->nnodes;) {
            /* a run of the same frame (recursion on one line) is one line, counted */
            uint32_t run = 1, next = p->nodes[f].parent;
            while (next != PYRO_NONE && run <= p->nnodes &&
                   p->nodes[next].func == p->nodes[f].func &&
                   p->nodes[next].line == p->nodes[f].line) {
                next = p->nodes[next].parent;
                run++;
            }
            if (shown_frames == PYRO_MEMORY_FRAMES) {
                uint32_t rest = 0;
                for (; f != PYRO_NONE && rest <= p->nnodes; f = p->nodes[f].parent)
                    rest++;
                pyro_buf_printf(out, "             %s< ... %u more frame%s%s\n",
                                pyro_color(o, PYRO_C_DIM), rest, rest == 1 ? "" : "s",
                                pyro_color(o, PYRO_C_RESET));
                break;
            }
            pyro_buf_puts(out, shown_frames ? "             < " : "               ");
            if (!shown_frames)
                pyro_buf_puts(out, pyro_color(o, PYRO_C_BOLD));
            pyro_render_node_frame(p, f, o, out);
            if (run > 1)
                pyro_buf_printf(out, " x%u", run);
            if (!shown_frames) {
                pyro_buf_puts(out, pyro_color(o, PYRO_C_RESET));
                const pyro_func_t *fn = &p->funcs[p->nodes[f].func];
                if (fn->kind != PYRO_FUNC_NATIVE)
                    rc = source(out, o, c, pyro_profile_strget(p, fn->file), p->nodes[f].line);
            }
            pyro_buf_putc(out, '\n');
            shown_frames++;
            guard += run;
            f = next;
        }
    }
    pyro_free(r);
    return rc;
}

/* The lines that allocated, by bytes allocated: allocated, freed, net,
 * allocations. */
static int top_lines(pyro_buf_t *out, const pyro_profile_t *p, const pyro_render_opts_t *o,
                     mem_line_t *l, uint32_t n, src_cache_t *c)
{
    for (uint32_t i = 0; i < n; i++)
        l[i].key = l[i].alloc;
    if (n > 1) /* l is NULL when there are none */
        qsort(l, n, sizeof *l, line_cmp);
    title(out, o, "Top lines, by bytes allocated");
    uint32_t k = shown(o, n, PYRO_MEMORY_LINES);
    counted(out, "net: still live at exit", k, n, "line");
    pyro_buf_printf(out, "%s   allocated       freed         net    allocs  line%s\n",
                    pyro_color(o, PYRO_C_CYAN), pyro_color(o, PYRO_C_RESET));
    for (uint32_t i = 0; i < k; i++) {
        pyro_buf_puts(out, "  ");
        pyro_render_bytes(out, l[i].alloc, 10);
        pyro_buf_putc(out, ' ');
        pyro_render_bytes(out, l[i].freed, 11);
        pyro_buf_putc(out, ' ');
        pyro_render_bytes(out, l[i].leaked, 11);
        if (row_end(out, p, o, c, &l[i], l[i].allocs))
            return PYRO_ENOMEM;
    }
    return PYRO_OK;
}

/* Per thread that allocated: allocated, live at the peak, live at exit,
 * allocations. */
static int threads(pyro_buf_t *out, const pyro_profile_t *p, const pyro_render_opts_t *o)
{
    int64_t *sums = pyro_calloc((size_t)p->nthreads * 4 + 1, sizeof *sums);
    if (!sums)
        return PYRO_ENOMEM;
    for (uint32_t n = 0; n < p->nnodes; n++) {
        int64_t *s = sums + (size_t)p->nodes[n].thread * 4;
        s[0] += pyro_node_metric(p, n, PYRO_M_ALLOC_BYTES);
        s[1] += pyro_node_metric(p, n, PYRO_M_PEAK_BYTES);
        s[2] += pyro_node_metric(p, n, PYRO_M_LEAKED_BYTES);
        s[3] += pyro_node_metric(p, n, PYRO_M_ALLOCS);
    }
    title(out, o, "Threads");
    pyro_buf_printf(out,
                    "\n%s  thread                       allocated     at peak     at exit    "
                    "allocs%s\n",
                    pyro_color(o, PYRO_C_CYAN), pyro_color(o, PYRO_C_RESET));
    pyro_buf_t name;
    pyro_buf_init(&name);
    for (uint32_t t = 0; t < p->nthreads; t++) {
        const int64_t *s = sums + (size_t)t * 4;
        if (s[0] <= 0 && s[3] <= 0)
            continue;
        name.len = 0;
        thread_name(&name, p, t);
        pyro_buf_printf(out, "  %-26.*s ", (int)(name.len < 26 ? name.len : 26),
                        name.data ? name.data : "");
        pyro_render_bytes(out, s[0], 11);
        pyro_buf_putc(out, ' ');
        pyro_render_bytes(out, s[1], 11);
        pyro_buf_putc(out, ' ');
        pyro_render_bytes(out, s[2], 11);
        pyro_buf_putc(out, ' ');
        pyro_render_count(out, (uint64_t)s[3], 9);
        pyro_buf_putc(out, '\n');
    }
    int rc = pyro_buf_status(&name);
    pyro_buf_free(&name);
    pyro_free(sums);
    return rc;
}

int pyro_fmt_memory(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *p = ctx->raw;
    const pyro_render_opts_t *o = ctx->o;
    totals_t t;
    totals_of(p, &t);
    header(out, p, o, &t);
    mem_line_t *l = NULL;
    uint32_t n = 0;
    src_cache_t c = {.path = NULL};
    memset(&c.src, 0, sizeof c.src);
    int rc = lines_of(p, &l, &n);
    if (rc)
        goto cleanup;
    if (!n && t.allocs <= 0 && t.alloc <= 0) {
        pyro_buf_puts(out, "\nNo allocations were recorded");
        if (t.interval > 0) {
            pyro_buf_puts(out, ": sampling records about one allocation per ");
            pyro_render_bytes(out, t.interval, 0);
            pyro_buf_puts(out, " allocated, so a program that allocates less may have none "
                               "recorded (--exact records every one)");
        } else {
            pyro_buf_puts(out, " (the program allocated nothing while it was tracked)");
        }
        pyro_buf_puts(out, ".\n");
        rc = pyro_fmt_memlines(ctx, out); /* the chosen functions, with no allocations */
        goto cleanup;
    }
    summary(out, p, o, &t);
    over_time(out, p, o, &t);
    int several = t.several;
    if ((rc = peak_lines(out, p, o, l, n, &t, &c)) ||
        (rc = stacks(out, p, o, "Live at the peak, by stack",
                     "nothing recorded was live at the peak", PYRO_C_YELLOW, PYRO_M_PEAK_BYTES,
                     t.peak_allocs >= 0 ? PYRO_M_PEAK_ALLOCS : -1, t.peak, several, &c)))
        goto cleanup;
    if (pyro_render_mem_metric(o) == PYRO_M_ALLOC_BYTES &&
        (rc = stacks(out, p, o, "Allocated, by stack", "no bytes were allocated", PYRO_C_CYAN,
                     PYRO_M_ALLOC_BYTES, PYRO_M_ALLOCS, t.alloc, several, &c)))
        goto cleanup;
    if ((rc = stacks(out, p, o, "Leaks: live at exit, by stack",
                     "nothing recorded was live at exit: no leaks", PYRO_C_RED, PYRO_M_LEAKED_BYTES,
                     PYRO_M_LEAKED_ALLOCS, t.leaked, several, &c)) ||
        (rc = top_lines(out, p, o, l, n, &c)) || (rc = pyro_fmt_memlines(ctx, out)))
        goto cleanup;
    if (several)
        rc = threads(out, p, o);
cleanup:
    pyro_source_free(&c.src);
    pyro_free(l);
    return rc ? rc : pyro_buf_status(out);
}

int pyro_fmt_memory_summary(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *p = ctx->raw;
    const pyro_render_opts_t *o = ctx->o;
    totals_t t;
    totals_of(p, &t);
    src_cache_t c = {.path = NULL};
    memset(&c.src, 0, sizeof c.src);
    title(out, o, "Memory");
    pyro_buf_putc(out, '\n');
    recorded(out, p, o, &t);
    int rc = PYRO_OK;
    if (t.allocs <= 0 && t.alloc <= 0) {
        pyro_buf_puts(out, "No allocations were recorded.\n");
        return pyro_buf_status(out);
    }
    summary(out, p, o, &t);
    over_time(out, p, o, &t);
    rc = stacks(out, p, o, "Leaks: live at exit, by stack",
                "nothing recorded was live at exit: no leaks", PYRO_C_RED, PYRO_M_LEAKED_BYTES,
                PYRO_M_LEAKED_ALLOCS, t.leaked, t.several, &c);
    pyro_source_free(&c.src);
    return rc ? rc : pyro_buf_status(out);
}
