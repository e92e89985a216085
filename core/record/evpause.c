/* SPDX-License-Identifier: MIT */
/* evpause: a thread stops itself at its event's overflow until its stack is read. */
#include "record/evpause.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FD_MAX 8192 /* descriptors the table can find an entry by */

struct pyro_evpause {
    atomic_int used;   /* taken from the pool */
    atomic_int armed;  /* overflows pause the thread */
    atomic_int paused; /* 1 while the thread waits in the handler */
    int fd, wake;
    atomic_ullong timeouts;
};

static struct pyro_evpause pool[PYRO_EVPAUSE_MAX];
static struct pyro_evpause *_Atomic by_fd[FD_MAX];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int signo = -1;

static long futex(atomic_int *word, int op, int val, const struct timespec *ts)
{
    return syscall(SYS_futex, (int *)word, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, 0);
}

/* The handler: async-signal-safe (atomics, write, futex), errno kept. */
static void on_overflow(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    int saved = errno;
    int fd = si->si_fd;
    struct pyro_evpause *w = fd >= 0 && fd < FD_MAX ? atomic_load(&by_fd[fd]) : NULL;
    if (w && atomic_load(&w->armed)) {
        atomic_store(&w->paused, 1);
        uint64_t one = 1;
        ssize_t n = write(w->wake, &one, sizeof one);
        (void)n; /* a full counter: the sampler is awake anyway */
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        while (atomic_load(&w->paused) == 1) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            int64_t left =
                PYRO_EVPAUSE_TIMEOUT_NS - ((int64_t)(now.tv_sec - start.tv_sec) * 1000000000LL +
                                           (now.tv_nsec - start.tv_nsec));
            if (left <= 0) {
                atomic_fetch_add(&w->timeouts, 1);
                break;
            }
            struct timespec ts = {(time_t)(left / 1000000000LL), (long)(left % 1000000000LL)};
            futex(&w->paused, FUTEX_WAIT, 1, &ts);
        }
        atomic_store(&w->paused, 0);
    }
    errno = saved;
}

static void install(void)
{
    for (int sig = SIGRTMAX - 1; sig > SIGRTMIN + 2; sig--) {
        struct sigaction old;
        if (sigaction(sig, NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
            (old.sa_flags & SA_SIGINFO))
            continue; /* somebody's: leave it */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_overflow;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        if (sigaction(sig, &sa, NULL) == 0) {
            signo = sig;
            return;
        }
    }
}

int pyro_evpause_install(void)
{
    pthread_once(&once, install);
    return signo;
}

pyro_evpause_t *pyro_evpause_arm(int perf_fd, pid_t tid, int wake)
{
    if (pyro_evpause_install() < 0 || perf_fd < 0 || perf_fd >= FD_MAX || wake < 0)
        return NULL;
    struct pyro_evpause *w = NULL;
    for (int i = 0; i < PYRO_EVPAUSE_MAX && !w; i++) {
        int free = 0;
        if (atomic_compare_exchange_strong(&pool[i].used, &free, 1))
            w = &pool[i];
    }
    if (!w)
        return NULL;
    w->fd = perf_fd;
    w->wake = wake;
    atomic_store(&w->paused, 0);
    atomic_store(&w->timeouts, 0);
    atomic_store(&w->armed, 1);
    atomic_store(&by_fd[perf_fd], w);
    struct f_owner_ex owner = {F_OWNER_TID, tid};
    int fl = fcntl(perf_fd, F_GETFL);
    if (fl < 0 || fcntl(perf_fd, F_SETSIG, signo) != 0 ||
        fcntl(perf_fd, F_SETOWN_EX, &owner) != 0 || fcntl(perf_fd, F_SETFL, fl | O_ASYNC) != 0) {
        pyro_evpause_disarm(w);
        return NULL;
    }
    return w;
}

int pyro_evpause_waiting(const pyro_evpause_t *w) { return w && atomic_load(&w->paused) == 1; }

void pyro_evpause_release(pyro_evpause_t *w)
{
    if (!w || atomic_load(&w->paused) != 1)
        return;
    atomic_store(&w->paused, 2); /* anything but 1: the handler's wait ends */
    futex(&w->paused, FUTEX_WAKE, 1, NULL);
}

uint64_t pyro_evpause_take_timeouts(pyro_evpause_t *w)
{
    return w ? atomic_exchange(&w->timeouts, 0) : 0;
}

void pyro_evpause_disarm(pyro_evpause_t *w)
{
    if (!w)
        return;
    atomic_store(&w->armed, 0);
    int fl = fcntl(w->fd, F_GETFL);
    if (fl >= 0)
        fcntl(w->fd, F_SETFL, fl & ~O_ASYNC); /* no more signals */
    struct pyro_evpause *expect = w;
    atomic_compare_exchange_strong(&by_fd[w->fd], &expect, NULL);
    pyro_evpause_release(w);
    atomic_store(&w->used, 0);
}
