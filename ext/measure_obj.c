/* SPDX-License-Identifier: MIT */
/* measure_obj: `_core.Span` and `_core.MeasureTable`. */
#include "measure_obj.h"

#include "format/fmt_measure.h"
#include "memory_obj.h"
#include "model/buf.h"
#include "model/error.h"
#include "model/measure.h"
#include "record/counters.h"
#include "record/meter.h"

/* Every event's name, indexed by pyro_event_t (static strings). */
static const char *evnames[PYRO_EV_COUNT];

/* What @measure counts unless told: faults and switches, and what a PMU
 * adds where there is one. task-clock would repeat the CPU time. */
#define DEFAULT_EVENTS                                                                             \
    ((1u << PYRO_EV_PAGE_FAULTS) | (1u << PYRO_EV_CONTEXT_SWITCHES) | (1u << PYRO_EV_CYCLES) |     \
     (1u << PYRO_EV_INSTRUCTIONS) | (1u << PYRO_EV_CACHE_MISSES) | (1u << PYRO_EV_BRANCH_MISSES))

static PyObject *text_of(const pyro_buf_t *b)
{
    return PyUnicode_DecodeUTF8(b->data ? b->data : "", (Py_ssize_t)b->len, "replace");
}

/* ==== Span ==== */

typedef struct span_obj {
    PyObject_HEAD pyro_span_t span;
    pyro_mcall_t call;
    uint32_t events;
    int state; /* 0 new, 1 started, 2 stopped */
} span_obj_t;

static int span_init(span_obj_t *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"events", NULL};
    unsigned long events = DEFAULT_EVENTS;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|k:Span", kwlist, &events))
        return -1;
    if (events >> PYRO_EV_COUNT) {
        PyErr_SetString(PyExc_ValueError, "events: a bit mask over STAT_EVENTS");
        return -1;
    }
    self->events = (uint32_t)events;
    self->state = 0;
    return 0;
}

static void span_dealloc(span_obj_t *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyObject *span_start(span_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (self->state != 0) {
        PyErr_SetString(PyExc_RuntimeError, "this span was started already");
        return NULL;
    }
    self->state = 1;
    pyro_span_start(&self->span, self->events, pyro_memory_heap_now());
    Py_RETURN_NONE;
}

static PyObject *span_resume(span_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (self->state == 1)
        pyro_span_resume(&self->span);
    Py_RETURN_NONE;
}

static PyObject *span_pause(span_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (self->state == 1)
        pyro_span_pause(&self->span);
    Py_RETURN_NONE;
}

static PyObject *span_stop(span_obj_t *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"failed", NULL};
    int failed = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|p:stop", kwlist, &failed))
        return NULL;
    if (self->state != 1) {
        PyErr_SetString(PyExc_RuntimeError, "stop() of a span that does not run");
        return NULL;
    }
    self->state = 2;
    pyro_span_stop(&self->span, pyro_memory_heap_now(), failed, &self->call);
    Py_RETURN_NONE;
}

static int stopped(span_obj_t *self)
{
    if (self->state == 2)
        return 1;
    PyErr_SetString(PyExc_RuntimeError, "the span has not stopped");
    return 0;
}

static PyObject *span_line(span_obj_t *self, PyObject *name)
{
    if (!stopped(self))
        return NULL;
    const char *n = PyUnicode_AsUTF8(name);
    if (!n)
        return NULL;
    pyro_buf_t b;
    pyro_buf_init(&b);
    PyObject *r = NULL;
    int rc = pyro_render_measure_call(n, &self->call, evnames, PYRO_EV_COUNT, &b);
    if (rc < 0)
        PyErr_NoMemory();
    else
        r = text_of(&b);
    pyro_buf_free(&b);
    return r;
}

static PyObject *span_get_wall(span_obj_t *self, void *c)
{
    (void)c;
    return self->state == 2 ? PyFloat_FromDouble(self->call.wall) : Py_NewRef(Py_None);
}

static PyObject *span_get_cpu(span_obj_t *self, void *c)
{
    (void)c;
    return self->state == 2 ? PyFloat_FromDouble(self->call.cpu) : Py_NewRef(Py_None);
}

static PyObject *span_get_heap(span_obj_t *self, void *c)
{
    (void)c;
    if (self->state != 2 || !self->call.has_heap)
        Py_RETURN_NONE;
    return PyLong_FromLongLong((long long)self->call.heap);
}

static PyObject *span_get_rss(span_obj_t *self, void *c)
{
    (void)c;
    if (self->state != 2 || !self->call.has_rss)
        Py_RETURN_NONE;
    return PyLong_FromLongLong((long long)self->call.rss);
}

static PyObject *span_get_failed(span_obj_t *self, void *c)
{
    (void)c;
    return PyBool_FromLong(self->state == 2 && self->call.failed);
}

