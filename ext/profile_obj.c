/* SPDX-License-Identifier: MIT */
/* profile_obj: _core.Profile; all rendering is done by the core. */
#include "profile_obj.h"

#include <errno.h>
#include <string.h>

#include "model/buf.h"
#include "model/error.h"
#include "format/pstats.h"
#include "format/pyrofile.h"
#include "format/render.h"
#include "model/merge.h"
#include "model/stats.h"

typedef struct profile_obj {
    PyObject_HEAD pyro_profile_t *p;
} profile_obj_t;

/* Largest profile file we read (bounds memory for hostile input). */
#define MAX_FILE_BYTES ((size_t)1 << 32)

int pyro_profile_note_sys_path(pyro_profile_t *p)
{
    /* a copy of sys.path, held: without the GIL another thread may change
     * the list, or replace it, while it is read (no exception when absent) */
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    PyObject *sys = PyImport_ImportModule("sys");
    PyObject *live = sys ? PyObject_GetAttrString(sys, "path") : NULL;
    PyObject *path = live && PyList_Check(live) ? PySequence_List(live) : NULL;
    Py_XDECREF(live);
    Py_XDECREF(sys);
    PyErr_Clear();
    PyErr_Restore(et, ev, tb);
    if (!path)
        return PYRO_OK;
    pyro_buf_t b;
    pyro_buf_init(&b);
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(path); i++) {
        PyObject *e = PyList_GET_ITEM(path, i);
        const char *s = PyUnicode_Check(e) ? PyUnicode_AsUTF8(e) : NULL;
        if (!s) {
            PyErr_Clear(); /* not encodable: left out */
            continue;
        }
        if (s[0] != '/' || strchr(s, ':'))
            continue;
        if (b.len)
            pyro_buf_putc(&b, ':');
        pyro_buf_puts(&b, s);
    }
    pyro_buf_putc(&b, '\0');
    Py_DECREF(path);
    int rc = pyro_buf_status(&b);
    if (!rc)
        rc = pyro_profile_set_meta(p, "sys_path", b.data);
    pyro_buf_free(&b);
    return rc;
}

PyObject *pyro_profile_obj_new(pyro_modstate_t *st, pyro_profile_t *p)
{
    profile_obj_t *o = PyObject_New(profile_obj_t, st->profile_type);
    if (!o) {
        pyro_profile_free(p);
        return NULL;
    }
    o->p = p;
    return (PyObject *)o;
}

pyro_profile_t *pyro_profile_obj_get(pyro_modstate_t *st, PyObject *obj)
{
    if (!PyObject_TypeCheck(obj, st->profile_type)) {
        PyErr_SetString(PyExc_TypeError, "a Profile is needed");
        return NULL;
    }
    return ((profile_obj_t *)obj)->p;
}

static void profile_dealloc(profile_obj_t *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    pyro_profile_free(self->p);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static pyro_modstate_t *state_of(PyObject *self) { return pyro_modstate_of_type(Py_TYPE(self)); }

/* ==== options shared by render() and write() ==== */

/* "a, b or c" from the core's names 0..count-1 of a table (formats, sort
 * keys), into out (truncated to cap); returns out. */
static const char *choices(char *out, size_t cap, const char *(*name)(int), int count)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < count && n < cap; i++) {
        const char *sep = i == 0 ? "" : i == count - 1 ? " or " : ", ";
        int w = snprintf(out + n, cap - n, "%s%s", sep, name(i));
        if (w < 0)
            break;
        n += (size_t)w;
    }
    return out;
}

/* The units one can ask for, skipping PYRO_TIME_AUTO. */
static const char *unit_name(int i) { return pyro_time_unit_name(i + 1); }

