/* SPDX-License-Identifier: MIT */
/* hook_legacy: PyEval_SetProfile on all threads (CPython 3.9-3.11). */
#include "hook_legacy.h"

#include "names.h"

#if !PYRO_HAVE_MONITORING

#include <frameobject.h>

/* ==== the hook: one call per event, on the thread of the event ====
 * Interception only: find the key and forward to the core's entry point
 * (pyro_tracer_enter / pyro_tracer_leave, contract in record/tracer.h). The
 * interpreter calls no profile hook while one runs (tstate->tracing). */

PYRO_HOOK static int profile_hook(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
    pyro_tracer_obj_t *self = (pyro_tracer_obj_t *)obj;
    switch (what) {
    case PyTrace_CALL: {
        PyCodeObject *code = pyro_frame_code(frame);
        pyro_keyobj_t ko = {PYRO_OBJ_CODE, (PyObject *)code, NULL};
        pyro_tracer_enter(self->tracer, (uintptr_t)code, &ko);
        break;
    }
    case PyTrace_RETURN:
        pyro_tracer_leave(self->tracer, (uintptr_t)pyro_frame_code(frame));
        break;
    case PyTrace_C_CALL:
        if (self->builtins && PyCFunction_Check(arg)) {
            pyro_keyobj_t ko = {PYRO_OBJ_CFUNC, arg, NULL};
            pyro_tracer_enter(self->tracer, (uintptr_t)((PyCFunctionObject *)arg)->m_ml, &ko);
        }
        break;
    case PyTrace_C_RETURN:
    case PyTrace_C_EXCEPTION:
        if (self->builtins && PyCFunction_Check(arg))
            pyro_tracer_leave(self->tracer, (uintptr_t)((PyCFunctionObject *)arg)->m_ml);
        break;
    default:
        break;
    }
    return 0;
}

/* The same hook doing nothing: the cost floor of this mechanism. */
static int noop_hook(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
    (void)obj;
    (void)frame;
    (void)what;
    (void)arg;
    return 0;
}

static Py_tracefunc hook_of(pyro_tracer_obj_t *self)
{
    return self->floor ? noop_hook : profile_hook;
}

/* ==== new threads ==== */

static PyObject *threading_module(void)
{
    PyObject *name = PyUnicode_FromString("threading");
    if (!name)
        return NULL;
    PyObject *mod = PyImport_Import(name);
    Py_DECREF(name);
    return mod;
}

PyObject *pyro_legacy_bootstrap(pyro_tracer_obj_t *self, PyObject *const *args, Py_ssize_t n)
{
    (void)n; /* 3: checked by the caller */
    PyThreadState *ts = PyThreadState_Get();
    if (!pyro_tracer_running(self->tracer)) {
        /* a thread started during the session whose first event came after
         * it: take the trampoline away instead of leaving a hook behind */
        if (_PyEval_SetProfile(ts, NULL, NULL) < 0)
            return NULL;
        Py_RETURN_NONE;
    }
    /* replace the Python-level trampoline that called us with the C hook */
    if (_PyEval_SetProfile(ts, hook_of(self), (PyObject *)self) < 0)
        return NULL;
    if (!PyFrame_Check(args[0]) || !PyUnicode_Check(args[1]))
        Py_RETURN_NONE;
    static const struct {
        const char *name;
        int what;
    } events[] = {{"call", PyTrace_CALL},
                  {"return", PyTrace_RETURN},
                  {"c_call", PyTrace_C_CALL},
                  {"c_return", PyTrace_C_RETURN},
                  {"c_exception", PyTrace_C_EXCEPTION}};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        if (PyUnicode_CompareWithASCIIString(args[1], events[i].name) == 0)
            hook_of(self)((PyObject *)self, (PyFrameObject *)args[0], events[i].what, args[2]);
    Py_RETURN_NONE;
}

/* ==== install / remove ==== */

int pyro_legacy_install(pyro_tracer_obj_t *self)
{
    PyThreadState *me = PyThreadState_Get();
    PyInterpreterState *interp = me->interp;
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts;
         ts = PyThreadState_Next(ts)) {
        if (pyro_tstate_profiled(ts)) {
            PyErr_SetString(PyExc_RuntimeError,
                            "another profiler is active (sys.setprofile is set on a thread); "
                            "stop it before tracing with pyrometer");
            return -1;
        }
    }
    PyObject *threading = threading_module();
    if (!threading)
        return -1;
    PyObject *prev = PyObject_GetAttrString(threading, "_profile_hook");
    if (!prev) {
        PyErr_Clear();
        prev = Py_NewRef(Py_None);
    }
    PyObject *bootstrap = PyObject_GetAttrString((PyObject *)self, "_bootstrap");
    PyObject *r = bootstrap ? PyObject_CallMethod(threading, "setprofile", "O", bootstrap) : NULL;
    Py_DECREF(threading);
    if (!r) {
        Py_XDECREF(bootstrap);
        Py_DECREF(prev);
        return -1;
    }
    Py_DECREF(r);
    Py_XSETREF(self->prev_thread_hook, prev);
    Py_XSETREF(self->bootstrap, bootstrap);
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts;
         ts = PyThreadState_Next(ts)) {
        if (_PyEval_SetProfile(ts, hook_of(self), (PyObject *)self) < 0) {
            pyro_legacy_remove(self);
            return -1;
        }
    }
    return 0;
}

void pyro_legacy_remove(pyro_tracer_obj_t *self)
{
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    PyThreadState *me = PyThreadState_Get();
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(me->interp); ts;
         ts = PyThreadState_Next(ts)) {
        if (pyro_tstate_has_profile(ts, profile_hook) || pyro_tstate_has_profile(ts, noop_hook)) {
            if (_PyEval_SetProfile(ts, NULL, NULL) < 0)
                PyErr_Clear();
        } else if (ts->c_profileobj == self->bootstrap && self->bootstrap) {
            /* a thread that started but never ran an event since */
            if (_PyEval_SetProfile(ts, NULL, NULL) < 0)
                PyErr_Clear();
        } else if (pyro_tstate_profiled(ts)) {
            self->hook_lost = 1;
        }
    }
    if (self->bootstrap) {
        PyObject *threading = threading_module();
        if (threading) {
            PyObject *cur = PyObject_GetAttrString(threading, "_profile_hook");
            if (cur == self->bootstrap) {
                PyObject *r =
                    PyObject_CallMethod(threading, "setprofile", "O",
                                        self->prev_thread_hook ? self->prev_thread_hook : Py_None);
                Py_XDECREF(r);
            }
            Py_XDECREF(cur);
            Py_DECREF(threading);
        }
        PyErr_Clear();
        Py_CLEAR(self->bootstrap);
        Py_CLEAR(self->prev_thread_hook);
    }
    PyErr_Restore(et, ev, tb);
}

#else /* 3.12+: sys.monitoring is used instead */

int pyro_legacy_install(pyro_tracer_obj_t *self)
{
    (void)self;
    PyErr_SetString(PyExc_RuntimeError, "legacy profile hooks are not used on this Python");
    return -1;
}

void pyro_legacy_remove(pyro_tracer_obj_t *self) { (void)self; }

PyObject *pyro_legacy_bootstrap(pyro_tracer_obj_t *self, PyObject *const *args, Py_ssize_t n)
{
    (void)self;
    (void)args;
    (void)n;
    Py_RETURN_NONE;
}

#endif
