/* SPDX-License-Identifier: MIT */
/* tracer: the deterministic-tracing engine. The extension feeds it call and
 * return events (enter/leave with an opaque key: a code object or a C method
 * definition); it keeps one shadow stack and one calling-context tree per
 * thread, timestamps events with the tick clock, and exports a pyro_profile.
 *
 * Semantics follow cProfile: every enter is a call (a generator resume too),
 * every leave closes the innermost open call. A leave whose key is not on
 * top closes the frames above its match; a leave with no match is ignored
 * (the call started before tracing did).
 *
 * Clocks: PYRO_CLOCK_WALL charges elapsed ticks. PYRO_CLOCK_CPU charges the
 * same ticks minus the time the thread was off CPU: whenever more than 50 us
 * pass between two events of a thread, the thread's CPU clock is read and the
 * wall time it did not account for is subtracted from that gap. Off-CPU spans
 * shorter than that threshold are counted as CPU time.
 *
 * Threading: not internally synchronized. All calls for one tracer must be
 * serialized by the caller (the extension holds the GIL). */
#ifndef PYRO_TRACER_H
#define PYRO_TRACER_H

#include <stdint.h>

#include "model/profile.h"

typedef enum pyro_clock_kind { PYRO_CLOCK_WALL = 0, PYRO_CLOCK_CPU = 1 } pyro_clock_kind_t;

/* A resolved key that is to be ignored (its frames are transparent). */
#define PYRO_FUNC_HIDDEN (UINT32_MAX - 1)

typedef struct pyro_tracer pyro_tracer_t;
typedef struct pyro_tthread pyro_tthread_t;

/* Called the first time `key` is entered on a new call path whose key is not
 * yet known, on thread `tt`. It must add a function to
 * pyro_tracer_catalog(tr) and store its index in *func, or store
 * PYRO_FUNC_HIDDEN. Returns PYRO_OK or an error (the event is then dropped).
 * `obj` is the pointer passed to pyro_tthread_enter. */
typedef int (*pyro_resolve_fn)(void *ctx, pyro_tthread_t *tt, uintptr_t key, void *obj,
                               uint32_t *func);

/* A new stopped tracer using `clock`, or NULL when out of memory. `resolve`
 * names new keys (see above); `ctx` is passed through to it. Calls
 * pyro_clock_init(). Free with pyro_tracer_free(). */
pyro_tracer_t *pyro_tracer_new(pyro_clock_kind_t clock, pyro_resolve_fn resolve, void *ctx);

/* Called, on thread `tt`, whenever a node is created there while the thread
 * has no name yet (a few times per thread at most): it may give the thread a
 * name with pyro_tthread_set_name(). */
typedef void (*pyro_namer_fn)(void *ctx, pyro_tthread_t *tt);

/* Install the namer (NULL: none); `ctx` is the resolve callback's context. */
void pyro_tracer_set_namer(pyro_tracer_t *tr, pyro_namer_fn namer);

/* Count perf events per call too (run --mode trace --counters): each of the
 * `n` events (pyro_event_t of counters.h, at most PYRO_TRACE_MAX_COUNTERS)
 * gets a counter on every thread, opened when the thread first reaches the
 * tracer, read at every call and return, so that each node gets its own
 * count and its count with callees as it gets its time (two columns per
 * event in the export: "EVENT" and "EVENT_total"). A read is a system
 * call: about a microsecond per event per call. A thread whose counter
 * cannot be opened is traced without counters (see
 * pyro_tracer_counter_misses). Before the first session only: PYRO_ESTATE
 * after one; PYRO_EINVAL for an unknown or repeated event or n out of
 * range; PYRO_OK. */
int pyro_tracer_set_counters(pyro_tracer_t *tr, const int *events, int n);

/* Threads whose counters could not be opened so far, and the errno of the
 * first failure into *err (0 if none). */
uint32_t pyro_tracer_counter_misses(const pyro_tracer_t *tr, int *err);

/* Free the tracer and every per-thread state. NULL is a no-op. */

void pyro_tracer_free(pyro_tracer_t *tr);

/* The catalog where the resolve callback adds functions (strings + funcs;
 * its nodes stay empty). Owned by the tracer. */
pyro_profile_t *pyro_tracer_catalog(pyro_tracer_t *tr);

/* Mark `key` as hidden before it is first seen: its enters and leaves are
 * ignored. PYRO_OK or PYRO_ENOMEM. */
int pyro_tracer_hide(pyro_tracer_t *tr, uintptr_t key);

