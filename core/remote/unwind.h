/* SPDX-License-Identifier: MIT */
/* unwind: every thread's Python stack in another process (or this one),
 * read from its memory without stopping it (unless asked to: see
 * pyro_unwinder_freeze). The target keeps running, so
 * every pointer is validated as it is followed: depth and thread counts are
 * bounded, code objects are checked to be code objects, strings and tables
 * have length limits. A stack that cannot be read completely is cut short
 * and marked, never invented. Code objects are read once and cached by
 * address for the life of the unwinder (the target may free and reuse an
 * address: long-lived users must call pyro_unwinder_forget()). */
#ifndef PYRO_UNWIND_H
#define PYRO_UNWIND_H

#include <stdint.h>

#include "remote/freeze.h"
#include "remote/pyproc.h"
#include "model/strtab.h"

typedef struct pyro_rframe {
    uint32_t name, qualname, file; /* strings of the unwinder */
    int32_t line;                  /* the line executing (or about to) */
    int32_t firstline;             /* the function's first line */
    uint64_t code;                 /* address of the code object in the target */
} pyro_rframe_t;

typedef struct pyro_rthread {
    uint64_t ident;          /* threading.get_ident() */
    uint64_t native_id;      /* OS thread id, 0 if unknown */
    int gil;                 /* 1 if it holds the GIL, 0 not, -1 no GIL to hold (a
                                free-threaded build that did not enable it) */
    int running;             /* 1 running, 0 sleeping/blocked (per the kernel), -1 unknown
                                (or not asked: see pyro_unwinder_os_state) */
    int truncated;           /* its stack could not be read to the end */
    int torn;                /* its stack kept changing while being read (also truncated) */
    uint32_t cut;            /* innermost frames left out: they changed while being read */
    uint32_t rereads;        /* times its stack was read again because it changed */
    uint32_t first, nframes; /* frames[first .. first+nframes), innermost first */
} pyro_rthread_t;

typedef struct pyro_stacks {
    pyro_rthread_t *threads;
    uint32_t nthreads, capthreads;
    pyro_rframe_t *frames;
    uint32_t nframes, capframes;
} pyro_stacks_t;

typedef struct pyro_unwinder pyro_unwinder_t;

/* An unwinder for the process that pyro_pyproc_open() described in `pp`
 * (copied). PYRO_OK or PYRO_ENOMEM; *out is the caller's to free with
 * pyro_unwinder_free. */
int pyro_unwinder_new(const pyro_pyproc_t *pp, pyro_unwinder_t **out);

/* Free the unwinder and its caches. NULL is a no-op. */
void pyro_unwinder_free(pyro_unwinder_t *u);

/* What pyro_pyproc_open found. */
const pyro_pyproc_t *pyro_unwinder_proc(const pyro_unwinder_t *u);

/* The string `id` of the unwinder ("" if out of range). */
const char *pyro_unwinder_str(const pyro_unwinder_t *u, uint32_t id);

/* Read every thread's stack into `s` (emptied first). PYRO_OK, or
 * PYRO_ENOPROC (the process exited), PYRO_EPERM, PYRO_ENOMEM. A thread list
 * that changes while being read gives a partial, still valid, result. */
int pyro_unwinder_sample(pyro_unwinder_t *u, pyro_stacks_t *s);

/* Drop the cached code objects (their addresses may have been reused). */
void pyro_unwinder_forget(pyro_unwinder_t *u);

/* Whether pyro_unwinder_sample asks the kernel for each thread's run state
 * (one /proc read per thread; on by default). A sampler that measures CPU
 * time itself turns it off. */
void pyro_unwinder_os_state(pyro_unwinder_t *u, int on);

/* Stop the target's threads with `f` (not owned; NULL: never stop them)
 * for every pyro_unwinder_sample: a held thread's stack is read once and is
 * exact, with no second read to check it; a thread the freeze does not hold
 * is read as usual. pyro_unwinder_sample then returns PYRO_EPERM when the
 * threads may not be stopped. Sample from the thread that uses `f`. */
void pyro_unwinder_freeze(pyro_unwinder_t *u, pyro_freeze_t *f);

/* Release the arrays of `s`. */
void pyro_stacks_free(pyro_stacks_t *s);

/* The OS thread id stored in a glibc pthread_t of the target (found by
 * locating this process's own tid in its own pthread structure; the target
 * runs the same C library). 0 when unknown. For 3.9/3.10, whose thread
 * states record no OS id. */
uint64_t pyro_unwinder_tid_of(const pyro_unwinder_t *u, uint64_t pthread_ident);

#endif
