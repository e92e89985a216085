/* SPDX-License-Identifier: MIT */
/* sample: the small profile that the format tests and the fuzz seeds share. */
#include "sample.h"

#include <stdio.h>
#include <string.h>

#include "format/render.h"

/* Set node `n`'s metrics from trace numbers; a sample profile gets one
 * sample a millisecond of self time, half of them on a CPU, all holding the
 * GIL, and half the time as CPU time. */
static void metrics(pyro_profile_t *p, uint32_t n, int64_t calls, int64_t self, int64_t total)
{
    int64_t *v = pyro_node_vals(p, n);
    if (p->mode == PYRO_MODE_TRACE) {
        v[p->col[PYRO_M_CALLS]] = calls;
        v[p->col[PYRO_M_SELF_NS]] = self;
        v[p->col[PYRO_M_TOTAL_NS]] = total;
        return;
    }
    int64_t samples = self / 1000000;
    v[p->col[PYRO_M_SAMPLES]] = samples;
    v[p->col[PYRO_M_RUNNING]] = samples / 2;
    v[p->col[PYRO_M_GIL]] = samples;
    v[p->col[PYRO_M_CPU_NS]] = self / 2;
    v[p->col[PYRO_M_SELF_NS]] = samples * 1000000;
}

static pyro_profile_t *build(int mode)
{
    pyro_profile_t *p = pyro_profile_new();
    pyro_profile_set_mode(p, mode);
    uint32_t t0, t1, s;
    pyro_thread_t th = {11, 101, 0};
    pyro_profile_str(p, "MainThread", 10, &th.name);
    pyro_profile_add_thread(p, &th, &t0);
    th = (pyro_thread_t){12, 102, 0};
    pyro_profile_str(p, "worker", 6, &th.name);
    pyro_profile_add_thread(p, &th, &t1);
    pyro_func_t f = {0};
    uint32_t fmain, fwork, fabs_;
    pyro_profile_str(p, "<module>", 8, &f.name);
    f.qualname = f.name;
    pyro_profile_str(p, "/src/app/main.py", 16, &f.file);
    f.line = 1;
    pyro_profile_func(p, &f, &fmain);
    pyro_profile_str(p, "work", 4, &f.name);
    pyro_profile_str(p, "Job.work", 8, &f.qualname);
    f.line = 10;
    pyro_profile_func(p, &f, &fwork);
    f = (pyro_func_t){0};
    pyro_profile_str(p, "<built-in method builtins.abs>", 30, &f.name);
    f.qualname = f.name;
    pyro_profile_str(p, "~", 1, &f.file);
    f.kind = PYRO_FUNC_NATIVE;
    pyro_profile_func(p, &f, &fabs_);
    uint32_t r, w, w2, a;
    pyro_profile_child(p, PYRO_NONE, t0, fmain, 0, &r);
    metrics(p, r, 1, 1000, 9000000);
    pyro_profile_child(p, r, t0, fwork, 0, &w);
    metrics(p, w, 3, 3000000, 8000000);
    pyro_profile_child(p, w, t0, fwork, 0, &w2);
    metrics(p, w2, 2, 1000000, 1000000);
    pyro_profile_child(p, w, t0, fabs_, 0, &a);
    metrics(p, a, 1000000, 4000000, 4000000);
    pyro_profile_child(p, PYRO_NONE, t1, fwork, 0, &s);
    metrics(p, s, 1, 2000000, 2000000);
    pyro_profile_set_meta(p, "clock", "wall");
    if (mode == PYRO_MODE_SAMPLE)
        pyro_profile_fill_totals(p);
    return p;
}

pyro_profile_t *sample_profile(void) { return build(PYRO_MODE_TRACE); }

const char SAMPLE_LINES_SOURCE[] = "import time\n"            /* 1 */
                                   "\n"                       /* 2 */
                                   "@profile\n"               /* 3 */
                                   "def work(n):\n"           /* 4 */
                                   "    total = 0\n"          /* 5 */
                                   "    for i in range(n):\n" /* 6 */
                                   "        total += i\n"     /* 7 */
                                   "    # a comment\n"        /* 8 */
                                   "    if n < 0:\n"          /* 9 */
                                   "        return -1\n"      /* 10 */
                                   "    time.sleep(0.1)\n"    /* 11 */
                                   "    return total\n"       /* 12 */
                                   "\n"                       /* 13 */
                                   "def never():\n"           /* 14 */
                                   "    return 1\n"           /* 15 */
                                   "\n"                       /* 16 */
                                   "work(10)\n"               /* 17 */
                                   "work(10)\n";              /* 18 */

/* Add lines-mode nodes of function `f` on thread `t`: a root with `calls`,
 * then (line, hits, ns) triples until a line 0; the root's total_ns is the
 * sum of its lines'. */
