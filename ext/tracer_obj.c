/* SPDX-License-Identifier: MIT */
/* tracer_obj: _core.Tracer, the deterministic tracer exposed to Python. */
#include "tracer_obj.h"

#include <string.h>
#include <unistd.h>

#include "model/clock.h"
#include "model/error.h"
#include "hook_frame.h"
#include "hook_legacy.h"
#include "hook_monitoring.h"
#include "names.h"
#include "profile_obj.h"
#include "record/counters.h"

/* ==== resolving keys (first sight of a function on a thread) ==== */

/* Name a thread from the threading module, once it has registered there. */
static void name_thread(void *ctx, pyro_tthread_t *tt)
{
    (void)ctx;
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    PyObject *active = pyro_names_threading_active();
    PyObject *name = active ? pyro_names_thread_in(active, pyro_tthread_ident(tt)) : NULL;
    Py_XDECREF(active);
    if (name) {
        const char *u = PyUnicode_AsUTF8(name);
        if (u)
            pyro_tthread_set_name(tt, u);
        Py_DECREF(name);
    }
    PyErr_Clear();
    PyErr_Restore(et, ev, tb);
}

static int resolve(void *ctx, pyro_tthread_t *tt, uintptr_t key, void *obj, uint32_t *func)
{
    (void)key;
    (void)tt;
    pyro_tracer_obj_t *self = ctx;
    const pyro_keyobj_t *ko = obj;
    int rc;
    if (ko->kind == PYRO_OBJ_CODE && !PyCode_Check(ko->a)) {
        /* not from the interpreter: a hook's callback called by hand */
        *func = PYRO_FUNC_HIDDEN;
        rc = PYRO_OK;
    } else {
        rc = pyro_names_resolve(pyro_tracer_catalog(self->tracer), ko, func);
    }
    if (rc == PYRO_OK && ko->kind == PYRO_OBJ_CODE) {
        /* keep the object alive so its address (the key) is never reused */
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        if (PyList_Append(self->keep, ko->a) < 0) {
            PyErr_Clear();
            rc = PYRO_ENOMEM;
        }
        PyErr_Restore(et, ev, tb);
    }
    return rc;
}

/* ==== lifecycle ==== */

static int hide_own_methods(pyro_tracer_obj_t *self);

/* Which hooks feed the tracer (chosen per Python version, see start). */
enum { BACKEND_AUTO, BACKEND_LEGACY, BACKEND_MONITORING, BACKEND_FRAME };
static const char *const backend_names[] = {"auto", "legacy", "monitoring", "frame"};

/* 0 if exact tracing may run in this interpreter, else -1 with
 * GILRequiredError: a free-threaded Python running without the GIL. The
 * core tracer's shared tables (function catalog, thread list) and the
 * interpreter-wide hooks rely on one thread running Python at a time, which
 * only the GIL provides; making them safe without it would cost every event
 * a lock or atomics, and stop() would race with events still running. */
int pyro_gil_check(pyro_modstate_t *st)
{
    int off = pyro_gil_disabled();
    if (off < 0)
        return -1;
    if (off) {
        PyErr_SetString(st->gil_required_error,
                        "exact tracing needs the GIL, and this free-threaded Python runs without "
                        "it: run Python with PYTHON_GIL=1 (or -X gil=1) to trace");
        return -1;
    }
    return 0;
}

/* Without the GIL no Tracer gets past __init__, so none of its methods
 * (which touch the core tracer only after ready()) needs a lock of its own. */
/* The events named by the sequence `seq` into events[], their number into
 * *n; each opened once on this thread to check this machine counts it.
 * ValueError (unknown, repeated or too many), OSError(errno, reason). */
