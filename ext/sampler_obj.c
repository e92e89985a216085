/* SPDX-License-Identifier: MIT */
/* sampler_obj: _core.Sampler, a thin owner of a core sampler. */
#include "sampler_obj.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "model/error.h"
#include "profile_obj.h"
#include "remote/pyproc.h"
#include "pythread.h"
#include "record/counters.h"
#include "record/evsample.h"
#include "record/sampler.h"

typedef struct sampler_obj {
    PyObject_HEAD pyro_sampler_t *s;
    PyObject *root; /* the program's code object (kept alive: its address is the filter) */
    int pid;
    int warned;  /* stop() has reported the sampling thread's error */
    int started; /* the process that started it (0: never started): in a forked child its
                    sampling thread and its lock are the parent's, never touched */
    /* One caller at a time into the core sampler (start, stop, sample, take
     * and __init__ are not safe against each other). The GIL is no such
     * guard: each call waits for the core with the GIL released, and a
     * free-threaded build may run without one. Taken with the GIL released
     * (lock()), so a holder waiting for the GIL never waits on a waiter. */
    pthread_mutex_t lock;
    int fork_paused; /* its thread was stopped for os.fork(): started again after (fork_*) */
} sampler_obj_t;

static void fork_track(sampler_obj_t *self, int running);
static int fork_register(void);

static void lock(sampler_obj_t *self)
{
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&self->lock);
    Py_END_ALLOW_THREADS
}

static void unlock(sampler_obj_t *self) { pthread_mutex_unlock(&self->lock); }

static PyObject *sampler_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    sampler_obj_t *self = (sampler_obj_t *)PyType_GenericNew(type, args, kwds);
    if (self && pthread_mutex_init(&self->lock, NULL) != 0) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

static pyro_modstate_t *state_of(PyObject *self) { return pyro_modstate_of_type(Py_TYPE(self)); }

/* This process's runtime, found without reading /proc or libpython's ELF
 * file (0.15-0.3 ms of start-up): _PyRuntime is an exported symbol, and the
 * version is the running interpreter's. PYRO_EINVAL when the symbol cannot
 * be found this way (the caller then takes the general path). */
static int self_pyproc(pyro_pyproc_t *pp)
{
    void *rt = dlsym(RTLD_DEFAULT, "_PyRuntime");
    unsigned major = 0, minor = 0, micro = 0;
    if (!rt || sscanf(Py_GetVersion(), "%u.%u.%u", &major, &minor, &micro) != 3)
        return PYRO_EINVAL;
    memset(pp, 0, sizeof *pp);
    pp->pid = (int)getpid();
    pp->runtime = (uint64_t)(uintptr_t)rt;
    pp->version = major << 24 | minor << 16 | micro << 8;
    Dl_info info;
    if (dladdr(rt, &info) && info.dli_fname)
        snprintf(pp->binary, sizeof pp->binary, "%s", info.dli_fname);
    return pyro_pyproc_describe(pp);
}

