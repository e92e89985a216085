/* SPDX-License-Identifier: MIT */
/* tracer: per-thread shadow stacks and calling-context trees. */

#include "record/tracer.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "model/alloc.h"
#include "model/clock.h"
#include "model/error.h"
#include "record/counters.h"

/* ==== data ==== */

struct pyro_tracer {
    uint64_t gen; /* session id (first: struct pyro_tracer_head), 0 when stopped */
    int clock;
    int running;
    int failed;
    pyro_profile_t *catalog;
    pyro_map_t keymap; /* key -> catalog func or PYRO_FUNC_HIDDEN */
    pyro_resolve_fn resolve;
    pyro_namer_fn namer;
    void *resolve_ctx;
    pyro_tthread_t **threads;
    uint32_t nthreads, capthreads;
    pyro_map_t thread_index; /* (ident, native id) -> index */
    int64_t gap_ticks;
    int64_t start_ticks, start_mono;
    int64_t elapsed_ticks, elapsed_mono; /* over finished sessions */
    int nctr;                            /* pyro_tracer_set_counters */
    int ctr_event[PYRO_TRACE_MAX_COUNTERS];
    int ctr_user_only; /* some counter counts user space only */
    uint32_t ctr_misses;
    int ctr_err;
    int sessions; /* sessions started so far */
};

/* The calling thread's cached state; initial-exec keeps it one load away. */
__thread pyro_tls_t pyro_tracer_tls __attribute__((tls_model("initial-exec")));

/* ==== tracer lifecycle ==== */

pyro_tracer_t *pyro_tracer_new(pyro_clock_kind_t clock, pyro_resolve_fn resolve, void *ctx)
{
    pyro_clock_init();
    pyro_tracer_t *tr = pyro_calloc(1, sizeof *tr);
    if (!tr)
        return NULL;
    tr->catalog = pyro_profile_new();
    if (!tr->catalog) {
        pyro_free(tr);
        return NULL;
    }
    tr->clock = clock;
    tr->resolve = resolve;
    tr->resolve_ctx = ctx;
    pyro_map_init(&tr->keymap);
    pyro_map_init(&tr->thread_index);
    tr->gap_ticks = (int64_t)(50000.0 / pyro_clock_ns_per_tick());
    return tr;
}

static void tthread_free(pyro_tthread_t *tt)
{
    for (int k = 0; k < tt->nctr; k++)
        close(tt->ctr_fd[k]);
    pyro_free(tt->cstack);
    pyro_free(tt->cnodes);
    pyro_free(tt->stack);
    pyro_free(tt->nodes);
    pyro_free(tt->slots);
    pyro_free(tt->name);
    pyro_free(tt);
}

void pyro_tracer_free(pyro_tracer_t *tr)
{
    if (!tr)
        return;
    for (uint32_t i = 0; i < tr->nthreads; i++)
        tthread_free(tr->threads[i]);
    pyro_free(tr->threads);
    pyro_map_free(&tr->keymap);
    pyro_map_free(&tr->thread_index);
    pyro_profile_free(tr->catalog);
    pyro_free(tr);
}

pyro_profile_t *pyro_tracer_catalog(pyro_tracer_t *tr) { return tr->catalog; }

void pyro_tracer_set_namer(pyro_tracer_t *tr, pyro_namer_fn namer) { tr->namer = namer; }

int pyro_tracer_hide(pyro_tracer_t *tr, uintptr_t key)
{
    return pyro_map_put(&tr->keymap, key, 0, PYRO_FUNC_HIDDEN);
}

int pyro_tracer_running(const pyro_tracer_t *tr) { return tr->running; }

int pyro_tracer_failed(const pyro_tracer_t *tr) { return tr->failed; }

int64_t pyro_tracer_elapsed_ns(const pyro_tracer_t *tr) { return tr->elapsed_mono; }

int pyro_tracer_start(pyro_tracer_t *tr)
{
    if (tr->running)
        return PYRO_ESTATE;
    tr->gen = pyro_session_gen();
    tr->running = 1;
    tr->sessions++;
    tr->start_mono = pyro_clock_mono_ns();
    tr->start_ticks = pyro_clock_ticks();
    return PYRO_OK; /* each thread's clock state is reset when it attaches */
}

/* ==== per-thread state ==== */

