/* SPDX-License-Identifier: MIT */
/* profile: the in-memory profile model every mode produces and every format
 * reads. A profile holds interned strings, functions, threads, a calling
 * context tree (CCT) of nodes, and string metadata. A node is one distinct
 * call path (per thread): its parent node, its function, a line (0 = the
 * function as a whole) and metric values summed over every visit of that
 * path. The profile's mode (trace, sample, ...) declares which metrics its
 * nodes carry: each is a named column of int64 values, stored row by row
 * (stride ncols), so a mode pays only for its own columns. Code that reads or
 * updates a metric resolves its column once (p->col[PYRO_M_...], -1 when
 * absent) and then uses the inline accessors below.
 *
 * Invariants kept by the mutators (and checked by the .pyro reader):
 *   - a node's parent is PYRO_NONE (a root) or a smaller index (parents come
 *     before children, so one forward pass visits a tree top-down);
 *   - a node's thread equals its parent's thread;
 *   - (parent, thread, func, line) is unique: pyro_profile_child() finds it;
 *   - columns are declared before the first node, and a profile of a mode has
 *     at least that mode's columns.
 * The arrays are public for reading; change them only through the functions. */
#ifndef PYRO_PROFILE_H
#define PYRO_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "model/map.h"
#include "model/strtab.h"

#define PYRO_NONE UINT32_MAX

typedef enum pyro_func_kind {
    PYRO_FUNC_PYTHON = 0, /* a Python code object */
    PYRO_FUNC_NATIVE = 1, /* a C function or method (builtins, extensions) */
} pyro_func_kind_t;

typedef struct pyro_func {
    uint32_t name;     /* string: co_name, or for C functions cProfile's label
                          such as "<built-in method builtins.abs>" */
    uint32_t qualname; /* string: co_qualname (3.11+), else the name */
    uint32_t file;     /* string: co_filename, "~" for C functions */
    uint32_t line;     /* co_firstlineno, 0 for C functions */
    uint32_t kind;     /* pyro_func_kind_t */
} pyro_func_t;

/* ==== metrics: the named columns of node values ==== */

/* What a column's values measure. */
typedef enum pyro_unit {
    PYRO_UNIT_EVENTS = 0, /* events: calls, samples */
    PYRO_UNIT_NS = 1,     /* nanoseconds */
    PYRO_UNIT_BYTES = 2,  /* bytes of memory */
    PYRO_UNIT_COUNT
} pyro_unit_t;

/* How a column's values aggregate over the tree. Merging two nodes into one
 * (a view) adds their values in either case. */
typedef enum pyro_agg {
    PYRO_AGG_OWN = 0,  /* the node's own share: a subtree's value is the sum over its nodes */
    PYRO_AGG_INCL = 1, /* already includes the node's descendants (total time): never summed
                          along a path */
    PYRO_AGG_COUNT
} pyro_agg_t;

/* The metrics this version knows by name. A profile has a column for each
 * metric its mode declares (and may have others: columns a newer version
 * wrote are kept by name, unknown to the writers). Every value is an int64,
 * never negative. */
