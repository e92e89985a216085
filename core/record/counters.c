/* SPDX-License-Identifier: MIT */
/* counters: counting perf events on a process, and why an event is missing. */
#include "record/counters.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "model/alloc.h"
#include "model/error.h"

/* ==== the event table ==== */

static const pyro_event_info_t events[PYRO_EV_COUNT] = {
    [PYRO_EV_TASK_CLOCK] = {"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, 0,
                            PYRO_FIGU_NS},
    [PYRO_EV_PAGE_FAULTS] = {"page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, 0,
                             PYRO_FIGU_COUNT},
    [PYRO_EV_MINOR_FAULTS] = {"minor-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN, 0,
                              PYRO_FIGU_COUNT},
    [PYRO_EV_MAJOR_FAULTS] = {"major-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ, 0,
                              PYRO_FIGU_COUNT},
    [PYRO_EV_CONTEXT_SWITCHES] = {"context-switches", PERF_TYPE_SOFTWARE,
                                  PERF_COUNT_SW_CONTEXT_SWITCHES, 0, PYRO_FIGU_COUNT},
    [PYRO_EV_CPU_MIGRATIONS] = {"cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS,
                                0, PYRO_FIGU_COUNT},
    [PYRO_EV_CYCLES] = {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 1, PYRO_FIGU_COUNT},
    [PYRO_EV_INSTRUCTIONS] = {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, 1,
                              PYRO_FIGU_COUNT},
    [PYRO_EV_CACHE_REFERENCES] = {"cache-references", PERF_TYPE_HARDWARE,
                                  PERF_COUNT_HW_CACHE_REFERENCES, 1, PYRO_FIGU_COUNT},
    [PYRO_EV_CACHE_MISSES] = {"cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, 1,
                              PYRO_FIGU_COUNT},
    [PYRO_EV_BRANCHES] = {"branches", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS, 1,
                          PYRO_FIGU_COUNT},
    [PYRO_EV_BRANCH_MISSES] = {"branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES, 1,
                               PYRO_FIGU_COUNT},
};

const pyro_event_info_t *pyro_event_info(pyro_event_t e)
{
    return (unsigned)e < PYRO_EV_COUNT ? &events[e] : NULL;
}

int pyro_event_lookup(const char *name)
{
    for (int e = 0; e < PYRO_EV_COUNT; e++)
        if (strcmp(events[e].name, name) == 0)
            return e;
    return -1;
}

static uint32_t mask_of(int hardware)
{
    uint32_t m = 0;
    for (int e = 0; e < PYRO_EV_COUNT; e++)
        if (events[e].hardware == hardware)
            m |= 1u << e;
    return m;
}

uint32_t pyro_counters_software(void) { return mask_of(0); }

uint32_t pyro_counters_hardware(void) { return mask_of(1); }

/* ==== why an event is missing ==== */

int pyro_counters_paranoid(void)
{
    int v = INT32_MIN;
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
    if (!f)
        return v;
    if (fscanf(f, "%d", &v) != 1)
        v = INT32_MIN;
    fclose(f);
    return v;
}

const char *pyro_counters_reason(int err, int hardware, int paranoid, char *buf, size_t n)
{
    switch (err) {
    case 0:
        snprintf(buf, n, "available");
        break;
    case ENOENT:
    case EOPNOTSUPP:
        if (hardware)
            snprintf(buf, n,
                     "no hardware performance counters (PMU) are exposed to this machine "
                     "(usual in a virtual machine or container)");
        else
            snprintf(buf, n, "this kernel does not count this event");
        break;
    case EACCES:
    case EPERM:
        if (paranoid != INT32_MIN)
            snprintf(buf, n,
                     "not permitted: kernel.perf_event_paranoid is %d (-1 or root or "
                     "CAP_PERFMON allows it; or a seccomp filter blocks perf_event_open)",
                     paranoid);
        else
            snprintf(buf, n,
                     "not permitted (perf_event_paranoid, missing CAP_PERFMON, or a seccomp "
                     "filter blocks perf_event_open)");
        break;
    case ENOSYS:
        snprintf(buf, n, "this kernel has no perf_event_open (built without CONFIG_PERF_EVENTS)");
        break;
    case EMFILE:
    case ENFILE:
        snprintf(buf, n, "too many open files");
        break;
    default:
        snprintf(buf, n, "perf_event_open failed: %s", strerror(err));
        break;
    }
    return buf;
}

/* ==== a set of counters ==== */

void pyro_counters_init(pyro_counters_t *c)
{
    memset(c, 0, sizeof *c);
    for (int e = 0; e < PYRO_EV_COUNT; e++)
        c->fd[e] = -1;
}

