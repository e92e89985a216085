/* SPDX-License-Identifier: MIT */
/* names: turns what a hook sees (a code object, a C function, or a method
 * descriptor with its self) into a function record of the tracer's catalog,
 * named exactly as cProfile names it so that pstats keys match. */
#ifndef PYRO_NAMES_H
#define PYRO_NAMES_H

#include "compat.h"
#include "model/profile.h"

/* What a hook passes along with a key. */
typedef enum pyro_obj_kind {
    PYRO_OBJ_CODE = 0,  /* a: the code object */
    PYRO_OBJ_CFUNC = 1, /* a: a PyCFunction (bound builtin) */
    PYRO_OBJ_DESCR = 2, /* a: a method descriptor, b: the self it is called on */
} pyro_obj_kind_t;

typedef struct pyro_keyobj {
    int kind;
    PyObject *a, *b; /* borrowed */
} pyro_keyobj_t;

/* Add the function described by `obj` to `cat` and store its index in
 * *func. Holds the GIL; may call Python (repr of a descriptor) but leaves any
 * pending exception exactly as it found it. PYRO_OK or PYRO_ENOMEM. */
int pyro_names_resolve(pyro_profile_t *cat, const pyro_keyobj_t *obj, uint32_t *func);

/* threading._active (a new reference), or NULL when threading is not
 * imported (or not far enough). Holds the GIL; runs no Python code (safe
 * inside a hook, and while threading itself is being imported); never sets
 * an exception. */
PyObject *pyro_names_threading_active(void);

/* The name of the threading.Thread registered in `active` (from
 * pyro_names_threading_active) under `ident` (a new reference), or NULL if
 * none. Holds the GIL; reads the Thread's own __dict__ (no property of a
 * subclass runs); leaves any pending exception as it found it. */
PyObject *pyro_names_thread_in(PyObject *active, unsigned long long ident);

#endif
