/* SPDX-License-Identifier: MIT */
/* test_memtrack: synthetic allocation streams through the memory recorder:
 * the estimator, peak attribution against a brute-force replay, frees it
 * must ignore, reused addresses, max_bytes, allocation failures, export. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "model/error.h"
#include "model/profile.h"
#include "record/memtrack.h"
#include "test.h"

#define UNRESOLVABLE 999 /* the code id the test resolver refuses */

/* Code k is function "f<k>" of m.py, first line 10 k; offset o is line
 * 10 k + o / 2 (two offsets per line, as CPython's 2-byte code units). */
static int resolver(void *ctx, uint64_t code, uint32_t offset, const char **name,
                    const char **qualname, const char **file, uint32_t *firstline, uint32_t *line)
{
    static char buf[32];
    int *calls = ctx;
    if (calls)
        (*calls)++;
    if (code == UNRESOLVABLE)
        return -1;
    snprintf(buf, sizeof buf, "f%llu", (unsigned long long)code);
    *name = buf;
    *qualname = buf;
    *file = "m.py";
    *firstline = (uint32_t)code * 10;
    *line = (uint32_t)code * 10 + offset / 2;
    return 0;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static pyro_memtrack_t *make(uint64_t interval, uint64_t seed, size_t max_bytes)
{
    pyro_memtrack_opts_t o = {.interval = interval, .seed = seed, .max_bytes = max_bytes};
    pyro_memtrack_t *m = NULL;
    if (pyro_memtrack_new(&o, &m) != PYRO_OK)
        return NULL;
    return m;
}

/* Allocate as the hooks do: ask the hot path, register when asked, record
 * when chosen. */
static void alloc1(pyro_memtrack_t *m, pyro_memthread_t *t, uint64_t ident, uint64_t addr,
                   size_t size, const pyro_memframe_t *f, uint32_t n)
{
    if (!pyro_memtrack_should_sample(m, t, size))
        return;
    if (!pyro_memtrack_registered(m, t)) {
        pyro_memtrack_thread(m, t, ident, ident + 1000);
        if (!pyro_memtrack_should_sample(m, t, size))
            return;
    }
    pyro_memtrack_alloc(m, t, addr, size, f, n);
}

static void free1(pyro_memtrack_t *m, uint64_t addr)
{
    if (pyro_memtrack_maybe_live(m, addr))
        pyro_memtrack_freed(m, addr);
}

/* The node at the end of the path of function ids `codes` (outermost
 * first; each frame at offset 0) under thread `thread`, or PYRO_NONE. A
 * first code of 0 means the synthetic root named `root`. */
static uint32_t path_of(const pyro_profile_t *p, uint32_t thread, const char *root,
                        const uint64_t *codes, uint32_t n)
{
    uint32_t parent = PYRO_NONE;
    for (uint32_t k = 0; k < n; k++) {
        char name[32];
        if (codes[k] == 0)
            snprintf(name, sizeof name, "%s", root);
        else
            snprintf(name, sizeof name, "f%llu", (unsigned long long)codes[k]);
        uint32_t found = PYRO_NONE;
        for (uint32_t i = 0; i < p->nnodes && found == PYRO_NONE; i++) {
            const pyro_node_t *nd = &p->nodes[i];
            if (nd->parent == parent && nd->thread == thread &&
                strcmp(pyro_profile_strget(p, p->funcs[nd->func].name), name) == 0)
                found = i;
        }
        if (found == PYRO_NONE)
            return PYRO_NONE;
        parent = found;
    }
    return parent;
}

static int64_t meta_int(const pyro_profile_t *p, const char *key)
{
    const char *v = pyro_profile_get_meta(p, key);
    return v ? strtoll(v, NULL, 10) : -1;
}

/* Every node's values are non-negative, freed <= allocated, leaked = alloc
 * - freed, peak <= allocated (bytes and allocations). */
static int consistent(const pyro_profile_t *p)
{
    for (uint32_t i = 0; i < p->nnodes; i++) {
        int64_t a = pyro_node_metric(p, i, PYRO_M_ALLOC_BYTES);
        int64_t c = pyro_node_metric(p, i, PYRO_M_ALLOCS);
        int64_t f = pyro_node_metric(p, i, PYRO_M_FREED_BYTES);
        int64_t k = pyro_node_metric(p, i, PYRO_M_PEAK_BYTES);
        int64_t l = pyro_node_metric(p, i, PYRO_M_LEAKED_BYTES);
        int64_t lc = pyro_node_metric(p, i, PYRO_M_LEAKED_ALLOCS);
        int64_t kc = pyro_node_metric(p, i, PYRO_M_PEAK_ALLOCS);
        if (a < 0 || c < 0 || f < 0 || k < 0 || l < 0 || lc < 0 || f > a || l != a - f || k > a ||
            lc > c || kc < 0 || kc > c)
            return 0;
    }
    return 1;
}

/* ==== exact mode ==== */

static void test_mem_exact_basic(void)
{
    pyro_memtrack_t *m = make(0, 1, 0);
    CHECK(m);
    pyro_memthread_t t = {0};
    pyro_memframe_t f1[2] = {{1, 0}, {2, 4}}, f2[1] = {{3, 6}};
    alloc1(m, &t, 7, 0x1000, 100, f1, 2);
    alloc1(m, &t, 7, 0x2000, 200, f2, 1);
    alloc1(m, &t, 7, 0x3000, 0, f2, 1);
    free1(m, 0x1000);
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 200);
    CHECK_EQ_INT(tot.peak_bytes, 300);
    CHECK_EQ_INT(tot.alloc_bytes, 300);
    CHECK_EQ_INT(tot.allocs, 3);
    CHECK_EQ_INT(tot.live_allocs, 2);
    CHECK_EQ_INT(tot.peak_allocs, 2); /* the 0-byte block came after the peak */
    CHECK_EQ_INT(tot.dropped, 0);
    CHECK(tot.own_bytes > 0);
    CHECK(tot.peak_ns >= 0);
    pyro_profile_t *p = NULL;
    CHECK(pyro_memtrack_export(m, resolver, NULL, &p) == PYRO_OK);
    CHECK(p->mode == PYRO_MODE_MEMORY && p->nthreads == 1);
    CHECK_EQ_INT(p->threads[0].ident, 7);
    CHECK_EQ_INT(p->threads[0].native_id, 1007);
    uint64_t c1[] = {2, 1}, c2[] = {3};
    uint32_t n1 = path_of(p, 0, NULL, c1, 2), n2 = path_of(p, 0, NULL, c2, 1);
    CHECK(n1 != PYRO_NONE && n2 != PYRO_NONE);
    CHECK_EQ_INT(p->nodes[n1].line, 10);                  /* code 1, offset 0 */
    CHECK_EQ_INT(p->nodes[p->nodes[n1].parent].line, 22); /* code 2, offset 4 */
    CHECK_EQ_INT(p->nodes[n2].line, 33);
    CHECK_EQ_INT(pyro_node_metric(p, n1, PYRO_M_ALLOC_BYTES), 100);
    CHECK_EQ_INT(pyro_node_metric(p, n1, PYRO_M_FREED_BYTES), 100);
    CHECK_EQ_INT(pyro_node_metric(p, n1, PYRO_M_PEAK_BYTES), 100);
    CHECK_EQ_INT(pyro_node_metric(p, n1, PYRO_M_LEAKED_BYTES), 0);
    CHECK_EQ_INT(pyro_node_metric(p, n1, PYRO_M_ALLOCS), 1);
    CHECK_EQ_INT(pyro_node_metric(p, n1, PYRO_M_LEAKED_ALLOCS), 0);
    CHECK_EQ_INT(pyro_node_metric(p, n2, PYRO_M_ALLOC_BYTES), 200);
    CHECK_EQ_INT(pyro_node_metric(p, n2, PYRO_M_ALLOCS), 2);
    CHECK_EQ_INT(pyro_node_metric(p, n2, PYRO_M_LEAKED_ALLOCS), 2);
    CHECK_EQ_INT(pyro_node_metric(p, n2, PYRO_M_PEAK_BYTES), 200);
    CHECK_EQ_INT(pyro_node_metric(p, n1, PYRO_M_PEAK_ALLOCS), 1);
    CHECK_EQ_INT(pyro_node_metric(p, n2, PYRO_M_PEAK_ALLOCS), 1); /* not the 0-byte one */
    CHECK_EQ_INT(meta_int(p, "mem_peak_allocs"), 2);
    /* the outer frame holds nothing of its own */
    CHECK_EQ_INT(pyro_node_metric(p, p->nodes[n1].parent, PYRO_M_ALLOC_BYTES), 0);
    CHECK(consistent(p));
    pyro_profile_free(p);
    pyro_memtrack_free(m);
}

