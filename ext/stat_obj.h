/* SPDX-License-Identifier: MIT */
/* stat_obj: `_core.stat(command, runs)` — run a command `runs` times, each
 * measured by the core (record/runcmd.h: rusage, wall clock, perf counters),
 * and return what the `stat` command prints: (status, table, json, error).
 * The GIL is released while the command runs. */
#ifndef PYRO_STAT_OBJ_H
#define PYRO_STAT_OBJ_H

#include "compat.h"

/* Add `stat`, STAT_RUNS_MAX and STAT_EVENTS (every event's name) to module
 * `m`. 0, or -1 with an exception set. */
int pyro_stat_init(PyObject *m);

#endif
