/* SPDX-License-Identifier: MIT */
/* sampler: unwinder rounds -> per-thread CPU deltas -> CCT, on a pthread. */
#include "record/sampler.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "model/alloc.h"
#include "model/error.h"
#include "record/evpause.h"
#include "record/evsample.h"
#include "record/session.h"
#include "remote/freeze.h"
#include "remote/procstat.h"
#include "remote/robj.h"
#include "remote/unwind.h"

#define FORGET_NS 1000000000LL /* re-read code objects every second (addresses get reused) */
#define CPU_EVERY 32           /* rounds between reads of the sampling thread's own CPU time */

/* What the sampler remembers about one thread of the target. */
typedef struct tslot {
    uint64_t ident, native_id;
    uint32_t pthread;      /* thread index in the current profile, PYRO_NONE if not yet */
    clockid_t clock;       /* this process: the thread's CPU clock (exact); else -1 */
    int fd;                /* other processes: /proc/PID/task/TID/schedstat (or stat), or -1 */
    int schedstat;         /* fd is schedstat (ns of CPU) rather than stat (run state) */
    int64_t cpu_last;      /* CPU time read in the previous round, -1 before the first */
    int64_t credit;        /* CPU time read but not yet attributed to a sample */
    uint64_t round;        /* last round it was seen in */
    char name[64];         /* the thread's name, "" while unknown */
    int named;             /* name known, or asked for too often */
    int tries;             /* times the namer was asked */
    pyro_evsample_t ev;    /* opts.event_on: the thread's sampling event (fd -1 if none) */
    pyro_evpause_t *pause; /* this process: the event pauses the thread (evpause.h), or NULL */
} tslot_t;

#define NAME_EVERY_NS 100000000LL /* ask the namer this often while names are missing */
#define NAME_NEW_NS 1000000LL     /* and after a new thread, at most this often */
#define NAME_QUICK_TRIES 3        /* tries NAME_NEW_NS apart before NAME_EVERY_NS */

struct pyro_sampler {
    pyro_unwinder_t *u;
    pyro_freeze_t *freeze; /* opts.blocking */
    pyro_sampler_opts_t opts;
    int64_t interval_ns;
    pthread_mutex_t lock; /* guards prof, the caches tied to it, and info */
    pyro_profile_t *prof;
    pyro_stacks_t stacks;
    tslot_t *slots;
    uint32_t nslots, capslots;
    uint32_t *strmap; /* unwinder string id -> profile string id + 1 (0 = not yet) */
    uint32_t capstrmap;
    pyro_map_t funcs; /* (name, qualname, file, firstline) in unwinder strings -> func */
    uint64_t round;
    int64_t since_forget;
    int64_t since_names;
    int new_threads; /* ask the namer soon: a new thread, or one not registered yet */
    pyro_sampler_info_t info;
    int64_t started_ns; /* when the current profile began */
    int wake;           /* opts.event_on: an eventfd that ends the wait for events when stopping */
    pthread_t thread;
    uint64_t tid; /* the sampling thread's OS id, set by the thread */
    int started;
    atomic_int stop, finished;
};

static int64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ==== per-thread CPU time ==== */

/* The thread's sampling event (opts.event_on); a failure is counted. */
static void slot_open_event(pyro_sampler_t *s, tslot_t *t)
{
    pyro_evsample_init(&t->ev);
    if (!s->opts.event_on || !t->native_id)
        return;
    int err;
    if (pyro_evsample_open(&t->ev, (pid_t)t->native_id, (pyro_event_t)s->opts.event,
                           s->opts.event_period, &err)) {
        s->info.event_threads_missed++;
        if (!s->info.event_errno)
            s->info.event_errno = err ? err : EINVAL;
        return;
    }
    s->info.event_user_only |= t->ev.user_only;
    if (pyro_unwinder_proc(s->u)->pid == (int)getpid())
        t->pause = pyro_evpause_arm(t->ev.fd, (pid_t)t->native_id, s->wake);
}