static PyObject *span_get_counters(span_obj_t *self, void *c)
{
    (void)c;
    PyObject *d = PyDict_New();
    if (!d || self->state != 2)
        return d;
    for (int e = 0; e < PYRO_EV_COUNT; e++) {
        if (!(self->call.evmask & (1u << e)))
            continue;
        PyObject *v = PyLong_FromLongLong((long long)self->call.ev[e]);
        if (!v || PyDict_SetItemString(d, evnames[e], v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(d);
            return NULL;
        }
        Py_DECREF(v);
    }
    return d;
}

static PyMethodDef span_methods[] = {
    {"start", (PyCFunction)span_start, METH_NOARGS,
     "start()\n--\n\nTake the readings of the start and begin the first step."},
    {"resume", (PyCFunction)span_resume, METH_NOARGS,
     "resume()\n--\n\nBegin a step on the calling thread (a coroutine resumed)."},
    {"pause", (PyCFunction)span_pause, METH_NOARGS,
     "pause()\n--\n\nEnd the step that runs: its CPU time and counters are added."},
    {"stop", (PyCFunction)(void (*)(void))span_stop, METH_VARARGS | METH_KEYWORDS,
     "stop(failed=False)\n--\n\nEnd the span: the figures are final. `failed`: the call raised."},
    {"line", (PyCFunction)span_line, METH_O,
     "line(name)\n--\n\nThe one-line report of the stopped span under `name` "
     "(docs/measure.md)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef span_getset[] = {
    {"wall", (getter)span_get_wall, NULL, "Seconds of wall clock, or None before stop().", NULL},
    {"cpu", (getter)span_get_cpu, NULL,
     "Seconds of CPU of the calling thread over the span's steps, or None before stop().", NULL},
    {"heap", (getter)span_get_heap, NULL,
     "Change of the tracked heap in bytes, or None (no MemoryTracker ran).", NULL},
    {"rss", (getter)span_get_rss, NULL, "Change of the RSS in bytes, or None.", NULL},
    {"failed", (getter)span_get_failed, NULL, "True if stopped as failed (the call raised).", NULL},
    {"counters", (getter)span_get_counters, NULL,
     "Each counted event's value over the span: {name: count}.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot span_slots[] = {
    {Py_tp_init, span_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, span_dealloc},
    {Py_tp_methods, span_methods},
    {Py_tp_getset, span_getset},
    {Py_tp_doc, "Span(events=MEASURE_EVENTS_DEFAULT)\n--\n\n"
                "One measured call: wall clock, CPU of the calling thread, tracked heap and "
                "RSS change, and the counting events `events` (bits over STAT_EVENTS) that "
                "this thread can count."},
    {0, NULL},
};

static PyType_Spec span_spec = {
    .name = "pyrometer._core.Span",
    .basicsize = sizeof(span_obj_t),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = span_slots,
};

/* ==== MeasureTable ==== */

typedef struct table_obj {
    PyObject_HEAD pyro_mtable_t *t;
} table_obj_t;

static int table_init(table_obj_t *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, ":MeasureTable", kwlist))
        return -1;
    if (!self->t) {
        self->t = pyro_mtable_new(evnames, PYRO_EV_COUNT);
        if (!self->t) {
            PyErr_NoMemory();
            return -1;
        }
    }
    return 0;
}

static void table_dealloc(table_obj_t *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    pyro_mtable_free(self->t);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static int ready(table_obj_t *self)
{
    if (self->t)
        return 1;
    PyErr_SetString(PyExc_RuntimeError, "MeasureTable not initialized");
    return 0;
}

static PyObject *table_add(table_obj_t *self, PyObject *args)
{
    PyObject *name, *span;
    if (!PyArg_ParseTuple(args, "UO:add", &name, &span) || !ready(self))
        return NULL;
    PyObject *span_type = PyObject_GetAttrString((PyObject *)Py_TYPE(self), "_span_type");
    if (!span_type)
        return NULL;
    int ok = PyObject_TypeCheck(span, (PyTypeObject *)span_type);
    Py_DECREF(span_type);
    if (!ok) {
        PyErr_SetString(PyExc_TypeError, "add(name, span): span must be a Span");
        return NULL;
    }
    if (!stopped((span_obj_t *)span))
        return NULL;
    const char *n = PyUnicode_AsUTF8(name);
    if (!n)
        return NULL;
    int rc;
    Py_BEGIN_CRITICAL_SECTION((PyObject *)self);
    rc = pyro_mtable_add(self->t, n, &((span_obj_t *)span)->call);
    Py_END_CRITICAL_SECTION();
    if (rc < 0)
        return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyObject *table_render(table_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self))
        return NULL;
    pyro_buf_t b;
    pyro_buf_init(&b);
    int rc;
    Py_BEGIN_CRITICAL_SECTION((PyObject *)self);
    rc = pyro_render_measure_table(self->t, &b);
    Py_END_CRITICAL_SECTION();
    PyObject *r = rc < 0 ? PyErr_NoMemory() : text_of(&b);
    pyro_buf_free(&b);
    return r;
}

static PyObject *table_clear(table_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self))
        return NULL;
    Py_BEGIN_CRITICAL_SECTION((PyObject *)self);
    pyro_mtable_clear(self->t);
    Py_END_CRITICAL_SECTION();
    Py_RETURN_NONE;
}

