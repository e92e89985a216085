/* SPDX-License-Identifier: MIT */
/* render: the output formats and the dispatch that turns a profile into one
 * of them. One table (render.c) says, per format, its names, file name
 * extensions, whether it is binary or needs the call tree, and per mode the
 * writer, the view of the profile it reads and whether it gets per-function
 * statistics: adding a format or a mode touches that table and one writer.
 * The options and the helpers the writers share are in writer.h. */
#ifndef PYRO_RENDER_H
#define PYRO_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

typedef enum pyro_format {
    PYRO_FMT_TABLE = 0,  /* cProfile-style table + callers/callees (text) */
    PYRO_FMT_TREE,       /* call tree with times and calls (text) */
    PYRO_FMT_PSTATS,     /* .prof: marshal data for pstats */
    PYRO_FMT_COLLAPSED,  /* folded stacks: "frame;frame value" lines */
    PYRO_FMT_JSON,       /* pyrometer's JSON document (docs/json-format.md) */
    PYRO_FMT_PYRO,       /* native binary .pyro */
    PYRO_FMT_REPORT,     /* the terminal report of the profile's mode: the table for traces;
                            for samples a call tree, the hottest lines and the threads; for
                            exact line timing line_profiler's report (fmt_linetime); for
                            memory the memory report (fmt_memory) */
    PYRO_FMT_SPEEDSCOPE, /* speedscope's JSON file format (one profile per thread) */
    PYRO_FMT_SVG,        /* a self-contained interactive flame graph */
    PYRO_FMT_LINES,      /* sample profiles: the hottest functions' source, a margin of each
                            line's share of wall and CPU time (text); exact line timing: the
                            report */
    PYRO_FMT_TIMELINE,   /* memory profiles: memory over time as an SVG chart (fmt_timeline) */
    PYRO_FMT_COUNT
} pyro_format_t;

/* The format of a profile rendered without naming one (and of pyrometer's
 * output without -o): the terminal report. */
#define PYRO_FMT_DEFAULT PYRO_FMT_REPORT

/* Format by name: "table", "tree", "pstats"/"prof", "collapsed"/"folded",
 * "json", "pyro", "report"/"text", "speedscope", "svg", "lines", "timeline"; -1 if
 * unknown. */
int pyro_format_parse(const char *name);

/* Format implied by a file name's extension (.prof .pstats .collapsed
 * .folded .speedscope.json .json .pyro .svg .timeline.svg .txt; the longest
 * that matches);
 * -1 if none matches. */
int pyro_format_from_path(const char *path);

/* The i-th file name extension pyro_format_from_path recognizes (".prof",
 * ...; i from 0), its format stored in *fmt (may be NULL); NULL when i is
 * past the last. The format table is the one list of extensions. */
const char *pyro_format_extension(size_t i, int *fmt);

/* Non-zero if the format's output is bytes rather than text (pstats, pyro). */
int pyro_format_is_binary(int fmt);

/* Canonical name of a format ("table", ...), "?" if out of range. */
const char *pyro_format_name(int fmt);

/* Non-zero if the format needs the calling-context tree (a profile loaded
 * from a flat source cannot produce it). */
int pyro_format_needs_tree(int fmt);

/* Non-zero if format `fmt` can write a profile of mode `mode` (a
 * pyro_mode_t): the table, tree, pstats, collapsed, speedscope and svg
 * formats write calls and samples, not exact line timing; lines writes
 * samples and line timing; memory profiles are written by report, json,
 * pyro, collapsed, speedscope and svg (weighed by the options' metric) and
 * timeline (memory over time), not by table, tree, pstats or lines; timeline
 * writes memory profiles and sample profiles (those of run --memory have the
 * series it draws); 0 when either is out of range. */
int pyro_format_can_write(int fmt, int mode);

/* Append the profile rendered as `fmt` to `out`, with options `o` (NULL:
 * the defaults; a NULL o->sys_path is taken from the profile's "sys_path"
 * metadata). PYRO_OK; PYRO_EINVAL (unknown format, or one that cannot write
 * the profile's mode, see pyro_format_can_write: the lines view of a trace, a
 * flame graph of exact line timing, a pstats file of memory); PYRO_ENOTREE (a flat profile
 * asked for a format that needs the call tree); PYRO_ENOMATCH (the lines view,
 * the line timing report or the memory report: o->function selects no function); PYRO_ENOMEM. */
int pyro_render(const pyro_profile_t *p, int fmt, const pyro_render_opts_t *o, pyro_buf_t *out);

#endif
