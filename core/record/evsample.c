/* SPDX-License-Identifier: MIT */
/* evsample: a sampling perf event on one thread, read by count. */
#include "record/evsample.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "model/error.h"

#define RING_PAGES 2 /* the header page and one page of records (the least the kernel takes) */

uint64_t pyro_evsample_default_period(pyro_event_t e)
{
    switch (e) {
    case PYRO_EV_TASK_CLOCK:
        return 10000000; /* 10 ms of CPU: beside the timed samples, not a second sampler */
    case PYRO_EV_PAGE_FAULTS:
    case PYRO_EV_MINOR_FAULTS:
        return 1000; /* 4 MiB of fresh pages; a fault costs about a microsecond */
    case PYRO_EV_MAJOR_FAULTS:
        return 1; /* each is a wait for the disk */
    case PYRO_EV_CONTEXT_SWITCHES:
        return 100;
    case PYRO_EV_CPU_MIGRATIONS:
        return 10;
    case PYRO_EV_CYCLES:
    case PYRO_EV_INSTRUCTIONS:
        return 3000017; /* about a millisecond of a busy core; prime, so no loop aliases it */
    case PYRO_EV_CACHE_REFERENCES:
    case PYRO_EV_BRANCHES:
        return 300007;
    case PYRO_EV_CACHE_MISSES:
    case PYRO_EV_BRANCH_MISSES:
        return 10007;
    default:
        return 0;
    }
}

int pyro_evsample_kernel_side(pyro_event_t e)
{
    return e == PYRO_EV_CONTEXT_SWITCHES || e == PYRO_EV_CPU_MIGRATIONS;
}

void pyro_evsample_init(pyro_evsample_t *s)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

static int open_fd(pid_t tid, const pyro_event_info_t *info, uint64_t period, int user_only)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = info->type;
    a.config = info->config;
    a.sample_period = period;
    a.sample_type = PERF_SAMPLE_TID; /* the records are drained, not read */
    a.wakeup_events = 1;             /* POLLIN at every overflow */
    a.exclude_kernel = (unsigned)user_only;
    a.exclude_hv = (unsigned)user_only;
    long fd = syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    return fd < 0 ? -errno : (int)fd;
}

int pyro_evsample_open(pyro_evsample_t *s, pid_t tid, pyro_event_t e, uint64_t period, int *err)
{
    const pyro_event_info_t *info = pyro_event_info(e);
    *err = 0;
    if (!info || !period || period > INT64_MAX || tid < 0 || s->fd >= 0)
        return PYRO_EINVAL;
    int user_only = 0;
    int fd = open_fd(tid, info, period, 0);
    if ((fd == -EACCES || fd == -EPERM) && !pyro_evsample_kernel_side(e)) {
        fd = open_fd(tid, info, period, 1);
        user_only = 1;
    }
    if (fd < 0) {
        *err = -fd;
        return PYRO_EIO;
    }
    long page = sysconf(_SC_PAGESIZE);
    void *ring = mmap(NULL, (size_t)page * RING_PAGES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ring == MAP_FAILED) {
        *err = errno;
        close(fd);
        return PYRO_EIO;
    }
    s->fd = fd;
    s->ring = ring;
    s->last = 0;
    s->user_only = user_only;
    return PYRO_OK;
}

int pyro_evsample_take(pyro_evsample_t *s, uint64_t *delta)
{
    *delta = 0;
    if (s->fd < 0)
        return PYRO_EINVAL;
    /* drain first: an overflow after this still wakes the poller */
    struct perf_event_mmap_page *h = s->ring;
    uint64_t head = __atomic_load_n(&h->data_head, __ATOMIC_ACQUIRE);
    __atomic_store_n(&h->data_tail, head, __ATOMIC_RELEASE);
    uint64_t count;
    if (read(s->fd, &count, sizeof count) != (ssize_t)sizeof count)
        return PYRO_EIO;
    if (count > s->last)
        *delta = count - s->last;
    s->last = count;
    return PYRO_OK;
}

void pyro_evsample_close(pyro_evsample_t *s)
{
    if (s->ring)
        munmap(s->ring, (size_t)sysconf(_SC_PAGESIZE) * RING_PAGES);
    if (s->fd >= 0)
        close(s->fd);
    pyro_evsample_init(s);
}
