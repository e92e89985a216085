/* SPDX-License-Identifier: MIT */
/* counters: counting perf events (perf_event_open) on a process — the event
 * table (name, perf type and config, software or hardware, unit), a probe of
 * which events this machine supports and, for each one it does not, one
 * plain reason why (no PMU exposed to this machine, perf_event_paranoid, no
 * perf_event_open in this kernel), and a set of counters opened on a pid (or
 * this process) with enable_on_exec / inherit as asked, read with the times
 * enabled and running so that multiplexed hardware counters are scaled (and
 * said to be). Each event is its own counter, not a group: an event the
 * machine lacks or refuses never takes the others down. Reusable by the
 * `stat` command, per-function counters and @measure. */
#ifndef PYRO_COUNTERS_H
#define PYRO_COUNTERS_H

#include <stdint.h>
#include <sys/types.h>

#include "model/runstat.h"

/* The events pyrometer knows, in the order the table shows them. */
typedef enum pyro_event {
    PYRO_EV_TASK_CLOCK,
    PYRO_EV_PAGE_FAULTS,
    PYRO_EV_MINOR_FAULTS,
    PYRO_EV_MAJOR_FAULTS,
    PYRO_EV_CONTEXT_SWITCHES,
    PYRO_EV_CPU_MIGRATIONS,
    PYRO_EV_CYCLES,
    PYRO_EV_INSTRUCTIONS,
    PYRO_EV_CACHE_REFERENCES,
    PYRO_EV_CACHE_MISSES,
    PYRO_EV_BRANCHES,
    PYRO_EV_BRANCH_MISSES,
    PYRO_EV_COUNT
} pyro_event_t;

/* One row of the event table. */
typedef struct pyro_event_info {
    const char *name;    /* perf's name: "task-clock", "cycles", ... */
    uint32_t type;       /* PERF_TYPE_SOFTWARE or PERF_TYPE_HARDWARE */
    uint64_t config;     /* PERF_COUNT_SW_* or PERF_COUNT_HW_* */
    int hardware;        /* 1: needs a PMU */
    pyro_figunit_t unit; /* PYRO_FIGU_NS (task-clock) or PYRO_FIGU_COUNT */
} pyro_event_info_t;

/* The row of event `e`, or NULL when `e` is out of range. Static. */
const pyro_event_info_t *pyro_event_info(pyro_event_t e);

/* The event named `name`, or -1 when no event has that name. */
int pyro_event_lookup(const char *name);

/* Why an event could not be opened, as one plain sentence (static), from the
 * errno perf_event_open failed with and, for EACCES/EPERM, the value of
 * /proc/sys/kernel/perf_event_paranoid (`paranoid`; pass INT32_MIN when it
 * could not be read). `hardware` says whether the event needs a PMU, which
 * decides the meaning of ENOENT/EOPNOTSUPP. Writes into `buf` (size `n`)
 * and returns it. */
const char *pyro_counters_reason(int err, int hardware, int paranoid, char *buf, size_t n);

/* /proc/sys/kernel/perf_event_paranoid, or INT32_MIN when it cannot be read. */
int pyro_counters_paranoid(void);

/* A set of counters on one process. Owned by the caller of
 * pyro_counters_new; free with pyro_counters_free (closes every fd). */
typedef struct pyro_counters {
    int fd[PYRO_EV_COUNT];        /* -1: not open */
    int err[PYRO_EV_COUNT];       /* errno of the failed open, 0 when open */
    int user_only[PYRO_EV_COUNT]; /* 1: opened with exclude_kernel (paranoid) */
    uint32_t wanted;              /* bit e: event e was asked for */
} pyro_counters_t;

/* Flags of pyro_counters_open. */
enum {
    PYRO_COUNTERS_ENABLE_ON_EXEC = 1, /* start counting when `pid` execs */
    PYRO_COUNTERS_INHERIT = 2,        /* count the children it makes too */
};

/* A new set with nothing open (every fd -1), or NULL when out of memory. */
pyro_counters_t *pyro_counters_new(void);

/* Make `c` (caller's storage, e.g. on the stack: a process about to fork
 * keeps nothing on the heap for its child) a set with nothing open. */
void pyro_counters_init(pyro_counters_t *c);

/* Close every open counter of `c` and leave it as pyro_counters_init does
 * (the storage stays the caller's). */
