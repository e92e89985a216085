/* SPDX-License-Identifier: MIT */
/* fmt_table: the terminal table in pstats' layout (ncalls, tottime, percall,
 * cumtime, percall, filename:lineno(function)), followed by the callers and
 * callees of the top rows. */
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
