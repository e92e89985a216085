/* SPDX-License-Identifier: MIT */
/* render: turns a profile into one of the output formats, chosen by name or
 * by a file's extension, with the options every textual format shares. */
#ifndef PYRO_RENDER_H
#define PYRO_RENDER_H

#include <stddef.h>
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

/* The format of a profile rendered without naming one (and of pyrometer's
 * output without -o): the terminal report. */
#define PYRO_FMT_DEFAULT PYRO_FMT_REPORT

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

/* The i-th file name extension pyro_format_from_path recognizes (".prof",
 * ...; i from 0), its format stored in *fmt (may be NULL); NULL when i is
 * past the last. The static table is the one list of extensions. */
const char *pyro_format_extension(size_t i, int *fmt);

/* Non-zero if the format's output is bytes rather than text (pstats, pyro). */
int pyro_format_is_binary(int fmt);

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

/* `file` relative to o->strip_prefix when it lies below it, else `file`. */
const char *pyro_render_path(const pyro_render_opts_t *o, const char *file);

/* Append the display name of function `f`: "qualname (path:line)" for
 * Python, cProfile's "{built-in method ...}" label for C functions. */
void pyro_render_frame(const pyro_profile_t *p, uint32_t f, const pyro_render_opts_t *o,
                       pyro_buf_t *out);

/* Append a duration in seconds with a readable unit ("1.23s", "45.6ms",
 * "789us"), right-aligned in `width` columns (0 = no padding). */
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
