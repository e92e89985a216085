/* SPDX-License-Identifier: MIT */
/* test_stat: the counters' event table, reasons and scaling, the summary
 * arithmetic, one measured run of a command (statuses like a shell's), and
 * the stat table and JSON on synthetic runs (a PMU this machine lacks:
 * hardware counters, multiplexing, IPC). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/fmt_stat.h"
#include "model/buf.h"
#include "model/error.h"
#include "model/runstat.h"
#include "record/counters.h"
#include "record/evsample.h"
#include "record/runcmd.h"
#include "test.h"

#define NEAR(a, b) (fabs((double)(a) - (double)(b)) < 1e-9 * (1 + fabs((double)(b))))

static void test_event_table(void)
{
    uint32_t sw = pyro_counters_software(), hw = pyro_counters_hardware();
    CHECK((sw & hw) == 0);
    CHECK_EQ_INT(sw | hw, (1u << PYRO_EV_COUNT) - 1);
    for (int e = 0; e < PYRO_EV_COUNT; e++) {
        const pyro_event_info_t *i = pyro_event_info((pyro_event_t)e);
        CHECK(i && i->name && *i->name);
        CHECK_EQ_INT(pyro_event_lookup(i->name), e);
        CHECK_EQ_INT(i->hardware, (hw >> e) & 1);
    }
    CHECK_EQ_INT(pyro_event_lookup("cycles"), PYRO_EV_CYCLES);
    CHECK_EQ_INT(pyro_event_lookup("task-clock"), PYRO_EV_TASK_CLOCK);
    CHECK_EQ_INT(pyro_event_lookup("no-such-event"), -1);
    CHECK(pyro_event_info(PYRO_EV_COUNT) == NULL);
    CHECK(pyro_event_info(PYRO_EV_TASK_CLOCK)->unit == PYRO_FIGU_NS);
}

static void test_reasons(void)
{
    char buf[200];
    CHECK(strstr(pyro_counters_reason(ENOENT, 1, 2, buf, sizeof buf), "PMU"));
    CHECK(!strstr(pyro_counters_reason(ENOENT, 0, 2, buf, sizeof buf), "PMU"));
    CHECK(strstr(pyro_counters_reason(EACCES, 1, 2, buf, sizeof buf), "perf_event_paranoid is 2"));
    CHECK(strstr(pyro_counters_reason(EPERM, 0, INT32_MIN, buf, sizeof buf), "not permitted"));
    CHECK(strstr(pyro_counters_reason(ENOSYS, 1, 2, buf, sizeof buf), "no perf_event_open"));
    CHECK(strstr(pyro_counters_reason(EBADF, 1, 2, buf, sizeof buf), "perf_event_open failed"));
    /* a buffer too small is cut, never overrun */
    char tiny[8];
    CHECK_EQ_INT(strlen(pyro_counters_reason(ENOENT, 1, 2, tiny, sizeof tiny)), 7);

    int err[PYRO_EV_COUNT] = {0}, user[PYRO_EV_COUNT] = {0};
    pyro_evdesc_t d[PYRO_EV_COUNT];
    err[PYRO_EV_CYCLES] = ENOENT;
    user[PYRO_EV_TASK_CLOCK] = 1;
    pyro_counters_describe(pyro_counters_software() | (1u << PYRO_EV_CYCLES), err, user, 2, d);
    CHECK(d[PYRO_EV_TASK_CLOCK].available && d[PYRO_EV_TASK_CLOCK].user_only);
    CHECK(!d[PYRO_EV_CYCLES].available && strstr(d[PYRO_EV_CYCLES].reason, "PMU"));
    CHECK(!d[PYRO_EV_INSTRUCTIONS].available);
    CHECK(strcmp(d[PYRO_EV_INSTRUCTIONS].reason, "not asked for") == 0);
}

static void test_scaling(void)
{
    int scaled = -1;
    CHECK(NEAR(pyro_counter_scale(100, 200, 200, &scaled), 100) && scaled == 0);
    CHECK(NEAR(pyro_counter_scale(100, 200, 50, &scaled), 400) && scaled == 1);
    CHECK(NEAR(pyro_counter_scale(100, 0, 0, &scaled), 0) && scaled == 0);
    CHECK(NEAR(pyro_counter_scale(7, 10, 10, NULL), 7));
    /* running a little above enabled (rounding in the kernel): not scaled */
    CHECK(NEAR(pyro_counter_scale(7, 10, 11, &scaled), 7) && scaled == 0);
}

