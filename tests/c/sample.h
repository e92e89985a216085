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

/* Render `p` in every format and throw the text away (for fuzz targets:
 * whatever a reader accepts must render without fault). */
void render_all(const pyro_profile_t *p);

#endif