static void lines_of(pyro_profile_t *p, uint32_t t, uint32_t f, int64_t calls, const int64_t *rows)
{
    uint32_t r, n;
    pyro_profile_child(p, PYRO_NONE, t, f, 0, &r);
    pyro_node_add(p, r, p->col[PYRO_M_CALLS], calls);
    for (; rows[0]; rows += 3) {
        pyro_profile_child(p, r, t, f, (uint32_t)rows[0], &n);
        pyro_node_add(p, n, p->col[PYRO_M_HITS], rows[1]);
        pyro_node_add(p, n, p->col[PYRO_M_TOTAL_NS], rows[2]);
        pyro_node_add(p, r, p->col[PYRO_M_TOTAL_NS], rows[2]);
    }
}

pyro_profile_t *sample_profile_lines(const char *file)
{
    pyro_profile_t *p = pyro_profile_new();
    pyro_profile_set_mode(p, PYRO_MODE_LINES);
    uint32_t t0, t1, fwork, fnever;
    pyro_thread_t th = {11, 101, 0};
    pyro_profile_str(p, "MainThread", 10, &th.name);
    pyro_profile_add_thread(p, &th, &t0);
    th = (pyro_thread_t){12, 102, 0};
    pyro_profile_str(p, "worker", 6, &th.name);
    pyro_profile_add_thread(p, &th, &t1);
    pyro_func_t f = {0, 0, 0, 3, PYRO_FUNC_PYTHON};
    pyro_profile_str(p, "work", 4, &f.name);
    f.qualname = f.name;
    pyro_profile_str(p, file, strlen(file), &f.file);
    pyro_profile_func(p, &f, &fwork);
    pyro_profile_str(p, "never", 5, &f.name);
    f.qualname = f.name;
    f.line = 14;
    pyro_profile_func(p, &f, &fnever);
    /* never() first: the report orders by file and line, not by recording */
    static const int64_t never_rows[] = {15, 0, 0, 0};
    lines_of(p, t0, fnever, 0, never_rows);
    static const int64_t main_rows[] = {5,   2,  1000, 6, 22, 5000, 7,         20, 4000, 9,   2,
                                        500, 10, 0,    0, 11, 2,    200000000, 12, 2,    500, 0};
    lines_of(p, t0, fwork, 2, main_rows);
    static const int64_t worker_rows[] = {5,   1,  500, 6, 11, 2500, 7,         10, 2000, 9,   1,
                                          250, 10, 0,   0, 11, 1,    100000000, 12, 1,    250, 0};
    lines_of(p, t1, fwork, 1, worker_rows);
    pyro_profile_set_meta(p, "clock", "wall");
    pyro_profile_set_meta(p, "command", "prog.py");
    return p;
}

pyro_profile_t *sample_profile_sampled(void) { return build(PYRO_MODE_SAMPLE); }

const char SAMPLE_MEMORY_SOURCE[] = "import threading\n"                                    /* 1 */
                                    "\n"                                                    /* 2 */
                                    "def keep():\n"                                         /* 3 */
                                    "    return bytearray(200 << 20)\n"                     /* 4 */
                                    "\n"                                                    /* 5 */
                                    "def churn(n):\n"                                       /* 6 */
                                    "    tmp = bytearray(n << 20)\n"                        /* 7 */
                                    "    del tmp\n"                                         /* 8 */
                                    "\n"                                                    /* 9 */
                                    "def strings(n):\n"                                     /* 10 */
                                    "    return [str(i) for i in range(n)]\n"               /* 11 */
                                    "\n"                                                    /* 12 */
                                    "def deep(k):\n"                                        /* 13 */
                                    "    if k: return deep(k - 1)\n"                        /* 14 */
                                    "    return bytearray(1 << 20)\n"                       /* 15 */
                                    "\n"                                                    /* 16 */
                                    "kept = keep()\n"                                       /* 17 */
                                    "churn(100)\n"                                          /* 18 */
                                    "s = strings(1000)\n"                                   /* 19 */
                                    "deep(12)\n"                                            /* 20 */
                                    "threading.Thread(target=churn, args=(50,)).start()\n"; /* 21 */

/* Add to node (parent, t, f, line) what allocations there did: bytes and
 * count allocated, bytes freed, bytes live at the peak (and then all of its
 * allocations were); what was not freed is leaked, and so are
 * `leaked_allocs` of the allocations. */
