/* SPDX-License-Identifier: MIT */
/* lines_obj: _core.LineTimer, exact line timing exposed to Python. */
#include "lines_obj.h"

#include <stdlib.h>

#include "model/clock.h"
#include "model/error.h"
#include "hook_lines.h"
#include "names.h"
#include "profile_obj.h"

/* ==== choosing code ==== */

/* The line numbers that have code in `code` (dis.findlinestarts: every
 * version's own decoding of its line table) into a new array *out of *n
 * entries (free with PyMem_Free). 0 or -1 with an exception. */
static int code_lines(PyObject *code, uint32_t **out, uint32_t *n)
{
    *out = NULL;
    *n = 0;
    PyObject *dis = PyImport_ImportModule("dis");
    PyObject *starts = dis ? PyObject_CallMethod(dis, "findlinestarts", "O", code) : NULL;
    PyObject *it = starts ? PyObject_GetIter(starts) : NULL;
    Py_XDECREF(dis);
    Py_XDECREF(starts);
    if (!it)
        return -1;
    uint32_t cap = 0;
    PyObject *item;
    while ((item = PyIter_Next(it))) {
        PyObject *line = PyTuple_Check(item) && PyTuple_GET_SIZE(item) == 2
                             ? PyTuple_GET_ITEM(item, 1)
                             : Py_None;
        long v = PyLong_Check(line) ? PyLong_AsLong(line) : 0;
        Py_DECREF(item);
        if (v == -1 && PyErr_Occurred())
            break;
        if (v <= 0 || v > (long)UINT32_MAX)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            uint32_t *a = PyMem_Realloc(*out, cap * sizeof *a);
            if (!a) {
                PyErr_NoMemory();
                break;
            }
            *out = a;
        }
        (*out)[(*n)++] = (uint32_t)v;
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) {
        PyMem_Free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int pyro_lines_choose(pyro_lines_obj_t *self, PyObject *code)
{
    pyro_modstate_t *st = pyro_modstate(self->module);
    uintptr_t key = (uintptr_t)code;
    uint32_t prior = pyro_linetimer_lookup(self->timer, key);
    if (prior < pyro_linetimer_ncodes(self->timer) || prior == PYRO_LINES_HIDDEN)
        return 0;
    uint32_t *lines, nlines, func, id;
    if (code_lines(code, &lines, &nlines) < 0)
        return -1;
    if (nlines == 0) {
        PyMem_Free(lines);
        PyErr_Format(PyExc_ValueError, "code object %R has no lines to time", code);
        return -1;
    }
    pyro_keyobj_t ko = {PYRO_OBJ_CODE, code, NULL};
    int rc = pyro_names_resolve(pyro_linetimer_catalog(self->timer), &ko, &func);
    if (rc == PYRO_OK) {
        /* the list's index of the code is its id: appended first, taken back on failure */
        if (PyList_Append(self->chosen, code) < 0) {
            PyMem_Free(lines);
            return -1;
        }
        rc = pyro_linetimer_add(self->timer, key, func, lines, nlines, &id);
        if (rc != PYRO_OK)
            PyList_SetSlice(self->chosen, PyList_GET_SIZE(self->chosen) - 1,
                            PyList_GET_SIZE(self->chosen), NULL);
    }
    PyMem_Free(lines);
    if (rc != PYRO_OK) {
        pyro_raise(st, rc, NULL);
        return -1;
    }
    if (pyro_linetimer_running(self->timer) &&
        pyro_lines_hook_code(self, code, prior == PYRO_LINES_NO) < 0)
        return -1;
    return 1;
}

int pyro_lines_ask(pyro_lines_obj_t *self, PyObject *code)
{
    if (!self->matcher)
        return 0;
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    PyObject *matcher = Py_NewRef(self->matcher);
    PyObject *r = PyObject_CallFunctionObjArgs(matcher, code, NULL);
    int yes = 0;
    if (!r) {
        PyErr_WriteUnraisable(matcher);
    } else {
        yes = PyObject_IsTrue(r);
        Py_DECREF(r);
        if (yes < 0) {
            PyErr_WriteUnraisable(matcher);
            yes = 0;
        }
    }
    Py_DECREF(matcher);
    if (yes && pyro_lines_choose(self, code) < 0) {
        PyErr_WriteUnraisable(code);
        yes = 0;
    }
    uintptr_t key = (uintptr_t)code;
    yes = pyro_linetimer_lookup(self->timer, key) < pyro_linetimer_ncodes(self->timer);
    if (!yes) {
        /* asked once: keep the object so that its address stays its own */
        if (PyList_Append(self->keep, code) < 0 || pyro_linetimer_reject(self->timer, key))
            PyErr_Clear(); /* then it may be asked again: harmless */
    }
    PyErr_Restore(et, ev, tb);
    return yes;
}

/* ==== lifecycle ==== */

static void name_thread(void *ctx, pyro_lthread_t *tt);

static int lines_init(pyro_lines_obj_t *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"_floor", NULL};
    int floor = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$p:LineTimer", kwlist, &floor))
        return -1;
    if (self->timer) {
        PyErr_SetString(PyExc_RuntimeError, "LineTimer.__init__ called twice");
        return -1;
    }
    pyro_modstate_t *st = pyro_modstate_of_type(Py_TYPE(self));
    if (!st || pyro_gil_check(st) < 0)
        return -1;
    self->floor = floor;
    self->tool = -1;
    Py_XSETREF(self->chosen, PyList_New(0));
    Py_XSETREF(self->keep, PyList_New(0));
    if (!self->chosen || !self->keep)
        return -1;
    PyObject *module = PyType_GetModule(Py_TYPE(self));
    if (!module)
        return -1;
    Py_XSETREF(self->module, Py_NewRef(module));
    self->timer = pyro_linetimer_new();
    if (!self->timer) {
        PyErr_NoMemory();
        return -1;
    }
    pyro_linetimer_set_namer(self->timer, name_thread, NULL);
    return 0;
}

