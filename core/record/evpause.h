/* SPDX-License-Identifier: MIT */
/* evpause: exact attribution of a sampling event (evsample.h) in this
 * process. Reading a thread's stack after the kernel wakes the sampler is
 * late by the wake-up and the read (tens of microseconds): a burst of page
 * faults shorter than that lands on the next line. Armed, a thread's event
 * instead sends the thread itself a real-time signal at each overflow; the
 * handler (async-signal-safe: atomics, write, futex) says the thread waits,
 * wakes the sampler through its eventfd and waits until the sampler has
 * read its stack and releases it (or PYRO_EVPAUSE_TIMEOUT_NS passes: the
 * program never waits on a sampler that does not come). Only for threads
 * of this process: another process has no handler (a real-time signal
 * would kill it).
 *
 * The handler is installed once per process on a real-time signal nobody
 * has a handler for, and stays (a signal queued before the last event is
 * closed must find it). Its state is a fixed pool of PYRO_EVPAUSE_MAX
 * entries found by the event's descriptor (si_fd), never freed, so that a
 * handler that runs late never reads freed memory. */
#ifndef PYRO_EVPAUSE_H
#define PYRO_EVPAUSE_H

#include <stdint.h>
#include <sys/types.h>

#define PYRO_EVPAUSE_MAX 1024             /* threads armed at once */
#define PYRO_EVPAUSE_TIMEOUT_NS 2000000LL /* the longest a thread waits for its read */

typedef struct pyro_evpause pyro_evpause_t;

/* Install the process-wide handler (once; later calls return the same).
 * The signal it took, or -1 when no real-time signal is free or the
 * descriptor table cannot hold it. Thread-safe. */
int pyro_evpause_install(void);

/* Arm sampling event `perf_fd` (an evsample's, on thread `tid` of this
 * process) so that each overflow pauses the thread and writes 1 to the
 * eventfd `wake`. The entry, or NULL (nothing armed: no handler, the pool
 * is full, the descriptor is too large for the table, fcntl refused); the
 * event then only wakes its poller, as before. */
pyro_evpause_t *pyro_evpause_arm(int perf_fd, pid_t tid, int wake);

/* Whether the entry's thread is paused, waiting for its stack to be read. */
int pyro_evpause_waiting(const pyro_evpause_t *w);

/* Let the entry's thread go on (its stack has been read). */
void pyro_evpause_release(pyro_evpause_t *w);

/* Pauses that gave up waiting (the sampler did not come in time), and
 * forget them. */
uint64_t pyro_evpause_take_timeouts(pyro_evpause_t *w);

/* Disarm before closing the event: no more pauses, a waiting thread is let
 * go, the entry returns to the pool. NULL is a no-op. */
void pyro_evpause_disarm(pyro_evpause_t *w);

#endif
