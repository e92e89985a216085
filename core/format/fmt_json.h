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

/* Append the JSON document of lines profile ctx->raw (exact line timing) to
 * `out`: format, version, mode, metadata, threads, then per function
 * (threads merged, in file and line order) its names, file, first and last
 * line, calls, total_ns and every line that has code with its hits and
 * total_ns (docs/json-format.md). PYRO_OK or PYRO_ENOMEM. */
int pyro_fmt_json_lines(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

/* Append the JSON document of memory profile ctx->raw to `out`: format,
 * version, mode "memory", metadata, "summary" (the recorder's figures of
 * core/record/memtrack.h that the metadata holds, as integers under their
 * metadata names), functions, threads and the tree's rows with every metric
 * column (docs/json-format.md, "Memory profiles"). PYRO_OK or PYRO_ENOMEM. */
int pyro_fmt_json_memory(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

#endif
