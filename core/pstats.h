/* SPDX-License-Identifier: MIT */
/* pstats: the `.prof` format that Python's pstats module, SnakeViz and
 * gprof2dot load: a marshal-serialized dict
 *   {(file, line, name): (primcalls, ncalls, tottime, cumtime,
 *                         {caller: (ncalls, primcalls, tottime, cumtime)})}
 * (note the swapped call-count order inside caller tuples, as cProfile writes
 * them). C functions are keyed ('~', 0, '<built-in method ...>'). Entries
 * whose labels coincide are summed, never overwritten. */
#ifndef PYRO_PSTATS_H
#define PYRO_PSTATS_H

#include "buf.h"
#include "profile.h"
#include "stats.h"

/* Append the marshal bytes of `s` (computed from `p`) to `out`.
 * PYRO_OK or PYRO_ENOMEM. */
int pyro_pstats_write(const pyro_profile_t *p, const pyro_stats_t *s, pyro_buf_t *out);

#endif
