/* SPDX-License-Identifier: MIT */
/* test_timeline: the memory timeline's rows, their bounded merging, the peak
 * RSS, export and allocation failures. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/error.h"
#include "model/profile.h"
#include "format/render.h"
#include "record/timeline.h"
#include "sample.h"
#include "test.h"

static int64_t gauge_value;
static int64_t gauge(void *ctx)
{
    (void)ctx;
    return gauge_value;
}

/* Tags: the heap value itself plus 1000, mapped to "function" tag - 1000. */
static uint64_t where(void *ctx)
{
    (void)ctx;
    return (uint64_t)gauge_value + 1000;
}

static int64_t map(void *ctx, uint64_t w, pyro_profile_t *p)
{
    (void)ctx;
    (void)p;
    return (int64_t)w - 1000;
}

static void test_timeline_args(void)
{
    pyro_timeline_t *t = NULL;
    CHECK(pyro_timeline_new(0, 8, NULL, NULL, NULL, &t) == PYRO_EINVAL);
    CHECK(pyro_timeline_new(1000, 2, NULL, NULL, NULL, &t) == PYRO_EINVAL);
    CHECK(pyro_timeline_new(1000, 7, NULL, NULL, NULL, &t) == PYRO_EINVAL);
    test_alloc_fail_at(1);
    CHECK(pyro_timeline_new(1000, 8, NULL, NULL, NULL, &t) == PYRO_ENOMEM);
    test_alloc_reset();
    pyro_timeline_free(NULL);
    CHECK(pyro_timeline_rss() > 0);
}

/* Marks only (a period of an hour: the thread never ticks): 4 rows at most,
 * each two merged keep the larger values and the first time, the peak
 * survives every merge. */
static void test_timeline_merging(void)
{
    pyro_timeline_t *t = NULL;
    CHECK(pyro_timeline_new(3600000000000LL, 4, gauge, where, NULL, &t) == PYRO_OK);
    static const int64_t heaps[] = {5, 1, 9, 2, 3, 100, 4, 6, 7};
    for (size_t i = 0; i < sizeof heaps / sizeof heaps[0]; i++) {
        gauge_value = heaps[i];
        pyro_timeline_mark(t);
    }
    pyro_profile_t *p = pyro_profile_new();
    CHECK(p);
    int rc = pyro_timeline_export(t, p, map, NULL);
    pyro_timeline_free(t);
    const pyro_series_t *s = pyro_profile_find_series(p, "memory");
    int ok = rc == PYRO_OK && s && s->ncols == 4 && s->nrows >= 2 && s->nrows <= 4;
    int64_t most = 0;
    for (uint32_t r = 0; ok && r < s->nrows; r++) {
        if (r && s->vals[r * 4] < s->vals[(r - 1) * 4])
            ok = 0; /* times ascend */
        if (s->vals[r * 4 + 2] > most)
            most = s->vals[r * 4 + 2];
        if (s->vals[r * 4 + 1] <= 0)
            ok = 0; /* an RSS was read */
        if (s->vals[r * 4 + 3] != s->vals[r * 4 + 2])
            ok = 0; /* a merged row keeps the tag of its larger heap */
    }
    ok = ok && most == 100 && s->vals[0] >= 0 && s->ncols == 4;
    ok = ok && pyro_series_col(p, s, "heap_bytes") == 2 &&
         pyro_profile_get_meta(p, "rss_peak_bytes") &&
         atoll(pyro_profile_get_meta(p, "rss_peak_bytes")) > 0 &&
         pyro_profile_get_meta(p, "rss_peak_ns");
    pyro_profile_free(p);
    CHECK(ok);
}

/* Running: memory touched while it runs is in the peak RSS (the last row
 * is read at stop, so this does not depend on when the thread ticks).
 * Stopped: its thread is gone from the process, not only joined (what
 * Python 3.12+ counts at os.fork()). */
static void test_timeline_thread(void)
{
    pyro_timeline_t *t = NULL;
    int unused, threads = test_nthreads((int)getpid(), 0, &unused);
    CHECK(pyro_timeline_new(1000000, 64, NULL, NULL, NULL, &t) == PYRO_OK);
    int64_t before = pyro_timeline_rss();
    CHECK(pyro_timeline_start(t) == PYRO_OK);
    CHECK(pyro_timeline_start(t) == PYRO_EINVAL);
    size_t size = 64u << 20;
    char *big = malloc(size);
    if (big)
        memset(big, 1, size);
    pyro_timeline_stop(t);
    CHECK(test_nthreads((int)getpid(), 0, &unused) == threads);
    pyro_timeline_stop(t); /* twice: harmless */
    pyro_profile_t *p = pyro_profile_new();
    int rc = p ? pyro_timeline_export(t, p, NULL, NULL) : PYRO_ENOMEM;
    int again = p ? pyro_timeline_export(t, p, NULL, NULL) : PYRO_ENOMEM;
    pyro_timeline_free(t);
    free(big);
    const pyro_series_t *s = p ? pyro_profile_find_series(p, "memory") : NULL;
    const char *peak = p ? pyro_profile_get_meta(p, "rss_peak_bytes") : NULL;
    int ok = big && rc == PYRO_OK && again == PYRO_EINVAL && s && s->nrows >= 2 && peak &&
             atoll(peak) >= before + (int64_t)(size - (4u << 20));
    pyro_profile_free(p);
    CHECK(ok);
}