typedef enum pyro_metric {
    PYRO_M_CALLS = 0, /* "calls": completed calls along this path (trace mode) */
    PYRO_M_SELF_NS,   /* "self_ns": time in the function itself on this path; in sample mode
                         the wall time of the samples that ended here (each sample weighs the
                         time since the previous one) */
    PYRO_M_TOTAL_NS,  /* "total_ns": time including callees (inclusive) */
    PYRO_M_SAMPLES,   /* "samples": samples whose innermost frame is this node */
    PYRO_M_RUNNING,   /* "running": ... of which the thread was on a CPU */
    PYRO_M_GIL,       /* "gil": ... of which the thread held the GIL */
    PYRO_M_CPU_NS,    /* "cpu_ns": CPU time the thread used over those samples */
    PYRO_M_HITS,      /* "hits": times a line began executing (lines mode) */
    /* memory mode: each is about the allocations made on this path (estimated from the
       samples when sampled by bytes); all PYRO_UNIT_BYTES / _EVENTS, PYRO_AGG_OWN */
    PYRO_M_ALLOC_BYTES,   /* "alloc_bytes": bytes allocated */
    PYRO_M_ALLOCS,        /* "allocs": allocations made */
    PYRO_M_FREED_BYTES,   /* "freed_bytes": of those bytes, freed before the end */
    PYRO_M_PEAK_BYTES,    /* "peak_bytes": of those bytes, live when the tracked heap peaked */
    PYRO_M_LEAKED_BYTES,  /* "leaked_bytes": of those bytes, still live at the end
                             (= alloc_bytes - freed_bytes) */
    PYRO_M_LEAKED_ALLOCS, /* "leaked_allocs": allocations still live at the end */
    /* sample mode with an event (run --event): the event named by the metadata "event" */
    PYRO_M_EVENTS,        /* "events": events counted while this node was the thread's stack,
                             as read at each of the event's samples (PYRO_UNIT_EVENTS) */
    PYRO_M_EVENT_SAMPLES, /* "event_samples": the event's samples that ended here */
    /* memory mode, since 2026-12 (a file of an earlier version has no such column, so reading
       one gives it zeros; its metadata has no "mem_peak_allocs" either) */
    PYRO_M_PEAK_ALLOCS, /* "peak_allocs": of those allocations, live when the tracked heap
                           peaked */
    PYRO_M_COUNT
} pyro_metric_t;

/* A known metric's name, unit and aggregation. */
typedef struct pyro_metric_info {
    const char *name;
    uint8_t unit, agg; /* pyro_unit_t, pyro_agg_t */
} pyro_metric_info_t;

/* The description of metric `m` (a pyro_metric_t), or NULL if out of range. */
const pyro_metric_info_t *pyro_metric_info(int m);

/* The metric named by the `len` bytes at `name`, or -1 if this version does
 * not know it. */
int pyro_metric_find(const char *name, size_t len);

/* ==== modes ==== */

/* What recorded a profile, which decides the columns its nodes have and how
 * it is rendered. Stored in .pyro files by number: never renumber. A new
 * mode: a value here, its row in profile.c's table of modes (new metrics
 * join pyro_metric_t and the table of metrics), and its column in each row
 * of render.c's table of formats that can write it. */
typedef enum pyro_mode {
    PYRO_MODE_NONE = 0,   /* no mode yet (a new profile), or a flat pstats-loaded one */
    PYRO_MODE_TRACE = 1,  /* deterministic tracing: calls, self_ns, total_ns; line 0 */
    PYRO_MODE_SAMPLE = 2, /* sampling (run, attach): nodes per executing line; self_ns,
                             total_ns, samples, running, gil, cpu_ns */
    PYRO_MODE_LINES = 3,  /* exact line timing of chosen functions: per thread, one root node
                             per chosen function (line 0: calls = calls begun, total_ns = the
                             sum of its lines' time) and under it one node per line that has
                             code (hits = times the line began, total_ns = time from its start
                             to the next line event of the same frame, including the calls it
                             makes but not a recursive call of the same function; a line never
                             executed has hits 0). A chosen function never called has a root
                             with calls 0. */
    PYRO_MODE_MEMORY = 4, /* memory: per thread a calling-context tree of (function, line)
                             frames like sample mode's, each node holding what the allocations
                             whose innermost Python frame is that line did: alloc_bytes,
                             allocs, freed_bytes, peak_bytes, peak_allocs, leaked_bytes,
                             leaked_allocs.
                             Summary figures (sampling interval, peaks and their times, totals,
                             the profiler's own memory, records dropped) are metadata, named
                             in core/record/memtrack.h. */
    PYRO_MODE_COUNT
} pyro_mode_t;

/* The mode's name ("trace", "sample"; "none"), "?" if out of range. */
const char *pyro_mode_name(int mode);

/* The mode named `name`, or -1. */
int pyro_mode_parse(const char *name);