static PyObject *summary_tuple(const pyro_summary_t *s)
{
    return Py_BuildValue("{sksdsdsdsdsd}", "n", (unsigned long)s->n, "mean", s->mean, "stddev",
                         s->stddev, "min", s->min, "max", s->max, "total", s->mean * (double)s->n);
}

static int put_summary(PyObject *d, const char *key, const pyro_summary_t *s)
{
    if (s->n == 0)
        return 0;
    PyObject *v = summary_tuple(s);
    int rc = v ? PyDict_SetItemString(d, key, v) : -1;
    Py_XDECREF(v);
    return rc;
}

static PyObject *row_dict(const pyro_mrow_t *r)
{
    PyObject *d = Py_BuildValue("{sKsK}", "calls", (unsigned long long)r->calls, "failed",
                                (unsigned long long)r->failed);
    if (!d)
        return NULL;
    if (put_summary(d, "wall", &r->wall) < 0 || put_summary(d, "cpu", &r->cpu) < 0 ||
        put_summary(d, "heap", &r->heap) < 0 || put_summary(d, "rss", &r->rss) < 0)
        goto fail;
    for (int e = 0; e < PYRO_EV_COUNT; e++)
        if (put_summary(d, evnames[e], &r->ev[e]) < 0)
            goto fail;
    return d;
fail:
    Py_DECREF(d);
    return NULL;
}

static PyObject *table_rows(table_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self))
        return NULL;
    PyObject *out = PyDict_New();
    if (!out)
        return NULL;
    int rc = 0;
    Py_BEGIN_CRITICAL_SECTION((PyObject *)self);
    for (uint32_t i = 0; i < self->t->nrows && rc == 0; i++) {
        PyObject *row = row_dict(&self->t->rows[i]);
        rc = row ? PyDict_SetItemString(out, self->t->rows[i].name, row) : -1;
        Py_XDECREF(row);
    }
    Py_END_CRITICAL_SECTION();
    if (rc < 0)
        Py_CLEAR(out);
    return out;
}

static PyMethodDef table_methods[] = {
    {"add", (PyCFunction)table_add, METH_VARARGS,
     "add(name, span)\n--\n\nAdd the figures of stopped `span` to the row `name`."},
    {"render", (PyCFunction)table_render, METH_NOARGS,
     "render()\n--\n\nThe summary table (docs/measure.md); '' when nothing was added."},
    {"rows", (PyCFunction)table_rows, METH_NOARGS,
     "rows()\n--\n\n{name: {'calls', 'failed', and per figure (wall, cpu, heap, rss, each "
     "event) {'n', 'mean', 'stddev', 'min', 'max', 'total'}}}."},
    {"clear", (PyCFunction)table_clear, METH_NOARGS, "clear()\n--\n\nForget every row."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot table_slots[] = {
    {Py_tp_init, table_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, table_dealloc},
    {Py_tp_methods, table_methods},
    {Py_tp_doc, "MeasureTable()\n--\n\nPer-name summaries of measured calls (Span)."},
    {0, NULL},
};

static PyType_Spec table_spec = {
    .name = "pyrometer._core.MeasureTable",
    .basicsize = sizeof(table_obj_t),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = table_slots,
};

/* ==== module ==== */

int pyro_measure_init(PyObject *m)
{
    for (int e = 0; e < PYRO_EV_COUNT; e++)
        evnames[e] = pyro_event_info((pyro_event_t)e)->name;
    PyObject *span = PyType_FromModuleAndSpec(m, &span_spec, NULL);
    if (!span)
        return -1;
    PyObject *table = PyType_FromModuleAndSpec(m, &table_spec, NULL);
    if (!table) {
        Py_DECREF(span);
        return -1;
    }
    int rc = PyObject_SetAttrString(table, "_span_type", span);
    if (rc == 0)
        rc = PyModule_AddObjectRef(m, "Span", span);
    if (rc == 0)
        rc = PyModule_AddObjectRef(m, "MeasureTable", table);
    if (rc == 0)
        rc = PyModule_AddIntConstant(m, "MEASURE_EVENTS_DEFAULT", (long)DEFAULT_EVENTS);
    Py_DECREF(span);
    Py_DECREF(table);
    return rc;
}
