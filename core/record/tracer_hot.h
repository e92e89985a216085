/* SPDX-License-Identifier: MIT */
/* tracer_hot: the per-event fast path of the tracer, inline so that each hook
 * of the extension compiles it in. The structures here are private to the
 * tracer: only tracer.c and these inline functions touch their fields.
 *
 * Layout choices (each event costs a few nanoseconds, so they matter):
 *   - stack[0] is a sentinel frame (key 0, node 0): no "empty stack" branch;
 *   - node 0 is a virtual root per thread; real roots are its children;
 *   - a node keeps the key of the child entered last (hint_key) next to its
 *     index, so the common case needs one cache line of the parent;
 *   - a frame keeps its key, so a matching return needs no node load. */
#ifndef PYRO_TRACER_HOT_H
#define PYRO_TRACER_HOT_H

#include <stdint.h>

#include "model/clock.h"
#include "record/session.h"

/* Counters a trace can count per call (pyro_tracer_set_counters). */
#define PYRO_TRACE_MAX_COUNTERS 4

typedef struct pyro_tnode {
    uintptr_t key;
    uintptr_t hint_key; /* key of the child entered last, 0 if none */
    uint32_t hint;      /* that child's index */
    uint32_t parent;    /* PYRO_NONE only for node 0, the virtual root */
    uint32_t func;      /* catalog function */
    uint32_t pad;
    uint64_t calls;
    int64_t self; /* ticks */
    int64_t total;
} pyro_tnode_t;

typedef struct pyro_tframe {
    uintptr_t key;
    uint32_t node;
    uint32_t pad;
    int64_t t0;    /* clock at entry */
    int64_t child; /* ticks spent in completed callees */
} pyro_tframe_t;

struct pyro_tthread {
    /* hot */
    pyro_tframe_t *top;   /* innermost frame; == stack for an empty stack */
    pyro_tframe_t *limit; /* one past the last usable frame */
    pyro_tnode_t *nodes;
    int mute; /* events are ignored while non-zero: PYRO_MUTE_* bits */
    int cpu_clock;
    int nctr; /* counters read at each call and return (0: none) */
    /* cold */
    int ctr_fd[PYRO_TRACE_MAX_COUNTERS];
    int ctr_grouped; /* pyro_counter_open_threads' answer: one read gives them all */
    int64_t *cstack; /* per frame, per counter: the count at entry, then callees' share */
    int64_t *cnodes; /* per node, per counter: own count, then count with callees */
    struct pyro_tracer *tracer;
    pyro_tframe_t *stack;
    uint32_t nnodes, capnodes;
    uint32_t *slots; /* (parent, key) -> node + 1 */
    uint32_t nslots;
    int64_t last;       /* ticks at the previous event */
    int64_t off;        /* ticks detected off CPU (CPU clock) */
    int64_t sync_ticks; /* ticks at the last CPU-clock read */
    int64_t sync_cpu;   /* thread CPU ns at that read */
    uint64_t ident, native_id;
    char *name;
};

/* Why a thread's events are ignored (bits of pyro_tthread.mute). */
#define PYRO_MUTE_PAUSED 1 /* pyro_tthread_set_paused */
#define PYRO_MUTE_BUSY 2   /* inside the slow path: the reentrancy guard */

/* The calling thread's state for session `gen` (see tracer.c). */
extern __thread pyro_tls_t pyro_tracer_tls __attribute__((tls_model("initial-exec")));

/* The part of the tracer the fast path reads. */
struct pyro_tracer_head {
    uint64_t gen; /* session id, 0 when stopped */
};

/* Out-of-line slow paths (tracer.c). */
PYRO_SLOW void pyro_tthread_ctr_enter(struct pyro_tthread *tt);
PYRO_SLOW void pyro_tthread_ctr_leave(struct pyro_tthread *tt, const pyro_tframe_t *f);
PYRO_SLOW struct pyro_tthread *pyro_tracer_attach(struct pyro_tracer *tr);
__attribute__((noinline)) int64_t pyro_tthread_cpu_now(struct pyro_tthread *tt, int64_t ticks);
PYRO_SLOW uint32_t pyro_tthread_miss(struct pyro_tthread *tt, uintptr_t key, void *obj);
PYRO_SLOW int pyro_tthread_grow(struct pyro_tthread *tt);
PYRO_SLOW void pyro_tthread_leave_slow(struct pyro_tthread *tt, uintptr_t key);

PYRO_HOT int64_t pyro_tthread_now(struct pyro_tthread *tt)
{
    int64_t t = pyro_clock_ticks();
    if (__builtin_expect(!tt->cpu_clock, 1))
        return t;
    return pyro_tthread_cpu_now(tt, t);
}

PYRO_HOT struct pyro_tthread *pyro_tracer_this_thread(struct pyro_tracer *tr)
{
    if (__builtin_expect(pyro_tracer_tls.gen == ((struct pyro_tracer_head *)tr)->gen, 1))
        return (struct pyro_tthread *)pyro_tracer_tls.tt;
    return pyro_tracer_attach(tr);
}

PYRO_HOT void pyro_tthread_enter(struct pyro_tthread *tt, uintptr_t key, void *obj)
{
    if (__builtin_expect(tt->mute, 0))
        return;
    int64_t t = pyro_tthread_now(tt);
    pyro_tframe_t *f = tt->top;
    const pyro_tnode_t *p = &tt->nodes[f->node];
    uint32_t child;
    if (__builtin_expect(p->hint_key == key, 1)) {
        child = p->hint;
    } else {
        child = pyro_tthread_miss(tt, key, obj);
        if (child == UINT32_MAX)
            return; /* hidden, or dropped for lack of memory */
    }
    if (__builtin_expect(f + 1 == tt->limit, 0)) {
        if (pyro_tthread_grow(tt))
            return;
        f = tt->top;
    }
    f++;
    f->key = key;
    f->node = child;
    f->t0 = t;
    f->child = 0;
    tt->top = f;
    if (__builtin_expect(tt->nctr != 0, 0))
        pyro_tthread_ctr_enter(tt);
}

PYRO_HOT void pyro_tthread_leave(struct pyro_tthread *tt, uintptr_t key)
{
    pyro_tframe_t *f = tt->top;
    if (__builtin_expect(f->key != key || tt->mute, 0)) {
        pyro_tthread_leave_slow(tt, key);
        return;
    }
    int64_t dt = pyro_tthread_now(tt) - f->t0;
    pyro_tnode_t *n = &tt->nodes[f->node];
    n->calls++;
    n->total += dt;
    n->self += dt - f->child;
    f[-1].child += dt; /* the sentinel absorbs a root's time */
    if (__builtin_expect(tt->nctr != 0, 0))
        pyro_tthread_ctr_leave(tt, f);
    tt->top = f - 1;
}

/* ==== the sink: one entry point per event kind (contract in tracer.h) ==== */

PYRO_HOT void pyro_tracer_enter(struct pyro_tracer *tr, uintptr_t key, void *obj)
{
    struct pyro_tthread *tt = pyro_tracer_this_thread(tr);
    if (__builtin_expect(tt != NULL, 1))
        pyro_tthread_enter(tt, key, obj);
}

PYRO_HOT void pyro_tracer_leave(struct pyro_tracer *tr, uintptr_t key)
{
    struct pyro_tthread *tt = pyro_tracer_this_thread(tr);
    if (__builtin_expect(tt != NULL, 1))
        pyro_tthread_leave(tt, key);
}

#endif
