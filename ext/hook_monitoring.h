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

/* A callback object: a tiny heap type whose instances are called directly
 * through their vectorcall slot, one instance per kind of event, each with
 * a strong reference to the object it feeds (a Tracer, a LineTimer). */
typedef struct pyro_hook {
    PyObject_HEAD vectorcallfunc vectorcall;
    PyObject *owner; /* strong */
} pyro_hook_t;

/* The owner of callback object `obj`, as a `type *` (borrowed). */
#define PYRO_HOOK_OWNER(obj, type) ((type *)((pyro_hook_t *)(obj))->owner)

/* Create the hook callback type. 0 or -1 with an exception. */
int pyro_hook_type_init(PyObject *m, pyro_modstate_t *st);

/* A new callback object calling `fn` with `owner` (a new strong reference
 * is kept). NULL with an exception. */
PyObject *pyro_hook_new(pyro_modstate_t *st, PyObject *owner, vectorcallfunc fn);

#if PYRO_HAVE_MONITORING
/* sys.monitoring (a new reference), or NULL with an exception. */
PyObject *pyro_monitoring_module(void);

/* Claim the first free tool id of the `n` ids at `prefer` for pyrometer.
 * Returns it, or -1 with an exception (RuntimeError "cannot <what>: ..."
 * when every one is taken). */
int pyro_monitoring_claim(PyObject *mon, const int *prefer, size_t n, const char *what);

/* Give tool id `tool` back: its global events off, the callbacks of every
 * event bit in `registered` unregistered, the id freed. Never raises (any
 * error is cleared). Local events are the caller's to turn off first. */
void pyro_monitoring_release(PyObject *mon, int tool, long registered);
#endif

/* Claim a tool id, register the callbacks and enable the events.
 * 0, or -1 with an exception (nothing left registered). */
int pyro_monitoring_install(pyro_tracer_obj_t *self);

/* Disable the events, unregister the callbacks and free the tool id. */
void pyro_monitoring_remove(pyro_tracer_obj_t *self);

#endif
