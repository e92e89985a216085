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

#include "model/buf.h"
#include "model/profile.h"
#include "model/stats.h"

/* Append the marshal bytes of `s` (computed from `p`) to `out`.
 * PYRO_OK or PYRO_ENOMEM. */
int pyro_pstats_write(const pyro_profile_t *p, const pyro_stats_t *s, pyro_buf_t *out);

/* Non-zero if `data` could be a pstats file (starts with a marshal dict). */
int pyro_pstats_sniff(const void *data, size_t len);

/* Read a pstats file (from cProfile, profile, pyrometer or anything that
 * writes pstats' dictionary) into a new flat profile: functions and their
 * statistics in p->flat, no call tree. Caller labels missing from the top
 * level become functions with no calls of their own. Every value is checked:
 * PYRO_EFORMAT for any other shape, negative counts or non-finite times, and
 * the marshal reader's errors. */
int pyro_pstats_read(const void *data, size_t len, pyro_profile_t **out);

#endif