static void slot_open(const pyro_sampler_t *s, tslot_t *t)
{
    char path[96];
    int pid = pyro_unwinder_proc(s->u)->pid;
    t->fd = -1;
    t->clock = (clockid_t)-1;
    t->cpu_last = -1;
    if (!t->native_id)
        return;
    if (pid == (int)getpid()) {
        /* the kernel's per-thread CPU clock of a thread of this process
         * (CPUCLOCK_SCHED | CPUCLOCK_PERTHREAD, encoding the tid) */
        clockid_t c = (clockid_t)((~(unsigned)t->native_id) << 3 | 6);
        struct timespec ts;
        if (clock_gettime(c, &ts) == 0) {
            t->clock = c;
            return;
        }
    }
    snprintf(path, sizeof path, "/proc/%d/task/%llu/schedstat", pid,
             (unsigned long long)t->native_id);
    t->fd = open(path, O_RDONLY | O_CLOEXEC);
    t->schedstat = t->fd >= 0;
    if (t->fd < 0) {
        snprintf(path, sizeof path, "/proc/%d/task/%llu/stat", pid,
                 (unsigned long long)t->native_id);
        t->fd = open(path, O_RDONLY | O_CLOEXEC);
    }
}

/* The thread's CPU time so far in ns, -1 if unknown; *state is set to the
 * kernel's run state (1 running, 0 not) when that is all there is. */
static int64_t slot_read(tslot_t *t, int *state)
{
    char buf[512];
    *state = -1;
    if (t->clock != (clockid_t)-1) {
        struct timespec ts;
        if (clock_gettime(t->clock, &ts) != 0)
            return -1;
        return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    }
    if (t->fd < 0)
        return -1;
    ssize_t n = pread(t->fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    if (!t->schedstat) {
        char st = pyro_stat_state(buf);
        *state = st == '?' || st == 'R';
        return -1;
    }
    char *end;
    long long cpu = strtoll(buf, &end, 10);
    return end == buf || cpu < 0 ? -1 : (int64_t)cpu;
}

/* CPU time to attribute to this round's sample of the thread, and whether
 * it counts as running (it used at least half the interval). schedstat
 * advances in scheduler ticks, so CPU time read is kept as credit and handed
 * out at most one interval per sample. With only the run state known, a
 * running thread is taken to have used the whole interval; with nothing
 * known, the sample counts as running (the wall view stays right). */
static int64_t slot_cpu(tslot_t *t, int64_t weight, int *running)
{
    int state;
    int64_t cpu = slot_read(t, &state);
    if (cpu < 0) {
        *running = state != 0;
        return *running ? weight : 0;
    }
    if (t->cpu_last >= 0 && cpu > t->cpu_last)
        t->credit += cpu - t->cpu_last;
    t->cpu_last = cpu;
    if (t->credit > 8 * weight) /* a backlog older than a few ticks is stale */
        t->credit = 8 * weight;
    int64_t take = t->credit < weight ? t->credit : weight;
    t->credit -= take;
    *running = 2 * take >= weight;
    return take;
}

/* The events thread `t` counted since its last sample, claimed by no stack
 * (it ended, or its stack could not be read): counted, not attributed. */
static void event_unclaimed(pyro_sampler_t *s, tslot_t *t)
{
    uint64_t d;
    if (t->ev.fd >= 0 && pyro_evsample_take(&t->ev, &d) == PYRO_OK)
        s->info.event_counted += d;
}

static void slot_close(pyro_sampler_t *s, tslot_t *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    event_unclaimed(s, t);
    pyro_evpause_disarm(t->pause);
    t->pause = NULL;
    pyro_evsample_close(&t->ev);
}

/* The slot of thread `ident`, created when new. */
static int slot_for(pyro_sampler_t *s, const pyro_rthread_t *rt, tslot_t **out)
{
    for (uint32_t i = 0; i < s->nslots; i++) {
        if (s->slots[i].ident == rt->ident && s->slots[i].native_id == rt->native_id) {
            *out = &s->slots[i];
            return PYRO_OK;
        }
    }
    int rc = pyro_grow((void **)&s->slots, &s->capslots, s->nslots, sizeof *s->slots);
    if (rc)
        return rc;
    tslot_t *t = &s->slots[s->nslots++];
    memset(t, 0, sizeof *t);
    t->ident = rt->ident;
    t->native_id = rt->native_id;
    t->pthread = PYRO_NONE;
    if (t->native_id == (uint64_t)pyro_unwinder_proc(s->u)->pid)
        snprintf(t->name, sizeof t->name, "MainThread");
    s->new_threads = 1; /* name it soon: a short-lived thread is gone in 100 ms */
    slot_open(s, t);
    slot_open_event(s, t);
    *out = t;
    return PYRO_OK;
}

/* Forget threads that were not in this round (they ended). */
static void slots_sweep(pyro_sampler_t *s)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->nslots; i++) {
        if (s->slots[i].round == s->round)
            s->slots[k++] = s->slots[i];
        else
            slot_close(s, &s->slots[i]);
    }
    s->nslots = k;
}

/* ==== aggregation ==== */

