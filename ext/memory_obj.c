/* SPDX-License-Identifier: MIT */
/* memory_obj: _core.MemoryTracker, allocations attributed to Python stacks. */
#include "memory_obj.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "model/error.h"
#include "hook_alloc.h"
#include "hook_native.h"
#include "names.h"
#include "profile_obj.h"
#include "record/memtrack.h"
#include "record/timeline.h"

typedef struct memory_obj {
    PyObject_HEAD pyro_memtrack_t *mt;
    pyro_timeline_t *timeline; /* RSS and the heap through the run, while running */
    pyro_codereg_t reg;        /* every code a recorded stack names, kept alive */
    PyObject *module;          /* strong: our module, for its state */
    PyObject *names;           /* dict: thread ident -> name, as threading named it */
    PyObject *root;            /* strong: the program's code given to set_root(), or NULL */
    uint64_t interval;         /* 0 = exact */
    int native;                /* also malloc, mmap, ... of native code (hook_native) */
    int running;
    int pid; /* the process that created it: a forked child records nothing */
} memory_obj_t;

/* The running tracker (borrowed): one at a time. */
static memory_obj_t *g_running;

static pyro_modstate_t *state_of(memory_obj_t *self)
{
    return pyro_modstate_of_type(Py_TYPE(self));
}

/* ==== thread names ==== */

/* Note the name of every thread threading knows now (runs no Python code;
 * leaves any pending exception as it was). */
static void note_names(memory_obj_t *self)
{
    if (!self->names)
        return;
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    PyObject *active = pyro_names_threading_active();
    PyObject *idents = active ? PyDict_Keys(active) : NULL;
    for (Py_ssize_t i = 0; idents && i < PyList_GET_SIZE(idents); i++) {
        PyObject *key = PyList_GET_ITEM(idents, i);
        unsigned long long ident = PyLong_Check(key) ? PyLong_AsUnsignedLongLong(key) : 0;
        PyObject *name = ident ? pyro_names_thread_in(active, ident) : NULL;
        if (name && PyDict_SetItem(self->names, key, name) < 0)
            PyErr_Clear();
        Py_XDECREF(name);
    }
    Py_XDECREF(idents);
    Py_XDECREF(active);
    PyErr_Clear();
    PyErr_Restore(et, ev, tb);
}

/* The hooks' namer: the name threading gives thread `ident`, if it is
 * registered there yet. */
static int name_one(void *ctx, uint64_t ident)
{
    memory_obj_t *self = ctx;
    if (!self->names)
        return 1;
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    PyObject *active = pyro_names_threading_active();
    PyObject *name = active ? pyro_names_thread_in(active, ident) : NULL;
    PyObject *key = name ? PyLong_FromUnsignedLongLong(ident) : NULL;
    int ok = key && PyDict_SetItem(self->names, key, name) == 0;
    Py_XDECREF(key);
    Py_XDECREF(name);
    Py_XDECREF(active);
    PyErr_Clear();
    PyErr_Restore(et, ev, tb);
    return ok;
}

int64_t pyro_memory_heap_now(void)
{
    if (!g_running || !g_running->running || g_running->pid != (int)getpid())
        return -1;
    return pyro_memtrack_heap_now(g_running->mt);
}

/* ==== the timeline's sources (called on its thread: atomics only) ==== */

static int64_t heap_gauge(void *ctx)
{
    memory_obj_t *self = ctx;
    if (self->native) /* libraries loaded by a dlopen --native could not patch */
        pyro_native_poll();
    return pyro_memtrack_heap_now(self->mt);
}

static uint64_t where_now(void *ctx)
{
    (void)ctx;
    return pyro_memhooks_where();
}

/* ==== lifecycle ==== */

