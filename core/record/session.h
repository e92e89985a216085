/* SPDX-License-Identifier: MIT */
/* session: the pieces the in-process recording engines (tracer, linetimer)
 * share: session ids that let a thread find its per-thread state with one
 * thread-local load, the identity of the calling thread, the inlining
 * markers of their fast paths, the conversion of their ticks to ns, and the
 * joining of their own threads. */
#ifndef PYRO_SESSION_H
#define PYRO_SESSION_H

#include <pthread.h>
#include <stdint.h>

/* A thread's cached state for one engine: valid while `gen` equals the
 * engine's running session id (which is never 0, so a zeroed slot never
 * matches). Each engine keeps its own thread-local slot of this type. */
typedef struct pyro_tls {
    uint64_t gen;
    void *tt;
} pyro_tls_t;

/* Inlining is decided here, not left to the optimizer: with link-time
 * optimization it would otherwise outline an entry point into a call (and
 * inline a slow path instead), a few ns on every event. */
#define PYRO_HOT static inline __attribute__((always_inline))
#define PYRO_SLOW __attribute__((noinline, cold))

/* A new session id, unique in the process for every engine, never 0.
 * Thread-safe. */
uint64_t pyro_session_gen(void);

/* The calling thread's ident (pthread_self as an integer: Python's
 * threading.get_ident()) into *ident and its OS id (gettid) into *native. */
void pyro_session_thread_ids(uint64_t *ident, uint64_t *native);

/* Join `thread`, then wait (at most 0.2 s) until the kernel has taken it
 * out of the process. `*tid` is its OS id, written by the thread itself when
 * it started (0: not known; then only joined). pthread_join returns when the
 * exiting thread clears its tid, before the kernel releases it: for a moment
 * it still counts in /proc/self/stat's threads, which Python 3.12+ reads at
 * os.fork() to warn about a multi-threaded fork. */
void pyro_session_join(pthread_t thread, const uint64_t *tid);

/* Nanoseconds per tick for converting what sessions recorded: the clock's
 * calibrated rate, or, with the TSC and more than 0.1 s recorded, the rate
 * measured over the sessions themselves (`elapsed_mono` ns of
 * CLOCK_MONOTONIC over `elapsed_ticks` ticks). */
double pyro_session_ns_per_tick(int64_t elapsed_mono, int64_t elapsed_ticks);

#endif
