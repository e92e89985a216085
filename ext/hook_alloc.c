/* SPDX-License-Identifier: MIT */
/* hook_alloc: allocator hooks on the raw, mem and object domains. */
#include "hook_alloc.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/alloc.h"
#include "model/profile.h"

#if PYRO_HAVE_INTERP_FRAME
#define Py_BUILD_CORE 1
#include PYRO_INTERP_FRAME_HEADER
#undef Py_BUILD_CORE
typedef struct _PyInterpreterFrame pyro_pyframe_t;
#else
typedef PyFrameObject pyro_pyframe_t;
#endif

enum { DOM_RAW = 0, DOM_MEM = 1, DOM_OBJ = 2, NDOM = 3 };

static const PyMemAllocatorDomain domain_of[NDOM] = {PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM,
                                                     PYMEM_DOMAIN_OBJ};

/* The allocators below ours, per domain (kept after stop: hooks left in
 * place pass through to them). */
static PyMemAllocatorEx prev[NDOM];
static PyMemAllocatorEx ours[NDOM];
static int installed; /* our hooks are in the chain of every domain */
/* Per domain, the largest request the allocator below serves without
 * calling the raw domain itself: pymalloc's small requests (512 bytes),
 * when the allocator below is a plain one (no context: pymalloc, malloc),
 * else 0. The mem and object hooks skip the reentrancy guard for them. */
static size_t small_direct[NDOM];
#define PYMALLOC_SMALL 512

/* What each thread keeps: its sampler state for the recorder, the
 * reentrancy guard, and the countdown it uses in the raw domain without the
 * GIL before the recorder knows it. Small: initial-exec TLS of a dlopen'ed
 * module comes from a limited reserve. */
typedef struct tls_state {
    pyro_memthread_t st;
    uint32_t busy;   /* > 0: recording, or inside a forward of the mem/object domain (right
                        after st.epoch: the two are the gate, below) */
    uint32_t paused; /* the start generation this thread was paused in (0: never) */
    int64_t nogil_countdown;
    uint64_t nogil_rng;
    uint32_t nogil_epoch;
    uint32_t named_epoch; /* the recorder epoch in which the namer named this thread */
    uint32_t tries_epoch; /* the epoch `tries` counts in */
    uint32_t tries;       /* recorded allocations since the namer was first asked */
    uint32_t seen;        /* per domain, a malloc hook ran while not recording (probe_chain) */
    uint64_t freed_gen;   /* g_recorded when freed_addr was freed through free_slow */
    void *freed_addr;     /* the last block freed through free_slow: not a live record until
                             the next one (a "maybe" of the filter that recurs) */
} tls_state_t;

/* 32-byte-aligned, so that the gate (below) never straddles a cache line */
static _Thread_local _Alignas(32) tls_state_t tls __attribute__((tls_model("initial-exec")));

/* A thread's gate: the 8 bytes of its st.epoch and busy, side by side, read
 * as one word, so that the mem and object mallocs ask "registered in the
 * sampling recorder, and not busy" with one comparison (with g_gate). */
#define GATE_AT (offsetof(tls_state_t, st) + offsetof(pyro_memthread_t, epoch))
_Static_assert(offsetof(tls_state_t, busy) == GATE_AT + sizeof(uint32_t), "busy follows st.epoch");
_Static_assert(GATE_AT % 32 + sizeof(uint64_t) <= 32, "the gate stays in one cache line");

static inline uint64_t gate_of(const tls_state_t *t)
{
    uint64_t w;
    memcpy(&w, (const unsigned char *)t + GATE_AT, sizeof w);
    return w;
}

/* The gate of a thread registered in epoch `epoch` and not busy. */
static inline uint64_t gate_make(uint32_t epoch)
{
    uint32_t pair[2] = {epoch, 0};
    uint64_t w;
    _Static_assert(sizeof pair == sizeof w, "two halves");
    memcpy(&w, pair, sizeof w);
    return w;
}

/* The recorder being fed (NULL: pass through), and whether threads without
 * the GIL have queued events. Read without the GIL by raw-domain hooks;
 * written with it. */
static _Atomic(pyro_memtrack_t *) g_mt;
/* g_mt's head while it is set and nothing is queued; the any head while
 * events of threads without the GIL wait in the queue (a free must drain
 * them first); else an idle one whose filter rules every address out: the
 * mem and object frees' one question, without a NULL test or a look at
 * g_pending. Read with the GIL, as g_mt by those hooks; written with the
 * GIL, or under qlock by enqueue (which drain and stop undo under it). */
static _Atomic(const pyro_memtrack_head_t *) g_head = &pyro_memtrack_idle_head;
/* While the recorder samples, the gate of a thread registered in its epoch
 * and not busy: such a thread may take the mem and object mallocs' fast
 * path. Stopped, or exact, a gate no thread has (NO_GATE). */
