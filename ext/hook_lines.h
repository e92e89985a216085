/* SPDX-License-Identifier: MIT */
/* hook_lines: the interpreter hooks of the line timer.
 *
 * 3.12+ (sys.monitoring): a tool id of its own; LINE, PY_START, PY_RESUME,
 * PY_RETURN and PY_YIELD as local events of the chosen code objects only,
 * PY_UNWIND and PY_THROW as global events (they cannot be local), and a
 * global PY_START only while a matcher is set, whose callback returns
 * DISABLE for code that is not chosen so that each such code object pays
 * once. Code that is not chosen runs uninstrumented otherwise.
 *
 * 3.9-3.11 (PyEval_SetTrace): the C trace hook on every thread (threads
 * started later through threading.settrace, which hands over to the C hook
 * on the new thread's first event). On the CALL event of a frame whose code
 * is not chosen, the frame's f_trace_lines is cleared so that its lines call
 * nothing more. Events map as: CALL enters (a start, or a generator's
 * resume), LINE, RETURN leaves (returns, yields and unwinds alike).
 *
 * Every callback only intercepts an event and forwards it to the core's
 * entry points (pyro_lines_enter/line/leave, record/linetimer.h). */
#ifndef PYRO_HOOK_LINES_H
#define PYRO_HOOK_LINES_H

#include "lines_obj.h"

/* The backend of this Python: "monitoring" or "settrace". */
const char *pyro_lines_backend(void);

/* Install the hooks for `self` (on every thread, for every chosen code).
 * 0, or -1 with an exception (nothing left installed): the tool ids are all
 * taken (3.12+), or another trace function is set on a thread (3.9-3.11: a
 * debugger or coverage, which would replace ours or be replaced). */
int pyro_lines_install(pyro_lines_obj_t *self);

/* Remove every hook of `self`: local events of each chosen code off, the
 * callbacks unregistered and the tool id freed (3.12+); the trace function
 * removed from every thread that has it and threading's hook restored
 * (3.9-3.11; sets self->hook_lost if a thread had another trace function).
 * Never raises. */
void pyro_lines_remove(pyro_lines_obj_t *self);

/* While installed: code object `code` was just chosen; time it from its
 * next event (3.12+: its local events; 3.9-3.11: line events back on for its
 * frames already running). `rejected`: it had been refused before (3.12+:
 * events the matcher's callback disabled are restarted). 0 or -1 with an
 * exception. */
int pyro_lines_hook_code(pyro_lines_obj_t *self, PyObject *code, int rejected);

/* While installed: the matcher was set or cleared (3.12+: the global
 * PY_START event follows it). 0 or -1 with an exception. */
int pyro_lines_hook_matcher(pyro_lines_obj_t *self);

/* The body of LineTimer._bootstrap(frame, event, arg): threading's
 * per-thread trace function (3.9-3.11). Installs the C hook on the calling
 * thread and handles the event it was called for; when the timer no longer
 * runs, removes the trampoline instead. `n` is 3 (the caller checks).
 * Returns None (new reference) or NULL. */
PyObject *pyro_lines_bootstrap(pyro_lines_obj_t *self, PyObject *const *args, Py_ssize_t n);

#endif