static int lines_traverse(pyro_lines_obj_t *self, visitproc visit, void *arg)
{
    Py_VISIT(self->module);
    Py_VISIT(self->chosen);
    Py_VISIT(self->keep);
    Py_VISIT(self->matcher);
    Py_VISIT(self->prev_thread_hook);
    Py_VISIT(self->bootstrap);
    Py_VISIT(self->disable);
    Py_VISIT(self->monitoring);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int lines_clear(pyro_lines_obj_t *self)
{
    Py_CLEAR(self->chosen);
    Py_CLEAR(self->keep);
    Py_CLEAR(self->matcher);
    Py_CLEAR(self->prev_thread_hook);
    Py_CLEAR(self->bootstrap);
    Py_CLEAR(self->disable);
    Py_CLEAR(self->monitoring);
    Py_CLEAR(self->module);
    return 0;
}

static void lines_dealloc(pyro_lines_obj_t *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    /* the hooks hold references to a running timer, so it cannot be
     * deallocated while running; stop defensively all the same */
    if (self->timer && pyro_linetimer_running(self->timer))
        pyro_linetimer_stop(self->timer);
    pyro_modstate_t *st = self->module ? pyro_modstate(self->module) : NULL;
    if (st && st->lines_active == (PyObject *)self)
        st->lines_active = NULL;
    pyro_linetimer_free(self->timer);
    lines_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

/* Non-zero if __init__ completed; else 0 with RuntimeError. */
static int ready(pyro_lines_obj_t *self)
{
    if (self->timer)
        return 1;
    PyErr_SetString(PyExc_RuntimeError, "LineTimer not initialized");
    return 0;
}

/* ==== methods ==== */

static PyObject *lines_add_code(pyro_lines_obj_t *self, PyObject *code)
{
    if (!ready(self))
        return NULL;
    if (!PyCode_Check(code)) {
        PyErr_Format(PyExc_TypeError, "add_code() takes a code object, not %.200s",
                     Py_TYPE(code)->tp_name);
        return NULL;
    }
    int rc = pyro_lines_choose(self, code);
    return rc < 0 ? NULL : PyBool_FromLong(rc);
}

static PyObject *lines_set_matcher(pyro_lines_obj_t *self, PyObject *matcher)
{
    if (!ready(self))
        return NULL;
    if (matcher != Py_None && !PyCallable_Check(matcher)) {
        PyErr_SetString(PyExc_TypeError, "set_matcher() takes a callable or None");
        return NULL;
    }
    Py_XSETREF(self->matcher, matcher == Py_None ? NULL : Py_NewRef(matcher));
    if (pyro_linetimer_running(self->timer) && pyro_lines_hook_matcher(self) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *lines_start(pyro_lines_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self))
        return NULL;
    pyro_modstate_t *st = pyro_modstate(self->module);
    if (st->lines_active) {
        PyErr_SetString(PyExc_RuntimeError,
                        st->lines_active == (PyObject *)self
                            ? "this LineTimer is already running"
                            : "another LineTimer is running: stop it first (one at a time)");
        return NULL;
    }
    if (pyro_gil_check(st) < 0)
        return NULL;
    int rc = pyro_linetimer_start(self->timer);
    if (rc)
        return pyro_raise(st, rc, NULL);
    if (pyro_lines_install(self) < 0) {
        pyro_linetimer_stop(self->timer);
        return NULL;
    }
    st->lines_active = (PyObject *)self;
    Py_RETURN_NONE;
}

/* Name a thread from the threading module, once it has registered there
 * (runs no Python code: safe inside a hook). */
static void name_thread(void *ctx, pyro_lthread_t *tt)
{
    (void)ctx;
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    PyObject *active = pyro_names_threading_active();
    PyObject *name = active ? pyro_names_thread_in(active, pyro_lthread_ident(tt)) : NULL;
    Py_XDECREF(active);
    if (name) {
        const char *u = PyUnicode_AsUTF8(name);
        if (u)
            pyro_lthread_set_name(tt, u);
        Py_DECREF(name);
    }
    PyErr_Clear();
    PyErr_Restore(et, ev, tb);
}

static PyObject *lines_stop(pyro_lines_obj_t *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"warn", NULL};
    int warn = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$p:stop", kwlist, &warn))
        return NULL;
    if (!self->timer || !pyro_linetimer_running(self->timer))
        Py_RETURN_NONE; /* stopping twice is harmless */
    pyro_modstate_t *st = pyro_modstate(self->module);
    pyro_lines_remove(self);
    pyro_linetimer_stop(self->timer);
    if (st->lines_active == (PyObject *)self)
        st->lines_active = NULL;
    for (uint32_t i = 0; i < pyro_linetimer_nthreads(self->timer); i++) {
        pyro_lthread_t *tt = pyro_linetimer_thread_at(self->timer, i);
        if (!pyro_lthread_has_name(tt))
            name_thread(NULL, tt);
    }
    if (pyro_linetimer_failed(self->timer) && !self->warned) {
        self->warned = 1;
        if (warn && pyro_warn_incomplete(st, "memory was exhausted while timing lines: events "
                                             "were dropped and the profile is incomplete") < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *lines_exec_code(pyro_lines_obj_t *self, PyObject *args)
{
    PyObject *code, *globals;
    if (!PyArg_ParseTuple(args, "O!O!:exec_code", &PyCode_Type, &code, &PyDict_Type, &globals) ||
        !pyro_program_code(code) || !ready(self))
        return NULL;
    if (!pyro_linetimer_running(self->timer)) {
        PyErr_SetString(PyExc_RuntimeError, "exec_code() needs a running LineTimer");
        return NULL;
    }
    return PyEval_EvalCode(code, globals, globals);
}

static PyObject *lines_pause_thread(pyro_lines_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self))
        return NULL;
    pyro_lthread_t *tt = pyro_lines_this_thread(self->timer);
    if (tt)
        pyro_lthread_set_paused(tt, 1);
    Py_RETURN_NONE;
}

static PyObject *lines_bootstrap(pyro_lines_obj_t *self, PyObject *const *args, Py_ssize_t n)
{
    if (n != 3) {
        PyErr_SetString(PyExc_TypeError, "_bootstrap(frame, event, arg) takes 3 arguments");
        return NULL;
    }
    if (!ready(self))
        return NULL;
    return pyro_lines_bootstrap(self, args, n);
}

static PyObject *lines_hide(pyro_lines_obj_t *self, PyObject *obj)
{
    if (!ready(self))
        return NULL;
    PyObject *code = obj;
    if (PyFunction_Check(obj))
        code = PyFunction_GET_CODE(obj);
    if (!PyCode_Check(code)) {
        PyErr_SetString(PyExc_TypeError, "hide() takes a function or a code object");
        return NULL;
    }
    if (pyro_linetimer_lookup(self->timer, (uintptr_t)code) < pyro_linetimer_ncodes(self->timer))
        Py_RETURN_NONE; /* chosen already: it stays chosen */
    if (PyList_Append(self->keep, code) < 0)
        return NULL;
    if (pyro_linetimer_hide(self->timer, (uintptr_t)code))
        return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyObject *lines_profile(pyro_lines_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self))
        return NULL;
    pyro_modstate_t *st = pyro_modstate(self->module);
    if (pyro_linetimer_running(self->timer)) {
        PyErr_SetString(PyExc_RuntimeError, "stop the LineTimer before taking its profile");
        return NULL;
    }
    pyro_profile_t *p = NULL;
    int rc = pyro_linetimer_export(self->timer, &p);
    if (rc)
        return pyro_raise(st, rc, NULL);
    char buf[64];
    snprintf(buf, sizeof buf, "%.9f", (double)pyro_linetimer_elapsed_ns(self->timer) * 1e-9);
    const char *backend = pyro_lines_backend();
    if ((rc = pyro_profile_set_meta(p, "clock", "wall")) ||
        (rc = pyro_profile_set_meta(p, "backend", backend)) ||
        (rc = pyro_profile_set_meta(p, "hooks",
                                    PYRO_HAVE_MONITORING ? "sys.monitoring" : "settrace")) ||
        (rc = pyro_profile_set_meta(p, "tick_source", pyro_clock_source())) ||
        (rc = pyro_profile_set_meta(p, "elapsed_s", buf)) ||
        (rc = pyro_profile_set_meta(p, "complete",
                                    pyro_linetimer_failed(self->timer) ? "no" : "yes")) ||
        (rc = pyro_profile_note_sys_path(p))) {
        pyro_profile_free(p);
        return pyro_raise(st, rc, NULL);
    }
    return pyro_profile_obj_new(st, p);
}

/* _rows(): the nodes of profile() as tuples, for tests (the Profile type
 * exposes no nodes): (thread index, thread name, qualname, file, first
 * line, line, calls, hits, total_ns); line 0 is a function's root. */
static PyObject *lines_rows(pyro_lines_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self))
        return NULL;
    if (pyro_linetimer_running(self->timer)) {
        PyErr_SetString(PyExc_RuntimeError, "stop the LineTimer before taking its profile");
        return NULL;
    }
    pyro_profile_t *p = NULL;
    int rc = pyro_linetimer_export(self->timer, &p);
    if (rc)
        return pyro_raise(pyro_modstate(self->module), rc, NULL);
    PyObject *rows = PyList_New(0);
    for (uint32_t n = 0; rows && n < p->nnodes; n++) {
        const pyro_node_t *nd = &p->nodes[n];
        const pyro_func_t *f = &p->funcs[nd->func];
        PyObject *row = Py_BuildValue(
            "(IsssIILLL)", nd->thread, pyro_profile_strget(p, p->threads[nd->thread].name),
            pyro_profile_strget(p, f->qualname), pyro_profile_strget(p, f->file), f->line, nd->line,
            (long long)pyro_node_metric(p, n, PYRO_M_CALLS),
            (long long)pyro_node_metric(p, n, PYRO_M_HITS),
            (long long)pyro_node_metric(p, n, PYRO_M_TOTAL_NS));
        if (!row || PyList_Append(rows, row) < 0)
            Py_CLEAR(rows);
        Py_XDECREF(row);
    }
    pyro_profile_free(p);
    return rows;
}

