/* SPDX-License-Identifier: MIT */
/* render: the table of formats and the dispatch over it. */
#include "format/render.h"

#include <string.h>

#include "model/error.h"
#include "model/stats.h"
#include "format/fmt_collapsed.h"
#include "format/fmt_gc.h"
#include "format/fmt_json.h"
#include "format/fmt_lines.h"
#include "format/fmt_linetime.h"
#include "format/fmt_memory.h"
#include "format/fmt_report.h"
#include "format/fmt_speedscope.h"
#include "format/fmt_svg.h"
#include "format/fmt_table.h"
#include "format/fmt_timeline.h"
#include "format/fmt_tree.h"
#include "format/pstats.h"
#include "format/pyrofile.h"

/* ==== the codecs as writers ==== */

static int write_pstats(const pyro_write_ctx_t *w, pyro_buf_t *out)
{
    return pyro_pstats_write(w->p, w->stats, out);
}

static int write_pyro(const pyro_write_ctx_t *w, pyro_buf_t *out)
{
    return pyro_pyrofile_write(w->p, out);
}

/* ==== the table ==== */

/* How a format writes one mode: the writer (NULL: it cannot), the view of
 * the profile it reads (PYRO_VIEW_* flags, the clock added from the options;
 * AS_RECORDED for the profile itself) and whether it gets statistics. */
typedef struct how {
    pyro_writer_fn write;
    int view;
    int stats;
} how_t;

#define AS_RECORDED (-1)
/* Profiles of calls (trace mode, and profiles without a mode such as flat
 * pstats-loaded ones) are written as recorded. */
#define CALLS(fn, stats)                                                                           \
    [PYRO_MODE_NONE] = {fn, AS_RECORDED, stats}, [PYRO_MODE_TRACE] = {fn, AS_RECORDED, stats}
/* Sample profiles are written from a view: functions merged over their lines,
 * the clock the options chose, plus `flags`. */
#define SAMPLES(fn, flags, stats) [PYRO_MODE_SAMPLE] = {fn, PYRO_VIEW_FUNCS | (flags), stats}
/* Exact line timing is written as recorded, by the formats that show lines:
 * the report, the JSON of its lines and the native file. */
#define LINES(fn) [PYRO_MODE_LINES] = {fn, AS_RECORDED, 0}
/* Memory profiles are written as recorded (per line; the writers weigh by o->metric). */
#define MEMORY(fn) [PYRO_MODE_MEMORY] = {fn, AS_RECORDED, 0}

static const struct format {
    const char *name;
    const char *alias;   /* another name it is parsed from, or NULL */
    const char *exts[3]; /* file name extensions, NULL-terminated */
    int binary;          /* bytes rather than text */
    int needs_tree;      /* a flat profile cannot be written */
    how_t by_mode[PYRO_MODE_COUNT];
} formats[PYRO_FMT_COUNT] = {
    [PYRO_FMT_TABLE] = {"table",
                        NULL,
                        {NULL},
                        0,
                        0,
                        {CALLS(pyro_fmt_table, 1), SAMPLES(pyro_fmt_table, PYRO_VIEW_CALLS, 1)}},
    [PYRO_FMT_TREE] =
        {"tree", NULL, {NULL}, 0, 1, {CALLS(pyro_fmt_tree, 0), SAMPLES(pyro_fmt_tree, 0, 0)}},
    [PYRO_FMT_PSTATS] = {"pstats",
                         "prof",
                         {".prof", ".pstats"},
                         1,
                         0,
                         {CALLS(write_pstats, 1), SAMPLES(write_pstats, PYRO_VIEW_CALLS, 1)}},
    [PYRO_FMT_COLLAPSED] = {"collapsed",
                            "folded",
                            {".collapsed", ".folded"},
                            0,
                            1,
                            {CALLS(pyro_fmt_collapsed, 0), SAMPLES(pyro_fmt_collapsed, 0, 0),
                             MEMORY(pyro_fmt_collapsed)}},
    /* samples: the statistics of the view, the nodes as recorded (with their lines) */
    [PYRO_FMT_JSON] = {"json",
                       NULL,
                       {".json"},
                       0,
                       0,
                       {CALLS(pyro_fmt_json, 1), SAMPLES(pyro_fmt_json, PYRO_VIEW_CALLS, 1),
                        LINES(pyro_fmt_json_lines), MEMORY(pyro_fmt_json_memory)}},
    [PYRO_FMT_PYRO] = {"pyro",
                       NULL,
                       {".pyro"},
                       1,
                       1,
                       {CALLS(write_pyro, 0), [PYRO_MODE_SAMPLE] = {write_pyro, AS_RECORDED, 0},
                        LINES(write_pyro), MEMORY(write_pyro)}},
    /* the terminal report of each mode: the table for calls, the sample report for samples,
       line_profiler's report for exact line timing, the memory report for memory */
    [PYRO_FMT_REPORT] = {"report",
                         "text",
                         {".txt"},
                         0,
                         0,
                         {CALLS(pyro_fmt_table, 1), SAMPLES(pyro_fmt_report, 0, 0),
                          LINES(pyro_fmt_linetime), MEMORY(pyro_fmt_memory)}},
    [PYRO_FMT_SPEEDSCOPE] = {"speedscope",
                             NULL,
                             {".speedscope.json"},
                             0,
                             1,
                             {CALLS(pyro_fmt_speedscope, 0), SAMPLES(pyro_fmt_speedscope, 0, 0),
                              MEMORY(pyro_fmt_speedscope)}},
    [PYRO_FMT_SVG] = {"svg",
                      NULL,
                      {".svg"},
                      0,
                      1,
                      {CALLS(pyro_fmt_svg, 0), SAMPLES(pyro_fmt_svg, 0, 0), MEMORY(pyro_fmt_svg)}},
    /* the nodes as recorded (per line): the line view of samples, the report of exact line
       timing; a trace has no lines to show */
    [PYRO_FMT_LINES] = {"lines",
                        NULL,
                        {NULL},
                        0,
                        1,
                        {[PYRO_MODE_SAMPLE] = {pyro_fmt_lines, AS_RECORDED, 0},
                         LINES(pyro_fmt_linetime)}},
    /* memory over time: the series of a memory profile, or of a sample profile of run --memory
       (one without the series gets a chart that says none was recorded) */
    [PYRO_FMT_TIMELINE] = {"timeline",
                           NULL,
                           {".timeline.svg"},
                           0,
                           0,
                           {MEMORY(pyro_fmt_timeline), [PYRO_MODE_SAMPLE] = {pyro_fmt_timeline,
                                                                             AS_RECORDED, 0}}},
};

