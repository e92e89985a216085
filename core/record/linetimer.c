/* SPDX-License-Identifier: MIT */
/* linetimer: per-thread stacks of chosen frames and per-line counters. */

#include "record/linetimer.h"

#include <stdio.h>
#include <string.h>

#include "model/alloc.h"
#include "model/clock.h"
#include "model/error.h"

/* ==== data ==== */

#define CACHE_SIZE 64 /* entries of the timer's cache of chosen keys */

/* A chosen code. */
typedef struct lcode {
    uintptr_t key;
    uint32_t func;  /* catalog function */
    uint32_t first; /* first line with code */
    uint32_t n;     /* last - first + 1 */
    uint32_t pad;
    uint8_t *has; /* n bytes: 1 where a line has code */
} lcode_t;

struct pyro_linetimer {
    uint64_t gen; /* session id (first: struct pyro_linetimer_head), 0 when stopped */
    int running;
    int failed;
    pyro_profile_t *catalog;
    pyro_map_t keymap; /* key -> code id, PYRO_LINES_NO or PYRO_LINES_HIDDEN */
    lcode_t *codes;
    uint32_t ncodes, capcodes;
    pyro_lthread_t **threads;
    uint32_t nthreads, capthreads;
    pyro_map_t thread_index; /* (ident, native id) -> index */
    pyro_lnamer_fn namer;
    void *namer_ctx;
    /* chosen keys seen last, direct-mapped: a start finds its code without
     * hashing (a chosen key stays chosen, so an entry never goes stale) */
    struct {
        uintptr_t key;
        uint32_t id;
    } cache[CACHE_SIZE];
    int64_t start_ticks, start_mono;
    int64_t elapsed_ticks, elapsed_mono; /* over finished sessions */
};

/* The span of lines one code may have (a bound on its counters' memory). */
#define MAX_SPAN (1u << 20)

__thread pyro_tls_t pyro_linetimer_tls __attribute__((tls_model("initial-exec")));

/* ==== timer lifecycle ==== */

pyro_linetimer_t *pyro_linetimer_new(void)
{
    pyro_clock_init();
    pyro_linetimer_t *lt = pyro_calloc(1, sizeof *lt);
    if (!lt)
        return NULL;
    lt->catalog = pyro_profile_new();
    if (!lt->catalog) {
        pyro_free(lt);
        return NULL;
    }
    pyro_map_init(&lt->keymap);
    pyro_map_init(&lt->thread_index);
    return lt;
}

static void lthread_free(pyro_lthread_t *tt)
{
    for (uint32_t i = 0; i < tt->capcodes; i++)
        pyro_free(tt->codes[i].lines);
    pyro_free(tt->codes);
    pyro_free(tt->stack);
    pyro_free(tt->name);
    pyro_free(tt);
}

void pyro_linetimer_free(pyro_linetimer_t *lt)
{
    if (!lt)
        return;
    for (uint32_t i = 0; i < lt->nthreads; i++)
        lthread_free(lt->threads[i]);
    pyro_free(lt->threads);
    for (uint32_t i = 0; i < lt->ncodes; i++)
        pyro_free(lt->codes[i].has);
    pyro_free(lt->codes);
    pyro_map_free(&lt->keymap);
    pyro_map_free(&lt->thread_index);
    pyro_profile_free(lt->catalog);
    pyro_free(lt);
}

pyro_profile_t *pyro_linetimer_catalog(pyro_linetimer_t *lt) { return lt->catalog; }

void pyro_linetimer_set_namer(pyro_linetimer_t *lt, pyro_lnamer_fn namer, void *ctx)
{
    lt->namer = namer;
    lt->namer_ctx = ctx;
}

int pyro_linetimer_running(const pyro_linetimer_t *lt) { return lt->running; }

int pyro_linetimer_failed(const pyro_linetimer_t *lt) { return lt->failed; }

int64_t pyro_linetimer_elapsed_ns(const pyro_linetimer_t *lt) { return lt->elapsed_mono; }

uint32_t pyro_linetimer_ncodes(const pyro_linetimer_t *lt) { return lt->ncodes; }