static int parse_opts(PyObject *args, PyObject *kwds, const char *fname, int need_format,
                      PyObject **path, int *fmt, pyro_render_opts_t *o)
{
    static char *kw_render[] = {"format",    "sort",  "limit",  "callers",  "color",
                                "threshold", "strip", "clock",  "show_all", "title",
                                "function",  "unit",  "metric", NULL};
    static char *kw_write[] = {"path",  "format",    "sort",  "limit",  "callers",
                               "color", "threshold", "strip", "clock",  "show_all",
                               "title", "function",  "unit",  "metric", NULL};
    pyro_render_defaults(o); /* core owns the defaults */
    const char *format = NULL, *sort = NULL, *strip = "", *clock = "wall", *title = "";
    const char *function = NULL, *unit = "", *metric = "";
    Py_ssize_t limit = o->limit, callers = o->ncallers;
    int color = 0, show_all = 0;
    double threshold = o->threshold;
    char spec[64];
    int ok;
    if (path) {
        snprintf(spec, sizeof spec, "O&|z$snnpdsspszss:%s", fname);
        ok = PyArg_ParseTupleAndKeywords(args, kwds, spec, kw_write, PyUnicode_FSConverter, path,
                                         &format, &sort, &limit, &callers, &color, &threshold,
                                         &strip, &clock, &show_all, &title, &function, &unit,
                                         &metric);
    } else {
        snprintf(spec, sizeof spec, "%s$snnpdsspszss:%s", need_format ? "s|" : "|s", fname);
        ok = PyArg_ParseTupleAndKeywords(args, kwds, spec, kw_render, &format, &sort, &limit,
                                         &callers, &color, &threshold, &strip, &clock, &show_all,
                                         &title, &function, &unit, &metric);
    }
    if (!ok)
        return -1;
    if (format) {
        *fmt = pyro_format_parse(format);
        if (*fmt < 0) {
            char names[256];
            PyErr_Format(PyExc_ValueError, "unknown format '%s' (use %s)", format,
                         choices(names, sizeof names, pyro_format_name, PYRO_FMT_COUNT));
            return -1;
        }
    } else if (path) {
        *fmt = pyro_format_from_path(PyBytes_AS_STRING(*path));
        if (*fmt < 0) {
            PyErr_Format(PyExc_ValueError,
                         "cannot tell the format from the file name '%s'; give format=",
                         PyBytes_AS_STRING(*path));
            return -1;
        }
    } else {
        *fmt = PYRO_FMT_DEFAULT;
    }
    if (strcmp(clock, "wall") != 0 && strcmp(clock, "cpu") != 0) {
        PyErr_Format(PyExc_ValueError, "unknown clock '%s' (use wall or cpu)", clock);
        return -1;
    }
    int s = sort ? pyro_sort_parse(sort) : o->sort;
    if (s < 0) {
        char names[256];
        PyErr_Format(PyExc_ValueError, "unknown sort key '%s' (use %s)", sort,
                     choices(names, sizeof names, pyro_sort_name, PYRO_SORT_COUNT));
        return -1;
    }
    int u = pyro_time_unit_parse(unit);
    if (u < 0) {
        char names[64];
        /* the units one can ask for: all but auto (given as "") */
        PyErr_Format(PyExc_ValueError, "unknown unit '%s' (use %s, or '' to choose from the data)",
                     unit, choices(names, sizeof names, unit_name, PYRO_TIME_COUNT - 1));
        return -1;
    }
    int m = pyro_render_mem_metric_parse(metric);
    if (m == -2) {
        PyErr_Format(PyExc_ValueError,
                     "unknown metric '%s' (use peak, allocated, leaked or events)", metric);
        return -1;
    }
    if (!(threshold >= 0 && threshold <= 1)) { /* NaN too */
        PyErr_SetString(PyExc_ValueError, "threshold must be between 0 and 1");
        return -1;
    }
    if (limit < 0 || limit > UINT32_MAX || callers < 0 || callers > UINT32_MAX) {
        PyErr_Format(PyExc_ValueError, "%s must be between 0 and %u",
                     limit < 0 || limit > UINT32_MAX ? "limit" : "callers", UINT32_MAX);
        return -1;
    }
    o->sort = s;
    o->limit = (uint32_t)limit;
    o->ncallers = (uint32_t)callers;
    o->color = color;
    o->threshold = threshold;
    o->strip_prefix = strip;
    o->cpu = strcmp(clock, "cpu") == 0;
    o->show_all = show_all;
    o->title = title;
    o->function = function ? function : "";
    o->unit = u;
    o->metric = m;
    return 0;
}

