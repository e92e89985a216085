/* SPDX-License-Identifier: MIT */
/* fmt_lines: the statistical line view of a sample profile. For each of the
 * hottest Python functions (every function the profile sampled, no
 * decorator needed) it prints the function's source, read from its file at
 * render time, with each line's share of the function's wall time and CPU
 * time in the margin: including what the line calls, and its own (self)
 * share. Laid out as line_profiler's report: a header per function (name,
 * file, first line, totals), then "Line #", the numbers, "Line Contents";
 * lines never sampled have a blank margin. A source file that cannot be read,
 * or that changed since the profile was recorded (a sampled line past its
 * end, a first line that is not the function's def), is said so plainly. A
 * profile with the memory columns (run --memory) gets two more columns per
 * line, the bytes it allocated (its calls included) and of them live at the
 * peak, and its functions that allocated count as sampled. */
#ifndef PYRO_FMT_LINES_H
#define PYRO_FMT_LINES_H

#include <stdint.h>

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

/* Non-zero if function `f` of `p` is selected by `spec`: its qualified name
 * ("Class.method"; on a Python without co_qualname, whose profiles record
 * only the name, a dotted spec whose last part is the name), or
 * "file:qualname" where file is the function's file or a tail of its path
 * that starts after a '/' ("pkg/mod.py:f" selects "/src/pkg/mod.py:f"). A NULL
 * or empty spec selects every function; an `f` out of range none. */
int pyro_lines_match(const pyro_profile_t *p, uint32_t f, const char *spec);

/* Append the line view of sample profile ctx->raw (as recorded: nodes per
 * line) to `out`: the functions o->function selects (all when empty),
 * ordered by their total time on o->cpu's clock, the first o->limit of them
 * (0 = all). Source files are read here. PYRO_OK; PYRO_ENOMATCH when
 * o->function selects no sampled function (nothing is appended); PYRO_ENOMEM
 * (what was appended stays; the caller discards it). */
int pyro_fmt_lines(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

#endif