/* Profile string id of unwinder string `id`. */
static int str_of(pyro_sampler_t *s, uint32_t id, uint32_t *out)
{
    if (id >= s->capstrmap) {
        uint32_t cap = s->capstrmap ? s->capstrmap : 256;
        while (cap <= id)
            cap *= 2;
        uint32_t *m = pyro_reallocarray(s->strmap, cap, sizeof *m);
        if (!m)
            return PYRO_ENOMEM;
        memset(m + s->capstrmap, 0, (cap - s->capstrmap) * sizeof *m);
        s->strmap = m;
        s->capstrmap = cap;
    }
    if (!s->strmap[id]) {
        const char *str = pyro_unwinder_str(s->u, id);
        uint32_t pid;
        int rc = pyro_profile_str(s->prof, str, strlen(str), &pid);
        if (rc)
            return rc;
        s->strmap[id] = pid + 1;
    }
    *out = s->strmap[id] - 1;
    return PYRO_OK;
}

static int func_of(pyro_sampler_t *s, const pyro_rframe_t *f, uint32_t *out)
{
    uint64_t k1 = (uint64_t)f->name | (uint64_t)f->qualname << 32;
    uint64_t k2 = (uint64_t)f->file | (uint64_t)(uint32_t)f->firstline << 32;
    if (pyro_map_get(&s->funcs, k1, k2, out))
        return PYRO_OK;
    pyro_func_t fn = {0, 0, 0, f->firstline > 0 ? (uint32_t)f->firstline : 0, PYRO_FUNC_PYTHON};
    int rc;
    if ((rc = str_of(s, f->name, &fn.name)) || (rc = str_of(s, f->qualname, &fn.qualname)) ||
        (rc = str_of(s, f->file, &fn.file)) || (rc = pyro_profile_func(s->prof, &fn, out)))
        return rc;
    return pyro_map_put(&s->funcs, k1, k2, *out);
}

static int thread_of(pyro_sampler_t *s, tslot_t *t, uint32_t *out)
{
    if (t->pthread == PYRO_NONE) {
        const char *name = t->name;
        pyro_thread_t th = {t->ident, t->native_id, 0};
        int rc = pyro_profile_str(s->prof, name, strlen(name), &th.name);
        if (!rc)
            rc = pyro_profile_add_thread(s->prof, &th, &t->pthread);
        if (rc)
            return rc;
    }
    *out = t->pthread;
    return PYRO_OK;
}

/* The node of one thread's stack (frames innermost first) into *out, or
 * PYRO_NONE when it has no frame of the program's. */
static int stack_node(pyro_sampler_t *s, const pyro_rthread_t *rt, tslot_t *t, uint32_t *out)
{
    *out = PYRO_NONE;
    const pyro_rframe_t *fr = s->stacks.frames + rt->first;
    uint32_t n = rt->nframes;
    if (s->opts.root_code && rt->ident == s->opts.root_ident) {
        uint32_t k = n;
        while (k > 0 && fr[k - 1].code != s->opts.root_code)
            k--;
        if (!k)
            return PYRO_OK; /* pyrometer's own code, not the program's */
        n = k;
    }
    if (!n)
        return PYRO_OK;
    uint32_t thread, node = PYRO_NONE;
    int rc = thread_of(s, t, &thread);
    for (uint32_t k = n; k-- > 0 && !rc;) {
        uint32_t func;
        if (!(rc = func_of(s, &fr[k], &func)))
            rc = pyro_profile_child(s->prof, node, thread, func,
                                    fr[k].line > 0 ? (uint32_t)fr[k].line : 0, &node);
    }
    if (!rc)
        *out = node;
    return rc;
}

/* Add one thread's stack to the profile as a timed sample. */
static int add_stack(pyro_sampler_t *s, const pyro_rthread_t *rt, tslot_t *t, int64_t weight,
                     int64_t cpu, int running)
{
    uint32_t node;
    int rc = stack_node(s, rt, t, &node);
    if (rc || node == PYRO_NONE)
        return rc;
    /* a sample profile has every one of these columns (its mode declares them) */
    const pyro_profile_t *p = s->prof;
    int64_t *v = pyro_node_vals(p, node);
    v[p->col[PYRO_M_SAMPLES]]++;
    v[p->col[PYRO_M_SELF_NS]] += weight;
    v[p->col[PYRO_M_CPU_NS]] += cpu;
    v[p->col[PYRO_M_RUNNING]] += running != 0;
    v[p->col[PYRO_M_GIL]] += rt->gil > 0; /* -1: no GIL (free-threaded) */
    return PYRO_OK;
}