/* The calling thread's counters (tracer's events) into tt, with their
 * arrays; a thread whose counters cannot all be opened has none. */
static int tthread_counters(pyro_tracer_t *tr, pyro_tthread_t *tt)
{
    int k, err = 0, user_only = 0;
    pyro_event_t ev[PYRO_TRACE_MAX_COUNTERS];
    for (k = 0; k < tr->nctr; k++)
        ev[k] = (pyro_event_t)tr->ctr_event[k];
    tt->ctr_grouped = pyro_counter_open_threads(ev, tr->nctr, tt->ctr_fd, &err, &user_only);
    tr->ctr_user_only |= user_only;
    if (tt->ctr_grouped < 0) {
        tr->ctr_misses++;
        if (!tr->ctr_err)
            tr->ctr_err = err;
        return PYRO_OK; /* traced all the same, without counters */
    }
    size_t per = 2 * (size_t)tr->nctr;
    tt->cstack = pyro_calloc(64 * per, sizeof *tt->cstack);
    tt->cnodes = pyro_calloc(128 * per, sizeof *tt->cnodes);
    if (!tt->cstack || !tt->cnodes) {
        for (k = 0; k < tr->nctr; k++)
            close(tt->ctr_fd[k]);
        return PYRO_ENOMEM;
    }
    tt->nctr = tr->nctr;
    return PYRO_OK;
}

/* Give a new thread its sentinel frame and virtual root node. */
static int tthread_init(pyro_tthread_t *tt)
{
    tt->stack = pyro_calloc(64, sizeof *tt->stack);
    tt->nodes = pyro_calloc(128, sizeof *tt->nodes);
    if (!tt->stack || !tt->nodes)
        return PYRO_ENOMEM;
    if (tt->tracer->nctr && tthread_counters(tt->tracer, tt))
        return PYRO_ENOMEM;
    tt->top = tt->stack; /* the sentinel: key 0, node 0 */
    tt->limit = tt->stack + 64;
    tt->capnodes = 128;
    tt->nnodes = 1;
    tt->nodes[0].parent = PYRO_NONE;
    tt->nodes[0].func = PYRO_FUNC_HIDDEN;
    return PYRO_OK;
}

pyro_tthread_t *pyro_tracer_attach(pyro_tracer_t *tr)
{
    if (!tr->running)
        return NULL;
    uint64_t ident, native;
    pyro_session_thread_ids(&ident, &native);
    uint32_t idx;
    pyro_tthread_t *tt;
    if (pyro_map_get(&tr->thread_index, ident, native, &idx)) {
        tt = tr->threads[idx];
    } else {
        tt = pyro_calloc(1, sizeof *tt);
        if (!tt)
            goto fail;
        tt->tracer = tr;
        tt->ident = ident;
        tt->native_id = native;
        if (tthread_init(tt))
            goto fail_tt;
        if (pyro_grow((void **)&tr->threads, &tr->capthreads, tr->nthreads, sizeof *tr->threads))
            goto fail_tt;

        if (pyro_map_put(&tr->thread_index, ident, native, tr->nthreads))
            goto fail_tt;
        tr->threads[tr->nthreads++] = tt;
    }
    tt->cpu_clock = tr->clock == PYRO_CLOCK_CPU;
    tt->last = tt->sync_ticks = pyro_clock_ticks();
    tt->sync_cpu = pyro_clock_thread_cpu_ns();
    tt->off = 0;
    tt->mute = 0;

    pyro_tracer_tls.gen = tr->gen;
    pyro_tracer_tls.tt = tt;
    return tt;
fail_tt:
    tthread_free(tt);
fail:
    tr->failed = 1;
    return NULL;
}

uint32_t pyro_tracer_nthreads(const pyro_tracer_t *tr) { return tr->nthreads; }

pyro_tthread_t *pyro_tracer_thread_at(pyro_tracer_t *tr, uint32_t i)
{
    return i < tr->nthreads ? tr->threads[i] : NULL;
}

uint32_t pyro_tthread_depth(const pyro_tthread_t *tt) { return (uint32_t)(tt->top - tt->stack); }

int pyro_tthread_set_name(pyro_tthread_t *tt, const char *name)
{
    char *copy = pyro_strndup(name, strlen(name));
    if (!copy)
        return PYRO_ENOMEM;
    pyro_free(tt->name);
    tt->name = copy;
    return PYRO_OK;
}

