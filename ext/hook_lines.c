/* SPDX-License-Identifier: MIT */
/* hook_lines: sys.monitoring (3.12+) or PyEval_SetTrace (3.9-3.11) feeding
 * the line timer. */
#include "hook_lines.h"

#include "hook_monitoring.h"
#include "tracer_obj.h"

/* What a line event adds to in _floor mode: the clock read and one add of
 * the floor, kept where the optimizer cannot drop them. */
static volatile int64_t floor_sink;

#if PYRO_HAVE_MONITORING

const char *pyro_lines_backend(void) { return "monitoring"; }

#define OWNER(obj) PYRO_HOOK_OWNER(obj, pyro_lines_obj_t)

/* The error for a callback called with fewer than `n` arguments (only
 * Python code calling a callback object by hand can do that). */
static PyObject *too_few(size_t nargsf, Py_ssize_t n)
{
    PyErr_Format(PyExc_TypeError,
                 "pyrometer's sys.monitoring callback takes %zd arguments (%zd given)", n,
                 PyVectorcall_NARGS(nargsf));
    return NULL;
}

/* ==== callbacks ==== */

/* LINE: (code, line) */
PYRO_HOOK static PyObject *on_line(PyObject *obj, PyObject *const *args, size_t nargsf,
                                   PyObject *kw)
{
    (void)kw;
    if (__builtin_expect(PyVectorcall_NARGS(nargsf) < 2, 0))
        return too_few(nargsf, 2);
    pyro_lines_obj_t *self = OWNER(obj);
    long line = pyro_small_long(args[1]);
    if (__builtin_expect(pyro_lines_line(self->timer, (uintptr_t)args[0], (uint32_t)line), 0))
        return Py_NewRef(self->disable); /* not chosen (only by hand: events are local) */
    Py_RETURN_NONE;
}

/* PY_START: (code, offset). Local on chosen code; global while a matcher is
 * set, when code not chosen is asked once and then disabled. */
static PyObject *on_start(PyObject *obj, PyObject *const *args, size_t nargsf, PyObject *kw)
{
    (void)kw;
    if (__builtin_expect(PyVectorcall_NARGS(nargsf) < 2, 0))
        return too_few(nargsf, 2);
    pyro_lines_obj_t *self = OWNER(obj);
    uintptr_t key = (uintptr_t)args[0];
    if (self->matcher) {
        uint32_t id = pyro_linetimer_lookup(self->timer, key);
        if (id >= pyro_linetimer_ncodes(self->timer) &&
            !(id == PYRO_LINES_UNKNOWN && PyCode_Check(args[0]) && pyro_lines_ask(self, args[0])))
            return Py_NewRef(self->disable);
    }
    pyro_lines_enter(self->timer, key, 1);
    Py_RETURN_NONE;
}

/* PY_RESUME, PY_THROW: (code, offset[, exc]) */
static PyObject *on_resume(PyObject *obj, PyObject *const *args, size_t nargsf, PyObject *kw)
{
    (void)kw;
    if (__builtin_expect(PyVectorcall_NARGS(nargsf) < 2, 0))
        return too_few(nargsf, 2);
    pyro_lines_enter(OWNER(obj)->timer, (uintptr_t)args[0], 0);
    Py_RETURN_NONE;
}

/* PY_RETURN, PY_YIELD, PY_UNWIND: (code, offset, value) */
static PyObject *on_leave(PyObject *obj, PyObject *const *args, size_t nargsf, PyObject *kw)
{
    (void)kw;
    if (__builtin_expect(PyVectorcall_NARGS(nargsf) < 2, 0))
        return too_few(nargsf, 2);
    pyro_lines_leave(OWNER(obj)->timer, (uintptr_t)args[0]);
    Py_RETURN_NONE;
}

/* _floor: a line event reads the clock and adds to one counter. */
PYRO_HOOK static PyObject *on_line_floor(PyObject *obj, PyObject *const *args, size_t nargsf,
                                         PyObject *kw)
{
    (void)obj;
    (void)args;
    (void)nargsf;
    (void)kw;
    floor_sink += pyro_clock_ticks();
    Py_RETURN_NONE;
}

static PyObject *on_noop(PyObject *obj, PyObject *const *args, size_t nargsf, PyObject *kw)
{
    (void)obj;
    (void)args;
    (void)nargsf;
    (void)kw;
    Py_RETURN_NONE;
}

/* ==== install / remove ==== */

