/* SPDX-License-Identifier: MIT */
/* testing: an allocator that fails on demand, reachable from Python tests. */
#include "testing.h"

#include <stdlib.h>

#include "model/alloc.h"

/* Allocations left before failing, and failures so far. Atomic: the
 * sampling thread allocates without the GIL. */
static long budget;
static long failures;

/* Take one allocation from the budget; 0 when it is spent. */
static int take(void)
{
    long left = __atomic_load_n(&budget, __ATOMIC_RELAXED);
    while (left > 0)
        if (__atomic_compare_exchange_n(&budget, &left, left - 1, 0, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
            return 1;
    __atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
    return 0;
}

static void *failing_malloc(size_t size) { return take() ? malloc(size) : NULL; }

static void *failing_realloc(void *ptr, size_t size) { return take() ? realloc(ptr, size) : NULL; }

/* The C library's free: memory from either allocator can be freed by the
 * other, so swapping while core objects are alive is safe. */
static const pyro_allocator_t failing = {failing_malloc, failing_realloc, free};

static PyObject *fail_allocations(PyObject *m, PyObject *arg)
{
    (void)m;
    long n = -1;
    if (arg != Py_None) {
        if (!PyLong_Check(arg)) {
            PyErr_SetString(PyExc_TypeError, "_fail_allocations() takes an int or None");
            return NULL;
        }
        n = PyLong_AsLong(arg);
        if (n == -1 && PyErr_Occurred())
            return NULL;
        if (n < 0) {
            PyErr_SetString(PyExc_ValueError, "_fail_allocations() takes n >= 0 or None");
            return NULL;
        }
    }
    long failed = __atomic_exchange_n(&failures, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&budget, n < 0 ? 0 : n, __ATOMIC_RELAXED);
    pyro_set_allocator(n < 0 ? NULL : &failing);
    return PyLong_FromLong(failed);
}

static PyMethodDef testing_methods[] = {
    {"_fail_allocations", fail_allocations, METH_O,
     "_fail_allocations(n)\n--\n\nPrivate, for tests only: let the next n allocations of the "
     "core succeed, then fail every one (None: back to normal). Returns the failures counted "
     "under the previous setting."},
    {NULL, NULL, 0, NULL},
};

int pyro_testing_init(PyObject *m) { return PyModule_AddFunctions(m, testing_methods); }
