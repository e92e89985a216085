/* SPDX-License-Identifier: MIT */
/* fmt_stat: the stat command's table and JSON. */
#include "format/fmt_stat.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/error.h"

#define LABEL_W 30

/* ==== values in the units people read ==== */

void pyro_stat_put_value(pyro_buf_t *b, pyro_figunit_t unit, double v)
{
    switch (unit) {
    case PYRO_FIGU_NS: /* shown as seconds */
    case PYRO_FIGU_SECONDS:
        if (unit == PYRO_FIGU_NS)
            v /= 1e9;
        if (v == 0)
            pyro_buf_puts(b, "0 s");
        else if (v >= 1.0)
            pyro_buf_printf(b, "%.3f s", v);
        else if (v >= 1e-3)
            pyro_buf_printf(b, "%.3f ms", v * 1e3);
        else
            pyro_buf_printf(b, "%.1f us", v * 1e6);
        break;
    case PYRO_FIGU_PERCENT:
        pyro_buf_printf(b, "%.1f %%", v);
        break;
    case PYRO_FIGU_BYTES:
        if (v >= 1024.0 * 1024 * 1024)
            pyro_buf_printf(b, "%.2f GiB", v / (1024.0 * 1024 * 1024));
        else if (v >= 1024.0 * 1024)
            pyro_buf_printf(b, "%.1f MiB", v / (1024.0 * 1024));
        else
            pyro_buf_printf(b, "%.0f KiB", v / 1024.0);
        break;
    case PYRO_FIGU_COUNT:
        if (v == floor(v))
            pyro_buf_printf(b, "%.0f", v);
        else
            pyro_buf_printf(b, "%.1f", v);
        break;
    }
}

/* One row: label, the mean (or the only value), and for several runs the
 * standard deviation (relative to the mean) and the range. */
static void put_row(pyro_buf_t *b, const char *label, pyro_figunit_t unit, pyro_summary_t s,
                    const char *note)
{
    pyro_buf_printf(b, "  %-*s", LABEL_W, label);
    size_t at = b->len;
    pyro_stat_put_value(b, unit, s.mean);
    pyro_buf_align_right(b, at, 14);
    if (s.n > 1) {
        if (s.mean != 0)
            pyro_buf_printf(b, "  +- %5.1f%%", 100.0 * s.stddev / fabs(s.mean));
        else
            pyro_buf_puts(b, "  +-   0.0%");
        pyro_buf_puts(b, "  (");
        pyro_stat_put_value(b, unit, s.min);
        pyro_buf_puts(b, " .. ");
        pyro_stat_put_value(b, unit, s.max);
        pyro_buf_putc(b, ')');
    }
    if (note && *note)
        pyro_buf_printf(b, "  %s", note);
    pyro_buf_putc(b, '\n');
}

static pyro_summary_t figure_summary(const pyro_stat_report_t *r, pyro_figure_t f)
{
    pyro_summary_t s;
    memset(&s, 0, sizeof s);
    for (uint32_t i = 0; i < r->nruns; i++)
        pyro_summary_add(&s, r->runs[i].fig[f]);
    return s;
}

static pyro_summary_t event_summary(const pyro_stat_report_t *r, uint32_t k)
{
    pyro_summary_t s;
    memset(&s, 0, sizeof s);
    for (uint32_t i = 0; i < r->nruns; i++)
        pyro_summary_add(&s, r->runs[i].ev[k].value);
    return s;
}

static int event_scaled(const pyro_stat_report_t *r, uint32_t k, double *share)
{
    int scaled = 0;
    double least = 1.0;
    for (uint32_t i = 0; i < r->nruns; i++) {
        const pyro_evcount_t *e = &r->runs[i].ev[k];
        if (e->running < e->enabled) {
            scaled = 1;
            double f = e->enabled ? (double)e->running / (double)e->enabled : 0;
            least = f < least ? f : least;
        }
    }
    *share = least;
    return scaled;
}

