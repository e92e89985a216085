/* SPDX-License-Identifier: MIT */
/* gclog: the garbage collector's collections through a run, and the types
 * of the objects they freed. The caller (ext/gc_obj.c) reports each
 * collection when it ends: when it started, its pause, generation, objects
 * collected and uncollectable, the bytes it freed (-1 when memory is not
 * tracked) and where the program was (a caller-defined tag and a line).
 * Totals per generation are kept exactly; the rows are bounded: when the
 * log holds max_rows rows, each two neighbouring rows merge into one (the
 * first's time, the larger generation, sums of pauses, objects, bytes and
 * collections, the place of the longer pause), and how many collections
 * merged is counted. Freed objects are counted by type name, a table of at
 * most max_types names (the rest counted as "other"); a per-collection cache
 * keyed by the type's address makes a repeated type one pointer lookup.
 * Not thread-safe: the caller serializes (the GIL). */
#ifndef PYRO_GCLOG_H
#define PYRO_GCLOG_H

#include <stdint.h>

#include "model/profile.h"
#include "record/timeline.h"

/* Default bounds: rows kept, distinct type names counted. */
#define PYRO_GCLOG_MAX_ROWS 65536
#define PYRO_GCLOG_MAX_TYPES 4096
/* Generations told apart (a higher one is counted as the last). */
#define PYRO_GCLOG_GENERATIONS 3

/* One collection as the caller reports it. */
typedef struct pyro_gc_event {
    int64_t t_ns;          /* when it started, since the caller's time 0 */
    int64_t pause_ns;      /* how long it ran (>= 0) */
    int64_t collected;     /* objects collected */
    int64_t uncollectable; /* objects found uncollectable */
    int64_t freed_bytes;   /* tracked heap before minus after; -1 = not known */
    int32_t generation;    /* 0, 1, 2 (negative: counted as 0) */
    uint32_t line;         /* the line running when it fired (0 = unknown) */
    uint64_t where;        /* caller's tag of the function running (0 = none) */
} pyro_gc_event_t;

typedef struct pyro_gclog pyro_gclog_t;

/* A new empty log of at most `max_rows` rows (even, at least 4) and
 * `max_types` type names (at least 1). PYRO_OK, PYRO_EINVAL or PYRO_ENOMEM
 * (*out NULL). Free with pyro_gclog_free. */
int pyro_gclog_new(uint32_t max_rows, uint32_t max_types, pyro_gclog_t **out);

/* Free `g` and everything it holds. NULL is a no-op. */
void pyro_gclog_free(pyro_gclog_t *g);

/* Record collection `e` (copied). Totals are always counted; PYRO_ENOMEM
 * only when the row could not be kept (the totals still hold it). */
int pyro_gclog_add(pyro_gclog_t *g, const pyro_gc_event_t *e);

/* Count one object of type `name` (a NUL-terminated string, copied on first
 * sight) freed by the collection running; `key` identifies the type during
 * this collection (its address), so that the name is read once per
 * collection. PYRO_OK, or PYRO_ENOMEM (the object is counted as "other"). */
int pyro_gclog_freed(pyro_gclog_t *g, const void *key, const char *name);

/* The collection ended: forget the keys of pyro_gclog_freed (a type freed
 * since may have its address reused). */
void pyro_gclog_end(pyro_gclog_t *g);

/* Collections recorded (exact, whatever was merged). */
uint64_t pyro_gclog_collections(const pyro_gclog_t *g);

/* Add to `p`: the series "gc" (columns t_ns, generation, pause_ns,
 * collected, uncollectable, freed_bytes, func, line, count: func the
 * function id `map` gives a row's tag, -1 for none; count the collections a
 * row stands for), the series "gc_types" (columns type, a string id of `p`,
 * and objects; most first) when `types` is non-zero, and the metadata
 * gc_collections, gc_collections_genN, gc_pause_ns, gc_pause_genN_ns,
 * gc_pause_max_ns, gc_pause_max_gen, gc_pause_max_t_ns, gc_collected,
 * gc_uncollectable, gc_freed_bytes (when some collection's were known, or
 * `p` is a memory profile: 0 when none freed any while tracked),
 * gc_run_ns (`run_ns`, the time watched), gc_rows_merged, gc_types
 * ("tracked" when `types`, else "unavailable") and gc_types_other (objects
 * whose names did not fit). `map` may be NULL (every func -1). PYRO_OK;
 * PYRO_EINVAL if `p` has a "gc" series already; PYRO_ENOMEM (`p` may hold
 * part of it). */
int pyro_gclog_export(const pyro_gclog_t *g, pyro_profile_t *p, int64_t run_ns, int types,
                      pyro_where_map_fn map, void *ctx);

#endif