static int sampler_init(sampler_obj_t *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"pid", "rate", "root", "blocking", "event", "period", NULL};
    int pid = 0, blocking = 0;
    double rate = PYRO_SAMPLER_RATE_DEFAULT;
    PyObject *root = Py_None;
    const char *event = NULL;
    unsigned long long period = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|i$dOpzK:Sampler", kwlist, &pid, &rate, &root,
                                     &blocking, &event, &period))
        return -1;
    int ev = event ? pyro_event_lookup(event) : -1;
    if (event && ev < 0) {
        PyErr_Format(PyExc_ValueError, "unknown event: %s", event);
        return -1;
    }
    if (event && blocking) {
        PyErr_SetString(PyExc_ValueError, "event sampling does not stop the target's threads: "
                                          "not with blocking");
        return -1;
    }
    if (event && !period)
        period = pyro_evsample_default_period((pyro_event_t)ev);
    if (period > INT64_MAX) {
        PyErr_SetString(PyExc_ValueError, "period out of range");
        return -1;
    }
    if (!pyro_sampler_rate_ok(rate)) {
        char msg[96];
        snprintf(msg, sizeof msg, "rate must be between %g and %g samples per second",
                 PYRO_SAMPLER_RATE_MIN, PYRO_SAMPLER_RATE_MAX);
        PyErr_SetString(PyExc_ValueError, msg);
        return -1;
    }
    if (root != Py_None && !PyCode_Check(root)) {
        PyErr_SetString(PyExc_TypeError, "root must be a code object or None");
        return -1;
    }
    if (pid < 0) {
        PyErr_Format(PyExc_ValueError, "not a process id: %d", pid);
        return -1;
    }
    if (!pid)
        pid = (int)getpid();
    if (blocking && pid == (int)getpid()) {
        PyErr_SetString(PyExc_ValueError, "blocking sampling stops the target's threads: it needs "
                                          "another process");
        return -1;
    }
    /* thread names are read from memory, in-process too: the sampling
     * thread never takes the GIL (which would make the program switch) */
    pyro_sampler_opts_t o = {rate,  0, 0, NULL, NULL, blocking, event != NULL, ev < 0 ? 0 : ev,
                             period};
    if (root != Py_None) {
        o.root_code = (uint64_t)(uintptr_t)root;
        o.root_ident = (uint64_t)PyThread_get_thread_ident();
    }
    pyro_pyproc_t pp = {0};
    int rc, ev_err = 0;
    lock(self);
    if (self->s) {
        unlock(self);
        PyErr_SetString(PyExc_RuntimeError, "Sampler.__init__ called twice");
        return -1;
    }
    Py_BEGIN_ALLOW_THREADS
    rc = pid == (int)getpid() ? self_pyproc(&pp) : PYRO_EINVAL;
    if (rc == PYRO_EINVAL)
        rc = pyro_pyproc_open(pid, &pp);
    if (rc == PYRO_OK && event) { /* the event must open on the target's main thread */
        pyro_evsample_t probe;
        pyro_evsample_init(&probe);
        if (pyro_evsample_open(&probe, (pid_t)pid, (pyro_event_t)ev, period, &ev_err))
            rc = PYRO_EIO;
        pyro_evsample_close(&probe);
    }
    if (rc == PYRO_OK)
        rc = pyro_sampler_new(&pp, &o, &self->s);
    Py_END_ALLOW_THREADS
    if (rc == PYRO_EIO && ev_err) {
        unlock(self);
        pyro_raise_event_error(state_of((PyObject *)self), ev, ev_err);
        return -1;
    }
    if (rc) {
        unlock(self);
        pyro_raise_target(state_of((PyObject *)self), rc, pid, &pp);
        return -1;
    }
    self->pid = pid;
    unlock(self);
    Py_XSETREF(self->root, root == Py_None ? NULL : Py_NewRef(root)); /* may run a finalizer */
    return 0;
}

/* Non-zero in a process forked from the one that started the sampler. */
static int forked(const sampler_obj_t *self)
{
    return self->started && self->started != (int)getpid();
}

static void sampler_dealloc(sampler_obj_t *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    fork_track(self, 0);
    if (forked(self)) {
        /* its thread and lock are the parent's (the lock may be held for
         * good here): left as they are, a leak in a child that is ending */
    } else {
        if (self->s) {
            Py_BEGIN_ALLOW_THREADS
            pyro_sampler_free(self->s);
            Py_END_ALLOW_THREADS
        }
        pthread_mutex_destroy(&self->lock);
    }
    Py_CLEAR(self->root);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static int sampler_traverse(sampler_obj_t *self, visitproc visit, void *arg)
{
    Py_VISIT(self->root);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int sampler_clear(sampler_obj_t *self)
{
    Py_CLEAR(self->root);
    return 0;
}

static int ready(sampler_obj_t *self)
{
    if (forked(self)) {
        PyErr_SetString(PyExc_RuntimeError,
                        "this Sampler was started in the parent process: a forked child "
                        "cannot use it");
        return 0;
    }
    if (self->s)
        return 1;
    PyErr_SetString(PyExc_RuntimeError, "Sampler was not initialized");
    return 0;
}

static PyObject *sampler_start(sampler_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self) || fork_register() < 0)
        return NULL;
    lock(self);
    int rc = pyro_sampler_start(self->s);
    unlock(self);
    if (!rc) {
        self->started = (int)getpid();
        fork_track(self, 1);
    }
    if (rc == PYRO_EINVAL)
        Py_RETURN_NONE; /* already sampling */
    if (rc)
        return pyro_raise(state_of((PyObject *)self), rc, NULL);
    Py_RETURN_NONE;
}