uintptr_t pyro_linetimer_key(const pyro_linetimer_t *lt, uint32_t id)
{
    return id < lt->ncodes ? lt->codes[id].key : 0;
}

uint32_t pyro_linetimer_lookup(const pyro_linetimer_t *lt, uintptr_t key)
{
    uint32_t v;
    return pyro_map_get(&lt->keymap, key, 0, &v) ? v : PYRO_LINES_UNKNOWN;
}

/* ==== choosing code ==== */

int pyro_linetimer_add(pyro_linetimer_t *lt, uintptr_t key, uint32_t func, const uint32_t *lines,
                       uint32_t nlines, uint32_t *id)
{
    int rc = PYRO_EINVAL;
    uint8_t *has = NULL;
    uint32_t prior = pyro_linetimer_lookup(lt, key);
    if (prior < lt->ncodes) {
        *id = prior;
        return PYRO_ESTATE;
    }
    if (prior == PYRO_LINES_HIDDEN)
        return PYRO_ESTATE;
    if (!key || func >= lt->catalog->nfuncs)
        goto cleanup;
    uint32_t lo = UINT32_MAX, hi = 0;
    for (uint32_t i = 0; i < nlines; i++) {
        if (!lines[i])
            continue;
        lo = lines[i] < lo ? lines[i] : lo;
        hi = lines[i] > hi ? lines[i] : hi;
    }
    if (lo > hi || hi - lo >= MAX_SPAN)
        goto cleanup;
    rc = PYRO_ENOMEM;
    uint32_t n = hi - lo + 1;
    has = pyro_calloc(n, 1);
    if (!has)
        goto cleanup;
    for (uint32_t i = 0; i < nlines; i++)
        if (lines[i])
            has[lines[i] - lo] = 1;
    if ((rc = pyro_grow((void **)&lt->codes, &lt->capcodes, lt->ncodes, sizeof *lt->codes)))
        goto cleanup;
    if ((rc = pyro_map_put(&lt->keymap, key, 0, lt->ncodes)))
        goto cleanup;
    lt->codes[lt->ncodes] = (lcode_t){.key = key, .func = func, .first = lo, .n = n, .has = has};
    has = NULL;
    *id = lt->ncodes++;
    rc = PYRO_OK;
cleanup:
    pyro_free(has);
    return rc;
}

int pyro_linetimer_reject(pyro_linetimer_t *lt, uintptr_t key)
{
    if (pyro_linetimer_lookup(lt, key) != PYRO_LINES_UNKNOWN)
        return PYRO_OK;
    return pyro_map_put(&lt->keymap, key, 0, PYRO_LINES_NO);
}

int pyro_linetimer_hide(pyro_linetimer_t *lt, uintptr_t key)
{
    if (pyro_linetimer_lookup(lt, key) < lt->ncodes)
        return PYRO_ESTATE;
    return pyro_map_put(&lt->keymap, key, 0, PYRO_LINES_HIDDEN);
}

/* ==== sessions and threads ==== */

int pyro_linetimer_start(pyro_linetimer_t *lt)
{
    if (lt->running)
        return PYRO_ESTATE;
    lt->gen = pyro_session_gen();
    lt->running = 1;
    lt->start_mono = pyro_clock_mono_ns();
    lt->start_ticks = pyro_clock_ticks();
    int failed = lt->failed;
    if (!pyro_linetimer_attach(lt)) {
        lt->failed = failed; /* not started: nothing was dropped */
        lt->running = 0;
        lt->gen = 0;
        return PYRO_ENOMEM;
    }
    return PYRO_OK;
}