static int memory_init(memory_obj_t *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"exact", "sample_bytes", "seed", "max_bytes", "native", NULL};
    int exact = 0, native = 0;
    long long sample_bytes = PYRO_MEMTRACK_INTERVAL_DEFAULT;
    unsigned long long seed = 0;
    Py_ssize_t max_bytes = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$pLKnp:MemoryTracker", kwlist, &exact,
                                     &sample_bytes, &seed, &max_bytes, &native))
        return -1;
    if (self->mt) {
        PyErr_SetString(PyExc_RuntimeError, "MemoryTracker.__init__ called twice");
        return -1;
    }
    if (!exact && sample_bytes < 1) {
        PyErr_SetString(PyExc_ValueError, "sample_bytes must be at least 1");
        return -1;
    }
    if (max_bytes < 0) {
        PyErr_SetString(PyExc_ValueError, "max_bytes must not be negative");
        return -1;
    }
    if (native && !pyro_native_supported()) {
        PyErr_SetString(PyExc_ValueError, "native allocation tracking is not supported on this "
                                          "platform (Linux on x86-64 or AArch64 only)");
        return -1;
    }
    self->native = native;
    PyObject *module = PyType_GetModule(Py_TYPE(self));
    if (!module)
        return -1;
    Py_XSETREF(self->module, Py_NewRef(module));
    Py_XSETREF(self->names, PyDict_New());
    if (!self->names)
        return -1;
    self->interval = exact ? 0 : (uint64_t)sample_bytes;
    pyro_memtrack_opts_t o = {self->interval, (uint64_t)seed, (size_t)max_bytes};
    int rc = pyro_memtrack_new(&o, &self->mt);
    if (rc) {
        self->mt = NULL;
        pyro_raise(pyro_modstate(module), rc, NULL);
        return -1;
    }
    rc = pyro_timeline_new(PYRO_TIMELINE_PERIOD_NS, PYRO_TIMELINE_MAX_ROWS, heap_gauge, where_now,
                           self, &self->timeline);
    if (rc) {
        self->timeline = NULL;
        pyro_raise(pyro_modstate(module), rc, NULL);
        return -1;
    }
    self->pid = (int)getpid();
    return 0;
}