static void test_summary(void)
{
    double v[] = {2, 4, 4, 4, 5, 5, 7, 9};
    pyro_summary_t s = pyro_summarize(v, 8);
    CHECK_EQ_INT(s.n, 8);
    CHECK(NEAR(s.mean, 5.0));
    CHECK(NEAR(s.stddev, sqrt(32.0 / 7.0))); /* sample (n - 1) deviation */
    CHECK(NEAR(s.min, 2) && NEAR(s.max, 9));
    s = pyro_summarize(v, 1);
    CHECK(NEAR(s.mean, 2) && s.stddev == 0);
    s = pyro_summarize(v, 0);
    CHECK(s.n == 0 && s.mean == 0 && s.stddev == 0);
    /* large values, tiny spread: no digits lost */
    double big[] = {1e9 + 1, 1e9 + 2, 1e9 + 3};
    s = pyro_summarize(big, 3);
    CHECK(NEAR(s.mean, 1e9 + 2) && fabs(s.stddev - 1.0) < 1e-6);

    pyro_runstat_t r;
    memset(&r, 0, sizeof r);
    r.fig[PYRO_FIG_WALL] = 2;
    r.fig[PYRO_FIG_USER] = 1.5;
    r.fig[PYRO_FIG_SYS] = 0.5;
    pyro_runstat_derive(&r);
    CHECK(NEAR(r.fig[PYRO_FIG_CPU], 100));
    r.fig[PYRO_FIG_WALL] = 0;
    pyro_runstat_derive(&r);
    CHECK(r.fig[PYRO_FIG_CPU] == 0);
    CHECK(strcmp(pyro_figure_key(PYRO_FIG_MAXRSS), "maxrss_bytes") == 0);
    CHECK(pyro_figure_key(PYRO_FIG_COUNT) == NULL);
}

/* Counters of several software events on this thread: one group, read in
 * one call, counting what descriptors of their own count. */
static void test_counter_group(void)
{
    pyro_event_t ev[] = {PYRO_EV_PAGE_FAULTS, PYRO_EV_MINOR_FAULTS, PYRO_EV_CONTEXT_SWITCHES};
    int fds[PYRO_COUNTER_GROUP_MAX + 1], err, user_only;
    pyro_event_t many[PYRO_COUNTER_GROUP_MAX + 1];
    for (int k = 0; k <= PYRO_COUNTER_GROUP_MAX; k++)
        many[k] = PYRO_EV_PAGE_FAULTS;
    CHECK_EQ_INT(pyro_counter_open_threads(many, PYRO_COUNTER_GROUP_MAX + 1, fds, &err, &user_only),
                 -1);
    CHECK_EQ_INT(err, EINVAL);
    int grouped = pyro_counter_open_threads(ev, 3, fds, &err, &user_only);
    if (grouped < 0) { /* no perf events here: a reason, nothing open */
        CHECK(err > 0);
        return;
    }
    CHECK_EQ_INT(grouped, 1);
    int solo = pyro_counter_open_thread(PYRO_EV_PAGE_FAULTS, &err, &user_only);
    CHECK(solo >= 0);
    int64_t a[3], b[3];
    int64_t s0 = pyro_counter_read_fd(solo);
    pyro_counter_read_all(fds, 3, grouped, a);
    test_fault_in(300);
    pyro_counter_read_all(fds, 3, grouped, b);
    int64_t s1 = pyro_counter_read_fd(solo);
    CHECK(a[0] >= 0 && a[1] >= 0 && a[2] >= 0);
    CHECK(b[0] - a[0] >= 300 && b[1] - a[1] >= 300);
    /* the group counts as the lone counter does, which ran a little longer:
     * around the first read of the group too, where valgrind's translation of
     * the code just run faults pages in (a few, here; more than 16 once in CI) */
    CHECK(s1 - s0 >= b[0] - a[0] && s1 - s0 <= 2 * (b[0] - a[0]));
    /* a hardware event is on its own: grouped, it could share too few counters */
    pyro_event_t mixed[] = {PYRO_EV_PAGE_FAULTS, PYRO_EV_CYCLES};
    int mfds[2];
    int m = pyro_counter_open_threads(mixed, 2, mfds, &err, &user_only);
    CHECK(m == 0 || (m == -1 && err > 0));
    if (m == 0) {
        int64_t v[2];
        pyro_counter_read_all(mfds, 2, m, v);
        CHECK(v[0] >= 0 && v[1] >= 0);
        close(mfds[0]);
        close(mfds[1]);
    }
    for (int k = 0; k < 3; k++)
        close(fds[k]);
    close(solo);
    int64_t gone[3];
    pyro_counter_read_all(fds, 3, grouped, gone);
    CHECK(gone[0] == -1 && gone[1] == -1 && gone[2] == -1);
}

