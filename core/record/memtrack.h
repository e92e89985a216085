/* SPDX-License-Identifier: MIT */
/* memtrack: the memory recorder. The interpreter's allocator hooks (ext/)
 * feed it allocations and frees with the Python stack that made each
 * allocation; it keeps what is needed to answer "where did my memory go" and
 * exports a profile of PYRO_MODE_MEMORY. No Python.h: stacks arrive as
 * (code id, instruction offset) frames, resolved to functions and lines only
 * at export, through a callback.
 *
 * Sampling by bytes (the default): each thread counts down a random number of
 * bytes drawn from an exponential distribution of mean `interval`; the
 * allocation that takes the countdown to zero or below is recorded, weighed
 * back as size / (1 - exp(-size / interval)), and a new countdown is drawn
 * (tcmalloc's and heapprofd's sampler: an allocation's chance to be recorded
 * is 1 - exp(-size/interval), so the estimate is unbiased for every size and
 * a block much larger than the interval is always recorded, with weight
 * nearly its size). interval 0 = exact: every allocation is recorded with
 * weight = size and count 1.
 *
 * What it keeps is bounded by distinct stacks and by live recorded
 * allocations, never by the number of allocations: one entry per distinct
 * (thread, stack), with sums (64 bytes, and 16 per frame); one entry per
 * recorded block still live (its size and stack; its estimated bytes and
 * count are a function of its size, so a free subtracts exactly what its
 * allocation added): 16 bytes with the address, or, for the small blocks
 * of exact mode, 8 bytes in a chunk of 512 bytes per KiB of addresses that
 * holds one). Peak attribution is O(1) per event:
 * each stack keeps its live bytes and a copy of them taken lazily the first
 * time they change after a new peak, so "live at the peak, by stack" needs
 * no snapshot of the whole table.
 *
 * Numbers add up: bytes are whole bytes (a sampled block's weight is rounded
 * once, to the nearest byte), estimated counts are kept in fixed point
 * (1/65536) and rounded per stack at export; per stack, freed never exceeds
 * allocated and nothing is ever negative. Limits: 16,777,215 distinct
 * stacks (later ones are dropped and counted); sizes from 2^39 bytes on are
 * kept in 4 KiB units.
 *
 * Not thread-safe: the caller serializes every call (ext/ holds the GIL, and
 * hands over what threads without it did). The hot path (should_sample,
 * maybe_live) is inline in memtrack_hot.h and allocates nothing. */
#ifndef PYRO_MEMTRACK_H
#define PYRO_MEMTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "model/profile.h"

/* The default mean sampling interval in bytes, and the most a stack keeps
 * (deeper stacks keep their innermost PYRO_MEMTRACK_MAX_DEPTH frames under a
 * synthetic "<truncated>" root). */
#define PYRO_MEMTRACK_INTERVAL_DEFAULT 4096
#define PYRO_MEMTRACK_MAX_DEPTH 128

typedef struct pyro_memtrack_opts {
    uint64_t interval; /* mean bytes between recorded allocations; 0 = record every one */
    uint64_t seed;     /* seed of the per-thread random countdowns (0: from the clock);
                          a fixed seed makes a single-threaded run repeatable */
    size_t max_bytes;  /* cap on the recorder's own memory, own_bytes of the totals (0 = none):
                          past it, new stacks and live entries are dropped and counted
                          (metadata mem_dropped) and the program is not affected; known stacks
                          and the frees of recorded blocks go on being recorded */
} pyro_memtrack_opts_t;

/* One frame of a captured stack: an opaque code id (ext/: the code object's
 * address, kept alive by ext/ until export) and the instruction offset in
 * bytes (what PyCode_Addr2Line takes). */
typedef struct pyro_memframe {
    uint64_t code;
    uint32_t offset;
} pyro_memframe_t;

/* A thread's sampler state, kept by the caller in thread-local storage and
 * zero-initialised; pyro_memtrack_thread() fills it on the thread's first
 * allocation (thread == PYRO_NONE until then). */
typedef struct pyro_memthread {
    int64_t countdown; /* bytes left until the next recorded allocation */
    uint64_t rng;      /* this thread's random state */
    uint32_t thread;   /* index of the thread in the recorder (and the profile) */
    uint32_t epoch;    /* the recorder's session when this state was filled: a state of
                          an earlier session is filled again */
} pyro_memthread_t;

typedef struct pyro_memtrack pyro_memtrack_t;

/* A new recorder. PYRO_OK, PYRO_EINVAL, PYRO_ENOMEM. Free with pyro_memtrack_free. */
int pyro_memtrack_new(const pyro_memtrack_opts_t *o, pyro_memtrack_t **out);

/* Free the recorder and everything in it. NULL is a no-op. */
void pyro_memtrack_free(pyro_memtrack_t *m);

/* Register the calling thread: fill *t (its countdown drawn, its random
 * state seeded from opts.seed + its index, its index in the recorder) for
 * the thread with Python ident `ident` and OS id `native_id` (the same
 * ident twice gets the same index; indices are given in order from 0).
 * PYRO_OK or PYRO_ENOMEM (t->thread stays PYRO_NONE: the thread's
 * allocations are then not recorded, and counted as dropped; t is filled
 * for the session all the same, so that it does not ask again). */