/* Frames whose padding was never written (a hook's capture buffer filled
 * field by field) compare by their fields alone (valgrind checks that no
 * decision depends on the padding). */
static void test_mem_frame_padding(void)
{
    pyro_memtrack_t *m = make(0, 1, 0);
    CHECK(m);
    pyro_memthread_t t = {0};
    pyro_memframe_t *a = malloc(20 * sizeof *a), *b = malloc(20 * sizeof *b);
    CHECK(a && b);
    memset(b, 0xA5, 20 * sizeof *b); /* other padding than a's */
    for (uint32_t i = 0; i < 20; i++) {
        a[i].code = b[i].code = 0x7000 + i * 64;
        a[i].offset = b[i].offset = i;
    }
    alloc1(m, &t, 1, 0x100, 1, a, 20);
    alloc1(m, &t, 1, 0x200, 2, b, 20); /* the same stack, through the cache */
    b[19].offset = 99;
    alloc1(m, &t, 1, 0x300, 4, b, 20); /* differs in its outermost frame only */
    free(a);
    free(b);
    pyro_profile_t *p = NULL;
    CHECK(pyro_memtrack_export(m, resolver, NULL, &p) == PYRO_OK);
    int leaves = 0;
    for (uint32_t i = 0; i < p->nnodes; i++) {
        int64_t v = pyro_node_metric(p, i, PYRO_M_ALLOC_BYTES);
        if (v) {
            CHECK(v == 3 || v == 4);
            leaves++;
        }
    }
    CHECK_EQ_INT(leaves, 2);
    pyro_profile_free(p);
    pyro_memtrack_free(m);
}

/* A block far larger than the interval is always recorded, at its size. */
static void test_mem_large_block(void)
{
    const size_t big = (size_t)200 << 20;
    for (int exact = 0; exact < 2; exact++) {
        pyro_memtrack_t *m = make(exact ? 0 : 4096, 3, 0);
        CHECK(m);
        pyro_memthread_t t = {0};
        pyro_memframe_t f = {5, 0};
        alloc1(m, &t, 1, 0x7f0000000000, big, &f, 1);
        pyro_memtrack_totals_t tot;
        pyro_memtrack_totals(m, &tot);
        CHECK_EQ_INT(tot.alloc_bytes, big);
        CHECK_EQ_INT(tot.heap_bytes, big);
        CHECK_EQ_INT(tot.peak_bytes, big);
        CHECK_EQ_INT(tot.allocs, 1);
        free1(m, 0x7f0000000000);
        pyro_memtrack_totals(m, &tot);
        CHECK_EQ_INT(tot.heap_bytes, 0);
        CHECK_EQ_INT(tot.live_allocs, 0);
        /* sizes past 2^39 bytes are kept in 4 KiB units, the same both ways */
        alloc1(m, &t, 1, 0x10, ((size_t)1 << 40) + 1, &f, 1);
        free1(m, 0x10);
        pyro_memtrack_totals(m, &tot);
        CHECK_EQ_INT(tot.heap_bytes, 0);
        CHECK_EQ_INT(tot.alloc_bytes, big + ((size_t)1 << 40) + 4096);
        pyro_memtrack_free(m);
    }
}

/* ==== sampled mode: the estimator ==== */

static void test_mem_estimator(void)
{
    pyro_memtrack_t *m = make(4096, 12345, 0);
    CHECK(m);
    pyro_memthread_t t = {0};
    pyro_memframe_t small = {1, 0}, mid = {2, 0}, large = {3, 0};
    const int64_t n = 1000000;
    for (int64_t i = 0; i < n; i++)
        alloc1(m, &t, 1, (uint64_t)(i + 1) * 64, 64, &small, 1);
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    double est = (double)tot.alloc_bytes, truth = 64.0 * (double)n;
    fprintf(stderr, "    1e6 x 64 B sampled every 4096 B: estimate %.0f B (%.2f%%), %lld allocs\n",
            est, 100.0 * (est - truth) / truth, (long long)tot.allocs);
    CHECK(est > truth * 0.98 && est < truth * 1.02);
    CHECK(tot.allocs > n * 98 / 100 && tot.allocs < n * 102 / 100);
    CHECK(tot.heap_bytes == tot.alloc_bytes);
    /* a mix: 20000 blocks of 3000 B and 20 of 1 MiB */
    int64_t before = tot.alloc_bytes;
    for (int64_t i = 0; i < 20000; i++)
        alloc1(m, &t, 1, 0x100000000 + (uint64_t)i * 4096, 3000, &mid, 1);
    for (int64_t i = 0; i < 20; i++)
        alloc1(m, &t, 1, 0x200000000 + (uint64_t)i * (1 << 21), 1 << 20, &large, 1);
    pyro_memtrack_totals(m, &tot);
    pyro_profile_t *p = NULL;
    CHECK(pyro_memtrack_export(m, resolver, NULL, &p) == PYRO_OK);
    uint64_t c2 = 2, c3 = 3;
    uint32_t n2 = path_of(p, 0, NULL, &c2, 1), n3 = path_of(p, 0, NULL, &c3, 1);
    CHECK(n2 != PYRO_NONE && n3 != PYRO_NONE);
    int64_t e2 = pyro_node_metric(p, n2, PYRO_M_ALLOC_BYTES);
    int64_t e3 = pyro_node_metric(p, n3, PYRO_M_ALLOC_BYTES);
    CHECK(e2 > 60000000 * 95LL / 100 && e2 < 60000000 * 105LL / 100);
    CHECK(e3 > (20LL << 20) * 99 / 100 && e3 < (20LL << 20) * 101 / 100);
    CHECK_EQ_INT(tot.alloc_bytes - before, e2 + e3);
    CHECK(consistent(p));
    pyro_profile_free(p);
    /* freeing everything brings every estimate back to exactly zero */
    for (int64_t i = 0; i < n; i++)
        free1(m, (uint64_t)(i + 1) * 64);
    for (int64_t i = 0; i < 20000; i++)
        free1(m, 0x100000000 + (uint64_t)i * 4096);
    for (int64_t i = 0; i < 20; i++)
        free1(m, 0x200000000 + (uint64_t)i * (1 << 21));
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 0);
    CHECK_EQ_INT(tot.live_allocs, 0);
    CHECK(pyro_memtrack_export(m, resolver, NULL, &p) == PYRO_OK);
    CHECK(consistent(p));
    for (uint32_t i = 0; i < p->nnodes; i++)
        CHECK_EQ_INT(pyro_node_metric(p, i, PYRO_M_LEAKED_BYTES), 0);
    pyro_profile_free(p);
    pyro_memtrack_free(m);
}

