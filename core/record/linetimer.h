/* SPDX-License-Identifier: MIT */
/* linetimer: the exact line-timing engine. It times every line of a set of
 * chosen code objects (keys: opaque non-zero integers, a code object's
 * address in the extension), in every thread, from the line events an
 * interpreter hook feeds it, and exports a profile of PYRO_MODE_LINES.
 *
 * Each chosen code has a dense array of per-line counters (first .. last
 * line that has code; hits and ticks) per thread. Each thread keeps a stack
 * of its open chosen frames (frames of other code are never pushed); a frame
 * records its code, its open line and the tick count when that line began.
 *
 * Semantics (as line_profiler, but per frame):
 *   - a line event of a frame counts one hit of the new line and charges the
 *     ticks since the frame's previous line event to the previous line;
 *   - a frame's open line is closed (charged) by its return, yield or unwind;
 *     a resume (generators, coroutines) opens nothing until the next line;
 *   - a line's time includes the calls it makes, except a recursive call of
 *     the same code on the same thread: when a frame of code C starts while
 *     an outer frame of C is open, the outer frame's open line is charged up
 *     to that moment and paused, and resumes (no new hit) when the inner
 *     frame ends. So the sum of a function's lines never counts recursion
 *     twice;
 *   - calls counts starts of frames, not resumes.
 *
 * Threading: not internally synchronized. All calls for one timer must be
 * serialized by the caller (the extension holds the GIL). */
#ifndef PYRO_LINETIMER_H
#define PYRO_LINETIMER_H

#include <stdint.h>

#include "model/profile.h"

typedef struct pyro_linetimer pyro_linetimer_t;
typedef struct pyro_lthread pyro_lthread_t;

/* What pyro_linetimer_lookup says of a key that is not chosen. */
#define PYRO_LINES_UNKNOWN PYRO_NONE       /* never seen */
#define PYRO_LINES_NO (UINT32_MAX - 1)     /* decided: not chosen (pyro_linetimer_reject) */
#define PYRO_LINES_HIDDEN (UINT32_MAX - 2) /* never to be chosen (pyro_linetimer_hide) */

/* A new stopped timer with no code chosen, or NULL when out of memory.
 * Calls pyro_clock_init(). Free with pyro_linetimer_free(). */
pyro_linetimer_t *pyro_linetimer_new(void);

/* Called on thread `tt` when it first runs a chosen code (a few times per
 * thread at most) while the thread has no name: it may give the thread a
 * name with pyro_lthread_set_name(). It must not run interpreter code. */
typedef void (*pyro_lnamer_fn)(void *ctx, pyro_lthread_t *tt);

/* Install the namer (NULL: none) and its context. */
void pyro_linetimer_set_namer(pyro_linetimer_t *lt, pyro_lnamer_fn namer, void *ctx);

/* Free the timer and all per-thread state. NULL is a no-op. */
void pyro_linetimer_free(pyro_linetimer_t *lt);

/* The catalog where callers add the functions they choose (strings and
 * funcs; its nodes stay empty). Owned by the timer. */
pyro_profile_t *pyro_linetimer_catalog(pyro_linetimer_t *lt);

/* Choose `key` (non-zero) for function `func` of the catalog, whose lines
 * with code are the `nlines` numbers at `lines` (any order, duplicates and
 * zeros ignored; copied). Allowed while running: frames of it are timed from
 * their next event. The id of the chosen code (dense, from 0) goes to *id.
 * PYRO_OK; PYRO_EINVAL (key 0, no line, func out of range, a span of more
 * than 2^20 lines); PYRO_ESTATE if `key` is hidden or already chosen (*id is
 * then its id when chosen); PYRO_ENOMEM. */
int pyro_linetimer_add(pyro_linetimer_t *lt, uintptr_t key, uint32_t func, const uint32_t *lines,
                       uint32_t nlines, uint32_t *id);

/* Remember that `key` is not chosen (a matcher said no) so that callers ask
 * once; a later pyro_linetimer_add still chooses it. PYRO_OK or PYRO_ENOMEM. */
int pyro_linetimer_reject(pyro_linetimer_t *lt, uintptr_t key);

/* Never choose `key`: pyro_linetimer_add refuses it from now on. Has no
 * effect on a key already chosen (returns PYRO_ESTATE). PYRO_OK, ENOMEM. */
int pyro_linetimer_hide(pyro_linetimer_t *lt, uintptr_t key);

/* The id of chosen `key`, or PYRO_LINES_UNKNOWN, PYRO_LINES_NO,
 * PYRO_LINES_HIDDEN. */
uint32_t pyro_linetimer_lookup(const pyro_linetimer_t *lt, uintptr_t key);

/* Number of chosen codes, and the key of chosen code `id` (0 if out of
 * range). */
