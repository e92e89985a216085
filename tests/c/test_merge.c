/* SPDX-License-Identifier: MIT */
/* test_merge: a sample profile and a memory profile of one run merged into
 * one (pyrometer run --memory): paths on both sides meet in one node,
 * paths of one side are kept, threads are matched by ident, functions by
 * name, file and line, metadata and series come along, the inputs are left
 * alone, wrong inputs are refused, and every failing allocation is clean. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/buf.h"
#include "model/error.h"
#include "model/merge.h"
#include "model/profile.h"
#include "format/pyrofile.h"
#include "format/render.h"
#include "sample.h"
#include "test.h"

#define MiB (1024LL * 1024)
#define FILE_ "/src/prog.py"

/* The function named `name` at line `first` of FILE_ in `p` (the qualified
 * name `qual`), added if missing; PYRO_NONE on failure. */
static uint32_t func(pyro_profile_t *p, const char *name, const char *qual, uint32_t first)
{
    pyro_func_t f = {0, 0, 0, first, PYRO_FUNC_PYTHON};
    uint32_t id;
    if (pyro_profile_str(p, name, strlen(name), &f.name) ||
        pyro_profile_str(p, qual, strlen(qual), &f.qualname) ||
        pyro_profile_str(p, FILE_, strlen(FILE_), &f.file) || pyro_profile_func(p, &f, &id))
        return PYRO_NONE;
    return id;
}

/* A node of sample profile `p` with `samples` samples of 1 ms each. */
static uint32_t snode(pyro_profile_t *p, uint32_t parent, uint32_t t, uint32_t f, uint32_t line,
                      int64_t samples)
{
    uint32_t id;
    if (pyro_profile_child(p, parent, t, f, line, &id))
        return PYRO_NONE;
    pyro_node_add(p, id, p->col[PYRO_M_SAMPLES], samples);
    pyro_node_add(p, id, p->col[PYRO_M_SELF_NS], samples * 1000000);
    pyro_node_add(p, id, p->col[PYRO_M_CPU_NS], samples * 1000000);
    pyro_node_add(p, id, p->col[PYRO_M_RUNNING], samples);
    return id;
}

/* The sample side of sample_profile_memory's program: MainThread (ident 11,
 * no name) at <module>:17 > keep:4 (3 samples) and <module>:21 > hot:25 (50
 * samples: a line that allocates nothing), and a thread (ident 13) that
 * allocated nothing, <module>:30 (2 samples). Qualified names differ from
 * the memory side's ("mod.keep"), as an older Python's sampler may spell
 * them. */
static pyro_profile_t *cpu_side(void)
{
    pyro_profile_t *p = pyro_profile_new();
    if (!p || pyro_profile_set_mode(p, PYRO_MODE_SAMPLE))
        return p;
    uint32_t t0, t1, name;
    pyro_thread_t th = {11, 101, 0};
    pyro_profile_str(p, "", 0, &th.name);
    pyro_profile_add_thread(p, &th, &t0);
    th = (pyro_thread_t){13, 103, 0};
    pyro_profile_str(p, "sleeper", 7, &name);
    th.name = name;
    pyro_profile_add_thread(p, &th, &t1);
    uint32_t mod = func(p, "<module>", "<module>", 1), keep = func(p, "keep", "mod.keep", 3),
             hot = func(p, "hot", "hot", 24);
    uint32_t m17 = snode(p, PYRO_NONE, t0, mod, 17, 0);
    snode(p, m17, t0, keep, 4, 3);
    uint32_t m21 = snode(p, PYRO_NONE, t0, mod, 21, 0);
    snode(p, m21, t0, hot, 25, 50);
    snode(p, PYRO_NONE, t1, mod, 30, 2);
    pyro_profile_fill_totals(p);
    pyro_profile_set_meta(p, "rate_hz", "1000");
    pyro_profile_set_meta(p, "command", "prog.py (sampled)");
    return p;
}

