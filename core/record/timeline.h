/* SPDX-License-Identifier: MIT */
/* timeline: memory through the run. A background thread records, every
 * period, the time, this process's resident set size and a gauge the caller
 * supplies (the tracked heap), as mprof does for RSS alone. The series is
 * bounded: when it holds max_rows rows, each two neighbouring rows merge into
 * one (the first's time, the larger of each value) and the period doubles,
 * so a run of any length keeps at most max_rows rows that span all of it,
 * and no peak is lost to merging. The thread never touches Python: the
 * gauge must be safe to call from any thread (read an atomic). */
#ifndef PYRO_TIMELINE_H
#define PYRO_TIMELINE_H

#include <stdint.h>

#include "model/profile.h"

/* The default period (10 ms) and bound on rows. */
#define PYRO_TIMELINE_PERIOD_NS 10000000
#define PYRO_TIMELINE_MAX_ROWS 2048

/* The gauge: a value (bytes) read from the timeline's thread. */
typedef int64_t (*pyro_gauge_fn)(void *ctx);

/* Where the program is: a caller-defined tag (ext/: the code id of the latest
 * recorded allocation), read from the timeline's thread next to the gauge; 0
 * = unknown. Export turns tags into function ids of the profile through a
 * pyro_where_map_fn. */
typedef uint64_t (*pyro_where_fn)(void *ctx);

/* Map tag `where` to a function id of `p` (adding the function if need be);
 * -1 if it has none. Called under no lock, on the exporting thread. */
typedef int64_t (*pyro_where_map_fn)(void *ctx, uint64_t where, pyro_profile_t *p);

typedef struct pyro_timeline pyro_timeline_t;

/* A stopped timeline sampling every `period_ns` (> 0) into at most
 * `max_rows` rows (an even number, at least 4), reading `gauge(ctx)` (may be
 * NULL: the heap column stays 0) and `where(ctx)` (may be NULL: no tags).
 * Its time 0 is now. PYRO_OK, PYRO_EINVAL or PYRO_ENOMEM. Free with
 * pyro_timeline_free. */
int pyro_timeline_new(int64_t period_ns, uint32_t max_rows, pyro_gauge_fn gauge,
                      pyro_where_fn where, void *ctx, pyro_timeline_t **out);

/* Stop (if running) and free. NULL is a no-op. */
void pyro_timeline_free(pyro_timeline_t *t);

/* Record a row now and start the thread. PYRO_OK, PYRO_EINVAL (running
 * already) or PYRO_ENOMEM (no thread: the timeline then holds only the rows
 * pyro_timeline_mark adds). */
int pyro_timeline_start(pyro_timeline_t *t);

/* Stop the thread (waiting for it) and record a last row. Safe when not
 * started. */
void pyro_timeline_stop(pyro_timeline_t *t);

/* Record a row now, from any thread (at the start and the end of the
 * program, or at a moment worth keeping). */
void pyro_timeline_mark(pyro_timeline_t *t);

/* The resident set size of this process now, in bytes (0 if it cannot be
 * read). */
int64_t pyro_timeline_rss(void);

/* Add the rows to `p` as the series "memory" with columns t_ns, rss_bytes,
 * heap_bytes and func (the function `map` gives the row's tag, -1 for none;
 * a merged row keeps the tag of the row whose heap was larger), and
 * metadata rss_peak_bytes and rss_peak_ns (the largest RSS read and when).
 * `map` may be NULL (every func -1). PYRO_OK; PYRO_EINVAL if `p` has a
 * "memory" series already; PYRO_ENOMEM. */
int pyro_timeline_export(pyro_timeline_t *t, pyro_profile_t *p, pyro_where_map_fn map, void *ctx);

#endif
