/* SPDX-License-Identifier: MIT */
/* freeze: PTRACE_SEIZE + PTRACE_INTERRUPT every thread, wait for the stops,
 * PTRACE_DETACH (with the pending signal) to let go. */
#include "remote/freeze.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "model/alloc.h"
#include "model/error.h"
#include "remote/procstat.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

#define STOP_WAIT_NS 20000000LL   /* a thread not stopped after this is left running */
#define FREE_WAIT_NS 1000000000LL /* at free, wait this long for late threads */
#define MAX_PASSES 4              /* re-list threads started while stopping */

enum { T_SEIZED = 1, T_HELD, T_LATE };

typedef struct fthread {
    uint64_t tid;
    int state;   /* T_* */
    int sig;     /* signal to hand back when let go, 0 if none */
    int running; /* run state before the stop: 1, 0, -1 unknown */
} fthread_t;

struct pyro_freeze {
    int pid;
    int taskfd; /* /proc/PID/task */
    fthread_t *t;
    uint32_t n, cap;
    int stopped;
    int64_t t0;
    pyro_freeze_info_t info;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int pyro_freeze_new(int pid, pyro_freeze_t **out)
{
    if (pid <= 0 || pid == (int)getpid())
        return PYRO_EINVAL;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? PYRO_ENOPROC : errno == EACCES ? PYRO_EPERM : PYRO_EIO;
    pyro_freeze_t *f = pyro_calloc(1, sizeof *f);
    if (!f) {
        close(fd);
        return PYRO_ENOMEM;
    }
    f->pid = pid;
    f->taskfd = fd;
    *out = f;
    return PYRO_OK;
}

static fthread_t *find(const pyro_freeze_t *f, uint64_t tid)
{
    for (uint32_t i = 0; i < f->n; i++)
        if (f->t[i].tid == tid)
            return &f->t[i];
    return NULL;
}

/* Drop entry `e` (the thread is no longer traced by us). */
static void drop(pyro_freeze_t *f, fthread_t *e) { *e = f->t[--f->n]; }

/* Whether the exit of thread `tid` may be collected here: a thread other
 * than the leader (the leader's exit belongs to its parent, which may be
 * this process). */
static int reapable(const pyro_freeze_t *f, uint64_t tid) { return tid != (uint64_t)f->pid; }

/* Look for the stop (or the end) of a seized thread without blocking: 1 if
 * it is now held, 0 if not yet, -1 if it is gone (and dropped). */
static int poll_stop(pyro_freeze_t *f, fthread_t *e)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int opts = WSTOPPED | WNOHANG | __WALL | (reapable(f, e->tid) ? WEXITED : 0);
    if (waitid(P_PID, (id_t)e->tid, &si, opts) != 0) {
        if (errno == EINTR)
            return 0;
        drop(f, e); /* ECHILD: no longer our tracee */
        return -1;
    }
    if (si.si_pid == 0)
        return 0;
    if (si.si_code != CLD_TRAPPED && si.si_code != CLD_STOPPED) {
        drop(f, e); /* exited, and collected */
        return -1;
    }
    int event = si.si_status >> 8, sig = si.si_status & 0xff;
    /* PTRACE_EVENT_STOP: our interrupt, or a group-stop (SIGSTOP and
     * friends; letting go leaves the thread stopped as it should be).
     * Otherwise a signal arrived first: a signal-delivery-stop, whose
     * signal is handed back at detach. */
    if (event == 0 && sig)
        e->sig = sig;
    e->state = T_HELD;
    return 1;
}

/* Let one held thread go; drop it. */
static void release(pyro_freeze_t *f, fthread_t *e)
{
    if (e->sig)
        f->info.signals++;
    if (ptrace(PTRACE_DETACH, (pid_t)e->tid, NULL, (void *)(intptr_t)e->sig) != 0 &&
        reapable(f, e->tid)) {
        /* killed while held: collect its exit */
        siginfo_t si;
        memset(&si, 0, sizeof si);
        waitid(P_PID, (id_t)e->tid, &si, WEXITED | WNOHANG | __WALL);
    }
    drop(f, e);
}

/* Wait until every T_SEIZED thread has stopped or `deadline` passed (those
 * become T_LATE). */
static void wait_stops(pyro_freeze_t *f, int64_t deadline)
{
    for (int spin = 0;; spin++) {
        int waiting = 0;
        for (uint32_t i = 0; i < f->n;) {
            fthread_t *e = &f->t[i];
            int r = e->state == T_SEIZED ? poll_stop(f, e) : 1;
            if (r < 0)
                continue; /* dropped: entry i now holds another thread */
            waiting += r == 0;
            i++;
        }
        if (!waiting)
            return;
        if (mono_ns() >= deadline) {
            for (uint32_t i = 0; i < f->n; i++)
                if (f->t[i].state == T_SEIZED) {
                    f->t[i].state = T_LATE;
                    f->info.late++;
                }
            return;
        }
        if (spin < 16) {
            sched_yield(); /* usually the thread stops within microseconds */
        } else {
            long ns = spin < 24 ? 20000L : 200000L;
            struct timespec ts = {0, ns};
            nanosleep(&ts, NULL);
        }
    }
}

