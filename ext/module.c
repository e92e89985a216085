/* SPDX-License-Identifier: MIT */
/* module: `pyrometer._core`, multi-phase initialization with module state. */
#include "module.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "model/clock.h"
#include "record/counters.h"
#include "record/dump.h"
#include "model/error.h"
#include "remote/unwind.h"
#include "hook_monitoring.h"
#include "lines_obj.h"
#include "gc_obj.h"
#include "stat_obj.h"
#include "measure_obj.h"
#include "memory_obj.h"
#include "profile_obj.h"
#include "format/render.h"
#include "model/stats.h"
#include "record/sampler.h"
#include "sampler_obj.h"

#include "bench_obj.h"
#include "testing.h"
#include "tracer_obj.h"

pyro_modstate_t *pyro_modstate(PyObject *m) { return (pyro_modstate_t *)PyModule_GetState(m); }

pyro_modstate_t *pyro_modstate_of_type(PyTypeObject *type)
{
    PyObject *m = PyType_GetModule(type);
    return m ? pyro_modstate(m) : NULL;
}

PyObject *pyro_raise(pyro_modstate_t *st, int err, const char *path)
{
    switch (err) {
    case PYRO_ENOMEM:
        return PyErr_NoMemory();
    case PYRO_EIO:
        if (path)
            return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
        return PyErr_SetFromErrno(PyExc_OSError);
    case PYRO_EFORMAT:
    case PYRO_ETRUNC:
    case PYRO_EVERSION:
    case PYRO_ELIMIT:
    case PYRO_ENOTREE:
    case PYRO_ENOMATCH:

        if (st && st->profile_error) {
            if (path)
                PyErr_Format(st->profile_error, "%s: %s", path, pyro_strerror(err));
            else
                PyErr_SetString(st->profile_error, pyro_strerror(err));
            return NULL;
        }
        /* fall through */
    default:
        PyErr_SetString(PyExc_RuntimeError, pyro_strerror(err));
        return NULL;
    }
}

int pyro_register_at_fork(PyMethodDef *defs, int nhooks, int *done_pid)
{
    if (*done_pid == (int)getpid())
        return 0;
    static const char *const names[] = {"before", "after_in_parent", "after_in_child"};
    PyObject *os = PyImport_ImportModule("os");
    PyObject *reg = os ? PyObject_GetAttrString(os, "register_at_fork") : NULL;
    PyObject *kw = reg ? PyDict_New() : NULL;
    int rc = kw ? 0 : -1;
    for (int i = 0; i < nhooks && !rc; i++) {
        PyObject *fn = PyCFunction_New(&defs[i], NULL);
        rc = fn ? PyDict_SetItemString(kw, names[i], fn) : -1;
        Py_XDECREF(fn);
    }
    PyObject *args = rc ? NULL : PyTuple_New(0);
    PyObject *res = args ? PyObject_Call(reg, args, kw) : NULL;
    rc = res ? 0 : -1;
    if (!os || (!reg && PyErr_ExceptionMatches(PyExc_AttributeError))) {
        PyErr_Clear(); /* no fork here: nothing to guard */
        rc = 0;
    }
    Py_XDECREF(res);
    Py_XDECREF(args);
    Py_XDECREF(kw);
    Py_XDECREF(reg);
    Py_XDECREF(os);
    if (!rc)
        *done_pid = (int)getpid();
    return rc;
}

int pyro_warn_incomplete(pyro_modstate_t *st, const char *msg)
{
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    int rc = PyErr_WarnEx(st->incomplete_warning, msg, 1);
    if (rc < 0 && et) {
        PyErr_WriteUnraisable(NULL);
        rc = 0;
    }
    if (rc == 0)
        PyErr_Restore(et, ev, tb);
    return rc;
}

int pyro_program_code(PyObject *code)
{
    if (PyCode_GetNumFree((PyCodeObject *)code) == 0)
        return 1;
    PyErr_SetString(PyExc_TypeError, "code object passed to exec_code() may not contain free "
                                     "variables");
    return 0;
}

static PyObject *format_from_path(PyObject *m, PyObject *arg)
{
    (void)m;
    PyObject *b = NULL;
    if (!PyUnicode_FSConverter(arg, &b))
        return NULL;
    int fmt = pyro_format_from_path(PyBytes_AS_STRING(b));
    Py_DECREF(b);
    if (fmt < 0)
        Py_RETURN_NONE;
    return PyUnicode_FromString(pyro_format_name(fmt));
}

