/* SPDX-License-Identifier: MIT */
/* fmt_report: summary, tree (fmt_tree), lines from the raw nodes, threads. */
#include "format/fmt_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"
#include "format/fmt_combined.h"
#include "format/fmt_memory.h"
#include "format/fmt_tree.h"
#include "model/map.h"
#include "model/stats.h"

#define SOURCE_MAX 80 /* columns of source shown */

typedef struct hot {
    uint32_t func, line;
    int64_t ns;
    uint64_t samples;
    const pyro_profile_t *p; /* for the orders by name and file */
    int sort;                /* pyro_sort_t */
} hot_t;

/* Hottest lines by the table's sort key: a line has only its own time, so
 * cumtime and tottime order alike; ncalls orders by samples; name and file
 * by function name and by file and line. Ties: by time, then function and
 * line (a deterministic order). */
static int hot_cmp(const void *a, const void *b)
{
    const hot_t *x = a, *y = b;
    const pyro_profile_t *p = x->p;
    int c = 0;
    if (x->sort == PYRO_SORT_NCALLS && x->samples != y->samples)
        return x->samples > y->samples ? -1 : 1;
    if (x->sort == PYRO_SORT_NAME)
        c = strcmp(pyro_profile_strget(p, p->funcs[x->func].qualname),
                   pyro_profile_strget(p, p->funcs[y->func].qualname));
    else if (x->sort == PYRO_SORT_FILE) {
        c = strcmp(pyro_profile_strget(p, p->funcs[x->func].file),
                   pyro_profile_strget(p, p->funcs[y->func].file));
        if (!c && x->line != y->line)
            return x->line < y->line ? -1 : 1;
    }
    if (c)
        return c;
    if (x->ns != y->ns)
        return x->ns > y->ns ? -1 : 1;
    if (x->func != y->func)
        return x->func < y->func ? -1 : 1;
    return x->line < y->line ? -1 : (x->line > y->line);
}

/* Line `n` of `path`, trimmed, into `out` ("" when unreadable). */
static void source_line(const char *path, uint32_t n, char *out, size_t cap)
{
    out[0] = '\0';
    FILE *f = n ? fopen(path, "r") : NULL;
    if (!f)
        return;
    char buf[4096];
    uint32_t at = 0;
    while (fgets(buf, sizeof buf, f)) {
        size_t len = strlen(buf);
        int whole = len && buf[len - 1] == '\n';
        if (++at == n) {
            char *s = buf;
            while (*s == ' ' || *s == '\t')
                s++;
            size_t k = strcspn(s, "\r\n");
            if (k > cap - 1)
                k = cap - 1;
            memcpy(out, s, k);
            out[k] = '\0';
            break;
        }
        while (!whole && fgets(buf, sizeof buf, f)) { /* the rest of a long line */
            len = strlen(buf);
            whole = len && buf[len - 1] == '\n';
        }
    }
    fclose(f);
}

/* The profile's lines (function, line) with their sums of metric `m` and
 * of metric `count` over the nodes, those with both above 0, into a new
 * array *out (the caller frees it) of *n. PYRO_OK or PYRO_ENOMEM. */
static int gather_lines(const pyro_profile_t *p, const pyro_render_opts_t *o, int m, int count,
                        hot_t **out, uint32_t *n)
{
    pyro_map_t index;
    pyro_map_init(&index);
    hot_t *h = NULL;
    uint32_t cap = 0;
    int rc = PYRO_OK;
    *n = 0;
    for (uint32_t i = 0; i < p->nnodes && !rc; i++) {
        const pyro_node_t *nd = &p->nodes[i];
        int64_t v = pyro_node_metric(p, i, m), c = pyro_node_metric(p, i, count);
        if (c <= 0 || v <= 0)
            continue;
        uint32_t k;
        if (!pyro_map_get(&index, nd->func, nd->line, &k)) {
            if ((rc = pyro_grow((void **)&h, &cap, *n, sizeof *h)) ||
                (rc = pyro_map_put(&index, nd->func, nd->line, *n)))
                break;
            h[*n] = (hot_t){nd->func, nd->line, 0, 0, p, o->sort};
            k = (*n)++;
        }
        h[k].ns += v;
        h[k].samples += (uint64_t)c;
    }
    pyro_map_free(&index);
    if (rc) {
        pyro_free(h);
        h = NULL;
        *n = 0;
    }
    *out = h;
    return rc;
}

