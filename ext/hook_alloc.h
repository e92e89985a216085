/* SPDX-License-Identifier: MIT */
/* hook_alloc: the interpreter's allocator hooks for memory tracking.
 *
 * PyMem_SetAllocator on the three domains (raw, mem, object), each hook
 * chained to the allocator installed before it. One recorder at a time
 * (process-wide, like the hooks). Per call: the unsampled allocation costs
 * a thread-local read and the countdown subtraction of memtrack_hot.h; a
 * free, one read of the recorder's live filter. A recorded allocation takes
 * the calling thread's Python stack as (code object, byte offset) frames,
 * innermost first (stopping at the root code given to
 * pyro_memhooks_set_root), and keeps every code object in it alive in a
 * code registry, so that a code id is never reused while recorded.
 *
 * Reentrancy: a thread-local guard leaves untracked what is allocated while
 * an event is being recorded, and what the mem and object domains' own
 * allocators take from the raw domain underneath one of our hooks (pymalloc
 * forwards large requests there). A realloc counts as a free of the old
 * block and at most one allocation of the new one.
 *
 * The raw domain without the GIL (a thread in a C call that released it):
 * the recorder and Python objects are never touched there. Sampled
 * allocations (after forwarding) and all frees (before forwarding) go to a
 * small mutex-protected queue, which the next hook call holding the GIL that
 * records anything drains first (and every free holding the GIL while it is
 * not empty). Such an allocation keeps the Python stack its thread had (read
 * from the thread's own frames, which stay put while it runs C code, no
 * reference taken); it is recorded with it if every code in it is known
 * alive when drained (in the registry, or run by a frame of that thread
 * then), else with no Python frame. After fork() the child's hooks pass
 * everything through untracked. */
#ifndef PYRO_HOOK_ALLOC_H
#define PYRO_HOOK_ALLOC_H

#include "compat.h"
#include "record/memtrack.h"

/* Code objects kept alive for a recorder: an open-addressing set of strong
 * references, keyed by address. Zero-initialised = empty. Grown with the C
 * library's allocator (never the interpreter's: it is filled inside the
 * hooks). */
typedef struct pyro_codereg {
    PyObject **slots; /* cap entries, NULL = empty */
    size_t cap;       /* a power of two, or 0 */
    size_t n;         /* entries used */
} pyro_codereg_t;

/* Drop every reference in `r` (may run finalizers) and free its table; `r`
 * is empty afterwards. Holds the GIL. */
void pyro_codereg_clear(pyro_codereg_t *r);

/* Asked, inside a hook holding the GIL, for the name of the calling thread
 * (Python ident `ident`) when it first allocates: it may read objects
 * (threading's registry) but must run no Python code and leave any pending
 * exception as it found it. Returns non-zero once it knows the name (else
 * it is asked again later, a few times). */
typedef int (*pyro_memhooks_namer_fn)(void *ctx, uint64_t ident);

/* Install the hooks (once; they stay installed, passing through, after
 * stop if the program has put its own allocator above them) and start
 * feeding recorder `m`, keeping codes in `reg`. `interval`: m's mean
 * sampling interval in bytes (0 = exact), used for the allocations of
 * threads without the GIL. `namer` (may be NULL) with `ctx`: see
 * pyro_memhooks_namer_fn. Holds the GIL. 0, or -1 with RuntimeError if a
 * recorder is being fed already. */
int pyro_memhooks_start(pyro_memtrack_t *m, pyro_codereg_t *reg, uint64_t interval,
                        pyro_memhooks_namer_fn namer, void *ctx);

/* Stop feeding the recorder (after recording what threads without the GIL
 * queued) and remove the hooks if they are the current allocators of every
 * domain (else they stay, passing through). Holds the GIL. No-op when not
 * started. */
void pyro_memhooks_stop(void);

/* Non-zero while a recorder is being fed. */
int pyro_memhooks_running(void);

/* Stacks captured from now on stop at a frame of `code` (included): the
 * program's root, so that pyrometer's own frames above it are not shown;
 * and the calling thread's allocations while it runs no frame of `code`
 * (pyrometer's own work around the program) are not recorded. NULL: no
 * root. Borrowed: the caller keeps it alive until it sets another.
 * Holds the GIL. */
void pyro_memhooks_set_root(PyObject *code);

/* The calling thread's allocations are not recorded (its frees are) until
 * the next pyro_memhooks_start. Holds the GIL. */
void pyro_memhooks_pause_thread(void);

/* Record what threads without the GIL queued, and enter a section where
 * the calling thread's allocations are not tracked (the caller's own
 * work: export). Pair with pyro_memhooks_leave. Holds the GIL. */
void pyro_memhooks_enter(void);

/* Leave the section entered by pyro_memhooks_enter. */
void pyro_memhooks_leave(void);

/* The code id (code object address) of the innermost frame of the latest
 * recorded allocation that had one, 0 before any since the last start: where
 * the program was allocating, for the memory timeline's thread (an atomic
 * read, from any thread; the code is kept alive by the recorder's registry). */
uint64_t pyro_memhooks_where(void);

/* Events of threads without the GIL lost because the queue could not grow
 * (since the process started). */
uint64_t pyro_memhooks_lost(void);

/* ---- native allocations (hook_native), any thread, with or without the
 * GIL: begin; then, before forwarding a free (or the old block of a
 * realloc), native_free; forward; end with the new block. ---- */

/* Non-zero if the native call about to be forwarded is to be reported: a
 * recorder is being fed and the calling thread is not inside one of our
 * hooks (our own allocations, and what an allocator below a Python domain
 * hook takes with malloc, are never counted). The thread is then inside
 * the guard until pyro_memhooks_native_end. */
int pyro_memhooks_native_begin(void);

/* Between begin and end: block `p` (may be NULL) is freed (a free of a
 * block not recorded, allocated before tracking, is ignored). */
void pyro_memhooks_native_free(void *p);

/* Between begin and end, after forwarding: leave the guard and report the
 * new block `p` of `size` bytes (NULL: none). */
void pyro_memhooks_native_end(void *p, size_t size);

#endif
