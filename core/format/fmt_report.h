/* SPDX-License-Identifier: MIT */
/* fmt_report: the terminal report of a sample profile: a summary line, the
 * call tree (library frames folded), the hottest lines with their source,
 * one row per thread (name, wall and CPU time, on-CPU and GIL shares), and a
 * line that points to the line view (fmt_lines). */
#ifndef PYRO_FMT_REPORT_H
#define PYRO_FMT_REPORT_H

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

/* Append the report of sample profile ctx->raw to `out`; ctx->p is its view
 * with lines merged and the clock chosen (pyro_profile_view). PYRO_OK or
 * PYRO_ENOMEM. */
int pyro_fmt_report(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

#endif
