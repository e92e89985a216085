/* SPDX-License-Identifier: MIT */
/* fmt_gc: the garbage collector's section of a report, and its JSON object,
 * for a profile of any mode that holds a "gc" series (pyrometer run --gc;
 * core/record/gclog.h says what the series and the gc_* metadata hold):
 *   - collections, per generation; the total pause, per generation, and its
 *     share of the time watched (gc_run_ns); the longest pause, its
 *     generation and when; objects collected and uncollectable; in memory
 *     mode the bytes of the tracked heap the collections freed;
 *   - the lines where collections fired, by pause (at most o->limit rows,
 *     PYRO_GC_LINES under the default limit): collections, pause, the line
 *     and its function (merged rows, gc_rows_merged, make these approximate,
 *     and the section says so);
 *   - the types of the objects the collections freed, most first (series
 *     "gc_types"), or, when the metadata gc_types is "unavailable", that this
 *     Python cannot show them without changing the program (3.13+ can).
 * A profile without a "gc" series gets nothing from either function. */
#ifndef PYRO_FMT_GC_H
#define PYRO_FMT_GC_H

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

/* Rows of the lines and types tables under the default limit. */
#define PYRO_GC_LINES 10

/* Append the "Garbage collector" section of ctx->raw to `out` (nothing
 * without a "gc" series). PYRO_OK or PYRO_ENOMEM (what was appended stays). */
int pyro_fmt_gc(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

/* Append `,\n"gc":{...}` to `out`, the JSON object of `p`'s collections
 * (docs/json-format.md), or nothing without a "gc" series. PYRO_OK or
 * PYRO_ENOMEM. */
int pyro_fmt_gc_json(const pyro_profile_t *p, pyro_buf_t *out);

#endif
