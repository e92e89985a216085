/* SPDX-License-Identifier: MIT */
/* test_main: runs every suite; exits non-zero on failure or if nothing ran. */
#include <stdint.h>
#include <stdlib.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model/alloc.h"
#include "test.h"

int test_failed_flag;
static int ran, failed;
static long fail_at = -1, counter, live;

/* Each block carries its size in front so realloc can be forwarded. */
static void *t_malloc(size_t n)
{
    counter++;
    if (fail_at > 0 && counter >= fail_at)
        return NULL;
    size_t *p = malloc(n + 16);
    if (!p)
        return NULL;
    live++;
    return (char *)p + 16;
}

static void *t_realloc(void *ptr, size_t n)
{
    if (!ptr)
        return t_malloc(n);
    counter++;
    if (fail_at > 0 && counter >= fail_at)
        return NULL;
    char *p = realloc((char *)ptr - 16, n + 16);
    return p ? p + 16 : NULL;
}

static void t_free(void *ptr)
{
    if (!ptr)
        return;
    live--;
    free((char *)ptr - 16);
}

void test_alloc_install(void)
{
    static const pyro_allocator_t a = {t_malloc, t_realloc, t_free};
    pyro_set_allocator(&a);
}

void test_alloc_fail_at(long n)
{
    counter = 0;
    fail_at = n;
}

void test_alloc_reset(void) { fail_at = -1; }

long test_alloc_live(void) { return live; }

long test_alloc_count(void) { return counter; }

void test_fault_in(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, n * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    if (m == MAP_FAILED)
        return;
#ifdef MADV_NOHUGEPAGE
    madvise(m, n * page, MADV_NOHUGEPAGE);
#endif
    for (size_t i = 0; i < n; i++)
        m[i * page] = 1;
    munmap(m, n * page);
}

void test_task_file(const char *dir, const char *tid, const char *name, char *buf, size_t cap)
{
    char path[384];
    snprintf(path, sizeof path, "%s/%s/%s", dir, tid, name);
    FILE *f = fopen(path, "r");
    size_t k = f ? fread(buf, 1, cap - 1, f) : 0;
    if (f)
        fclose(f);
    buf[k] = '\0';
}

char test_task_state(const char *dir, const char *tid)
{
    char buf[512];
    test_task_file(dir, tid, "stat", buf, sizeof buf);
    const char *c = strrchr(buf, ')');
    return c && c[1] == ' ' ? c[2] : 0;
}

int test_nthreads(int pid, char state_wanted, int *with_state)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    int n = 0;
    *with_state = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        n++;
        *with_state += test_task_state(path, e->d_name) == state_wanted;
    }
    if (d)
        closedir(d);
    return n;
}

void test_run(const char *name, void (*fn)(void))
{
    test_failed_flag = 0;
    test_alloc_reset();
    long before = live;
    fn();
    test_alloc_reset();
    if (!test_failed_flag && live != before) {
        fprintf(stderr, "  FAIL %s: %ld allocation(s) leaked\n", name, live - before);
        test_failed_flag = 1;
    }
    ran++;
    if (test_failed_flag) {
        failed++;
        fprintf(stderr, "FAIL %s\n", name);
    } else {
        fprintf(stderr, "ok   %s\n", name);
    }
}

int main(void)
{
    test_alloc_install();
    suite_core();
    suite_formats();
    suite_tracer();
    suite_linetimer();
    suite_memtrack();
    suite_remote();
    suite_robj();
    suite_freeze();
    suite_timeline();
    suite_memreport();
    suite_memlines();
    suite_merge();
    suite_gc();
    suite_stat();
    suite_bench();
    suite_measure();

    fprintf(stderr, "core tests: %d run, %d failed\n", ran, failed);
    if (ran == 0) {
        fprintf(stderr, "no tests ran\n");
        return 1;
    }
    return failed ? 1 : 0;
}