#define NO_GATE UINT64_MAX /* busy UINT32_MAX: no thread's */
static _Atomic uint64_t g_gate = NO_GATE;
static atomic_int g_pending;
/* Allocations put in the recorder so far (each may make an address live
 * again): a thread's freed_addr holds while it has not moved. With the GIL. */
static _Atomic uint64_t g_recorded;
static atomic_int g_raw_users; /* raw-domain hooks reading the recorder (note_alloc) */
/* Only with the GIL: */
static pyro_codereg_t *g_reg;
static PyObject *g_root;
static unsigned long g_root_thread; /* the thread that runs the root */
static uint32_t g_gen;              /* starts so far (pause_thread marks) */
static uint64_t g_interval;         /* the recorder's interval (0 = exact) */
static uint32_t g_epoch;            /* the recorder's epoch */
static pyro_memframe_t g_frames[PYRO_MEMTRACK_MAX_DEPTH + 1];
static pyro_memhooks_namer_fn g_namer;
static _Atomic uint64_t g_where; /* the innermost code of the latest recorded allocation */
static void *g_namer_ctx;

/* ==== the queue of threads without the GIL ==== */

/* An event of a thread without the GIL. An allocation keeps the thread's
 * Python stack as it was (code, offset pairs, read from its own frames,
 * which cannot change while it runs C code): `nf` frames from `fstart` in
 * qframes. The codes are not referenced then (that needs the GIL); drain
 * keeps a code only if it is provably alive (see live_frames). */
typedef struct qevent {
    uint64_t addr, size, ident, native; /* size UINT64_MAX: a free */
    uint32_t fstart, nf;
} qevent_t;

#define QUEUE_MAX (1u << 20)
#define QFRAMES_MAX (1u << 20) /* past it, allocations are queued without a stack */
#define QFREE UINT64_MAX

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static qevent_t *qbuf;
static size_t qn, qcap;
static pyro_memframe_t *qframes;
static size_t qfn, qfcap;
static _Atomic uint64_t qlost;

static void enqueue(uint64_t addr, uint64_t size, const pyro_memframe_t *frames, uint32_t nf)
{
    uint64_t ident = size == QFREE ? 0 : (uint64_t)PyThread_get_thread_ident();
    uint64_t native = 0;
#ifdef PY_HAVE_THREAD_NATIVE_ID
    if (size != QFREE)
        native = (uint64_t)PyThread_get_thread_native_id();
#endif
    pthread_mutex_lock(&qlock);
    /* acquire: start() set g_head before g_mt, so the any head lands after
     * it, never under it */
    if (!atomic_load_explicit(&g_mt, memory_order_acquire)) {
        /* stopped meanwhile: stop() has emptied the queue, or will */
        pthread_mutex_unlock(&qlock);
        return;
    }
    if (qn == qcap) {
        size_t cap = qcap ? qcap * 2 : 256;
        qevent_t *b = cap <= QUEUE_MAX ? pyro_pages_realloc(qbuf, cap * sizeof *b) : NULL;
        if (!b) {
            pthread_mutex_unlock(&qlock);
            atomic_fetch_add_explicit(&qlost, 1, memory_order_relaxed);
            return;
        }
        qbuf = b;
        qcap = cap;
    }
    if (nf && qfn + nf > qfcap) {
        size_t cap = qfcap ? qfcap : 1024;
        while (cap < qfn + nf)
            cap *= 2;
        pyro_memframe_t *b =
            cap <= QFRAMES_MAX ? pyro_pages_realloc(qframes, cap * sizeof *b) : NULL;
        if (b) {
            qframes = b;
            qfcap = cap;
        } else {
            nf = 0;
        }
    }
    if (nf)
        memcpy(&qframes[qfn], frames, nf * sizeof *frames);
    qbuf[qn++] = (qevent_t){addr, size, ident, native, (uint32_t)qfn, nf};
    qfn += nf;
    atomic_store_explicit(&g_pending, 1, memory_order_release);
    atomic_store_explicit(&g_head, &pyro_memtrack_any_head, memory_order_release);
    pthread_mutex_unlock(&qlock);
}

static uint32_t live_frames(const pyro_memframe_t *in, uint32_t nf, uint64_t ident,
                            pyro_memframe_t *out);