/* sample_profile_memory's profile with a "memory" series whose "func"
 * column names keep, churn, and no function. */
static pyro_profile_t *mem_side(void)
{
    pyro_profile_t *p = sample_profile_memory(FILE_, 0);
    static const char *const cols[] = {"t_ns", "heap_bytes", "func"};
    uint32_t s;
    if (p && !pyro_profile_add_series(p, "memory", 3, cols, &s)) {
        pyro_series_append(p, s, (const int64_t[]){0, 0, 1});
        pyro_series_append(p, s, (const int64_t[]){10, 5, 2});
        pyro_series_append(p, s, (const int64_t[]){20, 7, -1});
    }
    return p;
}

/* The node of `p` on thread `t` at the path of (function name, line) pairs
 * `path` (n of them, outermost first), PYRO_NONE if there is none. */
static uint32_t find(const pyro_profile_t *p, uint32_t t, const char *const *names,
                     const uint32_t *lines, int n)
{
    uint32_t at = PYRO_NONE;
    for (int k = 0; k < n; k++) {
        uint32_t next = PYRO_NONE;
        for (uint32_t i = 0; i < p->nnodes && next == PYRO_NONE; i++) {
            const pyro_node_t *nd = &p->nodes[i];
            if (nd->parent == at && nd->thread == t && nd->line == lines[k] &&
                strcmp(pyro_profile_strget(p, p->funcs[nd->func].name), names[k]) == 0)
                next = i;
        }
        if (next == PYRO_NONE)
            return PYRO_NONE;
        at = next;
    }
    return at;
}

/* The thread of `p` with `ident`, PYRO_NONE if none. */
static uint32_t thread_of(const pyro_profile_t *p, uint64_t ident)
{
    for (uint32_t t = 0; t < p->nthreads; t++)
        if (p->threads[t].ident == ident)
            return t;
    return PYRO_NONE;
}