static int counters_of(pyro_modstate_t *st, PyObject *seq, int *events, int *n)
{
    PyObject *fast = PySequence_Fast(seq, "counters must be a sequence of event names");
    if (!fast)
        return -1;
    int rc = -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(fast);
    if (len > PYRO_TRACE_MAX_COUNTERS) {
        PyErr_Format(PyExc_ValueError, "at most %d counters", PYRO_TRACE_MAX_COUNTERS);
        goto done;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        const char *name = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(fast, i));
        if (!name)
            goto done;
        int e = pyro_event_lookup(name);
        if (e < 0) {
            PyErr_Format(PyExc_ValueError, "unknown event: %s", name);
            goto done;
        }
        for (int j = 0; j < *n; j++)
            if (events[j] == e) {
                PyErr_Format(PyExc_ValueError, "counters: %s given twice", name);
                goto done;
            }
        int err, user_only, fd = pyro_counter_open_thread((pyro_event_t)e, &err, &user_only);
        if (fd < 0) {
            pyro_raise_event_error(st, e, err);
            goto done;
        }
        close(fd);
        events[(*n)++] = e;
    }
    rc = 0;
done:
    Py_DECREF(fast);
    return rc;
}

static int tracer_init(pyro_tracer_obj_t *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"clock", "builtins", "backend", "_floor", "counters", NULL};
    const char *clock = "wall", *backend = "auto";
    int builtins = 1, floor = 0;
    PyObject *counters = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$spspO:Tracer", kwlist, &clock, &builtins,
                                     &backend, &floor, &counters))
        return -1;
    int events[PYRO_TRACE_MAX_COUNTERS], nev = 0;
    if (counters && counters != Py_None &&
        counters_of(pyro_modstate_of_type(Py_TYPE(self)), counters, events, &nev) < 0)
        return -1;
    if (self->tracer) {
        PyErr_SetString(PyExc_RuntimeError, "Tracer.__init__ called twice");
        return -1;
    }
    pyro_modstate_t *st = pyro_modstate_of_type(Py_TYPE(self));
    if (!st || pyro_gil_check(st) < 0)
        return -1;
    self->floor = floor;

    self->backend = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(backend, backend_names[i]) == 0)
            self->backend = i;
    if (self->backend == BACKEND_FRAME && !builtins && !PYRO_FRAME_HOOK_SEES_ALL) {
        PyErr_SetString(PyExc_ValueError,
                        "backend 'frame' without builtins would miss calls on this Python (its "
                        "specialized instructions bypass the frame hook); use 'monitoring'");
        return -1;
    }
    if (self->backend < 0 || (self->backend == BACKEND_LEGACY && PYRO_HAVE_MONITORING) ||
        (self->backend == BACKEND_MONITORING && !PYRO_HAVE_MONITORING) ||
        (self->backend == BACKEND_FRAME && builtins && !PYRO_HAVE_MONITORING)) {
        PyErr_Format(PyExc_ValueError, "backend '%s' is not available here (auto; %s; frame%s)",
                     backend, PYRO_HAVE_MONITORING ? "monitoring" : "legacy",

                     PYRO_HAVE_MONITORING ? "" : " with builtins=False");
        return -1;
    }
    if (strcmp(clock, "wall") == 0)
        self->clock = PYRO_CLOCK_WALL;
    else if (strcmp(clock, "cpu") == 0)
        self->clock = PYRO_CLOCK_CPU;
    else {
        PyErr_Format(PyExc_ValueError, "clock must be 'wall' or 'cpu', not '%s'", clock);
        return -1;
    }
    self->builtins = builtins;
    self->tool = -1;
    Py_XSETREF(self->keep, PyList_New(0));
    if (!self->keep)
        return -1;
    PyObject *module = PyType_GetModule(Py_TYPE(self));
    if (!module)
        return -1;
    Py_XSETREF(self->module, Py_NewRef(module));
    self->tracer = pyro_tracer_new(self->clock, resolve, self);
    if (!self->tracer) {
        PyErr_NoMemory();
        return -1;
    }
    pyro_tracer_set_namer(self->tracer, name_thread);
    if (nev && pyro_tracer_set_counters(self->tracer, events, nev)) {
        PyErr_SetString(PyExc_ValueError, "counters: each event once");
        return -1;
    }
    return hide_own_methods(self);
}

