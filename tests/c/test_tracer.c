/* SPDX-License-Identifier: MIT */
/* test_tracer: synthetic event streams through the tracing engine. */
#include <stdint.h>
#include <time.h>

#include "model/error.h"
#include "model/profile.h"
#include "model/stats.h"
#include "test.h"
#include "record/counters.h"
#include "record/tracer.h"

/* Keys are small integers; the resolver names them "f<key>". Key 99 is
 * resolved as hidden. */
static int resolve(void *ctx, pyro_tthread_t *tt, uintptr_t key, void *obj, uint32_t *func)
{
    (void)obj;
    (void)tt;
    pyro_tracer_t *tr = *(pyro_tracer_t **)ctx;
    if (key == 99) {
        *func = PYRO_FUNC_HIDDEN;
        return PYRO_OK;
    }
    pyro_profile_t *cat = pyro_tracer_catalog(tr);
    char name[32];
    snprintf(name, sizeof name, "f%lu", (unsigned long)key);
    pyro_func_t f = {0};
    int rc;
    if ((rc = pyro_profile_str(cat, name, strlen(name), &f.name)) ||
        (rc = pyro_profile_str(cat, "t.py", 4, &f.file)))
        return rc;
    f.qualname = f.name;
    f.line = (uint32_t)key;
    return pyro_profile_func(cat, &f, func);
}

static pyro_tracer_t *holder;

static pyro_tracer_t *new_tracer(pyro_clock_kind_t clock)
{
    holder = pyro_tracer_new(clock, resolve, &holder);
    return holder;
}

/* The stats row of the function named f<key>, or NULL. */
static const pyro_fstat_t *row(const pyro_profile_t *p, const pyro_stats_t *s, unsigned key)
{
    char name[32];
    snprintf(name, sizeof name, "f%u", key);
    for (uint32_t f = 0; f < p->nfuncs; f++)
        if (strcmp(pyro_profile_strget(p, p->funcs[f].name), name) == 0)
            return &s->funcs[f];
    return NULL;
}

static int64_t now_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Spin until clock `id` has advanced `ns`: CLOCK_MONOTONIC for a span of
 * wall time, CLOCK_THREAD_CPUTIME_ID for CPU time this thread really got
 * (on a busy machine a wall-clock spin may get little of it). */
static void busy(clockid_t id, int64_t ns)
{
    int64_t start = now_ns(id);
    while (now_ns(id) - start < ns)
        ;
}

static void test_tracer_counts(void)
{
    pyro_tracer_t *tr = new_tracer(PYRO_CLOCK_WALL);
    CHECK(tr);
    CHECK(pyro_tracer_start(tr) == PYRO_OK);
    CHECK(pyro_tracer_start(tr) == PYRO_ESTATE);
    pyro_tthread_t *tt = pyro_tracer_this_thread(tr);
    CHECK(tt && pyro_tracer_this_thread(tr) == tt);
    pyro_tthread_leave(tt, 5); /* return of a call that began earlier: ignored */
    pyro_tthread_enter(tt, 1, NULL);
    for (int i = 0; i < 1000; i++) {
        pyro_tthread_enter(tt, 2, NULL);
        pyro_tthread_enter(tt, 2, NULL);  /* recursion */
        pyro_tthread_enter(tt, 99, NULL); /* hidden */
        pyro_tthread_enter(tt, 3, NULL);
        pyro_tthread_leave(tt, 3);
        pyro_tthread_leave(tt, 99);
        pyro_tthread_leave(tt, 2);
        pyro_tthread_leave(tt, 2);
    }
    pyro_tthread_enter(tt, 4, NULL);
    pyro_tthread_enter(tt, 3, NULL);
    pyro_tthread_leave(tt, 4); /* 3's return was missed: both close */
    CHECK(pyro_tthread_depth(tt) == 1);
    pyro_tthread_enter(tt, 5, NULL); /* still open at stop: closed by stop */
    CHECK(pyro_tracer_stop(tr) == PYRO_OK);
    CHECK(pyro_tracer_this_thread(tr) == NULL);
    pyro_profile_t *p;
    CHECK(pyro_tracer_export(tr, &p) == PYRO_OK);
    pyro_stats_t *s;
    CHECK(pyro_stats_compute(p, &s) == PYRO_OK);
    CHECK(row(p, s, 1)->ncalls == 1);
    CHECK(row(p, s, 2)->ncalls == 2000 && row(p, s, 2)->primcalls == 1000);
    CHECK(row(p, s, 3)->ncalls == 1001 && row(p, s, 3)->primcalls == 1001);
    CHECK(row(p, s, 4)->ncalls == 1 && row(p, s, 5)->ncalls == 1);
    CHECK(row(p, s, 99) == NULL);
    /* f3 called from f2 (hidden frame is transparent) and from f4 */
    const pyro_fstat_t *f3 = row(p, s, 3);
    CHECK(f3->ncallers == 2);
    for (uint32_t i = 0; i < p->nnodes; i++)
        CHECK(pyro_node_metric(p, i, PYRO_M_TOTAL_NS) >= pyro_node_metric(p, i, PYRO_M_SELF_NS) &&
              pyro_node_metric(p, i, PYRO_M_SELF_NS) >= 0);
    CHECK(p->nthreads == 1 && p->threads[0].native_id > 0);
    pyro_stats_free(s);
    pyro_profile_free(p);
    /* a second session adds to the first */
    CHECK(pyro_tracer_start(tr) == PYRO_OK);
    tt = pyro_tracer_this_thread(tr);
    pyro_tthread_enter(tt, 1, NULL);
    pyro_tthread_leave(tt, 1);
    CHECK(pyro_tracer_export(tr, &p) == PYRO_ESTATE);
    CHECK(pyro_tracer_stop(tr) == PYRO_OK);
    CHECK(pyro_tracer_export(tr, &p) == PYRO_OK);
    CHECK(pyro_stats_compute(p, &s) == PYRO_OK);
    CHECK(row(p, s, 1)->ncalls == 2);
    pyro_stats_free(s);
    pyro_profile_free(p);
    pyro_tracer_free(tr);
}