static PyObject *lines_get_chosen(pyro_lines_obj_t *self, void *c)
{
    (void)c;
    if (!self->chosen)
        return PyTuple_New(0);
    return PyList_AsTuple(self->chosen);
}

static PyObject *lines_get_running(pyro_lines_obj_t *self, void *c)
{
    (void)c;
    return PyBool_FromLong(self->timer && pyro_linetimer_running(self->timer));
}

static PyObject *lines_get_hook_lost(pyro_lines_obj_t *self, void *c)
{
    (void)c;
    return PyBool_FromLong(self->hook_lost);
}

static PyObject *lines_get_incomplete(pyro_lines_obj_t *self, void *c)
{
    (void)c;
    return PyBool_FromLong(self->timer && pyro_linetimer_failed(self->timer));
}

static PyMethodDef lines_methods[] = {
    {"add_code", (PyCFunction)lines_add_code, METH_O,
     "add_code(code)\n--\n\nChoose a code object: its lines are timed, in every thread, whenever "
     "the timer runs (while running: from its next line event). True if newly chosen; False if "
     "chosen already or hidden."},
    {"set_matcher", (PyCFunction)lines_set_matcher, METH_O,
     "set_matcher(matcher)\n--\n\nWhile running, call matcher(code) once per code object (not "
     "chosen, not hidden) when a frame of it first starts; True chooses it from that call on. "
     "None: no matcher. An exception from it is printed as unraisable and counts as False."},
    {"start", (PyCFunction)lines_start, METH_NOARGS,
     "start()\n--\n\nInstall the hooks on every thread (and threads started later). Raises "
     "RuntimeError if a LineTimer is running, or another tracer holds what it needs."},
    {"stop", (PyCFunction)(void (*)(void))lines_stop, METH_VARARGS | METH_KEYWORDS,
     "stop(*, warn=True)\n--\n\nRemove every hook; lines still open are charged up to now. "
     "Harmless when stopped. If memory ran out (`incomplete`), the first stop after it issues "
     "IncompleteProfileWarning unless warn=False."},
    {"exec_code", (PyCFunction)lines_exec_code, METH_VARARGS,
     "exec_code(code, globals)\n--\n\nEvaluate `code` in `globals` while timing, with no frame "
     "of pyrometer's own in between; returns its result."},
    {"pause_thread", (PyCFunction)lines_pause_thread, METH_NOARGS,
     "pause_thread()\n--\n\nStop recording the calling thread until the next start()."},
    {"hide", (PyCFunction)lines_hide, METH_O,
     "hide(func)\n--\n\nNever choose `func` (a function or code object), by hand or by the "
     "matcher."},
    {"profile", (PyCFunction)lines_profile, METH_NOARGS,
     "profile()\n--\n\nEverything timed so far as a Profile of mode 'lines' (the timer must be "
     "stopped)."},
    {"_rows", (PyCFunction)lines_rows, METH_NOARGS,
     "Internal, for tests: profile()'s nodes as (thread, thread name, qualname, file, first "
     "line, line, calls, hits, total_ns) tuples."},
    {"_bootstrap", (PyCFunction)(void (*)(void))lines_bootstrap, METH_FASTCALL,
     "Internal: threading's trace hook that hands new threads over to the C hook."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef lines_getset[] = {
    {"chosen", (getter)lines_get_chosen, NULL, "The chosen code objects, in the order chosen.",
     NULL},
    {"running", (getter)lines_get_running, NULL, "True while timing.", NULL},
    {"hook_lost", (getter)lines_get_hook_lost, NULL,
     "True if the program replaced pyrometer's trace hook (sys.settrace) on some thread.", NULL},
    {"incomplete", (getter)lines_get_incomplete, NULL,
     "True if events were dropped for lack of memory (stays True; stop() warns once).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot lines_slots[] = {
    {Py_tp_init, lines_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, lines_dealloc},
    {Py_tp_traverse, lines_traverse},
    {Py_tp_clear, lines_clear},
    {Py_tp_methods, lines_methods},
    {Py_tp_getset, lines_getset},
    {Py_tp_doc, "LineTimer(*, _floor=False)\n--\n\n"
                "Exact line timing of chosen code objects, in every thread: hits and time per "
                "line, as line_profiler, per frame (recursion is not counted twice).\n"
                "_floor=True installs the same hooks on the same code, each line event only "
                "reading the clock and adding to one counter: what the hooks cost by themselves "
                "(bench/ uses it); its profile then has no hits."},
    {0, NULL},
};

static PyType_Spec lines_spec = {
    .name = "pyrometer._core.LineTimer",
    .basicsize = sizeof(pyro_lines_obj_t),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .slots = lines_slots,
};

int pyro_lines_type_init(PyObject *m, pyro_modstate_t *st)
{
    st->lines_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &lines_spec, NULL);
    if (!st->lines_type)
        return -1;
    Py_INCREF(st->lines_type);
    if (PyModule_AddObject(m, "LineTimer", (PyObject *)st->lines_type) < 0) {
        Py_DECREF(st->lines_type);
        return -1;
    }
    return 0;
}
