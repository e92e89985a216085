/* SPDX-License-Identifier: MIT */
/* gc_obj: _core.GCWatcher, the garbage collector's collections. */
#include "gc_obj.h"

#include <string.h>
#include <unistd.h>

#include "model/clock.h"
#include "model/error.h"
#include "hook_alloc.h"
#include "memory_obj.h"
#include "profile_obj.h"
#include "record/gclog.h"

typedef struct gc_obj {
    PyObject_HEAD pyro_gclog_t *log;
    PyObject *callback; /* our function in gc.callbacks, while running (it holds us) */
    PyObject *codes;    /* set: the code objects rows name, kept alive (their ids) */
    int running, types, pid;
    int64_t t0;      /* the first start(), monotonic ns: rows' time 0 */
    int64_t started; /* the latest start() */
    int64_t watched; /* ns between start() and stop(), summed over earlier runs */
    uint64_t lost;   /* rows not kept for lack of memory (totals still count them) */
    /* the collection running (between the callbacks "start" and "stop") */
    int open;
    int64_t open_t, heap_before;
    uint64_t where;
    uint32_t line;
#if PYRO_HAVE_REFTRACER
    int tracing;      /* our PyRefTracer is set */
    PyRefTracer prev; /* the one set before it, called after ours */
    void *prev_data;
#endif
} gc_obj_t;

/* ==== freed types ==== */

#if PYRO_HAVE_REFTRACER
static int on_ref(PyObject *op, PyRefTracerEvent event, void *data)
{
    gc_obj_t *self = data;
    if (event == PyRefTracer_DESTROY) {
        PyTypeObject *tp = Py_TYPE(op);
        pyro_gclog_freed(self->log, tp, tp->tp_name); /* out of memory: "other" */
    }
    return self->prev ? self->prev(op, event, self->prev_data) : 0;
}

static void tracer_on(gc_obj_t *self)
{
    if (self->tracing || !self->types)
        return;
    self->prev = PyRefTracer_GetTracer(&self->prev_data);
    if (PyRefTracer_SetTracer(on_ref, self) == 0)
        self->tracing = 1;
    else
        PyErr_Clear();
}

static void tracer_off(gc_obj_t *self)
{
    if (!self->tracing)
        return;
    self->tracing = 0;
    void *data = NULL;
    if (PyRefTracer_GetTracer(&data) == on_ref && data == self && /* nobody set another since */
        PyRefTracer_SetTracer(self->prev, self->prev_data) < 0)
        PyErr_Clear();
    self->prev = NULL;
    self->prev_data = NULL;
}
#else
static void tracer_on(gc_obj_t *self) { (void)self; }
static void tracer_off(gc_obj_t *self) { (void)self; }
#endif

/* ==== the callback ==== */

/* info[key] as a C integer (0 when missing). */
static int64_t info_int(PyObject *info, const char *key)
{
    PyObject *v = PyDict_Check(info) ? PyDict_GetItemString(info, key) : NULL; /* borrowed */
    long long x = v && PyLong_Check(v) ? PyLong_AsLongLong(v) : 0;
    if (x == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        x = 0;
    }
    return x;
}

/* Where the thread that triggered the collection is: its innermost Python
 * frame's code (kept alive in self->codes) and line. */
static void note_where(gc_obj_t *self)
{
    self->where = 0;
    self->line = 0;
    PyFrameObject *f = PyThreadState_GetFrame(PyThreadState_Get()); /* new reference */
    if (!f)
        return;
    PyCodeObject *code = PyFrame_GetCode(f); /* new reference */
    int line = PyFrame_GetLineNumber(f);
    if (PySet_Add(self->codes, (PyObject *)code) == 0) {
        self->where = (uint64_t)(uintptr_t)code;
        self->line = line > 0 ? (uint32_t)line : 0;
    } else {
        PyErr_Clear();
    }
    Py_DECREF(code);
    Py_DECREF(f);
}

static void on_start(gc_obj_t *self)
{
    self->open = 1;
    self->heap_before = pyro_memory_heap_now();
    note_where(self);
    tracer_on(self);
    self->open_t = pyro_clock_mono_ns(); /* last: our own work is not the pause */
}

static void on_stop(gc_obj_t *self, PyObject *info)
{
    int64_t now = pyro_clock_mono_ns(); /* first */
    tracer_off(self);
    pyro_gclog_end(self->log);
    self->open = 0;
    int64_t after = pyro_memory_heap_now();
    pyro_gc_event_t e = {
        .t_ns = self->open_t - self->t0,
        .pause_ns = now - self->open_t,
        .collected = info_int(info, "collected"),
        .uncollectable = info_int(info, "uncollectable"),
        .freed_bytes = self->heap_before >= 0 && after >= 0 ? self->heap_before - after : -1,
        .generation = (int32_t)info_int(info, "generation"),
        .line = self->line,
        .where = self->where,
    };
    if (e.freed_bytes < -1) /* the heap grew across it (a finalizer allocated): none freed */
        e.freed_bytes = 0;
    if (pyro_gclog_add(self->log, &e))
        self->lost++;
}

