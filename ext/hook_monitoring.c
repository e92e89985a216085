/* SPDX-License-Identifier: MIT */
/* hook_monitoring: sys.monitoring callbacks called by vectorcall (3.12+). */
#include "hook_monitoring.h"

#include <stddef.h>
#include <structmember.h>

#include "names.h"

typedef pyro_hook_t hook_t;

static void hook_dealloc(hook_t *h)
{
    PyTypeObject *tp = Py_TYPE(h);
    PyObject_GC_UnTrack(h);
    Py_CLEAR(h->owner);
    tp->tp_free(h);
    Py_DECREF(tp);
}

static int hook_traverse(hook_t *h, visitproc visit, void *arg)
{
    Py_VISIT(h->owner);
    Py_VISIT(Py_TYPE(h));
    return 0;
}

static int hook_clear(hook_t *h)
{
    Py_CLEAR(h->owner);
    return 0;
}

static PyMemberDef hook_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(hook_t, vectorcall), READONLY, NULL},
    {NULL},
};

static PyType_Slot hook_slots[] = {
    {Py_tp_dealloc, hook_dealloc},
    {Py_tp_traverse, hook_traverse},
    {Py_tp_clear, hook_clear},
    {Py_tp_members, hook_members},
    {Py_tp_call, PyVectorcall_Call},
    {Py_tp_doc, "pyrometer's sys.monitoring callback (internal)."},
    {0, NULL},
};

static PyType_Spec hook_spec = {
    .name = "pyrometer._core._Hook",
    .basicsize = sizeof(hook_t),
    .flags =
        Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL | PYRO_TPFLAGS_NO_NEW,
    .slots = hook_slots,
};

int pyro_hook_type_init(PyObject *m, pyro_modstate_t *st)
{
    st->hook_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &hook_spec, NULL);
    return st->hook_type ? 0 : -1;
}

PyObject *pyro_hook_new(pyro_modstate_t *st, PyObject *owner, vectorcallfunc fn)
{
    hook_t *h = PyObject_GC_New(hook_t, st->hook_type);
    if (!h)
        return NULL;
    h->vectorcall = fn;
    h->owner = Py_NewRef(owner);
    PyObject_GC_Track(h);
    return (PyObject *)h;
}

#if PYRO_HAVE_MONITORING

/* ==== callbacks ====
 * Interception only: find the key and forward to the core's entry point
 * (pyro_tracer_enter / pyro_tracer_leave, contract in record/tracer.h).
 * sys.monitoring always passes the arguments listed; a callback object can
 * still reach Python code (register_callback returns it), so the argument
 * count is checked (the code object's type is checked once per key, when it
 * is first seen: resolve() in tracer_obj.c). */

/* The error for a callback called with fewer than `n` arguments. */
static PyObject *too_few(size_t nargsf, Py_ssize_t n)
{
    PyErr_Format(PyExc_TypeError,
                 "pyrometer's sys.monitoring callback takes %zd arguments (%zd given)", n,
                 PyVectorcall_NARGS(nargsf));
    return NULL;
}

/* PY_START / PY_RESUME / PY_THROW: (code, offset[, exc]) */
PYRO_HOOK static PyObject *on_enter(PyObject *obj, PyObject *const *args, size_t nargsf,
                                    PyObject *kw)
{
    (void)kw;
    if (__builtin_expect(PyVectorcall_NARGS(nargsf) < 2, 0))
        return too_few(nargsf, 2);
    pyro_keyobj_t ko = {PYRO_OBJ_CODE, args[0], NULL};
    pyro_tracer_enter(PYRO_HOOK_OWNER(obj, pyro_tracer_obj_t)->tracer, (uintptr_t)args[0], &ko);
    Py_RETURN_NONE;
}

/* PY_RETURN / PY_YIELD / PY_UNWIND: (code, offset, value) */
PYRO_HOOK static PyObject *on_leave(PyObject *obj, PyObject *const *args, size_t nargsf,
                                    PyObject *kw)
{
    (void)kw;
    if (__builtin_expect(PyVectorcall_NARGS(nargsf) < 3, 0))
        return too_few(nargsf, 3);
    pyro_tracer_leave(PYRO_HOOK_OWNER(obj, pyro_tracer_obj_t)->tracer, (uintptr_t)args[0]);
    Py_RETURN_NONE;
}