/* Naming happens outside the lock (the namer may wait for the GIL, which a
 * Python thread holding it may hold while waiting for the lock). */
typedef struct naming {
    uint32_t n;
    uint64_t idents[64];
    char names[64][64];
} naming_t;

/* Collect the threads not named yet (lock held). */
static void names_wanted(pyro_sampler_t *s, naming_t *nm)
{
    nm->n = 0;
    for (uint32_t i = 0; i < s->nslots && nm->n < 64; i++)
        if (!s->slots[i].named)
            nm->idents[nm->n++] = s->slots[i].ident;
}

/* Store the names found (lock held); they replace the profile's. */
static int names_apply(pyro_sampler_t *s, const naming_t *nm)
{
    for (uint32_t k = 0; k < nm->n; k++) {
        for (uint32_t i = 0; i < s->nslots; i++) {
            tslot_t *t = &s->slots[i];
            if (t->ident != nm->idents[k] || t->named)
                continue;
            t->named = nm->names[k][0] || ++t->tries >= 5;
            if (!nm->names[k][0])
                continue;
            snprintf(t->name, sizeof t->name, "%s", nm->names[k]);
            if (t->pthread != PYRO_NONE) {
                int rc = pyro_profile_str(s->prof, t->name, strlen(t->name),
                                          &s->prof->threads[t->pthread].name);
                if (rc)
                    return rc;
            }
        }
    }
    /* a thread sampled before it registered with threading: ask again
     * soon (it may be gone in 100 ms), the first few times */
    for (uint32_t i = 0; i < s->nslots; i++)
        if (!s->slots[i].named && s->slots[i].tries < NAME_QUICK_TRIES)
            s->new_threads = 1;
    return PYRO_OK;
}

int pyro_sampler_name_threads(pyro_sampler_t *s)
{
    if (!s->opts.namer)
        return PYRO_OK;
    naming_t *nm = pyro_malloc(sizeof *nm);
    if (!nm)
        return PYRO_ENOMEM;
    pthread_mutex_lock(&s->lock);
    names_wanted(s, nm);
    pthread_mutex_unlock(&s->lock);
    int rc = PYRO_OK;
    if (nm->n) {
        s->opts.namer(s->opts.namer_ctx, nm->n, nm->idents, nm->names);
        pthread_mutex_lock(&s->lock);
        rc = names_apply(s, nm);
        pthread_mutex_unlock(&s->lock);
    }
    pyro_free(nm);
    return rc;
}

/* One round; the caller holds the lock (or is the only user). */
static int round_locked(pyro_sampler_t *s, int64_t weight)
{
    int rc = pyro_unwinder_sample(s->u, &s->stacks);
    if (rc)
        return rc;
    s->round++;
    for (uint32_t i = 0; i < s->stacks.nthreads && !rc; i++) {
        const pyro_rthread_t *rt = &s->stacks.threads[i];
        tslot_t *t;
        if ((rc = slot_for(s, rt, &t)))
            break;
        t->round = s->round;
        int running;
        int64_t cpu = slot_cpu(t, weight, &running);
        s->info.partial += rt->truncated || rt->cut;
        s->info.rereads += rt->rereads;
        if (!rt->torn) /* a stack that was changing is not a real call path */
            rc = add_stack(s, rt, t, weight, cpu, running);
    }
    slots_sweep(s);
    s->info.samples++;
    s->info.elapsed_ns += weight;
    if (s->freeze) {
        pyro_freeze_info_t fi;
        pyro_freeze_info(s->freeze, &fi);
        s->info.paused_ns = fi.stopped_ns;
        s->info.late = fi.late;
    }
    s->since_forget += weight;
    s->since_names += weight;
    if (s->since_forget >= FORGET_NS) {
        pyro_unwinder_forget(s->u);
        s->since_forget = 0;
    }
    return rc;
}