int pyro_memtrack_thread(pyro_memtrack_t *m, pyro_memthread_t *t, uint64_t ident,
                         uint64_t native_id);

/* Record an allocation of `size` bytes at `addr` that pyro_memtrack_should_sample()
 * chose (always, when exact), made by thread `t` with the stack `frames`
 * (innermost first, `n` frames, n may be 0: no Python frame; only the
 * innermost PYRO_MEMTRACK_MAX_DEPTH are kept; read during the call only),
 * and draw t's next countdown. A live entry already at `addr` (its free was
 * missed) is first counted as freed. addr 0 (a failed allocation) records
 * nothing. If `t` is not registered for this recorder's session, the
 * calling thread is registered first (pyro_session_thread_ids) and, when
 * sampling, the allocation is recorded only if t's fresh countdown runs
 * out. Out of memory or past max_bytes: dropped and counted; never fails
 * the caller. A few ns beyond a lookup of the live entries (a chunk's
 * word, or a probe of the live table): a stack equal to one the thread
 * recorded recently is found by comparing frames, without hashing. */
void pyro_memtrack_alloc(pyro_memtrack_t *m, pyro_memthread_t *t, uint64_t addr, size_t size,
                         const pyro_memframe_t *frames, uint32_t n);

/* The block at `addr` was freed: if it is a recorded live block, its bytes
 * and count leave the live totals of its stack and of the heap (and are
 * added to its stack's freed bytes). An address never recorded (allocated
 * before tracking, or not sampled) is ignored. One lookup of the live
 * entries; the caller asks pyro_memtrack_maybe_live() first. */
void pyro_memtrack_freed(pyro_memtrack_t *m, uint64_t addr);

/* Totals so far: the tracked heap (estimated live bytes) now and at its
 * peak, the peak's time (ns since pyro_memtrack_new), bytes and
 * allocations made (estimated), records dropped, the recorder's own
 * memory (its tables, as allocated).
 *
 * The peak's time is read from the clock only when the heap passes its peak
 * having moved by more than max(peak / 1024, 64 KiB) since the last reading
 * (up, or down and back up), so a growth phase reads it a few thousand
 * times at most, not at every allocation: peak_ns is the time of a moment
 * when the heap was within that much of its peak and did not fall further
 * than that before reaching it. peak_bytes and what was live at the peak
 * are exact (for the estimates). */
typedef struct pyro_memtrack_totals {
    int64_t heap_bytes, peak_bytes, peak_ns;
    int64_t alloc_bytes, allocs;
    int64_t live_allocs;
    int64_t peak_allocs; /* live at the peak */
    uint64_t dropped;
    uint64_t own_bytes;
} pyro_memtrack_totals_t;

/* The totals so far into *out. */
void pyro_memtrack_totals(const pyro_memtrack_t *m, pyro_memtrack_totals_t *out);

/* The tracked heap now (estimated live bytes): the one figure that may be
 * read from any thread while another records (the memory timeline's thread
 * reads it), an atomic read. */
int64_t pyro_memtrack_heap_now(const pyro_memtrack_t *m);

/* What export asks of the caller, once per distinct (code id, offset): the
 * function's name, qualname, file and first line, and the line of `offset`
 * in it (0 if unknown). The strings must stay valid until the callback is
 * called again or export returns (NULL qualname: the name; NULL file: "~").
 * Return 0, or non-zero (or a NULL name) to name the frame "<unknown>". */
typedef int (*pyro_memresolve_fn)(void *ctx, uint64_t code, uint32_t offset, const char **name,
                                  const char **qualname, const char **file, uint32_t *firstline,
                                  uint32_t *line);

/* Build a profile of PYRO_MODE_MEMORY from everything recorded so far (the
 * recorder keeps recording afterwards if the caller goes on): per thread a
 * tree of (function, line) nodes, outermost frame at the root, each
 * recorded stack's sums at its innermost node; live blocks count as leaked;
 * a stack of no frames goes to a "<no Python frame>" root; a stack cut at
 * PYRO_MEMTRACK_MAX_DEPTH hangs under a "<truncated>" root (synthetic
 * functions: file "~", line 0, like C functions). Every registered thread is
 * listed, in index order, with its ident and native id and the name
 * "Thread-<native id>" (the caller renames them). resolve may be NULL
 * (every frame "<unknown>"). Metadata: mode, mem_interval
 * (bytes, 0 = exact), mem_peak_bytes, mem_peak_ns, mem_peak_allocs (live
 * at the peak), mem_heap_bytes (live now), mem_alloc_bytes, mem_allocs, mem_live_allocs,
 * mem_dropped, mem_own_bytes, duration_ns (since new). PYRO_OK or PYRO_ENOMEM. */
int pyro_memtrack_export(pyro_memtrack_t *m, pyro_memresolve_fn resolve, void *ctx,
                         pyro_profile_t **out);

#include "record/memtrack_hot.h"

#endif
