/* SPDX-License-Identifier: MIT */
/* profile_obj: the `_core.Profile` type, a read-only view of a core
 * profile that renders it in any format, writes it to a file atomically, and
 * loads saved .pyro files. */
#ifndef PYRO_PROFILE_OBJ_H
#define PYRO_PROFILE_OBJ_H

#include "compat.h"
#include "module.h"
#include "model/profile.h"

/* Wrap `p` (ownership passes to the new object, even on failure) in a new
 * Profile, or NULL with an exception. */
PyObject *pyro_profile_obj_new(pyro_modstate_t *st, pyro_profile_t *p);

/* The core profile inside Profile `obj` (borrowed: it lives as long as
 * `obj`), for recorders that add to a profile (GCWatcher.export); NULL with
 * TypeError if `obj` is not a Profile. */
pyro_profile_t *pyro_profile_obj_get(pyro_modstate_t *st, PyObject *obj);

/* Record this interpreter's sys.path in `p` as its "sys_path" metadata (the
 * absolute string entries, joined by ':'), so that writers show library
 * paths relative to their entry. Call with the thread attached to the
 * interpreter (the GIL held, where there is one), in the process the profile
 * is of; sys.path is copied first, so another thread may change it meanwhile. A sys.path that is
 * missing or not a list, and entries that are not absolute paths or hold a ':', are left out.
 * PYRO_OK or PYRO_ENOMEM (no Python exception set either way). */
int pyro_profile_note_sys_path(pyro_profile_t *p);

/* Create and add the Profile type and ProfileError to module `m`.
 * 0 or -1 with an exception. */
int pyro_profile_type_init(PyObject *m, pyro_modstate_t *st);

#endif
