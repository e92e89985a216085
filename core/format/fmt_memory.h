/* SPDX-License-Identifier: MIT */
/* fmt_memory: the terminal report of a memory profile (PYRO_MODE_MEMORY),
 * made from its nodes (one per (function, line) frame on a call path, each
 * holding what the allocations made there did) and the recorder's summary
 * metadata (core/record/memtrack.h; any of it may be missing):
 *   - a header: the command, how allocations were recorded (every one, or *     sampled by bytes
 * with the mean interval and what that means for small allocations), and what was tracked (Python's
 * allocators; native allocations only when the metadata "mem_native" is "yes");
 *   - Summary: the peak of the tracked heap and when, peak RSS, bytes and
 *     allocations made, what was live at exit, the profiler's own memory,
 *     records dropped (only when some were);
 *   - Live at the peak, by line: per (function, line) over every stack and
 *     thread, largest first, with the share of the peak and the allocations
 *     of the line live at the peak (in a profile of an earlier version,
 *     without "mem_peak_allocs", those the line made, headed "made"), and its
 *     source;
 *   - Live at the peak, by stack, and Leaks (live at exit), by stack: the
 *     largest call paths, innermost frame first ("f (file:line)", then
 *     "< caller (file:line)" lines, at most PYRO_MEMORY_FRAMES of them; a run
 *     of one frame repeated, recursion on one line, is one line "... xN"), the
 *     thread named when the profile has several; with o->metric
 *     PYRO_M_ALLOC_BYTES an "Allocated, by stack" section too;
 *   - Top lines: per line, bytes allocated, freed, net (still live at
 *     exit) and allocations, by bytes allocated;
 *   - Threads (when more than one allocated): per thread the same totals;
 *   - Lines of the chosen functions (fmt_memlines): memory_profiler's per-line
 *     table of each function chosen (metadata, or o->function), when any is.
 * Sizes are binary (B, KiB, MiB, GiB with one decimal). Each section shows
 * at most o->limit rows (0 = all); the default limit (pyro_render_defaults)
 * shows PYRO_MEMORY_LINES lines and PYRO_MEMORY_STACKS stacks instead, so
 * that the whole report reads on one or two screens. Paths are shown by
 * pyro_render_path; colours when o->color (titles bold, column heads cyan,
 * the sizes of stacks live at the peak yellow, of leaks red, source dim). A profile without
 * allocations says "No allocations were recorded" and why that can be. */
#ifndef PYRO_FMT_MEMORY_H
#define PYRO_FMT_MEMORY_H

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

/* Rows per section under the default limit: lines, and stacks (several
 * lines each). */
#define PYRO_MEMORY_LINES 15
#define PYRO_MEMORY_STACKS 10
/* The frames shown of one stack, innermost first (the rest are counted). */
#define PYRO_MEMORY_FRAMES 8

/* Append the report of memory profile ctx->raw to `out` with options
 * ctx->o. PYRO_OK; PYRO_ENOMATCH when o->function selects no Python function
 * (pyro_fmt_memlines); PYRO_ENOMEM (what was appended stays). */
int pyro_fmt_memory(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

/* Append the memory part of another report of ctx->raw, a profile with the
 * memory columns and the recorder's metadata (a sample profile of run
 * --memory): a "Memory" title, how allocations were recorded and what was
 * tracked (as the header above), then Summary, Over time and Leaks by stack
 * as in the memory report ("No allocations were recorded." instead when
 * none were). PYRO_OK or PYRO_ENOMEM (what was appended stays). */
int pyro_fmt_memory_summary(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

#endif