static void test_timeline_export_oom(void)
{
    pyro_timeline_t *t = NULL;
    CHECK(pyro_timeline_new(3600000000000LL, 16, gauge, where, NULL, &t) == PYRO_OK);
    for (int i = 0; i < 10; i++)
        pyro_timeline_mark(t);
    int done = 0;
    for (long n = 1; n < 200 && !done; n++) {
        pyro_profile_t *p = pyro_profile_new();
        if (!p)
            break;
        test_alloc_fail_at(n);
        int rc = pyro_timeline_export(t, p, map, NULL);
        test_alloc_reset();
        done = rc == PYRO_OK;
        if (!done && rc != PYRO_ENOMEM)
            n = 1000; /* wrong error: fail below */
        pyro_profile_free(p);
    }
    pyro_timeline_free(t);
    CHECK(done);
}

/* The chart: both curves, both peaks with their sizes and times, the
 * biggest rises numbered and named by their function; the title escaped;
 * without a series, a chart that says so. */
static void test_timeline_chart(void)
{
    pyro_profile_t *p = sample_profile_memory("prog.py", 4096);
    CHECK(p);
    pyro_profile_set_meta(p, "command", "prog.py <&>");
    static const char *const cols[] = {"t_ns", "rss_bytes", "heap_bytes", "func"};
    uint32_t id;
    int rc = pyro_profile_add_series(p, "memory", 4, cols, &id);
    /* 0..2.5 s: the heap climbs by 100 MiB at 0.5 s (function 0), 200 MiB at 1.2 s
     * (function 1), then falls */
    static const int64_t rows[][4] = {
        {0, 20 << 20, 0, -1},
        {250000000, 21 << 20, 1 << 20, -1},
        {500000000, 121LL << 20, 101LL << 20, 0},
        {1200000000, 330LL << 20, 300LL << 20, 1},
        {1800000000, 340LL << 20, 60LL << 20, -1},
        {2500000000, 100LL << 20, 55LL << 20, 99999},
    };
    for (size_t i = 0; !rc && i < sizeof rows / sizeof rows[0]; i++)
        rc = pyro_series_append(p, id, rows[i]);
    pyro_buf_t b;
    pyro_buf_init(&b);
    if (!rc)
        rc = pyro_render(p, PYRO_FMT_TIMELINE, NULL, &b);
    pyro_buf_putc(&b, '\0');
    char f0[256] = "", f1[256] = "";
    pyro_buf_t n0, n1;
    pyro_buf_init(&n0);
    pyro_buf_init(&n1);
    pyro_render_opts_t o;
    pyro_render_defaults(&o);
    pyro_buf_t raw;
    pyro_buf_init(&raw);
    pyro_render_frame(p, 0, &o, &raw);
    pyro_render_xml(&n0, raw.data, raw.len);
    raw.len = 0;
    pyro_render_frame(p, 1, &o, &raw);
    pyro_render_xml(&n1, raw.data, raw.len);
    pyro_buf_free(&raw);
    snprintf(f0, sizeof f0, "+100.0 MiB by 500.0ms in %.*s", (int)n0.len, n0.data);
    snprintf(f1, sizeof f1, "1. +199.0 MiB by 1.200s in %.*s", (int)n1.len, n1.data);
    int ok = rc == PYRO_OK && !b.failed && strstr(b.data, "<svg") && strstr(b.data, "</svg>") &&
             strstr(b.data, "prog.py &lt;&amp;&gt;") && strstr(b.data, "peak RSS 350.0 MiB") &&
             strstr(b.data, "peak heap 300.0 MiB at 1.234s") && strstr(b.data, f1) &&
             strstr(b.data, f0) && !strstr(b.data, "3. +");
    /* two curves */
    const char *c = b.data ? strstr(b.data, "<polyline") : NULL;
    ok = ok && c && strstr(c + 1, "<polyline") &&
         !strstr(strstr(c + 1, "<polyline") + 1, "<polyline");
    pyro_buf_free(&n0);
    pyro_buf_free(&n1);
    pyro_buf_free(&b);
    pyro_profile_free(p);
    CHECK(ok);
    /* no series */
    p = sample_profile_memory("prog.py", 4096);
    pyro_buf_init(&b);
    rc = pyro_render(p, PYRO_FMT_TIMELINE, NULL, &b);
    pyro_buf_putc(&b, '\0');
    ok = rc == PYRO_OK && strstr(b.data, "No timeline was recorded");
    /* and every allocation failure is reported */
    for (long n = 1; n < 40 && ok; n++) {
        pyro_buf_t x;
        pyro_buf_init(&x);
        test_alloc_fail_at(n);
        rc = pyro_render(p, PYRO_FMT_TIMELINE, NULL, &x);
        test_alloc_reset();
        ok = rc == PYRO_OK || rc == PYRO_ENOMEM;
        pyro_buf_free(&x);
    }
    pyro_buf_free(&b);
    pyro_profile_free(p);
    CHECK(ok);
}

void suite_timeline(void)
{
    RUN(test_timeline_args);
    RUN(test_timeline_merging);
    RUN(test_timeline_thread);
    RUN(test_timeline_export_oom);
    RUN(test_timeline_chart);
}