/* ==== one run of a command ==== */

static void test_probe(void)
{
    int err[PYRO_EV_COUNT];
    pyro_counters_probe((1u << PYRO_EV_COUNT) - 1, err);
    /* whatever the machine: each event either opens or has a reason */
    for (int e = 0; e < PYRO_EV_COUNT; e++) {
        char buf[200];
        CHECK(err[e] >= 0);
        CHECK(*pyro_counters_reason(err[e], 1, 2, buf, sizeof buf));
    }
    pyro_counters_probe(0, err);
    for (int e = 0; e < PYRO_EV_COUNT; e++)
        CHECK_EQ_INT(err[e], 0);
    pyro_counters_t *c = pyro_counters_new();
    CHECK(c);
    CHECK_EQ_INT(pyro_counters_open(c, -1, 1, 0), PYRO_EINVAL);
    CHECK_EQ_INT(pyro_counters_open(c, 0, 1u << PYRO_EV_COUNT, 0), PYRO_EINVAL);
    CHECK_EQ_INT(pyro_counters_open(c, 0, 1u << PYRO_EV_TASK_CLOCK, 0), PYRO_OK);
    if (pyro_counters_is_open(c, PYRO_EV_TASK_CLOCK)) {
        CHECK_EQ_INT(pyro_counters_open(c, 0, 1, 0), PYRO_ESTATE);
        volatile double x = 0;
        for (int i = 0; i < 100000; i++)
            x += i;
        pyro_runstat_t r;
        CHECK_EQ_INT(pyro_counters_read(c, &r), PYRO_OK);
        CHECK(r.ev[PYRO_EV_TASK_CLOCK].value > 0);
        CHECK(r.ev[PYRO_EV_CYCLES].value == 0);
    }
    pyro_counters_free(c);
    pyro_counters_free(NULL);

    /* in the caller's storage: closed and reusable */
    pyro_counters_t s;
    pyro_counters_init(&s);
    CHECK_EQ_INT(pyro_counters_open(&s, 0, pyro_counters_software(), 0), PYRO_OK);
    pyro_counters_close(&s);
    for (int e = 0; e < PYRO_EV_COUNT; e++)
        CHECK(!pyro_counters_is_open(&s, (pyro_event_t)e));
    CHECK_EQ_INT(pyro_counters_open(&s, 0, 1u << PYRO_EV_PAGE_FAULTS, 0), PYRO_OK);
    pyro_counters_close(&s);
    test_alloc_fail_at(1);
    CHECK(pyro_counters_new() == NULL);
}

/* ==== sampling on an event ==== */

