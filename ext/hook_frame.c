/* SPDX-License-Identifier: MIT */
/* hook_frame: a PEP 523 eval-frame function that records enter/leave. */
#include "hook_frame.h"

#include "names.h"

#if PYRO_HAVE_INTERP_FRAME
#define Py_BUILD_CORE 1
#include PYRO_INTERP_FRAME_HEADER
#undef Py_BUILD_CORE
typedef struct _PyInterpreterFrame pyro_evalframe_t;
#else
typedef PyFrameObject pyro_evalframe_t;
#endif

/* The tracer whose hook is installed. The hook is interpreter-wide and
 * changes only with the GIL held, like this pointer. */
static pyro_tracer_obj_t *owner;

static inline PyObject *frame_code(pyro_evalframe_t *f)
{
#if PYRO_FRAME_EXECUTABLE_IS_STACKREF
    return (PyObject *)(f->f_executable.bits & ~PYRO_STACKREF_TAG_MASK);
#elif PYRO_FRAME_HAS_EXECUTABLE
    return f->f_executable;
#else
    return (PyObject *)f->f_code;
#endif
}

/* On 3.11+, calling a generator or coroutine function evaluates its frame
 * once, up to RETURN_GENERATOR, before the generator exists; cProfile (and
 * sys.monitoring) do not count that as a call, only the resumes that follow,
 * which run frames owned by the generator. */
static inline int creates_generator(pyro_evalframe_t *f, PyObject *code)
{
#if PYRO_HAVE_INTERP_FRAME
    return (((PyCodeObject *)code)->co_flags &
            (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR)) &&
           f->owner != FRAME_OWNED_BY_GENERATOR;
#else
    (void)f;
    (void)code;
    return 0;
#endif
}

#if PYRO_FRAME_CLEARED_IN_EVAL
/* ==== returns seen before the evaluator gives control back ====
 * From 3.12 a returning frame's locals are released inside the evaluator,
 * after the thread's current frame is back at the caller: a finalizer they
 * run (__del__, a weakref callback such as importlib's module-lock `cb`) is,
 * for cProfile, a call from the caller, made after the frame returned. The
 * hook sees that call first, so it records the return there: each thread
 * keeps the calls it entered and has not left, and a call whose frame is no
 * longer on the thread's stack when a new frame enters has returned. */

/* A call entered by the hook and not left: on the C stack of its eval_hook,
 * innermost first. */
typedef struct open_call {
    pyro_evalframe_t *frame;
    PyObject *code;
    int left; /* its return was recorded early (settle) */
    struct open_call *up;
} open_call_t;

static __thread open_call_t *open_calls __attribute__((tls_model("initial-exec")));

/* Non-zero if `f` is `cur` or one of its callers' frames. */
static int on_stack(pyro_evalframe_t *cur, pyro_evalframe_t *f)
{
    for (; cur; cur = cur->previous)
        if (cur == f)
            return 1;
    return 0;
}

/* Before a frame enters: record the return of every open call whose frame
 * has left the thread's stack. The common case costs one comparison: the
 * caller's frame is the thread's current one. */
static inline void settle(PyThreadState *ts, pyro_tracer_obj_t *self)
{
    pyro_evalframe_t *cur = PYRO_TSTATE_CURRENT_FRAME(ts);
    for (open_call_t *c = open_calls; c; c = c->up) {
        if (c->left)
            continue;
        if (__builtin_expect(c->frame == cur, 1) || on_stack(cur, c->frame))
            return;
        pyro_tracer_leave(self->tracer, (uintptr_t)c->code);
        c->left = 1;
    }
}
#endif

PYRO_HOOK static PyObject *eval_hook(PyThreadState *ts, pyro_evalframe_t *frame, int throwflag)
{
    pyro_tracer_obj_t *self = owner;
    PyObject *code = frame_code(frame);
    if (!self || !PyCode_Check(code) || creates_generator(frame, code))
        return _PyEval_EvalFrameDefault(ts, frame, throwflag);
#if PYRO_FRAME_CLEARED_IN_EVAL
    settle(ts, self);
#endif
    pyro_keyobj_t ko = {PYRO_OBJ_CODE, code, NULL};
    pyro_tracer_enter(self->tracer, (uintptr_t)code, &ko);
#if PYRO_FRAME_CLEARED_IN_EVAL
    /* open only now: code that naming a new function runs (in enter) runs
     * before this frame is on the thread's stack, and must not close it */
    open_call_t me = {frame, code, 0, open_calls};
    open_calls = &me;
#endif
    PyObject *res = _PyEval_EvalFrameDefault(ts, frame, throwflag);
    int left = 0;
#if PYRO_FRAME_CLEARED_IN_EVAL
    open_calls = me.up;
    left = me.left;
#endif
    /* the tracer may have stopped (or another started) meanwhile: look again */
    self = owner;
    if (self && !left)
        pyro_tracer_leave(self->tracer, (uintptr_t)code);
    return res;
}

/* Passing every frame straight on: the cost floor of this mechanism. */
static PyObject *noop_hook(PyThreadState *ts, pyro_evalframe_t *frame, int throwflag)
{
    return _PyEval_EvalFrameDefault(ts, frame, throwflag);
}

int pyro_frame_install(pyro_tracer_obj_t *self)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    if (_PyInterpreterState_GetEvalFrameFunc(interp) != _PyEval_EvalFrameDefault)
        return 0;
    owner = self;
    _PyInterpreterState_SetEvalFrameFunc(interp, self->floor ? noop_hook : eval_hook);
    return 1;
}

void pyro_frame_remove(pyro_tracer_obj_t *self)
{
    if (owner != self)
        return;
    PyInterpreterState *interp = PyInterpreterState_Get();
    _PyFrameEvalFunction cur = _PyInterpreterState_GetEvalFrameFunc(interp);
    if (cur == eval_hook || cur == noop_hook)
        _PyInterpreterState_SetEvalFrameFunc(interp, _PyEval_EvalFrameDefault);
    owner = NULL;
}