/* Raise ProfileError and return -1 if format `fmt` cannot write `p`'s mode
 * (a flame graph of exact line timing), naming the formats that can. */
static int refuse_mode(profile_obj_t *self, int fmt)
{
    int mode = self->p->mode;
    if (pyro_format_can_write(fmt, mode))
        return 0;
    char names[256];
    size_t n = 0;
    names[0] = '\0';
    int count = 0, total = 0;
    for (int f = 0; f < PYRO_FMT_COUNT; f++)
        total += pyro_format_can_write(f, mode) != 0;
    for (int f = 0; f < PYRO_FMT_COUNT && n < sizeof names; f++) {
        if (!pyro_format_can_write(f, mode))
            continue;
        const char *sep = count == 0 ? "" : count == total - 1 ? " or " : ", ";
        int w = snprintf(names + n, sizeof names - n, "%s%s", sep, pyro_format_name(f));
        if (w < 0)
            break;
        n += (size_t)w;
        count++;
    }
    /* a profile without a mode is per-function statistics (read from pstats) */
    PyErr_Format(state_of((PyObject *)self)->profile_error,
                 "a %s profile cannot be written as %s (use %s)",
                 mode == PYRO_MODE_NONE ? "pstats" : pyro_mode_name(mode), pyro_format_name(fmt),
                 total ? names : "no format");
    return -1;
}

static PyObject *render_locked(profile_obj_t *self, PyObject *args, PyObject *kwds)
{
    int fmt;
    pyro_render_opts_t o;
    if (parse_opts(args, kwds, "render", 0, NULL, &fmt, &o) < 0 || refuse_mode(self, fmt) < 0)
        return NULL;
    pyro_buf_t b;
    pyro_buf_init(&b);
    int rc = pyro_render(self->p, fmt, &o, &b);
    PyObject *res = NULL;
    if (rc)
        pyro_raise(state_of((PyObject *)self), rc, NULL);
    else if (pyro_format_is_binary(fmt))
        res = PyBytes_FromStringAndSize(b.data ? b.data : "", (Py_ssize_t)b.len);
    else
        res = PyUnicode_DecodeUTF8(b.data ? b.data : "", (Py_ssize_t)b.len, "replace");
    pyro_buf_free(&b);
    return res;
}

static PyObject *write_locked(profile_obj_t *self, PyObject *args, PyObject *kwds)
{
    int fmt;
    pyro_render_opts_t o;
    PyObject *path = NULL;
    if (parse_opts(args, kwds, "write", 0, &path, &fmt, &o) < 0 || refuse_mode(self, fmt) < 0) {
        Py_XDECREF(path);
        return NULL;
    }
    pyro_buf_t b;
    pyro_buf_init(&b);
    int rc = pyro_render(self->p, fmt, &o, &b);
    if (!rc) {
        Py_BEGIN_ALLOW_THREADS
        rc = pyro_buf_write_file(&b, PyBytes_AS_STRING(path));
        Py_END_ALLOW_THREADS
    }
    PyObject *res = rc ? pyro_raise(state_of((PyObject *)self), rc, PyBytes_AS_STRING(path))
                       : Py_NewRef(Py_None);
    pyro_buf_free(&b);
    Py_DECREF(path);
    return res;
}

static PyObject *load_bytes(PyTypeObject *cls, const char *data, size_t len, const char *what)
{
    pyro_modstate_t *st = pyro_modstate_of_type(cls);
    pyro_profile_t *p = NULL;
    int rc;
    if (pyro_pyrofile_sniff(data, len)) {
        rc = pyro_pyrofile_read(data, len, &p);
    } else if (pyro_pstats_sniff(data, len)) {
        rc = pyro_pstats_read(data, len, &p);
    } else {
        PyErr_Format(st->profile_error, "%s: not a profile (neither .pyro nor pstats/.prof)", what);
        return NULL;
    }
    if (rc)
        return pyro_raise(st, rc, what);
    return pyro_profile_obj_new(st, p);
}