static int memory_traverse(memory_obj_t *self, visitproc visit, void *arg)
{
    Py_VISIT(self->module);
    Py_VISIT(self->names);
    Py_VISIT(self->root);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int memory_clear(memory_obj_t *self)
{
    Py_CLEAR(self->names);
    Py_CLEAR(self->module);
    if (self->root) { /* the hooks must not hold it past us */
        pyro_memhooks_set_root(NULL);
        Py_CLEAR(self->root);
    }
    return 0;
}

static void stop_hooks(memory_obj_t *self)
{
    if (!self->running)
        return;
    self->running = 0;
    if (self->pid == (int)getpid())         /* a forked child has no timeline thread to join */
        pyro_timeline_stop(self->timeline); /* its last row: the heap as the program left it */
    if (g_running == self) {
        if (self->native)
            pyro_native_stop(); /* first: no native call reports once the recorder goes */
        pyro_memhooks_stop();
        g_running = NULL;
    }
}

static void memory_dealloc(memory_obj_t *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    stop_hooks(self);
    if (self->pid == (int)getpid())
        pyro_timeline_free(self->timeline); /* its thread reads the recorder: first */
    self->timeline = NULL; /* (a forked child's copy is left: its thread is the parent's) */
    pyro_memtrack_free(self->mt);
    self->mt = NULL;
    pyro_codereg_clear(&self->reg);
    memory_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static int ready(memory_obj_t *self)
{
    if (self->mt)
        return 1;
    PyErr_SetString(PyExc_RuntimeError, "MemoryTracker not initialized");
    return 0;
}

/* ==== fork ==== */

/* Python warns at fork() when the process has more than one thread (3.12+),
 * and the timeline's thread would be one the program did not start: around
 * os.fork() it is stopped (before) and started again in the parent after
 * Python's check. Registered once per process, acting on the running
 * tracker. */
static PyObject *fork_before(PyObject *mod, PyObject *unused)
{
    (void)mod;
    (void)unused;
    if (g_running && g_running->pid == (int)getpid())
        pyro_timeline_stop(g_running->timeline);
    Py_RETURN_NONE;
}

/* The timeline's thread started again, once os.fork() has returned. */
static int restart_timeline(void *unused)
{
    (void)unused;
    if (g_running && g_running->pid == (int)getpid())
        pyro_timeline_start(g_running->timeline); /* running already: a no-op */
    return 0;
}

/* Not started here: 3.13+ checks for threads after the after-fork hooks
 * (3.12 before them), so the restart waits for the interpreter's next
 * pending-call check, after os.fork() has returned. */
static PyObject *fork_after_parent(PyObject *mod, PyObject *unused)
{
    (void)mod;
    (void)unused;
    if (g_running && g_running->pid == (int)getpid() && Py_AddPendingCall(restart_timeline, NULL))
        restart_timeline(NULL); /* the queue is full: now rather than never */
    Py_RETURN_NONE;
}

static PyMethodDef fork_defs[] = {
    {"_memory_before_fork", fork_before, METH_NOARGS, NULL},
    {"_memory_after_fork_parent", fork_after_parent, METH_NOARGS, NULL},
};

/* os.register_at_fork(before=..., after_in_parent=...), once per process.
 * 0, or -1 with an exception. */
static int register_fork_hooks(void)
{
    static int done_pid;
    return pyro_register_at_fork(fork_defs, 2, &done_pid);
}

/* ==== methods ==== */

static int start(memory_obj_t *self)
{
    if (self->running) {
        PyErr_SetString(PyExc_RuntimeError, "this MemoryTracker is already running");
        return -1;
    }
    pyro_modstate_t *st = state_of(self);
    if (!st)
        return -1;
    int off = pyro_gil_disabled();
    if (off < 0)
        return -1;
    if (off) {
        PyErr_SetString(st->gil_required_error,
                        "memory tracking needs the GIL, and this free-threaded Python runs "
                        "without it: run Python with PYTHON_GIL=1 (or -X gil=1)");
        return -1;
    }
    if (self->pid != (int)getpid()) {
        PyErr_SetString(PyExc_RuntimeError, "this MemoryTracker belongs to the parent process");
        return -1;
    }
    if (g_running || pyro_memhooks_running()) {
        PyErr_SetString(PyExc_RuntimeError,
                        "another MemoryTracker is running: stop it first (one at a time)");
        return -1;
    }
    /* threading names the threads once the program imports it (at the
     * latest when it starts one); not imported here: that costs a start-up
     * of milliseconds and changes the program's exit (threading's shutdown
     * runs). Without it the main thread is named as threading would. */
    note_names(self);
    if (register_fork_hooks() < 0)
        return -1;
    if (pyro_memhooks_start(self->mt, &self->reg, self->interval, name_one, self) < 0)
        return -1;
    if (self->native && pyro_native_start() < 0) {
        pyro_memhooks_stop();
        return -1;
    }
    g_running = self;
    self->running = 1;
    /* no thread for it (out of resources): the timeline keeps its first and last rows */
    pyro_timeline_start(self->timeline);
    return 0;
}

static PyObject *memory_start(memory_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self) || start(self) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static void stop(memory_obj_t *self)
{
    if (!self->running)
        return;
    pyro_memhooks_enter();
    note_names(self);
    pyro_memhooks_leave();
    stop_hooks(self);
}

static PyObject *memory_stop(memory_obj_t *self, PyObject *unused)
{
    (void)unused;
    stop(self);
    Py_RETURN_NONE;
}

static PyObject *memory_exec_code(memory_obj_t *self, PyObject *args)
{
    PyObject *code, *globals;
    if (!PyArg_ParseTuple(args, "O!O!:exec_code", &PyCode_Type, &code, &PyDict_Type, &globals) ||
        !pyro_program_code(code) || !ready(self))
        return NULL;
    if (!self->running) {
        PyErr_SetString(PyExc_RuntimeError, "exec_code() needs a running MemoryTracker");
        return NULL;
    }
    /* not stopped here: the program's other threads may still run (the
     * runner waits for them, then stops) */
    pyro_memhooks_set_root(code);
    PyObject *res = PyEval_EvalCode(code, globals, globals);
    pyro_memhooks_set_root(NULL);
    return res;
}

/* set_root(code): the calling thread's stacks end at `code`'s frame, and
 * its allocations outside `code` are pyrometer's own, while another
 * recorder runs the program (run --memory: the sampler's exec_code). */
static PyObject *memory_set_root(memory_obj_t *self, PyObject *code)
{
    if (code != Py_None && !PyCode_Check(code)) {
        PyErr_SetString(PyExc_TypeError, "set_root() takes a code object or None");
        return NULL;
    }
    PyObject *old = self->root;
    self->root = code == Py_None ? NULL : Py_NewRef(code);
    pyro_memhooks_set_root(self->root); /* before the old one may go */
    Py_XDECREF(old);
    Py_RETURN_NONE;
}

static PyObject *memory_pause_thread(memory_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self))
        return NULL;
    if (self->running)
        pyro_memhooks_pause_thread();
    Py_RETURN_NONE;
}