static void test_evsample(void)
{
    for (int e = 0; e < PYRO_EV_COUNT; e++)
        CHECK(pyro_evsample_default_period((pyro_event_t)e) > 0);
    CHECK(pyro_evsample_default_period(PYRO_EV_COUNT) == 0);
    CHECK(pyro_evsample_kernel_side(PYRO_EV_CONTEXT_SWITCHES));
    CHECK(!pyro_evsample_kernel_side(PYRO_EV_PAGE_FAULTS));
    pyro_evsample_t s;
    pyro_evsample_init(&s);
    int err;
    uint64_t d;
    CHECK_EQ_INT(pyro_evsample_fd(&s), -1);
    CHECK_EQ_INT(pyro_evsample_take(&s, &d), PYRO_EINVAL);
    CHECK_EQ_INT(pyro_evsample_open(&s, 0, PYRO_EV_COUNT, 1, &err), PYRO_EINVAL);
    CHECK_EQ_INT(pyro_evsample_open(&s, 0, PYRO_EV_PAGE_FAULTS, 0, &err), PYRO_EINVAL);
    CHECK_EQ_INT(pyro_evsample_open(&s, -1, PYRO_EV_PAGE_FAULTS, 1, &err), PYRO_EINVAL);
    int rc = pyro_evsample_open(&s, 0, PYRO_EV_PAGE_FAULTS, 64, &err);
    if (rc == PYRO_EIO) { /* a machine without perf events: the reason is all there is */
        char why[200];
        CHECK(err > 0 && *pyro_counters_reason(err, 0, pyro_counters_paranoid(), why, sizeof why));
        CHECK_EQ_INT(pyro_evsample_fd(&s), -1);
        return;
    }
    CHECK_EQ_INT(rc, PYRO_OK);
    CHECK_EQ_INT(pyro_evsample_open(&s, 0, PYRO_EV_PAGE_FAULTS, 64, &err), PYRO_EINVAL);
    CHECK_EQ_INT(pyro_evsample_take(&s, &d), PYRO_OK); /* what opening itself cost */
    size_t n = 1024;                                   /* fresh small pages: one fault each */
    test_fault_in(n);
    struct pollfd pf = {pyro_evsample_fd(&s), POLLIN, 0};
    CHECK_EQ_INT(poll(&pf, 1, 0), 1); /* overflowed: readable */
    CHECK(pf.revents & POLLIN);
    CHECK_EQ_INT(pyro_evsample_take(&s, &d), PYRO_OK);
    /* every fault, counted once (ASan's checks fault in a shadow page per 8 of them) */
    CHECK(d >= n && d < n + n / 4 + 64);
    CHECK_EQ_INT(pyro_evsample_take(&s, &d), PYRO_OK);
    /* only what came since: not the n again (the test's own faults, and under
     * valgrind those of translating the code just run, may add a few dozen) */
    CHECK(d < n / 4);
    uint64_t drained = s.last;
    pf.revents = 0;
    int ready = poll(&pf, 1, 0);
    CHECK_EQ_INT(pyro_evsample_take(&s, &d), PYRO_OK);
    /* the wake-up was consumed: readable again only if faults since ran the
     * period out (a fault of the test's own, or valgrind's, near its end) */
    CHECK(ready == 0 || s.last > drained);
    pyro_evsample_close(&s);
    CHECK_EQ_INT(pyro_evsample_fd(&s), -1);
    pyro_evsample_close(&s); /* twice: harmless */
}