static PyObject *profile_load(PyTypeObject *cls, PyObject *arg)
{
    PyObject *path = NULL;
    if (!PyUnicode_FSConverter(arg, &path))
        return NULL;
    pyro_buf_t b;
    pyro_buf_init(&b);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = pyro_buf_read_file(&b, PyBytes_AS_STRING(path), MAX_FILE_BYTES);
    Py_END_ALLOW_THREADS
    PyObject *res;
    if (rc)
        res = pyro_raise(pyro_modstate_of_type(cls), rc, PyBytes_AS_STRING(path));
    else
        res = load_bytes(cls, b.data ? b.data : "", b.len, PyBytes_AS_STRING(path));
    pyro_buf_free(&b);
    Py_DECREF(path);
    return res;
}

static PyObject *profile_loads(PyTypeObject *cls, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    PyObject *res = load_bytes(cls, view.buf, (size_t)view.len, "<bytes>");
    PyBuffer_Release(&view);
    return res;
}

static PyObject *get_meta_locked(profile_obj_t *self, void *c)
{
    (void)c;
    PyObject *d = PyDict_New();
    for (uint32_t i = 0; d && i < self->p->nmeta; i++) {
        PyObject *k = PyUnicode_DecodeUTF8(
            pyro_profile_strget(self->p, self->p->meta[i].key),
            (Py_ssize_t)strlen(pyro_profile_strget(self->p, self->p->meta[i].key)), "replace");
        PyObject *v = PyUnicode_DecodeUTF8(
            pyro_profile_strget(self->p, self->p->meta[i].value),
            (Py_ssize_t)strlen(pyro_profile_strget(self->p, self->p->meta[i].value)), "replace");
        if (!k || !v || PyDict_SetItem(d, k, v) < 0)
            Py_CLEAR(d);
        Py_XDECREF(k);
        Py_XDECREF(v);
    }
    return d;
}

static PyObject *set_meta_locked(profile_obj_t *self, PyObject *args)
{
    const char *k, *v;
    if (!PyArg_ParseTuple(args, "ss:set_meta", &k, &v))
        return NULL;
    int rc = pyro_profile_set_meta(self->p, k, v);
    if (rc)
        return pyro_raise(state_of((PyObject *)self), rc, NULL);
    Py_RETURN_NONE;
}

static PyObject *get_total_locked(profile_obj_t *self, void *c)
{
    (void)c;
    return PyFloat_FromDouble((double)pyro_profile_total_ns(self->p) * 1e-9);
}

static PyObject *get_counts_locked(profile_obj_t *self, void *c)
{
    (void)c;
    uint64_t calls = 0;
    for (uint32_t i = 0; i < self->p->nnodes; i++)
        calls += (uint64_t)pyro_node_metric(self->p, i, PYRO_M_CALLS);
    return Py_BuildValue("{sIsIsIsK}", "functions", self->p->nfuncs, "nodes", self->p->nnodes,
                         "threads", self->p->nthreads, "calls", (unsigned long long)calls);
}

