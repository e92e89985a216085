/* SPDX-License-Identifier: MIT */
/* freeze: every thread of another process stopped for the length of a read,
 * then let go, so that what is read is one consistent state (the opt-in
 * "blocking" sampling mode; the default never stops the target).
 *
 * Threads are stopped with ptrace (PTRACE_SEIZE + PTRACE_INTERRUPT) and
 * released with PTRACE_DETACH, so between reads the target is not traced at
 * all: signals reach it as usual, and a signal that arrives while a thread is
 * held is handed back to that thread when it is let go. A system call the
 * thread was blocked in is restarted by the kernel (sleeps keep their
 * deadline). A thread that does not stop within a few milliseconds (in an
 * uninterruptible wait, or not given a CPU on a busy machine) is read while
 * running and reported as not held; letting go waits for its stop too and
 * lets it go, so between reads no thread stays stopped or traced.
 *
 * ptrace ties a tracee to the tracing *thread*: every call on one freeze must
 * come from the same thread. A process cannot freeze itself. */
#ifndef PYRO_FREEZE_H
#define PYRO_FREEZE_H

#include <stdint.h>

typedef struct pyro_freeze pyro_freeze_t;

/* A freeze for process `pid` (nothing is stopped yet). PYRO_OK,
 * PYRO_EINVAL (pid is this process), PYRO_ENOPROC, PYRO_ENOMEM. */
int pyro_freeze_new(int pid, pyro_freeze_t **out);

/* Let go of every thread still held or seized (as pyro_freeze_go, waiting up
 * to another second for a thread that has not stopped yet), then free. A
 * thread that has not stopped even then (stuck in an uninterruptible wait)
 * is let go by the kernel when the calling thread ends. NULL is a no-op. */
void pyro_freeze_free(pyro_freeze_t *f);

/* Stop every thread of the process (threads started meanwhile too). With
 * `want_state`, each thread's run state is read from the kernel first (see
 * pyro_freeze_was_running). PYRO_OK (possibly with some threads not held),
 * PYRO_ENOPROC (the process is gone), PYRO_EPERM (ptrace is not permitted:
 * another tracer, or ptrace rules), PYRO_ESTATE (already stopped),
 * PYRO_ENOMEM. On error nothing stays stopped or traced, as after
 * pyro_freeze_go. */
int pyro_freeze_stop(pyro_freeze_t *f, int want_state);

/* Let every held thread go, with the signals that arrived meanwhile. A
 * thread that did not stop in time stops as soon as it runs (the stop
 * request cannot be taken back): it is waited for, up to a second, and let
 * go too, so afterwards no thread is stopped or traced. One still not
 * stopped after that (a long uninterruptible wait) stays traced and stops
 * when it wakes, until the next pyro_freeze_stop or pyro_freeze_free lets it
 * go. No-op when not stopped. */
void pyro_freeze_go(pyro_freeze_t *f);

/* While stopped: 1 if thread `tid` is held, 0 if not (it did not stop in
 * time, or started after the stop). */
int pyro_freeze_holds(const pyro_freeze_t *f, uint64_t tid);

/* While stopped, for a held thread after pyro_freeze_stop(f, 1): 1 if it was
 * running (or runnable) just before it was stopped, 0 if it was sleeping or
 * blocked, -1 if unknown. */
int pyro_freeze_was_running(const pyro_freeze_t *f, uint64_t tid);

typedef struct pyro_freeze_info {
    uint64_t stops;     /* successful pyro_freeze_stop calls */
    uint64_t held;      /* thread stops, summed over those calls */
    uint64_t late;      /* threads that did not stop in time */
    uint64_t signals;   /* signals that arrived while held, handed back */
    int64_t stopped_ns; /* time from the first stop request to the last release, summed */
} pyro_freeze_info_t;

/* The counters so far. */
void pyro_freeze_info(const pyro_freeze_t *f, pyro_freeze_info_t *out);

/* For tests: how long pyro_freeze_stop waits for each thread's stop before
 * reading it as not held (default 20 ms; negative is 0). A tiny wait makes
 * threads late on purpose. */
void pyro_freeze_set_wait(pyro_freeze_t *f, int64_t ns);

#endif
