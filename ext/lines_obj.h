/* SPDX-License-Identifier: MIT */
/* lines_obj: the `_core.LineTimer` type. It owns a core line timer
 * (record/linetimer.h), chooses code objects for it (by hand or through a
 * matcher), installs the line hooks of this Python version (hook_lines) on
 * start, removes them on stop, and exports the result as a `_core.Profile`
 * of mode "lines". */
#ifndef PYRO_LINES_OBJ_H
#define PYRO_LINES_OBJ_H

#include "compat.h"
#include "module.h"
#include "record/linetimer.h"

typedef struct pyro_lines_obj {
    PyObject_HEAD pyro_linetimer_t *timer;
    PyObject *module;  /* strong: our module, for its state */
    PyObject *chosen;  /* list: the chosen code objects, by id */
    PyObject *keep;    /* list: other code objects whose addresses are keys */
    PyObject *matcher; /* callable or NULL */
    int hook_lost;     /* the program replaced our hook on some thread */
    int warned;        /* stop() has reported the core's sticky failure */
    int floor;         /* measurement only: line events just read the clock */
    /* legacy hooks (3.9-3.11) */
    PyObject *prev_thread_hook; /* threading's trace hook before us */
    PyObject *bootstrap;        /* our bound _bootstrap method */
    int gated;                  /* the trace function is on only while a chosen frame runs (an
                                   eval-frame hook switches it); else on everywhere */
    /* sys.monitoring (3.12+) */
    int tool;             /* -1 when not installed */
    long registered;      /* event bits with a callback registered */
    long global_events;   /* the global events set (PY_UNWIND|PY_THROW[|PY_START]) */
    long local_events;    /* the events set on each chosen code */
    long ev_py_start;     /* sys.monitoring.events.PY_START */
    PyObject *disable;    /* sys.monitoring.DISABLE */
    PyObject *monitoring; /* sys.monitoring */
} pyro_lines_obj_t;

/* Create and add the LineTimer type to module `m`. 0 or -1 with an
 * exception. */
int pyro_lines_type_init(PyObject *m, pyro_modstate_t *st);

/* Choose `code` (a code object) for `self`: its lines are timed from now on
 * (while running, the hooks are told at once). 1 if newly chosen, 0 if it
 * was chosen already or is hidden, -1 with an exception. Used by add_code
 * and by the hooks when the matcher says yes. */
int pyro_lines_choose(pyro_lines_obj_t *self, PyObject *code);

/* Ask the matcher about `code`, not chosen and never asked, on its first
 * start: 1 if it chose it (then it is chosen), 0 if not (remembered), never
 * -1: an exception from the matcher is printed as unraisable and counts as
 * no; a pending exception is left as it was. */
int pyro_lines_ask(pyro_lines_obj_t *self, PyObject *code);

#endif