static void test_merge_paths(void)
{
    pyro_profile_t *cpu = cpu_side(), *mem = mem_side(), *m = NULL;
    CHECK(cpu && mem);
    uint32_t cpu_nodes = cpu->nnodes, cpu_funcs = cpu->nfuncs, mem_nodes = mem->nnodes;
    CHECK_EQ_INT(pyro_profile_merge_memory(cpu, mem, &m), PYRO_OK);
    /* the inputs are left as they were */
    CHECK_EQ_INT(cpu->nnodes, cpu_nodes);
    CHECK_EQ_INT(cpu->nfuncs, cpu_funcs);
    CHECK_EQ_INT(mem->nnodes, mem_nodes);
    CHECK_EQ_INT(cpu->col[PYRO_M_ALLOC_BYTES], -1);
    /* a sample profile, with every column of both */
    CHECK_EQ_INT(m->mode, PYRO_MODE_SAMPLE);
    for (int k = 0; k < PYRO_M_COUNT; k++)
        if (k != PYRO_M_CALLS && k != PYRO_M_HITS && k != PYRO_M_EVENTS &&
            k != PYRO_M_EVENT_SAMPLES)
            CHECK(m->col[k] >= 0);
    CHECK_EQ_INT(m->col[PYRO_M_SELF_NS], cpu->col[PYRO_M_SELF_NS]);
    /* cpu's nodes keep their ids and values */
    for (uint32_t i = 0; i < cpu->nnodes; i++) {
        CHECK_EQ_INT(m->nodes[i].func, cpu->nodes[i].func);
        CHECK_EQ_INT(pyro_node_metric(m, i, PYRO_M_SAMPLES),
                     pyro_node_metric(cpu, i, PYRO_M_SAMPLES));
        CHECK_EQ_INT(pyro_node_metric(m, i, PYRO_M_TOTAL_NS),
                     pyro_node_metric(cpu, i, PYRO_M_TOTAL_NS));
    }
    uint32_t main = thread_of(m, 11), worker = thread_of(m, 12), sleeper = thread_of(m, 13);
    CHECK(main != PYRO_NONE && worker != PYRO_NONE && sleeper != PYRO_NONE);
    CHECK_EQ_INT(m->nthreads, 3);
    /* the main thread had no name on the sample side: the memory side's */
    CHECK(strcmp(pyro_profile_strget(m, m->threads[main].name), "MainThread") == 0);
    CHECK(strcmp(pyro_profile_strget(m, m->threads[sleeper].name), "sleeper") == 0);
    CHECK(strcmp(pyro_profile_strget(m, m->threads[worker].name), "worker") == 0);
    /* a path on both sides: one node with time and memory (keep matched by
       name, file and line though its qualified names differ) */
    uint32_t keep =
        find(m, main, (const char *const[]){"<module>", "keep"}, (uint32_t[]){17, 4}, 2);
    CHECK(keep != PYRO_NONE && keep < cpu->nnodes);
    CHECK_EQ_INT(pyro_node_metric(m, keep, PYRO_M_SAMPLES), 3);
    CHECK_EQ_INT(pyro_node_metric(m, keep, PYRO_M_ALLOC_BYTES), 200 * MiB);
    CHECK_EQ_INT(pyro_node_metric(m, keep, PYRO_M_PEAK_BYTES), 200 * MiB);
    CHECK_EQ_INT(pyro_node_metric(m, keep, PYRO_M_LEAKED_ALLOCS), 1);
    uint32_t n = 0;
    for (uint32_t f = 0; f < m->nfuncs; f++)
        n += strcmp(pyro_profile_strget(m, m->funcs[f].name), "keep") == 0;
    CHECK_EQ_INT(n, 1);
    /* a path only the sample side has: time, no memory */
    uint32_t hot = find(m, main, (const char *const[]){"<module>", "hot"}, (uint32_t[]){21, 25}, 2);
    CHECK(hot != PYRO_NONE);
    CHECK_EQ_INT(pyro_node_metric(m, hot, PYRO_M_SAMPLES), 50);
    CHECK_EQ_INT(pyro_node_metric(m, hot, PYRO_M_ALLOC_BYTES), 0);
    /* paths only the memory side has: memory, no time */
    uint32_t churn =
        find(m, main, (const char *const[]){"<module>", "churn"}, (uint32_t[]){18, 7}, 2);
    CHECK(churn != PYRO_NONE && churn >= cpu->nnodes);
    CHECK_EQ_INT(pyro_node_metric(m, churn, PYRO_M_SAMPLES), 0);
    CHECK_EQ_INT(pyro_node_metric(m, churn, PYRO_M_FREED_BYTES), 100 * MiB);
    uint32_t wchurn = find(m, worker, (const char *const[]){"churn"}, (uint32_t[]){7}, 1);
    CHECK(wchurn != PYRO_NONE);
    CHECK_EQ_INT(pyro_node_metric(m, wchurn, PYRO_M_ALLOC_BYTES), 50 * MiB);
    /* the sums of every memory column are the memory side's */
    for (int k = PYRO_M_ALLOC_BYTES; k <= PYRO_M_LEAKED_ALLOCS; k++) {
        int64_t a = 0, b = 0;
        for (uint32_t i = 0; i < m->nnodes; i++)
            a += pyro_node_metric(m, i, k);
        for (uint32_t i = 0; i < mem->nnodes; i++)
            b += pyro_node_metric(mem, i, k);
        CHECK_EQ_INT(a, b);
    }
    /* metadata: the sample side's where both have a key, the mode stays */
    CHECK(strcmp(pyro_profile_get_meta(m, "mode"), "sample") == 0);
    CHECK(strcmp(pyro_profile_get_meta(m, "command"), "prog.py (sampled)") == 0);
    CHECK(strcmp(pyro_profile_get_meta(m, "mem_interval"), "0") == 0);
    CHECK(strcmp(pyro_profile_get_meta(m, "rate_hz"), "1000") == 0);
    /* the series, its functions mapped */
    const pyro_series_t *s = pyro_profile_find_series(m, "memory");
    CHECK(s && s->nrows == 3);
    int fc = pyro_series_col(m, s, "func");
    CHECK(fc == 2);
    CHECK(strcmp(pyro_profile_strget(m, m->funcs[s->vals[fc]].name), "keep") == 0);
    CHECK(strcmp(pyro_profile_strget(m, m->funcs[s->vals[3 + fc]].name), "churn") == 0);
    CHECK_EQ_INT(s->vals[6 + fc], -1);
    CHECK_EQ_INT(s->vals[3 + 1], 5);
    pyro_profile_free(m);
    pyro_profile_free(cpu);
    pyro_profile_free(mem);
}

