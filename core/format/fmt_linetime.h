/* SPDX-License-Identifier: MIT */
/* fmt_linetime: the report of exact line timing (a PYRO_MODE_LINES profile),
 * laid out as line_profiler's `kernprof -l -v` so that nobody has to learn
 * it: a "Timer unit" line, then per chosen function (its threads merged) the
 * total time, file, qualified name, first line and calls, and the columns
 * Line #, Hits, Time, Per Hit, % Time, Line Contents over every source line
 * from the function's first line to its last line that has code. Lines never
 * executed (and lines without code) are blank; a line's time includes the
 * calls it makes. The source is read from its file at render time (see
 * source.h for a file that cannot be read or has changed). Functions are in
 * the order of their file and first line, as line_profiler orders them.
 * Also the per-function, per-line sums the JSON writer shares. */
#ifndef PYRO_FMT_LINETIME_H
#define PYRO_FMT_LINETIME_H

#include <stdint.h>

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

/* One line of a function, threads merged. */
typedef struct pyro_lt_line {
    uint32_t line;
    int64_t hits, ns; /* times it began; time from its start to the frame's next line event */
} pyro_lt_line_t;

/* One chosen function, threads merged: its lines are lines[first .. first + n). */
typedef struct pyro_lt_func {
    uint32_t func;      /* index into the profile's functions */
    int64_t calls;      /* frames of it started */
    int64_t total_ns;   /* its roots' total_ns (the sum of its lines' time) */
    uint32_t first, n;  /* its lines, by line number */
    uint32_t last_line; /* its last line that has code (its first line when none) */
} pyro_lt_func_t;

/* The line times of a lines profile. */
typedef struct pyro_linetimes {
    pyro_lt_func_t *funcs; /* every Python function with a node, by file, first line, qualname */
    uint32_t nfuncs;
    pyro_lt_line_t *lines;
    uint32_t nlines;
} pyro_linetimes_t;

/* Sum the nodes of lines profile `p` per function and per (function, line)
 * over its threads into *t: a line-0 node gives its function's calls and
 * total_ns, any other node its line's hits and total_ns (negative values
 * count as 0, sums saturate). PYRO_OK or PYRO_ENOMEM (then *t holds nothing
 * to free). Free with pyro_linetimes_free. */
int pyro_linetimes_collect(const pyro_profile_t *p, pyro_linetimes_t *t);

/* Release what *t holds. */
void pyro_linetimes_free(pyro_linetimes_t *t);

/* The unit the report writes times in when none is asked for: the most
 * precise of ns, us, ms, s in which no per-hit time of the lines `t` holds
 * is under 1 (no finer than needed), then coarser while a line's or a
 * function's time would need 10 digits before the point (1e9 units) or a
 * per-hit time 7 (1e6 units). Only the functions whose `shown` entry is
 * non-zero count (shown may be NULL: all). A pyro_time_unit_t, never
 * PYRO_TIME_AUTO; us when nothing was timed. */
int pyro_linetime_auto_unit(const pyro_linetimes_t *t, const uint8_t *shown);

/* Append the report of lines profile ctx->raw to `out`: the functions
 * o->function selects (all when empty) in file and line order; when more
 * than o->limit (0 = no limit) are selected, the o->limit with the most time
 * (in file and line order). Times in o->unit, or the unit
 * pyro_linetime_auto_unit chooses. A function never called says so instead
 * of a table. PYRO_OK; PYRO_ENOMATCH when o->function selects no function
 * (nothing is appended); PYRO_ENOMEM (what was appended stays; the caller
 * discards it). */
int pyro_fmt_linetime(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

#endif
