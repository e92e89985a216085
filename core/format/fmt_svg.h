/* SPDX-License-Identifier: MIT */
/* fmt_svg: an interactive flame graph in one self-contained SVG file (no
 * network, no external script): hover shows a frame's full name (the file's
 * full path), time (a memory profile: bytes of the metric pyro_render_mem_metric
 * picks, each frame at the line it was executing) and share, click zooms into it, Search highlights
 * frames matching a regular expression and shows their share. Labels show library paths short
 * (pyro_render_path). Laid out 1200 pixels wide in the file; in a browser it takes the window's
 * width and lays out again on resize. Frames narrower than 1/10000 of the total are left out; a
 * profile without time says why in place of the frames. */
#ifndef PYRO_FMT_SVG_H
#define PYRO_FMT_SVG_H

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

/* Append ctx->p as an SVG flame graph. PYRO_OK or PYRO_ENOMEM. */
int pyro_fmt_svg(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

#endif
