/* SPDX-License-Identifier: MIT */
/* gc_obj: the `_core.GCWatcher` type. Between start() and stop() it is a C
 * function in `gc.callbacks` and records every collection of the
 * interpreter's garbage collector in a core log (record/gclog.h): when it
 * started (since start()), its pause, generation, objects collected and
 * uncollectable, the function and line of the thread that triggered it, and,
 * while a MemoryTracker runs, the tracked heap's fall across it (the bytes it
 * freed). On CPython 3.13+ (not free-threaded) it also counts the types of
 * the objects each collection freed, through a PyRefTracer set only while a
 * collection runs (chained to any tracer set before, which is restored
 * after). export(profile) adds what it recorded to a Profile. */
#ifndef PYRO_GC_OBJ_H
#define PYRO_GC_OBJ_H

#include "compat.h"
#include "module.h"

/* Create and add the GCWatcher type and GC_TYPES (whether freed types can be
 * counted here) to module `m`. 0 or -1 with an exception. */
int pyro_gc_type_init(PyObject *m, pyro_modstate_t *st);

#endif
