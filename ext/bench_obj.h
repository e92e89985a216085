/* SPDX-License-Identifier: MIT */
/* bench_obj: the functions of `_core` that `pyrometer bench` calls: the
 * statistics of a sample (bench_stats), the comparison of two (bench_compare)
 * and the report (bench_report), all thin conversions around
 * core/model/sampstat.h and core/format/fmt_bench.h. */
#ifndef PYRO_BENCH_OBJ_H
#define PYRO_BENCH_OBJ_H

#include "compat.h"

/* bench_stats(values) -> dict: n, mean, stdev, median, min, max, mad,
 * outliers. ValueError when values is empty or holds a value that is not
 * finite; TypeError when they are not numbers. */
PyObject *pyro_bench_stats(PyObject *self, PyObject *values);

/* bench_compare(base, other, confidence=0.95) -> dict: speedup, lo, hi, t,
 * df, p, confidence, significant. ValueError for fewer than 2 values, a
 * value not > 0, or a confidence outside (0, 1). */
PyObject *pyro_bench_compare(PyObject *self, PyObject *args, PyObject *kwargs);

/* bench_report(samples, clock="wall", verbose=False, confidence=0.95)
 * -> (str, list[dict]): samples is a list of (name, wall, cpu or None,
 * loops, workers[, startup or None, warm-up mean, max RSS bytes of each
 * process or None]); one sample gets its report, several their
 * comparison (the list: each comparison with the first, as bench_compare's dicts). */
PyObject *pyro_bench_report(PyObject *self, PyObject *args, PyObject *kwargs);

#define PYRO_BENCH_METHODS                                                                         \
    {"bench_stats", pyro_bench_stats, METH_O,                                                      \
     "bench_stats(values)\n--\n\nmean, stdev, median, min, max, mad and MAD-based outliers of a "  \
     "sample."},                                                                                   \
        {"bench_compare", (PyCFunction)(void (*)(void))pyro_bench_compare,                         \
         METH_VARARGS | METH_KEYWORDS,                                                             \
         "bench_compare(base, other, confidence=0.95)\n--\n\nWelch's t-test on log times and the " \
         "confidence interval of the speedup base/other."},                                        \
        {"bench_report", (PyCFunction)(void (*)(void))pyro_bench_report,                           \
         METH_VARARGS | METH_KEYWORDS,                                                             \
         "bench_report(samples, clock='wall', verbose=False, confidence=0.95)\n--\n\nThe "         \
         "report of pyrometer bench and, for several samples, each one's comparison with the "     \
         "first."},

#endif