static PyObject *format_names(PyObject *m, PyObject *unused)
{
    (void)m;
    (void)unused;
    PyObject *t = PyTuple_New(PYRO_FMT_COUNT);
    for (int i = 0; t && i < PYRO_FMT_COUNT; i++) {
        PyObject *s = PyUnicode_FromString(pyro_format_name(i));
        if (!s) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, s);
    }
    return t;
}

static PyObject *strerror_(PyObject *m, PyObject *arg)
{
    (void)m;
    long err = PyLong_AsLong(arg);
    if (err == -1 && PyErr_Occurred())
        return NULL;
    return PyUnicode_FromString(pyro_strerror(err < INT_MIN || err > 0 ? 1 : (int)err));
}

/* ==== decisions the core owns, exposed as module constants ==== */

/* Add `value` (a new reference, NULL on failure) to the module as `name`. */
static int add_new(PyObject *m, const char *name, PyObject *value)
{
    if (!value)
        return -1;
    int rc = PyModule_AddObjectRef(m, name, value);
    Py_DECREF(value);
    return rc;
}

/* TIME_UNITS (the units a lines report can be asked for: "s" ... "ns") and
 * MODE_FORMATS (per mode name, the formats that can write it). */
static int add_units_and_mode_formats(PyObject *m)
{
    PyObject *units = PyList_New(0), *modes = PyDict_New();
    int rc = units && modes ? 0 : -1;
    for (int u = PYRO_TIME_AUTO + 1; rc == 0 && u < PYRO_TIME_COUNT; u++) {
        PyObject *name = PyUnicode_FromString(pyro_time_unit_name(u));
        rc = name ? PyList_Append(units, name) : -1;
        Py_XDECREF(name);
    }
    for (int mode = 0; rc == 0 && mode < PYRO_MODE_COUNT; mode++) {
        PyObject *fmts = PyList_New(0);
        rc = fmts ? 0 : -1;
        for (int f = 0; rc == 0 && f < PYRO_FMT_COUNT; f++) {
            if (!pyro_format_can_write(f, mode))
                continue;
            PyObject *name = PyUnicode_FromString(pyro_format_name(f));
            rc = name ? PyList_Append(fmts, name) : -1;
            Py_XDECREF(name);
        }
        PyObject *tuple = rc == 0 ? PyList_AsTuple(fmts) : NULL;
        rc = tuple ? PyDict_SetItemString(modes, pyro_mode_name(mode), tuple) : -1;
        Py_XDECREF(tuple);
        Py_XDECREF(fmts);
    }
    if (rc == 0)
        rc = add_new(m, "TIME_UNITS", PyList_AsTuple(units));
    if (rc == 0)
        rc = add_new(m, "MODE_FORMATS", Py_NewRef(modes));
    Py_XDECREF(units);
    Py_XDECREF(modes);
    return rc;
}

/* RATE_MIN/_MAX/_DEFAULT/_MEMORY, DEFAULT_FORMAT, FORMAT_EXTENSIONS ((ext, format)
 * pairs), BINARY_FORMATS, SORTS and RENDER_DEFAULTS (sort, limit, callers,
 * threshold as a fraction): what the CLI and the API offer and check. */