/* One row of a table of lines: its share of `total`, its value (a duration
 * of ns, or a count), its samples, where it is and its source. */
static void line_row(const pyro_profile_t *p, const pyro_render_opts_t *o, const hot_t *h,
                     double total, int count, pyro_buf_t *out)
{
    const pyro_func_t *fn = &p->funcs[h->func];
    const char *file = pyro_profile_strget(p, fn->file);
    char src[SOURCE_MAX + 1];
    source_line(file, h->line, src, sizeof src);
    pyro_buf_printf(out, "  %5.1f%% ", total > 0 ? 100.0 * (double)h->ns / total : 0.0);
    if (count)
        pyro_render_count(out, (uint64_t)h->ns, 12);
    else
        pyro_render_duration(out, (double)h->ns * 1e-9, 8);
    pyro_buf_putc(out, ' ');
    pyro_render_count(out, h->samples, 8);
    pyro_buf_printf(out, "  %s:%u  %s%s%s", pyro_render_path(o, file), h->line,
                    pyro_color(o, PYRO_C_BOLD), pyro_profile_strget(p, fn->qualname),
                    pyro_color(o, PYRO_C_RESET));
    if (*src)
        pyro_buf_printf(out, "  %s%s%s", pyro_color(o, PYRO_C_DIM), src,
                        pyro_color(o, PYRO_C_RESET));
    pyro_buf_putc(out, '\n');
}

static int hot_lines(const pyro_profile_t *p, const pyro_render_opts_t *o, pyro_buf_t *out,
                     double total)
{
    hot_t *h;
    uint32_t n;
    int rc = gather_lines(p, o, o->cpu ? PYRO_M_CPU_NS : PYRO_M_SELF_NS, PYRO_M_SAMPLES, &h, &n);
    /* the lines the tree would show (over the threshold), --limit at most */
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; i++)
        if ((double)h[i].ns * 1e-9 >= total * o->threshold)
            h[kept++] = h[i];
    n = kept;
    if (!rc && n) {
        qsort(h, n, sizeof *h, hot_cmp);
        uint32_t shown = o->limit && o->limit < n ? o->limit : n;
        pyro_buf_printf(out, "\n%sHottest lines (own %s time", pyro_color(o, PYRO_C_BOLD),
                        o->cpu ? "CPU" : "wall");
        if (o->sort == PYRO_SORT_NCALLS || o->sort == PYRO_SORT_NAME || o->sort == PYRO_SORT_FILE)
            pyro_buf_printf(out, ", by %s",
                            o->sort == PYRO_SORT_NCALLS ? "samples"
                            : o->sort == PYRO_SORT_NAME ? "function name"
                                                        : "file name");
        if (shown < n)
            pyro_buf_printf(out, ", %u of %u", shown, n);
        pyro_buf_printf(out, ")%s\n%s       %%     time  samples  line%s\n",
                        pyro_color(o, PYRO_C_RESET), pyro_color(o, PYRO_C_CYAN),
                        pyro_color(o, PYRO_C_RESET));
        for (uint32_t i = 0; i < shown; i++)
            line_row(p, o, &h[i], total * 1e9, 0, out);
    }
    pyro_free(h);
    return rc;
}