/* Sizes of every order around the interval: the estimate of bytes is
 * within 2% over half a million; that of the count, unbiased too, varies
 * more (a recorded 1-byte block stands for ~4096 allocations: over 20
 * seeds it came within 7%, their mean within 0.2%). */
static void test_mem_estimator_sizes(void)
{
    pyro_memtrack_t *m = make(4096, 777, 0);
    CHECK(m);
    pyro_memthread_t t = {0};
    pyro_memframe_t f = {1, 0};
    uint64_t s = 42;
    double truth = 0;
    const int n = 500000;
    for (int i = 0; i < n; i++) {
        uint64_t r = rng_next(&s);
        size_t size = (size_t)1 << (r % 15); /* 1 B .. 16 KiB */
        size += (r >> 8) % size;
        truth += (double)size;
        alloc1(m, &t, 1, 0x100000 + (uint64_t)i * 32768, size, &f, 1);
    }
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    CHECK((double)tot.alloc_bytes > truth * 0.98 && (double)tot.alloc_bytes < truth * 1.02);
    CHECK(tot.allocs > n * 85 / 100 && tot.allocs < n * 115 / 100);
    for (int i = 0; i < n; i++)
        free1(m, 0x100000 + (uint64_t)i * 32768);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 0);
    CHECK_EQ_INT(tot.live_allocs, 0);
    pyro_memtrack_free(m);
}

/* The same seed makes the same run. */
static void test_mem_seed_repeatable(void)
{
    pyro_memtrack_totals_t a[2];
    for (int r = 0; r < 2; r++) {
        pyro_memtrack_t *m = make(1000, 99, 0);
        CHECK(m);
        pyro_memthread_t t = {0};
        pyro_memframe_t f = {1, 0};
        uint64_t s = 5;
        for (int i = 0; i < 10000; i++)
            alloc1(m, &t, 1, (uint64_t)(i + 1) * 16, 1 + rng_next(&s) % 500, &f, 1);
        pyro_memtrack_totals(m, &a[r]);
        pyro_memtrack_free(m);
    }
    CHECK_EQ_INT(a[0].alloc_bytes, a[1].alloc_bytes);
    CHECK_EQ_INT(a[0].allocs, a[1].allocs);
    CHECK(a[0].alloc_bytes > 0);
}

/* ==== peak attribution ==== */

#define RSTACKS 12
#define RADDRS 400

/* Random allocations and frees on 12 stacks of 2 threads, checked against a
 * replay that copies every stack's live bytes at each new peak. */
static void test_mem_peak_replay(void)
{
    pyro_memtrack_t *m = make(0, 1, 0);
    CHECK(m);
    pyro_memthread_t t[2] = {{0}, {0}};
    int64_t live[RSTACKS] = {0}, at_peak[RSTACKS] = {0}, alloc[RSTACKS] = {0};
    int64_t nlive[RSTACKS] = {0}, nat_peak[RSTACKS] = {0}; /* allocations */
    int64_t heap = 0, peak = 0, npeak = 0;
    size_t size_of[RADDRS] = {0};
    int stack_of[RADDRS];
    uint64_t s = 0x1234567;
    CHECK(pyro_memtrack_thread(m, &t[0], 1, 1001) == PYRO_OK);
    CHECK(pyro_memtrack_thread(m, &t[1], 2, 1002) == PYRO_OK);
    for (int step = 0; step < 50000; step++) {
        uint64_t r = rng_next(&s);
        int a = (int)(r % RADDRS);
        uint64_t addr = 0x10000 + (uint64_t)a * 48;
        if (size_of[a] && (r >> 20) % 3 != 0) { /* free it */
            free1(m, addr);
            live[stack_of[a]] -= (int64_t)size_of[a];
            nlive[stack_of[a]]--;
            heap -= (int64_t)size_of[a];
            size_of[a] = 0;
            continue;
        }
        if (size_of[a]) { /* allocated again without a free: the missed free counts */
            live[stack_of[a]] -= (int64_t)size_of[a];
            nlive[stack_of[a]]--;
            heap -= (int64_t)size_of[a];
        }
        int st = (int)((r >> 32) % RSTACKS);
        size_t size = 1 + (r >> 40) % (step < 25000 ? 3000 : 6000);
        int th = st % 2;
        pyro_memframe_t f[2] = {{(uint64_t)st + 1, 0}, {100, (uint32_t)th * 2}};
        alloc1(m, &t[th], (uint64_t)th + 1, addr, size, f, 2);
        size_of[a] = size;
        stack_of[a] = st;
        live[st] += (int64_t)size;
        nlive[st]++;
        alloc[st] += (int64_t)size;
        heap += (int64_t)size;
        if (heap > peak) {
            peak = heap;
            memcpy(at_peak, live, sizeof live);
            memcpy(nat_peak, nlive, sizeof nlive);
        }
    }
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.peak_bytes, peak);
    CHECK_EQ_INT(tot.heap_bytes, heap);
    pyro_profile_t *p = NULL;
    CHECK(pyro_memtrack_export(m, resolver, NULL, &p) == PYRO_OK);
    CHECK_EQ_INT(p->nthreads, 2);
    CHECK_EQ_INT(meta_int(p, "mem_peak_bytes"), peak);
    for (int st = 0; st < RSTACKS; st++)
        npeak += nat_peak[st];
    CHECK_EQ_INT(tot.peak_allocs, npeak);
    CHECK_EQ_INT(meta_int(p, "mem_peak_allocs"), npeak);
    int64_t sum = 0;
    for (int st = 0; st < RSTACKS; st++) {
        uint64_t codes[2] = {100, (uint64_t)st + 1};
        uint32_t n = path_of(p, (uint32_t)(st % 2), NULL, codes, 2);
        CHECK(n != PYRO_NONE);
        CHECK_EQ_INT(pyro_node_metric(p, n, PYRO_M_PEAK_BYTES), at_peak[st]);
        CHECK_EQ_INT(pyro_node_metric(p, n, PYRO_M_PEAK_ALLOCS), nat_peak[st]);
        CHECK_EQ_INT(pyro_node_metric(p, n, PYRO_M_LEAKED_BYTES), live[st]);
        CHECK_EQ_INT(pyro_node_metric(p, n, PYRO_M_ALLOC_BYTES), alloc[st]);
        sum += at_peak[st];
    }
    CHECK_EQ_INT(sum, peak);
    CHECK(consistent(p));
    pyro_profile_free(p);
    pyro_memtrack_free(m);
}

/* Sampled, the per-stack estimates add up to the totals: peaks to the
 * peak, what is live to the heap. */