/* Begin a tracing session: events are accepted until pyro_tracer_stop().
 * Data from earlier sessions is kept and added to. PYRO_ESTATE if running. */
int pyro_tracer_start(pyro_tracer_t *tr);

/* End the session: every call still open on any thread is closed now (its
 * time so far is counted) and the per-thread stacks are emptied.
 * PYRO_ESTATE if not running. */
int pyro_tracer_stop(pyro_tracer_t *tr);

/* Non-zero while a session is running. */
int pyro_tracer_running(const pyro_tracer_t *tr);

/* Non-zero if an allocation failed during tracing (events were dropped).
 * Sticky: stays set for the tracer's life (its profile is incomplete). */
int pyro_tracer_failed(const pyro_tracer_t *tr);

/* ==== the sink: what interpreter hooks call ====
 *
 * An interpreter hook (ext/hook_*.c) only intercepts an event, finds its key
 * and forwards it to one of these two entry points; everything else (which
 * thread, the shadow stack, the clock, the tree, naming a new key) happens
 * here. Both are inline (tracer_hot.h): they are on the path of every call.
 *
 * void pyro_tracer_enter(pyro_tracer_t *tr, uintptr_t key, void *obj);
 *   A call of `key` began on the calling thread. `key` identifies the
 *   function (non-zero; a code object's or a C method definition's address:
 *   it must stay unique while the tracer lives). `obj` is borrowed, only
 *   handed to the resolve callback if `key` is new on this call path, never
 *   kept.
 * void pyro_tracer_leave(pyro_tracer_t *tr, uintptr_t key);
 *   The innermost call of `key` on the calling thread ended (returned,
 *   raised, yielded). A leave with no matching enter is ignored.
 *
 * Both: called with the events of one tracer serialized (the GIL); cheap
 * no-ops while the tracer is stopped or the thread paused. They never fail:
 * an event that cannot be recorded for lack of memory is dropped and the
 * sticky flag of pyro_tracer_failed() is set. Reentrancy guard: events that
 * arrive on a thread while its resolve or namer callback runs (the callback
 * ran interpreter code: a finalizer, an import) are ignored; their time goes
 * to the calling frame.
 *
 * The per-thread steps they combine, also inline, for tests and callers that
 * keep the thread state themselves:
 *
 * pyro_tthread_t *pyro_tracer_this_thread(pyro_tracer_t *tr);
 *   The calling thread's state for the running session (created on first
 *   use: it records the thread's ident and OS id), or NULL when out of memory
 *   or not running. Cheap after the first call in a session.
 * void pyro_tthread_enter(pyro_tthread_t *tt, uintptr_t key, void *obj);
 *   Record a call of `key` (non-zero) on thread `tt`; obj goes to resolve.
 * void pyro_tthread_leave(pyro_tthread_t *tt, uintptr_t key);
 *   Record the return of `key` on thread `tt`. */

/* Current call depth of `tt` (open calls on its shadow stack). */
uint32_t pyro_tthread_depth(const pyro_tthread_t *tt);

/* Stop (paused != 0) or resume recording events of thread `tt`; its open
 * calls stay open. Used while the runner waits for other threads. */
void pyro_tthread_set_paused(pyro_tthread_t *tt, int paused);

/* Give thread `tt` a display name (copied). PYRO_OK or PYRO_ENOMEM. */
int pyro_tthread_set_name(pyro_tthread_t *tt, const char *name);

/* Non-zero once the thread has a name. */
int pyro_tthread_has_name(const pyro_tthread_t *tt);

/* The thread ident (pthread_self as an integer: Python's get_ident()). */
uint64_t pyro_tthread_ident(const pyro_tthread_t *tt);

/* Number of threads seen so far, and the i-th of them (0 <= i < count). */
uint32_t pyro_tracer_nthreads(const pyro_tracer_t *tr);
pyro_tthread_t *pyro_tracer_thread_at(pyro_tracer_t *tr, uint32_t i);

/* Build a new profile from everything recorded so far (the tracer must be
 * stopped). Functions with identical labels are merged; times are in ns.
 * `*out` receives the profile (caller frees). PYRO_ESTATE if running,
 * PYRO_ENOMEM. */
int pyro_tracer_export(pyro_tracer_t *tr, pyro_profile_t **out);

/* Wall-clock nanoseconds covered by all sessions so far. */
int64_t pyro_tracer_elapsed_ns(const pyro_tracer_t *tr);

#include "record/tracer_hot.h"

#endif