/* Threads held or seized from an earlier call that stopped late: let the
 * ones that have stopped go now. */
static void settle_late(pyro_freeze_t *f)
{
    for (uint32_t i = 0; i < f->n;) {
        fthread_t *e = &f->t[i];
        if (e->state != T_LATE) {
            i++;
            continue;
        }
        e->state = T_SEIZED;
        int r = poll_stop(f, e);
        if (r < 0)
            continue;
        if (r > 0) {
            release(f, e);
            continue;
        }
        e->state = T_LATE;
        i++;
    }
}

/* Seize and interrupt every thread listed now that is not ours yet. Returns
 * how many were new, or a PYRO_E* code. */
static int seize_new(pyro_freeze_t *f, int want_state)
{
    char buf[4096];
    int added = 0;
    if (lseek(f->taskfd, 0, SEEK_SET) < 0)
        return PYRO_EIO;
    int any = 0;
    for (;;) {
        long nb = syscall(SYS_getdents64, f->taskfd, buf, sizeof buf);
        if (nb < 0)
            return errno == ENOENT || errno == ESRCH ? PYRO_ENOPROC : PYRO_EIO;
        if (nb == 0)
            break;
        for (long off = 0; off < nb;) {
            struct dirent64 *d = (struct dirent64 *)(void *)(buf + off);
            off += d->d_reclen;
            char *end;
            unsigned long long tid = strtoull(d->d_name, &end, 10);
            if (!tid || *end)
                continue;
            any = 1;
            if (find(f, tid))
                continue;
            int running = -1;
            if (want_state) {
                char st = pyro_task_state(f->pid, tid);
                running = st == '?' ? -1 : st == 'R';
            }
            if (ptrace(PTRACE_SEIZE, (pid_t)tid, NULL, NULL) != 0) {
                if (errno == ESRCH)
                    continue; /* ended meanwhile */
                char st = pyro_task_state(f->pid, tid);
                if (st == 'Z' || st == 'X' || st == '?')
                    continue; /* a zombie (a leader that ended before the others) */
                return errno == EPERM ? PYRO_EPERM : PYRO_EIO;
            }
            int rc = pyro_grow((void **)&f->t, &f->cap, f->n, sizeof *f->t);
            if (rc) {
                ptrace(PTRACE_DETACH, (pid_t)tid, NULL, NULL); /* not stopped yet: may fail */
                return rc;
            }
            fthread_t *e = &f->t[f->n++];
            memset(e, 0, sizeof *e);
            e->tid = tid;
            e->state = T_SEIZED;
            e->running = running;
            /* ESRCH: it is exiting; its end is collected by the wait */
            ptrace(PTRACE_INTERRUPT, (pid_t)tid, NULL, NULL);
            added++;
        }
    }
    return any ? added : PYRO_ENOPROC;
}

int pyro_freeze_stop(pyro_freeze_t *f, int want_state)
{
    if (f->stopped)
        return PYRO_ESTATE;
    f->t0 = mono_ns();
    settle_late(f);
    int rc = PYRO_OK;
    for (int pass = 0; pass < MAX_PASSES; pass++) {
        int added = seize_new(f, want_state);
        if (added < 0) {
            rc = added;
            break;
        }
        if (!added && pass)
            break; /* nobody new: every thread that can start one is held */
        wait_stops(f, mono_ns() + STOP_WAIT_NS);
    }
    f->stopped = 1;
    if (rc) {
        wait_stops(f, mono_ns() + STOP_WAIT_NS);
        pyro_freeze_go(f);
        return rc;
    }
    f->info.stops++;
    for (uint32_t i = 0; i < f->n; i++)
        f->info.held += f->t[i].state == T_HELD;
    return PYRO_OK;
}

void pyro_freeze_go(pyro_freeze_t *f)
{
    if (!f->stopped)
        return;
    for (uint32_t i = 0; i < f->n;) {
        if (f->t[i].state == T_HELD)
            release(f, &f->t[i]);
        else
            i++;
    }
    f->stopped = 0;
    f->info.stopped_ns += mono_ns() - f->t0;
}

int pyro_freeze_holds(const pyro_freeze_t *f, uint64_t tid)
{
    const fthread_t *e = f->stopped ? find(f, tid) : NULL;
    return e && e->state == T_HELD;
}

int pyro_freeze_was_running(const pyro_freeze_t *f, uint64_t tid)
{
    const fthread_t *e = f->stopped ? find(f, tid) : NULL;
    return e && e->state == T_HELD ? e->running : -1;
}

void pyro_freeze_info(const pyro_freeze_t *f, pyro_freeze_info_t *out) { *out = f->info; }

void pyro_freeze_free(pyro_freeze_t *f)
{
    if (!f)
        return;
    pyro_freeze_go(f);
    /* threads that stopped late must not stay stopped: wait for them (a
     * thread leaves an uninterruptible wait sooner or later) */
    int64_t deadline = mono_ns() + FREE_WAIT_NS;
    while (f->n && mono_ns() < deadline) {
        settle_late(f);
        if (f->n) {
            struct timespec ts = {0, 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    close(f->taskfd);
    pyro_free(f->t);
    pyro_free(f);
}
