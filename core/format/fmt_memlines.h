/* SPDX-License-Identifier: MIT */
/* fmt_memlines: memory_profiler's per-line table, in the report of a memory
 * profile (PYRO_MODE_MEMORY), for the functions the user chose: with
 * @profile, --function or --module when the profile was recorded (kept in
 * its metadata PYRO_MEMLINES_META), or with o->function at report time
 * (which replaces them). Per chosen function, in file and line order:
 *   - a header: its qualified name, file and first line, and what it and
 *     what it calls allocated, held at the peak and left live at exit;
 *   - every line of its source (from its first decorator to the end of its
 *     indented body, read at render time), each with, for the line itself
 *     (allocations whose innermost frame is that line) and including what the
 *     calls it makes allocated (memory_profiler's "Increment" includes callees;
 *     a recursive call is counted once per line), the bytes allocated, net (of
 *     those, still live at the end: never negative) and live at the peak, and
 *     the line's own allocation count; lines where nothing was recorded have a
 *     blank margin.
 * A chosen function with no allocation recorded (never called, or nothing it
 * allocated was sampled) is listed with its source and a blank margin. A
 * source that cannot be read is said so; the lines with numbers are then
 * listed by number. */
#ifndef PYRO_FMT_MEMLINES_H
#define PYRO_FMT_MEMLINES_H

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

/* The metadata that names the chosen functions: one per line, each
 * "FILE\tFIRSTLINE\tNAME\tQUALNAME" (FILE as the profile's functions name it,
 * co_filename; FIRSTLINE co_firstlineno; NAME co_name; QUALNAME what the
 * report shows). A function of the profile is chosen when its file, first
 * line and name are equal to an entry's; an entry no function matches was
 * never recorded (listed with no allocations). Malformed lines are skipped. */
#define PYRO_MEMLINES_META "mem_functions"

/* Append the section "Lines of the chosen functions" of memory profile
 * ctx->raw to `out`: the functions o->function selects among the profile's
 * Python functions (pyro_lines_match) when it is set, else those of the
 * metadata PYRO_MEMLINES_META; nothing when neither chooses any. PYRO_OK;
 * PYRO_ENOMATCH when o->function is set and selects no Python function
 * (nothing is appended); PYRO_ENOMEM (what was appended stays; the caller
 * discards it). */
int pyro_fmt_memlines(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

#endif