static PyObject *memory_hide(memory_obj_t *self, PyObject *obj)
{
    (void)self;
    if (!PyFunction_Check(obj) && !PyCode_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "hide() takes a function or a code object");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* The export's callback: name, file and line of a code id (a code object
 * the registry keeps alive). */
static int resolve(void *ctx, uint64_t id, uint32_t offset, const char **name,
                   const char **qualname, const char **file, uint32_t *firstline, uint32_t *line)
{
    (void)ctx;
    PyCodeObject *code = (PyCodeObject *)(uintptr_t)id;
    *name = PyUnicode_AsUTF8(code->co_name);
    *qualname = PyUnicode_AsUTF8(pyro_code_qualname(code));
    *file = PyUnicode_AsUTF8(code->co_filename);
    if (!*name || !*qualname || !*file) {
        PyErr_Clear();
        return -1;
    }
    *firstline = code->co_firstlineno > 0 ? (uint32_t)code->co_firstlineno : 0;
    int ln = offset < PYRO_CODE_NBYTES(code) ? PyCode_Addr2Line(code, (int)offset) : -1;
    *line = ln > 0 ? (uint32_t)ln : 0;
    return 0;
}

/* The timeline's tags (code ids, kept alive by the registry) as functions
 * of `p`: the same function records as the recorder's export makes. */
static int64_t where_func(void *ctx, uint64_t code, pyro_profile_t *p)
{
    (void)ctx;
    const char *name, *qualname, *file;
    uint32_t first, line;
    if (resolve(NULL, code, 0, &name, &qualname, &file, &first, &line))
        return -1;
    pyro_func_t f = {0, 0, 0, first, PYRO_FUNC_PYTHON};
    uint32_t id;
    if (pyro_profile_str(p, name, strlen(name), &f.name) ||
        pyro_profile_str(p, qualname, strlen(qualname), &f.qualname) ||
        pyro_profile_str(p, file, strlen(file), &f.file) || pyro_profile_func(p, &f, &id))
        return -1;
    return id;
}

/* Name the profile's threads from what threading called them. */
static int name_threads(memory_obj_t *self, pyro_profile_t *p)
{
    for (uint32_t i = 0; i < p->nthreads; i++) {
        PyObject *key = PyLong_FromUnsignedLongLong(p->threads[i].ident);
        PyObject *name = key ? PyDict_GetItemWithError(self->names, key) : NULL; /* borrowed */
        Py_XDECREF(key);
        const char *u = name && PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
        PyErr_Clear();
        if (!u && p->threads[i].native_id == (uint64_t)getpid())
            u = "MainThread"; /* threading never imported: what it would call the main thread */
        if (!u)
            continue;
        uint32_t id;
        int rc = pyro_profile_str(p, u, strlen(u), &id);
        if (rc)
            return rc;
        p->threads[i].name = id;
    }
    return PYRO_OK;
}

static PyObject *memory_profile(memory_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self))
        return NULL;
    pyro_modstate_t *st = state_of(self);
    pyro_profile_t *p = NULL;
    pyro_memhooks_enter();
    if (self->running)
        note_names(self);
    int rc = pyro_memtrack_export(self->mt, resolve, NULL, &p);
    if (!rc)
        rc = name_threads(self, p);
    /* the timeline: RSS and heap through the run, the peak RSS it saw and when */
    if (!rc)
        rc = pyro_timeline_export(self->timeline, p, where_func, self);
    struct rusage ru;
    char buf[32];
    snprintf(buf, sizeof buf, "%lld",
             getrusage(RUSAGE_SELF, &ru) == 0 ? (long long)ru.ru_maxrss * 1024 : 0LL);
    if (!rc) /* the process's highest RSS since it started (before tracking too) */
        rc = pyro_profile_set_meta(p, "rss_max_bytes", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)pyro_memhooks_lost());
    if (!rc && pyro_memhooks_lost())
        rc = pyro_profile_set_meta(p, "mem_nogil_lost", buf);
    if (!rc)
        rc = pyro_profile_set_meta(p, "mem_domains", "raw,mem,obj");
    if (!rc) /* the report says whether malloc, mmap, ... of native code were tracked */
        rc = pyro_profile_set_meta(p, "mem_native", self->native ? "yes" : "no");
    if (!rc)
        rc = pyro_profile_note_sys_path(p);
    pyro_memhooks_leave();
    if (rc) {
        pyro_profile_free(p);
        return pyro_raise(st, rc, NULL);
    }
    return pyro_profile_obj_new(st, p);
}

