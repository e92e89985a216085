/* SPDX-License-Identifier: MIT */
/* fmt_table: the terminal table in pstats' layout (ncalls, tottime, percall,
 * cumtime, percall, filename:lineno(function)), followed by the callers and
 * callees of the top rows. A sample profile's table (a view with
 * PYRO_VIEW_CALLS) counts samples instead: "N samples in X seconds (wall
 * clock, R Hz)", columns samples (with the function on the stack, recursion
 * once), owntime and cumtime; the ncalls order is by those samples. */
#ifndef PYRO_FMT_TABLE_H
#define PYRO_FMT_TABLE_H

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

/* Append the table for ctx->p (with its statistics ctx->stats, required) to
 * `out`, sorted, limited and colored as ctx->o says. PYRO_OK or
 * PYRO_ENOMEM. */
int pyro_fmt_table(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

#endif
