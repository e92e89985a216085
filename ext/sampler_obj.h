/* SPDX-License-Identifier: MIT */
/* sampler_obj: the `_core.Sampler` type: a core sampler of this process (a
 * program run by pyrometer) or of another one (attach, top), started and
 * stopped from Python; the sampling itself never holds the GIL. */
#ifndef PYRO_SAMPLER_OBJ_H
#define PYRO_SAMPLER_OBJ_H

#include "compat.h"
#include "module.h"

/* Create and add the Sampler type to module `m`. 0 or -1 with an exception. */
int pyro_sampler_type_init(PyObject *m, pyro_modstate_t *st);

#endif
