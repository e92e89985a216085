/* SPDX-License-Identifier: MIT */
/* session: session ids, thread identity and tick rates for the engines. */
#include "record/session.h"

#include <errno.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "model/clock.h"

static uint64_t next_gen = 1;

uint64_t pyro_session_gen(void) { return __atomic_fetch_add(&next_gen, 1, __ATOMIC_RELAXED); }

void pyro_session_thread_ids(uint64_t *ident, uint64_t *native)
{
    *ident = (uint64_t)pthread_self();
    *native = (uint64_t)syscall(SYS_gettid);
}

void pyro_session_join(pthread_t thread, const uint64_t *tid)
{
    pthread_join(thread, NULL);
    uint64_t t = *tid; /* written by the thread before it ended: the join orders it */
    if (!t)
        return;
    long pid = (long)getpid();
    for (int i = 0; i < 2000; i++) { /* 2000 x 100 us: 0.2 s at most */
        if (syscall(SYS_tgkill, pid, (long)t, 0) != 0 && errno == ESRCH)
            return; /* released: no longer one of the process's threads */
        struct timespec pause = {0, 100000};
        nanosleep(&pause, NULL);
    }
}

double pyro_session_ns_per_tick(int64_t elapsed_mono, int64_t elapsed_ticks)
{
    double npt = pyro_clock_ns_per_tick();
    if (pyro_clock_use_tsc && elapsed_mono > 100000000 && elapsed_ticks > 0)
        npt = (double)elapsed_mono / (double)elapsed_ticks;
    return npt;
}