static const struct {
    const char *event;
    vectorcallfunc fn, floor_fn;
    int global; /* a global event (else local to the chosen code) */
} table[] = {
    {"LINE", on_line, on_line_floor, 0},  {"PY_START", on_start, on_noop, 0},
    {"PY_RESUME", on_resume, on_noop, 0}, {"PY_RETURN", on_leave, on_noop, 0},
    {"PY_YIELD", on_leave, on_noop, 0},   {"PY_THROW", on_resume, on_noop, 1},
    {"PY_UNWIND", on_leave, on_noop, 1},
};
#define NEVENTS (sizeof table / sizeof table[0])

/* The global events for the current matcher. */
static long global_mask(pyro_lines_obj_t *self)
{
    return self->global_events | (self->matcher && !self->floor ? self->ev_py_start : 0);
}

static int set_local(pyro_lines_obj_t *self, PyObject *code, long events)
{
    PyObject *r =
        PyObject_CallMethod(self->monitoring, "set_local_events", "iOl", self->tool, code, events);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

int pyro_lines_install(pyro_lines_obj_t *self)
{
    PyObject *mon = pyro_monitoring_module();
    if (!mon)
        return -1;
    PyObject *events = PyObject_GetAttrString(mon, "events");
    PyObject *disable = PyObject_GetAttrString(mon, "DISABLE");
    pyro_modstate_t *st = pyro_modstate(self->module);
    int rc = -1;
    if (!events || !disable)
        goto done;
    /* ids other than PROFILER_ID first: the Tracer and cProfile want that one */
    static const int prefer[] = {4, 3, 5, 2, 1, 0};
    int tool = pyro_monitoring_claim(mon, prefer, sizeof prefer / sizeof prefer[0], "time lines");
    if (tool < 0)
        goto done;
    self->tool = tool;
    Py_XSETREF(self->monitoring, Py_NewRef(mon));
    Py_XSETREF(self->disable, Py_NewRef(disable));
    self->registered = self->global_events = self->local_events = 0;
    for (size_t i = 0; i < NEVENTS; i++) {
        PyObject *v = PyObject_GetAttrString(events, table[i].event);
        long bit = v ? PyLong_AsLong(v) : -1;
        Py_XDECREF(v);
        if (bit <= 0) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_RuntimeError, "sys.monitoring has no event %s", table[i].event);
            goto fail;
        }
        PyObject *h =
            pyro_hook_new(st, (PyObject *)self, self->floor ? table[i].floor_fn : table[i].fn);
        PyObject *r = h ? PyObject_CallMethod(mon, "register_callback", "ilO", tool, bit, h) : NULL;
        Py_XDECREF(h);
        if (!r)
            goto fail;
        Py_DECREF(r);
        self->registered |= bit;
        if (table[i].global)
            self->global_events |= bit;
        else
            self->local_events |= bit;
        if (table[i].fn == on_start)
            self->ev_py_start = bit;
    }
    PyObject *r = PyObject_CallMethod(mon, "set_events", "il", tool, global_mask(self));
    if (!r)
        goto fail;
    Py_DECREF(r);
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(self->chosen); i++)
        if (set_local(self, PyList_GET_ITEM(self->chosen, i), self->local_events) < 0)
            goto fail;
    rc = 0;
    goto done;
fail:
    pyro_lines_remove(self);
done:
    Py_XDECREF(events);
    Py_XDECREF(disable);
    Py_DECREF(mon);
    return rc;
}

void pyro_lines_remove(pyro_lines_obj_t *self)
{
    if (self->tool < 0)
        return;
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(self->chosen); i++)
        if (set_local(self, PyList_GET_ITEM(self->chosen, i), 0) < 0)
            PyErr_Clear();
    pyro_monitoring_release(self->monitoring, self->tool, self->registered);
    self->tool = -1;
    self->registered = 0;
    Py_CLEAR(self->monitoring);
    PyErr_Restore(et, ev, tb);
}

int pyro_lines_hook_code(pyro_lines_obj_t *self, PyObject *code, int rejected)
{
    if (self->tool < 0)
        return 0;
    if (set_local(self, code, self->local_events) < 0)
        return -1;
    if (rejected) { /* its PY_START was disabled when the matcher said no */
        PyObject *r = PyObject_CallMethod(self->monitoring, "restart_events", NULL);
        Py_XDECREF(r);
        return r ? 0 : -1;
    }
    return 0;
}

int pyro_lines_hook_matcher(pyro_lines_obj_t *self)
{
    if (self->tool < 0)
        return 0;
    PyObject *r =
        PyObject_CallMethod(self->monitoring, "set_events", "il", self->tool, global_mask(self));
    Py_XDECREF(r);
    return r ? 0 : -1;
}