static PyObject *functions_locked(profile_obj_t *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"clock", "thread", NULL};
    const char *clock = "wall";
    long long thread = -1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$sL:functions", kwlist, &clock, &thread))
        return NULL;
    if (strcmp(clock, "wall") != 0 && strcmp(clock, "cpu") != 0) {
        PyErr_Format(PyExc_ValueError, "unknown clock '%s' (use wall or cpu)", clock);
        return NULL;
    }
    pyro_modstate_t *st = state_of((PyObject *)self);
    if (self->p->flat)
        return pyro_raise(st, PYRO_ENOTREE, NULL);
    pyro_profile_t *v = NULL;
    int flags = PYRO_VIEW_FUNCS | (strcmp(clock, "cpu") == 0 ? PYRO_VIEW_CPU : 0);
    int rc = pyro_profile_view(self->p, flags, &v);
    int64_t *own = NULL, *total = NULL;
    if (!rc) {
        own = PyMem_Calloc(v->nfuncs + 1, sizeof *own);
        total = PyMem_Calloc(v->nfuncs + 1, sizeof *total);
        rc = !own || !total
                 ? PYRO_ENOMEM
                 : pyro_profile_func_times(
                       v, thread < 0 || thread >= v->nthreads ? PYRO_NONE : (uint32_t)thread, own,
                       total);
    }
    PyObject *res = rc ? pyro_raise(st, rc, NULL) : PyList_New(0);
    for (uint32_t f = 0; res && f < v->nfuncs; f++) {
        if (!own[f] && !total[f])
            continue;
        const pyro_func_t *fn = &v->funcs[f];
        PyObject *row =
            Py_BuildValue("(sssIdd)", pyro_profile_strget(v, fn->name),
                          pyro_profile_strget(v, fn->qualname), pyro_profile_strget(v, fn->file),
                          fn->line, (double)own[f] * 1e-9, (double)total[f] * 1e-9);
        if (!row || PyList_Append(res, row) < 0)
            Py_CLEAR(res);
        Py_XDECREF(row);
    }
    PyMem_Free(own);
    PyMem_Free(total);
    pyro_profile_free(v);
    return res;
}

static PyObject *get_threads_locked(profile_obj_t *self, void *c)
{
    (void)c;
    const pyro_profile_t *p = self->p;
    PyObject *res = PyList_New(0);
    for (uint32_t t = 0; res && t < p->nthreads; t++) {
        pyro_thread_sums_t sum;
        pyro_profile_thread_sums(p, t, &sum);
        PyObject *row = Py_BuildValue(
            "{sKsKsssKsKsKsdsd}", "ident", (unsigned long long)p->threads[t].ident, "native_id",
            (unsigned long long)p->threads[t].native_id, "name",
            pyro_profile_strget(p, p->threads[t].name), "samples", (unsigned long long)sum.samples,
            "running", (unsigned long long)sum.running, "gil", (unsigned long long)sum.gil, "wall",
            (double)sum.wall_ns * 1e-9, "cpu", (double)sum.cpu_ns * 1e-9);
        if (!row || PyList_Append(res, row) < 0)
            Py_CLEAR(res);
        Py_XDECREF(row);
    }
    return res;
}

/* merge_memory(mem): a new Profile, this sample profile with memory profile
 * `mem`'s columns and nodes merged in (core/model/merge.h). */
static PyObject *merge_memory_locked(profile_obj_t *self, profile_obj_t *mem)
{
    pyro_modstate_t *st = state_of((PyObject *)self);
    if (self->p->mode != PYRO_MODE_SAMPLE || mem->p->mode != PYRO_MODE_MEMORY) {
        PyErr_Format(PyExc_ValueError,
                     "merge_memory() merges a memory profile into a sample profile, not a %s "
                     "profile into a %s one",
                     pyro_mode_name(mem->p->mode), pyro_mode_name(self->p->mode));
        return NULL;
    }
    pyro_profile_t *out = NULL;
    int rc = pyro_profile_merge_memory(self->p, mem->p, &out);
    if (rc)
        return pyro_raise(st, rc, NULL);
    return pyro_profile_obj_new(st, out);
}

/* columns: the names of the node columns, in order. */
static PyObject *get_columns_locked(profile_obj_t *self, void *c)
{
    (void)c;
    PyObject *res = PyTuple_New(self->p->ncols);
    for (uint32_t i = 0; res && i < self->p->ncols; i++) {
        PyObject *name = PyUnicode_FromString(pyro_profile_strget(self->p, self->p->cols[i].name));
        if (!name)
            Py_CLEAR(res);
        else
            PyTuple_SET_ITEM(res, i, name);
    }
    return res;
}

/* ==== the public entry points: one thread at a time per profile ====
 * set_meta changes a profile that the others read: on a free-threaded build
 * without the GIL, each runs inside the profile's critical section. */