static int add_decisions(PyObject *m)
{
    if (add_new(m, "RATE_MIN", PyFloat_FromDouble(PYRO_SAMPLER_RATE_MIN)) < 0 ||
        add_new(m, "RATE_MAX", PyFloat_FromDouble(PYRO_SAMPLER_RATE_MAX)) < 0 ||
        add_new(m, "RATE_DEFAULT", PyFloat_FromDouble(PYRO_SAMPLER_RATE_DEFAULT)) < 0 ||
        add_new(m, "RATE_MEMORY", PyFloat_FromDouble(PYRO_SAMPLER_RATE_MEMORY)) < 0 ||
        PyModule_AddStringConstant(m, "DEFAULT_FORMAT", pyro_format_name(PYRO_FMT_DEFAULT)) < 0)
        return -1;
    PyObject *exts = PyList_New(0), *binary = PyList_New(0), *sorts = PyList_New(0);
    int rc = exts && binary && sorts ? 0 : -1;
    int fmt;
    const char *ext;
    for (size_t i = 0; rc == 0 && (ext = pyro_format_extension(i, &fmt)); i++) {
        PyObject *pair = Py_BuildValue("(ss)", ext, pyro_format_name(fmt));
        rc = pair ? PyList_Append(exts, pair) : -1;
        Py_XDECREF(pair);
    }
    for (int f = 0; rc == 0 && f < PYRO_FMT_COUNT; f++) {
        if (!pyro_format_is_binary(f))
            continue;
        PyObject *name = PyUnicode_FromString(pyro_format_name(f));
        rc = name ? PyList_Append(binary, name) : -1;
        Py_XDECREF(name);
    }
    for (int k = 0; rc == 0 && k < PYRO_SORT_COUNT; k++) {
        PyObject *name = PyUnicode_FromString(pyro_sort_name(k));
        rc = name ? PyList_Append(sorts, name) : -1;
        Py_XDECREF(name);
    }
    if (rc == 0)
        rc = add_new(m, "FORMAT_EXTENSIONS", PyList_AsTuple(exts));
    if (rc == 0)
        rc = add_new(m, "BINARY_FORMATS", PyList_AsTuple(binary));
    if (rc == 0)
        rc = add_new(m, "SORTS", PyList_AsTuple(sorts));
    if (rc == 0)
        rc = add_units_and_mode_formats(m);
    if (rc == 0) {
        pyro_render_opts_t o;
        pyro_render_defaults(&o);
        rc = add_new(m, "RENDER_DEFAULTS",
                     Py_BuildValue("{sssIsIsd}", "sort", pyro_sort_name(o.sort), "limit", o.limit,
                                   "callers", o.ncallers, "threshold", o.threshold));
    }
    Py_XDECREF(exts);
    Py_XDECREF(binary);
    Py_XDECREF(sorts);
    return rc;
}

static PyObject *clock_source(PyObject *m, PyObject *unused)
{
    (void)m;
    (void)unused;
    pyro_clock_init();
    return PyUnicode_FromString(pyro_clock_source());
}

static PyObject *clock_cost(PyObject *m, PyObject *unused)
{
    (void)m;
    (void)unused;
    pyro_clock_init();
    const int n = 2000000;
    volatile int64_t sink = 0;
    int64_t t0 = pyro_clock_mono_ns();
    for (int i = 0; i < n; i++)
        sink = pyro_clock_ticks();
    int64_t t1 = pyro_clock_mono_ns();
    (void)sink;
    return PyFloat_FromDouble((double)(t1 - t0) / n);
}

PyObject *pyro_raise_event_error(pyro_modstate_t *st, int event, int err)
{
    char why[200];
    const pyro_event_info_t *info = pyro_event_info((pyro_event_t)event);
    pyro_counters_reason(err, info && info->hardware, pyro_counters_paranoid(), why, sizeof why);
    PyObject *args = Py_BuildValue("(is)", err, why);
    if (args) {
        PyErr_SetObject(st->event_error, args);
        Py_DECREF(args);
    }
    return NULL;
}

PyObject *pyro_raise_target(pyro_modstate_t *st, int err, int pid, const pyro_pyproc_t *pp)
{
    char why[256];
    switch (err) {
    case PYRO_ENOPROC:
        return PyErr_Format(PyExc_ProcessLookupError, "no process with id %d", pid);
    case PYRO_EPERM:
        return PyErr_Format(PyExc_PermissionError, "not permitted to read process %d", pid);
    case PYRO_ENOTPY:
        return PyErr_Format(
            st->not_python_error,
            "process %d is not running CPython (no CPython runtime in its memory map)", pid);
    case PYRO_EUNSUPPORTED:
        if (!pp)
            return pyro_raise(st, err, NULL);
        pyro_pyproc_refusal(pp, why, sizeof why);
        return PyErr_Format(st->unsupported_error, "process %d %s", pid, why);
    default:
        return pyro_raise(st, err, NULL);
    }
}

