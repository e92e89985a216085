/* SPDX-License-Identifier: MIT */
/* merge: one profile from a sample profile and a memory profile of the same
 * run (`pyrometer run --memory`), so that each (thread, call path of
 * (function, line) frames) carries both its time and its memory. Both
 * recorders build the same kind of tree (per thread, one node per frame,
 * outermost first, each frame a function and the line it was on), so the
 * merge walks the memory tree and finds or makes the same path in a copy of
 * the sample tree. */
#ifndef PYRO_MERGE_H
#define PYRO_MERGE_H

#include "model/profile.h"

/* A new profile *out: sample profile `cpu` (mode PYRO_MODE_SAMPLE) with the
 * columns of memory profile `mem` (mode PYRO_MODE_MEMORY) added and mem's
 * nodes merged into it. In detail:
 *   - *out keeps cpu's mode, strings, functions and threads (same ids),
 *     columns (same indexes, then mem's columns cpu lacks, by name),
 *     metadata, series and nodes (same ids, same values);
 *   - a function of mem is cpu's function of the same name, file, first
 *     line and kind (the qualified name is not compared: recorders of older
 *     Pythons may spell it differently), else a new one;
 *   - a thread of mem is cpu's thread of the same ident (its name taken from
 *     mem if cpu has none), else a new one;
 *   - each node of mem is the node of *out with the same thread and the
 *     same path of (function, line) frames from its root (made, with zero
 *     values, if cpu has no such path), and mem's values are added to it
 *     column by column (by name);
 *   - mem's metadata is added where cpu has no value for the key ("mode"
 *     stays cpu's); mem's series are added unless cpu has one of the same
 *     name, their columns named "func" (function ids of mem, -1 for none)
 *     mapped to *out's functions.
 * Neither input is changed. PYRO_OK; PYRO_EINVAL (a NULL input, a flat
 * profile, or modes other than sample and memory); PYRO_ENOMEM or
 * PYRO_ELIMIT (nothing is made). *out is the caller's to free. */
int pyro_profile_merge_memory(const pyro_profile_t *cpu, const pyro_profile_t *mem,
                              pyro_profile_t **out);

#endif
