/* SPDX-License-Identifier: MIT */
/* memtrack_hot: the two questions the allocator hooks ask on every call,
 * inline, allocating nothing. Included by memtrack.h (after its types). */
#ifndef PYRO_MEMTRACK_HOT_H
#define PYRO_MEMTRACK_HOT_H

#include <stddef.h>
#include <stdint.h>

/* The part of a recorder the hot path reads; a pyro_memtrack_t begins with
 * it (memtrack.c owns the rest). */
typedef struct pyro_memtrack_head {
    uint32_t epoch;        /* this recorder's session (never 0): thread states of another are
                              filled again */
    int exact;             /* interval 0: every allocation is recorded */
    const uint8_t *filter; /* per hash bucket of addresses, one bit (bucket k: bit k % 8 of
                              byte k / 8): set while a live recorded block may be in it;
                              one bucket, clear, until the first record (never NULL) */
    uint64_t filter_mask;  /* buckets - 1 (a power of two minus one) */
} pyro_memtrack_head_t;

/* A head whose one bucket is clear: every address "certainly not" (epoch
 * 0: no thread is registered in it). A recorder's own head is one of these
 * until its first record; the hooks read it while no recorder runs. */
extern const pyro_memtrack_head_t pyro_memtrack_idle_head;

/* The bucket of `addr` in the live filter. */
static inline uint64_t pyro_memtrack_bucket(uint64_t addr, uint64_t mask)
{
    uint64_t h = (addr >> 4) * 0x9E3779B97F4A7C15ull;
    return (h >> 32) & mask;
}

/* Non-zero if thread state `t` is registered for recorder `mt`'s session
 * (pyro_memtrack_thread filled it for this recorder); zero if the caller is
 * to register it. */
static inline int pyro_memtrack_registered(const pyro_memtrack_t *mt, const pyro_memthread_t *t)
{
    return t->epoch == ((const pyro_memtrack_head_t *)(const void *)mt)->epoch;
}

/* Non-zero if the allocation of `size` bytes that thread state `t` is making
 * must be recorded with pyro_memtrack_alloc (exact: always), or if `t` is not
 * registered for this recorder's session (the caller then registers it with
 * pyro_memtrack_thread and asks again). Counts `size` down from t's
 * countdown. */
static inline int pyro_memtrack_should_sample(const pyro_memtrack_t *mt, pyro_memthread_t *t,
                                              size_t size)
{
    const pyro_memtrack_head_t *m = (const pyro_memtrack_head_t *)(const void *)mt;
    if (t->epoch != m->epoch || m->exact)
        return 1;
    t->countdown -= (int64_t)size;
    return t->countdown <= 0;
}

/* Zero if `addr` is certainly not a recorded live block of the recorder
 * whose head is `h` (or of none: an idle head, whose one bucket is clear),
 * non-zero if it may be: pyro_memtrack_maybe_live for the hooks, which keep
 * a head rather than the recorder. */
static inline int pyro_memtrack_head_maybe_live(const pyro_memtrack_head_t *h, uint64_t addr)
{
    uint64_t k = pyro_memtrack_bucket(addr, h->filter_mask);
    return h->filter[k >> 3] >> (k & 7) & 1;
}

/* Zero if `addr` is certainly not a recorded live block (the common free:
 * the hook forwards it and is done); non-zero if it may be (the hook then
 * calls pyro_memtrack_freed). Sampling, one bit read of a filter of 32
 * buckets per live-table slot while the table is up to 64 Ki slots, 8 at
 * least (a false "maybe" for about 1 free in 64 at most, 1 in 16 in a table
 * of 256 Ki slots and more); exact, it says "maybe" for every address once
 * a block was recorded (nearly every free is of one: a filter would cost a
 * cache miss to save nothing). */
static inline int pyro_memtrack_maybe_live(const pyro_memtrack_t *mt, uint64_t addr)
{
    return pyro_memtrack_head_maybe_live((const pyro_memtrack_head_t *)(const void *)mt, addr);
}

#endif