static int find_event(const pyro_stat_report_t *r, const char *name)
{
    for (uint32_t k = 0; k < r->nevents; k++)
        if (r->events[k].available && strcmp(r->events[k].name, name) == 0)
            return (int)k;
    return -1;
}

static int check(const pyro_stat_report_t *r)
{
    return !r || r->nruns == 0 || !r->runs || r->nevents > PYRO_RUNSTAT_MAX_EVENTS ||
                   (r->nevents && !r->events)
               ? PYRO_EINVAL
               : PYRO_OK;
}

int pyro_stat_status(const pyro_stat_report_t *r)
{
    for (uint32_t i = 0; r && i < r->nruns; i++)
        if (r->runs[i].status != 0)
            return r->runs[i].status;
    return 0;
}

/* ==== the table ==== */

/* The command as a shell would read it back: a word with anything but
 * plain characters in single quotes. */
static void put_command(pyro_buf_t *b, const pyro_stat_report_t *r)
{
    for (uint32_t i = 0; i < r->argc; i++) {
        const char *w = r->argv[i];
        if (i)
            pyro_buf_putc(b, ' ');
        int plain = *w != '\0';
        for (const char *c = w; *c && plain; c++)
            plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                           "_./=:,+@%-",
                           *c) != NULL;
        if (plain) {
            pyro_buf_puts(b, w);
            continue;
        }
        pyro_buf_putc(b, '\'');
        for (const char *c = w; *c; c++) {
            if (*c == '\'')
                pyro_buf_puts(b, "'\\''");
            else
                pyro_buf_putc(b, *c);
        }
        pyro_buf_putc(b, '\'');
    }
}

static void put_statuses(pyro_buf_t *b, const pyro_stat_report_t *r)
{
    int all_zero = pyro_stat_status(r) == 0;
    if (r->nruns == 1) {
        const pyro_runstat_t *x = &r->runs[0];
        if (x->signal)
            pyro_buf_printf(b, "  killed by signal %d (%s): status %d\n", x->signal,
                            strsignal(x->signal), x->status);
        else
            pyro_buf_printf(b, "  exit status %d\n", x->status);
        return;
    }
    if (all_zero) {
        pyro_buf_printf(b, "  exit status 0 in each of the %u runs\n", r->nruns);
        return;
    }
    pyro_buf_puts(b, "  exit statuses:");
    for (uint32_t i = 0; i < r->nruns; i++)
        pyro_buf_printf(b, " %d", r->runs[i].status);
    pyro_buf_puts(b, "  (a run that failed is measured like the others)\n");
}

