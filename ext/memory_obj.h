/* SPDX-License-Identifier: MIT */
/* memory_obj: the `_core.MemoryTracker` type. It owns a memory recorder
 * (record/memtrack.h) and the code objects its stacks name (kept alive until
 * it is freed, so that a code id is never reused while recorded), feeds it
 * through the allocator hooks (hook_alloc) between start and stop, and
 * exports what it recorded as a `_core.Profile` of mode "memory": functions
 * and lines resolved from the code objects, threads named as threading names
 * them, and the peak RSS of the process. */
#ifndef PYRO_MEMORY_OBJ_H
#define PYRO_MEMORY_OBJ_H

#include "compat.h"
#include "module.h"

/* The tracked heap now (bytes, as the running MemoryTracker's recorder
 * estimates it), or -1 when no MemoryTracker runs in this process: what the
 * garbage collector's watcher reads before and after each collection. Holds
 * the GIL. */
int64_t pyro_memory_heap_now(void);

/* Create and add the MemoryTracker type and MEMORY_SAMPLE_BYTES_DEFAULT to
 * module `m`. 0 or -1 with an exception. */
int pyro_memory_type_init(PyObject *m, pyro_modstate_t *st);

#endif