static int tracer_traverse(pyro_tracer_obj_t *self, visitproc visit, void *arg)
{
    Py_VISIT(self->keep);
    Py_VISIT(self->module);
    Py_VISIT(self->prev_thread_hook);
    Py_VISIT(self->bootstrap);
    Py_VISIT(self->missing);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int tracer_clear(pyro_tracer_obj_t *self)
{
    Py_CLEAR(self->keep);
    Py_CLEAR(self->prev_thread_hook);
    Py_CLEAR(self->bootstrap);
    Py_CLEAR(self->missing);
    Py_CLEAR(self->module);
    return 0;
}

static void tracer_dealloc(pyro_tracer_obj_t *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    /* a running tracer holds references from its hooks, so it cannot be
     * deallocated while running; stop defensively all the same */
    if (self->tracer && pyro_tracer_running(self->tracer))
        pyro_tracer_stop(self->tracer);
    pyro_tracer_free(self->tracer);
    tracer_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

/* ==== start / stop ==== */

/* Non-zero if __init__ completed; else 0 with RuntimeError (an instance made
 * by Tracer.__new__ alone, or whose __init__ failed). */
static int ready(pyro_tracer_obj_t *self)
{
    if (self->tracer)
        return 1;
    PyErr_SetString(PyExc_RuntimeError, "Tracer not initialized");
    return 0;
}

static PyObject *tracer_start(pyro_tracer_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self))
        return NULL;
    pyro_modstate_t *st = pyro_modstate(self->module);
    if (st->active) {
        PyErr_SetString(PyExc_RuntimeError, st->active == self
                                                ? "this tracer is already running"
                                                : "another pyrometer tracer is running");
        return NULL;
    }
    if (pyro_gil_check(st) < 0) /* the GIL is the interpreter's: checked again */
        return NULL;
    if (pyro_tracer_start(self->tracer))
        return pyro_raise(st, PYRO_ESTATE, NULL);
    /* Python frames: the PEP 523 hook when asked or when it is the cheaper
     * way (always without builtins; on 3.12+ beside sys.monitoring's CALL
     * events for C functions). C functions before 3.12: the legacy hook,
     * which sees Python frames too, so it is never combined with PEP 523. */
    int want_frame = self->backend == BACKEND_FRAME ||
                     (self->backend == BACKEND_AUTO &&
                      (self->builtins ? PYRO_HAVE_MONITORING : PYRO_FRAME_HOOK_SEES_ALL));
    self->frame_hook = want_frame && pyro_frame_install(self);
    int rc = 0;
    if (PYRO_HAVE_MONITORING) {
        self->monitor_py = !self->frame_hook;
        if (self->monitor_py || self->builtins)
            rc = pyro_monitoring_install(self);
    } else if (!self->frame_hook) {
        rc = pyro_legacy_install(self);
    }
    if (rc < 0) {
        if (self->frame_hook)
            pyro_frame_remove(self);
        self->frame_hook = 0;
        pyro_tracer_stop(self->tracer);
        return NULL;
    }
    st->active = self;
    Py_RETURN_NONE;
}

/* Name every thread that has no name yet and is still alive. */
static void name_threads(pyro_tracer_obj_t *self)
{
    for (uint32_t i = 0; i < pyro_tracer_nthreads(self->tracer); i++) {
        pyro_tthread_t *tt = pyro_tracer_thread_at(self->tracer, i);
        if (!pyro_tthread_has_name(tt))
            name_thread(self, tt);
    }
}

static PyObject *tracer_stop(pyro_tracer_obj_t *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"warn", NULL};
    int warn = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$p:stop", kwlist, &warn))
        return NULL;
    if (!self->tracer || !pyro_tracer_running(self->tracer))
        Py_RETURN_NONE; /* stopping twice is harmless (exit paths may race) */
    pyro_modstate_t *st = pyro_modstate(self->module);
    if (self->frame_hook)
        pyro_frame_remove(self);
    if (PYRO_HAVE_MONITORING)
        pyro_monitoring_remove(self);
    else if (!self->frame_hook)
        pyro_legacy_remove(self);
    pyro_tracer_stop(self->tracer);
    if (st->active == self)
        st->active = NULL;
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    name_threads(self);
    PyErr_Restore(et, ev, tb);
    /* the hooks cannot raise: report the sticky flag now, once */
    if (pyro_tracer_failed(self->tracer) && !self->warned) {
        self->warned = 1;
        if (warn && pyro_warn_incomplete(st, "memory was exhausted while tracing: calls were "
                                             "dropped and the profile is incomplete") < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *tracer_exec_code(pyro_tracer_obj_t *self, PyObject *args)
{
    PyObject *code, *globals;
    if (!PyArg_ParseTuple(args, "O!O!:exec_code", &PyCode_Type, &code, &PyDict_Type, &globals) ||
        !pyro_program_code(code) || !ready(self))
        return NULL;
    if (!pyro_tracer_running(self->tracer)) {
        PyErr_SetString(PyExc_RuntimeError, "exec_code() needs a running tracer");
        return NULL;
    }
    return PyEval_EvalCode(code, globals, globals);
}

static PyObject *tracer_pause_thread(pyro_tracer_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self))
        return NULL;
    pyro_tthread_t *tt = pyro_tracer_this_thread(self->tracer);
    if (tt)
        pyro_tthread_set_paused(tt, 1);
    Py_RETURN_NONE;
}