static PyObject *sampler_stop(sampler_obj_t *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"warn", NULL};
    int warn = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$p:stop", kwlist, &warn))
        return NULL;
    if (forked(self))
        Py_RETURN_NONE; /* a forked child: the sampling thread runs in the parent only */
    if (!ready(self))
        return NULL;
    fork_track(self, 0); /* and not started again if os.fork() had stopped it */
    int rc, report;
    pyro_sampler_info_t info;
    lock(self);
    Py_BEGIN_ALLOW_THREADS
    pyro_sampler_stop(self->s);
    rc = pyro_sampler_name_threads(self->s); /* threads that appeared last */
    pyro_sampler_info(self->s, &info);
    Py_END_ALLOW_THREADS
    /* the sampling thread cannot raise: report its sticky error now, once */
    report = info.error && !self->warned;
    if (report)
        self->warned = 1;
    unlock(self);
    pyro_modstate_t *st = state_of((PyObject *)self);
    if (report) {
        char msg[160];
        snprintf(msg, sizeof msg, "sampling stopped early (%s): the profile is incomplete",
                 pyro_strerror(info.error));
        if (warn && pyro_warn_incomplete(st, msg) < 0)
            return NULL;
    }
    if (rc)
        return pyro_raise(st, rc, NULL);
    Py_RETURN_NONE;
}

/* ==== fork ====
 * Python 3.12+ warns at os.fork() when the process has other threads, and a
 * sampling thread is one the program did not start: around os.fork() the
 * sampling threads of this process are stopped (before) and started again in
 * the parent once os.fork() has returned (after its thread check: 3.13+
 * makes it after the after-fork hooks, so the restart is a pending call
 * there), as ext/memory_obj.c does for its timeline. The running samplers
 * are kept in a small table (one running at a time is the rule: a sampler
 * past it is left running, and the program may see the warning). */

#define FORK_MAX 8
static sampler_obj_t *g_fork[FORK_MAX]; /* running samplers (borrowed; removed at stop and
                                           dealloc), and those fork_before stopped (owned) */
static pthread_mutex_t g_fork_lock = PTHREAD_MUTEX_INITIALIZER;

/* Add `self` to the table (running) or take it out, cancelling a restart
 * (and dropping the reference fork_before took). Never waits for the GIL
 * while it holds the table's lock, nor does anything else. */
static void fork_track(sampler_obj_t *self, int running)
{
    pthread_mutex_lock(&g_fork_lock);
    for (int i = 0; i < FORK_MAX; i++)
        if (running ? !g_fork[i] : g_fork[i] == self) {
            g_fork[i] = running ? self : NULL;
            break;
        }
    int owned = self->fork_paused;
    self->fork_paused = 0;
    pthread_mutex_unlock(&g_fork_lock);
    if (owned)
        Py_DECREF(self); /* the caller holds another: stop(), never dealloc */
}

static PyObject *fork_before(PyObject *mod, PyObject *unused)
{
    (void)mod;
    (void)unused;
    pthread_mutex_lock(&g_fork_lock);
    for (int i = 0; i < FORK_MAX; i++) {
        sampler_obj_t *s = g_fork[i];
        /* a sampler another thread is using now is left running (no waiting here) */
        if (!s || s->fork_paused || forked(s) || pthread_mutex_trylock(&s->lock) != 0)
            continue;
        pyro_sampler_stop(s->s); /* the GIL kept: the sampling thread never takes it */
        pthread_mutex_unlock(&s->lock);
        s->fork_paused = 1;
        Py_INCREF(s); /* alive until started again */
    }
    pthread_mutex_unlock(&g_fork_lock);
    Py_RETURN_NONE;
}

