/* SPDX-License-Identifier: MIT */
/* evsample: one thread's sampling perf event — a counter of one event of
 * counters.h's table (page faults, context switches, cycles, ...) opened on
 * one thread with a sample period, so that the kernel marks it readable
 * (poll: POLLIN) each time the thread has made another `period` events.
 * Whoever waits on it (the sampler's thread) then reads the thread's stack
 * and attributes to it the events counted since the previous read: the
 * counts a profile gets add up to what the kernel counted, however late the
 * reader comes. The kernel's records are not read, only drained (the count
 * is what matters), so the ring buffer is the smallest one: two pages. */
#ifndef PYRO_EVSAMPLE_H
#define PYRO_EVSAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "record/counters.h"

/* A sampling event on one thread; -1 fd when not open. */
typedef struct pyro_evsample {
    int fd;        /* the perf event, or -1 */
    void *ring;    /* its mapped ring buffer (2 pages), or NULL */
    uint64_t last; /* the count at the previous pyro_evsample_take */
    int user_only; /* opened counting user space only (perf_event_paranoid) */
} pyro_evsample_t;

/* The period pyrometer samples `e` at when none is given (events per
 * sample): chosen so that a busy program makes about a thousand samples a
 * second or fewer. 0 when `e` is out of range. */
uint64_t pyro_evsample_default_period(pyro_event_t e);

/* Whether event `e` happens in the kernel's own code (context switches,
 * CPU migrations), so that a counter of user space only never sees one. */
int pyro_evsample_kernel_side(pyro_event_t e);

/* Make `s` (caller's storage) a sampling event with nothing open. */
void pyro_evsample_init(pyro_evsample_t *s);

/* Open event `e` on thread `tid` (0: the calling thread; a thread of
 * another process needs ptrace rights over it) sampling every `period`
 * events (1 or more), enabled now, with its ring buffer mapped. Refused
 * with EACCES/EPERM, it is opened again counting user space only, unless
 * the event is kernel-side (then that refusal stands). PYRO_OK; PYRO_EINVAL
 * (bad argument, or `s` already open); PYRO_EIO with *err set to the errno
 * of the failure (see pyro_counters_reason) and `s` left closed. */
int pyro_evsample_open(pyro_evsample_t *s, pid_t tid, pyro_event_t e, uint64_t period, int *err);

/* The file descriptor to poll for POLLIN (an overflow since the last
 * drain) and POLLHUP (the thread ended); -1 when not open. */
static inline int pyro_evsample_fd(const pyro_evsample_t *s) { return s->fd; }

/* The events counted since the previous take (or the open) into *delta,
 * and forget the kernel's records so that the next overflow wakes the
 * poller again. PYRO_OK, PYRO_EINVAL (not open) or PYRO_EIO (the read
 * failed: the thread may have ended; *delta 0). */
int pyro_evsample_take(pyro_evsample_t *s, uint64_t *delta);

/* Unmap and close (safe on a closed one); `s` is left as init makes it. */
void pyro_evsample_close(pyro_evsample_t *s);

#endif
