/* SPDX-License-Identifier: MIT */
/* meter: the readings @pyrometer.measure takes around a call — the
 * monotonic clock, the calling thread's CPU clock, the process's resident
 * set (RSS) and the calling thread's counting events (record/counters.h) —
 * and a span that turns them into one call's figures (model/measure.h).
 * A span runs in steps: a plain call is one step (start .. stop); a
 * coroutine is resumed and paused around each of its own steps, so that
 * its CPU time and counters are its own, not those of the tasks that ran
 * while it awaited. Wall clock, heap and RSS are taken at start and stop.
 *
 * Each thread opens its counters on its first reading, as a counting set
 * on that thread only (perf_event_open's pid 0), every software and
 * hardware event of the table that this machine allows; they stay open
 * until the thread exits (a thread-specific key closes them) and are
 * opened again in a child after fork (so is the thread's /proc/self/statm,
 * read for the RSS). Thread-safe: the only shared state is
 * that key. */
#ifndef PYRO_METER_H
#define PYRO_METER_H

#include <stdint.h>

#include "model/measure.h"
#include "record/counters.h"

/* A span in progress. Caller's storage; zero it or let pyro_span_start
 * fill it. Not shared between threads at the same moment. */
typedef struct pyro_span {
    uint32_t events; /* the events asked for (bit e: pyro_event_t e) */
    uint32_t evmask; /* the events counted in every step so far */
    int running;     /* 1: between resume and pause */
    int64_t wall0;   /* monotonic ns at start */
    int64_t rss0;    /* bytes at start, or -1 */
    int64_t heap0;   /* bytes at start, or -1 */
    int64_t cpu0;    /* thread CPU ns at the last resume */
    int64_t cpu;     /* thread CPU ns of the steps that ended */
    double ev0[PYRO_EV_COUNT];
    double ev[PYRO_EV_COUNT];
} pyro_span_t;

/* The resident set of this process now, in bytes, from /proc/self/statm
 * (kept open by the calling thread, read again with pread), or -1 when it
 * cannot be read. errno is left as it was. */
int64_t pyro_meter_rss(void);

/* The events this thread's counters count (bit e for event e): opens them
 * on the thread's first call. 0 when none could be opened (out of memory,
 * no perf_event_open, or none allowed). */
uint32_t pyro_meter_available(void);

/* Close the calling thread's counters now and free what it kept (the next
 * reading opens them again). A thread that exits does this by itself; the
 * main thread may call it before the end (tests count their memory). */
void pyro_meter_release(void);

/* Start span `s` for events `events` (bits of pyro_event_t; events this
 * thread cannot count are left out of the call's figures), with the
 * tracked heap now `heap` (bytes, or -1 when no tracker runs), and resume
 * it (its first step starts). */
void pyro_span_start(pyro_span_t *s, uint32_t events, int64_t heap);

/* Begin a step of `s` on the calling thread (no-op when it runs). */
void pyro_span_resume(pyro_span_t *s);

/* End the step of `s` that runs: its thread CPU time and counters are
 * added to the span (no-op when it does not run). */
void pyro_span_pause(pyro_span_t *s);

/* Pause `s` if it runs and fill *out with its figures: wall time from
 * start, CPU and counters summed over its steps, heap (`heap` now, -1 when
 * no tracker runs: then no heap figure) and RSS change. `failed` is
 * copied into out->failed. */
void pyro_span_stop(pyro_span_t *s, int64_t heap, int failed, pyro_mcall_t *out);

#endif
