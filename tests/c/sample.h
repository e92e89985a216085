/* SPDX-License-Identifier: MIT */
/* sample: a known profile for tests and fuzz seeds. */
#ifndef PYRO_SAMPLE_H
#define PYRO_SAMPLE_H

#include "model/profile.h"

/* A new two-thread profile ("MainThread" 101, "worker" 102) with metadata,
 * a recursive path (Job.work under <module>) and a C function called a
 * million times. The caller frees it. */
pyro_profile_t *sample_profile(void);

/* The same tree as a sample profile (line 0): one sample a millisecond of
 * the trace's self time, half of them running, all holding the GIL, CPU time
 * half the wall time; totals filled. The caller frees it. */
pyro_profile_t *sample_profile_sampled(void);

/* The source of the lines profile's program (tests/data/lines/prog.py holds
 * the same text): work() at line 3 (decorated), never() at line 14. */
extern const char SAMPLE_LINES_SOURCE[];

/* A lines profile (exact line timing) of SAMPLE_LINES_SOURCE stored at
 * `file`: work() called twice on MainThread and once on "worker", each line
 * with hits and time (line 10 has code but never ran; line 11 sleeps 0.1 s a
 * hit), and never() chosen but never called. The caller frees it. */
pyro_profile_t *sample_profile_lines(const char *file);

/* The source of the memory profile's program (line numbers as the profile
 * names them). */
extern const char SAMPLE_MEMORY_SOURCE[];

/* A memory profile of SAMPLE_MEMORY_SOURCE stored at `file`, recorded with
 * sampling interval `interval` (0 = exact; written as mem_interval), two
 * threads:
 *   MainThread: <module>:17 > keep:4 allocates 200 MiB once, kept to the end
 *     (live at the peak, leaked); <module>:18 > churn:7 100 MiB once, live at
 *     the peak and freed later; <module>:19 > strings:11 1000 allocations of
 *     50 B, leaked (after the peak), and <module>:19 itself 8056 B once,
 *     leaked; <module>:20 > deep:14 (13 frames deep) > deep:15 1 MiB, leaked;
 *   worker: churn:7 (a root) 50 MiB once, freed, not live at the peak.
 * Peak 300 MiB at 1.234 s of 2.5 s, RSS peak 350 MiB, 64 KiB of the
 * profiler's own, nothing dropped, command "prog.py". The caller frees it. */
pyro_profile_t *sample_profile_memory(const char *file, int64_t interval);

/* Render `p` in every format and throw the text away (for fuzz targets:
 * whatever a reader accepts must render without fault). */
void render_all(const pyro_profile_t *p);

#endif