int pyro_sampler_sample(pyro_sampler_t *s, int64_t weight_ns)
{
    pthread_mutex_lock(&s->lock);
    int rc = round_locked(s, weight_ns);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ==== sampling on an event ==== */

#define EVENT_READY_MAX 64 /* threads handled per wake-up (the rest at the next) */

/* The slot of the thread with native id `tid`, or NULL. */
static tslot_t *slot_of_tid(pyro_sampler_t *s, uint64_t tid)
{
    for (uint32_t j = 0; j < s->nslots; j++)
        if (s->slots[j].native_id == tid)
            return &s->slots[j];
    return NULL;
}

/* One round for the threads whose event overflowed (native ids `ready`;
 * `ended[k]` when that thread's event said it ended): read every stack, add
 * to each of theirs the events counted since their previous sample; a
 * thread without a stack this round only has its events counted; an ended
 * thread's event is closed (lock held). */
static int event_round_locked(pyro_sampler_t *s, const uint64_t *ready, const int *ended,
                              uint32_t nready)
{
    int rc = pyro_unwinder_sample(s->u, &s->stacks);
    if (rc)
        return rc;
    const pyro_profile_t *p = s->prof;
    for (uint32_t i = 0; i < s->stacks.nthreads && !rc; i++) {
        const pyro_rthread_t *rt = &s->stacks.threads[i];
        uint32_t k = 0;
        while (k < nready && ready[k] != rt->native_id)
            k++;
        tslot_t *t;
        uint64_t d;
        if (k == nready || (rc = slot_for(s, rt, &t)) || t->ev.fd < 0 ||
            pyro_evsample_take(&t->ev, &d) || !d)
            continue;
        s->info.event_counted += d;
        s->info.event_samples++;
        uint32_t node = PYRO_NONE;
        if (!rt->torn && !(rc = stack_node(s, rt, t, &node)) && node != PYRO_NONE) {
            int64_t *v = pyro_node_vals(p, node);
            v[p->col[PYRO_M_EVENTS]] += (int64_t)d;
            v[p->col[PYRO_M_EVENT_SAMPLES]]++;
            s->info.event_attributed += d;
        }
    }
    for (uint32_t k = 0; k < nready; k++) {
        tslot_t *t = slot_of_tid(s, ready[k]);
        if (!t)
            continue;
        event_unclaimed(s, t); /* 0 unless it had no stack this round */
        s->info.event_late += pyro_evpause_take_timeouts(t->pause);
        pyro_evpause_release(t->pause); /* read: it may go on */
        if (ended[k]) {
            pyro_evpause_disarm(t->pause);
            t->pause = NULL;
            pyro_evsample_close(&t->ev);
        }
    }
    return rc;
}

/* Wait until the absolute CLOCK_MONOTONIC time `deadline` (ns) or until
 * stop, handling the overflows of the threads' events as they come. The
 * slots change only on this thread, so the descriptors are read without
 * the lock. Returns the first error of a round (PYRO_OK if none). */
static int event_wait_until(pyro_sampler_t *s, int64_t deadline)
{
    struct pollfd pf[EVENT_READY_MAX + 1];
    uint64_t who[EVENT_READY_MAX];
    int ended[EVENT_READY_MAX];
    while (!atomic_load(&s->stop)) {
        int64_t left = deadline - now_ns(CLOCK_MONOTONIC);
        if (left <= 0)
            return PYRO_OK;
        /* paused threads wake us through s->wake; the others' events are polled */
        uint32_t n = 0;
        for (uint32_t i = 0; i < s->nslots && n < EVENT_READY_MAX; i++)
            if (s->slots[i].ev.fd >= 0 && !s->slots[i].pause) {
                pf[n] = (struct pollfd){s->slots[i].ev.fd, POLLIN, 0};
                who[n++] = s->slots[i].native_id;
            }
        pf[n] = (struct pollfd){s->wake, POLLIN, 0};
        struct timespec ts = {(time_t)(left / 1000000000LL), (long)(left % 1000000000LL)};
        int r = ppoll(pf, n + 1, &ts, NULL);
        if (r <= 0 || atomic_load(&s->stop))
            continue; /* the deadline, a signal, or stop: the loop decides */
        uint32_t nready = 0;
        for (uint32_t i = 0; i < n; i++)
            if (pf[i].revents) {
                ended[nready] = (pf[i].revents & (POLLHUP | POLLERR)) != 0;
                who[nready++] = who[i];
            }
        if (pf[n].revents) {
            uint64_t count;
            ssize_t got = read(s->wake, &count, sizeof count); /* drained: EAGAIN when empty */
            (void)got;
            for (uint32_t i = 0; i < s->nslots && nready < EVENT_READY_MAX; i++)
                if (pyro_evpause_waiting(s->slots[i].pause)) {
                    ended[nready] = 0;
                    who[nready++] = s->slots[i].native_id;
                }
        }
        if (!nready)
            continue;
        pthread_mutex_lock(&s->lock);
        int rc = event_round_locked(s, who, ended, nready);
        pthread_mutex_unlock(&s->lock);
        if (rc)
            return rc;
    }
    return PYRO_OK;
}

/* ==== the background thread ==== */

/* Sleep until the absolute CLOCK_MONOTONIC time `ts`, or until stop is set:
 * a futex wait on the stop word (FUTEX_WAIT_BITSET takes an absolute
 * monotonic deadline), so that stopping does not wait out the interval
 * (up to a second at 1 Hz). The kernel's timer is the same as
 * clock_nanosleep's, timer slack included. */
static void sleep_until(atomic_int *stop, const struct timespec *ts)
{
    while (!atomic_load(stop)) {
        long r = syscall(SYS_futex, (int *)stop, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0, ts,
                         NULL, FUTEX_BITSET_MATCH_ANY);
        if (r == -1 && errno != EINTR && errno != EAGAIN)
            return; /* ETIMEDOUT: the deadline came */
        /* woken, interrupted, or stop already set: the loop condition decides */
    }
}

static void *loop(void *arg)
{
    pyro_sampler_t *s = arg;
    s->tid = (uint64_t)syscall(SYS_gettid); /* for pyro_session_join */
    /* Linux lets a sleeping thread wake up to 50 us late by default (timer
     * slack): at 10 kHz that is half an interval. 1 us keeps the deadlines. */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    int64_t next = now_ns(CLOCK_MONOTONIC), last = next;
    while (!atomic_load(&s->stop)) {
        next += s->interval_ns;
        int64_t now = now_ns(CLOCK_MONOTONIC);
        if (next < now) { /* late: skip the rounds we missed, do not burst */
            int64_t behind = (now - next) / s->interval_ns + 1;
            pthread_mutex_lock(&s->lock);
            s->info.missed += (uint64_t)behind;
            pthread_mutex_unlock(&s->lock);
            next += behind * s->interval_ns;
        }
        int rc = PYRO_OK;
        if (s->opts.event_on) {
            rc = event_wait_until(s, next);
        } else {
            struct timespec ts = {(time_t)(next / 1000000000LL), (long)(next % 1000000000LL)};
            sleep_until(&s->stop, &ts);
        }
        if (atomic_load(&s->stop))
            break;
        now = now_ns(CLOCK_MONOTONIC);
        pthread_mutex_lock(&s->lock);
        if (!rc)
            rc = round_locked(s, now - last);
        if (rc == PYRO_ENOPROC || rc == PYRO_ENOTPY)
            s->info.ended = 1; /* the target exited (or tore its runtime down) */
        else if (rc)
            s->info.error = rc;
        if (s->info.samples % CPU_EVERY == 0) /* a system call: not every round */
            s->info.cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID);
        int names =
            !rc && s->opts.namer &&
            (s->since_names >= NAME_EVERY_NS || (s->new_threads && s->since_names >= NAME_NEW_NS));
        if (names)
            s->since_names = s->new_threads = 0;
        pthread_mutex_unlock(&s->lock);
        if (names && pyro_sampler_name_threads(s))
            s->info.error = PYRO_ENOMEM;
        last = now;
        if (rc)
            break;
    }
    /* overflows after this must not stop threads for a read that never comes */
    pthread_mutex_lock(&s->lock);
    s->info.cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID);
    for (uint32_t i = 0; i < s->nslots; i++) {
        pyro_evpause_disarm(s->slots[i].pause);
        s->slots[i].pause = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    atomic_store(&s->finished, 1);
    return NULL;
}

