/* SPDX-License-Identifier: MIT */
/* procstat: a thread's run state as the kernel reports it in
 * /proc/PID/task/TID/stat (the letter after the command name in
 * parentheses: R running or runnable, S sleeping, D disk wait, t traced,
 * T stopped, Z zombie, ...). */
#ifndef PYRO_PROCSTAT_H
#define PYRO_PROCSTAT_H

#include <stdint.h>

/* The state letter in the text of a stat file (NUL-terminated), '?' if the
 * text has none. The command name may hold ')' and spaces: the last ')'
 * ends it. */
char pyro_stat_state(const char *text);

/* The state letter of thread `tid` of process `pid`, '?' if it cannot be
 * read (the thread is gone, or not permitted). */
char pyro_task_state(int pid, uint64_t tid);

#endif
