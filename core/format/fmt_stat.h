/* SPDX-License-Identifier: MIT */
/* fmt_stat: the `stat` command's report — one table of what wait4's rusage
 * and the perf counters said about one or several runs of a command (mean
 * ± standard deviation, min and max per figure when there were several),
 * and the same as JSON (schema in docs/stat.md). */
#ifndef PYRO_FMT_STAT_H
#define PYRO_FMT_STAT_H

#include <stdint.h>

#include "model/buf.h"
#include "model/runstat.h"

/* The most runs one series may ask for (-r N). */
#define PYRO_STAT_RUNS_MAX 100000

/* What the report shows. Borrowed: the report copies nothing. */
typedef struct pyro_stat_report {
    const char *const *argv; /* the command, argc words */
    uint32_t argc;
    const pyro_runstat_t *runs; /* the runs that ended, nruns of them */
    uint32_t nruns;
    uint32_t requested;          /* runs asked for (-r N) */
    const pyro_evdesc_t *events; /* nevents: each event's name and availability; */
    uint32_t nevents;            /* runs[i].ev[k] is the value of events[k] */
    int interrupted;             /* 0, or the signal that stopped the runs */
} pyro_stat_report_t;

/* Append value `v` of unit `unit` in the units people read: seconds as
 * s / ms / us (PYRO_FIGU_NS: nanoseconds, shown the same way), bytes as
 * KiB / MiB / GiB, percents and counts plain. Shared by the writers of
 * figures (stat's table, @measure's lines). */
void pyro_stat_put_value(pyro_buf_t *b, pyro_figunit_t unit, double v);

/* Append the terminal table of `r` to `out`. PYRO_OK, PYRO_EINVAL when r
 * has no runs or more events than a run holds, or PYRO_ENOMEM (from the
 * buffer). */
int pyro_render_stat_table(const pyro_stat_report_t *r, pyro_buf_t *out);

/* Append the JSON document of `r` (one object and a newline) to `out`. Same
 * returns as pyro_render_stat_table. */
int pyro_render_stat_json(const pyro_stat_report_t *r, pyro_buf_t *out);

/* The exit status that sums up the runs: the first run's that was not 0
 * (a command's own status, or 128 + the signal that killed it), else 0. */
int pyro_stat_status(const pyro_stat_report_t *r);

#endif
