/* SPDX-License-Identifier: MIT */
/* writer: what every format writer shares: the rendering options, the
 * context a writer is called with (pyro_write_ctx_t), and the helpers that
 * name frames and paths and print durations, counts and colours. A writer
 * includes this header, never render.h: the dispatch (render.c) includes the
 * writers, and the writers include only this. */
#ifndef PYRO_WRITER_H
#define PYRO_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "model/buf.h"
#include "model/profile.h"
#include "model/stats.h"

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
    const char *function;     /* lines view and lines report: the functions shown, by qualname
                                 or file:qualname (NULL or "" = all; pyro_lines_match) */
    int unit;                 /* lines report: the unit of its times, a pyro_time_unit_t
                                 (PYRO_TIME_AUTO: chosen from the data) */
    int metric;               /* memory profiles: what flame graphs, folded stacks, speedscope
                                 and the report's ranking weigh by, a pyro_metric_t
                                 (PYRO_M_PEAK_BYTES, _ALLOC_BYTES or _LEAKED_BYTES); -1 = the
                                 default, live at the peak */
} pyro_render_opts_t;

/* Default options: cumulative sort, 30 rows, 5 caller blocks, no color,
 * 0.5% tree threshold, no path shortening, the time unit chosen from the
 * data. */
void pyro_render_defaults(pyro_render_opts_t *o);

/* The units a report's times can be given in (the lines report's --unit). */
typedef enum pyro_time_unit {
    PYRO_TIME_AUTO = 0, /* chosen from the data */
    PYRO_TIME_S,
    PYRO_TIME_MS,
    PYRO_TIME_US,
    PYRO_TIME_NS,
    PYRO_TIME_COUNT
} pyro_time_unit_t;

/* The unit named `name` ("s", "ms", "us", "ns"; "" or "auto" for
 * PYRO_TIME_AUTO), or -1 if none. */
int pyro_time_unit_parse(const char *name);

/* A unit's name ("auto", "s", "ms", "us", "ns"), "?" if out of range. */
const char *pyro_time_unit_name(int unit);

/* Nanoseconds in one unit (1e9 for "s" ... 1 for "ns"); 0 for PYRO_TIME_AUTO
 * and out of range. */
int64_t pyro_time_unit_ns(int unit);

/* ==== the writer interface ==== */

/* What a writer is called with. render.c's format table says, per format and
 * mode, which view of the profile `p` is and whether `stats` are computed. */
typedef struct pyro_write_ctx {
    const pyro_profile_t *p;     /* the profile to write: as recorded, or the view of it the
                                    format asks for (sample profiles: lines merged, the
                                    clock chosen, samples counted as calls) */
    const pyro_profile_t *raw;   /* the profile as recorded (== p when no view is made) */
    const pyro_stats_t *stats;   /* per-function statistics of p, when the format asks for
                                    them; else NULL */
    const pyro_render_opts_t *o; /* the options (never NULL) */
} pyro_write_ctx_t;

/* A writer: append the output of one format for `w` to `out`. PYRO_OK, or
 * PYRO_ENOMEM (whatever was appended stays; the caller discards it). */
typedef int (*pyro_writer_fn)(const pyro_write_ctx_t *w, pyro_buf_t *out);

/* ==== helpers shared by the writers ==== */

/* The title of an svg or speedscope document: o->title when set, else the
 * profile's "command" metadata, else "pyrometer profile". Never NULL; the
 * string belongs to `o` or `p`. */
const char *pyro_render_title(const pyro_profile_t *p, const pyro_render_opts_t *o);

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

/* Append the `len` bytes at `s` as XML text: <, >, & and " escaped, control
 * characters other than tab dropped. */
void pyro_render_xml(pyro_buf_t *out, const char *s, size_t len);

/* Append a sparkline of column `col` of series `s` (time in column 0):
 * `width` marks from U+2581 to U+2588, mark i the largest value among the
 * rows whose time falls in the i-th of `width` equal spans of [0, t_end]
 * (a span without rows repeats the mark before it), scaled so that `top`
 * (> 0) is the highest mark. */
void pyro_render_sparkline(pyro_buf_t *out, const pyro_series_t *s, int col, int64_t t_end,
                           int width, int64_t top);

/* Append series `s` of `p` as JSON members: "columns":[names...],"rows":[[v,...],...]
 * (no braces around them). */
void pyro_render_json_series(pyro_buf_t *out, const pyro_profile_t *p, const pyro_series_t *s);

/* Append a count, exact below a million, else "34.2M" / "1.5G". */
void pyro_render_count(pyro_buf_t *out, uint64_t n, int width);

/* Append a byte count with a binary unit: "512 B", "4.0 KiB", "1.2 MiB",
 * "3.5 GiB", "1.1 TiB" (one decimal from KiB on), right-aligned in `width`
 * columns (0 = no padding). */
void pyro_render_bytes(pyro_buf_t *out, int64_t bytes, int width);

/* The memory metric a writer weighs memory profiles by: o->metric when it is
 * PYRO_M_PEAK_BYTES, PYRO_M_ALLOC_BYTES or PYRO_M_LEAKED_BYTES, else (the
 * default, -1, or any other value) PYRO_M_PEAK_BYTES. */
int pyro_render_mem_metric(const pyro_render_opts_t *o);

/* The memory metric named `name` as the command line and the API spell it:
 * "peak" (PYRO_M_PEAK_BYTES), "allocated" (PYRO_M_ALLOC_BYTES), "leaked"
 * (PYRO_M_LEAKED_BYTES); "" gives -1 (the default); -2 for any other name. */
int pyro_render_mem_metric_parse(const char *name);

/* The name pyro_render_mem_metric_parse takes for memory metric `m` ("peak",
 * "allocated", "leaked"; the default's, "peak", for -1), "?" for any other. */
const char *pyro_render_mem_metric_name(int m);

/* What flame graphs, folded stacks and speedscope weigh profile `p` by: a
 * memory metric (a pyro_metric_t) for a memory profile (pyro_render_mem_metric),
 * and for a sample profile that has memory columns (run --memory) when
 * o->metric names one of them; -1 for time (every other profile, and a
 * sample profile without o->metric). */
int pyro_render_weigh_memory(const pyro_profile_t *p, const pyro_render_opts_t *o);

/* Whether a weight from pyro_render_weigh_memory counts bytes (every metric
 * but PYRO_M_EVENTS, the counts of run --event's event). */
static inline int pyro_render_weigh_bytes(int m) { return m != PYRO_M_EVENTS; }

/* What memory metric `m` measures, in words for titles: "live at the peak",
 * "allocated", "leaked (live at the end)"; "?" for any other. */
const char *pyro_render_mem_metric_words(int m);

/* Append the display name of node `n`'s frame: pyro_render_frame, except that
 * a memory profile's Python node that has a line shows that line (the line
 * the frame was executing: where it allocated, or the call it was in) rather
 * than the function's first line: "qualname (path:line)"; and a memory
 * profile's native or synthetic frame ("<no Python frame>", "<truncated>")
 * shows its name as it is. A sample profile with the memory columns (run
 * --memory) is shown as a memory profile. */
void pyro_render_node_frame(const pyro_profile_t *p, uint32_t n, const pyro_render_opts_t *o,
                            pyro_buf_t *out);

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
 * present), or, when the "samples" metadata counts samples taken, that
 * they found no Python code running; raise --rate or profile a longer run. */
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
