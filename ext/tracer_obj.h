/* SPDX-License-Identifier: MIT */
/* tracer_obj: the `_core.Tracer` type. It owns a core tracer, installs the
 * hooks of this Python version (hook_legacy or hook_monitoring) on start,
 * removes them on stop, and exports the result as a `_core.Profile`. */
#ifndef PYRO_TRACER_OBJ_H
#define PYRO_TRACER_OBJ_H

#include "compat.h"
#include "module.h"
#include "record/tracer.h"

typedef struct pyro_tracer_obj {
    PyObject_HEAD pyro_tracer_t *tracer;
    int clock;        /* pyro_clock_kind_t */
    int builtins;     /* trace C functions too */
    int hook_lost;    /* the program replaced our hook on some thread */
    int warned;       /* stop() has reported the core's sticky failure */
    PyObject *keep;   /* list: code objects whose addresses are keys */
    PyObject *module; /* strong: our module, for its state */
    /* legacy hooks (3.9-3.11) */
    PyObject *prev_thread_hook; /* threading's profile hook before us */
    PyObject *bootstrap;        /* our bound _bootstrap method */
    /* sys.monitoring (3.12+) */
    int tool;
    PyObject *missing; /* sys.monitoring.MISSING */
    int monitor_py;    /* sys.monitoring also handles Python frames */
    /* PEP 523 */
    int frame_hook; /* Python frames come from the eval-frame hook */
    int backend;    /* the hooks in use, for the profile's metadata */
    int floor;      /* measurement only: hooks installed with empty callbacks */
} pyro_tracer_obj_t;

/* Marks an interpreter hook, called on every event: aligned to a cache line,
 * so that where its fast path falls in the binary, and so its speed, does not
 * change with unrelated edits (measured: 5 ns a call on 3.11's profile hook
 * between two placements of the same instructions). */
#define PYRO_HOOK __attribute__((aligned(64)))

/* Create and add the Tracer type to module `m`. 0 or -1 with an exception. */
int pyro_tracer_type_init(PyObject *m, pyro_modstate_t *st);

#endif