/* gc.callbacks calls this with (phase, info); `self` is the watcher. Never
 * raises: an error in a gc callback is reported as unraisable. */
static PyObject *gc_callback(PyObject *obj, PyObject *const *args, Py_ssize_t nargs)
{
    gc_obj_t *self = (gc_obj_t *)obj;
    if (nargs != 2 || !PyUnicode_Check(args[0]) || !self->running || self->pid != (int)getpid())
        Py_RETURN_NONE;
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    pyro_memhooks_enter(); /* what we allocate here is not the program's */
    if (PyUnicode_CompareWithASCIIString(args[0], "start") == 0) {
        if (!self->open)
            on_start(self);
    } else if (self->open && PyUnicode_CompareWithASCIIString(args[0], "stop") == 0) {
        on_stop(self, args[1]);
    }
    pyro_memhooks_leave();
    PyErr_Restore(et, ev, tb);
    Py_RETURN_NONE;
}

static PyMethodDef callback_def = {"_pyrometer_gc_callback",
                                   (PyCFunction)(void (*)(void))gc_callback, METH_FASTCALL, NULL};

/* ==== lifecycle ==== */

static int gc_init(gc_obj_t *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"types", "max_rows", NULL};
    int types = 1;
    Py_ssize_t max_rows = PYRO_GCLOG_MAX_ROWS;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$pn:GCWatcher", kwlist, &types, &max_rows))
        return -1;
    if (self->log) {
        PyErr_SetString(PyExc_RuntimeError, "GCWatcher.__init__ called twice");
        return -1;
    }
    if (max_rows < 4 || max_rows % 2 || max_rows > (1 << 24)) {
        PyErr_SetString(PyExc_ValueError, "max_rows must be an even number from 4 to 2**24");
        return -1;
    }
    Py_XSETREF(self->codes, PySet_New(NULL));
    if (!self->codes)
        return -1;
    int rc = pyro_gclog_new((uint32_t)max_rows, PYRO_GCLOG_MAX_TYPES, &self->log);
    if (rc) {
        pyro_raise(pyro_modstate_of_type(Py_TYPE(self)), rc, NULL);
        return -1;
    }
    self->types = types && PYRO_HAVE_REFTRACER;
    self->pid = (int)getpid();
    return 0;
}

static int gc_traverse(gc_obj_t *self, visitproc visit, void *arg)
{
    Py_VISIT(self->callback);
    Py_VISIT(self->codes);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

/* Take our function out of gc.callbacks (every copy of it). 0 or -1 with
 * an exception. */
static int uninstall(gc_obj_t *self)
{
    if (!self->callback)
        return 0;
    PyObject *gc = PyImport_ImportModule("gc");
    PyObject *list = gc ? PyObject_GetAttrString(gc, "callbacks") : NULL;
    int rc = list && PyList_Check(list) ? 0 : -1;
    for (Py_ssize_t i = list && PyList_Check(list) ? PyList_GET_SIZE(list) - 1 : -1; i >= 0; i--)
        if (PyList_GET_ITEM(list, i) == self->callback && PySequence_DelItem(list, i) < 0)
            rc = -1;
    Py_XDECREF(list);
    Py_XDECREF(gc);
    Py_CLEAR(self->callback);
    return rc;
}

static int gc_clear(gc_obj_t *self)
{
    Py_CLEAR(self->callback);
    Py_CLEAR(self->codes);
    return 0;
}

static void gc_dealloc(gc_obj_t *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    tracer_off(self);
    gc_clear(self);
    pyro_gclog_free(self->log);
    self->log = NULL;
    tp->tp_free(self);
    Py_DECREF(tp);
}

static int ready(gc_obj_t *self)
{
    if (self->log)
        return 1;
    PyErr_SetString(PyExc_RuntimeError, "GCWatcher not initialized");
    return 0;
}

/* ==== methods ==== */

static PyObject *gc_start(gc_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self))
        return NULL;
    if (self->running) {
        PyErr_SetString(PyExc_RuntimeError, "this GCWatcher is already running");
        return NULL;
    }
    if (self->pid != (int)getpid()) {
        PyErr_SetString(PyExc_RuntimeError, "this GCWatcher belongs to the parent process");
        return NULL;
    }
    PyObject *fn = PyCFunction_New(&callback_def, (PyObject *)self);
    PyObject *gc = fn ? PyImport_ImportModule("gc") : NULL;
    PyObject *list = gc ? PyObject_GetAttrString(gc, "callbacks") : NULL;
    int ok = list && PyList_Check(list) && PyList_Append(list, fn) == 0;
    if (list && !PyList_Check(list) && !PyErr_Occurred())
        PyErr_SetString(PyExc_RuntimeError, "gc.callbacks is not a list");
    Py_XDECREF(list);
    Py_XDECREF(gc);
    if (!ok) {
        Py_XDECREF(fn);
        return NULL;
    }
    self->callback = fn;
    self->started = pyro_clock_mono_ns();
    if (!self->t0)
        self->t0 = self->started;
    self->running = 1;
    Py_RETURN_NONE;
}

