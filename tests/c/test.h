/* SPDX-License-Identifier: MIT */
/* test: a minimal unit-test harness for the core, with an allocator that
 * counts allocations and can fail the Nth one. */
#ifndef PYRO_TEST_H
#define PYRO_TEST_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

extern int test_failed_flag;

/* Record a failure and return from the current test function. */
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                      \
            test_failed_flag = 1;                                                                  \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long _a = (long long)(a), _b = (long long)(b);                                        \
        if (_a != _b) {                                                                            \
            fprintf(stderr, "  FAIL %s:%d: %s == %s (%lld != %lld)\n", __FILE__, __LINE__, #a, #b, \
                    _a, _b);                                                                       \
            test_failed_flag = 1;                                                                  \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Run one test function and count it. */
void test_run(const char *name, void (*fn)(void));

/* Write one byte to each of `n` fresh small pages (no huge pages), then
 * unmap them: n page faults of the calling thread. */
void test_fault_in(size_t n);
#define RUN(fn) test_run(#fn, fn)

/* The text of /proc/<dir>/<tid>/<name> into buf (NUL-terminated, "" when
 * it cannot be read). */
void test_task_file(const char *dir, const char *tid, const char *name, char *buf, size_t cap);

/* The run state letter of a task from its stat text, 0 if unreadable. */
char test_task_state(const char *dir, const char *tid);

/* The threads of process `pid` (entries of /proc/PID/task); of them, in
 * run state `state_wanted`, into *with_state. */
int test_nthreads(int pid, char state_wanted, int *with_state);

/* Allocator control: after test_alloc_fail_at(n), the nth allocation from now
 * (1-based) and every later one fail until test_alloc_reset(). */
void test_alloc_install(void);
void test_alloc_fail_at(long n);
void test_alloc_reset(void);
long test_alloc_live(void);  /* allocations not yet freed */
long test_alloc_count(void); /* allocations tried since test_alloc_fail_at() */

/* Suites, one per test file. */
void suite_core(void);
void suite_formats(void);
void suite_tracer(void);
void suite_linetimer(void);
void suite_memtrack(void);
void suite_remote(void);
void suite_robj(void);
void suite_freeze(void);
void suite_timeline(void);
void suite_memreport(void);
void suite_memlines(void);
void suite_merge(void);
void suite_gc(void);
void suite_stat(void);
void suite_bench(void);
void suite_measure(void);

#endif