/* ==== lifecycle ==== */

static int fresh_profile(pyro_sampler_t *s)
{
    pyro_profile_t *p = pyro_profile_new();
    if (!p)
        return PYRO_ENOMEM;
    int rc = pyro_profile_set_mode(p, PYRO_MODE_SAMPLE);
    for (int m = PYRO_M_EVENTS; m <= PYRO_M_EVENT_SAMPLES && !rc && s->opts.event_on; m++) {
        const pyro_metric_info_t *mi = pyro_metric_info(m);
        int col;
        rc = pyro_profile_add_column(p, mi->name, strlen(mi->name), mi->unit, mi->agg, &col);
    }
    if (rc) {
        pyro_profile_free(p);
        return rc;
    }
    pyro_profile_free(s->prof);
    s->prof = p;
    memset(s->strmap, 0, s->capstrmap * sizeof *s->strmap);
    pyro_map_free(&s->funcs);
    for (uint32_t i = 0; i < s->nslots; i++)
        s->slots[i].pthread = PYRO_NONE;
    s->started_ns = now_ns(CLOCK_REALTIME);
    s->info.event_samples = s->info.event_counted = s->info.event_attributed = 0;
    s->info.event_late = 0;
    return PYRO_OK;
}

/* The default namer: threading._active read from the target's memory. */
static void remote_namer(void *ctx, uint32_t n, const uint64_t *idents, char (*names)[64])
{
    pyro_sampler_t *s = ctx;
    pyro_robj_thread_names(pyro_unwinder_proc(s->u), n, idents, names);
}