void pyro_tthread_set_paused(pyro_tthread_t *tt, int paused)
{
    if (paused)
        tt->mute |= PYRO_MUTE_PAUSED;
    else
        tt->mute &= ~PYRO_MUTE_PAUSED;
}

int pyro_tthread_has_name(const pyro_tthread_t *tt) { return tt->name != NULL; }

uint64_t pyro_tthread_ident(const pyro_tthread_t *tt) { return tt->ident; }

/* ==== clock ==== */

int64_t pyro_tthread_cpu_now(pyro_tthread_t *tt, int64_t t)
{
    if (t - tt->last > tt->tracer->gap_ticks) {
        int64_t cpu = pyro_clock_thread_cpu_ns();
        if (tt->sync_cpu >= 0) {
            double npt = pyro_clock_ns_per_tick();
            double off_ns = (double)(t - tt->sync_ticks) * npt - (double)(cpu - tt->sync_cpu);
            if (off_ns > 0) {
                int64_t off = (int64_t)(off_ns / npt);
                int64_t gap = t - tt->last;
                tt->off += off < gap ? off : gap;
            }
        }
        tt->sync_ticks = t;
        tt->sync_cpu = cpu;
    }
    tt->last = t;
    return t - tt->off;
}

/* ==== calling-context tree ==== */

static inline uint32_t slot_hash(uint32_t parent, uintptr_t key, uint32_t mask)
{
    uint64_t h =
        ((uint64_t)key >> 4) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)parent * 0xc2b2ae3d27d4eb4fULL;
    return (uint32_t)(h >> 32) & mask;
}

static uint32_t lookup(const pyro_tthread_t *tt, uint32_t parent, uintptr_t key)
{
    if (!tt->nslots)
        return PYRO_NONE;
    uint32_t mask = tt->nslots - 1;
    uint32_t i = slot_hash(parent, key, mask);
    while (tt->slots[i]) {
        const pyro_tnode_t *n = &tt->nodes[tt->slots[i] - 1];
        if (n->key == key && n->parent == parent)
            return tt->slots[i] - 1;
        i = (i + 1) & mask;
    }
    return PYRO_NONE;
}

static int rehash(pyro_tthread_t *tt, uint32_t nslots)
{
    uint32_t *slots = pyro_calloc(nslots, sizeof *slots);
    if (!slots)
        return PYRO_ENOMEM;
    uint32_t mask = nslots - 1;
    for (uint32_t n = 0; n < tt->nnodes; n++) {
        uint32_t i = slot_hash(tt->nodes[n].parent, tt->nodes[n].key, mask);
        while (slots[i])
            i = (i + 1) & mask;
        slots[i] = n + 1;
    }
    pyro_free(tt->slots);
    tt->slots = slots;
    tt->nslots = nslots;
    return PYRO_OK;
}

/* Create the node (parent, key); PYRO_NONE if hidden or on failure. */
static uint32_t create(pyro_tthread_t *tt, uint32_t parent, uintptr_t key, void *obj)
{
    pyro_tracer_t *tr = tt->tracer;
    uint32_t func;
    if (!pyro_map_get(&tr->keymap, key, 0, &func)) {
        if (tr->resolve(tr->resolve_ctx, tt, key, obj, &func) != PYRO_OK)
            goto fail;
        if (pyro_map_put(&tr->keymap, key, 0, func))
            goto fail;
    }
    if (func == PYRO_FUNC_HIDDEN)
        return PYRO_NONE;
    if (!tt->name && tr->namer)
        tr->namer(tr->resolve_ctx, tt);
    if (tt->nnodes >= UINT32_MAX - 2)

        goto fail;
    if ((tt->nnodes + 1) * 2 > tt->nslots && rehash(tt, tt->nslots ? tt->nslots * 2 : 256))
        goto fail;
    if (tt->nnodes == tt->capnodes) {
        uint32_t cap = tt->capnodes * 2;
        if (tt->nctr) { /* the counters' per-node array first: nodes stay as they are if it fails */
            size_t per = 2 * (size_t)tt->nctr;
            int64_t *c = pyro_reallocarray(tt->cnodes, (size_t)cap * per, sizeof *c);
            if (!c)
                goto fail;
            memset(c + (size_t)tt->capnodes * per, 0,
                   (size_t)(cap - tt->capnodes) * per * sizeof *c);
            tt->cnodes = c;
        }
        pyro_tnode_t *n = pyro_reallocarray(tt->nodes, cap, sizeof *n);
        if (!n)
            goto fail;
        tt->nodes = n;
        tt->capnodes = cap;
    }
    uint32_t id = tt->nnodes++;
    pyro_tnode_t *n = &tt->nodes[id];
    memset(n, 0, sizeof *n);
    n->key = key;
    n->parent = parent;
    n->func = func;
    uint32_t mask = tt->nslots - 1;
    uint32_t i = slot_hash(parent, key, mask);
    while (tt->slots[i])
        i = (i + 1) & mask;
    tt->slots[i] = id + 1;
    return id;
fail:
    tr->failed = 1;
    return PYRO_NONE;
}