/* _rows(): the nodes of profile() as tuples, for tests (the Profile type
 * exposes no nodes): (node, parent or -1, thread name, qualname, file,
 * first line, line, alloc_bytes, allocs, freed_bytes, peak_bytes,
 * leaked_bytes, leaked_allocs). */
static PyObject *memory_rows(memory_obj_t *self, PyObject *unused)
{
    PyObject *prof = memory_profile(self, unused);
    if (!prof)
        return NULL;
    pyro_profile_t *p = NULL;
    pyro_memhooks_enter();
    int rc = pyro_memtrack_export(self->mt, resolve, NULL, &p);
    if (!rc)
        rc = name_threads(self, p);
    pyro_memhooks_leave();
    Py_DECREF(prof);
    if (rc) {
        pyro_profile_free(p);
        return pyro_raise(state_of(self), rc, NULL);
    }
    PyObject *rows = PyList_New(0);
    for (uint32_t n = 0; rows && n < p->nnodes; n++) {
        const pyro_node_t *nd = &p->nodes[n];
        const pyro_func_t *f = &p->funcs[nd->func];
        PyObject *row =
            Py_BuildValue("(IisssIILLLLLL)", n, nd->parent == PYRO_NONE ? -1 : (int)nd->parent,
                          pyro_profile_strget(p, p->threads[nd->thread].name),
                          pyro_profile_strget(p, f->qualname), pyro_profile_strget(p, f->file),
                          f->line, nd->line, (long long)pyro_node_metric(p, n, PYRO_M_ALLOC_BYTES),
                          (long long)pyro_node_metric(p, n, PYRO_M_ALLOCS),
                          (long long)pyro_node_metric(p, n, PYRO_M_FREED_BYTES),
                          (long long)pyro_node_metric(p, n, PYRO_M_PEAK_BYTES),
                          (long long)pyro_node_metric(p, n, PYRO_M_LEAKED_BYTES),
                          (long long)pyro_node_metric(p, n, PYRO_M_LEAKED_ALLOCS));
        if (!row || PyList_Append(rows, row) < 0)
            Py_CLEAR(rows);
        Py_XDECREF(row);
    }
    pyro_profile_free(p);
    return rows;
}

static PyObject *memory_totals(memory_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self))
        return NULL;
    pyro_memtrack_totals_t t;
    pyro_memhooks_enter();
    pyro_memtrack_totals(self->mt, &t);
    pyro_memhooks_leave();
    return Py_BuildValue("{sLsLsLsLsLsLsLsKsK}", "heap_bytes", (long long)t.heap_bytes,
                         "peak_bytes", (long long)t.peak_bytes, "peak_ns", (long long)t.peak_ns,
                         "peak_allocs", (long long)t.peak_allocs, "alloc_bytes",
                         (long long)t.alloc_bytes, "allocs", (long long)t.allocs, "live_allocs",
                         (long long)t.live_allocs, "dropped", (unsigned long long)t.dropped,
                         "own_bytes", (unsigned long long)t.own_bytes);
}

static PyObject *memory_get_running(memory_obj_t *self, void *c)
{
    (void)c;
    return PyBool_FromLong(self->running && pyro_memhooks_running());
}

static PyObject *memory_get_exact(memory_obj_t *self, void *c)
{
    (void)c;
    return PyBool_FromLong(self->mt && self->interval == 0);
}

static PyObject *memory_get_native(memory_obj_t *self, void *c)
{
    (void)c;
    return PyBool_FromLong(self->native);
}

static PyObject *memory_get_sample_bytes(memory_obj_t *self, void *c)
{
    (void)c;
    return PyLong_FromUnsignedLongLong(self->interval);
}

