/* SPDX-License-Identifier: MIT */
/* freeze: PTRACE_SEIZE + PTRACE_INTERRUPT every thread, wait for the stops,
 * PTRACE_DETACH (with the pending signal) to let go.
 *
 * A seized thread can only be detached from a ptrace stop, and the interrupt
 * cannot be taken back: a thread that had not stopped when the read began
 * ("late") stops whenever it next runs and would stay stopped, traced, until
 * someone detaches it. So letting go also waits for the late threads' stops
 * and detaches them (handing back a signal that stopped them first). */
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
#define LATE_WAIT_NS 1000000000LL /* at go and at free, wait this long for late threads */
#define REAP_WAIT_NS 2000000000LL /* a thread killed while held: wait this long for its exit */
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
    int64_t stop_wait_ns; /* STOP_WAIT_NS unless a test set it */
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
    f->stop_wait_ns = STOP_WAIT_NS;
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
        /* killed while held: collect its exit once it has one. A thread woken
         * by SIGKILL exits as soon as it gets a CPU, which on a busy machine
         * may be later than now; uncollected, it would stay our zombie, and
         * its process's exit would never reach the process's parent. */
        for (int64_t end = mono_ns() + REAP_WAIT_NS;;) {
            siginfo_t si;
            memset(&si, 0, sizeof si);
            if (waitid(P_PID, (id_t)e->tid, &si, WEXITED | WNOHANG | __WALL) != 0) {
                if (errno == EINTR)
                    continue;
                break; /* ECHILD: not ours any more */
            }
            if (si.si_pid != 0 || mono_ns() >= end)
                break;
            struct timespec ts = {0, 1000000L};
            nanosleep(&ts, NULL);
        }
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

/* Whether late thread `e` is worth waiting for: not a leader that has ended
 * (a zombie until the other threads end; it never stops). */
static int may_stop(const pyro_freeze_t *f, const fthread_t *e)
{
    if (reapable(f, e->tid))
        return 1; /* its end is collected by poll_stop */
    char st = pyro_task_state(f->pid, e->tid);
    return st != 'Z' && st != 'X' && st != '?';
}

/* Threads seized that had not stopped in time (T_LATE): let go of each one
 * as it stops, waiting for them until `deadline` (0: only look once).
 * Returns how many are still seized and not stopped. */
static uint32_t settle_late(pyro_freeze_t *f, int64_t deadline)
{
    for (int spin = 0;; spin++) {
        uint32_t pending = 0;
        for (uint32_t i = 0; i < f->n;) {
            fthread_t *e = &f->t[i];
            if (e->state != T_LATE) {
                i++;
                continue;
            }
            e->state = T_SEIZED;
            int r = poll_stop(f, e);
            if (r < 0)
                continue; /* dropped: entry i now holds another thread */
            if (r > 0) {
                release(f, e);
                continue;
            }
            e->state = T_LATE;
            pending += (uint32_t)may_stop(f, e);
            i++;
        }
        if (!pending || mono_ns() >= deadline)
            return pending;
        if (spin < 16) {
            sched_yield(); /* a runnable thread stops as soon as it gets a CPU */
        } else {
            long ns = spin < 24 ? 20000L : 200000L;
            struct timespec ts = {0, ns};
            nanosleep(&ts, NULL);
        }
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
            /* room first: a thread seized and then not kept could not be
             * detached before it stops */
            int rc = pyro_grow((void **)&f->t, &f->cap, f->n, sizeof *f->t);
            if (rc)
                return rc;
            if (ptrace(PTRACE_SEIZE, (pid_t)tid, NULL, NULL) != 0) {
                if (errno == ESRCH)
                    continue; /* ended meanwhile */
                char st = pyro_task_state(f->pid, tid);
                if (st == 'Z' || st == 'X' || st == '?')
                    continue; /* a zombie (a leader that ended before the others) */
                return errno == EPERM ? PYRO_EPERM : PYRO_EIO;
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
    settle_late(f, 0); /* any left from an earlier go */
    int rc = PYRO_OK;
    for (int pass = 0; pass < MAX_PASSES; pass++) {
        int added = seize_new(f, want_state);
        if (added < 0) {
            rc = added;
            break;
        }
        if (!added && pass)
            break; /* nobody new: every thread that can start one is held */
        wait_stops(f, mono_ns() + f->stop_wait_ns);
    }
    f->stopped = 1;
    if (rc) {
        wait_stops(f, mono_ns() + f->stop_wait_ns);
        pyro_freeze_go(f); /* late threads too */
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
    /* the late ones stop when they next run (the interrupt stays pending):
     * wait for that and let them go too */
    settle_late(f, mono_ns() + LATE_WAIT_NS);
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

void pyro_freeze_set_wait(pyro_freeze_t *f, int64_t ns) { f->stop_wait_ns = ns < 0 ? 0 : ns; }

void pyro_freeze_free(pyro_freeze_t *f)
{
    if (!f)
        return;
    pyro_freeze_go(f);
    /* late threads still not stopped (a long uninterruptible wait): a last
     * wait, then nothing more can be done before they stop (they are let go
     * when this thread or process ends) */
    settle_late(f, mono_ns() + LATE_WAIT_NS);
    close(f->taskfd);
    pyro_free(f->t);
    pyro_free(f);
}