void pyro_counters_close(pyro_counters_t *c);

/* Open each event whose bit is set in `events` (bit e for pyro_event_t e)
 * as a counting event on process `pid` (0: this process), any CPU,
 * disabled until exec (PYRO_COUNTERS_ENABLE_ON_EXEC) or enabled now, and
 * inherited by its children when PYRO_COUNTERS_INHERIT. An event refused
 * with EACCES/EPERM is retried counting user space only (as
 * perf_event_paranoid allows an unprivileged user). An event that cannot
 * be opened keeps its errno in err[e]; that is not a failure of the call.
 * Returns PYRO_OK, PYRO_EINVAL for a bad argument, or PYRO_ESTATE when
 * `c` already has open counters. */
int pyro_counters_open(pyro_counters_t *c, pid_t pid, uint32_t events, int flags);

/* Read every open counter into `out->ev[0 .. PYRO_EV_COUNT)` (indexed by
 * event; events not open read as all zeros) and set out->nevents to
 * PYRO_EV_COUNT. Returns PYRO_OK, or PYRO_EIO (errno set) when a read of an
 * open counter fails; the other counters are still read. */
int pyro_counters_read(const pyro_counters_t *c, pyro_runstat_t *out);

/* Read the one counter of event `e` into *ev (all zeros when it is not
 * open). PYRO_OK, PYRO_EINVAL for a bad argument, or PYRO_EIO (errno set;
 * *ev zeros) when the read fails. */
int pyro_counters_read_one(const pyro_counters_t *c, pyro_event_t e, pyro_evcount_t *ev);

/* A counter of event `e` on the calling thread only (no children, no other
 * thread), enabled now, read with pyro_counter_read_fd: its descriptor, or
 * -1 with *err set to the errno of the failure. Refused with EACCES/EPERM,
 * it is opened again counting user space only (*user_only then 1). */
int pyro_counter_open_thread(pyro_event_t e, int *err, int *user_only);

/* The count of a counter opened by pyro_counter_open_thread (from any
 * thread), scaled up when the kernel multiplexed it; -1 when the read fails. */
int64_t pyro_counter_read_fd(int fd);

/* Most counters pyro_counter_open_threads opens at once. */
#define PYRO_COUNTER_GROUP_MAX 8

/* Counters of the `n` events `ev` (at most PYRO_COUNTER_GROUP_MAX) on the
 * calling thread, as pyro_counter_open_thread opens one, into fds[0..n):
 * 1 when they form one group, read in one system call (several events, all
 * of them software ones: those always fit together), 0 when each is on its
 * own, -1 with *err set (and nothing open) when one cannot be opened.
 * *user_only as pyro_counter_open_thread's, for any of them. */
int pyro_counter_open_threads(const pyro_event_t *ev, int n, int *fds, int *err, int *user_only);

/* The counts of the `n` counters opened by pyro_counter_open_threads
 * (`grouped`: what it returned) into out[0..n), as pyro_counter_read_fd
 * reads one (-1 for a failed read). */
void pyro_counter_read_all(const int *fds, int n, int grouped, int64_t *out);

/* Whether event `e` is open in `c`. */
int pyro_counters_is_open(const pyro_counters_t *c, pyro_event_t e);

/* Close every open counter and free `c` (NULL is ignored). */
void pyro_counters_free(pyro_counters_t *c);

/* Probe, for each event in `events`, whether this machine can count it on
 * this process: err[e] receives 0 or the errno its open failed with (events
 * not asked for get 0). Opens and closes one counter per event. */
void pyro_counters_probe(uint32_t events, int err[PYRO_EV_COUNT]);

/* Describe each event of the table for a report: out[e] gets its name,
 * unit and kind, whether it was counted (err[e] == 0 and bit e set in
 * `wanted`), user_only[e], and, when it was not, the reason made from err[e]
 * and `paranoid` (see pyro_counters_reason; an event not asked for reads
 * "not asked for"). */
void pyro_counters_describe(uint32_t wanted, const int err[PYRO_EV_COUNT],
                            const int user_only[PYRO_EV_COUNT], int paranoid,
                            pyro_evdesc_t out[PYRO_EV_COUNT]);

/* Bit masks of the software and hardware events of the table. */
uint32_t pyro_counters_software(void);
uint32_t pyro_counters_hardware(void);

#endif