pyro_lthread_t *pyro_linetimer_attach(pyro_linetimer_t *lt)
{
    if (!lt->running)
        return NULL;
    uint64_t ident, native;
    pyro_session_thread_ids(&ident, &native);
    uint32_t idx;
    pyro_lthread_t *tt;
    if (pyro_map_get(&lt->thread_index, ident, native, &idx)) {
        tt = lt->threads[idx];
    } else {
        tt = pyro_calloc(1, sizeof *tt);
        if (!tt)
            goto fail;
        tt->timer = lt;
        tt->ident = ident;
        tt->native_id = native;
        tt->stack = pyro_calloc(32, sizeof *tt->stack);
        if (!tt->stack)
            goto fail_tt;
        tt->top = tt->stack; /* the sentinel: key 0 */
        tt->limit = tt->stack + 32;
        if (pyro_grow((void **)&lt->threads, &lt->capthreads, lt->nthreads, sizeof *lt->threads))
            goto fail_tt;
        if (pyro_map_put(&lt->thread_index, ident, native, lt->nthreads))
            goto fail_tt;
        lt->threads[lt->nthreads++] = tt;
    }
    tt->mute = 0;
    pyro_linetimer_tls.gen = lt->gen;
    pyro_linetimer_tls.tt = tt;
    return tt;
fail_tt:
    lthread_free(tt);
fail:
    lt->failed = 1;
    return NULL;
}

uint32_t pyro_linetimer_nthreads(const pyro_linetimer_t *lt) { return lt->nthreads; }

pyro_lthread_t *pyro_linetimer_thread_at(pyro_linetimer_t *lt, uint32_t i)
{
    return i < lt->nthreads ? lt->threads[i] : NULL;
}

uint32_t pyro_lthread_depth(const pyro_lthread_t *tt) { return (uint32_t)(tt->top - tt->stack); }

void pyro_lthread_set_paused(pyro_lthread_t *tt, int paused)
{
    if (paused && !tt->mute)
        tt->paused_at = pyro_clock_ticks();
    tt->mute = paused != 0;
}

int pyro_lthread_set_name(pyro_lthread_t *tt, const char *name)
{
    char *copy = pyro_strndup(name, strlen(name));
    if (!copy)
        return PYRO_ENOMEM;
    pyro_free(tt->name);
    tt->name = copy;
    return PYRO_OK;
}

int pyro_lthread_has_name(const pyro_lthread_t *tt) { return tt->name != NULL; }

uint64_t pyro_lthread_ident(const pyro_lthread_t *tt) { return tt->ident; }

/* ==== frames ==== */

/* Close the innermost frame at tick `t`: charge its open line, and resume
 * the frame of the same code it paused, if any. */
static void pop(pyro_lthread_t *tt, int64_t t)
{
    pyro_lframe_t *f = tt->top;
    if (!f->paused)
        f->lines[f->cur].ticks += t - f->last;
    tt->codes[f->id].active = f->prev;
    if (f->prev != PYRO_LINES_NOFRAME) {
        pyro_lframe_t *outer = &tt->stack[f->prev];
        outer->paused = 0;
        outer->last = t;
    }
    tt->top = f - 1;
}

/* Push a frame of chosen code `id` at tick `t`; 0, or -1 when out of memory
 * (the event is dropped). */
static int push(pyro_lthread_t *tt, uint32_t id, int start, int64_t t)
{
    pyro_linetimer_t *lt = tt->timer;
    const lcode_t *c = &lt->codes[id];
    if (id >= tt->capcodes) {
        uint32_t cap = tt->capcodes ? tt->capcodes : 8;
        while (cap <= id)
            cap *= 2;
        pyro_lcode_state_t *s = pyro_reallocarray(tt->codes, cap, sizeof *s);
        if (!s)
            goto fail;
        for (uint32_t i = tt->capcodes; i < cap; i++)
            s[i] = (pyro_lcode_state_t){NULL, 0, PYRO_LINES_NOFRAME, 0};
        tt->codes = s;
        tt->capcodes = cap;
    }
    pyro_lcode_state_t *st = &tt->codes[id];
    if (!st->lines) {
        if (!(st->lines = pyro_calloc((size_t)c->n + 1, sizeof *st->lines)))
            goto fail;
        if (!tt->name && lt->namer)
            lt->namer(lt->namer_ctx, tt);
    }
    if (tt->top + 1 == tt->limit) {
        size_t depth = (size_t)(tt->top - tt->stack);
        size_t cap = (size_t)(tt->limit - tt->stack) * 2;
        pyro_lframe_t *s = pyro_reallocarray(tt->stack, cap, sizeof *s);
        if (!s)
            goto fail;
        tt->stack = s;
        tt->top = s + depth;
        tt->limit = s + cap;
    }
    if (st->active != PYRO_LINES_NOFRAME) { /* recursion: pause the outer frame */
        pyro_lframe_t *outer = &tt->stack[st->active];
        if (!outer->paused)
            outer->lines[outer->cur].ticks += t - outer->last;
        outer->paused = 1;
    }
    if (start)
        st->calls++;
    pyro_lframe_t *f = tt->top + 1;
    *f = (pyro_lframe_t){.key = c->key,
                         .lines = st->lines,
                         .first = c->first,
                         .n = c->n,
                         .cur = c->n,
                         .id = id,
                         .prev = st->active,
                         .paused = 0,
                         .last = t};
    st->active = (uint32_t)(f - tt->stack);
    tt->top = f;
    return 0;
fail:
    lt->failed = 1;
    return -1;
}