/* ==== events: slow paths ==== */

uint32_t pyro_tthread_miss(pyro_tthread_t *tt, uintptr_t key, void *obj)
{
    uint32_t parent = tt->top->node;
    uint32_t child = lookup(tt, parent, key);
    if (child == PYRO_NONE) {
        /* The resolve and namer callbacks may run the interpreter, whose
         * events come back here on this thread: ignore them until done. */
        tt->mute |= PYRO_MUTE_BUSY;
        child = create(tt, parent, key, obj);
        tt->mute &= ~PYRO_MUTE_BUSY;
        if (child == PYRO_NONE)
            return PYRO_NONE;
    }
    pyro_tnode_t *p = &tt->nodes[parent];
    p->hint = child;
    p->hint_key = key;
    return child;
}

int pyro_tthread_grow(pyro_tthread_t *tt)
{
    size_t depth = (size_t)(tt->top - tt->stack);
    size_t cap = (size_t)(tt->limit - tt->stack) * 2;
    if (tt->nctr) {
        int64_t *c = pyro_reallocarray(tt->cstack, cap * 2 * (size_t)tt->nctr, sizeof *c);
        if (!c) {
            tt->tracer->failed = 1;
            return PYRO_ENOMEM;
        }
        tt->cstack = c;
    }
    pyro_tframe_t *s = pyro_reallocarray(tt->stack, cap, sizeof *s);
    if (!s) {
        tt->tracer->failed = 1;
        return PYRO_ENOMEM;
    }
    tt->stack = s;
    tt->top = s + depth;
    tt->limit = s + cap;
    return PYRO_OK;
}

static void pop(pyro_tthread_t *tt, int64_t t)
{
    pyro_tframe_t *f = tt->top;
    pyro_tnode_t *n = &tt->nodes[f->node];
    int64_t dt = t - f->t0;
    n->calls++;
    n->total += dt;
    n->self += dt - f->child;
    f[-1].child += dt;
    if (tt->nctr)
        pyro_tthread_ctr_leave(tt, f);
    tt->top = f - 1;
}

/* ==== counters ==== */

int pyro_tracer_set_counters(pyro_tracer_t *tr, const int *events, int n)
{
    if (tr->running || tr->sessions)
        return PYRO_ESTATE;
    if (n < 0 || n > PYRO_TRACE_MAX_COUNTERS)
        return PYRO_EINVAL;
    for (int k = 0; k < n; k++) {
        if (!pyro_event_info((pyro_event_t)events[k]))
            return PYRO_EINVAL;
        for (int j = 0; j < k; j++)
            if (events[j] == events[k])
                return PYRO_EINVAL;
    }
    for (int k = 0; k < n; k++)
        tr->ctr_event[k] = events[k];
    tr->nctr = n;
    return PYRO_OK;
}

uint32_t pyro_tracer_counter_misses(const pyro_tracer_t *tr, int *err)
{
    *err = tr->ctr_err;
    return tr->ctr_misses;
}

void pyro_tthread_ctr_enter(pyro_tthread_t *tt)
{
    size_t per = 2 * (size_t)tt->nctr;
    int64_t *c = tt->cstack + (size_t)(tt->top - tt->stack) * per;
    int64_t now[PYRO_TRACE_MAX_COUNTERS];
    pyro_counter_read_all(tt->ctr_fd, tt->nctr, tt->ctr_grouped, now);
    for (int k = 0; k < tt->nctr; k++) {
        c[2 * k] = now[k];
        c[2 * k + 1] = 0;
    }
}

