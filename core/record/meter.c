/* SPDX-License-Identifier: MIT */
/* meter: clock, CPU, RSS and per-thread counter readings around a call. */
#include "record/meter.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/alloc.h"
#include "model/clock.h"
#include "model/error.h"

_Static_assert(PYRO_EV_COUNT <= PYRO_RUNSTAT_MAX_EVENTS, "a call holds every event");

/* ==== this thread's counters ==== */

/* What a thread keeps: its counters and the fork generation they were
 * opened in (a child after fork holds its parent's thread's counters:
 * reopened). */
typedef struct thread_set {
    pyro_counters_t c;
    unsigned gen;  /* fork_gen when opened */
    uint32_t open; /* bit e: fd[e] is open */
    int statm;     /* /proc/self/statm of this process, read again with pread; -1 */
} thread_set_t;

static pthread_key_t key;
static int key_ok;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void free_set(void *p)
{
    thread_set_t *t = p;
    pyro_counters_close(&t->c);
    if (t->statm >= 0)
        close(t->statm);
    pyro_free(t);
}

/* Bumped in the child of every fork: a thread's set from an older
 * generation holds its parent's counters (cheaper than getpid() per reading,
 * a real system call in this VM). */
static _Atomic unsigned fork_gen;

static void after_fork_child(void) { fork_gen++; }

static void make_key(void)
{
    key_ok = pthread_key_create(&key, free_set) == 0 &&
             pthread_atfork(NULL, NULL, after_fork_child) == 0;
}

static thread_set_t *this_thread(void)
{
    pthread_once(&key_once, make_key);
    if (!key_ok)
        return NULL;
    thread_set_t *t = pthread_getspecific(key);
    unsigned gen = fork_gen;
    if (t && t->gen == gen)
        return t;
    if (!t) {
        t = pyro_malloc(sizeof *t);
        if (!t)
            return NULL;
        pyro_counters_init(&t->c);
        t->statm = -1;
        if (pthread_setspecific(key, t) != 0) {
            pyro_free(t);
            return NULL;
        }
    } else {
        pyro_counters_close(&t->c); /* inherited from the parent's thread */
        if (t->statm >= 0)
            close(t->statm); /* the parent's statm */
    }
    t->gen = gen;
    t->open = 0;
    int saved = errno;
    t->statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    uint32_t all = pyro_counters_software() | pyro_counters_hardware();
    if (pyro_counters_open(&t->c, 0, all, 0) == PYRO_OK)
        for (int e = 0; e < PYRO_EV_COUNT; e++)
            if (pyro_counters_is_open(&t->c, (pyro_event_t)e))
                t->open |= 1u << e;
    errno = saved;
    return t;
}

/* ==== RSS ==== */

/* The resident pages in statm's text, times the page size; -1 when unreadable. */
static int64_t resident_bytes(char *text, ssize_t n)
{
    if (n <= 0)
        return -1;
    text[n] = '\0';
    unsigned long long size, resident;
    if (sscanf(text, "%llu %llu", &size, &resident) != 2)
        return -1;
    long page = sysconf(_SC_PAGESIZE);
    return (int64_t)resident * (page > 0 ? page : 4096);
}

int64_t pyro_meter_rss(void)
{
    char text[128];
    int saved = errno;
    thread_set_t *t = this_thread();
    ssize_t n = -1;
    if (t && t->statm >= 0) {
        n = pread(t->statm, text, sizeof text - 1, 0);
    } else {
        int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            n = read(fd, text, sizeof text - 1);
            close(fd);
        }
    }
    errno = saved;
    return resident_bytes(text, n);
}

uint32_t pyro_meter_available(void)
{
    thread_set_t *t = this_thread();
    return t ? t->open : 0;
}

void pyro_meter_release(void)
{
    pthread_once(&key_once, make_key);
    if (!key_ok)
        return;
    thread_set_t *t = pthread_getspecific(key);
    if (!t)
        return;
    pthread_setspecific(key, NULL);
    free_set(t);
}

/* Read the events `mask` of this thread into v; returns the bits read. */
static uint32_t read_events(uint32_t mask, double v[PYRO_EV_COUNT])
{
    thread_set_t *t = mask ? this_thread() : NULL;
    if (!t)
        return 0;
    uint32_t got = 0;
    int saved = errno;
    for (int e = 0; e < PYRO_EV_COUNT; e++) {
        if (!(mask & t->open & (1u << e)))
            continue;
        pyro_evcount_t ev;
        if (pyro_counters_read_one(&t->c, (pyro_event_t)e, &ev) == PYRO_OK) {
            v[e] = ev.value;
            got |= 1u << e;
        }
    }
    errno = saved;
    return got;
}

/* ==== spans ==== */

void pyro_span_start(pyro_span_t *s, uint32_t events, int64_t heap)
{
    memset(s, 0, sizeof *s);
    s->events = events & ((1u << PYRO_EV_COUNT) - 1);
    if (s->events)
        (void)this_thread(); /* a thread's first span opens its counters outside its figures */
    s->evmask = s->events;
    s->heap0 = heap;
    s->rss0 = pyro_meter_rss();
    s->wall0 = pyro_clock_mono_ns();
    pyro_span_resume(s);
}

void pyro_span_resume(pyro_span_t *s)
{
    if (s->running)
        return;
    s->running = 1;
    s->evmask &= read_events(s->evmask, s->ev0);
    s->cpu0 = pyro_clock_thread_cpu_ns();
}

void pyro_span_pause(pyro_span_t *s)
{
    if (!s->running)
        return;
    int64_t cpu = pyro_clock_thread_cpu_ns();
    double now[PYRO_EV_COUNT] = {0};
    s->evmask &= read_events(s->evmask, now);
    s->running = 0;
    if (cpu > s->cpu0)
        s->cpu += cpu - s->cpu0;
    for (int e = 0; e < PYRO_EV_COUNT; e++)
        if (s->evmask & (1u << e) && now[e] > s->ev0[e])
            s->ev[e] += now[e] - s->ev0[e];
}

void pyro_span_stop(pyro_span_t *s, int64_t heap, int failed, pyro_mcall_t *out)
{
    pyro_span_pause(s);
    int64_t wall = pyro_clock_mono_ns();
    int64_t rss = pyro_meter_rss();
    memset(out, 0, sizeof *out);
    out->wall = wall > s->wall0 ? (double)(wall - s->wall0) / 1e9 : 0.0;
    out->cpu = (double)s->cpu / 1e9;
    if (heap >= 0 && s->heap0 >= 0) {
        out->has_heap = 1;
        out->heap = (double)heap - (double)s->heap0;
    }
    if (rss >= 0 && s->rss0 >= 0) {
        out->has_rss = 1;
        out->rss = (double)rss - (double)s->rss0;
    }
    out->evmask = s->evmask;
    for (int e = 0; e < PYRO_EV_COUNT; e++)
        if (s->evmask & (1u << e))
            out->ev[e] = s->ev[e];
    out->failed = failed ? 1 : 0;
}