void pyro_lthread_enter(pyro_lthread_t *tt, uintptr_t key, int start)
{
    if (tt->mute)
        return;
    pyro_linetimer_t *lt = tt->timer;
    uint32_t slot = (uint32_t)(key >> 6) & (CACHE_SIZE - 1), id;
    if (lt->cache[slot].key == key) {
        id = lt->cache[slot].id;
    } else {
        id = pyro_linetimer_lookup(lt, key);
        if (id >= lt->ncodes)
            return;
        lt->cache[slot].key = key;
        lt->cache[slot].id = id;
    }
    push(tt, id, start, pyro_clock_ticks());
}

/* The topmost open frame of `key`, or NULL. */
static pyro_lframe_t *find(pyro_lthread_t *tt, uintptr_t key)
{
    for (pyro_lframe_t *f = tt->top; f > tt->stack; f--)
        if (f->key == key)
            return f;
    return NULL;
}

int pyro_lthread_line_slow(pyro_lthread_t *tt, uintptr_t key, uint32_t line)
{
    if (tt->mute)
        return 0;
    uint32_t id = pyro_linetimer_lookup(tt->timer, key);
    if (id >= tt->timer->ncodes)
        return 1;
    int64_t t = pyro_clock_ticks();
    pyro_lframe_t *f = find(tt, key);
    if (f) { /* frames above it ended without our seeing it: close them */
        while (tt->top > f)
            pop(tt, t);
    } else if (push(tt, id, 0, t)) { /* a frame that began before it was timed */
        return 0;
    }
    return pyro_lthread_line(tt, key, line);
}

void pyro_lthread_leave_slow(pyro_lthread_t *tt, uintptr_t key)
{
    if (tt->mute || tt->top == tt->stack)
        return;
    if (tt->top->key != key) {
        /* Not the innermost chosen frame: most often a frame of other code
         * (hooks that see every frame); else frames whose end we missed. */
        if (pyro_linetimer_lookup(tt->timer, key) >= tt->timer->ncodes)
            return;
        pyro_lframe_t *f = find(tt, key);
        if (!f)
            return;
        int64_t t = pyro_clock_ticks();
        while (tt->top > f)
            pop(tt, t);
    }
    pop(tt, pyro_clock_ticks());
}