void pyro_tthread_ctr_leave(pyro_tthread_t *tt, const pyro_tframe_t *f)
{
    size_t per = 2 * (size_t)tt->nctr;
    int64_t *c = tt->cstack + (size_t)(f - tt->stack) * per;
    int64_t *n = tt->cnodes + (size_t)f->node * per;
    int64_t now[PYRO_TRACE_MAX_COUNTERS];
    pyro_counter_read_all(tt->ctr_fd, tt->nctr, tt->ctr_grouped, now);
    for (int k = 0; k < tt->nctr; k++) {
        int64_t d = now[k] >= 0 && c[2 * k] >= 0 && now[k] > c[2 * k] ? now[k] - c[2 * k] : 0;
        int64_t own = d - c[2 * k + 1];
        n[2 * k] += own > 0 ? own : 0;
        n[2 * k + 1] += d;
        c[2 * k + 1 - (ptrdiff_t)per] += d; /* the caller's callees (the sentinel's for a root) */
    }
}

void pyro_tthread_leave_slow(pyro_tthread_t *tt, uintptr_t key)
{
    if (tt->mute || tt->top == tt->stack)
        return;
    /* Not the innermost call: a hidden key, a call that began before tracing,
     * or frames whose returns we did not see. Close up to the match, if any. */
    uint32_t func;
    if (pyro_map_get(&tt->tracer->keymap, key, 0, &func) && func == PYRO_FUNC_HIDDEN)
        return;
    pyro_tframe_t *f = tt->top;
    while (f > tt->stack && f->key != key)
        f--;
    if (f == tt->stack)
        return;
    int64_t t = pyro_tthread_now(tt);
    while (tt->top >= f)
        pop(tt, t);
}

int pyro_tracer_stop(pyro_tracer_t *tr)
{
    if (!tr->running)
        return PYRO_ESTATE;
    int64_t end_ticks = pyro_clock_ticks();
    for (uint32_t i = 0; i < tr->nthreads; i++) {
        pyro_tthread_t *tt = tr->threads[i];
        int64_t t;
        if (tr->clock == PYRO_CLOCK_WALL)
            t = end_ticks;
        else if (pyro_tracer_tls.gen == tr->gen && pyro_tracer_tls.tt == tt)
            t = pyro_tthread_cpu_now(tt, pyro_clock_ticks());
        else
            t = tt->last - tt->off; /* other threads: their last event */
        while (tt->top > tt->stack)
            pop(tt, t);
    }
    tr->elapsed_ticks += end_ticks - tr->start_ticks;
    tr->elapsed_mono += pyro_clock_mono_ns() - tr->start_mono;
    tr->running = 0;
    tr->gen = 0;
    return PYRO_OK;
}

/* ==== export ==== */

static int copy_str(pyro_profile_t *dst, const pyro_profile_t *src, uint32_t id, uint32_t *out)
{
    size_t len = 0;
    const char *s = pyro_strtab_get(src->strs, id, &len);
    if (!s)
        return PYRO_EINVAL;
    return pyro_profile_str(dst, s, len, out);
}

/* The counters' columns ("EVENT" own, "EVENT_total" with callees; their
 * indexes into ccol/ctot) and metadata ("counters": the names, comma
 * separated; "counters_user_only"; "counters_threads_missed" and "..._why"
 * when a thread had none). */
static int export_counters(const pyro_tracer_t *tr, pyro_profile_t *p, int *ccol, int *ctot)
{
    char names[PYRO_TRACE_MAX_COUNTERS * 24] = "", col[40];
    int rc = PYRO_OK;
    for (int k = 0; k < tr->nctr && !rc; k++) {
        const char *name = pyro_event_info((pyro_event_t)tr->ctr_event[k])->name;
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", k ? "," : "", name);
        rc = pyro_profile_add_column(p, name, strlen(name), PYRO_UNIT_EVENTS, PYRO_AGG_OWN,
                                     &ccol[k]);
        snprintf(col, sizeof col, "%s_total", name);
        if (!rc)
            rc = pyro_profile_add_column(p, col, strlen(col), PYRO_UNIT_EVENTS, PYRO_AGG_INCL,
                                         &ctot[k]);
    }
    if (rc || !tr->nctr)
        return rc;
    rc = pyro_profile_set_meta(p, "counters", names);
    if (!rc)
        rc = pyro_profile_set_meta(p, "counters_user_only", tr->ctr_user_only ? "1" : "0");
    if (!rc && tr->ctr_misses) {
        char why[200];
        snprintf(col, sizeof col, "%u", tr->ctr_misses);
        rc = pyro_profile_set_meta(p, "counters_threads_missed", col);
        if (!rc)
            rc = pyro_profile_set_meta(
                p, "counters_threads_missed_why",
                pyro_counters_reason(tr->ctr_err, 0, pyro_counters_paranoid(), why, sizeof why));
    }
    return rc;
}