/* Record what was queued, in order. With the GIL. */
static void drain(pyro_memtrack_t *m)
{
    static pyro_memframe_t frames[PYRO_MEMTRACK_MAX_DEPTH + 1];
    if (!atomic_load_explicit(&g_pending, memory_order_acquire))
        return;
    pthread_mutex_lock(&qlock);
    for (size_t i = 0; i < qn; i++) {
        const qevent_t *e = &qbuf[i];
        if (e->size == QFREE) {
            pyro_memtrack_freed(m, e->addr);
            continue;
        }
        pyro_memthread_t t = {0, 0, PYRO_NONE, 0};
        pyro_memtrack_thread(m, &t, e->ident, e->native);
        uint32_t n = e->nf ? live_frames(&qframes[e->fstart], e->nf, e->ident, frames) : 0;
        atomic_fetch_add_explicit(&g_recorded, 1, memory_order_relaxed);
        pyro_memtrack_alloc(m, &t, e->addr, (size_t)e->size, n ? frames : NULL, n);
    }
    qn = 0;
    qfn = 0;
    atomic_store_explicit(&g_pending, 0, memory_order_relaxed);
    atomic_store_explicit(&g_head, (const pyro_memtrack_head_t *)(const void *)m,
                          memory_order_relaxed);
    pthread_mutex_unlock(&qlock);
}

/* An exponential countdown of mean g_interval (the recorder's own draw,
 * for threads it cannot be asked from). */
static int64_t draw(uint64_t *rng)
{
    if (!*rng)
        *rng = (uint64_t)(uintptr_t)rng ^ (uint64_t)time(NULL) ^ 0x9E3779B97F4A7C15ull;
    uint64_t x = *rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *rng = x;
    double u = (double)((x * 0x2545F4914F6CDD1Dull) >> 11) * (1.0 / 9007199254740992.0);
    return (int64_t)(-log(1.0 - u) * (double)g_interval) + 1;
}

static uint32_t capture_detached(pyro_memframe_t *out);

/* An allocation of the raw domain by a thread without the GIL, which
 * pyro_memtrack_should_sample chose (or which the thread's state cannot
 * tell: not registered): queue it if chosen by this thread's countdown. */
static void nogil_alloc(pyro_memtrack_t *m, tls_state_t *t, void *p, size_t size)
{
    const pyro_memtrack_head_t *h = (const pyro_memtrack_head_t *)(const void *)m;
    if (!h->exact) {
        if (t->st.epoch == h->epoch) {
            /* registered: its countdown ran out; draw the next one here */
            t->st.countdown = draw(&t->nogil_rng);
        } else {
            if (t->nogil_epoch != h->epoch) {
                t->nogil_epoch = h->epoch;
                t->nogil_countdown = draw(&t->nogil_rng);
            }
            t->nogil_countdown -= (int64_t)size;
            if (t->nogil_countdown > 0)
                return;
            t->nogil_countdown = draw(&t->nogil_rng);
        }
    }
    pyro_memframe_t frames[PYRO_MEMTRACK_MAX_DEPTH + 1];
    uint32_t nf = capture_detached(frames);
    enqueue((uint64_t)(uintptr_t)p, size, frames, nf);
}

/* ==== the code registry ==== */

