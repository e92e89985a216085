/* SPDX-License-Identifier: MIT */
/* bench_obj: `_core.bench_stats`, `bench_compare`, `bench_report`. */
#include "bench_obj.h"

#include <string.h>

#include "format/fmt_bench.h"
#include "model/buf.h"
#include "model/error.h"
#include "model/sampstat.h"

/* ==== conversions ==== */

/* A new array of the floats of sequence `seq` (PyMem_Free it), its length in
 * *n; NULL with an exception. */
static double *to_doubles(PyObject *seq, size_t *n)
{
    PyObject *fast = PySequence_Fast(seq, "expected a sequence of numbers");
    if (!fast)
        return NULL;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(fast);
    double *x = PyMem_Malloc(len > 0 ? (size_t)len * sizeof *x : 1);
    if (!x) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        x[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(fast, i));
        if (x[i] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(fast);
            PyMem_Free(x);
            return NULL;
        }
    }
    Py_DECREF(fast);
    *n = (size_t)len;
    return x;
}

static PyObject *ratio_dict(const pyro_ratio_t *r)
{
    return Py_BuildValue("{sdsdsdsdsdsdsdsO}", "speedup", r->speedup, "lo", r->lo, "hi", r->hi, "t",
                         r->t, "df", r->df, "p", r->p, "confidence", r->confidence, "significant",
                         r->significant ? Py_True : Py_False);
}

static PyObject *raise_rc(int rc, const char *what)
{
    if (rc == PYRO_ENOMEM)
        return PyErr_NoMemory();
    PyErr_SetString(PyExc_ValueError, what);
    return NULL;
}

/* ==== functions ==== */

PyObject *pyro_bench_stats(PyObject *self, PyObject *values)
{
    (void)self;
    size_t n = 0;
    pyro_sampstat_t s;
    double *x = to_doubles(values, &n);
    if (!x)
        return NULL;
    int rc = pyro_sampstat_compute(x, n, &s);
    PyMem_Free(x);
    if (rc)
        return raise_rc(rc, "bench_stats: no values, or a value that is not finite");
    return Py_BuildValue("{snsdsdsdsdsdsdsn}", "n", (Py_ssize_t)s.n, "mean", s.mean, "stdev",
                         s.stdev, "median", s.median, "min", s.min, "max", s.max, "mad", s.mad,
                         "outliers", (Py_ssize_t)s.outliers);
}

PyObject *pyro_bench_compare(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    static char *kwlist[] = {"base", "other", "confidence", NULL};
    PyObject *a, *b;
    double confidence = 0.95;
    size_t na = 0, nb = 0;
    pyro_ratio_t r;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|d:bench_compare", kwlist, &a, &b,
                                     &confidence))
        return NULL;
    double *x = to_doubles(a, &na), *y = x ? to_doubles(b, &nb) : NULL;
    int rc = y ? pyro_ratio_compare(x, na, y, nb, confidence, &r) : 0;
    PyMem_Free(x);
    PyMem_Free(y);
    if (!y)
        return NULL;
    if (rc)
        return raise_rc(rc, "bench_compare: each sample needs 2 values or more, all > 0, and "
                            "the confidence must be between 0 and 1");
    return ratio_dict(&r);
}

