/* SPDX-License-Identifier: MIT */
/* fmt_bench: the terminal report of `pyrometer bench`: one block per
 * benchmarked statement or script (mean +- std dev, median, min, max, the
 * other clock's mean, how many values of how many loops), the warnings a
 * sample deserves (spread, extremes, outliers, wall and CPU time apart),
 * a histogram on request, and for a comparison the verdict of each variant
 * against the first (speedup, its confidence interval, significant or not
 * and by which test). Times are per loop, in seconds, printed in ns, us, ms
 * or s with three significant digits. */
#ifndef PYRO_FMT_BENCH_H
#define PYRO_FMT_BENCH_H

#include <stddef.h>

#include "model/buf.h"
#include "model/sampstat.h"

/* Warning thresholds (pyperf's): std dev >= 10% of the mean; min or max
 * >= 50% away from the mean. Wall and CPU apart: a CPU-bound sample (CPU
 * >= half the wall time) whose wall time exceeds its CPU time by >= 10%. */
#define PYRO_BENCH_WARN_STDEV 0.10
#define PYRO_BENCH_WARN_EXTREME 0.50
#define PYRO_BENCH_WARN_WALLCPU 1.10

/* The clocks a report can be judged by. */
enum { PYRO_BENCH_WALL = 0, PYRO_BENCH_CPU = 1 };

/* Counters a sample can carry (see pyro_bench_sample_t). */
#define PYRO_BENCH_MAX_COUNTERS 12

/* One benchmarked variant: borrowed arrays of n values, per loop, seconds. */
typedef struct pyro_bench_sample {
    const char *name;   /* the statement, script or function (UTF-8) */
    const double *wall; /* n wall-clock values */
    const double *cpu;  /* n CPU-time values, or NULL when not measured */
    size_t n;
    double loops;          /* runs of the statement in one value */
    size_t workers;        /* processes the values came from (0: in this process) */
    const double *startup; /* a script's: n values of the interpreter's start-up
                              (python -c pass) measured alongside, or NULL */
    double warmup;         /* mean of the dropped warm-up values, per loop, by the
                              clock judged; 0 when none */
    const double *maxrss;  /* bytes: the peak resident set size of each worker or
                              run (nmaxrss of them), or NULL */
    size_t nmaxrss;
    /* Counters (page faults, context switches, ...): for each of ncounters,
     * its name and one value per worker or run (ncounter_vals[k] of them),
     * per loop of the statement (a script: per run). */
    size_t ncounters;
    const char *counter_name[PYRO_BENCH_MAX_COUNTERS];
    const double *counter_vals[PYRO_BENCH_MAX_COUNTERS];
    size_t ncounter_vals[PYRO_BENCH_MAX_COUNTERS];
} pyro_bench_sample_t;

/* A note says the warm-up was slow when its mean is at least this many times
 * the median of the values (hyperfine's "first run was slower"). */
#define PYRO_BENCH_SLOW_WARMUP 1.5

/* Append `seconds` in the unit people read ("812 ns", "9.87 us" with a
 * micro sign, "1.23 ms", "4.56 s"): three significant digits. */
void pyro_bench_put_time(pyro_buf_t *b, double seconds);

/* Append the warnings of a sample judged by `clock` (PYRO_BENCH_WALL or
 * PYRO_BENCH_CPU), one "warning: ..." line each; returns how many (a note,
 * such as a slow warm-up, is appended but not counted). */
int pyro_bench_warnings(const pyro_bench_sample_t *s, int clock, pyro_buf_t *out);

/* Append the report of one sample judged by `clock`, its start-up line
 * (scripts), its memory line (the processes' max RSS), its counters line
 * (the mean per loop, or per run, of each counter), its warnings, and with `verbose` a histogram
 * of its values. PYRO_OK; PYRO_EINVAL when the sample has no value or a value is not finite, or
 * clock is unknown; PYRO_ENOMEM (what was appended stays). */
int pyro_bench_format(const pyro_bench_sample_t *s, int clock, int verbose, pyro_buf_t *out);

/* Append the verdict of `other` against `base` judged by `r` (from
 * pyro_ratio_compare of base's and other's values): e.g. "B is 9.95x faster
 * than A (95% CI 9.81x-10.1x): significant, Welch's t-test on log times,
 * p < 0.001" or "... no significant difference ...". Names are the
 * labels to print ("A", "B" or the statements). */
void pyro_bench_verdict(const char *base, const char *other, const pyro_ratio_t *r,
                        pyro_buf_t *out);

/* Compare two samples judged by `clock` at `confidence` into *out (as
 * pyro_ratio_compare): the unit of the test is the worker process, whose
 * values share its memory layout and hash seed and so are not independent:
 * a sample whose n values came from 2 or more workers with several values
 * each is compared by each worker's mean (n = workers); otherwise (values
 * in this process, a script's runs) by its values. PYRO_OK; PYRO_EINVAL (a
 * sample without the clock's values, fewer than 2 units, a value not > 0,
 * confidence out of range; *out zeroed); PYRO_ENOMEM. */
int pyro_bench_compare_samples(const pyro_bench_sample_t *base, const pyro_bench_sample_t *other,
                               int clock, double confidence, pyro_ratio_t *out);

/* Append the report of a comparison: each of the k >= 2 samples' report
 * (labelled A, B, C, ...), then the verdict of each one after the first
 * against the first, judged by `clock` at `confidence` (by
 * pyro_bench_compare_samples). *speedups (k - 1 entries, caller-owned, may
 * be NULL) receives each comparison. PYRO_OK; PYRO_EINVAL (k < 2 or > 26,
 * a comparison pyro_bench_compare_samples refuses: nothing is appended);
 * PYRO_ENOMEM. */
int pyro_bench_format_compare(const pyro_bench_sample_t *s, size_t k, int clock, double confidence,
                              int verbose, pyro_ratio_t *speedups, pyro_buf_t *out);

#endif
