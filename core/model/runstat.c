/* SPDX-License-Identifier: MIT */
/* runstat: names, units and summaries of a command's figures. */
#include "model/runstat.h"

#include <math.h>
#include <string.h>

/* ==== the figures ==== */

static const struct {
    const char *key, *label;
    pyro_figunit_t unit;
} figures[PYRO_FIG_COUNT] = {
    [PYRO_FIG_WALL] = {"wall_s", "wall clock", PYRO_FIGU_SECONDS},
    [PYRO_FIG_USER] = {"user_s", "user CPU", PYRO_FIGU_SECONDS},
    [PYRO_FIG_SYS] = {"sys_s", "system CPU", PYRO_FIGU_SECONDS},
    [PYRO_FIG_CPU] = {"cpu_percent", "CPU (user+sys)/wall", PYRO_FIGU_PERCENT},
    [PYRO_FIG_MAXRSS] = {"maxrss_bytes", "max RSS", PYRO_FIGU_BYTES},
    [PYRO_FIG_MINFLT] = {"minor_faults", "minor page faults", PYRO_FIGU_COUNT},
    [PYRO_FIG_MAJFLT] = {"major_faults", "major page faults", PYRO_FIGU_COUNT},
    [PYRO_FIG_NVCSW] = {"voluntary_switches", "voluntary context switches", PYRO_FIGU_COUNT},
    [PYRO_FIG_NIVCSW] = {"involuntary_switches", "involuntary context switches", PYRO_FIGU_COUNT},
    [PYRO_FIG_INBLOCK] = {"fs_inputs", "file system inputs", PYRO_FIGU_COUNT},
    [PYRO_FIG_OUBLOCK] = {"fs_outputs", "file system outputs", PYRO_FIGU_COUNT},
};

const char *pyro_figure_key(pyro_figure_t f)
{
    return (unsigned)f < PYRO_FIG_COUNT ? figures[f].key : NULL;
}

const char *pyro_figure_label(pyro_figure_t f)
{
    return (unsigned)f < PYRO_FIG_COUNT ? figures[f].label : NULL;
}

pyro_figunit_t pyro_figure_unit(pyro_figure_t f)
{
    return (unsigned)f < PYRO_FIG_COUNT ? figures[f].unit : PYRO_FIGU_COUNT;
}

/* ==== arithmetic ==== */

void pyro_summary_add(pyro_summary_t *s, double x)
{
    if (s->n == 0 || x < s->min)
        s->min = x;
    if (s->n == 0 || x > s->max)
        s->max = x;
    s->n++;
    double d = x - s->mean;
    s->mean += d / (double)s->n;
    s->m2 += d * (x - s->mean);
    s->stddev = s->n > 1 ? sqrt(s->m2 / (double)(s->n - 1)) : 0.0;
}

pyro_summary_t pyro_summarize(const double *v, size_t n)
{
    pyro_summary_t s;
    memset(&s, 0, sizeof s);
    for (size_t i = 0; i < n; i++)
        pyro_summary_add(&s, v[i]);
    return s;
}

void pyro_runstat_derive(pyro_runstat_t *r)
{
    double wall = r->fig[PYRO_FIG_WALL];
    r->fig[PYRO_FIG_CPU] =
        wall > 0 ? 100.0 * (r->fig[PYRO_FIG_USER] + r->fig[PYRO_FIG_SYS]) / wall : 0.0;
}

double pyro_counter_scale(uint64_t raw, uint64_t enabled, uint64_t running, int *scaled)
{
    if (scaled)
        *scaled = 0;
    if (running == 0)
        return 0.0;
    if (running >= enabled)
        return (double)raw;
    if (scaled)
        *scaled = 1;
    return (double)raw * ((double)enabled / (double)running);
}