/* Blocking: find out now whether the threads may be stopped (on this
 * thread, with a freeze of its own: one that stops threads must let them go
 * from the same thread), then give the unwinder the freeze the sampling
 * thread will use. */
static int blocking_setup(pyro_sampler_t *s, int pid)
{
    pyro_freeze_t *trial;
    int rc = pyro_freeze_new(pid, &trial);
    if (rc)
        return rc;
    rc = pyro_freeze_stop(trial, 0);
    pyro_freeze_free(trial);
    if (!rc)
        rc = pyro_freeze_new(pid, &s->freeze);
    if (!rc)
        pyro_unwinder_freeze(s->u, s->freeze);
    return rc;
}

int pyro_sampler_rate_ok(double rate_hz)
{
    return rate_hz >= PYRO_SAMPLER_RATE_MIN && rate_hz <= PYRO_SAMPLER_RATE_MAX;
}

int pyro_sampler_new(const pyro_pyproc_t *pp, const pyro_sampler_opts_t *o, pyro_sampler_t **out)
{
    if (!pyro_sampler_rate_ok(o->rate_hz))
        return PYRO_EINVAL;
    pyro_sampler_t *s = pyro_calloc(1, sizeof *s);
    if (!s)
        return PYRO_ENOMEM;
    s->opts = *o;
    if (!s->opts.namer) {
        s->opts.namer = remote_namer;
        s->opts.namer_ctx = s;
    }
    if (o->event_on && (o->blocking || !pyro_event_info((pyro_event_t)o->event) ||
                        o->event_period == 0 || o->event_period > INT64_MAX)) {
        pyro_free(s);
        return PYRO_EINVAL;
    }
    s->wake = -1;
    if (o->event_on && (s->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        pyro_free(s);
        return PYRO_ENOMEM;
    }
    s->interval_ns = (int64_t)(1e9 / o->rate_hz);
    pyro_map_init(&s->funcs);
    pthread_mutex_init(&s->lock, NULL);
    int rc = pyro_unwinder_new(pp, &s->u);
    if (!rc)
        rc = fresh_profile(s);
    if (!rc && o->blocking)
        rc = blocking_setup(s, pp->pid);
    if (rc) {
        pyro_sampler_free(s);
        return rc;
    }
    pyro_unwinder_os_state(s->u, 0);
    *out = s;
    return PYRO_OK;
}

int pyro_sampler_start(pyro_sampler_t *s)
{
    if (s->started)
        return PYRO_EINVAL;
    if (s->opts.event_on && pyro_unwinder_proc(s->u)->pid == (int)getpid()) {
        /* the calling thread's event counts from now, not from the first
         * round that sees it (a thread's ident is its pthread_t) */
        pyro_rthread_t me;
        memset(&me, 0, sizeof me);
        me.ident = (uint64_t)pthread_self();
        me.native_id = (uint64_t)syscall(SYS_gettid);
        tslot_t *t;
        if (slot_for(s, &me, &t))
            return PYRO_ENOMEM;
    }
    atomic_store(&s->stop, 0);
    atomic_store(&s->finished, 0);
    s->tid = 0;
    if (pthread_create(&s->thread, NULL, loop, s) != 0)
        return PYRO_ENOMEM;
    s->started = 1;
    return PYRO_OK;
}

void pyro_sampler_stop(pyro_sampler_t *s)
{
    if (!s->started)
        return;
    atomic_store(&s->stop, 1);
    syscall(SYS_futex, (int *)&s->stop, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
    if (s->wake >= 0) {
        uint64_t one = 1;
        ssize_t w = write(s->wake, &one, sizeof one);
        (void)w; /* full: a wake-up is pending anyway */
    }
    pyro_session_join(s->thread, &s->tid); /* gone from the process (a fork may follow) */
    s->started = 0;
}

int pyro_sampler_finished(pyro_sampler_t *s) { return atomic_load(&s->finished); }

void pyro_sampler_free(pyro_sampler_t *s)
{
    if (!s)
        return;
    pyro_sampler_stop(s);
    for (uint32_t i = 0; i < s->nslots; i++)
        slot_close(s, &s->slots[i]);
    pyro_free(s->slots);
    pyro_free(s->strmap);
    pyro_map_free(&s->funcs);
    pyro_stacks_free(&s->stacks);
    pyro_profile_free(s->prof);
    pyro_unwinder_free(s->u);
    pyro_freeze_free(s->freeze);
    if (s->wake >= 0)
        close(s->wake);
    pthread_mutex_destroy(&s->lock);
    pyro_free(s);
}

void pyro_sampler_info(pyro_sampler_t *s, pyro_sampler_info_t *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->info;
    pthread_mutex_unlock(&s->lock);
}

static int set_num(pyro_profile_t *p, const char *key, const char *fmt, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    return pyro_profile_set_meta(p, key, buf);
}

static int set_u64(pyro_profile_t *p, const char *key, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    return pyro_profile_set_meta(p, key, buf);
}

/* The event's metadata (lock held). What the live threads counted since
 * their last sample is claimed by no stack: it joins the count only. */
static int event_meta(pyro_sampler_t *s, pyro_profile_t *p)
{
    for (uint32_t i = 0; i < s->nslots; i++)
        event_unclaimed(s, &s->slots[i]);
    const pyro_sampler_info_t *in = &s->info;
    int rc = pyro_profile_set_meta(p, "event", pyro_event_info((pyro_event_t)s->opts.event)->name);
    if (!rc)
        rc = set_u64(p, "event_period", s->opts.event_period);
    if (!rc)
        rc = set_u64(p, "event_samples", in->event_samples);
    if (!rc)
        rc = set_u64(p, "event_counted", in->event_counted);
    if (!rc)
        rc = set_u64(p, "event_attributed", in->event_attributed);
    if (!rc)
        rc = pyro_profile_set_meta(p, "event_user_only", in->event_user_only ? "1" : "0");
    if (!rc) /* this process: each thread stopped at its overflow until its stack was read */
        rc = pyro_profile_set_meta(
            p, "event_paused",
            pyro_unwinder_proc(s->u)->pid == (int)getpid() && pyro_evpause_install() >= 0 ? "1"
                                                                                          : "0");
    if (!rc)
        rc = set_u64(p, "event_late", in->event_late);
    if (!rc && in->event_threads_missed) {
        char why[160];
        rc = set_u64(p, "event_threads_missed", in->event_threads_missed);
        if (!rc)
            rc = pyro_profile_set_meta(p, "event_threads_missed_why",
                                       pyro_counters_reason(in->event_errno, 0,
                                                            pyro_counters_paranoid(), why,
                                                            sizeof why));
    }
    return rc;
}

int pyro_sampler_take(pyro_sampler_t *s, pyro_profile_t **out)
{
    pthread_mutex_lock(&s->lock);
    pyro_profile_t *p = s->prof;
    const pyro_pyproc_t *pp = pyro_unwinder_proc(s->u);
    char version[32];
    pyro_pyproc_version_str(pp, version, sizeof version);
    int rc = set_num(p, "rate_hz", "%g", s->opts.rate_hz);
    if (!rc)
        rc = set_num(p, "pid", "%.0f", pp->pid);
    if (!rc)
        rc = pyro_profile_set_meta(p, "target_python", version);
    if (!rc && pp->free_threaded) /* its gil column counts only a GIL it enabled */
        rc = pyro_profile_set_meta(p, "target_gil", "none unless enabled (free-threaded build)");
    if (!rc)
        rc = set_num(p, "samples", "%.0f", (double)s->info.samples);
    if (!rc)
        rc = set_num(p, "missed", "%.0f", (double)s->info.missed);
    if (!rc)
        rc = set_num(p, "partial_stacks", "%.0f", (double)s->info.partial);
    if (!rc)
        rc = set_num(p, "reread_stacks", "%.0f", (double)s->info.rereads);
    if (!rc)
        rc = set_num(p, "duration_s", "%.6f", (double)s->info.elapsed_ns * 1e-9);
    if (!rc)
        rc = set_num(p, "sampler_cpu_s", "%.6f", (double)s->info.cpu_ns * 1e-9);
    if (!rc && s->freeze)
        rc = set_num(p, "paused_s", "%.6f", (double)s->info.paused_ns * 1e-9);
    if (!rc && s->freeze)
        rc = set_num(p, "late_threads", "%.0f", (double)s->info.late);
    if (!rc)
        rc = set_num(p, "started_unix", "%.3f", (double)s->started_ns * 1e-9);
    if (!rc && s->opts.event_on)
        rc = event_meta(s, p);
    pyro_profile_fill_totals(p);
    if (!rc) {
        s->prof = NULL;

        rc = fresh_profile(s);
        if (rc)
            s->prof = p; /* keep recording into the old one */
        else
            *out = p;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