static void test_mem_sampled_sums(void)
{
    pyro_memtrack_t *m = make(512, 3, 0);
    CHECK(m);
    pyro_memthread_t t = {0};
    size_t size_of[RADDRS] = {0};
    uint64_t s = 0xabcdef;
    for (int step = 0; step < 100000; step++) {
        uint64_t r = rng_next(&s);
        int a = (int)(r % RADDRS);
        uint64_t addr = 0x10000 + (uint64_t)a * 64;
        if (size_of[a] && (r >> 20) % 2) {
            free1(m, addr);
            size_of[a] = 0;
            continue;
        }
        pyro_memframe_t f[2] = {{(r >> 32) % RSTACKS + 1, 0}, {100, 0}};
        size_of[a] = 1 + (r >> 40) % 4000;
        alloc1(m, &t, 1, addr, size_of[a], f, 2);
    }
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    pyro_profile_t *p = NULL;
    CHECK(pyro_memtrack_export(m, resolver, NULL, &p) == PYRO_OK);
    CHECK(consistent(p));
    int64_t peak = 0, live = 0, alloc = 0;
    for (uint32_t i = 0; i < p->nnodes; i++) {
        peak += pyro_node_metric(p, i, PYRO_M_PEAK_BYTES);
        live += pyro_node_metric(p, i, PYRO_M_LEAKED_BYTES);
        alloc += pyro_node_metric(p, i, PYRO_M_ALLOC_BYTES);
    }
    CHECK(tot.peak_bytes > 0 && tot.heap_bytes > 0);
    CHECK_EQ_INT(peak, tot.peak_bytes);
    CHECK_EQ_INT(live, tot.heap_bytes);
    CHECK_EQ_INT(alloc, tot.alloc_bytes);
    pyro_profile_free(p);
    pyro_memtrack_free(m);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    while (nanosleep(&ts, &ts))
        ;
}

/* The peak's time is read again when the heap passes its peak after a dip
 * deeper than the slack, not when it creeps up within it. */
static void test_mem_peak_time(void)
{
    pyro_memtrack_t *m = make(0, 1, 0);
    CHECK(m);
    pyro_memthread_t t = {0};
    pyro_memframe_t f = {1, 0};
    alloc1(m, &t, 1, 0x1000, 1 << 20, &f, 1);
    pyro_memtrack_totals_t a, b, c;
    pyro_memtrack_totals(m, &a);
    sleep_ms(5);
    alloc1(m, &t, 1, 0x2000, 100, &f, 1); /* a new peak, within 64 KiB: no clock read */
    pyro_memtrack_totals(m, &b);
    CHECK_EQ_INT(b.peak_bytes, (1 << 20) + 100);
    CHECK_EQ_INT(b.peak_ns, a.peak_ns);
    free1(m, 0x1000);
    sleep_ms(5);
    alloc1(m, &t, 1, 0x3000, 2 << 20, &f, 1); /* after a deep dip: read */
    pyro_memtrack_totals(m, &c);
    CHECK(c.peak_ns >= a.peak_ns + 10000000);
    pyro_profile_t *p = NULL;
    CHECK(pyro_memtrack_export(m, resolver, NULL, &p) == PYRO_OK);
    CHECK(meta_int(p, "duration_ns") >= meta_int(p, "mem_peak_ns"));
    CHECK_EQ_INT(meta_int(p, "mem_peak_ns"), c.peak_ns);
    pyro_profile_free(p);
    pyro_memtrack_free(m);
}

/* ==== frees and addresses ==== */

static void test_mem_unknown_free(void)
{
    pyro_memtrack_t *m = make(0, 1, 0);
    CHECK(m);
    CHECK(!pyro_memtrack_maybe_live(m, 0x1000)); /* nothing recorded: no filter yet */
    pyro_memtrack_freed(m, 0x1000);
    pyro_memthread_t t = {0};
    pyro_memframe_t f = {1, 0};
    alloc1(m, &t, 1, 0x1000, 64, &f, 1);
    for (uint64_t a = 0x2000; a < 0x2000 + 64 * 1000; a += 64)
        free1(m, a); /* allocated before tracking */
    pyro_memtrack_freed(m, 0x1010);
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 64);
    free1(m, 0x1000);
    free1(m, 0x1000); /* twice */
    pyro_memtrack_freed(m, 0x1000);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 0);
    CHECK_EQ_INT(tot.live_allocs, 0);
    pyro_memtrack_alloc(m, &t, 0, 10, &f, 1); /* a failed allocation: nothing */
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.allocs, 1);
    CHECK_EQ_INT(tot.dropped, 0);
    pyro_memtrack_free(m);
}

static void test_mem_address_reuse(void)
{
    pyro_memtrack_t *m = make(0, 1, 0);
    CHECK(m);
    pyro_memthread_t t = {0};
    pyro_memframe_t f1 = {1, 0}, f2 = {2, 0}, f3 = {3, 0};
    alloc1(m, &t, 1, 0x5000, 100, &f1, 1);
    free1(m, 0x5000);
    alloc1(m, &t, 1, 0x5000, 50, &f2, 1); /* reused after a free */
    alloc1(m, &t, 1, 0x5000, 30, &f3, 1); /* reused, its free missed */
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 30);
    CHECK_EQ_INT(tot.live_allocs, 1);
    CHECK_EQ_INT(tot.peak_bytes, 100);
    pyro_profile_t *p = NULL;
    CHECK(pyro_memtrack_export(m, resolver, NULL, &p) == PYRO_OK);
    uint64_t c1 = 1, c2 = 2, c3 = 3;
    uint32_t n1 = path_of(p, 0, NULL, &c1, 1), n2 = path_of(p, 0, NULL, &c2, 1),
             n3 = path_of(p, 0, NULL, &c3, 1);
    CHECK(n1 != PYRO_NONE && n2 != PYRO_NONE && n3 != PYRO_NONE);
    CHECK_EQ_INT(pyro_node_metric(p, n1, PYRO_M_FREED_BYTES), 100);
    CHECK_EQ_INT(pyro_node_metric(p, n2, PYRO_M_FREED_BYTES), 50);
    CHECK_EQ_INT(pyro_node_metric(p, n2, PYRO_M_LEAKED_ALLOCS), 0);
    CHECK_EQ_INT(pyro_node_metric(p, n3, PYRO_M_LEAKED_BYTES), 30);
    CHECK_EQ_INT(pyro_node_metric(p, n1, PYRO_M_PEAK_BYTES), 100);
    CHECK_EQ_INT(pyro_node_metric(p, n3, PYRO_M_PEAK_BYTES), 0);
    pyro_profile_free(p);
    pyro_memtrack_free(m);
}

/* Sampled, the filter answers "certainly not" for most addresses never
 * recorded, "maybe" for every recorded one, and forgets freed ones. */
static void test_mem_filter(void)
{
    pyro_memtrack_t *m = make(64, 1, 0);
    CHECK(m);
    pyro_memthread_t t = {0};
    pyro_memframe_t f = {1, 0};
    for (uint64_t i = 0; i < 5000; i++) /* 2 KiB blocks every 64 B: all recorded */
        alloc1(m, &t, 1, 0x100000 + i * 4096, 2048, &f, 1);
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.allocs, 5000);
    int maybe = 0;
    for (uint64_t i = 0; i < 5000; i++) {
        CHECK(pyro_memtrack_maybe_live(m, 0x100000 + i * 4096));
        maybe += pyro_memtrack_maybe_live(m, 0x100000 + i * 4096 + 2048) != 0;
    }
    CHECK(maybe < 5000 / 32); /* 32 buckets per slot, 16 Ki slots: about 1 in 100 */
    for (uint64_t i = 0; i < 5000; i++)
        free1(m, 0x100000 + i * 4096);
    for (uint64_t i = 0; i < 10000; i++)
        CHECK(!pyro_memtrack_maybe_live(m, 0x100000 + i * 2048));
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 0);
    pyro_memtrack_free(m);
}

/* A realloc as the hooks report it (free of the old block, then the new
 * one, at the same or another address) is counted once. */
