/* SPDX-License-Identifier: MIT */
/* source: the Python source files the line reports print beside their
 * numbers (the statistical line view, fmt_lines, and the exact line timing
 * report, fmt_linetime). A file is read at render time and split into lines;
 * one that cannot be read (missing, not a regular file, too large), is not a
 * file at all ("<string>") or has changed since the profile was recorded (a
 * first line that is not the function's def, fewer lines than the profile
 * names) is said so in one plain sentence, the same in both reports. */
#ifndef PYRO_SOURCE_H
#define PYRO_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

#define PYRO_SOURCE_NOT_REGULAR (-1) /* pyro_source_t.err: a directory, a FIFO, a device */

/* A source file split into lines (starts[i] is where line i + 1 begins). */
typedef struct pyro_source {
    pyro_buf_t text;
    uint32_t *starts; /* offset of each line in text */
    uint32_t nlines, cap;
    int err; /* errno when the file could not be read, PYRO_SOURCE_NOT_REGULAR, else 0 */
} pyro_source_t;

/* Read `path` into *s (only a regular file, at most 64 MiB: a profile that
 * names a FIFO or a device must not block or flood the reader). PYRO_OK, with
 * s->err saying whether the file was read (0) or why not; PYRO_ENOMEM. Either
 * way *s is the caller's to release with pyro_source_free. */
int pyro_source_read(pyro_source_t *s, const char *path);

/* Release what *s holds (it can be read again). */
void pyro_source_free(pyro_source_t *s);

/* Line `n` (from 1) of `s` without its line ending, its length in *len;
 * NULL when past the end (or the file was not read). Points into `s`. */
const char *pyro_source_line(const pyro_source_t *s, uint32_t n, size_t *len);

/* Where function `fn` (named `name`) lies in `s`: *first..*last, from its
 * first line (decorators included) to the end of its indented body. Returns
 * 1 when its def line is found and names it, 0 when the source holds no such
 * def there (the file changed, or the function is not a def: a module, a
 * lambda, a comprehension; *first and *last are then fn->line). */
int pyro_source_def_extent(const pyro_source_t *s, const pyro_func_t *fn, const char *name,
                           uint32_t *first, uint32_t *last);

/* Append, when `s` (the source of `file`) could not be read, the line that
 * says so: "Source not shown: cannot read FILE (why); the WHAT lines by
 * number" (or "FILE is not a file" for "<string>" and its kind). `what`
 * names the lines that are listed anyway ("sampled", "timed"). Returns 1 if
 * it appended the line, 0 when the source was read (nothing appended). */
int pyro_source_unreadable(pyro_buf_t *out, const pyro_render_opts_t *o, const pyro_source_t *s,
                           const char *file, const char *what);

/* Append the line saying that `file` has changed since the profile was
 * recorded because line `line` of function `name` is not its def. */
void pyro_source_not_def(pyro_buf_t *out, const pyro_render_opts_t *o, const char *file,
                         uint32_t line, const char *name);

/* Append the line saying that `file`, read as `s`, has fewer lines than
 * the profile names (its line `line`). */
void pyro_source_too_short(pyro_buf_t *out, const pyro_render_opts_t *o, const pyro_source_t *s,
                           const char *file, uint32_t line);

/* The last source file read for rows shown one after another (rows of one
 * file often follow each other). Zero it to start; release with
 * pyro_source_free(&c->src). */
typedef struct pyro_source_cache {
    pyro_source_t src;
    const char *path; /* the file src holds (not owned), NULL: none */
} pyro_source_cache_t;

/* Append "  <text of line `line` of `file`>" in dim: leading blanks
 * stripped, cut with "..." past `max` columns (max > 3). Nothing for line 0,
 * a file named "<...>" or "~" (no source), or a line that cannot be read.
 * `file` must stay valid while it is c->path. PYRO_OK or PYRO_ENOMEM. */
int pyro_source_put_line(pyro_buf_t *out, const pyro_render_opts_t *o, pyro_source_cache_t *c,
                         const char *file, uint32_t line, size_t max);

#endif