static PyMethodDef memory_methods[] = {
    {"start", (PyCFunction)memory_start, METH_NOARGS,
     "start()\n--\n\nTrack every thread's allocations (the raw, mem and object domains) from "
     "now on. RuntimeError if a MemoryTracker is running; GILRequiredError on a free-threaded "
     "Python without the GIL."},
    {"stop", (PyCFunction)memory_stop, METH_NOARGS,
     "stop()\n--\n\nStop tracking (harmless when stopped). If the program installed its own "
     "allocator above the hooks, they stay, passing everything through."},
    {"exec_code", (PyCFunction)memory_exec_code, METH_VARARGS,
     "exec_code(code, globals)\n--\n\nStart, evaluate `code` in `globals`, stop; stacks end at "
     "`code`'s frame (pyrometer's own frames above it are not shown). Returns its result."},
    {"set_root", (PyCFunction)memory_set_root, METH_O,
     "set_root(code)\n--\n\nFrom now on the calling thread's stacks end at `code`'s frame and "
     "its allocations made outside `code` are not recorded (pyrometer's own), as in exec_code; "
     "for a tracker beside a recorder that runs the program (run --memory). None: no root."},
    {"pause_thread", (PyCFunction)memory_pause_thread, METH_NOARGS,
     "pause_thread()\n--\n\nStop recording the calling thread's allocations (its frees still "
     "count) until the next start()."},
    {"hide", (PyCFunction)memory_hide, METH_O,
     "hide(func)\n--\n\nAccepted for symmetry with the other recorders: memory stacks show every "
     "frame."},
    {"profile", (PyCFunction)memory_profile, METH_NOARGS,
     "profile()\n--\n\nEverything recorded so far as a Profile of mode 'memory' (recording goes "
     "on if running)."},
    {"_rows", (PyCFunction)memory_rows, METH_NOARGS,
     "Internal, for tests: profile()'s nodes as (node, parent, thread name, qualname, file, "
     "first line, line, alloc_bytes, allocs, freed_bytes, peak_bytes, leaked_bytes, "
     "leaked_allocs) tuples."},
    {"totals", (PyCFunction)memory_totals, METH_NOARGS,
     "totals()\n--\n\nThe recorder's totals: heap_bytes, peak_bytes, peak_ns, peak_allocs, "
     "alloc_bytes, "
     "allocs, live_allocs, dropped, own_bytes."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef memory_getset[] = {
    {"running", (getter)memory_get_running, NULL, "True while tracking.", NULL},
    {"exact", (getter)memory_get_exact, NULL, "True if every allocation is recorded.", NULL},
    {"sample_bytes", (getter)memory_get_sample_bytes, NULL,
     "The mean sampling interval in bytes (0 when exact).", NULL},
    {"native", (getter)memory_get_native, NULL,
     "True if native allocations (malloc, mmap, ... of C extensions) are tracked too.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot memory_slots[] = {
    {Py_tp_init, memory_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, memory_dealloc},
    {Py_tp_traverse, memory_traverse},
    {Py_tp_clear, memory_clear},
    {Py_tp_methods, memory_methods},
    {Py_tp_getset, memory_getset},
    {Py_tp_doc,
     "MemoryTracker(*, exact=False, sample_bytes=4096, seed=0, max_bytes=0, native=False)\n--\n\n"
     "Allocations of Python's three allocator domains, in every thread, attributed to the "
     "Python stack that made them. Sampled by bytes (an allocation's chance to be recorded is "
     "1 - exp(-size / sample_bytes), and each record is weighed back) unless exact=True. seed: "
     "of the sampler (0: from the clock). max_bytes: cap on the recorder's own memory (0: "
     "none). native: also malloc, calloc, realloc, free, posix_memalign, mmap, munmap, ... "
     "called by C extensions and the libraries they load (GOT patching; Linux)."},
    {0, NULL},
};

static PyType_Spec memory_spec = {
    .name = "pyrometer._core.MemoryTracker",
    .basicsize = sizeof(memory_obj_t),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .slots = memory_slots,
};

int pyro_memory_type_init(PyObject *m, pyro_modstate_t *st)
{
    (void)st;
    PyObject *t = PyType_FromModuleAndSpec(m, &memory_spec, NULL);
    if (!t)
        return -1;
    if (PyModule_AddObject(m, "MemoryTracker", t) < 0) {
        Py_DECREF(t);
        return -1;
    }
    return PyModule_AddIntConstant(m, "MEMORY_SAMPLE_BYTES_DEFAULT",
                                   PYRO_MEMTRACK_INTERVAL_DEFAULT);
}