static PyObject *dump(PyObject *m, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"pid", "json", "color", "blocking", NULL};
    int pid, as_json = 0, color = 0, blocking = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "i|$ppp:dump", kwlist, &pid, &as_json, &color,
                                     &blocking))
        return NULL;
    pyro_modstate_t *st = pyro_modstate(m);
    if (pid <= 0)
        return PyErr_Format(PyExc_ValueError, "not a process id: %d", pid);
    if (blocking && pid == (int)getpid())
        return PyErr_Format(PyExc_ValueError, "a process cannot stop its own threads");
    pyro_pyproc_t pp = {0}; /* its version is read for the error message */
    pyro_unwinder_t *u = NULL;
    pyro_freeze_t *f = NULL;
    pyro_stacks_t s = {0};
    pyro_buf_t b;
    pyro_buf_init(&b);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = pyro_pyproc_open(pid, &pp);
    if (rc == PYRO_OK)
        rc = pyro_unwinder_new(&pp, &u);
    if (rc == PYRO_OK && blocking && (rc = pyro_freeze_new(pid, &f)) == PYRO_OK)
        pyro_unwinder_freeze(u, f);
    if (rc == PYRO_OK)
        rc = pyro_unwinder_sample(u, &s);
    pyro_freeze_free(f);
    if (rc == PYRO_OK)
        rc = pyro_dump_render(u, &s, as_json, color, &b);
    Py_END_ALLOW_THREADS
    PyObject *res = NULL;
    if (rc)
        pyro_raise_target(st, rc, pid, &pp);
    else
        res = PyUnicode_DecodeUTF8(b.data ? b.data : "", (Py_ssize_t)b.len, "replace");
    pyro_buf_free(&b);
    pyro_stacks_free(&s);
    pyro_unwinder_free(u);
    return res;
}

/* compile_program(source, filename): compile a program's source as the
 * interpreter compiles a script or -c code. Unlike builtin compile() it
 * inherits no __future__ flags from its caller, and it skips compile()'s
 * check whether the source is an AST object, which on its first call creates
 * every AST type: 0.7-1.1 ms of start-up a plain `python script.py` does not
 * have. A str is taken as UTF-8 (a coding cookie in it is ignored, as
 * compile() does); bytes follow PEP 263. The caller passes no NUL bytes. */
static PyObject *compile_program(PyObject *mod, PyObject *args)
{
    (void)mod;
    PyObject *source, *filename;
    if (!PyArg_ParseTuple(args, "OU:compile_program", &source, &filename))
        return NULL;
    PyCompilerFlags cf = _PyCompilerFlags_INIT;
    const char *str;
    Py_ssize_t len;
    if (PyUnicode_Check(source)) {
        if (!(str = PyUnicode_AsUTF8AndSize(source, &len)))
            return NULL;
        cf.cf_flags |= PyCF_IGNORE_COOKIE;
    } else if (PyBytes_Check(source)) {
        str = PyBytes_AS_STRING(source);
        len = PyBytes_GET_SIZE(source);
    } else {
        PyErr_SetString(PyExc_TypeError, "compile_program: source must be str or bytes");
        return NULL;
    }
    if ((size_t)len != strlen(str)) {
        PyErr_SetString(PyExc_ValueError, "source code string cannot contain null bytes");
        return NULL;
    }
    return Py_CompileStringObject(str, filename, Py_file_input, &cf, -1);
}

static PyMethodDef module_methods[] = {
    {"compile_program", compile_program, METH_VARARGS,
     "compile_program(source, filename)\n--\n\nCompile a program's source (str or bytes) as "
     "`python` compiles a script: no inherited __future__ flags."},
    {"dump", (PyCFunction)(void (*)(void))dump, METH_VARARGS | METH_KEYWORDS,
     "dump(pid, *, json=False, color=False)\n--\n\nEvery thread's Python stack in process `pid`, "
     "read from its memory without stopping it, as text or JSON. Raises ProcessLookupError, "
     "PermissionError, NotPythonError or UnsupportedPythonError."},
    {"format_from_path", format_from_path, METH_O,
     "format_from_path(path)\n--\n\nThe format implied by a file name's extension, or None."},
    {"format_names", format_names, METH_NOARGS, "format_names()\n--\n\nAll output format names."},
    {"strerror", strerror_, METH_O,
     "strerror(code)\n--\n\nThe core's message for one of its error codes (a negative int, as "
     "in Sampler.info['error'])."},
    {"clock_source", clock_source, METH_NOARGS,
     "clock_source()\n--\n\nThe tick source timing events: 'tsc' or 'monotonic'."},
    {"clock_cost", clock_cost, METH_NOARGS,
     "clock_cost()\n--\n\nNanoseconds one event timestamp costs on this machine (measured)."},
    PYRO_BENCH_METHODS

    {NULL, NULL, 0, NULL},
};