PyObject *pyro_lines_bootstrap(pyro_lines_obj_t *self, PyObject *const *args, Py_ssize_t n)
{
    (void)self;
    (void)args;
    (void)n;
    Py_RETURN_NONE;
}

#else /* 3.9-3.11: PyEval_SetTrace */

#if PYRO_LEGACY_FRAME_INTERNAL
#define Py_BUILD_CORE 1
#include "internal/pycore_frame.h"
#undef Py_BUILD_CORE
#endif

const char *pyro_lines_backend(void) { return "settrace"; }

/* ==== the hook: one call per event, on the thread of the event ====
 * The interpreter calls no trace function while one runs (tstate->tracing),
 * so the matcher runs untraced. */

/* A CALL event: a frame starts or a generator resumes (or is thrown into).
 * A frame of code that is not chosen gets its line events turned off. */
__attribute__((noinline)) static void on_call(pyro_lines_obj_t *self, PyFrameObject *frame)
{
    PyCodeObject *code = PYRO_LFRAME_CODE(frame);
    uintptr_t key = (uintptr_t)code;
    uint32_t id = pyro_linetimer_lookup(self->timer, key);
    if (id >= pyro_linetimer_ncodes(self->timer) &&
        !(id == PYRO_LINES_UNKNOWN && self->matcher && !self->floor &&
          pyro_lines_ask(self, (PyObject *)code))) {
        PYRO_LFRAME_SET_TRACE_LINES(frame, 0);
        return;
    }
    PYRO_LFRAME_SET_TRACE_LINES(frame, 1);
    if (self->floor)
        return;
    int start = !(code->co_flags & (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR)) ||
                PYRO_LFRAME_IS_START(frame);
    pyro_lines_enter(self->timer, key, start);
}

PYRO_HOOK static int trace_hook(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
    (void)arg;
    pyro_lines_obj_t *self = (pyro_lines_obj_t *)obj;
    if (__builtin_expect(what == PyTrace_LINE, 1)) {
        PyCodeObject *code = PYRO_LFRAME_CODE(frame);
        if (__builtin_expect(
                pyro_lines_line(self->timer, (uintptr_t)code, (uint32_t)PYRO_LFRAME_LINENO(frame)),
                0))
            PYRO_LFRAME_SET_TRACE_LINES(frame, 0); /* began before the session */
    } else if (what == PyTrace_CALL) {
        on_call(self, frame);
    } else if (what == PyTrace_RETURN) {
        pyro_lines_leave(self->timer, (uintptr_t)PYRO_LFRAME_CODE(frame));
    }
    return 0;
}

/* _floor: the same events; a line event reads the clock and adds to one
 * counter. */
PYRO_HOOK static int floor_hook(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg)
{
    (void)arg;
    if (__builtin_expect(what == PyTrace_LINE, 1))
        floor_sink += pyro_clock_ticks();
    else if (what == PyTrace_CALL)
        on_call((pyro_lines_obj_t *)obj, frame);
    return 0;
}