int pyro_linetimer_stop(pyro_linetimer_t *lt)
{
    if (!lt->running)
        return PYRO_ESTATE;
    int64_t end_ticks = pyro_clock_ticks();
    for (uint32_t i = 0; i < lt->nthreads; i++) {
        pyro_lthread_t *tt = lt->threads[i];
        int64_t t = tt->mute ? tt->paused_at : end_ticks;
        while (tt->top > tt->stack)
            pop(tt, t);
        tt->mute = 0;
    }
    lt->elapsed_ticks += end_ticks - lt->start_ticks;
    lt->elapsed_mono += pyro_clock_mono_ns() - lt->start_mono;
    lt->running = 0;
    lt->gen = 0;
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

/* Add code `c`'s root and line nodes under thread `tid` of `p`, from the
 * counters `lines` (NULL: never run) and `calls`. */
static int export_code(pyro_profile_t *p, uint32_t tid, uint32_t func, const lcode_t *c,
                       const pyro_lline_t *lines, uint64_t calls, double npt)
{
    const int chits = p->col[PYRO_M_HITS], ctotal = p->col[PYRO_M_TOTAL_NS],
              ccalls = p->col[PYRO_M_CALLS];
    uint32_t root, node;
    int rc = pyro_profile_child(p, PYRO_NONE, tid, func, 0, &root);
    if (rc)
        return rc;
    int64_t sum = 0;
    for (uint32_t i = 0; i < c->n; i++) {
        uint64_t hits = lines ? lines[i].hits : 0;
        int64_t ticks = lines ? lines[i].ticks : 0;
        if (!c->has[i] && !hits && !ticks)
            continue;
        if ((rc = pyro_profile_child(p, root, tid, func, c->first + i, &node)))
            return rc;
        int64_t ns = ticks > 0 ? (int64_t)((double)ticks * npt + 0.5) : 0;
        pyro_node_add(p, node, chits, (int64_t)hits);
        pyro_node_add(p, node, ctotal, ns);
        sum += ns;
    }
    pyro_node_add(p, root, ccalls, (int64_t)calls);
    pyro_node_add(p, root, ctotal, sum);
    return PYRO_OK;
}

int pyro_linetimer_export(pyro_linetimer_t *lt, pyro_profile_t **out)
{
    if (lt->running)
        return PYRO_ESTATE;
    int rc = PYRO_ENOMEM;
    uint32_t *fmap = NULL;
    uint8_t *ran = NULL;
    pyro_profile_t *p = pyro_profile_new();
    if (!p)
        goto cleanup;
    if ((rc = pyro_profile_set_mode(p, PYRO_MODE_LINES)))
        goto cleanup;
    rc = PYRO_ENOMEM;
    const pyro_profile_t *cat = lt->catalog;
    fmap = pyro_calloc(cat->nfuncs ? cat->nfuncs : 1, sizeof *fmap);
    ran = pyro_calloc(lt->ncodes ? lt->ncodes : 1, 1);
    if (!fmap || !ran)
        goto cleanup;
    for (uint32_t f = 0; f < cat->nfuncs; f++) {
        pyro_func_t nf = cat->funcs[f];
        if ((rc = copy_str(p, cat, nf.name, &nf.name)) ||
            (rc = copy_str(p, cat, nf.qualname, &nf.qualname)) ||
            (rc = copy_str(p, cat, nf.file, &nf.file)) ||
            (rc = pyro_profile_func(p, &nf, &fmap[f])))
            goto cleanup;
    }
    double npt = pyro_session_ns_per_tick(lt->elapsed_mono, lt->elapsed_ticks);
    for (uint32_t i = 0; i < lt->nthreads; i++) {
        pyro_lthread_t *tt = lt->threads[i];
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
        for (uint32_t id = 0; id < lt->ncodes && id < tt->capcodes; id++) {
            const pyro_lcode_state_t *st = &tt->codes[id];
            if (!st->lines)
                continue;
            ran[id] = 1;
            const lcode_t *c = &lt->codes[id];
            if ((rc = export_code(p, tid, fmap[c->func], c, st->lines, st->calls, npt)))
                goto cleanup;
        }
    }
    for (uint32_t id = 0; id < lt->ncodes; id++) {
        if (ran[id])
            continue;
        const lcode_t *c = &lt->codes[id];
        if (p->nthreads == 0) { /* never started: a thread to list it under */
            pyro_thread_t th = {0};
            uint32_t tid;
            if ((rc = pyro_profile_str(p, "MainThread", 10, &th.name)) ||
                (rc = pyro_profile_add_thread(p, &th, &tid)))
                goto cleanup;
        }
        if ((rc = export_code(p, 0, fmap[c->func], c, NULL, 0, npt)))
            goto cleanup;
    }
    *out = p;
    p = NULL;
    rc = PYRO_OK;
cleanup:
    pyro_free(fmap);
    pyro_free(ran);
    pyro_profile_free(p);
    return rc;
}