static int module_exec(PyObject *m)
{
    pyro_modstate_t *st = pyro_modstate(m);
    if (pyro_hook_type_init(m, st) < 0 || pyro_tracer_type_init(m, st) < 0 ||
        pyro_profile_type_init(m, st) < 0 || pyro_sampler_type_init(m, st) < 0 ||
        pyro_lines_type_init(m, st) < 0 || pyro_memory_type_init(m, st) < 0 ||
        pyro_gc_type_init(m, st) < 0 || pyro_stat_init(m) < 0 || pyro_measure_init(m) < 0)
        return -1;
    if (PyModule_AddIntConstant(m, "HAVE_MONITORING", PYRO_HAVE_MONITORING) < 0 ||
        add_decisions(m) < 0)
        return -1;
    st->not_python_error =
        PyErr_NewExceptionWithDoc("pyrometer._core.NotPythonError",
                                  "The process is not running CPython.", PyExc_RuntimeError, NULL);
    st->unsupported_error = PyErr_NewExceptionWithDoc(
        "pyrometer._core.UnsupportedPythonError",
        "The process runs a CPython version pyrometer cannot read.", PyExc_RuntimeError, NULL);
    if (!st->not_python_error || !st->unsupported_error ||
        PyModule_AddObjectRef(m, "NotPythonError", st->not_python_error) < 0 ||
        PyModule_AddObjectRef(m, "UnsupportedPythonError", st->unsupported_error) < 0)
        return -1;
    st->incomplete_warning = PyErr_NewExceptionWithDoc(
        "pyrometer._core.IncompleteProfileWarning",
        "Issued when a tracer or sampler stops after dropping events (memory was exhausted, or "
        "sampling ended in an error): the profile lacks them.",
        PyExc_RuntimeWarning, NULL);
    if (!st->incomplete_warning ||
        PyModule_AddObjectRef(m, "IncompleteProfileWarning", st->incomplete_warning) < 0)
        return -1;
    st->gil_required_error = PyErr_NewExceptionWithDoc(
        "pyrometer._core.GILRequiredError",
        "Exact tracing was asked of a free-threaded Python running without the GIL: the tracer "
        "needs the GIL to serialize its threads' events (run Python with PYTHON_GIL=1).",
        PyExc_RuntimeError, NULL);
    if (!st->gil_required_error ||
        PyModule_AddObjectRef(m, "GILRequiredError", st->gil_required_error) < 0)
        return -1;
    st->event_error = PyErr_NewExceptionWithDoc(
        "pyrometer._core.EventError",
        "A perf event this machine cannot sample or count (no PMU for a hardware event, "
        "perf_event_paranoid, no perf events): errno and strerror say why.",
        PyExc_OSError, NULL);
    if (!st->event_error || PyModule_AddObjectRef(m, "EventError", st->event_error) < 0)
        return -1;
    return pyro_testing_init(m);
}

static int module_traverse(PyObject *m, visitproc visit, void *arg)
{
    pyro_modstate_t *st = pyro_modstate(m);
    Py_VISIT(st->tracer_type);
    Py_VISIT(st->lines_type);
    Py_VISIT(st->profile_type);
    Py_VISIT(st->hook_type);
    Py_VISIT(st->profile_error);
    Py_VISIT(st->not_python_error);
    Py_VISIT(st->unsupported_error);
    Py_VISIT(st->incomplete_warning);
    Py_VISIT(st->gil_required_error);
    Py_VISIT(st->event_error);
    return 0;
}

static int module_clear(PyObject *m)
{
    pyro_modstate_t *st = pyro_modstate(m);
    Py_CLEAR(st->tracer_type);
    Py_CLEAR(st->lines_type);
    Py_CLEAR(st->profile_type);
    Py_CLEAR(st->hook_type);
    Py_CLEAR(st->profile_error);
    Py_CLEAR(st->not_python_error);
    Py_CLEAR(st->unsupported_error);
    Py_CLEAR(st->incomplete_warning);
    Py_CLEAR(st->gil_required_error);
    Py_CLEAR(st->event_error);
    return 0;
}

static void module_free(void *m) { module_clear((PyObject *)m); }

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
#if PYRO_HAVE_MOD_GIL
    /* Safe without the GIL: every object serializes its own state (critical
     * sections, the sampler's lock), and what is not safe, exact tracing,
     * refuses to start while the GIL is off (GILRequiredError) instead of
     * making importing pyrometer turn the GIL on for the whole program. */
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pyrometer._core",
    .m_doc = "pyrometer's C engine: tracer, line timer, profile model and output formats.",
    .m_size = sizeof(pyro_modstate_t),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC PyInit__core(void) { return PyModuleDef_Init(&module_def); }