static void test_tracer_times(void)
{
    pyro_tracer_t *tr = new_tracer(PYRO_CLOCK_WALL);
    CHECK(pyro_tracer_start(tr) == PYRO_OK);
    pyro_tthread_t *tt = pyro_tracer_this_thread(tr);
    /* What each call took is measured here too: on a busy machine a spin of
     * 6 ms can last far longer (the thread is preempted inside it). */
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    pyro_tthread_enter(tt, 1, NULL);
    busy(CLOCK_MONOTONIC, 2000000);
    int64_t t2 = now_ns(CLOCK_MONOTONIC);
    pyro_tthread_enter(tt, 2, NULL);
    busy(CLOCK_MONOTONIC, 6000000);
    pyro_tthread_leave(tt, 2);
    int64_t t3 = now_ns(CLOCK_MONOTONIC);
    pyro_tthread_leave(tt, 1);
    int64_t t4 = now_ns(CLOCK_MONOTONIC);
    pyro_tracer_stop(tr);
    pyro_profile_t *p;
    CHECK(pyro_tracer_export(tr, &p) == PYRO_OK);
    pyro_stats_t *s;
    CHECK(pyro_stats_compute(p, &s) == PYRO_OK);
    const pyro_fstat_t *f1 = row(p, s, 1), *f2 = row(p, s, 2);
    /* within what really passed (5% and 0.1 ms for the tick calibration) */
    double took2 = (double)(t3 - t2) * 1e-9, took1 = (double)(t4 - t1) * 1e-9;
    CHECK(f2->tottime > 0.0055 && f2->tottime <= took2 * 1.05 + 1e-4);
    CHECK(f1->cumtime >= f1->tottime + f2->cumtime - 1e-6);
    CHECK(f1->tottime > 0.0015 && f1->cumtime <= took1 * 1.05 + 1e-4);
    pyro_stats_free(s);
    pyro_profile_free(p);
    pyro_tracer_free(tr);
}

/* The node of f<key> under `parent` (PYRO_NONE: a root), or PYRO_NONE. */
static uint32_t node_of(const pyro_profile_t *p, uint32_t parent, unsigned key)
{
    char name[32];
    snprintf(name, sizeof name, "f%u", key);
    for (uint32_t n = 0; n < p->nnodes; n++)
        if (p->nodes[n].parent == parent &&
            strcmp(pyro_profile_strget(p, p->funcs[p->nodes[n].func].name), name) == 0)
            return n;
    return PYRO_NONE;
}

static int col_named(const pyro_profile_t *p, const char *name)
{
    for (uint32_t c = 0; c < p->ncols; c++)
        if (strcmp(pyro_profile_strget(p, p->cols[c].name), name) == 0)
            return (int)c;
    return -1;
}