pyro_counters_t *pyro_counters_new(void)
{
    pyro_counters_t *c = pyro_malloc(sizeof *c);
    if (c)
        pyro_counters_init(c);
    return c;
}

void pyro_counters_close(pyro_counters_t *c)
{
    for (int e = 0; e < PYRO_EV_COUNT; e++)
        if (c->fd[e] >= 0)
            close(c->fd[e]);
    pyro_counters_init(c);
}

/* open_in's flag beside pyro_counters_open's: read as a group, through its
 * leader (PERF_FORMAT_GROUP). */
#define OPEN_GROUP 0x100

/* group_fd: -1, or the leader this counter joins (its read_format then
 * PERF_FORMAT_GROUP, as the leader's, which a group's reads come through). */
static int open_in(pyro_event_t e, pid_t pid, int flags, int user_only, int group_fd)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = events[e].type;
    a.config = events[e].config;
    a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    if (flags & OPEN_GROUP)
        a.read_format |= PERF_FORMAT_GROUP;
    a.disabled = (flags & PYRO_COUNTERS_ENABLE_ON_EXEC) ? 1 : 0;
    a.enable_on_exec = (flags & PYRO_COUNTERS_ENABLE_ON_EXEC) ? 1 : 0;
    a.inherit = (flags & PYRO_COUNTERS_INHERIT) ? 1 : 0;
    a.exclude_kernel = (unsigned)user_only;
    a.exclude_hv = (unsigned)user_only;
    long fd = syscall(SYS_perf_event_open, &a, pid, -1, group_fd, PERF_FLAG_FD_CLOEXEC);
    return fd < 0 ? -errno : (int)fd;
}

static int open_one(pyro_event_t e, pid_t pid, int flags, int user_only)
{
    return open_in(e, pid, flags, user_only, -1);
}

int pyro_counter_open_thread(pyro_event_t e, int *err, int *user_only)
{
    *err = 0;
    *user_only = 0;
    if ((unsigned)e >= PYRO_EV_COUNT) {
        *err = EINVAL;
        return -1;
    }
    int fd = open_one(e, 0, 0, 0);
    if (fd == -EACCES || fd == -EPERM) {
        fd = open_one(e, 0, 0, 1);
        *user_only = fd >= 0;
    }
    if (fd < 0) {
        *err = -fd;
        return -1;
    }
    return fd;
}

int pyro_counter_open_threads(const pyro_event_t *ev, int n, int *fds, int *err, int *user_only)
{
    *err = 0;
    *user_only = 0;
    int group = n > 1;
    for (int k = 0; k < n && group >= 0; k++)
        group = (unsigned)ev[k] >= PYRO_EV_COUNT
                    ? -1
                    : group && events[ev[k]].type == PERF_TYPE_SOFTWARE;
    if (group < 0 || n > PYRO_COUNTER_GROUP_MAX) {
        *err = EINVAL;
        return -1;
    }
    if (!group) { /* one descriptor each */
        for (int k = 0; k < n; k++) {
            int u;
            if ((fds[k] = pyro_counter_open_thread(ev[k], err, &u)) < 0) {
                while (k-- > 0)
                    close(fds[k]);
                return -1;
            }
            *user_only |= u;
        }
        return 0;
    }
    /* software events always fit in one group (no hardware counter to share):
     * one read gives them all */
    for (int user = 0; user < 2; user++) {
        int k = 0, fd = 0;
        for (; k < n; k++) {
            fd = open_in(ev[k], 0, OPEN_GROUP, user, k ? fds[0] : -1);
            if (fd < 0)
                break;
            fds[k] = fd;
        }
        if (k == n) {
            *user_only = user;
            return 1;
        }
        while (k-- > 0)
            close(fds[k]);
        *err = -fd;
        if (fd != -EACCES && fd != -EPERM)
            break;
    }
    return -1;
}

/* A count read as (raw, time enabled, time running): raw when the counter
 * ran the whole time (or, never scheduled yet, not at all), else scaled up. */
static int64_t count_of(uint64_t raw, uint64_t enabled, uint64_t running)
{
    if (running == enabled || !running)
        return (int64_t)raw;
    return (int64_t)pyro_counter_scale(raw, enabled, running, NULL);
}

void pyro_counter_read_all(const int *fds, int n, int grouped, int64_t *out)
{
    if (!grouped) {
        for (int k = 0; k < n; k++)
            out[k] = pyro_counter_read_fd(fds[k]);
        return;
    }
    uint64_t v[3 + PYRO_COUNTER_GROUP_MAX]; /* nr, time enabled, time running, values */
    ssize_t want = (ssize_t)((3 + (size_t)n) * sizeof *v);
    if (n > PYRO_COUNTER_GROUP_MAX || read(fds[0], v, sizeof v) != want || v[0] != (uint64_t)n) {
        for (int k = 0; k < n; k++)
            out[k] = -1;
        return;
    }
    for (int k = 0; k < n; k++)
        out[k] = count_of(v[3 + k], v[1], v[2]);
}

