/* SPDX-License-Identifier: MIT */
/* bench_memtrack: ns per allocation + free through the memory recorder, as
 * the allocator hooks drive it (should_sample, then alloc when chosen;
 * maybe_live, then freed when it may be live), exact and sampled by bytes.
 * Printed, not asserted: `meson test -C build/c --benchmark` or run
 * build/c/bench_memtrack [pairs]. The stack capture and the allocator
 * itself are not in these numbers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "record/memtrack.h"

#define NSTACKS 16
#define DEPTH 64 /* the deepest stack of a case */

/* This thread's CPU time: on a busy machine, what the loop itself took. */
static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* not the time others ran */
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

#define BASELINE UINT64_MAX /* interval that runs the loop without the recorder */

/* `pairs` allocation + free pairs with `window` blocks live (a FIFO of
 * addresses, as a program that keeps a working set): each allocation from
 * one of `nstacks` stacks of `depth` frames, in turn every `run` allocations,
 * of a size drawn from 16..80 bytes, or (dense) of 16 bytes packed edge to
 * edge (every 16-byte address of a page live: the live table's worst
 * layout). Returns ns per pair. */
static double run1(uint64_t interval, long pairs, long window, int nstacks, int run, int depth,
                   int dense, int64_t *own)
{
    pyro_memtrack_opts_t o = {.interval = interval == BASELINE ? 0 : interval, .seed = 42};
    pyro_memtrack_t *m = NULL;
    if (pyro_memtrack_new(&o, &m))
        return -1;
    static pyro_memframe_t stacks[NSTACKS][DEPTH];
    for (int s = 0; s < NSTACKS; s++)
        for (int d = 0; d < DEPTH; d++)
            stacks[s][d] = (pyro_memframe_t){0x7f0000001000ull + (uint64_t)(d * 97 + s) * 0x200,
                                             (uint32_t)(d == 0 ? s * 8 : 40)};
    uint64_t *fifo = calloc((size_t)window, sizeof *fifo);
    if (!fifo) {
        pyro_memtrack_free(m);
        return -1;
    }
    pyro_memthread_t t = {0};
    uint64_t rng = 99, addr_next = 0x10000000;
    uint64_t *free_list = calloc((size_t)window + 1, sizeof *free_list);
    long nfree = 0;
    int64_t start = 0;
    for (long i = -window; i < pairs; i++) {
        if (i == 0)
            start = now_ns();
        long slot = (i + window) % window;
        if (fifo[slot]) { /* free the oldest: its address is reused later, as allocators do */
            uint64_t a = fifo[slot];
            if (interval != BASELINE && pyro_memtrack_maybe_live(m, a))
                pyro_memtrack_freed(m, a);
            free_list[nfree++] = a;
        }
        uint64_t r = next(&rng);
        size_t size = dense ? 16 : 16 + (size_t)(r % 65);
        uint64_t a;
        if (nfree && ((r >> 32) % 4 != 0 || nfree >= window)) {
            a = free_list[--nfree];
        } else {
            a = addr_next;
            addr_next += dense ? 16 : 64 + (r >> 40) % 4 * 16;
        }
        fifo[slot] = a;
        if (interval == BASELINE) {
            __asm__ volatile("" : : "r"(a), "r"(size) : "memory");
        } else if (pyro_memtrack_should_sample(m, &t, size)) {
            if (!pyro_memtrack_registered(m, &t)) {
                pyro_memtrack_thread(m, &t, 1, 1);
                if (!pyro_memtrack_should_sample(m, &t, size))
                    continue;
            }
            int s = (int)((i / run) % nstacks);
            pyro_memtrack_alloc(m, &t, a, size, stacks[s], (uint32_t)depth);
        }
    }
    double ns = (double)(now_ns() - start) / (double)pairs;
    pyro_memtrack_totals_t tot;
    pyro_memtrack_totals(m, &tot);
    *own = (int64_t)tot.own_bytes;
    free(fifo);
    free(free_list);
    pyro_memtrack_free(m);
    return ns;
}

/* The best of `reps` runs. */
static int reps = 3;
static double run(uint64_t interval, long pairs, long window, int nstacks, int run, int depth,
                  int dense, int64_t *own)
{
    double best = -1;
    for (int r = 0; r < reps; r++) {
        double ns = run1(interval, pairs, window, nstacks, run, depth, dense, own);
        if (best < 0 || ns < best)
            best = ns;
    }
    return best;
}

int main(int argc, char **argv)
{
    long pairs = argc > 1 ? atol(argv[1]) : 5000000;
    if (argc > 2)
        reps = atoi(argv[2]);
    struct {
        const char *what;
        long window;
        int nstacks, run, depth, dense;
    } cases[] = {
        {"1 stack of 12 frames, 1000 live", 1000, 1, 1, 12, 0},
        {"16 stacks of 12 in turn, 1000 live", 1000, 16, 1, 12, 0},
        {"16 stacks of 12 in runs of 64", 1000, 16, 64, 12, 0},
        {"16 stacks of 50 in turn, 1000 live", 1000, 16, 1, 50, 0},
        {"16 stacks of 12 in turn, 1M live", 1000000, 16, 1, 12, 0},
        {"dense 16 B blocks, 1M live", 1000000, 16, 1, 12, 1},
    };
    printf("memtrack: ns of CPU per allocation + free pair (best of %d runs of %ld pairs, sizes "
           "16..80 B; the loop alone subtracted)\n",
           reps, pairs);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int64_t own_e = 0, own_s = 0, own_b = 0;
        double b = run(BASELINE, pairs, cases[c].window, cases[c].nstacks, cases[c].run,
                       cases[c].depth, cases[c].dense, &own_b);
        double e = run(0, pairs, cases[c].window, cases[c].nstacks, cases[c].run, cases[c].depth,
                       cases[c].dense, &own_e);
        double s = run(PYRO_MEMTRACK_INTERVAL_DEFAULT, pairs, cases[c].window, cases[c].nstacks,
                       cases[c].run, cases[c].depth, cases[c].dense, &own_s);
        printf("  %-36s exact %6.1f ns (own %6lld KiB)  sampled every %d B %5.1f ns (own %5lld "
               "KiB)  [loop alone %.1f ns]\n",
               cases[c].what, e - b, (long long)own_e >> 10, PYRO_MEMTRACK_INTERVAL_DEFAULT, s - b,
               (long long)own_s >> 10, b);
    }
    return 0;
}
