/* SPDX-License-Identifier: MIT */
/* render: turns a profile into one of the output formats, chosen by name or
 * by a file's extension, with the options every textual format shares. */
#ifndef PYRO_RENDER_H
#define PYRO_RENDER_H

#include <stdint.h>

#include "model/buf.h"
#include "model/profile.h"

typedef enum pyro_format {
    PYRO_FMT_TABLE = 0,  /* cProfile-style table + callers/callees (text) */
    PYRO_FMT_TREE,       /* call tree with times and calls (text) */
    PYRO_FMT_PSTATS,     /* .prof: marshal data for pstats */
    PYRO_FMT_COLLAPSED,  /* folded stacks: "frame;frame value" lines */
    PYRO_FMT_JSON,       /* pyrometer's JSON document (docs/json-format.md) */
    PYRO_FMT_PYRO,       /* native binary .pyro */
    PYRO_FMT_REPORT,     /* the terminal report of the profile's mode: the table for traces;
                            for samples a call tree, the hottest lines and the threads */
    PYRO_FMT_SPEEDSCOPE, /* speedscope's JSON file format (one profile per thread) */
    PYRO_FMT_SVG,        /* a self-contained interactive flame graph */
    PYRO_FMT_COUNT
} pyro_format_t;

typedef struct pyro_render_opts {
    int sort;                 /* pyro_sort_t, for the table */
    uint32_t limit;           /* table rows (0 = all) */
    uint32_t ncallers;        /* table: callers/callees shown for this many top rows */
    int color;                /* emit ANSI colors (text formats) */
    double threshold;         /* tree: hide nodes below this fraction of the total */
    const char *strip_prefix; /* shorten paths under this directory ("" = none) */
    int cpu;                  /* sample profiles: CPU time instead of wall time */
    int show_all;             /* sample tree: show library frames instead of folding them */
    const char *title;        /* svg/speedscope: the title ("" = the profile's command) */
    const char *sys_path;     /* the program's sys.path, entries joined by ':' (NULL = not
                                 known): library paths are shown relative to the longest
                                 entry they lie below. pyro_render sets it from the
                                 profile's "sys_path" metadata. */
} pyro_render_opts_t;

/* Default options: cumulative sort, 30 rows, 5 caller blocks, no color,
 * 0.5% tree threshold, no path shortening. */
void pyro_render_defaults(pyro_render_opts_t *o);

/* Format by name: "table", "tree", "pstats"/"prof", "collapsed", "json",
 * "pyro", "report"/"text", "speedscope", "svg"; -1 if unknown. */
int pyro_format_parse(const char *name);

/* Format implied by a file name's extension (.prof .pstats .collapsed
 * .folded .speedscope.json .json .pyro .svg .txt); -1 if none matches. */
int pyro_format_from_path(const char *path);

/* Canonical name of a format ("table", ...). */
const char *pyro_format_name(int fmt);

/* Non-zero if the format needs the calling-context tree (a profile loaded
 * from a flat source cannot produce it). */
int pyro_format_needs_tree(int fmt);

/* Append the profile rendered as `fmt` to `out`. PYRO_OK, PYRO_EINVAL
 * (unknown format), PYRO_ENOTREE (a flat profile asked for a format that
 * needs the call tree) or PYRO_ENOMEM. */

int pyro_render(const pyro_profile_t *p, int fmt, const pyro_render_opts_t *o, pyro_buf_t *out);

/* ==== helpers shared by the format writers ==== */

/* How `file` is shown: a library file (pyro_render_is_library) relative to
 * its sys.path entry ("random.py", "asyncio/base_events.py"): the longest
 * entry of o->sys_path it lies below, else what follows ".../site-packages/",
 * ".../dist-packages/" or ".../lib/pythonX.Y/"; any other file relative to
 * o->strip_prefix when it lies below it; else `file` itself. The result
 * points into `file` (nothing is allocated). */
const char *pyro_render_path(const pyro_render_opts_t *o, const char *file);

/* Append the display name of function `f`: "qualname (path:line)" for
 * Python (the path as pyro_render_path shows it), cProfile's
 * "{built-in method ...}" label for C functions. */
void pyro_render_frame(const pyro_profile_t *p, uint32_t f, const pyro_render_opts_t *o,
                       pyro_buf_t *out);

/* Append a duration in seconds with a readable unit ("1.23s", "45.6ms",
 * "789us"), right-aligned in `width` columns (0 = no padding). Zero is
 * "0" in a column and "0s" without padding. */
void pyro_render_duration(pyro_buf_t *out, double seconds, int width);

/* Append a count, exact below a million, else "34.2M" / "1.5G". */
void pyro_render_count(pyro_buf_t *out, uint64_t n, int width);

/* A node ranked by a key, for ordering children: pyro_ranked_cmp sorts by
 * key, largest first, then by node index (a stable, deterministic order). */
typedef struct pyro_ranked {
    int64_t key;
    uint32_t node;
} pyro_ranked_t;

/* qsort comparator of pyro_ranked_t. */
int pyro_ranked_cmp(const void *a, const void *b);

/* Non-zero if `file` is library code (the standard library, site-packages,
 * frozen modules): what the sample tree folds unless show_all. */
int pyro_render_is_library(const char *file);

/* Append, as one sentence without a newline, why sample profile `p` holds
 * no samples and how to get some: the program ended before the first
 * sample (with the sampling interval, from the "rate_hz" metadata when
 * present); raise --rate or profile a longer run. */
void pyro_render_no_samples(const pyro_profile_t *p, pyro_buf_t *out);

/* ANSI escape for a role when color is on, "" when off. */

const char *pyro_color(const pyro_render_opts_t *o, const char *code);
#define PYRO_C_RESET "0"
#define PYRO_C_BOLD "1"
#define PYRO_C_DIM "2"
#define PYRO_C_RED "31"
#define PYRO_C_YELLOW "33"
#define PYRO_C_GREEN "32"
#define PYRO_C_CYAN "36"

#endif