uint32_t pyro_linetimer_ncodes(const pyro_linetimer_t *lt);
uintptr_t pyro_linetimer_key(const pyro_linetimer_t *lt, uint32_t id);

/* Begin a session: events are accepted until pyro_linetimer_stop(). The
 * calling thread is attached at once (so a profile always has a thread to
 * list never-called functions under). Data of earlier sessions is kept and
 * added to. PYRO_ESTATE if running; PYRO_ENOMEM (not started). */
int pyro_linetimer_start(pyro_linetimer_t *lt);

/* End the session: every frame still open on any thread has its open line
 * charged up to now (up to when a paused thread paused) and the stacks are
 * emptied. PYRO_ESTATE if not running. */
int pyro_linetimer_stop(pyro_linetimer_t *lt);

/* Non-zero while a session runs. */
int pyro_linetimer_running(const pyro_linetimer_t *lt);

/* Non-zero if an allocation failed while timing (events were dropped).
 * Sticky for the timer's life. */
int pyro_linetimer_failed(const pyro_linetimer_t *lt);

/* Wall-clock ns covered by all sessions so far. */
int64_t pyro_linetimer_elapsed_ns(const pyro_linetimer_t *lt);

/* ==== the sink: what interpreter hooks call ====
 *
 * Every entry point acts on the calling thread and is a cheap no-op while
 * the timer is stopped or the thread is paused. They never fail: an event
 * that cannot be recorded for lack of memory is dropped and the sticky flag
 * of pyro_linetimer_failed() is set. Inline (linetimer_hot.h).
 *
 * void pyro_lines_enter(pyro_linetimer_t *lt, uintptr_t key, int start);
 *   A frame of `key` began (start != 0: PY_START, a call) or resumed
 *   (start == 0: a generator resumed or thrown into). Nothing unless `key`
 *   is chosen.
 * int pyro_lines_line(pyro_linetimer_t *lt, uintptr_t key, uint32_t line);
 *   The frame of `key` innermost on the thread began line `line`. A frame
 *   of a chosen key not on the thread's stack (it began before the session,
 *   or before its code was chosen) is pushed now, without a call. Returns 1
 *   if `key` is not chosen (the hook may stop line events for that frame),
 *   else 0.
 * void pyro_lines_leave(pyro_linetimer_t *lt, uintptr_t key);
 *   The innermost frame of `key` returned, yielded or unwound. Ignored if
 *   no frame of `key` is open on the thread.
 *
 * The per-thread steps they combine, for tests and callers that keep the
 * thread themselves:
 *
 * pyro_lthread_t *pyro_lines_this_thread(pyro_linetimer_t *lt);
 *   The calling thread's state for the running session (created on first
 *   use), or NULL when stopped or out of memory.
 * void pyro_lthread_enter(pyro_lthread_t *tt, uintptr_t key, int start);
 * int pyro_lthread_line(pyro_lthread_t *tt, uintptr_t key, uint32_t line);
 * void pyro_lthread_leave(pyro_lthread_t *tt, uintptr_t key); */

/* Open chosen frames of `tt` (its stack depth). */
uint32_t pyro_lthread_depth(const pyro_lthread_t *tt);

/* Stop (paused != 0) or resume recording events of thread `tt`; its open
 * frames stay open, and a paused thread's open lines are charged only up to
 * when it paused. */
void pyro_lthread_set_paused(pyro_lthread_t *tt, int paused);

/* Give thread `tt` a display name (copied). PYRO_OK or PYRO_ENOMEM. */
int pyro_lthread_set_name(pyro_lthread_t *tt, const char *name);

/* Non-zero once the thread has a name. */
int pyro_lthread_has_name(const pyro_lthread_t *tt);

/* The thread's ident (Python's threading.get_ident()). */
uint64_t pyro_lthread_ident(const pyro_lthread_t *tt);

/* Number of threads seen so far, and the i-th (NULL if out of range). */
uint32_t pyro_linetimer_nthreads(const pyro_linetimer_t *lt);
pyro_lthread_t *pyro_linetimer_thread_at(pyro_linetimer_t *lt, uint32_t i);

/* Build a profile of PYRO_MODE_LINES from everything recorded so far (the
 * timer must be stopped), as the comment on PYRO_MODE_LINES says: per
 * thread, one root per chosen function the thread ran (line 0: calls, and
 * total_ns = the sum of its lines' total_ns), under it one node per line
 * that has code (hits, total_ns; hits 0 if never run, and a line that ran
 * but was not declared as having code is listed too); a chosen function no
 * thread ran gets a root with calls 0 (and its lines) under the first
 * thread. Times in ns. `*out` receives the profile (the caller frees).
 * PYRO_ESTATE if running, PYRO_ENOMEM. */
int pyro_linetimer_export(pyro_linetimer_t *lt, pyro_profile_t **out);

#include "record/linetimer_hot.h"

#endif
