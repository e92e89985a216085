/* SPDX-License-Identifier: MIT */
/* hook_monitoring: tracing through sys.monitoring (PEP 669) on CPython
 * 3.12+. One tool id (PROFILER_ID when free) with C callbacks that are
 * called by vectorcall directly: PY_START/PY_RESUME/PY_THROW enter a code
 * object, PY_RETURN/PY_YIELD/PY_UNWIND leave it, and with builtins on, CALL
 * enters a C function (or a method descriptor bound to its self, as cProfile
 * does) and C_RETURN/C_RAISE leave it. Events fire for every thread; each
 * thread keeps its own shadow stack in the core. On 3.9-3.11 these functions
 * only fail. */
#ifndef PYRO_HOOK_MONITORING_H
#define PYRO_HOOK_MONITORING_H

#include "tracer_obj.h"

/* Create the hook callback type. 0 or -1 with an exception. */
int pyro_hook_type_init(PyObject *m, pyro_modstate_t *st);

/* Claim a tool id, register the callbacks and enable the events.
 * 0, or -1 with an exception (nothing left registered). */
int pyro_monitoring_install(pyro_tracer_obj_t *self);

/* Disable the events, unregister the callbacks and free the tool id. */
void pyro_monitoring_remove(pyro_tracer_obj_t *self);

#endif