/* Merging into a sample profile without nodes (a run too short to sample)
 * gives the memory tree alone, under the sample mode. */
static void test_merge_no_samples(void)
{
    pyro_profile_t *cpu = pyro_profile_new(), *mem = mem_side(), *m = NULL;
    CHECK(cpu && mem);
    CHECK_EQ_INT(pyro_profile_set_mode(cpu, PYRO_MODE_SAMPLE), PYRO_OK);
    CHECK_EQ_INT(pyro_profile_merge_memory(cpu, mem, &m), PYRO_OK);
    CHECK_EQ_INT(m->nnodes, mem->nnodes);
    CHECK_EQ_INT(m->nthreads, 2);
    CHECK_EQ_INT(m->mode, PYRO_MODE_SAMPLE);
    pyro_profile_free(m);
    pyro_profile_free(cpu);
    pyro_profile_free(mem);
}

static void test_merge_refuses(void)
{
    pyro_profile_t *cpu = cpu_side(), *mem = mem_side(), *trace = sample_profile(), *m = NULL;
    CHECK(cpu && mem && trace);
    CHECK_EQ_INT(pyro_profile_merge_memory(mem, cpu, &m), PYRO_EINVAL);
    CHECK_EQ_INT(pyro_profile_merge_memory(trace, mem, &m), PYRO_EINVAL);
    CHECK_EQ_INT(pyro_profile_merge_memory(cpu, cpu, &m), PYRO_EINVAL);
    CHECK_EQ_INT(pyro_profile_merge_memory(NULL, mem, &m), PYRO_EINVAL);
    CHECK_EQ_INT(pyro_profile_merge_memory(cpu, NULL, &m), PYRO_EINVAL);
    CHECK(m == NULL);
    pyro_profile_free(cpu);
    pyro_profile_free(mem);
    pyro_profile_free(trace);
}

/* Every allocation the merge makes fails in turn: PYRO_ENOMEM, nothing
 * made, nothing leaked; then it succeeds. */
static void test_merge_nomem(void)
{
    pyro_profile_t *cpu = cpu_side(), *mem = mem_side();
    CHECK(cpu && mem);
    int ok = 0;
    for (long n = 1; n < 100000 && !ok; n++) {
        pyro_profile_t *m = NULL;
        test_alloc_fail_at(n);
        int rc = pyro_profile_merge_memory(cpu, mem, &m);
        test_alloc_reset();
        if (rc == PYRO_OK) {
            ok = 1;
            CHECK(m != NULL);
            pyro_profile_free(m);
        } else {
            CHECK_EQ_INT(rc, PYRO_ENOMEM);
            CHECK(m == NULL);
        }
    }
    CHECK(ok);
    pyro_profile_free(cpu);
    pyro_profile_free(mem);
}

/* Render `p` as `fmt` with metric `metric` ("" for none) into b,
 * NUL-terminated. */
static int render(const pyro_profile_t *p, int fmt, const char *metric, pyro_buf_t *b)
{
    pyro_render_opts_t o;
    pyro_render_defaults(&o);
    o.metric = pyro_render_mem_metric_parse(metric);
    b->len = 0;
    int rc = pyro_render(p, fmt, &o, b);
    pyro_buf_putc(b, '\0');
    return rc;
}

