/* SPDX-License-Identifier: MIT */
/* fmt_collapsed: folded stacks, one "frame;frame;frame value" line per call
 * path with self time (the input of FlameGraph, inferno and speedscope).
 * Frames read "qualname (path/file.py:LINE)"; the value is microseconds of
 * self time for traced profiles, samples for sample profiles, and for memory
 * profiles bytes of the metric pyro_render_mem_metric(o) picks (live at the
 * peak, allocated, leaked), each frame showing the line it was executing
 * (pyro_render_node_frame). Paths with no value are omitted. */
#ifndef PYRO_FMT_COLLAPSED_H
#define PYRO_FMT_COLLAPSED_H

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

/* Append the folded stacks of ctx->p to `out`. PYRO_OK or PYRO_ENOMEM. */
int pyro_fmt_collapsed(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

#endif