int pyro_render_stat_table(const pyro_stat_report_t *r, pyro_buf_t *b)
{
    int rc = check(r);
    if (rc < 0)
        return rc;
    pyro_buf_puts(b, "\n pyrometer stat: ");
    put_command(b, r);
    if (r->nruns > 1 || r->requested > 1)
        pyro_buf_printf(b, "  (%u runs: mean, +- std dev, (min .. max))", r->nruns);
    pyro_buf_puts(b, "\n\n");
    if (r->interrupted)
        pyro_buf_printf(b, "  interrupted by signal %d (%s) after %u of %u runs\n", r->interrupted,
                        strsignal(r->interrupted), r->nruns, r->requested);

    for (int f = 0; f < PYRO_FIG_COUNT; f++)
        put_row(b, pyro_figure_label((pyro_figure_t)f), pyro_figure_unit((pyro_figure_t)f),
                figure_summary(r, (pyro_figure_t)f), NULL);
    put_statuses(b, r);

    /* perf events: software ones, then hardware ones that counted */
    int any = 0;
    for (uint32_t k = 0; k < r->nevents; k++) {
        const pyro_evdesc_t *d = &r->events[k];
        if (!d->available)
            continue;
        if (!any)
            pyro_buf_puts(b, "\n  perf events (the command and its children)\n");
        any = 1;
        char note[96] = "";
        pyro_summary_t s = event_summary(r, k);
        double share;
        if (strcmp(d->name, "task-clock") == 0) {
            pyro_summary_t wall = figure_summary(r, PYRO_FIG_WALL);
            if (wall.mean > 0)
                snprintf(note, sizeof note, "%.3f CPUs utilized", s.mean / 1e9 / wall.mean);
        }
        if (event_scaled(r, k, &share))
            snprintf(note + strlen(note), sizeof note - strlen(note),
                     "%s(multiplexed: scaled from %.0f%% of the time)", *note ? "  " : "",
                     100.0 * share);
        if (d->user_only)
            snprintf(note + strlen(note), sizeof note - strlen(note), "%s(user space only)",
                     *note ? "  " : "");
        put_row(b, d->name, d->unit, s, note);
    }
    int cycles = find_event(r, "cycles"), instr = find_event(r, "instructions");
    if (cycles >= 0 && instr >= 0) {
        pyro_summary_t c = event_summary(r, (uint32_t)cycles);
        pyro_summary_t i = event_summary(r, (uint32_t)instr);
        pyro_buf_printf(b, "  %-*s%14.2f\n", LABEL_W, "instructions per cycle",
                        c.mean > 0 ? i.mean / c.mean : 0.0);
    }

    /* what was not counted: hardware events in one line when they share a
     * reason (no PMU), every other event on its own */
    const char *hw_reason = NULL;
    int hw_same = 1, hw_missing = 0;
    for (uint32_t k = 0; k < r->nevents; k++) {
        const pyro_evdesc_t *d = &r->events[k];
        if (d->available || !d->hardware)
            continue;
        hw_missing++;
        if (!hw_reason)
            hw_reason = d->reason;
        else if (strcmp(hw_reason, d->reason) != 0)
            hw_same = 0;
    }
    int hw_counted = 0;
    for (uint32_t k = 0; k < r->nevents; k++)
        hw_counted += r->events[k].hardware && r->events[k].available;
    if (hw_missing && hw_same && !hw_counted) {
        pyro_buf_puts(b, "\n  hardware events (");
        int first = 1;
        for (uint32_t k = 0; k < r->nevents; k++)
            if (r->events[k].hardware) {
                pyro_buf_printf(b, "%s%s", first ? "" : ", ", r->events[k].name);
                first = 0;
            }
        pyro_buf_printf(b, ") not available here: %s\n", hw_reason);
    }
    for (uint32_t k = 0; k < r->nevents; k++) {
        const pyro_evdesc_t *d = &r->events[k];
        if (d->available || (d->hardware && hw_same && !hw_counted))
            continue;
        pyro_buf_printf(b, "  %s not counted: %s\n", d->name, d->reason);
    }
    pyro_buf_putc(b, '\n');
    return pyro_buf_status(b);
}

/* ==== JSON ==== */

static const char *unit_name(pyro_figunit_t u)
{
    switch (u) {
    case PYRO_FIGU_SECONDS:
        return "s";
    case PYRO_FIGU_PERCENT:
        return "percent";
    case PYRO_FIGU_BYTES:
        return "bytes";
    case PYRO_FIGU_NS:
        return "ns";
    case PYRO_FIGU_COUNT:
        break;
    }
    return "count";
}

static void put_summary(pyro_buf_t *b, pyro_summary_t s)
{
    pyro_buf_printf(b, "\"mean\": %.15g, \"stddev\": %.15g, \"min\": %.15g, \"max\": %.15g", s.mean,
                    s.stddev, s.min, s.max);
}

