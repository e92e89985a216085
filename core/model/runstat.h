/* SPDX-License-Identifier: MIT */
/* runstat: the figures of one run of a command (what wait4's rusage, the
 * wall clock and the perf counters said about it) and their summary over
 * several runs (mean, sample standard deviation, min, max). The recorder
 * (record/runcmd.h) fills them; the writer (format/fmt_stat.h) renders
 * them. Plain data: no allocation, no system calls. */
#ifndef PYRO_RUNSTAT_H
#define PYRO_RUNSTAT_H

#include <stddef.h>
#include <stdint.h>

/* The most counting events one run carries (the counters' event table fits). */
#define PYRO_RUNSTAT_MAX_EVENTS 16

/* The rusage figures, in the order the table shows them. */
typedef enum pyro_figure {
    PYRO_FIG_WALL,    /* seconds, CLOCK_MONOTONIC from release to reap */
    PYRO_FIG_USER,    /* seconds of user CPU */
    PYRO_FIG_SYS,     /* seconds of system CPU */
    PYRO_FIG_CPU,     /* percent: (user + sys) / wall */
    PYRO_FIG_MAXRSS,  /* bytes (rusage's kilobytes * 1024) */
    PYRO_FIG_MINFLT,  /* minor page faults */
    PYRO_FIG_MAJFLT,  /* major page faults */
    PYRO_FIG_NVCSW,   /* voluntary context switches */
    PYRO_FIG_NIVCSW,  /* involuntary context switches */
    PYRO_FIG_INBLOCK, /* file system inputs (512-byte blocks) */
    PYRO_FIG_OUBLOCK, /* file system outputs (512-byte blocks) */
    PYRO_FIG_COUNT
} pyro_figure_t;

/* How a figure's value reads: its unit decides the table's formatting. */
typedef enum pyro_figunit {
    PYRO_FIGU_SECONDS,
    PYRO_FIGU_PERCENT,
    PYRO_FIGU_BYTES,
    PYRO_FIGU_COUNT,
    PYRO_FIGU_NS, /* a counter in nanoseconds (task-clock) */
} pyro_figunit_t;

/* One counting event's value in one run. */
typedef struct pyro_evcount {
    double value;     /* the count, scaled up when the counter was multiplexed */
    uint64_t raw;     /* the count as read */
    uint64_t enabled; /* ns the event was enabled */
    uint64_t running; /* ns it was counting (< enabled: multiplexed, scaled) */
} pyro_evcount_t;

/* One run of a command. `status` is its exit status like a shell's: the
 * exit code, or 128 + the signal that killed it (then `signal` is set). */
typedef struct pyro_runstat {
    double fig[PYRO_FIG_COUNT];
    int status;
    int signal; /* 0, or the signal that ended the command */
    uint32_t nevents;
    pyro_evcount_t ev[PYRO_RUNSTAT_MAX_EVENTS];
} pyro_runstat_t;

/* How the report names one counting event and whether it was counted. */
typedef struct pyro_evdesc {
    const char *name;    /* "task-clock", "cycles", ... (static) */
    pyro_figunit_t unit; /* PYRO_FIGU_NS or PYRO_FIGU_COUNT */
    int hardware;        /* 1: needs a PMU */
    int available;       /* 1: counted */
    int user_only;       /* 1: counted in user space only (perf_event_paranoid) */
    char reason[200];    /* when not available: why, one plain sentence */
} pyro_evdesc_t;

/* Mean, sample standard deviation (n - 1; 0 for one value), min and max of
 * one figure over runs, accumulated one value at a time (Welford's method:
 * no loss of digits when the spread is small next to the values). Start
 * from a zeroed struct. */
typedef struct pyro_summary {
    double mean, stddev, min, max;
    uint32_t n;
    double m2; /* internal: sum of squared deviations from the mean */
} pyro_summary_t;

/* The name (as in the JSON: "wall_s", "maxrss_bytes", ...), the table's
 * label and the unit of figure `f`. Static strings; NULL for an unknown
 * figure. */
const char *pyro_figure_key(pyro_figure_t f);
const char *pyro_figure_label(pyro_figure_t f);
pyro_figunit_t pyro_figure_unit(pyro_figure_t f);

/* Add value `x` to summary `s` (mean, stddev, min, max and n updated). */
void pyro_summary_add(pyro_summary_t *s, double x);

/* The summary of the `n` values of `v` (all zeros when n == 0). */
pyro_summary_t pyro_summarize(const double *v, size_t n);

/* Fill the derived figure CPU % of `r` from its wall, user and sys (0 when
 * the wall clock is 0). */
void pyro_runstat_derive(pyro_runstat_t *r);

/* The value of a counter read as (raw, enabled, running): raw scaled by
 * enabled / running when the counter was multiplexed (running < enabled),
 * raw when it ran the whole time, 0 when it never ran. *scaled (may be
 * NULL) is set to 1 when scaling was applied. */
double pyro_counter_scale(uint64_t raw, uint64_t enabled, uint64_t running, int *scaled);

#endif
