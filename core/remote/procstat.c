/* SPDX-License-Identifier: MIT */
/* procstat: one pread of /proc/PID/task/TID/stat, parsed after the last ')'. */
#include "remote/procstat.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

char pyro_stat_state(const char *text)
{
    const char *close = strrchr(text, ')');
    return close && close[1] == ' ' && close[2] ? close[2] : '?';
}

char pyro_task_state(int pid, uint64_t tid)
{
    char path[96], buf[512];
    snprintf(path, sizeof path, "/proc/%d/task/%llu/stat", pid, (unsigned long long)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return '?';
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    if (n <= 0)
        return '?';
    buf[n] = '\0';
    return pyro_stat_state(buf);
}