static PyObject *profile_render(profile_obj_t *self, PyObject *args, PyObject *kwds)
{
    PyObject *res;
    Py_BEGIN_CRITICAL_SECTION(self);
    res = render_locked(self, args, kwds);
    Py_END_CRITICAL_SECTION();
    return res;
}

static PyObject *profile_write(profile_obj_t *self, PyObject *args, PyObject *kwds)
{
    PyObject *res;
    Py_BEGIN_CRITICAL_SECTION(self);
    res = write_locked(self, args, kwds);
    Py_END_CRITICAL_SECTION();
    return res;
}

static PyObject *profile_functions(profile_obj_t *self, PyObject *args, PyObject *kwds)
{
    PyObject *res;
    Py_BEGIN_CRITICAL_SECTION(self);
    res = functions_locked(self, args, kwds);
    Py_END_CRITICAL_SECTION();
    return res;
}

static PyObject *profile_set_meta(profile_obj_t *self, PyObject *args)
{
    PyObject *res;
    Py_BEGIN_CRITICAL_SECTION(self);
    res = set_meta_locked(self, args);
    Py_END_CRITICAL_SECTION();
    return res;
}

static PyObject *profile_get_meta(profile_obj_t *self, void *c)
{
    PyObject *res;
    Py_BEGIN_CRITICAL_SECTION(self);
    res = get_meta_locked(self, c);
    Py_END_CRITICAL_SECTION();
    return res;
}

static PyObject *profile_get_total(profile_obj_t *self, void *c)
{
    PyObject *res;
    Py_BEGIN_CRITICAL_SECTION(self);
    res = get_total_locked(self, c);
    Py_END_CRITICAL_SECTION();
    return res;
}

static PyObject *profile_get_counts(profile_obj_t *self, void *c)
{
    PyObject *res;
    Py_BEGIN_CRITICAL_SECTION(self);
    res = get_counts_locked(self, c);
    Py_END_CRITICAL_SECTION();
    return res;
}

static PyObject *profile_merge_memory(profile_obj_t *self, PyObject *mem)
{
    if (!PyObject_TypeCheck(mem, Py_TYPE(self))) {
        PyErr_SetString(PyExc_TypeError, "merge_memory() takes a Profile");
        return NULL;
    }
    PyObject *res;
    Py_BEGIN_CRITICAL_SECTION2(self, mem);
    res = merge_memory_locked(self, (profile_obj_t *)mem);
    Py_END_CRITICAL_SECTION2();
    return res;
}

static PyObject *profile_get_columns(profile_obj_t *self, void *c)
{
    PyObject *res;
    Py_BEGIN_CRITICAL_SECTION(self);
    res = get_columns_locked(self, c);
    Py_END_CRITICAL_SECTION();
    return res;
}

static PyObject *profile_get_threads(profile_obj_t *self, void *c)
{
    PyObject *res;
    Py_BEGIN_CRITICAL_SECTION(self);
    res = get_threads_locked(self, c);
    Py_END_CRITICAL_SECTION();
    return res;
}