static void test_runcmd_status(void)
{
    pyro_runcmd_result_t r;
    char *ok[] = {"true", NULL};
    CHECK_EQ_INT(pyro_runcmd(ok, pyro_counters_software(), &r), PYRO_OK);
    CHECK_EQ_INT(r.run.status, 0);
    CHECK_EQ_INT(r.exec_errno, 0);
    CHECK(r.run.fig[PYRO_FIG_WALL] > 0);
    CHECK(r.run.fig[PYRO_FIG_MAXRSS] > 0);

    char *three[] = {"/bin/sh", "-c", "exit 3", NULL};
    CHECK_EQ_INT(pyro_runcmd(three, 0, &r), PYRO_OK);
    CHECK_EQ_INT(r.run.status, 3);
    CHECK_EQ_INT(r.run.signal, 0);

    char *killed[] = {"/bin/sh", "-c", "kill -TERM $$", NULL};
    CHECK_EQ_INT(pyro_runcmd(killed, 0, &r), PYRO_OK);
    CHECK_EQ_INT(r.run.signal, 15);
    CHECK_EQ_INT(r.run.status, 128 + 15);
    CHECK_EQ_INT(r.interrupted, 0);

    char *missing[] = {"pyrometer-no-such-command-x", NULL};
    CHECK_EQ_INT(pyro_runcmd(missing, pyro_counters_software(), &r), PYRO_OK);
    CHECK_EQ_INT(r.run.status, PYRO_RUNCMD_NOT_FOUND);
    CHECK_EQ_INT(r.exec_errno, ENOENT);
    CHECK(strstr(r.message, "pyrometer-no-such-command-x: command not found"));

    char *path[] = {"/nonexistent-dir/x", NULL};
    CHECK_EQ_INT(pyro_runcmd(path, 0, &r), PYRO_OK);
    CHECK_EQ_INT(r.run.status, PYRO_RUNCMD_NOT_FOUND);
    CHECK(strstr(r.message, "no such file or directory"));

    char tmpl[] = "/tmp/pyrometer-test-noexecXXXXXX";
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0);
    CHECK(write(fd, "#!/bin/sh\n", 10) == 10);
    close(fd);
    char *noexec[] = {tmpl, NULL};
    int rc = pyro_runcmd(noexec, 0, &r);
    unlink(tmpl);
    CHECK_EQ_INT(rc, PYRO_OK);
    CHECK_EQ_INT(r.run.status, PYRO_RUNCMD_NOT_EXECUTABLE);
    CHECK_EQ_INT(r.exec_errno, EACCES);
    CHECK(strstr(r.message, "cannot execute"));

    /* SIGCHLD ignored (as a parent may leave it): still reaped by us */
    struct sigaction ign, prev;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGCHLD, &ign, &prev);
    rc = pyro_runcmd(three, 0, &r);
    struct sigaction after;
    sigaction(SIGCHLD, &prev, &after);
    CHECK_EQ_INT(rc, PYRO_OK);
    CHECK_EQ_INT(r.run.status, 3);
    CHECK(after.sa_handler == SIG_IGN);

    char *empty[] = {NULL};
    CHECK_EQ_INT(pyro_runcmd(empty, 0, &r), PYRO_EINVAL);
}

static void test_runcmd_counts(void)
{
    /* the child's own CPU: a shell loop; counters (when this machine has
     * them) agree with the rusage */
    pyro_runcmd_result_t r;
    char *busy[] = {"/bin/sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done", NULL};
    CHECK_EQ_INT(pyro_runcmd(busy, (1u << PYRO_EV_COUNT) - 1, &r), PYRO_OK);
    CHECK_EQ_INT(r.run.status, 0);
    CHECK(r.run.fig[PYRO_FIG_USER] + r.run.fig[PYRO_FIG_SYS] > 0);
    CHECK(r.run.fig[PYRO_FIG_MINFLT] > 0);
    if (r.counter_err[PYRO_EV_PAGE_FAULTS] == 0) {
        double pf = r.run.ev[PYRO_EV_PAGE_FAULTS].value;
        double ru = r.run.fig[PYRO_FIG_MINFLT] + r.run.fig[PYRO_FIG_MAJFLT];
        CHECK(pf > 0 && pf <= ru + 50);
    }
    if (r.counter_err[PYRO_EV_TASK_CLOCK] == 0)
        CHECK(r.run.ev[PYRO_EV_TASK_CLOCK].value > 0);
}

/* The command says it runs (a line on an inherited pipe); then this
 * process gets a SIGTERM, which runcmd passes on to the command. */
static void *terminate_when_ready(void *arg)
{
    int fd = *(int *)arg;
    char buf[8];
    ssize_t n;
    do
        n = read(fd, buf, sizeof buf);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        kill(getpid(), SIGTERM);
    return NULL;
}

static void test_runcmd_passes_signals_on(void)
{
    int ready[2];
    CHECK(pipe(ready) == 0);
    char script[96];
    snprintf(script, sizeof script, "echo ready >&%d; exec sleep 30", ready[1]);
    char *cmd[] = {"/bin/sh", "-c", script, NULL};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, terminate_when_ready, &ready[0]) == 0);
    pyro_runcmd_result_t r;
    int rc = pyro_runcmd(cmd, 0, &r);
    close(ready[1]);
    pthread_join(t, NULL);
    close(ready[0]);
    CHECK_EQ_INT(rc, PYRO_OK);
    CHECK_EQ_INT(r.interrupted, SIGTERM);
    CHECK_EQ_INT(r.run.signal, SIGTERM);
    CHECK_EQ_INT(r.run.status, 128 + SIGTERM);
    /* the disposition is this process's again */
    struct sigaction now;
    CHECK(sigaction(SIGTERM, NULL, &now) == 0);
    CHECK(now.sa_handler == SIG_DFL);
}