static PyObject *gc_stop(gc_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!self->running)
        Py_RETURN_NONE;
    self->running = 0;
    self->watched += pyro_clock_mono_ns() - self->started;
    self->open = 0;
    tracer_off(self);
    if (self->log)
        pyro_gclog_end(self->log);
    if (uninstall(self) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* A code id's function in `p` (the code is kept alive in self->codes). */
static int64_t where_func(void *ctx, uint64_t id, pyro_profile_t *p)
{
    (void)ctx;
    PyCodeObject *code = (PyCodeObject *)(uintptr_t)id;
    const char *name = PyUnicode_AsUTF8(code->co_name);
    const char *qualname = PyUnicode_AsUTF8(pyro_code_qualname(code));
    const char *file = PyUnicode_AsUTF8(code->co_filename);
    if (!name || !qualname || !file) {
        PyErr_Clear();
        return -1;
    }
    pyro_func_t f = {0, 0, 0, code->co_firstlineno > 0 ? (uint32_t)code->co_firstlineno : 0,
                     PYRO_FUNC_PYTHON};
    uint32_t fid;
    if (pyro_profile_str(p, name, strlen(name), &f.name) ||
        pyro_profile_str(p, qualname, strlen(qualname), &f.qualname) ||
        pyro_profile_str(p, file, strlen(file), &f.file) || pyro_profile_func(p, &f, &fid))
        return -1;
    return fid;
}

static PyObject *gc_export(gc_obj_t *self, PyObject *profile)
{
    if (!ready(self))
        return NULL;
    pyro_modstate_t *st = pyro_modstate_of_type(Py_TYPE(self));
    pyro_profile_t *p = pyro_profile_obj_get(st, profile);
    if (!p)
        return NULL;
    int64_t watched = self->watched + (self->running ? pyro_clock_mono_ns() - self->started : 0);
    pyro_memhooks_enter();
    int rc = pyro_gclog_export(self->log, p, watched, self->types, where_func, self);
    pyro_memhooks_leave();
    if (rc)
        return pyro_raise(st, rc, NULL);
    Py_RETURN_NONE;
}

static PyObject *gc_get_running(gc_obj_t *self, void *c)
{
    (void)c;
    return PyBool_FromLong(self->running);
}

static PyObject *gc_get_types(gc_obj_t *self, void *c)
{
    (void)c;
    return PyBool_FromLong(self->types);
}

static PyObject *gc_get_collections(gc_obj_t *self, void *c)
{
    (void)c;
    return PyLong_FromUnsignedLongLong(self->log ? pyro_gclog_collections(self->log) : 0);
}

static PyMethodDef gc_methods[] = {
    {"start", (PyCFunction)gc_start, METH_NOARGS,
     "start()\n--\n\nRecord every collection from now on (a function in gc.callbacks); "
     "after a stop(), recording goes on into the same log (times from the first start). "
     "RuntimeError if running already."},
    {"stop", (PyCFunction)gc_stop, METH_NOARGS,
     "stop()\n--\n\nStop recording and leave gc.callbacks (harmless when never started)."},
    {"export", (PyCFunction)gc_export, METH_O,
     "export(profile)\n--\n\nAdd what was recorded to `profile`: the series 'gc' and "
     "'gc_types' and the gc_* metadata (docs/gc.md). MemoryError; RuntimeError if it "
     "holds a 'gc' series already."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef gc_getset[] = {
    {"running", (getter)gc_get_running, NULL, "True while recording.", NULL},
    {"types", (getter)gc_get_types, NULL,
     "True if the types of freed objects are counted (CPython 3.13+, not free-threaded).", NULL},
    {"collections", (getter)gc_get_collections, NULL, "Collections recorded so far.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot gc_slots[] = {
    {Py_tp_init, gc_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, gc_dealloc},
    {Py_tp_traverse, gc_traverse},
    {Py_tp_clear, gc_clear},
    {Py_tp_methods, gc_methods},
    {Py_tp_getset, gc_getset},
    {Py_tp_doc, "GCWatcher(*, types=True, max_rows=65536)\n--\n\n"
                "Every collection of the garbage collector: pause, generation, objects "
                "collected and uncollectable, where it fired, the bytes it freed while a "
                "MemoryTracker runs, and (types=True, CPython 3.13+) the types of the objects "
                "it freed. max_rows bounds the rows kept (neighbours merge past it)."},
    {0, NULL},
};

static PyType_Spec gc_spec = {
    .name = "pyrometer._core.GCWatcher",
    .basicsize = sizeof(gc_obj_t),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .slots = gc_slots,
};

int pyro_gc_type_init(PyObject *m, pyro_modstate_t *st)
{
    (void)st;
    PyObject *t = PyType_FromModuleAndSpec(m, &gc_spec, NULL);
    if (!t)
        return -1;
    if (PyModule_AddObject(m, "GCWatcher", t) < 0) {
        Py_DECREF(t);
        return -1;
    }
    return PyModule_AddIntConstant(m, "GC_TYPES", PYRO_HAVE_REFTRACER);
}