static PyMethodDef profile_methods[] = {
    {"functions", (PyCFunction)(void (*)(void))profile_functions, METH_VARARGS | METH_KEYWORDS,
     "functions(*, clock='wall', thread=-1)\n--\n\nPer-function time: a list of (name, "
     "qualname, file, line, own seconds, total seconds), recursion counted once; `thread` is "
     "an index into `threads` (-1: all)."},
    {"render", (PyCFunction)(void (*)(void))profile_render, METH_VARARGS | METH_KEYWORDS,
     "render(format='report', *, sort='cumtime', limit=30, callers=5, color=False, "
     "threshold=0.005, strip='', clock='wall', show_all=False, title='', function=None, "
     "unit='', metric='')\n--\n\n"
     "The profile as text (str) or, for 'pstats' and 'pyro', bytes. 'report' is the terminal "
     "report of the profile's mode (the table for traces). clock='cpu' shows a sample "
     "profile's CPU time; show_all stops folding library frames in sample trees; function "
     "selects the functions of 'lines' and of a lines profile's report (qualname or "
     "file:qualname); unit is the lines profile report's time unit ('s', 'ms', 'us', 'ns'; '' "
     "chooses from the data); metric is what a memory profile's flame graph, folded stacks and "
     "speedscope weigh by ('peak', the default: live at the peak; 'allocated'; 'leaked')."},

    {"write", (PyCFunction)(void (*)(void))profile_write, METH_VARARGS | METH_KEYWORDS,
     "write(path, format=None, **options)\n--\n\nWrite the profile atomically; the format comes "
     "from "
     "the extension unless given."},
    {"load", (PyCFunction)profile_load, METH_O | METH_CLASS,
     "load(path)\n--\n\nRead a .pyro file (everything) or a pstats .prof file (per-function "
     "numbers only: no tree). Raises OSError or ProfileError."},
    {"loads", (PyCFunction)profile_loads, METH_O | METH_CLASS,
     "loads(data)\n--\n\nParse .pyro or pstats bytes. Raises ProfileError."},

    {"merge_memory", (PyCFunction)profile_merge_memory, METH_O,
     "merge_memory(mem)\n--\n\nA new sample profile: this one (mode 'sample') with the memory "
     "columns of memory profile `mem` (of the same run) added and its allocations merged in, "
     "path by path (pyrometer run --memory). Raises ValueError for other modes."},
    {"set_meta", (PyCFunction)profile_set_meta, METH_VARARGS,
     "set_meta(key, value)\n--\n\nSet a metadata entry."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef profile_getset[] = {
    {"threads", (getter)profile_get_threads, NULL,
     "The threads: dicts of ident, native_id, name and, for samples, samples, running, gil, "
     "wall and cpu seconds.",
     NULL},
    {"meta", (getter)profile_get_meta, NULL, "Metadata as a dict of str.", NULL},
    {"columns", (getter)profile_get_columns, NULL,
     "The names of the nodes' metric columns, in order (a sample profile of run --memory also "
     "has the memory columns).",
     NULL},
    {"total_time", (getter)profile_get_total, NULL, "Seconds measured (sum over threads).", NULL},
    {"counts", (getter)profile_get_counts, NULL, "Sizes: functions, nodes, threads, calls.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyObject *profile_new(PyTypeObject *t, PyObject *a, PyObject *k)
{
    (void)t;
    (void)a;
    (void)k;
    PyErr_SetString(PyExc_TypeError,
                    "Profile objects come from Tracer.profile() or Profile.load()");
    return NULL;
}

static PyType_Slot profile_slots[] = {
    {Py_tp_new, profile_new},
    {Py_tp_dealloc, profile_dealloc},
    {Py_tp_methods, profile_methods},
    {Py_tp_getset, profile_getset},
    {Py_tp_doc, "A recorded profile (created by Tracer.profile() or Profile.load())."},
    {0, NULL},
};

static PyType_Spec profile_spec = {
    .name = "pyrometer._core.Profile",
    .basicsize = sizeof(profile_obj_t),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = profile_slots,
};

int pyro_profile_type_init(PyObject *m, pyro_modstate_t *st)
{
    st->profile_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &profile_spec, NULL);
    if (!st->profile_type)
        return -1;
    Py_INCREF(st->profile_type);
    if (PyModule_AddObject(m, "Profile", (PyObject *)st->profile_type) < 0) {
        Py_DECREF(st->profile_type);
        return -1;
    }
    st->profile_error = PyErr_NewExceptionWithDoc(
        "pyrometer._core.ProfileError",
        "A profile file is corrupt, truncated or of another format.", PyExc_ValueError, NULL);
    if (!st->profile_error)
        return -1;
    Py_INCREF(st->profile_error);
    if (PyModule_AddObject(m, "ProfileError", st->profile_error) < 0) {
        Py_DECREF(st->profile_error);
        return -1;
    }
    return 0;
}