/* ==== the report ==== */

static void fake_runs(pyro_runstat_t runs[2], pyro_evdesc_t ev[PYRO_EV_COUNT], int pmu)
{
    int err[PYRO_EV_COUNT] = {0}, user[PYRO_EV_COUNT] = {0};
    if (!pmu)
        for (int e = 0; e < PYRO_EV_COUNT; e++)
            if (pyro_event_info((pyro_event_t)e)->hardware)
                err[e] = ENOENT;
    pyro_counters_describe((1u << PYRO_EV_COUNT) - 1, err, user, 2, ev);
    memset(runs, 0, 2 * sizeof runs[0]);
    for (int i = 0; i < 2; i++) {
        pyro_runstat_t *r = &runs[i];
        r->fig[PYRO_FIG_WALL] = 1.0 + i;
        r->fig[PYRO_FIG_USER] = 0.5 + i;
        r->fig[PYRO_FIG_SYS] = 0.25;
        r->fig[PYRO_FIG_MAXRSS] = 100.0 * 1024 * 1024;
        r->fig[PYRO_FIG_MINFLT] = 1000 + i;
        pyro_runstat_derive(r);
        r->status = i; /* the second run fails */
        r->nevents = PYRO_EV_COUNT;
        r->ev[PYRO_EV_TASK_CLOCK].value = 0.75e9;
        r->ev[PYRO_EV_PAGE_FAULTS].value = 1000;
        if (pmu) {
            /* multiplexed: counted half the time, scaled to double */
            r->ev[PYRO_EV_CYCLES].raw = 1000000;
            r->ev[PYRO_EV_CYCLES].enabled = 200;
            r->ev[PYRO_EV_CYCLES].running = 100;
            r->ev[PYRO_EV_CYCLES].value = pyro_counter_scale(1000000, 200, 100, NULL);
            r->ev[PYRO_EV_INSTRUCTIONS].value = 3000000;
        }
    }
}

static void test_report_no_pmu(void)
{
    pyro_runstat_t runs[2];
    pyro_evdesc_t ev[PYRO_EV_COUNT];
    fake_runs(runs, ev, 0);
    const char *argv[] = {"python3", "work.py", "a \"b\""};
    pyro_stat_report_t r = {argv, 3, runs, 2, 2, ev, PYRO_EV_COUNT, 0};
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK_EQ_INT(pyro_render_stat_table(&r, &b), PYRO_OK);
    pyro_buf_putc(&b, '\0');
    const char *t = b.data;
    int ok = strstr(t, "pyrometer stat: python3 work.py 'a \"b\"'  (2 runs") &&
             strstr(t, "(2 runs") && strstr(t, "wall clock") && strstr(t, "1.500 s") &&
             strstr(t, "+-") && strstr(t, "100.0 MiB") && strstr(t, "exit statuses: 0 1") &&
             strstr(t, "task-clock") && strstr(t, "0.500 CPUs utilized") &&
             strstr(t, "hardware events (cycles, instructions, cache-references, cache-misses, "
                       "branches, branch-misses) not available here: no hardware performance "
                       "counters (PMU)") &&
             !strstr(t, "cycles not counted") && !strstr(t, "instructions per cycle");
    if (!ok)
        fprintf(stderr, "%s", t);
    CHECK(ok);
    /* the hardware line is one line */
    const char *hw = strstr(t, "hardware events");
    CHECK(strchr(hw, '\n') && !strstr(strchr(hw, '\n'), "PMU"));
    CHECK_EQ_INT(pyro_stat_status(&r), 1);

    b.len = 0;
    CHECK_EQ_INT(pyro_render_stat_json(&r, &b), PYRO_OK);
    pyro_buf_putc(&b, '\0');
    t = b.data;
    ok = strstr(t, "\"schema\": \"pyrometer-stat\"") &&
         strstr(t, "\"command\": [\"python3\", \"work.py\", \"a \\\"b\\\"\"]") &&
         strstr(t, "\"runs\": 2") && strstr(t, "\"exit_statuses\": [0, 1]") &&
         strstr(t, "\"status\": 1") &&
         strstr(t, "\"wall_s\": {\"unit\": \"s\", \"mean\": 1.5, \"stddev\": 0.707106781186548, "
                   "\"min\": 1, \"max\": 2, \"values\": [1, 2]}") &&
         strstr(t, "\"cycles\": {\"unit\": \"count\", \"hardware\": true, \"available\": false, "
                   "\"reason\": \"no hardware") &&
         strstr(t, "\"derived\": {}");
    if (!ok)
        fprintf(stderr, "%s", t);
    CHECK(ok);
    pyro_buf_free(&b);
}