static Py_tracefunc hook_of(pyro_lines_obj_t *self)
{
    return self->floor ? floor_hook : trace_hook;
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

PyObject *pyro_lines_bootstrap(pyro_lines_obj_t *self, PyObject *const *args, Py_ssize_t n)
{
    (void)n; /* 3: checked by the caller */
    PyThreadState *ts = PyThreadState_Get();
    if (!pyro_linetimer_running(self->timer)) {
        /* a thread started during the session whose first event came after
         * it: take the trampoline away instead of leaving a hook behind */
        if (_PyEval_SetTrace(ts, NULL, NULL) < 0)
            return NULL;
        Py_RETURN_NONE;
    }
    /* replace the Python-level trampoline that called us with the C hook */
    if (_PyEval_SetTrace(ts, hook_of(self), (PyObject *)self) < 0)
        return NULL;
    if (!PyFrame_Check(args[0]) || !PyUnicode_Check(args[1]))
        Py_RETURN_NONE;
    static const struct {
        const char *name;
        int what;
    } events[] = {{"call", PyTrace_CALL}, {"line", PyTrace_LINE}, {"return", PyTrace_RETURN}};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        if (PyUnicode_CompareWithASCIIString(args[1], events[i].name) == 0)
            hook_of(self)((PyObject *)self, (PyFrameObject *)args[0], events[i].what, args[2]);
    Py_RETURN_NONE;
}

/* ==== the gate (3.9-3.11) ====
 * With a trace function installed, the 3.9-3.11 evaluator takes its tracing
 * path on every instruction of every frame, even with f_trace_lines off, so
 * code that is not chosen would run 1.5-2.6x slower. Instead a PEP 523
 * eval-frame hook (which sees every frame start and generator resume, and
 * every end) installs the C trace function on a thread only while a chosen
 * frame runs: on when such a frame is about to be evaluated (before its CALL
 * event, so it gets exactly the events it got with the trace function always
 * on), off when a frame of other code is, and, when a frame ends, whatever
 * the frame returned into wants. The frame whose instructions run is always
 * the thread's current frame, so a chosen frame never runs an instruction
 * with the trace function off, and an unchosen one never runs with it on.
 * Used when no other eval-frame hook is installed; else the trace function
 * stays on everywhere (the fallback below). */

#if PYRO_LEGACY_FRAME_INTERNAL
typedef struct _PyInterpreterFrame pyro_gframe_t;
#define GFRAME_CODE(f) ((PyObject *)(f)->f_code)
#else
typedef PyFrameObject pyro_gframe_t;
#define GFRAME_CODE(f) ((PyObject *)(f)->f_code)
#endif

/* The LineTimer whose gate is installed (interpreter-wide, changed with the
 * GIL held; a strong reference: with the trace function off on every thread
 * nothing else may hold a running timer), and whether this thread is asking the matcher (the
 * matcher's own frames pass the gate untouched). */
static pyro_lines_obj_t *gate_owner;
static __thread int gate_asking __attribute__((tls_model("initial-exec")));

/* The code of the frame running on `ts` (borrowed), or NULL if none. */
static PyObject *running_code(PyThreadState *ts)
{
#if PYRO_LEGACY_FRAME_INTERNAL
    _PyInterpreterFrame *f = ts->cframe ? ts->cframe->current_frame : NULL;
#else
    PyFrameObject *f = ts->frame;
#endif
    return f ? GFRAME_CODE(f) : NULL;
}

/* 3.11: calling a generator function evaluates its frame once, up to
 * RETURN_GENERATOR, before any trace event: nothing to switch for that. */
static inline int creates_generator(pyro_gframe_t *f)
{
#if PYRO_LEGACY_FRAME_INTERNAL
    return (f->f_code->co_flags & (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR)) &&
           f->owner != FRAME_OWNED_BY_GENERATOR;
#else
    (void)f;
    return 0;
#endif
}

/* Non-zero if `code` (borrowed, may be NULL) is chosen. */
static inline int is_chosen(pyro_lines_obj_t *self, PyObject *code)
{
    return code &&
           pyro_linetimer_lookup(self->timer, (uintptr_t)code) < pyro_linetimer_ncodes(self->timer);
}

/* Turn the C trace function on (`on`) or off on `ts`. A trace function of
 * another tool (sys.settrace) is left alone; wanting ours on then means our
 * line events are lost (hook_lost). A pending exception is kept. */
static void gate_set(pyro_lines_obj_t *self, PyThreadState *ts, int on)
{
    Py_tracefunc hook = hook_of(self);
    if (pyro_tstate_has_trace(ts, hook)) {
        if (on)
            return;
    } else if (pyro_tstate_traced(ts)) {
        if (on)
            self->hook_lost = 1;
        return;
    } else if (!on) {
        return;
    }
    PyObject *et = NULL, *ev = NULL, *tb = NULL;
    int pending = PyErr_Occurred() != NULL;
    if (pending)
        PyErr_Fetch(&et, &ev, &tb);
    if (_PyEval_SetTrace(ts, on ? hook : NULL, on ? (PyObject *)self : NULL) < 0)
        PyErr_WriteUnraisable((PyObject *)self);
    if (pending)
        PyErr_Restore(et, ev, tb);
}

PYRO_HOOK static PyObject *gate_hook(PyThreadState *ts, pyro_gframe_t *frame, int throwflag)
{
    pyro_lines_obj_t *self = gate_owner;
    if (!self || gate_asking || creates_generator(frame))
        return _PyEval_EvalFrameDefault(ts, frame, throwflag);
    PyObject *code = GFRAME_CODE(frame);
    uint32_t id = pyro_linetimer_lookup(self->timer, (uintptr_t)code);
    int on = id < pyro_linetimer_ncodes(self->timer);
    if (!on && id == PYRO_LINES_UNKNOWN && self->matcher && !self->floor) {
        gate_set(self, ts, 0); /* the matcher runs untimed */
        gate_asking = 1;
        on = pyro_lines_ask(self, code);
        gate_asking = 0;
    }
    gate_set(self, ts, on);
    PyObject *res = _PyEval_EvalFrameDefault(ts, frame, throwflag);
    self = gate_owner; /* the timer may have stopped meanwhile */
    if (self)
        gate_set(self, ts, is_chosen(self, running_code(ts)));
    return res;
}

/* Install the gate if no other eval-frame hook is there: 1 if installed. */
static int gate_install(pyro_lines_obj_t *self)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    if (_PyInterpreterState_GetEvalFrameFunc(interp) != _PyEval_EvalFrameDefault)
        return 0;
    gate_owner = (pyro_lines_obj_t *)Py_NewRef((PyObject *)self);
    _PyInterpreterState_SetEvalFrameFunc(interp, gate_hook);
    self->gated = 1;
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts; ts = PyThreadState_Next(ts))
        gate_set(self, ts, is_chosen(self, running_code(ts)));
    return 1;
}

