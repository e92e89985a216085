/* SPDX-License-Identifier: MIT */
/* clock: tick-source selection and TSC calibration. */

#include "model/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int pyro_clock_use_tsc = 0;
static double ns_per_tick = 1.0;
static int initialized = 0;

static int64_t read_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t pyro_clock_mono_ns(void) { return read_clock(CLOCK_MONOTONIC); }
int64_t pyro_clock_thread_cpu_ns(void) { return read_clock(CLOCK_THREAD_CPUTIME_ID); }
int64_t pyro_clock_process_cpu_ns(void) { return read_clock(CLOCK_PROCESS_CPUTIME_ID); }
int64_t pyro_clock_realtime_ns(void) { return read_clock(CLOCK_REALTIME); }

/* The kernel only uses the TSC as its clocksource when it found it invariant
 * and synchronized across CPUs; we follow its judgement. */
static int kernel_trusts_tsc(void)
{
    FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
    if (!f)
        return 0;
    char name[64] = {0};
    int ok = fgets(name, sizeof name, f) != NULL && strncmp(name, "tsc", 3) == 0;
    fclose(f);
    return ok;
}

void pyro_clock_init(void)
{
    if (initialized)
        return;
    initialized = 1;
#if defined(__x86_64__) || defined(__i386__)
    const char *force = getenv("PYROMETER_CLOCK");
    if (force && strcmp(force, "monotonic") == 0)
        return;
    if (!kernel_trusts_tsc())
        return;
    /* calibrate against CLOCK_MONOTONIC over ~2 ms, best of 3 */
    double best = 0;
    for (int round = 0; round < 3; round++) {
        int64_t m0 = pyro_clock_mono_ns();
        uint64_t t0 = __rdtsc();
        int64_t m1;
        do {
            m1 = pyro_clock_mono_ns();
        } while (m1 - m0 < 700000);
        uint64_t t1 = __rdtsc();
        if (t1 <= t0)
            return;
        double r = (double)(m1 - m0) / (double)(t1 - t0);
        if (round == 0 || r < best)
            best = r;
    }
    if (best <= 0 || best > 100.0) /* < 10 MHz: not a sane TSC */
        return;
    ns_per_tick = best;
    pyro_clock_use_tsc = 1;
#endif
}

double pyro_clock_ns_per_tick(void) { return ns_per_tick; }

const char *pyro_clock_source(void) { return pyro_clock_use_tsc ? "tsc" : "monotonic"; }