static inline size_t code_slot(const void *p, size_t mask)
{
    return (size_t)((((uint64_t)(uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

static int codereg_grow(pyro_codereg_t *r)
{
    size_t cap = r->cap ? r->cap * 2 : 256;
    PyObject **s = pyro_pages_alloc(cap * sizeof *s); /* off the program's heap (model/alloc.h) */
    if (!s)
        return -1;
    for (size_t i = 0; i < r->cap; i++) {
        PyObject *o = r->slots[i];
        if (!o)
            continue;
        size_t j = code_slot(o, cap - 1);
        while (s[j])
            j = (j + 1) & (cap - 1);
        s[j] = o;
    }
    pyro_pages_free(r->slots);
    r->slots = s;
    r->cap = cap;
    return 0;
}

/* Keep `code` alive in `r`. 0, or -1 out of memory. With the GIL. */
static inline int codereg_add(pyro_codereg_t *r, PyObject *code)
{
    if (r->cap) {
        size_t mask = r->cap - 1;
        for (size_t j = code_slot(code, mask);; j = (j + 1) & mask) {
            if (r->slots[j] == code)
                return 0;
            if (!r->slots[j])
                break;
        }
    }
    if ((r->n + 1) * 2 > r->cap && codereg_grow(r) < 0)
        return -1;
    size_t mask = r->cap - 1;
    size_t j = code_slot(code, mask);
    while (r->slots[j])
        j = (j + 1) & mask;
    r->slots[j] = Py_NewRef(code);
    r->n++;
    return 0;
}

void pyro_codereg_clear(pyro_codereg_t *r)
{
    PyObject **s = r->slots;
    size_t cap = r->cap;
    r->slots = NULL;
    r->cap = r->n = 0;
    for (size_t i = 0; i < cap; i++)
        Py_XDECREF(s[i]);
    pyro_pages_free(s);
}

/* ==== the Python stack ==== */

#define NOT_OURS UINT32_MAX

/* The frame that called `f` (NULL past the outermost). */
static inline pyro_pyframe_t *frame_back(pyro_pyframe_t *f)
{
#if PYRO_HAVE_INTERP_FRAME
    return f->previous;
#else
    return f->f_back;
#endif
}

/* The code object `f` runs and, in *off, its byte offset in it (clamped
 * to 0..UINT32_MAX); NULL for a frame that is no Python function's (an
 * interpreter shim, a frame with no code yet). No reference is taken. */
static inline PyObject *frame_code(pyro_pyframe_t *f, uint32_t *off)
{
#if PYRO_HAVE_INTERP_FRAME
    if (PYRO_IFRAME_IS_SHIM(f))
        return NULL;
    PyObject *code = PYRO_IFRAME_CODE(f);
    if (!code || !PyCode_Check(code))
        return NULL;
    ptrdiff_t o = (const char *)PYRO_IFRAME_INSTR(f) - (const char *)PYRO_IFRAME_BYTECODE(f, code);
#else
    PyObject *code = (PyObject *)f->f_code;
    ptrdiff_t o = PYRO_PYFRAME_OFFSET(f);
#endif
    *off = o < 0 ? 0 : o > (ptrdiff_t)UINT32_MAX ? UINT32_MAX : (uint32_t)o;
    return code;
}

/* The calling thread's Python stack, innermost first, into g_frames: at
 * most PYRO_MEMTRACK_MAX_DEPTH + 1 frames (one more than the recorder keeps:
 * it then knows the stack was deeper), stopping after the root's frame.
 * NOT_OURS if the root's thread is not running the root (pyrometer's own
 * work before and after the program). Every code in it is kept in the
 * registry (if that fails, no frame): g_frames keeps the last stack
 * captured, all of it registered, so that a code at the same depth as
 * before is not looked up again. With the GIL. */
static uint32_t capture(void)
{
    int root_seen = 0;
    PyThreadState *ts = PYRO_TSTATE_UNCHECKED();
    uint32_t n = 0;
    if (!ts)
        return 0;
    for (pyro_pyframe_t *f = PYRO_TSTATE_TOP_FRAME(ts); f && n <= PYRO_MEMTRACK_MAX_DEPTH;
         f = frame_back(f)) {
        uint32_t off;
        PyObject *code = frame_code(f, &off);
        if (!code)
            continue;
        if (g_frames[n].code != (uint64_t)(uintptr_t)code) {
            /* not registered by the capture before, at this depth */
            if (codereg_add(g_reg, code) < 0) {
                memset(g_frames, 0, sizeof g_frames);
                return 0;
            }
        }
        g_frames[n].code = (uint64_t)(uintptr_t)code;
        g_frames[n].offset = off;
        n++;
        if (code == g_root) {
            root_seen = 1;
            break;
        }
    }
    if (g_root && !root_seen && n <= PYRO_MEMTRACK_MAX_DEPTH &&
        PyThread_get_thread_ident() == g_root_thread)
        return NOT_OURS;
    return n;
}

/* The calling thread's Python stack while it does not hold the GIL (a C
 * call that released it): read from its own thread state, whose frames
 * stay as they are until it takes the GIL again; innermost first, at most
 * PYRO_MEMTRACK_MAX_DEPTH + 1 frames, stopping after the root's. No code is
 * referenced (drain decides which can be). 0 for a thread Python does not
 * know. */
static uint32_t capture_detached(pyro_memframe_t *out)
{
    PyThreadState *ts = PyGILState_GetThisThreadState();
    PyObject *root = g_root;
    uint32_t n = 0;
    if (!ts)
        return 0;
    for (pyro_pyframe_t *f = PYRO_TSTATE_TOP_FRAME(ts); f && n <= PYRO_MEMTRACK_MAX_DEPTH;
         f = frame_back(f)) {
        uint32_t off;
        PyObject *code = frame_code(f, &off);
        if (!code)
            continue;
        out[n].code = (uint64_t)(uintptr_t)code;
        out[n].offset = off;
        n++;
        if (code == root)
            break;
    }
    return n;
}

/* Non-zero if `r` holds `code`. */
static int codereg_has(const pyro_codereg_t *r, uint64_t code)
{
    if (!r || !r->cap)
        return 0;
    size_t mask = r->cap - 1;
    for (size_t j = code_slot((const void *)(uintptr_t)code, mask);; j = (j + 1) & mask) {
        if ((uint64_t)(uintptr_t)r->slots[j] == code)
            return 1;
        if (!r->slots[j])
            return 0;
    }
}

/* Non-zero if a frame of the thread `ident` runs `code` now (a code a live
 * frame runs is alive). With the GIL: no thread changes its frames. */
static int runs_now(uint64_t ident, uint64_t code)
{
    PyThreadState *me = PYRO_TSTATE_UNCHECKED();
    if (!me)
        return 0;
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(PyThreadState_GetInterpreter(me)); ts;
         ts = PyThreadState_Next(ts)) {
        if ((uint64_t)ts->thread_id != ident)
            continue;
        uint32_t depth = 0;
        for (pyro_pyframe_t *f = PYRO_TSTATE_TOP_FRAME(ts); f && depth < 4096; depth++,
#if PYRO_HAVE_INTERP_FRAME
                            f = f->previous
#else
                            f = f->f_back
#endif
        ) {
#if PYRO_HAVE_INTERP_FRAME
            if (PYRO_IFRAME_IS_SHIM(f))
                continue;
            if ((uint64_t)(uintptr_t)PYRO_IFRAME_CODE(f) == code)
                return 1;
#else
            if ((uint64_t)(uintptr_t)f->f_code == code)
                return 1;
#endif
        }
    }
    return 0;
}

/* The frames of a queued allocation that can be recorded, into `out`: all
 * of them if every code is known alive (kept by the registry already, or
 * run by a frame of that thread now, then registered), else none: a code
 * whose frame has returned since may have been freed. With the GIL. */
static uint32_t live_frames(const pyro_memframe_t *in, uint32_t nf, uint64_t ident,
                            pyro_memframe_t *out)
{
    if (!g_reg)
        return 0;
    for (uint32_t i = 0; i < nf; i++) {
        if (codereg_has(g_reg, in[i].code))
            continue;
        if (!runs_now(ident, in[i].code) ||
            codereg_add(g_reg, (PyObject *)(uintptr_t)in[i].code) < 0)
            return 0;
    }
    memcpy(out, in, nf * sizeof *in);
    return nf;
}

/* ==== the hooks ==== */

/* Ask the namer for the calling thread's name: at each of its first 16
 * recorded allocations, then at the 32nd, 64th, ... up to about a million
 * (threading registers a thread after it has started allocating; a thread
 * threading does not know is never named). With the GIL, inside the
 * guard. */
static void ask_namer(tls_state_t *t)
{
    if (t->tries_epoch != g_epoch) {
        t->tries_epoch = g_epoch;
        t->tries = 0;
    }
    uint32_t k = t->tries++;
    if (k >= 16 && ((k & (k - 1)) != 0 || k > (1u << 20)))
        return;
    if (g_namer(g_namer_ctx, (uint64_t)PyThread_get_thread_ident()))
        t->named_epoch = g_epoch;
}

/* A sampled allocation (or one of an unregistered thread), after
 * forwarding. */
static __attribute__((noinline)) void record_alloc(int d, pyro_memtrack_t *m, tls_state_t *t,
                                                   void *p, size_t size)
{
    if (d == DOM_RAW && !PYRO_THREAD_ATTACHED()) {
        nogil_alloc(m, t, p, size);
        return;
    }
    t->busy++;
    drain(m);
    if (t->st.epoch != g_epoch) {
        uint64_t native = 0;
#ifdef PY_HAVE_THREAD_NATIVE_ID
        native = (uint64_t)PyThread_get_thread_native_id();
#endif
        pyro_memtrack_thread(m, &t->st, (uint64_t)PyThread_get_thread_ident(), native);
        if (t->st.epoch != g_epoch || !pyro_memtrack_should_sample(m, &t->st, size))
            goto out;
    }
    if (t->paused == g_gen) {
        t->st.countdown = (int64_t)g_interval; /* not back here at once */
        goto out;
    }
    /* Never from the raw domain: naming makes Python objects, and a raw
     * allocation may come from inside another hook's critical section
     * (tracemalloc's, which holds its lock while it allocates its tables
     * through the raw domain, and whose 3.13+ reference tracer takes that
     * lock again for each new object: a deadlock). The thread is named at
     * its next mem or object allocation, or at stop. */
    if (d != DOM_RAW && t->named_epoch != g_epoch && g_namer)
        ask_namer(t);
    uint32_t n = capture();
    if (n == NOT_OURS)
        goto out;
    atomic_fetch_add_explicit(&g_recorded, 1, memory_order_relaxed);
    pyro_memtrack_alloc(m, &t->st, (uint64_t)(uintptr_t)p, size, g_frames, n);
    if (n)
        atomic_store_explicit(&g_where, g_frames[0].code, memory_order_relaxed);
out:
    t->busy--;
}

/* A free of a block that may be recorded (or while the queue is not
 * empty), before forwarding. */
static __attribute__((noinline)) void record_free(pyro_memtrack_t *m, void *p)
{
    drain(m);
    pyro_memtrack_freed(m, (uint64_t)(uintptr_t)p);
}

static void on_free(int d, void *p)
{
    pyro_memtrack_t *m = atomic_load_explicit(&g_mt, memory_order_relaxed);
    if (!m || !p)
        return;
    if (d == DOM_RAW && !PYRO_THREAD_ATTACHED()) {
        enqueue((uint64_t)(uintptr_t)p, QFREE, NULL, 0);
        return;
    }
    if (pyro_memtrack_maybe_live(m, (uint64_t)(uintptr_t)p) ||
        atomic_load_explicit(&g_pending, memory_order_relaxed))
        record_free(m, p);
}

/* After forwarding an allocation of `size` bytes at `p` (non-NULL): ask
 * the sampler, record if chosen. The mem and object domains hold the GIL,
 * as stop() does, so `m` stays valid. The raw domain may not: it counts
 * itself in g_raw_users and reads g_mt again, and stop() waits until no
 * such reader is left before the recorder can be freed. */
static inline void note_alloc(int d, pyro_memtrack_t *m, tls_state_t *t, void *p, size_t size)
{
    if (d != DOM_RAW) {
        if (pyro_memtrack_should_sample(m, &t->st, size))
            record_alloc(d, m, t, p, size);
        return;
    }
    atomic_fetch_add_explicit(&g_raw_users, 1, memory_order_seq_cst);
    m = atomic_load_explicit(&g_mt, memory_order_seq_cst);
    if (m && pyro_memtrack_should_sample(m, &t->st, size))
        record_alloc(d, m, t, p, size);
    atomic_fetch_sub_explicit(&g_raw_users, 1, memory_order_release);
}

/* Every malloc the fast path of hook_malloc does not take. */
static __attribute__((noinline)) void *malloc_slow(int d, size_t size)
{
    tls_state_t *t = &tls;
    pyro_memtrack_t *m = atomic_load_explicit(&g_mt, memory_order_relaxed);
    if (!m || t->busy) {
        t->seen |= 1u << d; /* in the chain (probe_chain) */
        return prev[d].malloc(prev[d].ctx, size);
    }
    void *p;
    if (d == DOM_RAW) {
        t->busy = 1; /* an allocator below calling malloc: not counted again (--native) */
        p = prev[d].malloc(prev[d].ctx, size);
        t->busy = 0;
    } else if (size <= small_direct[d]) {
        /* the fast path declined it: a thread not registered yet, a count
         * run out, exact mode (or g_gate not yet set) */
        if (!pyro_memtrack_should_sample(m, &t->st, size))
            return prev[d].malloc(prev[d].ctx, size);
        t->busy = 1;
        p = prev[d].malloc(prev[d].ctx, size);
        t->busy = 0;
        if (p)
            record_alloc(d, m, t, p, size);
        return p;
    } else {
        t->busy = 1;
        p = prev[d].malloc(prev[d].ctx, size);
        t->busy = 0;
    }
    if (p)
        note_alloc(d, m, t, p, size);
    return p;
}

/* A malloc. The mem and object domains' usual call, a small request of a
 * thread registered in a sampling recorder, outside our own work, whose
 * countdown does not run out here, is counted down and forwarded at once
 * (a tail call, no frame of ours on the stack); the rest is malloc_slow's. */
static inline void *hook_malloc(int d, void *ctx, size_t size)
{
    if (d != DOM_RAW) {
        tls_state_t *t = &tls;
        int64_t left = t->st.countdown - (int64_t)size;
        if (gate_of(t) == atomic_load_explicit(&g_gate, memory_order_relaxed) &&
            size <= small_direct[d] && left > 0) {
            t->st.countdown = left;
            return prev[d].malloc(ctx, size); /* ctx: prev[d].ctx (see start) */
        }
    }
    return malloc_slow(d, size);
}

static inline void *hook_calloc(int d, size_t nelem, size_t elsize)
{
    tls_state_t *t = &tls;
    pyro_memtrack_t *m = atomic_load_explicit(&g_mt, memory_order_relaxed);
    if (!m || t->busy)
        return prev[d].calloc(prev[d].ctx, nelem, elsize);
    void *p;
    t->busy = 1;
    p = prev[d].calloc(prev[d].ctx, nelem, elsize);
    t->busy = 0;
    size_t size = nelem * elsize; /* cannot overflow when it succeeded */
    if (p)
        note_alloc(d, m, t, p, size);
    return p;
}

static inline void *hook_realloc(int d, void *old, size_t size)
{
    tls_state_t *t = &tls;
    pyro_memtrack_t *m = atomic_load_explicit(&g_mt, memory_order_relaxed);
    if (!m || t->busy)
        return prev[d].realloc(prev[d].ctx, old, size);
    /* the old block leaves before the call: once it returns, another
     * thread may be given the same address (if the call fails, the old
     * block stays, untracked, as if allocated before tracking) */
    on_free(d, old);
    void *p;
    t->busy = 1;
    p = prev[d].realloc(prev[d].ctx, old, size);
    t->busy = 0;
    if (p)
        note_alloc(d, m, t, p, size);
    return p;
}

/* Every free the fast path of hook_free does not take. The filter's
 * "maybe" for a block never recorded recurs when the program frees the
 * same address again and again (pymalloc hands the block freed last out
 * first): a mem or object free of the address this thread freed last here,
 * with nothing recorded since (and, sampling, nothing queued), is of no
 * live record and goes on at once. */
static __attribute__((noinline)) void free_slow(int d, void *p)
{
    if (d == DOM_RAW) { /* no GIL: no filter, no cache of the last block */
        on_free(d, p);  /* (an allocator below calling a patched free finds it gone already) */
        prev[d].free(prev[d].ctx, p);
        return;
    }
    tls_state_t *t = &tls;
    uint64_t gen = atomic_load_explicit(&g_recorded, memory_order_relaxed);
    if (p == t->freed_addr && gen == t->freed_gen &&
        atomic_load_explicit(&g_gate, memory_order_relaxed) != NO_GATE &&
        !atomic_load_explicit(&g_pending, memory_order_relaxed)) {
        prev[d].free(prev[d].ctx, p);
        return;
    }
    on_free(d, p);
    t->freed_addr = p; /* no live record now (a drain in on_free moved g_recorded) */
    t->freed_gen = gen;
    prev[d].free(prev[d].ctx, p);
}

/* A free. In the mem and object domains (which hold the GIL, as stop()
 * does: the recorder stays valid), a block the filter rules out is
 * forwarded at once (while events are queued, g_head's filter rules out
 * none); the rest goes through on_free. */
static inline void hook_free(int d, void *ctx, void *p)
{
    if (d != DOM_RAW) {
        const pyro_memtrack_head_t *h = atomic_load_explicit(&g_head, memory_order_relaxed);
        if (!pyro_memtrack_head_maybe_live(h, (uint64_t)(uintptr_t)p)) {
            prev[d].free(ctx, p); /* ctx: prev[d].ctx (see start) */
            return;
        }
    }
    free_slow(d, p);
}

#define DEFINE_HOOKS(name, d)                                                                      \
    static void *name##_malloc(void *ctx, size_t size) { return hook_malloc(d, ctx, size); }       \
    static void *name##_calloc(void *ctx, size_t nelem, size_t elsize)                             \
    {                                                                                              \
        (void)ctx;                                                                                 \
        return hook_calloc(d, nelem, elsize);                                                      \
    }                                                                                              \
    static void *name##_realloc(void *ctx, void *p, size_t size)                                   \
    {                                                                                              \
        (void)ctx;                                                                                 \
        return hook_realloc(d, p, size);                                                           \
    }                                                                                              \
    static void name##_free(void *ctx, void *p) { hook_free(d, ctx, p); }

DEFINE_HOOKS(raw, DOM_RAW)
DEFINE_HOOKS(mem, DOM_MEM)
DEFINE_HOOKS(obj, DOM_OBJ)

/* ==== control ==== */

static void after_fork_child(void)
{
    /* the child's hooks pass through: its allocations are not the parent's
     * profile, and the lock may have been held by a thread that is gone */
    atomic_store_explicit(&g_gate, NO_GATE, memory_order_relaxed);
    atomic_store_explicit(&g_head, &pyro_memtrack_idle_head, memory_order_relaxed);
    atomic_store_explicit(&g_mt, NULL, memory_order_relaxed);
    pthread_mutex_init(&qlock, NULL);
    qn = qfn = 0;
    atomic_store_explicit(&g_pending, 0, memory_order_relaxed);
}

/* The domains whose allocations pass through our (idle) malloc hook now,
 * found by allocating one byte in each. With the GIL, before g_mt is set. */
static unsigned probe_chain(void)
{
    tls.seen = 0;
    PyMem_RawFree(PyMem_RawMalloc(1));
    PyMem_Free(PyMem_Malloc(1));
    PyObject_Free(PyObject_Malloc(1));
    return tls.seen;
}

static int ours_everywhere(void)
{
    for (int d = 0; d < NDOM; d++) {
        PyMemAllocatorEx cur;
        PyMem_GetAllocator(domain_of[d], &cur);
        if (cur.malloc != ours[d].malloc)
            return 0;
    }
    return 1;
}

int pyro_memhooks_start(pyro_memtrack_t *m, pyro_codereg_t *reg, uint64_t interval,
                        pyro_memhooks_namer_fn namer, void *ctx)
{
    static int atfork;
    if (atomic_load_explicit(&g_mt, memory_order_relaxed)) {
        PyErr_SetString(PyExc_RuntimeError,
                        "another MemoryTracker is running: stop it first (one at a time)");
        return -1;
    }
    if (!atfork) {
        if (pthread_atfork(NULL, NULL, after_fork_child) != 0) {
            PyErr_NoMemory();
            return -1;
        }
        atfork = 1;
    }
    ours[DOM_RAW] = (PyMemAllocatorEx){NULL, raw_malloc, raw_calloc, raw_realloc, raw_free};
    ours[DOM_MEM] = (PyMemAllocatorEx){NULL, mem_malloc, mem_calloc, mem_realloc, mem_free};
    ours[DOM_OBJ] = (PyMemAllocatorEx){NULL, obj_malloc, obj_calloc, obj_realloc, obj_free};
    g_reg = reg;
    memset(g_frames, 0, sizeof g_frames); /* registered in another registry */
    g_namer = namer;
    g_namer_ctx = ctx;
    g_interval = interval;
    g_epoch = ((const pyro_memtrack_head_t *)(const void *)m)->epoch;
    g_gen++;
    if (!installed || !ours_everywhere()) {
        /* first time; or the program put its own allocator above ours (our
         * hook still runs, under it: keep it, chaining again would loop), or
         * took ours out, restoring what it had found (chain to what is there
         * now) */
        unsigned in_chain = installed ? probe_chain() : 0;
        for (int d = 0; d < NDOM; d++) {
            PyMemAllocatorEx cur;
            PyMem_GetAllocator(domain_of[d], &cur);
            if (cur.malloc == ours[d].malloc || (in_chain & (1u << d)))
                continue; /* ours still runs: keep its prev */
            prev[d] = cur;
            small_direct[d] = d != DOM_RAW && !cur.ctx ? PYMALLOC_SMALL : 0;
            /* our hooks are handed the context of the allocator below, so
             * that the fast paths forward it as it came, without a load
             * (they know their domain without one) */
            ours[d].ctx = cur.ctx;
            PyMem_SetAllocator(domain_of[d], &ours[d]);
        }
        installed = 1;
    }
    atomic_store_explicit(&g_where, 0, memory_order_relaxed);
    /* the head first: once g_mt is set, a thread without the GIL may queue
     * an event and put the any head in its place */
    atomic_store_explicit(&g_head, (const pyro_memtrack_head_t *)(const void *)m,
                          memory_order_relaxed);
    atomic_store_explicit(&g_mt, m, memory_order_release);
    atomic_store_explicit(
        &g_gate,
        ((const pyro_memtrack_head_t *)(const void *)m)->exact ? NO_GATE : gate_make(g_epoch),
        memory_order_relaxed);
    return 0;
}

void pyro_memhooks_stop(void)
{
    pyro_memtrack_t *m = atomic_load_explicit(&g_mt, memory_order_relaxed);
    if (!m)
        return;
    tls.busy++;
    drain(m);
    atomic_store_explicit(&g_gate, NO_GATE, memory_order_relaxed);
    atomic_store_explicit(&g_head, &pyro_memtrack_idle_head, memory_order_relaxed);
    atomic_store_explicit(&g_mt, NULL, memory_order_seq_cst);
    /* a thread without the GIL may still be reading the recorder: its hook
     * is short and waits on nothing this thread holds */
    while (atomic_load_explicit(&g_raw_users, memory_order_acquire))
        sched_yield();
    /* what it queued meanwhile is dropped below */
    if (installed && ours_everywhere()) {
        for (int d = 0; d < NDOM; d++)
            PyMem_SetAllocator(domain_of[d], &prev[d]);
        installed = 0;
    }
    g_root = NULL;
    g_reg = NULL;
    g_namer = NULL;
    g_namer_ctx = NULL;
    pthread_mutex_lock(&qlock);
    qn = qfn = 0;
    atomic_store_explicit(&g_pending, 0, memory_order_relaxed);
    atomic_store_explicit(&g_head, &pyro_memtrack_idle_head, memory_order_relaxed);
    pthread_mutex_unlock(&qlock);
    tls.busy--;
}

int pyro_memhooks_running(void)
{
    return atomic_load_explicit(&g_mt, memory_order_relaxed) != NULL;
}

void pyro_memhooks_set_root(PyObject *code)
{
    g_root = code;
    g_root_thread = PyThread_get_thread_ident();
}

void pyro_memhooks_pause_thread(void) { tls.paused = g_gen; }

void pyro_memhooks_enter(void)
{
    tls.busy++;
    pyro_memtrack_t *m = atomic_load_explicit(&g_mt, memory_order_relaxed);
    if (m)
        drain(m);
}

void pyro_memhooks_leave(void) { tls.busy--; }

uint64_t pyro_memhooks_where(void) { return atomic_load_explicit(&g_where, memory_order_relaxed); }

uint64_t pyro_memhooks_lost(void) { return atomic_load_explicit(&qlost, memory_order_relaxed); }

int pyro_memhooks_native_begin(void)
{
    tls_state_t *t = &tls;
    if (t->busy || !atomic_load_explicit(&g_mt, memory_order_relaxed))
        return 0;
    t->busy++;
    return 1;
}

void pyro_memhooks_native_free(void *p) { on_free(DOM_RAW, p); }

void pyro_memhooks_native_end(void *p, size_t size)
{
    tls_state_t *t = &tls;
    t->busy--;
    pyro_memtrack_t *m = atomic_load_explicit(&g_mt, memory_order_relaxed);
    if (p && m)
        note_alloc(DOM_RAW, m, t, p, size);
}