/* The metrics mode `mode` declares, in column order, into `out` (capacity
 * PYRO_M_COUNT); returns how many (0 for PYRO_MODE_NONE or out of range). */
int pyro_mode_metrics(int mode, int *out);

/* ==== nodes ==== */

/* A node's identity. Its metric values live in the profile's value array
 * (pyro_node_vals), one int64 per column. */
typedef struct pyro_node {
    uint32_t parent; /* index of the parent node, PYRO_NONE for a root */
    uint32_t func;   /* index into funcs */
    uint32_t line;   /* line number inside func, 0 = whole function */
    uint32_t thread; /* index into threads */
} pyro_node_t;

/* One column of node values. */
typedef struct pyro_column {
    uint32_t name;     /* string id */
    uint8_t unit, agg; /* pyro_unit_t, pyro_agg_t */
    int8_t metric;     /* pyro_metric_t, or -1 for a name this version does not know */
} pyro_column_t;

#define PYRO_MAX_COLUMNS 32

typedef struct pyro_thread {
    uint64_t ident;     /* threading.get_ident() of the thread */
    uint64_t native_id; /* the OS thread id (gettid) */
    uint32_t name;      /* string: the thread's name */
} pyro_thread_t;

typedef struct pyro_meta {
    uint32_t key, value; /* strings */
} pyro_meta_t;

/* A series: rows of int64 values over time that belong to the run rather
 * than to a node (the memory timeline, the garbage collector's
 * collections). Each row has ncols values; column names are strings, and by
 * convention the first column is "t_ns", the time since the run began. */
#define PYRO_SERIES_MAX_COLS 12
typedef struct pyro_series {
    uint32_t name;                       /* string: the series' name ("memory", "gc") */
    uint32_t ncols;                      /* values per row, 1 to PYRO_SERIES_MAX_COLS */
    uint32_t cols[PYRO_SERIES_MAX_COLS]; /* strings: each column's name */
    int64_t *vals;                       /* nrows rows of ncols values, row by row */
    uint32_t nrows, caprows;
} pyro_series_t;

typedef struct pyro_profile {
    pyro_strtab_t *strs;
    pyro_func_t *funcs;
    uint32_t nfuncs, capfuncs;
    int mode; /* pyro_mode_t */
    pyro_node_t *nodes;
    uint32_t nnodes, capnodes;
    /* node values: row n (stride ncols, at least 1) holds node n's value of
     * each column; col[m] is metric m's column, -1 when the profile has none */
    int64_t *vals;
    uint32_t capvals;
    uint32_t ncols;
    pyro_column_t cols[PYRO_MAX_COLUMNS];
    int8_t col[PYRO_M_COUNT];
    pyro_thread_t *threads;
    uint32_t nthreads, capthreads;
    pyro_meta_t *meta;
    uint32_t nmeta, capmeta;
    pyro_series_t *series;
    uint32_t nseries, capseries;
    pyro_map_t func_index;  /* func fields -> func id */
    pyro_map_t child_index; /* (parent, thread, func, line) -> node id */
    /* A profile read from a flat source (a pstats file) has no nodes, only
     * these per-function statistics (owned; NULL otherwise). */
    struct pyro_stats *flat;
} pyro_profile_t;

/* A new empty profile, or NULL when out of memory. */
pyro_profile_t *pyro_profile_new(void);

/* Free the profile and everything in it. NULL is a no-op. */
void pyro_profile_free(pyro_profile_t *p);

/* Intern a string of `len` bytes; its id goes to *id. PYRO_OK/ENOMEM/ELIMIT. */
int pyro_profile_str(pyro_profile_t *p, const char *s, size_t len, uint32_t *id);

/* The string with id `id` ("" if out of range, so formatters never crash). */
const char *pyro_profile_strget(const pyro_profile_t *p, uint32_t id);

/* Find or add a function equal to *f (all fields compared); its index goes to
 * *id. String ids must be valid. PYRO_OK, PYRO_EINVAL or PYRO_ENOMEM. */
int pyro_profile_func(pyro_profile_t *p, const pyro_func_t *f, uint32_t *id);

