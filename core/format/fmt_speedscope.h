/* SPDX-License-Identifier: MIT */
/* fmt_speedscope: speedscope's file format (https://www.speedscope.app/
 * file-format-schema.json): one "sampled" profile per thread whose samples
 * are the distinct stacks of the calling-context tree, weighted by their own
 * time in seconds, over one shared frame table (the functions). A memory
 * profile's samples weigh bytes of the metric pyro_render_mem_metric picks
 * (unit "bytes"), and its frames are a function at a line (the line each
 * frame was executing). */
#ifndef PYRO_FMT_SPEEDSCOPE_H
#define PYRO_FMT_SPEEDSCOPE_H

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

/* Append ctx->p as a speedscope document. PYRO_OK or PYRO_ENOMEM. */
int pyro_fmt_speedscope(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

#endif