/* run --event: the event's summary line, below the header. */
static void event_summary(const pyro_profile_t *p, const pyro_render_opts_t *o, pyro_buf_t *out)
{
    const char *ev = pyro_profile_get_meta(p, "event");
    const char *period = pyro_profile_get_meta(p, "event_period");
    const char *samples = pyro_profile_get_meta(p, "event_samples");
    const char *counted = pyro_profile_get_meta(p, "event_counted");
    const char *attributed = pyro_profile_get_meta(p, "event_attributed");
    const char *user = pyro_profile_get_meta(p, "event_user_only");
    const char *missed = pyro_profile_get_meta(p, "event_threads_missed");
    double c = counted ? atof(counted) : 0, a = attributed ? atof(attributed) : 0;
    pyro_buf_printf(out, "%s%s: %s counted", pyro_color(o, PYRO_C_DIM), ev,
                    counted ? counted : "?");
    if (user && strcmp(user, "1") == 0)
        pyro_buf_puts(out, " (user space only: perf_event_paranoid)");
    pyro_buf_printf(out, ", %s (%.1f%%) on the program's stacks, in %s sample%s of one every %s",
                    attributed ? attributed : "?", c > 0 ? 100 * a / c : 0.0,
                    samples ? samples : "?", samples && strcmp(samples, "1") == 0 ? "" : "s",
                    period ? period : "?");
    const char *late = pyro_profile_get_meta(p, "event_late");
    if (late && strcmp(late, "0") != 0)
        pyro_buf_printf(out,
                        "; %s sample%s read late (a busy machine): their events may sit on "
                        "a later line",
                        late, strcmp(late, "1") == 0 ? "" : "s");
    if (missed)
        pyro_buf_printf(out, "; %s thread%s not counted: %s", missed,
                        strcmp(missed, "1") == 0 ? "" : "s",
                        pyro_profile_get_meta(p, "event_threads_missed_why"));
    pyro_buf_printf(out, "%s\n", pyro_color(o, PYRO_C_RESET));
}

/* run --event: the lines that counted the most events (own), --limit at
 * most (the sort keys order them as in hot_lines, by events). */
static int event_lines(const pyro_profile_t *p, const pyro_render_opts_t *o, pyro_buf_t *out)
{
    const char *ev = pyro_profile_get_meta(p, "event");
    hot_t *h;
    uint32_t n;
    int rc = gather_lines(p, o, PYRO_M_EVENTS, PYRO_M_EVENT_SAMPLES, &h, &n);
    double total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += (double)h[i].ns;
    if (!rc && !n)
        pyro_buf_printf(out, "\n%sNo %s sampled on the program's stacks.%s\n",
                        pyro_color(o, PYRO_C_BOLD), ev, pyro_color(o, PYRO_C_RESET));
    if (!rc && n) {
        qsort(h, n, sizeof *h, hot_cmp);
        uint32_t shown = o->limit && o->limit < n ? o->limit : n;
        pyro_buf_printf(out, "\n%sLines by %s (own", pyro_color(o, PYRO_C_BOLD), ev);
        if (shown < n)
            pyro_buf_printf(out, ", %u of %u", shown, n);
        pyro_buf_printf(out, ")%s\n%s       %%       events  samples  line%s\n",
                        pyro_color(o, PYRO_C_RESET), pyro_color(o, PYRO_C_CYAN),
                        pyro_color(o, PYRO_C_RESET));
        for (uint32_t i = 0; i < shown; i++)
            line_row(p, o, &h[i], total, 1, out);
    }
    pyro_free(h);
    return rc;
}

static void threads(const pyro_profile_t *p, const pyro_render_opts_t *o, pyro_buf_t *out)
{
    pyro_buf_printf(out,
                    "\n%sThreads%s\n%s  thread                     native id      wall       cpu"
                    "  on-CPU  GIL held  samples%s\n",
                    pyro_color(o, PYRO_C_BOLD), pyro_color(o, PYRO_C_RESET),
                    pyro_color(o, PYRO_C_CYAN), pyro_color(o, PYRO_C_RESET));
    for (uint32_t t = 0; t < p->nthreads; t++) {
        pyro_thread_sums_t sum;
        pyro_profile_thread_sums(p, t, &sum);
        if (!sum.samples)
            continue;
        const char *name = pyro_profile_strget(p, p->threads[t].name);
        char label[64];
        if (*name)
            snprintf(label, sizeof label, "%s", name);
        else
            snprintf(label, sizeof label, "(thread %llu)", (unsigned long long)p->threads[t].ident);
        pyro_buf_printf(out, "  %-26s %9llu ", label, (unsigned long long)p->threads[t].native_id);
        pyro_render_duration(out, (double)sum.wall_ns * 1e-9, 9);
        pyro_buf_putc(out, ' ');
        pyro_render_duration(out, (double)sum.cpu_ns * 1e-9, 9);
        pyro_buf_printf(out, "  %5.1f%%    %5.1f%% ",
                        100.0 * (double)sum.running / (double)sum.samples,
                        100.0 * (double)sum.gil / (double)sum.samples);
        pyro_render_count(out, sum.samples, 8);
        pyro_buf_putc(out, '\n');
    }
}

