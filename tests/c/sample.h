/* SPDX-License-Identifier: MIT */
/* sample: a known profile for tests and fuzz seeds. */
#ifndef PYRO_SAMPLE_H
#define PYRO_SAMPLE_H

#include "model/profile.h"

/* A new two-thread profile ("MainThread" 101, "worker" 102) with metadata,
 * a recursive path (Job.work under <module>) and a C function called a
 * million times. The caller frees it. */
pyro_profile_t *sample_profile(void);

/* Render `p` in every format and throw the text away (for fuzz targets:
 * whatever a reader accepts must render without fault). */
void render_all(const pyro_profile_t *p);

#endif