/* The samplers fork_before stopped, started again (if still wanted). */
static int fork_restart(void *unused)
{
    (void)unused;
    sampler_obj_t *paused[FORK_MAX];
    int n = 0;
    pthread_mutex_lock(&g_fork_lock);
    for (int i = 0; i < FORK_MAX; i++)
        if (g_fork[i] && g_fork[i]->fork_paused) {
            g_fork[i]->fork_paused = 0;
            paused[n++] = g_fork[i];
        }
    pthread_mutex_unlock(&g_fork_lock);
    for (int i = 0; i < n; i++) {
        lock(paused[i]);
        pyro_sampler_start(paused[i]->s); /* out of resources: the profile ends here */
        unlock(paused[i]);
        Py_DECREF(paused[i]);
    }
    return 0;
}

static PyObject *fork_after_parent(PyObject *mod, PyObject *unused)
{
    (void)mod;
    (void)unused;
#if PY_VERSION_HEX >= 0x030D0000
    if (Py_AddPendingCall(fork_restart, NULL) == 0)
        Py_RETURN_NONE;
#endif
    fork_restart(NULL); /* 3.12 checks before the hooks; or the queue is full */
    Py_RETURN_NONE;
}

/* The child: its samplers are the parent's; the table is emptied. */
static PyObject *fork_after_child(PyObject *mod, PyObject *unused)
{
    (void)mod;
    (void)unused;
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    g_fork_lock = fresh; /* another thread of the parent may have held it */
    for (int i = 0; i < FORK_MAX; i++) {
        sampler_obj_t *s = g_fork[i];
        g_fork[i] = NULL;
        if (s && s->fork_paused) {
            s->fork_paused = 0;
            Py_DECREF(s);
        }
    }
    Py_RETURN_NONE;
}

static PyMethodDef fork_defs[] = {
    {"_sampler_before_fork", fork_before, METH_NOARGS, NULL},
    {"_sampler_after_fork_parent", fork_after_parent, METH_NOARGS, NULL},
    {"_sampler_after_fork_child", fork_after_child, METH_NOARGS, NULL},
};

/* os.register_at_fork(before=..., after_in_parent=..., after_in_child=...),
 * once per process. 0, or -1 with an exception. */
static int fork_register(void)
{
    static int done_pid;
    return pyro_register_at_fork(fork_defs, 3, &done_pid);
}

static PyObject *sampler_sample(sampler_obj_t *self, PyObject *args)
{
    double weight = 0.001;
    if (!PyArg_ParseTuple(args, "|d:sample", &weight) || !ready(self))
        return NULL;
    if (!(weight >= 0 && weight <= 1e6)) { /* NaN too: the cast below needs a range */
        PyErr_SetString(PyExc_ValueError, "weight must be between 0 and 1e6 seconds");
        return NULL;
    }
    int rc;
    lock(self);
    Py_BEGIN_ALLOW_THREADS
    rc = pyro_sampler_sample(self->s, (int64_t)(weight * 1e9));
    Py_END_ALLOW_THREADS
    unlock(self);
    if (rc)
        return pyro_raise_target(state_of((PyObject *)self), rc, self->pid, NULL);
    Py_RETURN_NONE;
}

static PyObject *sampler_take(sampler_obj_t *self, PyObject *unused)
{
    (void)unused;
    if (!ready(self))
        return NULL;
    pyro_profile_t *p = NULL;
    int rc;
    lock(self);
    Py_BEGIN_ALLOW_THREADS
    rc = pyro_sampler_take(self->s, &p);
    Py_END_ALLOW_THREADS
    unlock(self);
    if (!rc && self->pid == (int)getpid() && (rc = pyro_profile_note_sys_path(p)))
        pyro_profile_free(p); /* this process: its sys.path is at hand */
    if (rc)
        return pyro_raise(state_of((PyObject *)self), rc, NULL);
    return pyro_profile_obj_new(state_of((PyObject *)self), p);
}