int pyro_fmt_report(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *raw = ctx->raw, *funcs = ctx->p;
    const pyro_render_opts_t *o = ctx->o;
    const char *cmd = pyro_profile_get_meta(raw, "command");
    const char *rate = pyro_profile_get_meta(raw, "rate_hz");
    const char *scpu = pyro_profile_get_meta(raw, "sampler_cpu_s");
    const char *dur = pyro_profile_get_meta(raw, "duration_s");
    const char *rounds = pyro_profile_get_meta(raw, "samples");
    double duration = dur ? atof(dur) : 0;
    /* run --memory: the memory columns too (the combined lines, the memory summary) */
    const int memory = pyro_profile_col(raw, PYRO_M_ALLOC_BYTES) >= 0;
    uint64_t samples = 0;
    for (uint32_t i = 0; i < raw->nnodes; i++)
        samples += (uint64_t)pyro_node_metric(raw, i, PYRO_M_SAMPLES);
    pyro_buf_printf(out, "%spyrometer%s sample profile%s", pyro_color(o, PYRO_C_BOLD),
                    pyro_color(o, PYRO_C_RESET), memory ? " with memory" : "");
    if (cmd)
        pyro_buf_printf(out, " of %s", cmd);
    pyro_buf_putc(out, '\n');
    pyro_buf_printf(out, "%s%s sample%s at %s Hz over ", pyro_color(o, PYRO_C_DIM),
                    rounds ? rounds : "?", rounds && strcmp(rounds, "1") == 0 ? "" : "s",
                    rate ? rate : "?");
    pyro_render_duration(out, duration, 0);
    pyro_buf_printf(out, ", %s time", o->cpu ? "CPU" : "wall");
    if (scpu && duration > 0)
        pyro_buf_printf(out, "; the sampler used %.1f%% of one CPU", 100.0 * atof(scpu) / duration);
    pyro_buf_printf(out, "%s\n", pyro_color(o, PYRO_C_RESET));
    const int events = pyro_profile_col(raw, PYRO_M_EVENTS) >= 0;
    if (events)
        event_summary(raw, o, out);
    pyro_buf_putc(out, '\n');
    if (!samples) {
        pyro_render_no_samples(raw, out);
        pyro_buf_putc(out, '\n');
        if (!memory)
            return pyro_buf_status(out);
    }
    int rc = samples ? pyro_fmt_tree(ctx, out) : PYRO_OK;
    double total = (double)pyro_profile_total_ns(funcs) * 1e-9;
    if (!rc)
        rc = memory ? pyro_fmt_combined_lines(ctx, out) : hot_lines(raw, o, out, total);
    if (!rc && events)
        rc = event_lines(raw, o, out);
    if (!rc && samples)
        threads(raw, o, out);
    if (!rc && memory)
        rc = pyro_fmt_memory_summary(ctx, out);
    if (!rc)
        pyro_buf_printf(
            out,
            "\n%sEvery function line by line: pyrometer report FILE.pyro --format lines "
            "(a profile saved with -o FILE.pyro)%s\n",
            pyro_color(o, PYRO_C_DIM), pyro_color(o, PYRO_C_RESET));
    return rc ? rc : pyro_buf_status(out);
}