/* Append a thread record; its index goes to *id. PYRO_OK/EINVAL/ENOMEM. */
int pyro_profile_add_thread(pyro_profile_t *p, const pyro_thread_t *t, uint32_t *id);

/* Set the profile's mode and declare the columns of its metrics that are
 * not declared yet (after any declared before), and the metadata "mode" to
 * its name. PYRO_OK; PYRO_EINVAL for an unknown mode; PYRO_ESTATE if another
 * mode was set, or a column is missing once nodes exist; PYRO_ENOMEM or
 * PYRO_ELIMIT (the profile is then unchanged but for columns added). */
int pyro_profile_set_mode(pyro_profile_t *p, int mode);

/* Declare a column named by the `len` bytes at `name`, with `unit` and
 * `agg`; its index goes to *col. A known metric's name must come with its
 * own unit and aggregation. PYRO_OK; PYRO_EINVAL (an empty name, unit or
 * aggregation out of range, a duplicate name, a known name with another unit or aggregation);
 * PYRO_ESTATE once nodes exist; PYRO_ELIMIT past PYRO_MAX_COLUMNS;
 * PYRO_ENOMEM. */
int pyro_profile_add_column(pyro_profile_t *p, const char *name, size_t len, int unit, int agg,
                            int *col);

/* The column of metric `m` (a pyro_metric_t), -1 if the profile has none. */
static inline int pyro_profile_col(const pyro_profile_t *p, int m) { return p->col[m]; }

/* Node `n`'s values, one per column (valid until the next node is added). */
static inline int64_t *pyro_node_vals(const pyro_profile_t *p, uint32_t n)
{
    return p->vals + (size_t)n * (p->ncols ? p->ncols : 1);
}

/* Node `n`'s value in column `col`; 0 when col is -1 (the profile has no
 * such column). */
static inline int64_t pyro_node_get(const pyro_profile_t *p, uint32_t n, int col)
{
    return col < 0 ? 0 : pyro_node_vals(p, n)[col];
}

/* Node `n`'s value of metric `m`; 0 when the profile has no such column. */
static inline int64_t pyro_node_metric(const pyro_profile_t *p, uint32_t n, int m)
{
    return pyro_node_get(p, n, p->col[m]);
}

/* Add `v` to node `n`'s value in column `col`; nothing when col is -1. */
static inline void pyro_node_add(pyro_profile_t *p, uint32_t n, int col, int64_t v)
{
    if (col >= 0)
        pyro_node_vals(p, n)[col] += v;
}

/* Find or create the node for (parent, thread, func, line) with zero metrics;
 * its index goes to *id. `parent` is PYRO_NONE for a root of `thread`.
 * PYRO_EINVAL if an index is out of range or the parent belongs to another
 * thread; PYRO_ENOMEM. */
int pyro_profile_child(pyro_profile_t *p, uint32_t parent, uint32_t thread, uint32_t func,
                       uint32_t line, uint32_t *id);

/* Set metadata `key` to `value` (replacing an earlier value). */
int pyro_profile_set_meta(pyro_profile_t *p, const char *key, const char *value);

/* The value of metadata `key`, or NULL when absent. */
const char *pyro_profile_get_meta(const pyro_profile_t *p, const char *key);

/* Add an empty series named `name` whose rows have `ncols` values named
 * `cols[0..ncols)`; its index goes to *id. PYRO_OK; PYRO_EINVAL (an empty or
 * existing name, ncols 0 or over PYRO_SERIES_MAX_COLS); PYRO_ENOMEM or
 * PYRO_ELIMIT (the profile is then unchanged but for strings interned). */
int pyro_profile_add_series(pyro_profile_t *p, const char *name, uint32_t ncols,
                            const char *const *cols, uint32_t *id);

/* Append one row (series `id`'s ncols values at `row`). PYRO_OK, PYRO_EINVAL
 * (no such series), PYRO_ENOMEM or PYRO_ELIMIT (nothing appended). */
int pyro_series_append(pyro_profile_t *p, uint32_t id, const int64_t *row);

