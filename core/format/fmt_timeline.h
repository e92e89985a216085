/* SPDX-License-Identifier: MIT */
/* fmt_timeline: memory over time as a self-contained SVG chart, as `mprof
 * plot` draws it: the resident set size and the tracked heap against time
 * (the profile's "memory" series, core/record/timeline.h), the peak of each
 * marked with its size and time, and the biggest rises of the heap marked
 * with the function that was allocating. */
#ifndef PYRO_FMT_TIMELINE_H
#define PYRO_FMT_TIMELINE_H

#include "format/writer.h"

/* Write the chart of w->p. A profile without a "memory" series gets a chart
 * that says no timeline was recorded. PYRO_OK or PYRO_ENOMEM. */
int pyro_fmt_timeline(const pyro_write_ctx_t *w, pyro_buf_t *out);

#endif