/* ==== names and extensions ==== */

int pyro_format_parse(const char *name)
{
    for (int i = 0; i < PYRO_FMT_COUNT; i++)
        if (strcmp(name, formats[i].name) == 0 ||
            (formats[i].alias && strcmp(name, formats[i].alias) == 0))
            return i;
    return -1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int pyro_format_from_path(const char *path)
{
    int best = -1;
    size_t best_len = 0;
    for (int f = 0; f < PYRO_FMT_COUNT; f++)
        for (int k = 0; formats[f].exts[k]; k++)
            if (strlen(formats[f].exts[k]) > best_len && ends_with(path, formats[f].exts[k])) {
                best = f;
                best_len = strlen(formats[f].exts[k]);
            }
    return best;
}

const char *pyro_format_extension(size_t i, int *fmt)
{
    for (int f = 0; f < PYRO_FMT_COUNT; f++)
        for (int k = 0; formats[f].exts[k]; k++)
            if (i-- == 0) {
                if (fmt)
                    *fmt = f;
                return formats[f].exts[k];
            }
    return NULL;
}

int pyro_format_is_binary(int fmt)
{
    return fmt >= 0 && fmt < PYRO_FMT_COUNT && formats[fmt].binary;
}

const char *pyro_format_name(int fmt)
{
    return fmt >= 0 && fmt < PYRO_FMT_COUNT ? formats[fmt].name : "?";
}

int pyro_format_needs_tree(int fmt)
{
    return fmt >= 0 && fmt < PYRO_FMT_COUNT && formats[fmt].needs_tree;
}

int pyro_format_can_write(int fmt, int mode)
{
    return fmt >= 0 && fmt < PYRO_FMT_COUNT && mode >= 0 && mode < PYRO_MODE_COUNT &&
           formats[fmt].by_mode[mode].write != NULL;
}

/* ==== dispatch ==== */

int pyro_render(const pyro_profile_t *p, int fmt, const pyro_render_opts_t *o, pyro_buf_t *out)
{
    if (fmt < 0 || fmt >= PYRO_FMT_COUNT || p->mode < 0 || p->mode >= PYRO_MODE_COUNT)
        return PYRO_EINVAL;
    const struct format *f = &formats[fmt];
    const how_t *how = &f->by_mode[p->mode];
    if (p->flat && f->needs_tree)
        return PYRO_ENOTREE;
    if (!how->write)
        return PYRO_EINVAL;
    pyro_render_opts_t opts;
    if (o)
        opts = *o;
    else
        pyro_render_defaults(&opts);
    if (!opts.sys_path)
        opts.sys_path = pyro_profile_get_meta(p, "sys_path");
    pyro_profile_t *view = NULL;
    pyro_stats_t *stats = NULL;
    pyro_write_ctx_t w = {.p = p, .raw = p, .stats = NULL, .o = &opts};
    int rc = PYRO_OK;
    if (how->view != AS_RECORDED && !p->flat) {
        rc = pyro_profile_view(p, how->view | (opts.cpu ? PYRO_VIEW_CPU : 0), &view);
        w.p = view;
    }
    if (!rc && how->stats)
        rc = pyro_stats_compute(w.p, &stats);
    w.stats = stats;
    if (!rc)
        rc = how->write(&w, out);
    if (!rc && fmt == PYRO_FMT_REPORT) /* every mode's report: the collector's section (--gc) */
        rc = pyro_fmt_gc(&w, out);
    pyro_stats_free(stats);
    pyro_profile_free(view);
    return rc;
}