static uint32_t mem_node(pyro_profile_t *p, uint32_t parent, uint32_t t, uint32_t f, uint32_t line,
                         int64_t alloc, int64_t allocs, int64_t freed, int64_t peak,
                         int64_t leaked_allocs)
{
    uint32_t n = 0;
    pyro_profile_child(p, parent, t, f, line, &n);
    pyro_node_add(p, n, p->col[PYRO_M_ALLOC_BYTES], alloc);
    pyro_node_add(p, n, p->col[PYRO_M_ALLOCS], allocs);
    pyro_node_add(p, n, p->col[PYRO_M_FREED_BYTES], freed);
    pyro_node_add(p, n, p->col[PYRO_M_PEAK_BYTES], peak);
    pyro_node_add(p, n, p->col[PYRO_M_PEAK_ALLOCS], peak ? allocs : 0);
    pyro_node_add(p, n, p->col[PYRO_M_LEAKED_BYTES], alloc - freed);
    pyro_node_add(p, n, p->col[PYRO_M_LEAKED_ALLOCS], leaked_allocs);
    return n;
}

pyro_profile_t *sample_profile_memory(const char *file, int64_t interval)
{
    const int64_t MiB = 1 << 20;
    pyro_profile_t *p = pyro_profile_new();
    pyro_profile_set_mode(p, PYRO_MODE_MEMORY);
    uint32_t t0, t1;
    pyro_thread_t th = {11, 101, 0};
    pyro_profile_str(p, "MainThread", 10, &th.name);
    pyro_profile_add_thread(p, &th, &t0);
    th = (pyro_thread_t){12, 102, 0};
    pyro_profile_str(p, "worker", 6, &th.name);
    pyro_profile_add_thread(p, &th, &t1);
    static const struct {
        const char *name;
        uint32_t line;
    } fs[] = {{"<module>", 1}, {"keep", 3}, {"churn", 6}, {"strings", 10}, {"deep", 13}};
    uint32_t fid[5];
    for (int i = 0; i < 5; i++) {
        pyro_func_t f = {0, 0, 0, fs[i].line, PYRO_FUNC_PYTHON};
        pyro_profile_str(p, fs[i].name, strlen(fs[i].name), &f.name);
        f.qualname = f.name;
        pyro_profile_str(p, file, strlen(file), &f.file);
        pyro_profile_func(p, &f, &fid[i]);
    }
    uint32_t m17, m18, m19, m20, d;
    m17 = mem_node(p, PYRO_NONE, t0, fid[0], 17, 0, 0, 0, 0, 0);
    mem_node(p, m17, t0, fid[1], 4, 200 * MiB, 1, 0, 200 * MiB, 1);
    m18 = mem_node(p, PYRO_NONE, t0, fid[0], 18, 0, 0, 0, 0, 0);
    mem_node(p, m18, t0, fid[2], 7, 100 * MiB, 1, 100 * MiB, 100 * MiB, 0);
    m19 = mem_node(p, PYRO_NONE, t0, fid[0], 19, 8056, 1, 0, 0, 1);
    mem_node(p, m19, t0, fid[3], 11, 50000, 1000, 0, 0, 1000);
    m20 = mem_node(p, PYRO_NONE, t0, fid[0], 20, 0, 0, 0, 0, 0);
    d = m20;
    for (int k = 0; k < 13; k++)
        d = mem_node(p, d, t0, fid[4], 14, 0, 0, 0, 0, 0);
    mem_node(p, d, t0, fid[4], 15, MiB, 1, 0, 0, 1);
    mem_node(p, PYRO_NONE, t1, fid[2], 7, 50 * MiB, 1, 50 * MiB, 0, 0);
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)interval);
    pyro_profile_set_meta(p, "mem_interval", v);
    snprintf(v, sizeof v, "%lld", (long long)(300 * MiB));
    pyro_profile_set_meta(p, "mem_peak_bytes", v);
    pyro_profile_set_meta(p, "mem_peak_ns", "1234000000");
    pyro_profile_set_meta(p, "mem_peak_allocs", "2");
    pyro_profile_set_meta(p, "duration_ns", "2500000000");
    snprintf(v, sizeof v, "%lld", (long long)(200 * MiB + 8056 + 50000 + MiB));
    pyro_profile_set_meta(p, "mem_heap_bytes", v);
    snprintf(v, sizeof v, "%lld", (long long)(351 * MiB + 8056 + 50000));
    pyro_profile_set_meta(p, "mem_alloc_bytes", v);
    pyro_profile_set_meta(p, "mem_allocs", "1005");
    pyro_profile_set_meta(p, "mem_live_allocs", "1003");
    pyro_profile_set_meta(p, "mem_dropped", "0");
    pyro_profile_set_meta(p, "mem_own_bytes", "65536");
    snprintf(v, sizeof v, "%lld", (long long)(350 * MiB));
    pyro_profile_set_meta(p, "rss_peak_bytes", v);
    pyro_profile_set_meta(p, "command", "prog.py");
    return p;
}

void render_all(const pyro_profile_t *p)
{
    for (int fmt = 0; fmt < PYRO_FMT_COUNT; fmt++) {
        pyro_buf_t b;
        pyro_buf_init(&b);
        pyro_render(p, fmt, NULL, &b);
        pyro_buf_free(&b);
    }
}
