/* SPDX-License-Identifier: MIT */
/* fmt_json: pyrometer's JSON document (schema in docs/json-format.md):
 * metadata, functions, threads, the calling-context tree as rows, and the
 * cProfile-compatible per-function statistics with their callers. */
#ifndef PYRO_FMT_JSON_H
#define PYRO_FMT_JSON_H

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

/* Append the JSON document to `out`: metadata, functions, threads and nodes
 * of ctx->raw (a sample profile's nodes keep their lines), the statistics
 * ctx->stats (required). PYRO_OK or PYRO_ENOMEM. */
int pyro_fmt_json(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

#endif
