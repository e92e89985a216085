/* SPDX-License-Identifier: MIT */
/* runcmd: run a command once, as a shell would, and measure it — fork; the
 * child waits on a pipe while the parent opens counting perf events on it
 * (enabled when it execs, inherited by its children); released, the child
 * execs (execvp: a PATH search like a shell's), and a close-on-exec pipe
 * reports an exec that failed (status 127 "command not found", 126 not
 * executable, with one line saying so). wait4 gives the rusage; the wall
 * clock (CLOCK_MONOTONIC) runs from the release to the reap. The command's
 * stdin, stdout and stderr are this process's, untouched. While it runs,
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to this process are passed on to
 * the command (one that came from the terminal already reached it, being
 * sent to the whole foreground process group, and is not sent twice), and
 * the signal is remembered so that the caller can stop and report. */
#ifndef PYRO_RUNCMD_H
#define PYRO_RUNCMD_H

#include <stddef.h>
#include <stdint.h>

#include "model/runstat.h"
#include "record/counters.h"

/* What one run gave. */
typedef struct pyro_runcmd_result {
    pyro_runstat_t run;             /* figures, exit status, counters */
    int exec_errno;                 /* 0, or the errno of the exec that failed */
    int interrupted;                /* 0, or the signal this process received (passed on) */
    int counter_err[PYRO_EV_COUNT]; /* per event: 0 when counted, else the errno of its open */
    int counter_user_only[PYRO_EV_COUNT]; /* 1: counted in user space only (paranoid) */
    char message[256];                    /* when exec failed: the one line to print */
} pyro_runcmd_result_t;

/* Shell-like exit statuses of a command that could not be run. */
#define PYRO_RUNCMD_NOT_FOUND 127
#define PYRO_RUNCMD_NOT_EXECUTABLE 126

/* Run `argv` (NULL-terminated, argv[0] looked up in PATH unless it has a
 * slash) once, counting the events whose bits are set in `events`, and fill
 * `*out`. When the exec fails, out->run.status is 127 (not found) or 126
 * (found but not executable), out->exec_errno and out->message say why, and
 * PYRO_OK is still returned (the command's failure is not the caller's).
 * Returns PYRO_EINVAL for an empty argv, PYRO_EIO (errno set) when no pipe
 * or process could be made; then nothing ran. Signal dispositions of
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT are changed only during the call and
 * restored before it returns, and so is SIGCHLD's (made the default while
 * the command runs: ignored, it would reap the command before wait4 could
 * read its rusage). Not thread-safe: one call at a time per
 * process. */
int pyro_runcmd(char *const argv[], uint32_t events, pyro_runcmd_result_t *out);

#endif