static void test_mem_realloc(void)
{
    pyro_memtrack_t *m = make(0, 1, 0);
    CHECK(m);
    pyro_memthread_t t = {0};
    pyro_memframe_t f = {1, 0};
    alloc1(m, &t, 1, 0x8000, 100, &f, 1);
    free1(m, 0x8000); /* grown in place */
    alloc1(m, &t, 1, 0x8000, 300, &f, 1);
    free1(m, 0x8000); /* moved */
    alloc1(m, &t, 1, 0x9000, 1000, &f, 1);
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 1000);
    CHECK_EQ_INT(tot.peak_bytes, 1000);
    CHECK_EQ_INT(tot.live_allocs, 1);
    CHECK_EQ_INT(tot.alloc_bytes, 1400);
    pyro_memtrack_free(m);
}

/* Addresses that share a filter bucket, the last one: the count
 * saturates, runs shift back on delete, and every block is found. Sampled
 * every byte, blocks of 100 B are all recorded, each at its size. */
static void test_mem_same_bucket(void)
{
    pyro_memtrack_t *m = make(1, 1, 0);
    CHECK(m);
    pyro_memthread_t t = {0};
    pyro_memframe_t f = {1, 0};
    alloc1(m, &t, 1, 0x10, 100, &f, 1); /* makes the table: its masks are known now */
    const pyro_memtrack_head_t *h = (const void *)m;
    CHECK(h->filter_shift <= 54);                    /* 1024 buckets at least */
    uint64_t want = (UINT64_MAX >> h->filter_shift); /* the last bucket */
    uint64_t addrs[300];
    int n = 0;
    for (uint64_t a = 0x20; n < 300; a += 16)
        if (pyro_memtrack_bucket(a, h->filter_shift) == want)
            addrs[n++] = a;
    for (int i = 0; i < n; i++)
        alloc1(m, &t, 1, addrs[i], 100, &f, 1);
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.allocs, 301);
    for (int i = 0; i < n; i += 2)
        free1(m, addrs[i]);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 100 + 100 * 150);
    CHECK(pyro_memtrack_maybe_live(m, addrs[0])); /* saturated: stays "maybe" */
    for (int i = 1; i < n; i += 2)
        free1(m, addrs[i]);
    free1(m, 0x10);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 0);
    CHECK_EQ_INT(tot.live_allocs, 0);
    CHECK(!pyro_memtrack_maybe_live(m, 0x10) ||
          pyro_memtrack_bucket(0x10, h->filter_shift) == want);
    pyro_memtrack_free(m);
}

/* The 64 blocks of the KiB whose window of homes begins at the live
 * table's last slot (home() in memtrack.c places a KiB's window at the top
 * bits of its number times the Fibonacci constant; the first table has 1024
 * slots), so that their run wraps around the end: every other one freed,
 * runs shift back across the wrap, every block is found (a block not found
 * would stay in the heap), and the filter forgets them all. */
static void test_mem_wrap(void)
{
    pyro_memtrack_t *m = make(1, 1, 0);
    CHECK(m);
    pyro_memthread_t t = {0};
    pyro_memframe_t f = {1, 0};
    uint64_t key = 1;
    while (((key * 0x9E3779B97F4A7C15ull) >> 54) != 1023)
        key++;
    for (uint64_t i = 0; i < 64; i++)
        alloc1(m, &t, 1, (key << 10) + i * 16, 100, &f, 1);
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.allocs, 64);
    for (uint64_t i = 0; i < 64; i += 2)
        free1(m, (key << 10) + i * 16);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 100 * 32);
    for (uint64_t i = 1; i < 64; i += 2) {
        CHECK(pyro_memtrack_maybe_live(m, (key << 10) + i * 16));
        free1(m, (key << 10) + i * 16);
    }
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 0);
    CHECK_EQ_INT(tot.live_allocs, 0);
    for (uint64_t i = 0; i < 64; i++)
        CHECK(!pyro_memtrack_maybe_live(m, (key << 10) + i * 16));
    pyro_memtrack_free(m);
}

/* Many live blocks: the table grows and keeps every one. */
static void test_mem_growth(void)
{
    pyro_memtrack_t *m = make(0, 1, 0);
    CHECK(m);
    pyro_memthread_t t = {0};
    pyro_memframe_t f[4] = {{1, 0}, {2, 0}, {3, 0}, {4, 0}};
    for (uint64_t i = 0; i < 200000; i++)
        alloc1(m, &t, 1, 0x100000 + i * 32, 32, &f[i % 3], 1 + (uint32_t)(i % 2));
    for (uint64_t i = 0; i < 200000; i += 2)
        free1(m, 0x100000 + i * 32);
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 100000 * 32);
    CHECK_EQ_INT(tot.live_allocs, 100000);
    CHECK_EQ_INT(tot.peak_bytes, 200000 * 32);
    for (uint64_t i = 1; i < 200000; i += 2)
        free1(m, 0x100000 + i * 32);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 0);
    pyro_memtrack_free(m);
}

/* Small blocks packed edge to edge, as a pymalloc pool of the 16-byte class
 * gives them, in chunks whose windows of the live table overlap: every
 * block is found again whatever order they are freed in (the table grows
 * mid-run when runs get long), and the recorder's memory stays bounded by
 * the live blocks. */
static void test_mem_dense_windows(void)
{
    pyro_memtrack_t *m = make(0, 1, 0);
    CHECK(m);
    pyro_memthread_t t = {0};
    pyro_memframe_t f[1] = {{1, 0}};
    enum { N = 120000 };
    static uint8_t live[N];
    memset(live, 0, sizeof live);
    uint64_t s = 0xD15E, heap = 0, nlive = 0;
    for (int step = 0; step < 5 * N; step++) {
        uint64_t r = rng_next(&s);
        /* 16 KiB pools scattered over 4 GiB; within a pool, blocks 16 apart;
         * first every block in order (full pools), then at random */
        uint64_t k = step < N ? (uint64_t)step : r % N;
        uint64_t addr = 0x100000000ull + (k / 1024) * 0x2000000ull + (k % 1024) * 16;
        if (live[k]) {
            free1(m, addr);
            heap -= 16;
            nlive--;
        } else {
            alloc1(m, &t, 1, addr, 16, f, 1);
            heap += 16;
            nlive++;
        }
        live[k] ^= 1;
    }
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, (int64_t)heap);
    CHECK_EQ_INT(tot.live_allocs, (int64_t)nlive);
    CHECK(tot.own_bytes < 512 * (uint64_t)N); /* the table: at most 16 slots per live block */
    for (uint64_t k = 0; k < N; k++)
        if (live[k])
            free1(m, 0x100000000ull + (k / 1024) * 0x2000000ull + (k % 1024) * 16);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 0);
    CHECK_EQ_INT(tot.live_allocs, 0);
    /* an allocator installed by the program may hand out blocks a byte
     * apart: 16 share a home slot, runs get long and the table grows */
    uint64_t before = tot.own_bytes;
    for (uint64_t k = 0; k < 40000; k++)
        alloc1(m, &t, 1, 0x700000000ull + k, 1, f, 1);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 40000);
    CHECK(tot.own_bytes > before);
    CHECK(tot.own_bytes < 512 * 40000 + before);
    for (uint64_t k = 0; k < 40000; k += 2)
        free1(m, 0x700000000ull + k);
    for (uint64_t k = 1; k < 40000; k += 2)
        free1(m, 0x700000000ull + k);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 0);
    CHECK_EQ_INT(tot.live_allocs, 0);
    pyro_memtrack_free(m);
}

/* Exact mode keeps small 16-byte-aligned blocks in chunks of 1 KiB of
 * addresses found through a directory: blocks spread over many KiB grow the
 * directory several times (its cache of 64 chunks colliding all along), and
 * every block is found again, in any order. */
