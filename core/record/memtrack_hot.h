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
                              2 buckets, clear, until the first record (never NULL; a
                              whole number of 32-bit words, aligned to 4 bytes) */
    uint32_t filter_shift; /* 64 - log2(buckets): at most 63, 2 buckets at least */
} pyro_memtrack_head_t;

/* A head whose buckets are clear: every address "certainly not" (epoch 0:
 * no thread is registered in it). A recorder's own head is one of these
 * until its first record; the hooks read it while no recorder runs. */
extern const pyro_memtrack_head_t pyro_memtrack_idle_head;

/* A head whose buckets are all set: every address "maybe" (epoch 0). Exact
 * mode's recorders answer with its filter once they record; the hooks read
 * it while events wait to be recorded. */
extern const pyro_memtrack_head_t pyro_memtrack_any_head;

/* The bucket of `addr` in a filter of 2^(64 - shift) buckets (Fibonacci
 * hashing: the top bits of the product). */
static inline uint64_t pyro_memtrack_bucket(uint64_t addr, uint32_t shift)
{
    return (addr * 0x9E3779B97F4A7C15ull) >> shift;
}

/* Bucket k's bit in `filter` (non-zero: set). Read as the 32-bit word it
 * lies in where that is the same bit (little-endian), which spares the
 * hooks an instruction: x86's bit test takes the bit's index modulo 32. */
static inline uint32_t pyro_memtrack_filter_bit(const uint8_t *filter, uint64_t k)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint32_t w;
    __builtin_memcpy(&w, filter + (k >> 5) * 4, sizeof w);
    return w >> (k & 31) & 1;
#else
    return filter[k >> 3] >> (k & 7) & 1;
#endif
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
    return (int)pyro_memtrack_filter_bit(h->filter, pyro_memtrack_bucket(addr, h->filter_shift));
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