int pyro_tracer_export(pyro_tracer_t *tr, pyro_profile_t **out)
{
    if (tr->running)
        return PYRO_ESTATE;
    int rc = PYRO_ENOMEM;
    uint32_t *fmap = NULL, *nmap = NULL;
    pyro_profile_t *p = pyro_profile_new();
    if (!p)
        goto cleanup;
    if ((rc = pyro_profile_set_mode(p, PYRO_MODE_TRACE)))
        goto cleanup;
    int ccol[PYRO_TRACE_MAX_COUNTERS], ctot[PYRO_TRACE_MAX_COUNTERS];
    if ((rc = export_counters(tr, p, ccol, ctot)))
        goto cleanup;
    rc = PYRO_ENOMEM;
    const int calls = p->col[PYRO_M_CALLS], self = p->col[PYRO_M_SELF_NS],
              total = p->col[PYRO_M_TOTAL_NS];
    const pyro_profile_t *cat = tr->catalog;
    fmap = pyro_calloc(cat->nfuncs ? cat->nfuncs : 1, sizeof *fmap);
    if (!fmap)
        goto cleanup;
    for (uint32_t f = 0; f < cat->nfuncs; f++) {
        pyro_func_t nf = cat->funcs[f];
        if ((rc = copy_str(p, cat, nf.name, &nf.name)) ||
            (rc = copy_str(p, cat, nf.qualname, &nf.qualname)) ||
            (rc = copy_str(p, cat, nf.file, &nf.file)) ||
            (rc = pyro_profile_func(p, &nf, &fmap[f])))
            goto cleanup;
    }
    /* ticks -> ns: prefer the rate measured over the sessions themselves */
    double npt = pyro_session_ns_per_tick(tr->elapsed_mono, tr->elapsed_ticks);
    for (uint32_t i = 0; i < tr->nthreads; i++) {
        pyro_tthread_t *tt = tr->threads[i];
        char fallback[48];
        const char *name = tt->name;
        if (!name) {
            snprintf(fallback, sizeof fallback, "Thread-%llu", (unsigned long long)tt->native_id);
            name = fallback;
        }
        pyro_thread_t th = {.ident = tt->ident, .native_id = tt->native_id};
        uint32_t tid;
        if ((rc = pyro_profile_str(p, name, strlen(name), &th.name)) ||
            (rc = pyro_profile_add_thread(p, &th, &tid)))
            goto cleanup;
        pyro_free(nmap);
        nmap = pyro_calloc(tt->nnodes ? tt->nnodes : 1, sizeof *nmap);
        if (!nmap) {
            rc = PYRO_ENOMEM;
            goto cleanup;
        }
        nmap[0] = PYRO_NONE; /* the virtual root */
        for (uint32_t n = 1; n < tt->nnodes; n++) {
            const pyro_tnode_t *src = &tt->nodes[n];
            uint32_t parent = nmap[src->parent];
            uint32_t id;
            if ((rc = pyro_profile_child(p, parent, tid, fmap[src->func], 0, &id)))
                goto cleanup;
            nmap[n] = id;
            int64_t *dst = pyro_node_vals(p, id);
            dst[calls] += (int64_t)src->calls;
            dst[self] += (int64_t)((double)src->self * npt);
            dst[total] += (int64_t)((double)src->total * npt);
            for (int k = 0; k < tt->nctr; k++) {
                dst[ccol[k]] += tt->cnodes[(size_t)n * 2 * (size_t)tt->nctr + 2 * (size_t)k];
                dst[ctot[k]] += tt->cnodes[(size_t)n * 2 * (size_t)tt->nctr + 2 * (size_t)k + 1];
            }
        }
    }
    *out = p;
    p = NULL;
    rc = PYRO_OK;
cleanup:
    pyro_free(fmap);
    pyro_free(nmap);
    pyro_profile_free(p);
    return rc;
}