static void test_mem_chunk_directory(void)
{
    pyro_memtrack_t *m = make(0, 1, 0);
    CHECK(m);
    pyro_memthread_t t = {0};
    pyro_memframe_t f[2] = {{1, 0}, {2, 0}};
    enum { KIB = 5000, PER = 3 };
    /* KiB k at 0x40000000 + k * 64 KiB (the cache's slot of every one
     * is the same: each lookup goes to the directory), 3 blocks in each */
    for (uint64_t k = 0; k < KIB; k++)
        for (uint64_t b = 0; b < PER; b++)
            alloc1(m, &t, 1, 0x40000000ull + (k << 16) + b * 336, 16 + b * 48, &f[b % 2], 1);
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, KIB * (16 + 64 + 112));
    CHECK_EQ_INT(tot.live_allocs, KIB * PER);
    /* frees in another order: the middle blocks first, then from the top */
    for (uint64_t k = 0; k < KIB; k++)
        free1(m, 0x40000000ull + (k << 16) + 336);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, KIB * (16 + 112));
    for (uint64_t k = KIB; k-- > 0;) {
        free1(m, 0x40000000ull + (k << 16));
        free1(m, 0x40000000ull + (k << 16) + 672);
        free1(m, 0x40000000ull + (k << 16) + 672); /* twice: ignored */
    }
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 0);
    CHECK_EQ_INT(tot.live_allocs, 0);
    pyro_profile_t *p = NULL;
    CHECK(pyro_memtrack_export(m, resolver, NULL, &p) == PYRO_OK);
    CHECK(consistent(p));
    CHECK_EQ_INT(meta_int(p, "mem_allocs"), KIB * PER);
    pyro_profile_free(p);
    pyro_memtrack_free(m);
}

/* Chunks left empty are reused: a working set that moves over 8 MiB of
 * addresses with a few KiB live at a time keeps the recorder's memory to
 * what the live KiB need; and a chunk emptied and reused for other
 * addresses does not answer for the addresses it had (a free of one is
 * ignored). */
static void test_mem_chunk_reuse(void)
{
    pyro_memtrack_t *m = make(0, 1, 0);
    CHECK(m);
    pyro_memthread_t t = {0};
    pyro_memframe_t f = {1, 0};
    for (uint64_t k = 0; k < 8 * 1024; k++) {
        uint64_t base = 0x200000000ull + (k << 10);
        for (uint64_t b = 0; b < 64; b++)
            alloc1(m, &t, 1, base + b * 16, 16, &f, 1);
        if (k >= 4) /* 4 KiB behind: freed, every block */
            for (uint64_t b = 0; b < 64; b++)
                free1(m, base - (4 << 10) + b * 16);
    }
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 4 * 1024);
    CHECK_EQ_INT(tot.live_allocs, 4 * 64);
    CHECK(tot.own_bytes < (1 << 20)); /* not 4 MiB of chunks */
    CHECK_EQ_INT(tot.peak_bytes, 5 * 1024);
    /* A's chunk is emptied, then holds B at the same offset of another KiB
     * (same cache slot too): a second free of A leaves B alone */
    uint64_t a = 0x300000000ull + 0x40, b = 0x300000000ull + (64 << 10) + 0x40;
    alloc1(m, &t, 1, a, 48, &f, 1);
    free1(m, a);
    alloc1(m, &t, 1, b, 32, &f, 1);
    free1(m, a);
    pyro_memtrack_freed(m, a);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 4 * 1024 + 32);
    free1(m, b);
    for (uint64_t k = 8 * 1024 - 4; k < 8 * 1024; k++)
        for (uint64_t i = 0; i < 64; i++)
            free1(m, 0x200000000ull + (k << 10) + i * 16);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 0);
    CHECK_EQ_INT(tot.live_allocs, 0);
    pyro_memtrack_free(m);
}

/* What chunks do not take goes to the live table: blocks not 16-byte
 * aligned, blocks in the first KiB of addresses, blocks over 128 bytes;
 * next to chunked ones in the same KiB, each found in its own table. An
 * address reused without its free seen (a missed free) moves between the
 * two tables with its entry never counted twice. */
static void test_mem_chunk_overflow(void)
{
    pyro_memtrack_t *m = make(0, 1, 0);
    CHECK(m);
    pyro_memthread_t t = {0};
    pyro_memframe_t f1 = {1, 0}, f2 = {2, 0}, f3 = {3, 0};
    const uint64_t base = 0x500000000ull;
    uint64_t want = 0;
    for (uint64_t i = 0; i < 2000; i++) {
        uint64_t kib = base + (i / 4) * 1024;
        alloc1(m, &t, 1, kib + (i % 4) * 256, 8, &f1, 1);        /* chunk */
        alloc1(m, &t, 1, kib + (i % 4) * 256 + 8, 8, &f2, 1);    /* unaligned */
        alloc1(m, &t, 1, kib + (i % 4) * 256 + 32, 200, &f3, 1); /* large */
        want += 8 + 8 + 200;
    }
    alloc1(m, &t, 1, 0x100, 16, &f1, 1); /* the first KiB */
    want += 16;
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, (int64_t)want);
    CHECK_EQ_INT(tot.live_allocs, 3 * 2000 + 1);
    for (uint64_t i = 0; i < 2000; i++) {
        uint64_t kib = base + (i / 4) * 1024;
        free1(m, kib + (i % 4) * 256 + 32);
        free1(m, kib + (i % 4) * 256 + 8);
    }
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 2000 * 8 + 16);
    for (uint64_t i = 0; i < 2000; i++)
        free1(m, base + (i / 4) * 1024 + (i % 4) * 256);
    free1(m, 0x100);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 0);
    CHECK_EQ_INT(tot.live_allocs, 0);
    /* missed frees: small (chunk) -> large (table) -> small -> small */
    uint64_t a = base + 0x4000;
    alloc1(m, &t, 1, a, 64, &f1, 1);
    alloc1(m, &t, 1, a, 4000, &f2, 1);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 4000);
    CHECK_EQ_INT(tot.live_allocs, 1);
    alloc1(m, &t, 1, a, 96, &f3, 1);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 96);
    CHECK_EQ_INT(tot.live_allocs, 1);
    alloc1(m, &t, 1, a, 48, &f1, 1);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 48);
    CHECK_EQ_INT(tot.live_allocs, 1);
    free1(m, a);
    free1(m, a);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 0);
    CHECK_EQ_INT(tot.live_allocs, 0);
    pyro_profile_t *p = NULL;
    CHECK(pyro_memtrack_export(m, resolver, NULL, &p) == PYRO_OK);
    CHECK(consistent(p));
    uint64_t c2 = 2, c3 = 3;
    uint32_t n2 = path_of(p, 0, NULL, &c2, 1), n3 = path_of(p, 0, NULL, &c3, 1);
    CHECK(n2 != PYRO_NONE && n3 != PYRO_NONE);
    CHECK_EQ_INT(pyro_node_metric(p, n2, PYRO_M_FREED_BYTES), 2000 * 8 + 4000);
    CHECK_EQ_INT(pyro_node_metric(p, n3, PYRO_M_FREED_BYTES), 2000 * 200 + 96);
    CHECK_EQ_INT(pyro_node_metric(p, n2, PYRO_M_LEAKED_BYTES), 0);
    CHECK_EQ_INT(pyro_node_metric(p, n3, PYRO_M_LEAKED_BYTES), 0);
    pyro_profile_free(p);
    /* large blocks at every 16 bytes of 500 KiB (long runs in the live
     * table), then small ones at the same addresses, their frees missed,
     * in a new chunk each KiB: it finds every large one */
    const uint64_t big = 0x900000000ull;
    for (uint64_t i = 0; i < 500 * 64; i++)
        alloc1(m, &t, 1, big + i * 16, 200, &f2, 1);
    for (uint64_t k = 0; k < 500; k += 7)
        for (uint64_t i = 0; i < 64; i += 1 + k % 3)
            alloc1(m, &t, 1, big + k * 1024 + i * 16, 16, &f1, 1);
    int64_t small = 0;
    for (uint64_t k = 0; k < 500; k += 7)
        small += 64 / (1 + k % 3) + (64 % (1 + k % 3) != 0);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.live_allocs, 500 * 64);
    CHECK_EQ_INT(tot.heap_bytes, (500 * 64 - small) * 200 + small * 16);
    for (uint64_t i = 0; i < 500 * 64; i++)
        free1(m, big + i * 16);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 0);
    CHECK_EQ_INT(tot.live_allocs, 0);
    /* a KiB's last large block pushed out of its window of the live table
     * by unaligned blocks of the same home: still found */
    const uint64_t x = 0xA00000000ull;
    for (uint64_t i = 0; i < 64; i++)
        alloc1(m, &t, 1, x + i * 16 + 8, 8, &f2, 1);
    for (uint64_t j = 1; j < 16; j++)
        if (j != 8)
            alloc1(m, &t, 1, x + 63 * 16 + j, 1, &f2, 1);
    alloc1(m, &t, 1, x + 63 * 16, 300, &f3, 1);
    alloc1(m, &t, 1, x + 63 * 16, 32, &f1, 1); /* the free of the large one missed */
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 64 * 8 + 14 + 32);
    CHECK_EQ_INT(tot.live_allocs, 64 + 14 + 1);
    free1(m, x + 63 * 16);
    for (uint64_t i = 0; i < 64; i++)
        free1(m, x + i * 16 + 8);
    for (uint64_t j = 1; j < 16; j++)
        free1(m, x + 63 * 16 + j);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 0);
    CHECK_EQ_INT(tot.live_allocs, 0);
    pyro_memtrack_free(m);
}