/* The series named `name`, or NULL. */
const pyro_series_t *pyro_profile_find_series(const pyro_profile_t *p, const char *name);

/* The column of series `s` named `name`, or -1. */
int pyro_series_col(const pyro_profile_t *p, const pyro_series_t *s, const char *name);

/* Display label of function `f` as pstats prints it:
 * "file:line(name)" for Python, "{...}" for C labels like "<built-in ...>".
 * Written into `out` (always NUL-terminated, truncated to `cap`). */
void pyro_profile_func_label(const pyro_profile_t *p, uint32_t f, char *out, size_t cap);

/* Children of every node in compressed form: the children of node n are
 * kids[first[n] .. first[n+1]) in index order; the roots (of all threads) are
 * listed under the virtual index p->nnodes. */
typedef struct pyro_children {
    uint32_t *first; /* p->nnodes + 2 entries */
    uint32_t *kids;  /* p->nnodes entries */
} pyro_children_t;

/* Build the children index of `p` into *c. PYRO_OK or PYRO_ENOMEM (then *c
 * holds nothing to free). Free with pyro_children_free. */
int pyro_profile_children(const pyro_profile_t *p, pyro_children_t *c);

/* Release a children index. */
void pyro_children_free(pyro_children_t *c);

/* Sum of total_ns over root nodes: the profile's measured time (0 without
 * a total_ns column). */
int64_t pyro_profile_total_ns(const pyro_profile_t *p);

/* Per-function time over the tree: own[f] = sum of self_ns of f's nodes,
 * total[f] = sum of total_ns of f's outermost nodes (no ancestor of the same
 * function, so recursion is not counted twice). Only nodes of thread
 * `thread` count (PYRO_NONE: all). The arrays hold p->nfuncs entries.
 * PYRO_OK or PYRO_ENOMEM. */
int pyro_profile_func_times(const pyro_profile_t *p, uint32_t thread, int64_t *own, int64_t *total);

/* Sample profiles: set every node's total_ns to its self_ns plus its
 * descendants' (parents come before children, so one backward pass). Does
 * nothing unless the profile has both columns. */
void pyro_profile_fill_totals(pyro_profile_t *p);

/* A thread's sums over its nodes (sample metrics; wall = self_ns). */
typedef struct pyro_thread_sums {
    uint64_t samples, running, gil;
    int64_t wall_ns, cpu_ns;
} pyro_thread_sums_t;

/* The sums of thread `t` of `p` into *out. */
void pyro_profile_thread_sums(const pyro_profile_t *p, uint32_t t, pyro_thread_sums_t *out);

/* A new profile *out with the strings (same ids), functions (same ids),
 * threads, metadata, series, columns (same indexes) and mode of `src`, and
 * no nodes: columns can still be declared in it. PYRO_OK; PYRO_EINVAL for a
 * flat profile; PYRO_ENOMEM or PYRO_ELIMIT (nothing is made). *out is the
 * caller's to free. */
int pyro_profile_copy_empty(const pyro_profile_t *src, pyro_profile_t **out);

/* How pyro_profile_view reshapes a profile. */
enum {
    PYRO_VIEW_FUNCS = 1, /* merge the lines of a function: one node per function per path */
    PYRO_VIEW_CPU = 2,   /* sample profiles: self/total time from CPU time, not wall */
    PYRO_VIEW_CALLS = 4, /* sample profiles: calls = samples with the node on the stack, so
                            that per-function statistics (pstats) count samples */
};

/* A new profile derived from `src` as `flags` says: the same strings,
 * functions (same ids), threads, metadata, series, mode and columns (plus a calls
 * column for PYRO_VIEW_CALLS); nodes merged and metrics recomputed. PYRO_OK, PYRO_ENOMEM, or
 * PYRO_EINVAL for a flat profile (pstats-loaded: it has no nodes to reshape). *out is the caller's
 * to free. */

int pyro_profile_view(const pyro_profile_t *src, int flags, pyro_profile_t **out);

#endif
