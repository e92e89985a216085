/* SPDX-License-Identifier: MIT */
/* fmt_collapsed: folded stacks, one "frame;frame;frame value" line per call
 * path with self time (the input of FlameGraph, inferno and speedscope).
 * Frames read "qualname (path/file.py:LINE)"; the value is microseconds of
 * self time for traced profiles. Paths with no self time are omitted. */
#ifndef PYRO_FMT_COLLAPSED_H
#define PYRO_FMT_COLLAPSED_H

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

/* Append the folded stacks of ctx->p to `out`. PYRO_OK or PYRO_ENOMEM. */
int pyro_fmt_collapsed(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

#endif