/* ==== threads and sessions ==== */

static void test_mem_threads(void)
{
    pyro_memtrack_t *a = make(0, 1, 0), *b = make(0, 1, 0);
    CHECK(a && b);
    pyro_memthread_t t1 = {0}, t2 = {0}, t1again = {0};
    CHECK(pyro_memtrack_thread(a, &t1, 11, 111) == PYRO_OK);
    CHECK(pyro_memtrack_thread(a, &t2, 22, 222) == PYRO_OK);
    CHECK(pyro_memtrack_thread(a, &t1again, 11, 111) == PYRO_OK);
    CHECK_EQ_INT(t1.thread, 0);
    CHECK_EQ_INT(t2.thread, 1);
    CHECK_EQ_INT(t1again.thread, 0);
    CHECK(t1.epoch != 0 && t1.epoch != ((const pyro_memtrack_head_t *)(const void *)b)->epoch);
    /* a state filled for `a` is refilled for `b` */
    CHECK(pyro_memtrack_registered(a, &t2) && !pyro_memtrack_registered(b, &t2));
    CHECK(pyro_memtrack_should_sample(b, &t2, 10));
    pyro_memframe_t f = {1, 0};
    pyro_memtrack_alloc(b, &t2, 0x40, 10, &f, 1); /* alloc registers the calling thread */
    CHECK_EQ_INT(t2.thread, 0);
    CHECK(pyro_memtrack_registered(b, &t2));
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(b, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 10);
    pyro_profile_t *p = NULL;
    CHECK(pyro_memtrack_export(a, resolver, NULL, &p) == PYRO_OK);
    CHECK_EQ_INT(p->nthreads, 2); /* registered threads are listed, even with nothing */
    CHECK_EQ_INT(p->threads[1].ident, 22);
    CHECK_EQ_INT(p->threads[1].native_id, 222);
    CHECK_EQ_INT(p->nnodes, 0);
    CHECK_EQ_INT(meta_int(p, "mem_peak_bytes"), 0);
    pyro_profile_free(p);
    /* sampled: a thread state of another session does not make alloc record
       what its countdown would not */
    pyro_memtrack_t *s = make(1 << 20, 7, 0);
    CHECK(s);
    pyro_memthread_t ts = {0};
    pyro_memtrack_alloc(s, &ts, 0x1000, 16, &f, 1); /* chance 16 in 2^20 */
    pyro_memtrack_totals(s, &tot);
    CHECK_EQ_INT(tot.allocs, 0);
    CHECK(ts.countdown > 0 && ts.thread == 0);
    pyro_memtrack_free(s);
    pyro_memtrack_free(a);
    pyro_memtrack_free(b);
}

/* ==== export ==== */

static void test_mem_export_shape(void)
{
    pyro_memtrack_t *m = make(0, 1, 0);
    CHECK(m);
    pyro_memthread_t t = {0}, u = {0};
    static pyro_memframe_t deep[PYRO_MEMTRACK_MAX_DEPTH + 10];
    for (uint32_t i = 0; i < PYRO_MEMTRACK_MAX_DEPTH + 10; i++)
        deep[i] = (pyro_memframe_t){i + 1, 0};
    alloc1(m, &t, 1, 0x100, 10, deep, PYRO_MEMTRACK_MAX_DEPTH + 10);
    alloc1(m, &t, 1, 0x200, 20, deep, PYRO_MEMTRACK_MAX_DEPTH + 5); /* same once truncated */
    alloc1(m, &t, 1, 0x300, 30, NULL, 0);
    pyro_memframe_t two[2] = {{4, 2}, {4, 3}}; /* offsets 2 and 3: the same line */
    alloc1(m, &t, 1, 0x400, 40, &two[0], 1);
    alloc1(m, &t, 1, 0x500, 50, &two[1], 1);
    pyro_memframe_t unk = {UNRESOLVABLE, 0};
    alloc1(m, &u, 2, 0x600, 60, &unk, 1);
    alloc1(m, &u, 2, 0x700, 70, &two[0], 1); /* the other thread: its own tree */
    int calls = 0;
    pyro_profile_t *p = NULL;
    CHECK(pyro_memtrack_export(m, resolver, &calls, &p) == PYRO_OK);
    CHECK(calls == PYRO_MEMTRACK_MAX_DEPTH + 3); /* once per distinct (code, offset) */
    CHECK_EQ_INT(p->nthreads, 2);
    /* <truncated> > f128 > ... > f1: the innermost 128 frames */
    uint64_t path[PYRO_MEMTRACK_MAX_DEPTH + 1];
    path[0] = 0;
    for (uint32_t k = 1; k <= PYRO_MEMTRACK_MAX_DEPTH; k++)
        path[k] = PYRO_MEMTRACK_MAX_DEPTH + 1 - k;
    uint32_t n = path_of(p, 0, "<truncated>", path, PYRO_MEMTRACK_MAX_DEPTH + 1);
    CHECK(n != PYRO_NONE);
    CHECK_EQ_INT(pyro_node_metric(p, n, PYRO_M_ALLOC_BYTES), 30);
    CHECK_EQ_INT(pyro_node_metric(p, n, PYRO_M_ALLOCS), 2);
    uint64_t nopy = 0;
    n = path_of(p, 0, "<no Python frame>", &nopy, 1);
    CHECK(n != PYRO_NONE);
    CHECK_EQ_INT(pyro_node_metric(p, n, PYRO_M_ALLOC_BYTES), 30);
    CHECK_EQ_INT(p->nodes[n].line, 0);
    uint64_t c4 = 4;
    n = path_of(p, 0, NULL, &c4, 1);
    CHECK(n != PYRO_NONE);
    CHECK_EQ_INT(p->nodes[n].line, 41);
    CHECK_EQ_INT(pyro_node_metric(p, n, PYRO_M_ALLOC_BYTES), 90);
    CHECK_EQ_INT(pyro_node_metric(p, n, PYRO_M_ALLOCS), 2);
    CHECK_EQ_INT(p->funcs[p->nodes[n].func].line, 40);
    CHECK(strcmp(pyro_profile_strget(p, p->funcs[p->nodes[n].func].file), "m.py") == 0);
    n = path_of(p, 1, NULL, &c4, 1);
    CHECK(n != PYRO_NONE);
    CHECK_EQ_INT(pyro_node_metric(p, n, PYRO_M_ALLOC_BYTES), 70);
    uint64_t zero = 0;
    n = path_of(p, 1, "<unknown>", &zero, 1);
    CHECK(n != PYRO_NONE);
    CHECK_EQ_INT(pyro_node_metric(p, n, PYRO_M_ALLOC_BYTES), 60);
    /* metadata, by the names memtrack.h gives */
    CHECK(strcmp(pyro_profile_get_meta(p, "mode"), "memory") == 0);
    CHECK_EQ_INT(meta_int(p, "mem_interval"), 0);
    CHECK_EQ_INT(meta_int(p, "mem_peak_bytes"), 280);
    CHECK_EQ_INT(meta_int(p, "mem_heap_bytes"), 280);
    CHECK_EQ_INT(meta_int(p, "mem_alloc_bytes"), 280);
    CHECK_EQ_INT(meta_int(p, "mem_allocs"), 7);
    CHECK_EQ_INT(meta_int(p, "mem_live_allocs"), 7);
    CHECK_EQ_INT(meta_int(p, "mem_dropped"), 0);
    CHECK(meta_int(p, "mem_own_bytes") > 0);
    CHECK(meta_int(p, "mem_peak_ns") >= 0);
    CHECK(meta_int(p, "duration_ns") >= meta_int(p, "mem_peak_ns"));
    CHECK(consistent(p));
    pyro_profile_free(p);
    /* no resolver: every frame is <unknown> */
    CHECK(pyro_memtrack_export(m, NULL, NULL, &p) == PYRO_OK);
    CHECK(consistent(p));
    pyro_profile_free(p);
    pyro_memtrack_free(m);
    pyro_memtrack_opts_t bad = {.interval = (1ull << 40) + 1};
    CHECK(pyro_memtrack_new(&bad, &m) == PYRO_EINVAL && m == NULL);
}

