/* SPDX-License-Identifier: MIT */
/* test_timeline: the memory timeline's rows, their bounded merging, the peak
 * RSS, export and allocation failures. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/error.h"
#include "model/profile.h"
#include "record/timeline.h"
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
 * is read at stop, so this does not depend on when the thread ticks). */
static void test_timeline_thread(void)
{
    pyro_timeline_t *t = NULL;
    CHECK(pyro_timeline_new(1000000, 64, NULL, NULL, NULL, &t) == PYRO_OK);
    int64_t before = pyro_timeline_rss();
    CHECK(pyro_timeline_start(t) == PYRO_OK);
    CHECK(pyro_timeline_start(t) == PYRO_EINVAL);
    size_t size = 64u << 20;
    char *big = malloc(size);
    if (big)
        memset(big, 1, size);
    pyro_timeline_stop(t);
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

void suite_timeline(void)
{
    RUN(test_timeline_args);
    RUN(test_timeline_merging);
    RUN(test_timeline_thread);
    RUN(test_timeline_export_oom);
}
