/* SPDX-License-Identifier: MIT */
/* fmt_combined: the per-line view of a sample profile that also carries the
 * memory columns (pyrometer run --memory: core/model/merge.h), Scalene's
 * combined view: one row per (function, line) over every path and thread,
 *
 *       time        allocated         net     at peak  line
 *   45.2%   1.23s   200.0 MiB   200.0 MiB   200.0 MiB  prog.py:4 keep  buf = ...
 *
 * the line's own share and amount of wall (or with o->cpu, CPU) time, then
 * the bytes its allocations took (allocated), of them still live at the end
 * (net) and live when the tracked heap peaked (at peak), where it is and its
 * source. The fmt_report writer puts it in place of its hottest lines when
 * the profile has the memory columns. */
#ifndef PYRO_FMT_COMBINED_H
#define PYRO_FMT_COMBINED_H

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

/* Append the combined per-line table of ctx->raw (a sample profile with the
 * memory columns) to `out`. Rows: the lines whose share of the time, of the
 * bytes allocated or of the bytes live at the peak reaches o->threshold,
 * ranked by the largest of those shares; or with o->metric set
 * (PYRO_M_PEAK_BYTES, _ALLOC_BYTES, _LEAKED_BYTES) the lines whose share of
 * that metric reaches o->threshold, ranked by its bytes;
 * at most o->limit rows (0 = all), the title saying how many of how many.
 * A profile without the memory columns, or with neither time nor bytes on any
 * line, gets nothing. PYRO_OK or PYRO_ENOMEM
 * (what was appended stays). */
int pyro_fmt_combined_lines(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

#endif