int64_t pyro_counter_read_fd(int fd)
{
    uint64_t v[3]; /* value, time enabled, time running */
    if (read(fd, v, sizeof v) != (ssize_t)sizeof v)
        return -1;
    return count_of(v[0], v[1], v[2]);
}

int pyro_counters_open(pyro_counters_t *c, pid_t pid, uint32_t want, int flags)
{
    if (!c || pid < 0 || (want >> PYRO_EV_COUNT) != 0)
        return PYRO_EINVAL;
    for (int e = 0; e < PYRO_EV_COUNT; e++)
        if (c->fd[e] >= 0)
            return PYRO_ESTATE;
    c->wanted = want;
    for (int e = 0; e < PYRO_EV_COUNT; e++) {
        c->err[e] = 0;
        c->user_only[e] = 0;
        if (!(want & (1u << e)))
            continue;
        int fd = open_one((pyro_event_t)e, pid, flags, 0);
        if (fd == -EACCES || fd == -EPERM) {
            fd = open_one((pyro_event_t)e, pid, flags, 1);
            if (fd >= 0)
                c->user_only[e] = 1;
        }
        if (fd < 0)
            c->err[e] = -fd;
        else
            c->fd[e] = fd;
    }
    return PYRO_OK;
}

int pyro_counters_is_open(const pyro_counters_t *c, pyro_event_t e)
{
    return c && (unsigned)e < PYRO_EV_COUNT && c->fd[e] >= 0;
}

int pyro_counters_read_one(const pyro_counters_t *c, pyro_event_t e, pyro_evcount_t *ev)
{
    memset(ev, 0, sizeof *ev);
    if (!c || (unsigned)e >= PYRO_EV_COUNT)
        return PYRO_EINVAL;
    if (c->fd[e] < 0)
        return PYRO_OK;
    uint64_t v[3] = {0, 0, 0}; /* value, time enabled, time running */
    ssize_t got = read(c->fd[e], v, sizeof v);
    if (got != (ssize_t)sizeof v) {
        if (got >= 0)
            errno = EIO;
        return PYRO_EIO;
    }
    ev->raw = v[0];
    ev->enabled = v[1];
    ev->running = v[2];
    ev->value = pyro_counter_scale(v[0], v[1], v[2], NULL);
    return PYRO_OK;
}

int pyro_counters_read(const pyro_counters_t *c, pyro_runstat_t *out)
{
    int rc = PYRO_OK;
    out->nevents = PYRO_EV_COUNT;
    for (int e = 0; e < PYRO_EV_COUNT; e++)
        if (pyro_counters_read_one(c, (pyro_event_t)e, &out->ev[e]) < 0)
            rc = PYRO_EIO;
    return rc;
}

void pyro_counters_free(pyro_counters_t *c)
{
    if (!c)
        return;
    pyro_counters_close(c);
    pyro_free(c);
}

void pyro_counters_probe(uint32_t want, int err[PYRO_EV_COUNT])
{
    for (int e = 0; e < PYRO_EV_COUNT; e++) {
        err[e] = 0;
        if (!(want & (1u << e)))
            continue;
        int fd = open_one((pyro_event_t)e, 0, PYRO_COUNTERS_ENABLE_ON_EXEC, 0);
        if (fd == -EACCES || fd == -EPERM)
            fd = open_one((pyro_event_t)e, 0, PYRO_COUNTERS_ENABLE_ON_EXEC, 1);
        if (fd < 0)
            err[e] = -fd;
        else
            close(fd);
    }
}

void pyro_counters_describe(uint32_t wanted, const int err[PYRO_EV_COUNT],
                            const int user_only[PYRO_EV_COUNT], int paranoid,
                            pyro_evdesc_t out[PYRO_EV_COUNT])
{
    for (int e = 0; e < PYRO_EV_COUNT; e++) {
        pyro_evdesc_t *d = &out[e];
        memset(d, 0, sizeof *d);
        d->name = events[e].name;
        d->unit = events[e].unit;
        d->hardware = events[e].hardware;
        d->user_only = user_only[e];
        if (!(wanted & (1u << e)))
            snprintf(d->reason, sizeof d->reason, "not asked for");
        else if (err[e])
            pyro_counters_reason(err[e], d->hardware, paranoid, d->reason, sizeof d->reason);
        else
            d->available = 1;
    }
}
