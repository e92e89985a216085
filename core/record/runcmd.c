/* SPDX-License-Identifier: MIT */
/* runcmd: fork, count, exec, wait4 — one measured run of a command. */
#include "record/runcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/clock.h"
#include "model/error.h"

/* ==== signals passed on ==== */

static const int passed_on[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define NPASSED ((int)(sizeof passed_on / sizeof passed_on[0]))

/* Shared with the signal handler; written only while the handlers are not
 * installed (child_pid: set after fork, cleared before they are restored),
 * so a plain sig_atomic_t is enough. */
static volatile sig_atomic_t child_pid;
static volatile sig_atomic_t got_signal;

static void pass_on(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    got_signal = sig;
    /* SI_KERNEL: the terminal sent it to the whole process group, the
     * command has it already */
    if (child_pid > 0 && (!info || info->si_code != SI_KERNEL)) {
        int saved = errno;
        kill((pid_t)child_pid, sig);
        errno = saved;
    }
}

/* ==== the child, between fork and exec (async-signal-safe calls only) ==== */

static void child(char *const argv[], const int go[2], const int report[2],
                  const struct sigaction *old, const struct sigaction *old_chld)
{
    /* the command gets SIGCHLD as it was given to this process */
    sigaction(SIGCHLD, old_chld, NULL);
    /* the parent's ends: a parent that dies must end our wait on `go` */
    close(go[1]);
    close(report[0]);
    for (int i = 0; i < NPASSED; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        /* ignored before pyrometer ran (nohup, a background job): stays so */
        sa.sa_handler = old[i].sa_handler == SIG_IGN ? SIG_IGN : SIG_DFL;
        sigaction(passed_on[i], &sa, NULL);
    }
    /* what CPython ignores for itself, as subprocess restores it */
    signal(SIGPIPE, SIG_DFL);
    signal(SIGXFSZ, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    char b;
    ssize_t n;
    do
        n = read(go[0], &b, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(PYRO_RUNCMD_NOT_FOUND); /* the parent gave up: nothing runs */
    execvp(argv[0], argv);
    int err = errno;
    ssize_t w = write(report[1], &err, sizeof err);
    (void)w;
    _exit(err == ENOENT ? PYRO_RUNCMD_NOT_FOUND : PYRO_RUNCMD_NOT_EXECUTABLE);
}

static void exec_message(pyro_runcmd_result_t *out, const char *name)
{
    int err = out->exec_errno;
    if (err == ENOENT) {
        out->run.status = PYRO_RUNCMD_NOT_FOUND;
        if (strchr(name, '/'))
            snprintf(out->message, sizeof out->message, "%s: no such file or directory", name);
        else
            snprintf(out->message, sizeof out->message, "%s: command not found", name);
    } else {
        out->run.status = PYRO_RUNCMD_NOT_EXECUTABLE;
        snprintf(out->message, sizeof out->message, "%s: cannot execute: %s", name, strerror(err));
    }
}

static double tv_seconds(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

/* ==== one run ==== */

int pyro_runcmd(char *const argv[], uint32_t events, pyro_runcmd_result_t *out)
{
    int rc = PYRO_OK;
    int go[2] = {-1, -1}, report[2] = {-1, -1};
    struct sigaction old[NPASSED], old_chld;
    int installed = 0;
    /* on the stack: a child that fails to exec has nothing of ours on the heap */
    pyro_counters_t counters;
    pid_t pid = -1;

    memset(out, 0, sizeof *out);
    pyro_counters_init(&counters);
    if (!argv || !argv[0] || !argv[0][0])
        return PYRO_EINVAL;
    if (pipe2(go, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0) {
        rc = PYRO_EIO;
        goto cleanup;
    }
    got_signal = 0;
    child_pid = 0;
    for (int i = 0; i < NPASSED; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = pass_on;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(passed_on[i], &sa, &old[i]);
    }
    /* SIGCHLD ignored (inherited so from our parent) would reap the
     * command for us, and wait4 would see no child and no rusage */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGCHLD, &dfl, &old_chld);
    installed = 1;
    pid = fork();
    if (pid < 0) {
        rc = PYRO_EIO;
        goto cleanup;
    }
    if (pid == 0)
        child(argv, go, report, old, &old_chld);
    child_pid = pid;
    close(go[0]);
    close(report[1]);
    go[0] = report[1] = -1;

    pyro_counters_open(&counters, pid, events,
                       PYRO_COUNTERS_ENABLE_ON_EXEC | PYRO_COUNTERS_INHERIT);
    for (int e = 0; e < PYRO_EV_COUNT; e++) {
        out->counter_err[e] = counters.err[e];
        out->counter_user_only[e] = counters.user_only[e];
    }

    /* release the child: the clock starts here */
    int64_t t0 = pyro_clock_mono_ns();
    ssize_t n;
    do
        n = write(go[1], "g", 1);
    while (n < 0 && errno == EINTR);
    close(go[1]);
    go[1] = -1;
    int err = 0;
    do
        n = read(report[0], &err, sizeof err);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof err)
        out->exec_errno = err;

    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    pid_t w;
    do
        w = wait4(pid, &status, 0, &ru);
    while (w < 0 && errno == EINTR);
    int64_t t1 = pyro_clock_mono_ns();
    child_pid = 0;
    pid = -1;
    if (w < 0) {
        rc = PYRO_EIO;
        goto cleanup;
    }

    pyro_runstat_t *r = &out->run;
    pyro_counters_read(&counters, r);
    r->fig[PYRO_FIG_WALL] = (double)(t1 - t0) / 1e9;
    r->fig[PYRO_FIG_USER] = tv_seconds(ru.ru_utime);
    r->fig[PYRO_FIG_SYS] = tv_seconds(ru.ru_stime);
    r->fig[PYRO_FIG_MAXRSS] = (double)ru.ru_maxrss * 1024.0;
    r->fig[PYRO_FIG_MINFLT] = (double)ru.ru_minflt;
    r->fig[PYRO_FIG_MAJFLT] = (double)ru.ru_majflt;
    r->fig[PYRO_FIG_NVCSW] = (double)ru.ru_nvcsw;
    r->fig[PYRO_FIG_NIVCSW] = (double)ru.ru_nivcsw;
    r->fig[PYRO_FIG_INBLOCK] = (double)ru.ru_inblock;
    r->fig[PYRO_FIG_OUBLOCK] = (double)ru.ru_oublock;
    pyro_runstat_derive(r);
    if (WIFSIGNALED(status)) {
        r->signal = WTERMSIG(status);
        r->status = 128 + r->signal;
    } else {
        r->status = WEXITSTATUS(status);
    }
    if (out->exec_errno)
        exec_message(out, argv[0]);

cleanup:
    if (pid > 0) {
        /* made, never released or never reaped: it must not run on */
        if (go[1] >= 0) {
            close(go[1]);
            go[1] = -1;
        }
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    child_pid = 0;
    if (installed) {
        for (int i = 0; i < NPASSED; i++)
            sigaction(passed_on[i], &old[i], NULL);
        sigaction(SIGCHLD, &old_chld, NULL);
    }
    out->interrupted = got_signal;
    int saved = errno;
    for (int i = 0; i < 2; i++) {
        if (go[i] >= 0)
            close(go[i]);
        if (report[i] >= 0)
            close(report[i]);
    }
    pyro_counters_close(&counters);
    errno = saved;
    return rc;
}