static PyObject *tracer_bootstrap(pyro_tracer_obj_t *self, PyObject *const *args, Py_ssize_t n)
{
    if (n != 3) {
        PyErr_SetString(PyExc_TypeError, "_bootstrap(frame, event, arg) takes 3 arguments");
        return NULL;
    }
    if (!ready(self))
        return NULL;
    return pyro_legacy_bootstrap(self, args, n);
}

static PyObject *tracer_hide(pyro_tracer_obj_t *self, PyObject *obj)
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
    if (PyList_Append(self->keep, code) < 0)
        return NULL;
    if (pyro_tracer_hide(self->tracer, (uintptr_t)code))
        return PyErr_NoMemory();
    Py_RETURN_NONE;
}

/* The hooks of the last session, for the profile's metadata. */
static const char *hooks_used(pyro_tracer_obj_t *self)
{
    if (self->frame_hook)
        return self->builtins ? "pep523+sys.monitoring" : "pep523";
    return PYRO_HAVE_MONITORING ? "sys.monitoring" : "setprofile";
}

static PyObject *tracer_profile(pyro_tracer_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self))
        return NULL;
    pyro_modstate_t *st = pyro_modstate(self->module);
    if (pyro_tracer_running(self->tracer)) {
        PyErr_SetString(PyExc_RuntimeError, "stop the tracer before taking its profile");
        return NULL;
    }
    pyro_profile_t *p = NULL;
    int rc = pyro_tracer_export(self->tracer, &p);
    if (rc)
        return pyro_raise(st, rc, NULL);
    char buf[64];
    snprintf(buf, sizeof buf, "%.9f", (double)pyro_tracer_elapsed_ns(self->tracer) * 1e-9);
    if ((rc = pyro_profile_set_meta(p, "clock", self->clock == PYRO_CLOCK_CPU ? "cpu" : "wall")) ||
        (rc = pyro_profile_set_meta(p, "builtins", self->builtins ? "yes" : "no")) ||
        (rc = pyro_profile_set_meta(p, "hooks", hooks_used(self))) ||
        (rc = pyro_profile_set_meta(p, "tick_source", pyro_clock_source())) ||
        (rc = pyro_profile_set_meta(p, "elapsed_s", buf)) ||
        (rc = pyro_profile_set_meta(p, "complete",
                                    pyro_tracer_failed(self->tracer) ? "no" : "yes")) ||
        (rc = pyro_profile_note_sys_path(p))) {
        pyro_profile_free(p);
        return pyro_raise(st, rc, NULL);
    }
    return pyro_profile_obj_new(st, p);
}

static PyObject *tracer_get_running(pyro_tracer_obj_t *self, void *c)
{
    (void)c;
    return PyBool_FromLong(self->tracer && pyro_tracer_running(self->tracer));
}

static PyObject *tracer_get_hook_lost(pyro_tracer_obj_t *self, void *c)
{
    (void)c;
    return PyBool_FromLong(self->hook_lost);
}

static PyObject *tracer_get_incomplete(pyro_tracer_obj_t *self, void *c)
{
    (void)c;
    return PyBool_FromLong(self->tracer && pyro_tracer_failed(self->tracer));
}

static PyObject *tracer_get_clock(pyro_tracer_obj_t *self, void *c)
{
    (void)c;
    return PyUnicode_FromString(self->clock == PYRO_CLOCK_CPU ? "cpu" : "wall");
}

