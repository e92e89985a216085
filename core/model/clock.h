/* SPDX-License-Identifier: MIT */
/* clock: the time sources of the core. Per-event timestamps come from
 * pyro_clock_ticks(): the CPU's invariant time-stamp counter where the kernel
 * itself trusts it (about 10 ns a read), else CLOCK_MONOTONIC in ns (about
 * 23 ns). CPU time (a real system call on most VMs, ~500 ns) is only read at
 * coarse points, never per event. */
#ifndef PYRO_CLOCK_H
#define PYRO_CLOCK_H

#include <stdint.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

/* Non-zero when ticks are TSC cycles; set once by pyro_clock_init(). */
extern int pyro_clock_use_tsc;

/* Decide the tick source and calibrate it (a ~2 ms spin the first time;
 * later calls return at once). Thread-safe to call once before use; call it
 * before any tracer starts. Setting the environment variable
 * PYROMETER_CLOCK=monotonic forces CLOCK_MONOTONIC. */
void pyro_clock_init(void);

/* Nanoseconds per tick as calibrated by pyro_clock_init() (1.0 without TSC). */
double pyro_clock_ns_per_tick(void);

/* Human-readable tick source: "tsc" or "monotonic". */
const char *pyro_clock_source(void);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t pyro_clock_mono_ns(void);

/* CPU time (user + system) consumed by the calling thread, in nanoseconds. */
int64_t pyro_clock_thread_cpu_ns(void);

/* CPU time of the whole process, in nanoseconds. */
int64_t pyro_clock_process_cpu_ns(void);

/* Wall-clock time since the Unix epoch, in nanoseconds (for metadata). */
int64_t pyro_clock_realtime_ns(void);

/* The current tick count: cheap, monotonic, per-event. */
static inline int64_t pyro_clock_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
    if (pyro_clock_use_tsc)
        return (int64_t)__rdtsc();
#endif
    return pyro_clock_mono_ns();
}

#endif