static PyObject *sampler_exec_code(sampler_obj_t *self, PyObject *args)
{
    PyObject *code, *globals;
    if (!PyArg_ParseTuple(args, "O!O!:exec_code", &PyCode_Type, &code, &PyDict_Type, &globals) ||
        !pyro_program_code(code))
        return NULL;
    (void)self;
    return PyEval_EvalCode(code, globals, globals);
}

static PyObject *sampler_noop(sampler_obj_t *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    Py_RETURN_NONE;
}

static PyObject *sampler_get_info(sampler_obj_t *self, void *c)
{
    (void)c;
    if (!ready(self))
        return NULL;
    pyro_sampler_info_t i;
    Py_BEGIN_ALLOW_THREADS
    pyro_sampler_info(self->s, &i);
    Py_END_ALLOW_THREADS
    return Py_BuildValue("{sKsKsKsKsdsdsdsKsOsisKsKsKsIsi}", "samples",
                         (unsigned long long)i.samples, "missed", (unsigned long long)i.missed,
                         "partial", (unsigned long long)i.partial, "rereads",
                         (unsigned long long)i.rereads, "elapsed", (double)i.elapsed_ns * 1e-9,
                         "cpu", (double)i.cpu_ns * 1e-9, "paused", (double)i.paused_ns * 1e-9,
                         "late", (unsigned long long)i.late, "ended", i.ended ? Py_True : Py_False,
                         "error", i.error, "event_samples", (unsigned long long)i.event_samples,
                         "event_counted", (unsigned long long)i.event_counted, "event_attributed",
                         (unsigned long long)i.event_attributed, "event_threads_missed",
                         (unsigned)i.event_threads_missed, "event_errno", i.event_errno);
}

static PyObject *sampler_get_finished(sampler_obj_t *self, void *c)
{
    (void)c;
    if (!ready(self))
        return NULL;
    return PyBool_FromLong(pyro_sampler_finished(self->s));
}

static PyObject *sampler_get_pid(sampler_obj_t *self, void *c)
{
    (void)c;
    return PyLong_FromLong(self->pid);
}

/* Sampler.events(): every event of the table with whether it can be
 * sampled here, on the calling thread (opened and closed at once). */
static PyObject *sampler_events(PyObject *cls, PyObject *unused)
{
    (void)cls;
    (void)unused;
    PyObject *out = PyList_New(0);
    int paranoid = pyro_counters_paranoid();
    for (int e = 0; out && e < PYRO_EV_COUNT; e++) {
        const pyro_event_info_t *info = pyro_event_info((pyro_event_t)e);
        uint64_t period = pyro_evsample_default_period((pyro_event_t)e);
        pyro_evsample_t s;
        int err;
        pyro_evsample_init(&s);
        int rc = pyro_evsample_open(&s, 0, (pyro_event_t)e, period, &err);
        int user_only = s.user_only;
        pyro_evsample_close(&s);
        char why[200] = "";
        if (rc)
            pyro_counters_reason(err ? err : EINVAL, info->hardware, paranoid, why, sizeof why);
        PyObject *d = Py_BuildValue("{s:s,s:O,s:O,s:K,s:O,s:O,s:s}", "name", info->name, "hardware",
                                    info->hardware ? Py_True : Py_False, "kernel_side",
                                    pyro_evsample_kernel_side((pyro_event_t)e) ? Py_True : Py_False,
                                    "default_period", (unsigned long long)period, "available",
                                    rc ? Py_False : Py_True, "user_only",
                                    user_only ? Py_True : Py_False, "reason", why);
        if (!d || PyList_Append(out, d) < 0)
            Py_CLEAR(out);
        Py_XDECREF(d);
    }
    return out;
}

