/* SPDX-License-Identifier: MIT */
/* stats: per-function and per-caller statistics derived from a profile's
 * calling-context tree with exactly cProfile's rules, so that the numbers
 * match what cProfile would have measured for the same events:
 *   ncalls   = all calls; primcalls = calls not made while the same function
 *              was already active on that thread (recursion excluded);
 *   tottime  = time in the function itself;
 *   cumtime  = time including callees, counted for outermost calls only.
 * Caller edges (caller -> callee) follow the same rules per pair: a call is
 * primitive for the edge unless the same pair is already active below it. */
#ifndef PYRO_STATS_H
#define PYRO_STATS_H

#include <stdint.h>

#include "model/profile.h"

typedef struct pyro_fstat {
    uint32_t func;
    uint64_t ncalls, primcalls;
    double tottime, cumtime; /* seconds */
    uint32_t first_caller;   /* index into edges of the first caller edge */
    uint32_t ncallers;       /* edges [first_caller, first_caller + ncallers) */
} pyro_fstat_t;

typedef struct pyro_edge {
    uint32_t caller, callee; /* function indexes */
    uint64_t ncalls, primcalls;
    double tottime, cumtime;
} pyro_edge_t;

typedef struct pyro_stats {
    pyro_fstat_t *funcs; /* one per function of the profile, by function index
                            (functions never seen have ncalls == 0) */
    uint32_t nfuncs;
    pyro_edge_t *edges; /* grouped by callee (see first_caller) */
    uint32_t nedges;
    uint64_t total_calls, prim_calls;
    double total_time; /* seconds: the profile's measured time */
    /* internal: edge storage while adding */
    uint32_t capedges;
    pyro_map_t edge_index; /* (caller << 32 | callee) -> edge */
} pyro_stats_t;

/* Compute the statistics of `p` into a new *out (free with
 * pyro_stats_free). A flat profile (p->flat) gets a copy of its statistics.
 * PYRO_OK or PYRO_ENOMEM. */
int pyro_stats_compute(const pyro_profile_t *p, pyro_stats_t **out);

/* Empty statistics for `nfuncs` functions (all counts zero), or NULL. */
pyro_stats_t *pyro_stats_new(uint32_t nfuncs);

/* Add (or add to) the caller -> callee edge. PYRO_OK or PYRO_ENOMEM. Call
 * pyro_stats_finish() after the last one. */
int pyro_stats_add_edge(pyro_stats_t *s, const pyro_edge_t *e);

/* Group the edges by callee, set first_caller/ncallers and the call totals;
 * total_time is set to `total_time`. */
void pyro_stats_finish(pyro_stats_t *s, double total_time);

/* Free statistics. NULL is a no-op. */
void pyro_stats_free(pyro_stats_t *s);

/* Sort orders for pyro_stats_order. */
typedef enum pyro_sort {
    PYRO_SORT_CUMTIME = 0,
    PYRO_SORT_TOTTIME,
    PYRO_SORT_NCALLS,
    PYRO_SORT_NAME,
    PYRO_SORT_FILE,
    PYRO_SORT_COUNT
} pyro_sort_t;

/* Parse a sort key name ("cumtime"/"cumulative", "tottime"/"time", "ncalls"/
 * "calls", "name", "file"/"filename"); -1 if unknown. */
int pyro_sort_parse(const char *name);

/* The canonical name of sort order `sort` ("cumtime", "tottime", "ncalls",
 * "name", "file"); "?" if out of range. Static string. */
const char *pyro_sort_name(int sort);

/* Fill `order` (capacity s->nfuncs) with the indexes of functions that were
 * called, best first by `sort` (ties broken by label); returns how many. */
uint32_t pyro_stats_order(const pyro_stats_t *s, const pyro_profile_t *p, pyro_sort_t sort,
                          uint32_t *order);

#endif