PyObject *pyro_bench_report(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    static char *kwlist[] = {"samples", "clock", "verbose", "confidence", NULL};
    PyObject *list, *result = NULL, *fast = NULL, *cmp = NULL;
    const char *clock_name = "wall";
    int verbose = 0, rc = PYRO_OK;
    double confidence = 0.95;
    pyro_bench_sample_t *s = NULL;
    pyro_ratio_t *r = NULL;
    Py_ssize_t k = 0;
    pyro_buf_t b;
    pyro_buf_init(&b);
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|spd:bench_report", kwlist, &list, &clock_name,
                                     &verbose, &confidence))
        return NULL;
    int clock = !strcmp(clock_name, "cpu") ? PYRO_BENCH_CPU : PYRO_BENCH_WALL;
    if (strcmp(clock_name, "cpu") && strcmp(clock_name, "wall")) {
        PyErr_SetString(PyExc_ValueError, "bench_report: clock is 'wall' or 'cpu'");
        goto cleanup;
    }
    if (!(fast = PySequence_Fast(list, "bench_report: samples is a list")))
        goto cleanup;
    k = PySequence_Fast_GET_SIZE(fast);
    if (k < 1) {
        PyErr_SetString(PyExc_ValueError, "bench_report: no sample");
        goto cleanup;
    }
    s = PyMem_Calloc((size_t)k, sizeof *s);
    r = PyMem_Calloc((size_t)k, sizeof *r);
    if (!s || !r) {
        PyErr_NoMemory();
        goto cleanup;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *wall, *cpu, *startup = Py_None, *maxrss = Py_None, *counters = Py_None;
        Py_ssize_t workers = 0;
        size_t nw = 0, nc = 0, nu = 0;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(fast, i), "sOOdn|OdOO", &s[i].name, &wall,
                              &cpu, &s[i].loops, &workers, &startup, &s[i].warmup, &maxrss,
                              &counters))
            goto cleanup;
        if (counters != Py_None) { /* {name: values}; the names live as long as the tuple */
            if (!PyDict_Check(counters)) {
                PyErr_SetString(PyExc_TypeError, "bench_report: counters must be a dict");
                goto cleanup;
            }
            PyObject *key, *vals;
            Py_ssize_t pos = 0;
            while (PyDict_Next(counters, &pos, &key, &vals) &&
                   s[i].ncounters < PYRO_BENCH_MAX_COUNTERS) {
                size_t k = s[i].ncounters;
                if (!(s[i].counter_name[k] = PyUnicode_AsUTF8(key)) ||
                    !(s[i].counter_vals[k] = to_doubles(vals, &s[i].ncounter_vals[k])))
                    goto cleanup;
                s[i].ncounters++;
            }
        }
        s[i].workers = workers > 0 ? (size_t)workers : 0;
        if (!(s[i].wall = to_doubles(wall, &nw)))
            goto cleanup;
        if (cpu != Py_None) {
            if (!(s[i].cpu = to_doubles(cpu, &nc)))
                goto cleanup;
            if (nc != nw) {
                PyErr_SetString(PyExc_ValueError, "bench_report: as many CPU values as wall");
                goto cleanup;
            }
        }
        if (maxrss != Py_None && !(s[i].maxrss = to_doubles(maxrss, &s[i].nmaxrss)))
            goto cleanup;
        if (startup != Py_None) {
            if (!(s[i].startup = to_doubles(startup, &nu)))
                goto cleanup;
            if (nu != nw) {
                PyErr_SetString(PyExc_ValueError, "bench_report: a start-up value per value");
                goto cleanup;
            }
        }
        s[i].n = nw;
    }
    if (k == 1)
        rc = pyro_bench_format(&s[0], clock, verbose, &b);
    else
        rc = pyro_bench_format_compare(s, (size_t)k, clock, confidence, verbose, r, &b);
    if (rc) {
        raise_rc(rc, "bench_report: a sample without values (a comparison needs 2 or more "
                     "each, all > 0), or a value that is not finite");
        goto cleanup;
    }
    if (!(cmp = PyList_New(0)))
        goto cleanup;
    for (Py_ssize_t i = 0; i + 1 < k; i++) {
        PyObject *d = ratio_dict(&r[i]);
        if (!d || PyList_Append(cmp, d) < 0) {
            Py_XDECREF(d);
            goto cleanup;
        }
        Py_DECREF(d);
    }
    result = Py_BuildValue("(s#O)", b.data ? b.data : "", (Py_ssize_t)b.len, cmp);
cleanup:
    if (s) {
        for (Py_ssize_t i = 0; i < k; i++) {
            PyMem_Free((void *)s[i].wall);
            PyMem_Free((void *)s[i].cpu);
            PyMem_Free((void *)s[i].startup);
            PyMem_Free((void *)s[i].maxrss);
            for (size_t c = 0; c < s[i].ncounters; c++)
                PyMem_Free((void *)s[i].counter_vals[c]);
        }
    }
    PyMem_Free(s);
    PyMem_Free(r);
    Py_XDECREF(cmp);
    Py_XDECREF(fast);
    pyro_buf_free(&b);
    return result;
}
