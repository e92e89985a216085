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

/* Render `p` in every format and throw the text away (for fuzz targets:
 * whatever a reader accepts must render without fault). */
void render_all(const pyro_profile_t *p);

#endif
