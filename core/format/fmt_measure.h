/* SPDX-License-Identifier: MIT */
/* fmt_measure: what @pyrometer.measure prints — one line per measured call
 * and, at exit, the summary of every name (calls, and mean ± standard
 * deviation, min, max and total of wall and CPU time, memory change and
 * counters). Formats documented in docs/measure.md. */
#ifndef PYRO_FMT_MEASURE_H
#define PYRO_FMT_MEASURE_H

#include <stdint.h>

#include "model/buf.h"
#include "model/measure.h"

/* Append the line of one call named `name` to `out` (no newline):
 * "NAME: wall 1.234 ms  cpu 1.100 ms  heap +12 KiB  rss +0 B  page-faults 3"
 * then "  (raised)" when the call raised. Heap and RSS appear when measured;
 * event k (named evnames[k], k < nevents) when bit k of c->evmask is set.
 * PYRO_OK, PYRO_EINVAL for a NULL argument or nevents too large, or
 * PYRO_ENOMEM (from the buffer). */
int pyro_render_measure_call(const char *name, const pyro_mcall_t *c, const char *const *evnames,
                             uint32_t nevents, pyro_buf_t *out);

/* Append the summary table of `t` to `out`: a title line, then per name a
 * heading "NAME: N calls[, K raised]" and one row per figure it has (wall,
 * cpu, heap change, rss change, each counted event): mean ± standard
 * deviation, min, max, total. A table with no rows appends nothing.
 * PYRO_OK, PYRO_EINVAL for a NULL argument, or PYRO_ENOMEM. */
int pyro_render_measure_table(const pyro_mtable_t *t, pyro_buf_t *out);

#endif