static void test_report_pmu(void)
{
    pyro_runstat_t runs[2];
    pyro_evdesc_t ev[PYRO_EV_COUNT];
    fake_runs(runs, ev, 1);
    const char *argv[] = {"./a.out"};
    pyro_stat_report_t r = {argv, 1, runs, 1, 1, ev, PYRO_EV_COUNT, 0};
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK_EQ_INT(pyro_render_stat_table(&r, &b), PYRO_OK);
    pyro_buf_putc(&b, '\0');
    const char *t = b.data;
    int ok = strstr(t, "exit status 0\n") && !strstr(t, "+-") && strstr(t, "2000000") &&
             strstr(t, "multiplexed: scaled from 50% of the time") &&
             strstr(t, "instructions per cycle") && strstr(t, "1.50\n") &&
             !strstr(t, "not available here");
    if (!ok)
        fprintf(stderr, "%s", t);
    CHECK(ok);
    b.len = 0;
    CHECK_EQ_INT(pyro_render_stat_json(&r, &b), PYRO_OK);
    pyro_buf_putc(&b, '\0');
    ok = strstr(b.data, "\"scaled\": true") && strstr(b.data, "\"ipc\": 1.5") &&
         strstr(b.data, "\"raw\": [1000000]");
    if (!ok)
        fprintf(stderr, "%s", b.data);
    CHECK(ok);

    /* a run killed by a signal, an interrupted series */
    runs[0].signal = 9;
    runs[0].status = 137;
    r.interrupted = 2;
    r.requested = 5;
    b.len = 0;
    CHECK_EQ_INT(pyro_render_stat_table(&r, &b), PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "killed by signal 9"));
    CHECK(strstr(b.data, "status 137"));
    CHECK(strstr(b.data, "interrupted by signal 2"));
    CHECK(strstr(b.data, "after 1 of 5 runs"));
    CHECK_EQ_INT(pyro_stat_status(&r), 137);
    pyro_buf_free(&b);

    r.nruns = 0;
    CHECK_EQ_INT(pyro_render_stat_table(&r, &b), PYRO_EINVAL);
    CHECK_EQ_INT(pyro_render_stat_json(&r, &b), PYRO_EINVAL);
    r.nruns = 1;
    r.nevents = PYRO_RUNSTAT_MAX_EVENTS + 1;
    CHECK_EQ_INT(pyro_render_stat_json(&r, &b), PYRO_EINVAL);
    r.nevents = PYRO_EV_COUNT;

    /* every allocation failing: ENOMEM, nothing leaked */
    for (long n = 1; n < 4; n++) {
        pyro_buf_init(&b);
        test_alloc_fail_at(n);
        int rc = pyro_render_stat_json(&r, &b);
        test_alloc_reset();
        pyro_buf_free(&b);
        CHECK(rc == PYRO_ENOMEM || rc == PYRO_OK);
    }
}

void suite_stat(void)
{
    RUN(test_event_table);
    RUN(test_reasons);
    RUN(test_scaling);
    RUN(test_summary);
    RUN(test_probe);
    RUN(test_counter_group);
    RUN(test_evsample);
    RUN(test_runcmd_status);
    RUN(test_runcmd_counts);
    RUN(test_runcmd_passes_signals_on);
    RUN(test_report_no_pmu);
    RUN(test_report_pmu);
}
