/* SPDX-License-Identifier: MIT */
/* test_linetimer: synthetic line-event streams through the line timer. */
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "model/error.h"
#include "model/profile.h"
#include "record/linetimer.h"
#include "test.h"

/* Choose `key` as function "f<key>" with code on lines lo..hi. */
static int choose(pyro_linetimer_t *lt, uintptr_t key, uint32_t lo, uint32_t hi)
{
    pyro_profile_t *cat = pyro_linetimer_catalog(lt);
    char name[32];
    snprintf(name, sizeof name, "f%lu", (unsigned long)key);
    pyro_func_t f = {0};
    uint32_t func, id, lines[64];
    int rc;
    if ((rc = pyro_profile_str(cat, name, strlen(name), &f.name)) ||
        (rc = pyro_profile_str(cat, "t.py", 4, &f.file)))
        return rc;
    f.qualname = f.name;
    f.line = lo;
    if ((rc = pyro_profile_func(cat, &f, &func)))
        return rc;
    uint32_t n = 0;
    for (uint32_t l = lo; l <= hi && n < 64; l++)
        lines[n++] = l;
    return pyro_linetimer_add(lt, key, func, lines, n, &id);
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void busy(int64_t ns)
{
    int64_t start = mono_ns();
    while (mono_ns() - start < ns)
        ;
}

/* The root node of function "f<key>" in thread `thread`, or PYRO_NONE. */
static uint32_t root_of(const pyro_profile_t *p, uint32_t thread, unsigned key)
{
    char name[32];
    snprintf(name, sizeof name, "f%u", key);
    for (uint32_t n = 0; n < p->nnodes; n++) {
        const pyro_node_t *nd = &p->nodes[n];
        if (nd->parent == PYRO_NONE && nd->thread == thread && nd->line == 0 &&
            strcmp(pyro_profile_strget(p, p->funcs[nd->func].name), name) == 0)
            return n;
    }
    return PYRO_NONE;
}

/* The node of line `line` under root `root`, or PYRO_NONE. */
static uint32_t line_of(const pyro_profile_t *p, uint32_t root, uint32_t line)
{
    for (uint32_t n = 0; n < p->nnodes; n++)
        if (p->nodes[n].parent == root && p->nodes[n].line == line)
            return n;
    return PYRO_NONE;
}

static int64_t hits(const pyro_profile_t *p, uint32_t n)
{
    return n == PYRO_NONE ? -1 : pyro_node_metric(p, n, PYRO_M_HITS);
}

static int64_t ns(const pyro_profile_t *p, uint32_t n)
{
    return n == PYRO_NONE ? -1 : pyro_node_metric(p, n, PYRO_M_TOTAL_NS);
}

/* Sum of the line nodes' total_ns under `root`, and their count. */
static int64_t line_sum(const pyro_profile_t *p, uint32_t root, uint32_t *count)
{
    int64_t s = 0;
    *count = 0;
    for (uint32_t n = 0; n < p->nnodes; n++)
        if (p->nodes[n].parent == root) {
            s += ns(p, n);
            ++*count;
        }
    return s;
}

static void test_lines_counts(void)
{
    pyro_linetimer_t *lt = pyro_linetimer_new();
    CHECK(lt);
    CHECK(choose(lt, 100, 10, 13) == PYRO_OK);
    CHECK(choose(lt, 200, 20, 22) == PYRO_OK); /* never called */
    CHECK(choose(lt, 100, 10, 13) == PYRO_ESTATE);
    CHECK(pyro_linetimer_lookup(lt, 100) == 0 && pyro_linetimer_lookup(lt, 200) == 1);
    CHECK(pyro_linetimer_lookup(lt, 300) == PYRO_LINES_UNKNOWN);
    CHECK(pyro_linetimer_reject(lt, 300) == PYRO_OK);
    CHECK(pyro_linetimer_lookup(lt, 300) == PYRO_LINES_NO);
    CHECK(pyro_linetimer_hide(lt, 400) == PYRO_OK && pyro_linetimer_hide(lt, 100) == PYRO_ESTATE);
    CHECK(choose(lt, 400, 1, 2) == PYRO_ESTATE);
    CHECK(choose(lt, 300, 30, 31) == PYRO_OK); /* rejected, then chosen */
    CHECK(pyro_linetimer_ncodes(lt) == 3 && pyro_linetimer_key(lt, 2) == 300);
    uint32_t one = 0, id;
    CHECK(pyro_linetimer_add(lt, 500, 0, &one, 1, &id) == PYRO_EINVAL);  /* no line */
    CHECK(pyro_linetimer_add(lt, 500, 99, &one, 1, &id) == PYRO_EINVAL); /* no func */

    /* stopped: no-ops */
    pyro_lines_enter(lt, 100, 1);
    CHECK(pyro_lines_line(lt, 100, 11) == 0);
    pyro_lines_leave(lt, 100);
    CHECK(pyro_linetimer_start(lt) == PYRO_OK);
    CHECK(pyro_linetimer_start(lt) == PYRO_ESTATE);
    pyro_lthread_t *tt = pyro_lines_this_thread(lt);
    CHECK(tt && pyro_linetimer_nthreads(lt) == 1);
    pyro_lthread_enter(tt, 999, 1); /* not chosen: nothing */
    CHECK(pyro_lthread_depth(tt) == 0);
    CHECK(pyro_lthread_line(tt, 999, 5) == 1);
    pyro_lthread_leave(tt, 100); /* the end of a frame that began earlier: ignored */
    for (int call = 0; call < 3; call++) {
        pyro_lthread_enter(tt, 100, 1);
        CHECK(pyro_lthread_depth(tt) == 1);
        CHECK(pyro_lthread_line(tt, 100, 11) == 0);
        for (int i = 0; i < 10; i++) {
            pyro_lthread_line(tt, 100, 12);
            pyro_lthread_enter(tt, 999, 1); /* other code between */
            pyro_lthread_leave(tt, 999);
            pyro_lthread_line(tt, 100, 11);
        }
        pyro_lthread_line(tt, 100, 13);
        if (call == 2)
            busy(2000000);
        pyro_lthread_line(tt, 100, 50); /* outside its span: no line of its own */
        pyro_lthread_leave(tt, 100);
    }
    CHECK(pyro_lthread_depth(tt) == 0);
    /* a frame already running when it was chosen: pushed by its next line */
    pyro_lthread_line(tt, 300, 30);
    CHECK(pyro_lthread_depth(tt) == 1);
    pyro_lthread_line(tt, 300, 31);
    pyro_lthread_enter(tt, 300, 1); /* open at stop */
    pyro_lthread_line(tt, 300, 31);
    CHECK(pyro_linetimer_stop(lt) == PYRO_OK);
    CHECK(pyro_linetimer_stop(lt) == PYRO_ESTATE);
    CHECK(pyro_lines_this_thread(lt) == NULL);
    CHECK(!pyro_linetimer_failed(lt));

    pyro_profile_t *p;
    CHECK(pyro_linetimer_export(lt, &p) == PYRO_OK);
    CHECK(p->mode == PYRO_MODE_LINES && p->nthreads == 1);
    uint32_t r = root_of(p, 0, 100);
    CHECK(r != PYRO_NONE);
    CHECK_EQ_INT(pyro_node_metric(p, r, PYRO_M_CALLS), 3);
    CHECK_EQ_INT(hits(p, line_of(p, r, 10)), 0); /* has code, never ran */
    CHECK_EQ_INT(hits(p, line_of(p, r, 11)), 33);
    CHECK_EQ_INT(hits(p, line_of(p, r, 12)), 30);
    CHECK_EQ_INT(hits(p, line_of(p, r, 13)), 3);
    CHECK(line_of(p, r, 50) == PYRO_NONE);
    CHECK(ns(p, line_of(p, r, 13)) >= 2000000 * 9 / 10); /* ticks to ns: calibrated rate */
    uint32_t count;
    CHECK_EQ_INT(line_sum(p, r, &count), ns(p, r));
    CHECK_EQ_INT(count, 4);
    /* never called: a root with calls 0, every line with hits 0 */
    r = root_of(p, 0, 200);
    CHECK(r != PYRO_NONE && pyro_node_metric(p, r, PYRO_M_CALLS) == 0 && ns(p, r) == 0);
    CHECK_EQ_INT(hits(p, line_of(p, r, 20)), 0);
    CHECK_EQ_INT(hits(p, line_of(p, r, 22)), 0);
    line_sum(p, r, &count);
    CHECK_EQ_INT(count, 3);
    /* began before: no call; the frame open at stop: one call */
    r = root_of(p, 0, 300);
    CHECK_EQ_INT(pyro_node_metric(p, r, PYRO_M_CALLS), 1);
    CHECK_EQ_INT(hits(p, line_of(p, r, 30)), 1);
    CHECK_EQ_INT(hits(p, line_of(p, r, 31)), 2);
    /* parents before children, every line node under a root */
    for (uint32_t n = 0; n < p->nnodes; n++)
        CHECK(p->nodes[n].parent == PYRO_NONE
                  ? p->nodes[n].line == 0
                  : p->nodes[p->nodes[n].parent].line == 0 && p->nodes[n].parent < n);
    pyro_profile_free(p);

    /* a second session adds to the first */
    CHECK(pyro_linetimer_start(lt) == PYRO_OK);
    pyro_lines_enter(lt, 100, 1);
    pyro_lines_line(lt, 100, 11);
    pyro_lines_leave(lt, 100);
    CHECK(pyro_linetimer_stop(lt) == PYRO_OK);
    CHECK(pyro_linetimer_export(lt, &p) == PYRO_OK);
    r = root_of(p, 0, 100);
    CHECK_EQ_INT(pyro_node_metric(p, r, PYRO_M_CALLS), 4);
    CHECK_EQ_INT(hits(p, line_of(p, r, 11)), 34);
    pyro_profile_free(p);
    pyro_linetimer_free(lt);
}

static void test_lines_never_started(void)
{
    pyro_linetimer_t *lt = pyro_linetimer_new();
    CHECK(lt && choose(lt, 7, 3, 4) == PYRO_OK);
    pyro_profile_t *p;
    CHECK(pyro_linetimer_export(lt, &p) == PYRO_OK);
    CHECK(p->nthreads == 1);
    uint32_t r = root_of(p, 0, 7);
    CHECK(r != PYRO_NONE && hits(p, line_of(p, r, 4)) == 0);
    pyro_profile_free(p);
    pyro_linetimer_free(lt);
}

/* f1 (lines 1-3) calls itself: line 2 makes the call. */
static void test_lines_recursion(void)
{
    pyro_linetimer_t *lt = pyro_linetimer_new();
    CHECK(lt && choose(lt, 1, 1, 3) == PYRO_OK && choose(lt, 2, 10, 11) == PYRO_OK);
    CHECK(pyro_linetimer_start(lt) == PYRO_OK);
    pyro_lthread_t *tt = pyro_lines_this_thread(lt);
    int64_t t0 = mono_ns();
    pyro_lthread_enter(tt, 1, 1);
    pyro_lthread_line(tt, 1, 2);
    busy(1000000);
    pyro_lthread_enter(tt, 2, 1); /* another chosen function in between */
    pyro_lthread_line(tt, 2, 10);
    pyro_lthread_enter(tt, 1, 1); /* recursion: the outer line 2 pauses */
    pyro_lthread_line(tt, 1, 2);
    busy(1000000);
    pyro_lthread_line(tt, 1, 3);
    pyro_lthread_enter(tt, 1, 1); /* twice */
    pyro_lthread_line(tt, 1, 3);
    busy(1000000);
    pyro_lthread_leave(tt, 1);
    pyro_lthread_leave(tt, 1);
    CHECK(pyro_lthread_depth(tt) == 2);
    pyro_lthread_line(tt, 2, 11);
    pyro_lthread_leave(tt, 2);
    busy(1000000);
    pyro_lthread_leave(tt, 1);
    int64_t wall = mono_ns() - t0;
    CHECK(pyro_lthread_depth(tt) == 0);
    CHECK(pyro_linetimer_stop(lt) == PYRO_OK);
    pyro_profile_t *p;
    CHECK(pyro_linetimer_export(lt, &p) == PYRO_OK);
    uint32_t r = root_of(p, 0, 1), count;
    CHECK_EQ_INT(pyro_node_metric(p, r, PYRO_M_CALLS), 3);
    CHECK_EQ_INT(hits(p, line_of(p, r, 2)), 2); /* a resume is no new hit */
    CHECK_EQ_INT(hits(p, line_of(p, r, 3)), 2);
    /* never counted twice: the total is at most the outer call's wall time,
     * and at least the four spins it covers */
    CHECK(ns(p, r) <= wall + wall / 10); /* ticks to ns: a rate calibrated over 2 ms */
    CHECK(ns(p, r) >= 4000000 * 9 / 10);
    CHECK_EQ_INT(line_sum(p, r, &count), ns(p, r));
    /* f2's line 10 includes the recursive calls of f1 it made */
    uint32_t r2 = root_of(p, 0, 2);
    CHECK(ns(p, line_of(p, r2, 10)) >= 2000000 * 9 / 10);
    pyro_profile_free(p);
    pyro_linetimer_free(lt);
}

/* A generator (key 5): yields close the open line, resumes open nothing. */
static void test_lines_generator(void)
{
    pyro_linetimer_t *lt = pyro_linetimer_new();
    CHECK(lt && choose(lt, 5, 1, 4) == PYRO_OK);
    CHECK(pyro_linetimer_start(lt) == PYRO_OK);
    pyro_lthread_t *tt = pyro_lines_this_thread(lt);
    int64_t inside = 0, t0 = mono_ns(); /* wall time spent in the generator */
    pyro_lthread_enter(tt, 5, 1);
    pyro_lthread_line(tt, 5, 2);
    for (int i = 0; i < 5; i++) {
        pyro_lthread_line(tt, 5, 3); /* yield */
        pyro_lthread_leave(tt, 5);
        inside += mono_ns() - t0;
        busy(400000); /* the consumer: not the generator's time */
        t0 = mono_ns();
        pyro_lthread_enter(tt, 5, 0);
        pyro_lthread_line(tt, 5, 2);
    }
    pyro_lthread_line(tt, 5, 4);
    pyro_lthread_leave(tt, 5);
    inside += mono_ns() - t0;
    CHECK(pyro_linetimer_stop(lt) == PYRO_OK);
    pyro_profile_t *p;
    CHECK(pyro_linetimer_export(lt, &p) == PYRO_OK);
    uint32_t r = root_of(p, 0, 5);
    CHECK_EQ_INT(pyro_node_metric(p, r, PYRO_M_CALLS), 1);
    CHECK_EQ_INT(hits(p, line_of(p, r, 2)), 6);
    CHECK_EQ_INT(hits(p, line_of(p, r, 3)), 5);
    /* at most the time spent inside (ticks to ns: a rate calibrated over 2 ms) */
    CHECK(ns(p, r) <= inside + inside / 10);
    pyro_profile_free(p);
    pyro_linetimer_free(lt);
}

/* Unwinds: an exception leaves f2 and then f1; missed ends are closed by
 * the next event of an outer frame. */
static void test_lines_unwind(void)
{
    pyro_linetimer_t *lt = pyro_linetimer_new();
    CHECK(lt && choose(lt, 1, 1, 3) == PYRO_OK && choose(lt, 2, 10, 12) == PYRO_OK);
    CHECK(pyro_linetimer_start(lt) == PYRO_OK);
    pyro_lthread_t *tt = pyro_lines_this_thread(lt);
    pyro_lthread_enter(tt, 1, 1);
    pyro_lthread_line(tt, 1, 1);
    pyro_lthread_enter(tt, 2, 1);
    pyro_lthread_line(tt, 2, 10);
    pyro_lthread_enter(tt, 9, 1); /* unchosen code raises */
    pyro_lthread_leave(tt, 9);
    pyro_lthread_leave(tt, 2);   /* unwinds */
    pyro_lthread_line(tt, 1, 2); /* the handler */
    CHECK(pyro_lthread_depth(tt) == 1);
    /* missed: f2's end is never reported; f1's next line closes it */
    pyro_lthread_enter(tt, 2, 1);
    pyro_lthread_line(tt, 2, 11);
    pyro_lthread_line(tt, 1, 3);
    CHECK(pyro_lthread_depth(tt) == 1);
    /* and f1's own end closes what is above it */
    pyro_lthread_enter(tt, 2, 1);
    pyro_lthread_line(tt, 2, 12);
    pyro_lthread_leave(tt, 1);
    CHECK(pyro_lthread_depth(tt) == 0);
    CHECK(pyro_linetimer_stop(lt) == PYRO_OK);
    pyro_profile_t *p;
    CHECK(pyro_linetimer_export(lt, &p) == PYRO_OK);
    uint32_t r1 = root_of(p, 0, 1), r2 = root_of(p, 0, 2);
    CHECK_EQ_INT(pyro_node_metric(p, r2, PYRO_M_CALLS), 3);
    CHECK_EQ_INT(hits(p, line_of(p, r1, 3)), 1);
    CHECK_EQ_INT(hits(p, line_of(p, r2, 12)), 1);
    pyro_profile_free(p);
    pyro_linetimer_free(lt);
}

/* Paused threads record nothing; their open lines are charged up to the
 * pause. */
static void test_lines_paused(void)
{
    pyro_linetimer_t *lt = pyro_linetimer_new();
    CHECK(lt && choose(lt, 1, 1, 2) == PYRO_OK);
    CHECK(pyro_linetimer_start(lt) == PYRO_OK);
    pyro_lthread_t *tt = pyro_lines_this_thread(lt);
    int64_t t0 = mono_ns();
    pyro_lthread_enter(tt, 1, 1);
    pyro_lthread_line(tt, 1, 1);
    pyro_lthread_set_paused(tt, 1);
    int64_t before = mono_ns() - t0; /* wall time until paused */
    pyro_lthread_line(tt, 1, 2);
    pyro_lthread_enter(tt, 1, 1);
    busy(3000000);
    CHECK(pyro_lthread_depth(tt) == 1);
    CHECK(pyro_linetimer_stop(lt) == PYRO_OK);
    pyro_profile_t *p;
    CHECK(pyro_linetimer_export(lt, &p) == PYRO_OK);
    uint32_t r = root_of(p, 0, 1);
    CHECK_EQ_INT(pyro_node_metric(p, r, PYRO_M_CALLS), 1);
    CHECK_EQ_INT(hits(p, line_of(p, r, 2)), 0);
    CHECK(ns(p, r) <= before + before / 10); /* not the 3 ms after the pause */
    pyro_profile_free(p);
    pyro_linetimer_free(lt);
}

static pyro_linetimer_t *shared;

static void *thread_body(void *arg)
{
    uintptr_t n = (uintptr_t)arg;
    pyro_lines_enter(shared, 1, 1);
    for (uintptr_t i = 0; i < n; i++)
        pyro_lines_line(shared, 1, 2);
    pyro_lines_leave(shared, 1);
    pyro_lthread_t *tt = pyro_lines_this_thread(shared);
    if (tt)
        pyro_lthread_set_name(tt, n == 5 ? "five" : "seven");
    return NULL;
}

/* Two threads, one after the other (events of one timer are serialized by
 * the caller): each has its own stack and counters. */
static void test_lines_threads(void)
{
    shared = pyro_linetimer_new();
    CHECK(shared && choose(shared, 1, 1, 2) == PYRO_OK);
    CHECK(pyro_linetimer_start(shared) == PYRO_OK);
    pyro_lines_enter(shared, 1, 1); /* open on the main thread meanwhile */
    pthread_t th;
    CHECK(pthread_create(&th, NULL, thread_body, (void *)(uintptr_t)5) == 0);
    pthread_join(th, NULL);
    CHECK(pthread_create(&th, NULL, thread_body, (void *)(uintptr_t)7) == 0);
    pthread_join(th, NULL);
    pyro_lines_line(shared, 1, 1);
    CHECK(pyro_linetimer_stop(shared) == PYRO_OK);
    CHECK(pyro_linetimer_nthreads(shared) == 3);
    CHECK(pyro_lthread_has_name(pyro_linetimer_thread_at(shared, 1)));
    CHECK(pyro_linetimer_thread_at(shared, 3) == NULL);
    pyro_profile_t *p;
    CHECK(pyro_linetimer_export(shared, &p) == PYRO_OK);
    CHECK(p->nthreads == 3);
    uint32_t r0 = root_of(p, 0, 1), r1 = root_of(p, 1, 1), r2 = root_of(p, 2, 1);
    CHECK(r0 != PYRO_NONE && r1 != PYRO_NONE && r2 != PYRO_NONE);
    CHECK_EQ_INT(hits(p, line_of(p, r0, 1)), 1);
    CHECK_EQ_INT(hits(p, line_of(p, r0, 2)), 0);
    CHECK_EQ_INT(hits(p, line_of(p, r1, 2)), 5);
    CHECK_EQ_INT(hits(p, line_of(p, r2, 2)), 7);
    CHECK(strcmp(pyro_profile_strget(p, p->threads[1].name), "five") == 0);
    pyro_profile_free(p);
    pyro_linetimer_free(shared);
}

/* A start that cannot attach its thread fails whole: not running, and
 * nothing was dropped. */
static void test_lines_start_oom(void)
{
    pyro_linetimer_t *lt = pyro_linetimer_new();
    CHECK(lt);
    test_alloc_fail_at(1);
    int rc = pyro_linetimer_start(lt);
    test_alloc_reset();
    CHECK(rc == PYRO_ENOMEM);
    CHECK(!pyro_linetimer_running(lt) && !pyro_linetimer_failed(lt));
    CHECK(pyro_lines_this_thread(lt) == NULL);
    CHECK(pyro_linetimer_start(lt) == PYRO_OK && pyro_linetimer_stop(lt) == PYRO_OK);
    pyro_linetimer_free(lt);
}

static void test_lines_oom(void)
{
    for (long k = 1; k < 40; k++) {
        test_alloc_fail_at(k);
        pyro_linetimer_t *lt = pyro_linetimer_new();
        if (lt) {
            for (uintptr_t key = 1; key < 20; key++)
                choose(lt, key, (uint32_t)key, (uint32_t)key + 3);
            if (pyro_linetimer_start(lt) == PYRO_OK) {
                for (uintptr_t key = 1; key < 20; key++) {
                    pyro_lines_enter(lt, key, 1);
                    pyro_lines_line(lt, key, (uint32_t)key + 1);
                }
                for (int d = 0; d < 100; d++) /* deep recursion: the stack grows */
                    pyro_lines_enter(lt, 3, 1);
                for (uintptr_t key = 19; key >= 1; key--)
                    pyro_lines_leave(lt, key);
                pyro_linetimer_stop(lt);
            }
            pyro_profile_t *p = NULL;
            if (pyro_linetimer_export(lt, &p) == PYRO_OK)
                pyro_profile_free(p);
        }
        test_alloc_reset();
        pyro_linetimer_free(lt);
    }
}

void suite_linetimer(void)
{
    RUN(test_lines_counts);
    RUN(test_lines_never_started);
    RUN(test_lines_recursion);
    RUN(test_lines_generator);
    RUN(test_lines_unwind);
    RUN(test_lines_paused);
    RUN(test_lines_threads);
    RUN(test_lines_start_oom);
    RUN(test_lines_oom);
}