/* The key of a C call as cProfile sees it: a builtin function's method
 * definition, or a method descriptor's when it binds to its first argument.
 * 0 for everything else (Python functions, classes, ...). */
static inline uintptr_t c_key(pyro_tracer_obj_t *self, PyObject *callable, PyObject *arg0,
                              pyro_keyobj_t *ko)
{
    PyTypeObject *tp = Py_TYPE(callable);
    if (tp == &PyFunction_Type || tp == &PyMethod_Type || tp == &PyType_Type)
        return 0; /* the common non-C callables, without a subtype walk */
    if (PyCFunction_Check(callable)) {
        *ko = (pyro_keyobj_t){PYRO_OBJ_CFUNC, callable, NULL};
        return (uintptr_t)((PyCFunctionObject *)callable)->m_ml;
    }
    if (Py_IS_TYPE(callable, &PyMethodDescr_Type) && arg0 != self->missing &&
        PyObject_TypeCheck(arg0, PyDescr_TYPE(callable))) {
        *ko = (pyro_keyobj_t){PYRO_OBJ_DESCR, callable, arg0};
        return (uintptr_t)((PyMethodDescrObject *)callable)->d_method;
    }
    return 0;
}

/* CALL: (code, offset, callable, arg0) */
PYRO_HOOK static PyObject *on_call(PyObject *obj, PyObject *const *args, size_t nargsf,
                                   PyObject *kw)
{
    (void)kw;
    if (__builtin_expect(PyVectorcall_NARGS(nargsf) < 4, 0))
        return too_few(nargsf, 4);
    pyro_tracer_obj_t *self = PYRO_HOOK_OWNER(obj, pyro_tracer_obj_t);
    pyro_keyobj_t ko;
    uintptr_t key = c_key(self, args[2], args[3], &ko);
    if (key)
        pyro_tracer_enter(self->tracer, key, &ko);
    Py_RETURN_NONE;
}

/* C_RETURN / C_RAISE: (code, offset, callable, arg0) */
PYRO_HOOK static PyObject *on_creturn(PyObject *obj, PyObject *const *args, size_t nargsf,
                                      PyObject *kw)
{
    (void)kw;
    if (__builtin_expect(PyVectorcall_NARGS(nargsf) < 4, 0))
        return too_few(nargsf, 4);
    pyro_tracer_obj_t *self = PYRO_HOOK_OWNER(obj, pyro_tracer_obj_t);
    pyro_keyobj_t ko;
    uintptr_t key = c_key(self, args[2], args[3], &ko);
    if (key)
        pyro_tracer_leave(self->tracer, key);
    Py_RETURN_NONE;
}

/* Every event doing nothing: the cost floor of this mechanism. */
static PyObject *on_noop(PyObject *obj, PyObject *const *args, size_t nargsf, PyObject *kw)
{
    (void)obj;
    (void)args;
    (void)nargsf;
    (void)kw;
    Py_RETURN_NONE;
}

/* ==== install / remove ==== */

PyObject *pyro_monitoring_module(void)
{
    PyObject *sys = PyImport_ImportModule("sys");
    if (!sys)
        return NULL;
    PyObject *mon = PyObject_GetAttrString(sys, "monitoring");
    Py_DECREF(sys);
    return mon;
}

static PyObject *new_hook(pyro_tracer_obj_t *self, vectorcallfunc fn)
{
    return pyro_hook_new(pyro_modstate(self->module), (PyObject *)self, fn);
}

/* Event name -> callback, in registration order. */
static const struct {
    const char *event;
    vectorcallfunc fn;
    int builtin_only;
} table[] = {
    {"PY_START", on_enter, 0},  {"PY_RESUME", on_enter, 0},  {"PY_THROW", on_enter, 0},
    {"PY_RETURN", on_leave, 0}, {"PY_YIELD", on_leave, 0},   {"PY_UNWIND", on_leave, 0},
    {"CALL", on_call, 1},       {"C_RETURN", on_creturn, 1}, {"C_RAISE", on_creturn, 1},
};
#define NEVENTS (sizeof table / sizeof table[0])

static long event_bit(PyObject *events, const char *name)
{
    PyObject *v = PyObject_GetAttrString(events, name);
    long bit = v ? PyLong_AsLong(v) : -1;
    Py_XDECREF(v);
    return bit;
}