static PyMethodDef tracer_methods[] = {
    {"start", (PyCFunction)tracer_start, METH_NOARGS,
     "start()\n--\n\nBegin tracing every thread. Raises RuntimeError if a tracer is running."},
    {"stop", (PyCFunction)(void (*)(void))tracer_stop, METH_VARARGS | METH_KEYWORDS,
     "stop(*, warn=True)\n--\n\nStop tracing; calls still open are closed now. Harmless when "
     "stopped. If memory ran out while tracing (calls were dropped: `incomplete`), the first "
     "stop after it issues IncompleteProfileWarning (a RuntimeWarning) unless warn=False; the "
     "profile keeps what was recorded, its meta says complete: no."},
    {"exec_code", (PyCFunction)tracer_exec_code, METH_VARARGS,
     "exec_code(code, globals)\n--\n\nEvaluate `code` in `globals` while tracing, with no frame of "
     "pyrometer's own in between; returns its result."},
    {"pause_thread", (PyCFunction)tracer_pause_thread, METH_NOARGS,
     "pause_thread()\n--\n\nStop recording the calling thread until the next start()."},
    {"profile", (PyCFunction)tracer_profile, METH_NOARGS,
     "profile()\n--\n\nEverything traced so far as a Profile (the tracer must be stopped)."},
    {"hide", (PyCFunction)tracer_hide, METH_O,
     "hide(func)\n--\n\nNever record `func` (a function or code object): its time goes to its "
     "caller."},
    {"_bootstrap", (PyCFunction)(void (*)(void))tracer_bootstrap, METH_FASTCALL,
     "Internal: threading's profile hook that hands new threads over to the C hook."},
    {NULL, NULL, 0, NULL},
};

/* Our own methods never appear in profiles. */
static int hide_own_methods(pyro_tracer_obj_t *self)
{
    for (PyMethodDef *m = tracer_methods; m->ml_name; m++)
        if (pyro_tracer_hide(self->tracer, (uintptr_t)m)) {
            PyErr_NoMemory();
            return -1;
        }
    return 0;
}

static PyGetSetDef tracer_getset[] = {
    {"running", (getter)tracer_get_running, NULL, "True while tracing.", NULL},
    {"clock", (getter)tracer_get_clock, NULL, "'wall' or 'cpu'.", NULL},
    {"hook_lost", (getter)tracer_get_hook_lost, NULL,
     "True if the program replaced pyrometer's profile hook on some thread.", NULL},
    {"incomplete", (getter)tracer_get_incomplete, NULL,
     "True if events were dropped for lack of memory (stays True; stop() warns once).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot tracer_slots[] = {
    {Py_tp_init, tracer_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, tracer_dealloc},
    {Py_tp_traverse, tracer_traverse},
    {Py_tp_clear, tracer_clear},
    {Py_tp_methods, tracer_methods},
    {Py_tp_getset, tracer_getset},
    {Py_tp_doc,
     "Tracer(*, clock='wall', builtins=True, backend='auto', counters=None)\n--\n\n"
     "Deterministic tracer: records every call of every thread with cProfile's semantics.\n"
     "counters: up to 4 perf event names (\"page-faults\", ...) counted per call too: each "
     "node gets columns EVENT (own) and EVENT_total (with callees). ValueError for an unknown "
     "event, EventError(errno, reason) for one this machine cannot count.\n"
     "_floor=True installs the same hooks with empty callbacks and records nothing: it "
     "measures what the interpreter's hooks cost by themselves (bench/ uses it)."},

    {0, NULL},
};

static PyType_Spec tracer_spec = {
    .name = "pyrometer._core.Tracer",
    .basicsize = sizeof(pyro_tracer_obj_t),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .slots = tracer_slots,
};

int pyro_tracer_type_init(PyObject *m, pyro_modstate_t *st)
{
    st->tracer_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &tracer_spec, NULL);
    if (!st->tracer_type)
        return -1;
    Py_INCREF(st->tracer_type);
    if (PyModule_AddObject(m, "Tracer", (PyObject *)st->tracer_type) < 0) {
        Py_DECREF(st->tracer_type);
        return -1;
    }
    return 0;
}
