/* SPDX-License-Identifier: MIT */
/* hook_legacy: tracing through the C profile hook (PyEval_SetProfile) on
 * CPython 3.9-3.11, on every thread: existing threads get the hook directly,
 * threads started later through threading's profile hook, which hands over
 * to the C hook on the new thread's first event. Events map as in cProfile:
 * CALL/RETURN for Python frames (generator resumes are calls), C_CALL and
 * C_RETURN/C_EXCEPTION for builtins. On 3.12+ these functions only fail. */
#ifndef PYRO_HOOK_LEGACY_H
#define PYRO_HOOK_LEGACY_H

#include "tracer_obj.h"

/* Install the hook on all threads of the interpreter and arrange for new
 * threads. 0, or -1 with an exception (nothing installed). */
int pyro_legacy_install(pyro_tracer_obj_t *self);

/* Remove the hook from every thread that still has it and restore
 * threading's hook. Sets self->hook_lost if a thread had another hook. */
void pyro_legacy_remove(pyro_tracer_obj_t *self);

/* The body of Tracer._bootstrap(frame, event, arg): threading's per-thread
 * profile function. Installs the C hook on the calling thread and records
 * the event it was called for; when the tracer is no longer running, removes
 * the trampoline from the thread instead. `n` is 3 (the caller checks).
 * Returns None (new reference) or NULL. */
PyObject *pyro_legacy_bootstrap(pyro_tracer_obj_t *self, PyObject *const *args, Py_ssize_t n);

#endif
