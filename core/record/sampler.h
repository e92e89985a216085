/* SPDX-License-Identifier: MIT */
/* sampler: a statistical profile of a CPython process (another one, or this
 * one) built from its threads' stacks read at a fixed rate by a background
 * thread that never takes the GIL and never stops the target (unless asked
 * to: opts.blocking).
 *
 * Every sample weighs the wall time since the previous one, so the profile's
 * time adds up to the time recorded even when a sample comes late; each
 * thread's CPU time over the same interval (from the kernel's schedstat)
 * gives the CPU view, and marks the sample running (it used at least half the
 * interval) or idle. Samples aggregate into a calling-context tree keyed by
 * (function, line): memory grows with distinct stacks, not with time. */
#ifndef PYRO_SAMPLER_H
#define PYRO_SAMPLER_H

#include <stdint.h>

#include "model/profile.h"
#include "remote/pyproc.h"

/* The sampling rate's range and default (samples per second): the one owner
 * of these numbers, which the extension exposes to the CLI and the API. */
#define PYRO_SAMPLER_RATE_MIN 1.0
#define PYRO_SAMPLER_RATE_MAX 100000.0
#define PYRO_SAMPLER_RATE_DEFAULT 1000.0
/* The default of `run --memory`, whose allocator hooks already cost the
 * program about a tenth: a sample costs the sampler's thread 45-65 us of
 * CPU on a VM whose every wake-up is 20 us or more, 5% of a core at 1 kHz,
 * and 250 a second (4 ms apart, 2.5 times Scalene's CPU sampling) keeps
 * the two together within 1.15x. */
#define PYRO_SAMPLER_RATE_MEMORY 250.0

/* Non-zero if `rate_hz` lies in [PYRO_SAMPLER_RATE_MIN, PYRO_SAMPLER_RATE_MAX]
 * (NaN does not). */
int pyro_sampler_rate_ok(double rate_hz);

typedef struct pyro_sampler_opts {
    double rate_hz; /* samples per second, PYRO_SAMPLER_RATE_MIN to _MAX */
    /* In-process runs: the program's code object and the thread running it.
     * On that thread, frames outside the program's (pyrometer's own) are
     * dropped, and samples without it are not counted. 0 = no filter. */
    uint64_t root_code;
    uint64_t root_ident;
    /* Optional: names threads. Called on the sampling thread with the
     * idents of threads not yet named (every 100 ms while some are, and
     * about 1 ms after a new thread is first sampled); writes each name
     * (NUL-terminated, "" if unknown) into names[i]. NULL: names are read
     * from the target's memory (threading._active), which needs no GIL
     * (in-process too) and is retried when a thread is not registered yet. */
    void (*namer)(void *ctx, uint32_t n, const uint64_t *idents, char (*names)[64]);
    void *namer_ctx;
    /* Stop the target's threads for each round (pyro_freeze), so that every
     * stack is exact; another process only. The target then pauses for each
     * round: opt-in. Use either the background thread or
     * pyro_sampler_sample, not both. */
    int blocking;
    /* Sample on an event too (run --event): when event_on, each thread gets
     * a sampling perf event (evsample.h) of `event` every `event_period`
     * events, opened when the thread is first seen, and the background
     * thread, between its timed rounds, waits on them: at each overflow it
     * reads the stacks and adds the events the overflowing threads counted
     * since their previous sample to their stacks (columns "events" and
     * "event_samples"). Check first that the event opens (pyro_evsample_open
     * on the target's main thread): a thread whose event cannot be opened
     * is counted in info.event_threads_missed. Not with blocking. */
    int event_on;
    int event;             /* a pyro_event_t */
    uint64_t event_period; /* events per sample, 1 or more */
} pyro_sampler_opts_t;

typedef struct pyro_sampler_info {
    uint64_t samples;              /* sampling rounds taken */
    uint64_t missed;               /* rounds skipped because the sampler ran late */
    uint64_t partial;              /* thread stacks that could not be read to the end */
    uint64_t rereads;              /* stacks read again because they changed while being read */
    int64_t paused_ns;             /* blocking: time the target's threads were held */
    uint64_t late;                 /* blocking: threads that did not stop in time, read running
                                      (the only ones whose stacks may come out partial) */
    int64_t elapsed_ns;            /* wall time covered by the rounds */
    int64_t cpu_ns;                /* CPU time the sampling thread used */
    uint64_t event_samples;        /* event_on: overflows handled */
    uint64_t event_counted;        /* events counted on every thread (read at the samples) */
    uint64_t event_attributed;     /* of which added to a stack */
    uint32_t event_threads_missed; /* threads whose event could not be opened */
    uint64_t event_late;           /* samples whose thread stopped waiting for the read */
    int event_errno;               /* the first such open's errno (0 if none) */
    int event_user_only;           /* some event counted user space only */
    int ended;                     /* the target exited: sampling stopped by itself */
    int error;                     /* the error that stopped sampling (PYRO_OK if none) */
} pyro_sampler_info_t;

typedef struct pyro_sampler pyro_sampler_t;

/* A sampler of the process `pp` describes (from pyro_pyproc_open). PYRO_OK,
 * PYRO_EINVAL (a rate out of range; blocking on this process), PYRO_EPERM
 * (blocking, and the threads may not be stopped: checked once here),
 * PYRO_ENOPROC or PYRO_ENOMEM. Free with pyro_sampler_free. */
int pyro_sampler_new(const pyro_pyproc_t *pp, const pyro_sampler_opts_t *o, pyro_sampler_t **out);

/* Stop (if running) and free everything. NULL is a no-op. */
void pyro_sampler_free(pyro_sampler_t *s);

/* Start the background thread. PYRO_OK, PYRO_EINVAL (already started) or
 * PYRO_ENOMEM (no thread could be created). */
int pyro_sampler_start(pyro_sampler_t *s);

/* Stop the background thread and wait for it; safe when not started. */
void pyro_sampler_stop(pyro_sampler_t *s);

/* Non-zero once the background thread has ended by itself (the target
 * exited, or an error). */
int pyro_sampler_finished(pyro_sampler_t *s);

/* Take one sample now on the calling thread, weighing `weight_ns` (for tests
 * and single-shot use; not while the background thread runs). PYRO_OK,
 * PYRO_ENOPROC (the target exited), PYRO_EPERM or PYRO_ENOMEM. */
int pyro_sampler_sample(pyro_sampler_t *s, int64_t weight_ns);

/* Move the profile recorded so far to *out (the caller frees it) and start
 * a new, empty one; thread-safe while sampling. Metadata: mode, rate, the
 * target's pid and Python version, the counters of pyro_sampler_info; with
 * an event: "event" (its name), "event_period", "event_samples",
 * "event_counted" (every thread's count so far, including what no sample
 * has claimed yet), "event_attributed", "event_user_only" (1 or 0), "event_paused" (1: the
 * threads stopped at each overflow until their stacks were read, this
 * process; 0: read after the wake-up), "event_late" (paused samples whose
 * thread stopped waiting first) and,
 * when a thread's event could not be opened, "event_threads_missed".
 * PYRO_OK or PYRO_ENOMEM. */
int pyro_sampler_take(pyro_sampler_t *s, pyro_profile_t **out);

/* Ask the namer (if any) now, on the calling thread, for the threads not
 * named yet. PYRO_OK or PYRO_ENOMEM. */
int pyro_sampler_name_threads(pyro_sampler_t *s);

/* The counters so far (thread-safe). */
void pyro_sampler_info(pyro_sampler_t *s, pyro_sampler_info_t *out);

#endif
