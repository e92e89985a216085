/* SPDX-License-Identifier: MIT */
/* timeline: one mutex guards the rows and the stop flag; the thread sleeps
 * on a condition variable of the monotonic clock, so stop wakes it at once. */
#include "record/timeline.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "model/alloc.h"
#include "model/clock.h"
#include "model/error.h"
#include "record/session.h"

typedef struct row {
    int64_t t_ns, rss, heap;
    uint64_t where;
} row_t;

struct pyro_timeline {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    uint64_t tid; /* the thread's OS id, set by the thread */
    int running, stopping;
    int64_t period_ns, t0;
    pyro_gauge_fn gauge;
    pyro_where_fn where;
    void *ctx;
    row_t *rows;
    uint32_t nrows, maxrows;
    int64_t rss_peak, rss_peak_ns;
};

int64_t pyro_timeline_rss(void)
{
    /* statm: size resident shared text lib data dt, in pages */
    char buf[128];
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    long long size, resident;
    if (sscanf(buf, "%lld %lld", &size, &resident) != 2 || resident < 0)
        return 0;
    long page = sysconf(_SC_PAGESIZE);
    return (int64_t)resident * (page > 0 ? page : 4096);
}

/* Append a row (the lock held), merging neighbours first when full. */
static void add_row(pyro_timeline_t *t, int64_t now, int64_t rss, int64_t heap, uint64_t where)
{
    if (t->nrows == t->maxrows) {
        for (uint32_t i = 0; i < t->nrows / 2; i++) {
            row_t a = t->rows[2 * i], b = t->rows[2 * i + 1];
            t->rows[i] =
                (row_t){a.t_ns, a.rss > b.rss ? a.rss : b.rss, a.heap >= b.heap ? a.heap : b.heap,
                        a.heap >= b.heap ? a.where : b.where};
        }
        t->nrows /= 2;
        t->period_ns *= 2;
    }
    t->rows[t->nrows++] = (row_t){now - t->t0, rss, heap, where};
    if (rss > t->rss_peak) {
        t->rss_peak = rss;
        t->rss_peak_ns = now - t->t0;
    }
}

/* Read the values outside the lock (a /proc read), then append. */
static void take(pyro_timeline_t *t)
{
    int64_t rss = pyro_timeline_rss();
    int64_t heap = t->gauge ? t->gauge(t->ctx) : 0;
    uint64_t where = t->where ? t->where(t->ctx) : 0;
    int64_t now = pyro_clock_mono_ns();
    pthread_mutex_lock(&t->lock);
    add_row(t, now, rss, heap, where);
    pthread_mutex_unlock(&t->lock);
}

static void *loop(void *arg)
{
    pyro_timeline_t *t = arg;
    t->tid = (uint64_t)syscall(SYS_gettid); /* for pyro_session_join */
    pthread_mutex_lock(&t->lock);
    int64_t next = pyro_clock_mono_ns() + t->period_ns;
    while (!t->stopping) {
        struct timespec ts = {(time_t)(next / 1000000000), (long)(next % 1000000000)};
        int rc = pthread_cond_timedwait(&t->wake, &t->lock, &ts);
        if (t->stopping)
            break;
        if (rc == 0)
            continue; /* woken early, not for stopping: wait on */
        pthread_mutex_unlock(&t->lock);
        take(t);
        pthread_mutex_lock(&t->lock);
        /* the next tick from now: a late tick is not caught up on */
        int64_t now = pyro_clock_mono_ns();
        next += t->period_ns;
        if (next <= now)
            next = now + t->period_ns;
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

int pyro_timeline_new(int64_t period_ns, uint32_t max_rows, pyro_gauge_fn gauge,
                      pyro_where_fn where, void *ctx, pyro_timeline_t **out)
{
    if (period_ns <= 0 || max_rows < 4 || max_rows % 2)
        return PYRO_EINVAL;
    pyro_timeline_t *t = pyro_calloc(1, sizeof *t);
    row_t *rows = pyro_calloc(max_rows, sizeof *rows);
    if (!t || !rows) {
        pyro_free(t);
        pyro_free(rows);
        return PYRO_ENOMEM;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&t->lock, NULL);
    t->period_ns = period_ns;
    t->gauge = gauge;
    t->where = where;
    t->ctx = ctx;
    t->rows = rows;
    t->maxrows = max_rows;
    t->t0 = pyro_clock_mono_ns();
    *out = t;
    return PYRO_OK;
}

void pyro_timeline_free(pyro_timeline_t *t)
{
    if (!t)
        return;
    pyro_timeline_stop(t);
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    pyro_free(t->rows);
    pyro_free(t);
}

int pyro_timeline_start(pyro_timeline_t *t)
{
    if (t->running)
        return PYRO_EINVAL;
    take(t);
    t->stopping = 0;
    t->tid = 0;
    if (pthread_create(&t->thread, NULL, loop, t) != 0)
        return PYRO_ENOMEM;
    t->running = 1;
    return PYRO_OK;
}

void pyro_timeline_stop(pyro_timeline_t *t)
{
    if (!t->running)
        return;
    pthread_mutex_lock(&t->lock);
    t->stopping = 1;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pyro_session_join(t->thread, &t->tid); /* gone from the process (a fork may follow) */
    t->running = 0;
    take(t);
}

void pyro_timeline_mark(pyro_timeline_t *t) { take(t); }

int pyro_timeline_export(pyro_timeline_t *t, pyro_profile_t *p, pyro_where_map_fn map, void *ctx)
{
    static const char *const cols[] = {"t_ns", "rss_bytes", "heap_bytes", "func"};
    if (pyro_profile_find_series(p, "memory"))
        return PYRO_EINVAL;
    /* copy the rows out, so that `map` runs without the lock */
    pthread_mutex_lock(&t->lock);
    uint32_t n = t->nrows;
    row_t *rows = pyro_malloc((n ? n : 1) * sizeof *rows);
    if (rows)
        memcpy(rows, t->rows, n * sizeof *rows);
    int64_t peak = t->rss_peak, peak_ns = t->rss_peak_ns;
    pthread_mutex_unlock(&t->lock);
    if (!rows)
        return PYRO_ENOMEM;
    uint32_t id;
    int rc = pyro_profile_add_series(p, "memory", 4, cols, &id);
    for (uint32_t i = 0; i < n && !rc; i++) {
        int64_t func = map && rows[i].where ? map(ctx, rows[i].where, p) : -1;
        int64_t v[4] = {rows[i].t_ns, rows[i].rss, rows[i].heap, func};
        rc = pyro_series_append(p, id, v);
    }
    pyro_free(rows);
    char num[32];
    if (!rc) {
        snprintf(num, sizeof num, "%lld", (long long)peak);
        rc = pyro_profile_set_meta(p, "rss_peak_bytes", num);
    }
    if (!rc) {
        snprintf(num, sizeof num, "%lld", (long long)peak_ns);
        rc = pyro_profile_set_meta(p, "rss_peak_ns", num);
    }
    return rc;
}