int pyro_render_stat_json(const pyro_stat_report_t *r, pyro_buf_t *b)
{
    int rc = check(r);
    if (rc < 0)
        return rc;
    pyro_buf_puts(b, "{\"schema\": \"pyrometer-stat\", \"version\": 1, \"command\": [");
    for (uint32_t i = 0; i < r->argc; i++) {
        if (i)
            pyro_buf_puts(b, ", ");
        pyro_buf_json_str(b, r->argv[i], strlen(r->argv[i]));
    }
    pyro_buf_printf(b, "], \"runs\": %u, \"requested_runs\": %u, \"interrupted_by\": ", r->nruns,
                    r->requested);
    if (r->interrupted)
        pyro_buf_printf(b, "%d", r->interrupted);
    else
        pyro_buf_puts(b, "null");
    pyro_buf_printf(b, ", \"status\": %d, \"exit_statuses\": [", pyro_stat_status(r));
    for (uint32_t i = 0; i < r->nruns; i++)
        pyro_buf_printf(b, "%s%d", i ? ", " : "", r->runs[i].status);
    pyro_buf_puts(b, "], \"signals\": [");
    for (uint32_t i = 0; i < r->nruns; i++)
        pyro_buf_printf(b, "%s%d", i ? ", " : "", r->runs[i].signal);
    pyro_buf_puts(b, "],\n \"figures\": {");
    for (int f = 0; f < PYRO_FIG_COUNT; f++) {
        pyro_buf_printf(b, "%s\n  \"%s\": {\"unit\": \"%s\", ", f ? "," : "",
                        pyro_figure_key((pyro_figure_t)f),
                        unit_name(pyro_figure_unit((pyro_figure_t)f)));
        put_summary(b, figure_summary(r, (pyro_figure_t)f));
        pyro_buf_puts(b, ", \"values\": [");
        for (uint32_t i = 0; i < r->nruns; i++)
            pyro_buf_printf(b, "%s%.15g", i ? ", " : "", r->runs[i].fig[f]);
        pyro_buf_puts(b, "]}");
    }
    pyro_buf_puts(b, "},\n \"events\": {");
    for (uint32_t k = 0; k < r->nevents; k++) {
        const pyro_evdesc_t *d = &r->events[k];
        pyro_buf_printf(b, "%s\n  \"%s\": {\"unit\": \"%s\", \"hardware\": %s, \"available\": %s",
                        k ? "," : "", d->name, unit_name(d->unit), d->hardware ? "true" : "false",
                        d->available ? "true" : "false");
        if (!d->available) {
            pyro_buf_puts(b, ", \"reason\": ");
            pyro_buf_json_str(b, d->reason, strlen(d->reason));
            pyro_buf_putc(b, '}');
            continue;
        }
        double share;
        int scaled = event_scaled(r, k, &share);
        pyro_buf_printf(b, ", \"user_only\": %s, \"scaled\": %s, ", d->user_only ? "true" : "false",
                        scaled ? "true" : "false");
        put_summary(b, event_summary(r, k));
        pyro_buf_puts(b, ", \"values\": [");
        for (uint32_t i = 0; i < r->nruns; i++)
            pyro_buf_printf(b, "%s%.15g", i ? ", " : "", r->runs[i].ev[k].value);
        pyro_buf_puts(b, "], \"raw\": [");
        for (uint32_t i = 0; i < r->nruns; i++)
            pyro_buf_printf(b, "%s%llu", i ? ", " : "", (unsigned long long)r->runs[i].ev[k].raw);
        pyro_buf_puts(b, "]}");
    }
    pyro_buf_puts(b, "},\n \"derived\": {");
    int cycles = find_event(r, "cycles"), instr = find_event(r, "instructions");
    if (cycles >= 0 && instr >= 0) {
        double c = event_summary(r, (uint32_t)cycles).mean;
        pyro_buf_printf(b, "\"ipc\": %.15g",
                        c > 0 ? event_summary(r, (uint32_t)instr).mean / c : 0.0);
    }
    pyro_buf_puts(b, "}}\n");
    return pyro_buf_status(b);
}