static void gate_remove(pyro_lines_obj_t *self)
{
    if (!self->gated)
        return;
    PyInterpreterState *interp = PyInterpreterState_Get();
    if (_PyInterpreterState_GetEvalFrameFunc(interp) == gate_hook)
        _PyInterpreterState_SetEvalFrameFunc(interp, _PyEval_EvalFrameDefault);
    self->gated = 0;
    if (gate_owner == self) {
        gate_owner = NULL;
        Py_DECREF(self); /* the caller holds another */
    }
}

/* ==== install / remove ==== */

int pyro_lines_install(pyro_lines_obj_t *self)
{
    PyThreadState *me = PyThreadState_Get();
    PyInterpreterState *interp = me->interp;
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts;
         ts = PyThreadState_Next(ts)) {
        if (pyro_tstate_traced(ts)) {
            PyErr_SetString(PyExc_RuntimeError,
                            "another tracer is active (sys.settrace is set on a thread: a "
                            "debugger or coverage?); stop it before timing lines with pyrometer");
            return -1;
        }
    }
    if (gate_install(self))
        return 0;
    PyObject *threading = threading_module();
    if (!threading)
        return -1;
    PyObject *prev = PyObject_GetAttrString(threading, "_trace_hook");
    if (!prev) {
        PyErr_Clear();
        prev = Py_NewRef(Py_None);
    }
    PyObject *bootstrap = PyObject_GetAttrString((PyObject *)self, "_bootstrap");
    PyObject *r = bootstrap ? PyObject_CallMethod(threading, "settrace", "O", bootstrap) : NULL;
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
        if (_PyEval_SetTrace(ts, hook_of(self), (PyObject *)self) < 0) {
            pyro_lines_remove(self);
            return -1;
        }
    }
    return 0;
}

void pyro_lines_remove(pyro_lines_obj_t *self)
{
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    gate_remove(self);
    PyThreadState *me = PyThreadState_Get();
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(me->interp); ts;
         ts = PyThreadState_Next(ts)) {
        if (pyro_tstate_has_trace(ts, trace_hook) || pyro_tstate_has_trace(ts, floor_hook) ||
            (self->bootstrap && pyro_tstate_traceobj(ts) == self->bootstrap)) {
            if (_PyEval_SetTrace(ts, NULL, NULL) < 0)
                PyErr_Clear();
        } else if (pyro_tstate_traced(ts)) {
            self->hook_lost = 1;
        }
    }
    if (self->bootstrap) {
        PyObject *threading = threading_module();
        if (threading) {
            PyObject *cur = PyObject_GetAttrString(threading, "_trace_hook");
            if (cur == self->bootstrap) {
                PyObject *r =
                    PyObject_CallMethod(threading, "settrace", "O",
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

int pyro_lines_hook_code(pyro_lines_obj_t *self, PyObject *code, int rejected)
{
    (void)rejected;
    /* its frames already running may have had their line events turned off,
     * and the gate has kept the trace function off where one runs now */
    PyThreadState *me = PyThreadState_Get();
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(me->interp); ts;
         ts = PyThreadState_Next(ts)) {
        if (self->gated && running_code(ts) == code)
            gate_set(self, ts, 1);
        PyFrameObject *f = PyThreadState_GetFrame(ts);
        while (f) {
            if ((PyObject *)PYRO_LFRAME_CODE(f) == code)
                PYRO_LFRAME_SET_TRACE_LINES(f, 1);
            PyFrameObject *back = PyFrame_GetBack(f);
            Py_DECREF(f);
            f = back;
        }
    }
    return 0;
}

int pyro_lines_hook_matcher(pyro_lines_obj_t *self)
{
    (void)self;
    return 0; /* the CALL event sees every frame already */
}

#endif