/* ==== limits and failures ==== */

static void test_mem_max_bytes(void)
{
    pyro_memtrack_t *m = make(0, 1, 64 << 10);
    CHECK(m);
    pyro_memthread_t t = {0};
    for (uint64_t i = 0; i < 20000; i++) {
        pyro_memframe_t f[4] = {{i + 1, 0}, {2, 0}, {3, 0}, {4, 0}};
        alloc1(m, &t, 1, 0x1000 + i * 16, 16, f, 4);
    }
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    CHECK(tot.dropped > 0);
    CHECK(tot.own_bytes <= 64 << 10);
    CHECK_EQ_INT(tot.allocs + (int64_t)tot.dropped, 20000);
    /* what was recorded goes on working: frees, and known stacks */
    for (uint64_t i = 0; i < 20000; i++)
        free1(m, 0x1000 + i * 16);
    pyro_memframe_t f[4] = {{1, 0}, {2, 0}, {3, 0}, {4, 0}};
    alloc1(m, &t, 1, 0x99990, 5, f, 4);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 5);
    pyro_profile_t *p = NULL;
    CHECK(pyro_memtrack_export(m, resolver, NULL, &p) == PYRO_OK);
    CHECK(meta_int(p, "mem_dropped") > 0);
    CHECK(consistent(p));
    pyro_profile_free(p);
    pyro_memtrack_free(m);
}

/* Past max_bytes the live table stops growing: blocks beyond it are
 * dropped, frees of them ignored, the rest exact. */
static void test_mem_max_bytes_live(void)
{
    pyro_memtrack_t *m = make(0, 1, 100 << 10);
    CHECK(m);
    pyro_memthread_t t = {0};
    pyro_memframe_t f = {1, 0};
    for (uint64_t i = 0; i < 20000; i++)
        alloc1(m, &t, 1, 0x100000 + i * 16, 10, &f, 1);
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    CHECK(tot.dropped > 0 && tot.own_bytes <= 100 << 10);
    CHECK_EQ_INT(tot.allocs + (int64_t)tot.dropped, 20000);
    CHECK_EQ_INT(tot.heap_bytes, tot.allocs * 10);
    for (uint64_t i = 0; i < 20000; i++)
        free1(m, 0x100000 + i * 16);
    pyro_memtrack_totals(m, &tot);
    CHECK_EQ_INT(tot.heap_bytes, 0);
    CHECK_EQ_INT(tot.live_allocs, 0);
    pyro_memtrack_free(m);
}

/* Fail every allocation from the kth on: nothing leaks, nothing crashes,
 * what is exported adds up. */
static void test_mem_oom(void)
{
    for (int exact = 0; exact < 2; exact++) {
        int done = 0;
        for (long k = 1; !done; k++) {
            CHECK(k < 100000);
            test_alloc_fail_at(k);
            pyro_memtrack_t *m = make(exact ? 0 : 64, 1, 0);
            if (m) {
                pyro_memthread_t t[2] = {{0}, {0}};
                uint64_t s = 77;
                for (uint64_t i = 0; i < 3000; i++) {
                    uint64_t r = rng_next(&s);
                    pyro_memframe_t f[3] = {{r % 300 + 1, 0}, {2, 0}, {3, 0}};
                    alloc1(m, &t[i % 2], i % 2, 0x1000 + i * 16, 1 + r % 200, f,
                           1 + (uint32_t)(i % 3));
                    if (i % 3 == 0)
                        free1(m, 0x1000 + (i / 2) * 16);
                }
                pyro_memtrack_totals_t tot;
                pyro_memtrack_totals(m, &tot);
                CHECK(tot.heap_bytes >= 0 && tot.peak_bytes >= tot.heap_bytes);
                CHECK(tot.live_allocs >= 0);
                pyro_profile_t *p = NULL;
                if (pyro_memtrack_export(m, resolver, NULL, &p) == PYRO_OK) {
                    CHECK(consistent(p));
                    pyro_profile_free(p);
                }
            }
            done = test_alloc_count() < k; /* the run made fewer: every point was tried */
            test_alloc_reset();
            pyro_memtrack_free(m);
        }
    }
}

void suite_memtrack(void)
{
    RUN(test_mem_exact_basic);
    RUN(test_mem_frame_padding);
    RUN(test_mem_large_block);
    RUN(test_mem_estimator);
    RUN(test_mem_estimator_sizes);
    RUN(test_mem_seed_repeatable);
    RUN(test_mem_peak_replay);
    RUN(test_mem_sampled_sums);
    RUN(test_mem_peak_time);
    RUN(test_mem_unknown_free);
    RUN(test_mem_address_reuse);
    RUN(test_mem_realloc);
    RUN(test_mem_filter);
    RUN(test_mem_wrap);
    RUN(test_mem_same_bucket);
    RUN(test_mem_growth);
    RUN(test_mem_dense_windows);
    RUN(test_mem_chunk_directory);
    RUN(test_mem_chunk_reuse);
    RUN(test_mem_chunk_overflow);
    RUN(test_mem_threads);
    RUN(test_mem_export_shape);
    RUN(test_mem_max_bytes);
    RUN(test_mem_max_bytes_live);
    RUN(test_mem_oom);
}