static void test_tracer_counters(void)
{
    pyro_tracer_t *tr = new_tracer(PYRO_CLOCK_WALL);
    int bad[] = {PYRO_EV_PAGE_FAULTS, PYRO_EV_PAGE_FAULTS}, ev[] = {PYRO_EV_PAGE_FAULTS};
    CHECK_EQ_INT(pyro_tracer_set_counters(tr, bad, 2), PYRO_EINVAL); /* twice the same */
    CHECK_EQ_INT(pyro_tracer_set_counters(tr, ev, PYRO_TRACE_MAX_COUNTERS + 1), PYRO_EINVAL);
    int unknown[] = {PYRO_EV_COUNT};
    CHECK_EQ_INT(pyro_tracer_set_counters(tr, unknown, 1), PYRO_EINVAL);
    int two[] = {PYRO_EV_PAGE_FAULTS, PYRO_EV_MINOR_FAULTS}; /* one group: one read each time */
    CHECK_EQ_INT(pyro_tracer_set_counters(tr, two, 2), PYRO_OK);
    CHECK(pyro_tracer_start(tr) == PYRO_OK);
    CHECK_EQ_INT(pyro_tracer_set_counters(tr, ev, 1), PYRO_ESTATE);
    pyro_tthread_t *tt = pyro_tracer_this_thread(tr);
    int err;
    if (pyro_tracer_counter_misses(tr, &err)) { /* no perf events here: traced without */
        CHECK(err > 0);
        pyro_tracer_stop(tr);
        pyro_tracer_free(tr);
        return;
    }
    pyro_tthread_enter(tt, 1, NULL);
    test_fault_in(256);
    for (int i = 0; i < 3; i++) { /* three calls of f2, deeper than the first stack */
        pyro_tthread_enter(tt, 2, NULL);
        test_fault_in(64);
        for (unsigned d = 10; d < 80; d++) /* grows the shadow stack and the node arrays */
            pyro_tthread_enter(tt, d, NULL);
        for (unsigned d = 80; d-- > 10;)
            pyro_tthread_leave(tt, d);
        pyro_tthread_leave(tt, 2);
    }
    pyro_tthread_enter(tt, 3, NULL);
    test_fault_in(32); /* left open: closed by stop */
    pyro_tracer_stop(tr);
    pyro_profile_t *p;
    CHECK(pyro_tracer_export(tr, &p) == PYRO_OK);
    CHECK(strcmp(pyro_profile_get_meta(p, "counters"), "page-faults,minor-faults") == 0);
    int own = col_named(p, "page-faults"), incl = col_named(p, "page-faults_total");
    CHECK(own >= 0 && incl >= 0);
    uint32_t n1 = node_of(p, PYRO_NONE, 1), n2 = node_of(p, n1, 2), n3 = node_of(p, n1, 3);
    CHECK(n1 != PYRO_NONE && n2 != PYRO_NONE && n3 != PYRO_NONE);
    /* each one's own faults, within what the tracer's own allocations add */
    int64_t o1 = pyro_node_get(p, n1, own), o2 = pyro_node_get(p, n2, own);
    int64_t o3 = pyro_node_get(p, n3, own);
    CHECK(o1 >= 256 && o1 < 256 + 64);
    CHECK(o2 >= 3 * 64 && o2 < 3 * 64 + 64);
    CHECK(o3 >= 32 && o3 < 32 + 16);
    int minor = col_named(p, "minor-faults"); /* the fresh pages are minor faults */
    CHECK(minor >= 0 && pyro_node_get(p, n1, minor) >= 256 && pyro_node_get(p, n1, minor) <= o1);
    /* a function's total is its own plus its callees' */
    int64_t sub = 0;
    for (uint32_t n = 0; n < p->nnodes; n++)
        if (p->nodes[n].parent == n1)
            sub += pyro_node_get(p, n, incl);
    CHECK_EQ_INT(pyro_node_get(p, n1, incl), o1 + sub);
    CHECK(pyro_node_get(p, n2, incl) >= o2);
    pyro_profile_free(p);
    pyro_tracer_free(tr);
}

static void test_tracer_cpu_clock(void)
{
    pyro_tracer_t *tr = new_tracer(PYRO_CLOCK_CPU);
    CHECK(pyro_tracer_start(tr) == PYRO_OK);
    pyro_tthread_t *tt = pyro_tracer_this_thread(tr);
    pyro_tthread_enter(tt, 1, NULL);
    pyro_tthread_enter(tt, 2, NULL); /* "sleep" */
    struct timespec d = {0, 30000000};
    nanosleep(&d, NULL);
    pyro_tthread_leave(tt, 2);
    pyro_tthread_enter(tt, 3, NULL); /* "burn": 20 ms of CPU, however long that takes */
    busy(CLOCK_THREAD_CPUTIME_ID, 20000000);
    pyro_tthread_leave(tt, 3);
    pyro_tthread_leave(tt, 1);
    pyro_tracer_stop(tr);
    pyro_profile_t *p;
    CHECK(pyro_tracer_export(tr, &p) == PYRO_OK);
    pyro_stats_t *s;
    CHECK(pyro_stats_compute(p, &s) == PYRO_OK);
    CHECK(row(p, s, 2)->cumtime < 0.005);
    CHECK(row(p, s, 3)->cumtime > 0.010);
    pyro_stats_free(s);
    pyro_profile_free(p);
    pyro_tracer_free(tr);
}

