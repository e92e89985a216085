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

PYRO_HOOK static PyObject *eval_hook(PyThreadState *ts, pyro_evalframe_t *frame, int throwflag)
{
    pyro_tracer_obj_t *self = owner;
    PyObject *code = frame_code(frame);
    if (!self || !PyCode_Check(code) || creates_generator(frame, code))
        return _PyEval_EvalFrameDefault(ts, frame, throwflag);
    pyro_keyobj_t ko = {PYRO_OBJ_CODE, code, NULL};
    pyro_tracer_enter(self->tracer, (uintptr_t)code, &ko);
    PyObject *res = _PyEval_EvalFrameDefault(ts, frame, throwflag);
    /* the tracer may have stopped (or another started) meanwhile: look again */
    self = owner;
    if (self)
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