static PyMethodDef sampler_methods[] = {
    {"start", (PyCFunction)sampler_start, METH_NOARGS,
     "start()\n--\n\nStart sampling on a background thread (no-op if already sampling)."},
    {"stop", (PyCFunction)(void (*)(void))sampler_stop, METH_VARARGS | METH_KEYWORDS,
     "stop(*, warn=True)\n--\n\nStop sampling and wait for the background thread; harmless "
     "when stopped. If sampling ended in an error (info['error']: memory exhausted, permission "
     "lost), the first stop after it issues IncompleteProfileWarning (a RuntimeWarning) unless "
     "warn=False."},
    {"sample", (PyCFunction)sampler_sample, METH_VARARGS,
     "sample(weight=0.001)\n--\n\nTake one sample now, weighing `weight` seconds (not while "
     "started)."},
    {"take", (PyCFunction)sampler_take, METH_NOARGS,
     "take()\n--\n\nThe profile recorded so far; recording goes on into a new, empty one."},
    {"exec_code", (PyCFunction)sampler_exec_code, METH_VARARGS,
     "exec_code(code, globals)\n--\n\nRun the program's code object (whose frames are kept)."},
    {"pause_thread", (PyCFunction)sampler_noop, METH_NOARGS,
     "pause_thread()\n--\n\nNothing to do for a sampler (the tracer's counterpart)."},
    {"hide", (PyCFunction)sampler_noop, METH_O,
     "hide(obj)\n--\n\nNothing to do for a sampler (the tracer's counterpart)."},
    {"events", (PyCFunction)sampler_events, METH_NOARGS | METH_STATIC,
     "events()\n--\n\nThe events Sampler(event=...) knows: a list of dicts with name, "
     "hardware, kernel_side, default_period, available (it can be sampled here), user_only and "
     "reason (why not, when it cannot)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef sampler_getset[] = {
    {"info", (getter)sampler_get_info, NULL,
     "Counters: samples, missed, partial (stacks cut short), rereads (stacks read again), elapsed "
     "and cpu (seconds of the "
     "sampling thread), paused (blocking: seconds the target was held), late (blocking: threads "
     "that did not stop in time and were read running), ended (the target exited), error (core "
     "error code, 0 = none).",
     NULL},
    {"finished", (getter)sampler_get_finished, NULL,
     "True once sampling stopped by itself (the target exited).", NULL},
    {"pid", (getter)sampler_get_pid, NULL, "The process sampled.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot sampler_slots[] = {
    {Py_tp_init, sampler_init},
    {Py_tp_new, sampler_new},
    {Py_tp_dealloc, sampler_dealloc},
    {Py_tp_traverse, sampler_traverse},
    {Py_tp_clear, sampler_clear},
    {Py_tp_methods, sampler_methods},
    {Py_tp_getset, sampler_getset},
    {Py_tp_doc,
     "Sampler(pid=0, *, rate=1000.0, root=None, blocking=False, event=None, period=0)\n--\n\n"
     "Statistical profiler of process `pid` (0 = this one): every thread's Python stack, read "
     "`rate` times a second by a native thread without the GIL. `root`: the program's code "
     "object when profiling this process, so that pyrometer's own frames are left out. `event`: "
     "also sample on this perf event (\"page-faults\", ...; see events()) every `period` "
     "events (0: its default), adding the events each thread counted to its stack. Raises "
     "ProcessLookupError, PermissionError, NotPythonError or UnsupportedPythonError; ValueError "
     "for an unknown event, EventError(errno, reason) for one that cannot be sampled here."},
    {0, NULL},
};

static PyType_Spec sampler_spec = {
    .name = "pyrometer._core.Sampler",
    .basicsize = sizeof(sampler_obj_t),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .slots = sampler_slots,
};

int pyro_sampler_type_init(PyObject *m, pyro_modstate_t *st)
{
    (void)st;
    PyObject *t = PyType_FromModuleAndSpec(m, &sampler_spec, NULL);
    if (!t)
        return -1;
    if (PyModule_AddObject(m, "Sampler", t) < 0) {
        Py_DECREF(t);
        return -1;
    }
    return 0;
}