static void test_tracer_oom(void)
{
    for (long k = 1; k < 30; k++) {
        test_alloc_fail_at(k);
        pyro_tracer_t *tr = new_tracer(PYRO_CLOCK_WALL);
        if (tr && pyro_tracer_start(tr) == PYRO_OK) {
            pyro_tthread_t *tt = pyro_tracer_this_thread(tr);
            if (tt) {
                for (uintptr_t i = 1; i < 300; i++)
                    pyro_tthread_enter(tt, i, NULL);
                for (uintptr_t i = 299; i >= 1; i--)
                    pyro_tthread_leave(tt, i);
            }
            pyro_tracer_stop(tr);
            pyro_profile_t *p = NULL;
            if (pyro_tracer_export(tr, &p) == PYRO_OK)
                pyro_profile_free(p);
        }
        test_alloc_reset();
        pyro_tracer_free(tr);
    }
}

/* A resolver that runs "interpreter code" while naming key 7: the events of
 * that code (keys 50 and 51) come back into the tracer on the same thread, as
 * a finalizer run by an allocation inside the resolver would. */
static int reentrant_resolve(void *ctx, pyro_tthread_t *tt, uintptr_t key, void *obj,
                             uint32_t *func)
{
    pyro_tracer_t *tr = *(pyro_tracer_t **)ctx;
    if (key == 7)
        for (int i = 0; i < 300; i++) { /* enough new nodes to move the arrays */
            pyro_tracer_enter(tr, 50, NULL);
            pyro_tracer_enter(tr, 51 + (uintptr_t)i, NULL);
            pyro_tracer_leave(tr, 51 + (uintptr_t)i);
            pyro_tracer_leave(tr, 50);
        }
    return resolve(ctx, tt, key, obj, func);
}

static void test_tracer_reentrancy_guard(void)
{
    holder = pyro_tracer_new(PYRO_CLOCK_WALL, reentrant_resolve, &holder);
    pyro_tracer_t *tr = holder;
    CHECK(tr && pyro_tracer_start(tr) == PYRO_OK);
    pyro_tracer_enter(tr, 1, NULL);
    pyro_tracer_enter(tr, 7, NULL); /* its resolve re-enters the tracer */
    pyro_tracer_enter(tr, 2, NULL);
    pyro_tracer_leave(tr, 2);
    pyro_tracer_leave(tr, 7);
    pyro_tracer_leave(tr, 1);
    pyro_tthread_t *tt = pyro_tracer_this_thread(tr);
    CHECK(tt && pyro_tthread_depth(tt) == 0);
    pyro_tracer_enter(tr, 50, NULL); /* outside the resolver: recorded */
    pyro_tracer_leave(tr, 50);
    CHECK(pyro_tracer_stop(tr) == PYRO_OK);
    /* stopped: the entry points are no-ops */
    pyro_tracer_enter(tr, 3, NULL);
    pyro_tracer_leave(tr, 3);
    CHECK(!pyro_tracer_failed(tr));
    pyro_profile_t *p;
    CHECK(pyro_tracer_export(tr, &p) == PYRO_OK);
    pyro_stats_t *s;
    CHECK(pyro_stats_compute(p, &s) == PYRO_OK);
    CHECK(row(p, s, 1)->ncalls == 1 && row(p, s, 7)->ncalls == 1 && row(p, s, 2)->ncalls == 1);
    /* the nested events were ignored: 50 once (its own call), 51.. never */
    CHECK(row(p, s, 50) && row(p, s, 50)->ncalls == 1);
    CHECK(row(p, s, 51) == NULL && row(p, s, 3) == NULL);
    CHECK(row(p, s, 7)->ncallers == 1); /* called from f1 only */
    pyro_stats_free(s);
    pyro_profile_free(p);
    pyro_tracer_free(tr);
}

void suite_tracer(void)
{
    RUN(test_tracer_counts);
    RUN(test_tracer_times);
    RUN(test_tracer_counters);
    RUN(test_tracer_cpu_clock);
    RUN(test_tracer_oom);
    RUN(test_tracer_reentrancy_guard);
}