int pyro_monitoring_claim(PyObject *mon, const int *prefer, size_t n, const char *what)
{
    int tool = -1;
    for (size_t i = 0; i < n && tool < 0; i++) {
        PyObject *owner = PyObject_CallMethod(mon, "get_tool", "i", prefer[i]);
        if (!owner)
            return -1;
        if (owner == Py_None)
            tool = prefer[i];
        Py_DECREF(owner);
    }
    if (tool < 0) {
        PyErr_Format(PyExc_RuntimeError,
                     "cannot %s: every sys.monitoring tool id is in use by other tools", what);
        return -1;
    }
    PyObject *r = PyObject_CallMethod(mon, "use_tool_id", "is", tool, "pyrometer");
    if (!r)
        return -1;
    Py_DECREF(r);
    return tool;
}

void pyro_monitoring_release(PyObject *mon, int tool, long registered)
{
    PyObject *r = PyObject_CallMethod(mon, "set_events", "ii", tool, 0);
    Py_XDECREF(r);
    PyErr_Clear();
    for (long bit = 1; bit > 0 && bit <= registered; bit <<= 1) {
        if (!(registered & bit))
            continue;
        r = PyObject_CallMethod(mon, "register_callback", "ilO", tool, bit, Py_None);
        Py_XDECREF(r);
        PyErr_Clear();
    }
    r = PyObject_CallMethod(mon, "free_tool_id", "i", tool);
    Py_XDECREF(r);
    PyErr_Clear();
}

/* Every event bit of the table. */
static long table_mask(PyObject *events)
{
    long mask = 0;
    for (size_t i = 0; i < NEVENTS; i++) {
        long bit = event_bit(events, table[i].event);
        if (bit > 0)
            mask |= bit;
    }
    PyErr_Clear();
    return mask;
}

static void unregister(PyObject *mon, PyObject *events, int tool)
{
    pyro_monitoring_release(mon, tool, table_mask(events));
}

int pyro_monitoring_install(pyro_tracer_obj_t *self)
{
    PyObject *mon = pyro_monitoring_module();
    if (!mon)
        return -1;
    PyObject *events = PyObject_GetAttrString(mon, "events");
    PyObject *missing = PyObject_GetAttrString(mon, "MISSING");
    int tool = -1, rc = -1;
    if (!events || !missing)
        goto done;
    /* PROFILER_ID (2) when free, else any other free id */
    static const int prefer[] = {2, 5, 4, 3, 1, 0};
    tool = pyro_monitoring_claim(mon, prefer, sizeof prefer / sizeof prefer[0], "trace");
    if (tool < 0)
        goto done;
    PyObject *r;
    Py_XSETREF(self->missing, Py_NewRef(missing));
    long mask = 0;
    for (size_t i = 0; i < NEVENTS; i++) {
        if (table[i].builtin_only ? !self->builtins : !self->monitor_py)
            continue;
        long bit = event_bit(events, table[i].event);
        PyObject *h = bit > 0 ? new_hook(self, self->floor ? on_noop : table[i].fn) : NULL;
        r = h ? PyObject_CallMethod(mon, "register_callback", "ilO", tool, bit, h) : NULL;
        Py_XDECREF(h);
        if (!r) {
            unregister(mon, events, tool);
            goto done;
        }
        Py_DECREF(r);
        mask |= bit;
    }
    r = PyObject_CallMethod(mon, "set_events", "il", tool, mask);
    if (!r) {
        unregister(mon, events, tool);
        goto done;
    }
    Py_DECREF(r);
    self->tool = tool;
    rc = 0;
done:
    Py_XDECREF(events);
    Py_XDECREF(missing);
    Py_DECREF(mon);
    return rc;
}

void pyro_monitoring_remove(pyro_tracer_obj_t *self)
{
    if (self->tool < 0)
        return;
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    PyObject *mon = pyro_monitoring_module();
    PyObject *events = mon ? PyObject_GetAttrString(mon, "events") : NULL;
    if (mon && events)
        unregister(mon, events, self->tool);
    Py_XDECREF(events);
    Py_XDECREF(mon);
    PyErr_Clear();
    self->tool = -1;
    PyErr_Restore(et, ev, tb);
}

#else /* before 3.12: hook_legacy is used */

int pyro_monitoring_install(pyro_tracer_obj_t *self)
{
    (void)self;
    PyErr_SetString(PyExc_RuntimeError, "sys.monitoring needs Python 3.12+");
    return -1;
}

void pyro_monitoring_remove(pyro_tracer_obj_t *self) { (void)self; }

#endif
