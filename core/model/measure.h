/* SPDX-License-Identifier: MIT */
/* measure: what @pyrometer.measure records — one call's figures (wall and
 * CPU time, memory change of the tracked heap and of the RSS, counting
 * events) and, per name, their summary over every call (calls, and mean,
 * standard deviation, min, max of each figure: runstat's pyro_summary_t).
 * The recorder (record/meter.h) fills the calls; the writer
 * (format/fmt_measure.h) renders them. Plain data and its allocation: no
 * system calls, no locking (the caller serializes adds to one table). */
#ifndef PYRO_MEASURE_H
#define PYRO_MEASURE_H

#include <stdint.h>

#include "model/runstat.h"

/* The figures of one measured call (or one `with` block). */
typedef struct pyro_mcall {
    double wall;                        /* seconds, monotonic clock, start to end */
    double cpu;                         /* seconds of CPU of the thread(s) that ran its steps */
    int has_heap;                       /* 1: a tracked heap was readable at both ends */
    double heap;                        /* bytes, end minus start (may be negative) */
    int has_rss;                        /* 1: the RSS was readable at both ends */
    double rss;                         /* bytes, end minus start (may be negative) */
    uint32_t evmask;                    /* bit k: event k was counted over the whole call */
    double ev[PYRO_RUNSTAT_MAX_EVENTS]; /* value of event k when counted */
    int failed;                         /* 1: the call raised */
} pyro_mcall_t;

/* Per name: how many calls, how many raised, and the summary of each
 * figure over the calls that had it. */
typedef struct pyro_mrow {
    char *name; /* owned */
    uint64_t calls, failed;
    pyro_summary_t wall, cpu, heap, rss;
    pyro_summary_t ev[PYRO_RUNSTAT_MAX_EVENTS];
} pyro_mrow_t;

/* The rows, in the order their names were first added. Owned by the
 * caller of pyro_mtable_new; free with pyro_mtable_free. */
typedef struct pyro_mtable {
    pyro_mrow_t *rows;
    uint32_t nrows, cap;
    const char *const *evnames; /* borrowed, static: the name of event k */
    uint32_t nevents;
} pyro_mtable_t;

/* A new empty table whose events are named evnames[0 .. nevents) (static
 * strings, borrowed; nevents at most PYRO_RUNSTAT_MAX_EVENTS). NULL when
 * out of memory or nevents is too large. */
pyro_mtable_t *pyro_mtable_new(const char *const *evnames, uint32_t nevents);

/* Free `t` and every row (NULL is ignored). */
void pyro_mtable_free(pyro_mtable_t *t);

/* Add call `c` to the row named `name` (created at the end when new; the
 * name is copied). PYRO_OK, PYRO_EINVAL for a NULL argument, or
 * PYRO_ENOMEM (the table is left as it was). */
int pyro_mtable_add(pyro_mtable_t *t, const char *name, const pyro_mcall_t *c);

/* The row named `name`, or NULL (a linear search: a program measures a
 * handful of names). */
const pyro_mrow_t *pyro_mtable_find(const pyro_mtable_t *t, const char *name);

/* Remove every row (the event names stay). */
void pyro_mtable_clear(pyro_mtable_t *t);

#endif