/* The value of the folded-stacks line `stack` in `text`, -1 if absent. */
static long long folded(const char *text, const char *stack)
{
    size_t n = strlen(stack);
    for (const char *s = text; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL)
        if (strncmp(s, stack, n) == 0 && s[n] == ' ')
            return atoll(s + n + 1);
    return -1;
}

/* The report of a merged profile: the sample report with the combined
 * lines (time beside memory) and the memory summary; the flame graph
 * formats weigh by time, or by the memory metric asked for; the line view
 * has the memory columns; .pyro keeps it all. */
static void test_merged_formats(void)
{
    pyro_profile_t *cpu = cpu_side(), *mem = mem_side(), *m = NULL, *back = NULL;
    CHECK(cpu && mem);
    CHECK_EQ_INT(pyro_profile_merge_memory(cpu, mem, &m), PYRO_OK);
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK_EQ_INT(render(m, PYRO_FMT_REPORT, "", &b), PYRO_OK);
    const char *r = b.data;
    CHECK(strstr(r, "sample profile with memory"));
    const char *lines = strstr(r, "Lines: time and memory");
    CHECK(lines);
    /* keep:4 (shown by the sample side's qualified name) has 2/3 of the peak, hot:25 94% of
       the time, churn:7 memory and no time (blank) */
    const char *keep = strstr(lines, FILE_ ":4 mod.keep"), *hot = strstr(lines, FILE_ ":25 hot");
    const char *churn = strstr(lines, FILE_ ":7 churn");
    CHECK(keep && hot && churn);
    CHECK(strstr(lines, "200.0 MiB   200.0 MiB   200.0 MiB  " FILE_ ":4 mod.keep"));
    CHECK(strstr(lines,
                 "\n                    150.0 MiB         0 B   100.0 MiB  " FILE_ ":7 churn"));
    CHECK(strstr(r, "\nMemory\n") && strstr(r, "Every allocation was recorded (exact mode)."));
    CHECK(strstr(r, "peak of the heap       300.0 MiB"));
    CHECK(strstr(r, "Leaks: live at exit, by stack"));
    CHECK(!strstr(r, "Hottest lines"));
    /* ranked by bytes live at exit: keep */
    CHECK_EQ_INT(render(m, PYRO_FMT_REPORT, "leaked", &b), PYRO_OK);
    lines = strstr(b.data, "Lines: time and memory");
    CHECK(lines && strstr(lines, "by bytes live at exit"));
    CHECK(strstr(lines, ":4 mod.keep"));
    CHECK(!strstr(lines, ":15 deep")); /* 1 MiB of 201 MiB: under the threshold (0.5%) */
    CHECK(!strstr(lines, ":25 hot") && !strstr(lines, ":7 churn")); /* nothing live at exit */
    /* folded stacks: samples by default, bytes of the metric asked for */
    CHECK_EQ_INT(render(m, PYRO_FMT_COLLAPSED, "", &b), PYRO_OK);
    CHECK_EQ_INT(folded(b.data, "<module> (" FILE_ ":1);mod.keep (" FILE_ ":3)"), 3);
    CHECK_EQ_INT(folded(b.data, "<module> (" FILE_ ":1);churn (" FILE_ ":6)"), -1);
    CHECK_EQ_INT(render(m, PYRO_FMT_COLLAPSED, "peak", &b), PYRO_OK);
    CHECK_EQ_INT(folded(b.data, "<module> (" FILE_ ":1);mod.keep (" FILE_ ":3)"), 200 * MiB);
    CHECK_EQ_INT(folded(b.data, "<module> (" FILE_ ":1);hot (" FILE_ ":24)"), -1);
    CHECK_EQ_INT(render(m, PYRO_FMT_COLLAPSED, "allocated", &b), PYRO_OK);
    CHECK_EQ_INT(folded(b.data, "churn (" FILE_ ":6)"), 50 * MiB);
    CHECK_EQ_INT(render(m, PYRO_FMT_SVG, "leaked", &b), PYRO_OK);
    CHECK(strstr(b.data, "bytes leaked (live at the end)"));
    CHECK_EQ_INT(render(m, PYRO_FMT_SVG, "", &b), PYRO_OK);
    CHECK(strstr(b.data, "wall time"));
    CHECK_EQ_INT(render(m, PYRO_FMT_SPEEDSCOPE, "peak", &b), PYRO_OK);
    CHECK(strstr(b.data, "\"unit\":\"bytes\""));
    /* the line view: memory beside time */
    CHECK_EQ_INT(render(m, PYRO_FMT_LINES, "", &b), PYRO_OK);
    CHECK(strstr(b.data, "Allocated    At peak"));
    /* a function that allocated and was never sampled is there too */
    pyro_render_opts_t lo;
    pyro_render_defaults(&lo);
    lo.function = "churn";
    b.len = 0;
    CHECK_EQ_INT(pyro_render(m, PYRO_FMT_LINES, &lo, &b), PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "Function: churn") && strstr(b.data, "150.0 MiB"));
    /* every format writes it */
    for (int fmt = 0; fmt < PYRO_FMT_COUNT; fmt++)
        if (pyro_format_can_write(fmt, PYRO_MODE_SAMPLE))
            CHECK_EQ_INT(render(m, fmt, "", &b), PYRO_OK);
    /* .pyro keeps the columns and values */
    b.len = 0;
    CHECK_EQ_INT(pyro_pyrofile_write(m, &b), PYRO_OK);
    CHECK_EQ_INT(pyro_pyrofile_read(b.data, b.len, &back), PYRO_OK);
    CHECK_EQ_INT(back->nnodes, m->nnodes);
    CHECK(back->col[PYRO_M_PEAK_BYTES] >= 0 && back->col[PYRO_M_SAMPLES] >= 0);
    for (uint32_t i = 0; i < m->nnodes; i++)
        for (int k = PYRO_M_ALLOC_BYTES; k <= PYRO_M_LEAKED_ALLOCS; k++)
            CHECK_EQ_INT(pyro_node_metric(back, i, k), pyro_node_metric(m, i, k));
    CHECK(pyro_profile_find_series(back, "memory"));
    pyro_buf_free(&b);
    pyro_profile_free(back);
    pyro_profile_free(m);
    pyro_profile_free(cpu);
    pyro_profile_free(mem);
}

/* The combined report under every failing allocation: PYRO_ENOMEM or a
 * report, nothing leaked. */
static void test_merged_report_nomem(void)
{
    pyro_profile_t *cpu = cpu_side(), *mem = mem_side(), *m = NULL;
    CHECK(cpu && mem);
    CHECK_EQ_INT(pyro_profile_merge_memory(cpu, mem, &m), PYRO_OK);
    int ok = 0;
    for (long n = 1; n < 100000 && !ok; n++) {
        pyro_buf_t b;
        pyro_buf_init(&b);
        test_alloc_fail_at(n);
        int rc = render(m, PYRO_FMT_REPORT, "", &b);
        test_alloc_reset();
        pyro_buf_free(&b);
        if (rc == PYRO_OK)
            ok = 1;
        else
            CHECK_EQ_INT(rc, PYRO_ENOMEM);
    }
    CHECK(ok);
    pyro_profile_free(m);
    pyro_profile_free(cpu);
    pyro_profile_free(mem);
}

void suite_merge(void)
{
    RUN(test_merged_formats);
    RUN(test_merged_report_nomem);
    RUN(test_merge_paths);
    RUN(test_merge_no_samples);
    RUN(test_merge_refuses);
    RUN(test_merge_nomem);
}
