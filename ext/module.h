/* SPDX-License-Identifier: MIT */
/* module: the `pyrometer._core` module's state, shared by its types. */
#ifndef PYRO_MODULE_H
#define PYRO_MODULE_H

#include "compat.h"
#include "remote/pyproc.h"

struct pyro_tracer_obj;

typedef struct pyro_modstate {
    PyTypeObject *tracer_type;
    PyTypeObject *profile_type;
    PyTypeObject *hook_type;
    PyObject *profile_error;        /* _core.ProfileError */
    PyObject *not_python_error;     /* _core.NotPythonError */
    PyObject *unsupported_error;    /* _core.UnsupportedPythonError */
    PyObject *incomplete_warning;   /* _core.IncompleteProfileWarning */
    PyObject *gil_required_error;   /* _core.GILRequiredError */
    PyObject *event_error;          /* _core.EventError */
    struct pyro_tracer_obj *active; /* the running tracer (borrowed), or NULL */
    PyTypeObject *lines_type;       /* _core.LineTimer */
    PyObject *lines_active;         /* the running LineTimer (borrowed), or NULL */
} pyro_modstate_t;

/* The state of module `m`. */
pyro_modstate_t *pyro_modstate(PyObject *m);

/* The state of the module that defined `type` (a heap type of this module). */
pyro_modstate_t *pyro_modstate_of_type(PyTypeObject *type);

/* 0 if exact tracing may run in this interpreter, else -1 with
 * GILRequiredError (a free-threaded Python running without the GIL), or -1
 * with another exception if that cannot be told. */
int pyro_gil_check(pyro_modstate_t *st);

/* Non-zero if `code` (a code object) can run as a program by exec_code():
 * it has no free variables (it would read a closure that is not there);
 * else 0 with TypeError, as exec() refuses it. */
int pyro_program_code(PyObject *code);

/* Raise the Python exception matching core error `err` (ENOMEM ->
 * MemoryError, EIO -> OSError from errno with `path`, format errors ->
 * ProfileError naming `path`) and return NULL. */
PyObject *pyro_raise(pyro_modstate_t *st, int err, const char *path);

/* Warn with _core.IncompleteProfileWarning and message `msg`, at the end of
 * a recording that dropped events (the core's sticky error flag), as
 * _lsprof raises at disable() after POF_NOMEMORY. An exception already
 * pending is kept: the warning is issued with it saved aside. Returns 0, or
 * -1 with the warning raised as an exception (a filter turned it into an
 * error) when none was pending before (if one was, it wins and the
 * warning's error is reported as unraisable). */
int pyro_warn_incomplete(pyro_modstate_t *st, const char *msg);

/* Raise the exception for a failure to read process `pid` (core error
 * `err`): ProcessLookupError, PermissionError, NotPythonError,
 * UnsupportedPythonError naming the version and build kind of `pp` (which
 * must be given for PYRO_EUNSUPPORTED; may be NULL otherwise), else as
 * pyro_raise. NULL. */
PyObject *pyro_raise_target(pyro_modstate_t *st, int err, int pid, const pyro_pyproc_t *pp);

/* Raise _core.EventError(errno, reason) for perf event `event` (a
 * pyro_event_t) that could not be opened with `err`: the reason is
 * pyro_counters_reason's. NULL. */
PyObject *pyro_raise_event_error(pyro_modstate_t *st, int event, int err);

/* os.register_at_fork() with the functions `defs` define (METH_NOARGS, no
 * self): defs[0] as `before`, defs[1] as `after_in_parent` and, when
 * `nhooks` is 3, defs[2] as `after_in_child`. Once per process: `*done_pid`
 * (the caller's, 0 at first) remembers the process that registered them,
 * and a forked child that calls again registers again (its own hooks are
 * its parent's, which os keeps). 0 (also where os has no fork), or -1 with
 * an exception. */
int pyro_register_at_fork(PyMethodDef *defs, int nhooks, int *done_pid);

#endif
