/* SPDX-License-Identifier: MIT */
/* fmt_bench: the report of `pyrometer bench` (see fmt_bench.h). */
#include "format/fmt_bench.h"

#include <math.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"

/* ==== units ==== */

void pyro_bench_put_time(pyro_buf_t *b, double seconds)
{
    static const struct {
        double scale;
        const char *unit;
    } units[] = {{1e-9, "ns"}, {1e-6, "\xc2\xb5s"}, {1e-3, "ms"}, {1.0, "s"}};
    int u = 0;
    double a = fabs(seconds);
    while (u < 3 && a >= units[u + 1].scale * 0.9995)
        u++;
    double v = seconds / units[u].scale, av = fabs(v);
    int decimals = av >= 99.95 ? 0 : av >= 9.995 ? 1 : 2;
    pyro_buf_printf(b, "%.*f %s", decimals, v, units[u].unit);
}

/* Bytes in KiB, MiB or GiB with one decimal. */
static void put_bytes(pyro_buf_t *b, double bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB"};
    double v = bytes / 1024.0;
    int u = 0;
    while (u < 2 && v >= 1024.0) {
        v /= 1024.0;
        u++;
    }
    pyro_buf_printf(b, "%.1f %s", v, units[u]);
}

/* ==== one sample ==== */

static const double *values_of(const pyro_bench_sample_t *s, int clock)
{
    return clock == PYRO_BENCH_CPU ? s->cpu : s->wall;
}

static double mean_of(const double *x, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    return n ? sum / (double)n : 0.0;
}

int pyro_bench_warnings(const pyro_bench_sample_t *s, int clock, pyro_buf_t *out)
{
    pyro_sampstat_t st;
    const double *x = values_of(s, clock);
    int count = 0;
    if (!x || pyro_sampstat_compute(x, s->n, &st) || !(st.mean > 0.0))
        return 0;
    const char *what = clock == PYRO_BENCH_CPU ? "CPU time" : "wall time";
    if (st.n > 1 && st.stdev >= PYRO_BENCH_WARN_STDEV * st.mean) {
        pyro_buf_printf(out,
                        "warning: unstable %s: the std dev is %.0f%% of the mean (10%% or more)\n",
                        what, 100.0 * st.stdev / st.mean);
        count++;
    }
    double below = (st.mean - st.min) / st.mean, above = (st.max - st.mean) / st.mean;
    if (below >= PYRO_BENCH_WARN_EXTREME || above >= PYRO_BENCH_WARN_EXTREME) {
        int max_side = above >= below;
        pyro_buf_printf(out, "warning: unstable %s: the %s is %.0f%% %s the mean (50%% or more)\n",
                        what, max_side ? "max" : "min", 100.0 * (max_side ? above : below),
                        max_side ? "above" : "below");
        count++;
    }
    if (st.outliers) {
        pyro_buf_printf(out,
                        "warning: %zu of %zu values are outliers (modified z-score above %.1f, "
                        "from the median absolute deviation): another process or an interrupt "
                        "may have disturbed them\n",
                        st.outliers, st.n, PYRO_OUTLIER_Z);
        count++;
    }
    if (s->warmup > 0.0 && s->warmup >= PYRO_BENCH_SLOW_WARMUP * st.median) {
        pyro_buf_printf(out,
                        "note: the warm-up was %.1fx slower than the median (caches filling, lazy "
                        "imports); warm-ups are left out of the statistics\n",
                        s->warmup / st.median);
    }
    if (s->cpu) {
        double w = mean_of(s->wall, s->n), c = mean_of(s->cpu, s->n);
        if (c >= 0.5 * w && w >= PYRO_BENCH_WARN_WALLCPU * c && c > 0.0) {
            pyro_buf_printf(out,
                            "warning: the wall time is %.2fx the CPU time: the machine is busy "
                            "(other processes took the CPU); judge by CPU time (--clock cpu)\n",
                            w / c);
            count++;
        }
    }
    return count;
}

/* A histogram of the values: ten bins between min and max, bars of '#'. */
static void histogram(const double *x, size_t n, double min, double max, pyro_buf_t *out)
{
    enum { BINS = 10, WIDTH = 40 };
    size_t counts[BINS] = {0}, top = 0;
    double width = (max - min) / BINS;
    for (size_t i = 0; i < n; i++) {
        int bin = width > 0.0 ? (int)((x[i] - min) / width) : 0;
        if (bin >= BINS)
            bin = BINS - 1;
        if (bin < 0)
            bin = 0;
        counts[bin]++;
    }
    for (int i = 0; i < BINS; i++)
        if (counts[i] > top)
            top = counts[i];
    int bins = width > 0.0 ? BINS : 1;
    for (int i = 0; i < bins; i++) {
        size_t start = out->len;
        pyro_buf_puts(out, "  ");
        pyro_bench_put_time(out, min + width * i);
        size_t used = out->len - start;
        /* the micro sign is two bytes and one column */
        if (out->len >= 2 && !out->failed && memchr(out->data + start, '\xb5', used))
            used--;
        pyro_buf_fill(out, ' ', used < 14 ? 14 - used : 1);
        pyro_buf_printf(out, "%4zu ", counts[i]);
        pyro_buf_fill(out, '#', top ? (counts[i] * WIDTH + top - 1) / top : 0);
        pyro_buf_putc(out, '\n');
    }
}

/* The counters line: each counter's mean per loop (a script: per run) over
 * the processes: whole events from 100 on, else three significant digits. */
static void put_counters(const pyro_bench_sample_t *s, pyro_buf_t *out)
{
    size_t shown = 0, procs = 0;
    for (size_t k = 0; k < s->ncounters && k < PYRO_BENCH_MAX_COUNTERS; k++) {
        pyro_sampstat_t c;
        if (!s->counter_vals[k] || !s->ncounter_vals[k] ||
            pyro_sampstat_compute(s->counter_vals[k], s->ncounter_vals[k], &c))
            continue;
        pyro_buf_puts(out, shown ? ", " : s->startup ? "  per run: " : "  per loop: ");
        if (c.mean >= 100) /* whole events: "28514 page-faults", not "2.85e+04" */
            pyro_buf_printf(out, "%.0f %s", c.mean, s->counter_name[k]);
        else
            pyro_buf_printf(out, "%.3g %s", c.mean, s->counter_name[k]);
        shown++;
        if (c.n > procs)
            procs = c.n;
    }
    if (shown)
        pyro_buf_printf(out, " (mean of %zu %s)\n", procs,
                        s->startup ? (procs == 1 ? "run" : "runs")
                                   : (procs == 1 ? "process" : "processes"));
}

int pyro_bench_format(const pyro_bench_sample_t *s, int clock, int verbose, pyro_buf_t *out)
{
    int rc = PYRO_OK;
    pyro_sampstat_t st;
    const double *x = values_of(s, clock);
    if ((clock != PYRO_BENCH_WALL && clock != PYRO_BENCH_CPU) || !x) {
        rc = PYRO_EINVAL;
        goto cleanup;
    }
    if ((rc = pyro_sampstat_compute(x, s->n, &st)))
        goto cleanup;
    pyro_buf_printf(out, "%s\n  ", s->name);
    pyro_bench_put_time(out, st.mean);
    pyro_buf_puts(out, " \xc2\xb1 ");
    pyro_bench_put_time(out, st.stdev);
    pyro_buf_printf(out, " per loop (mean \xc2\xb1 std dev, %s)\n  median ",
                    clock == PYRO_BENCH_CPU ? "CPU time" : "wall time");
    pyro_bench_put_time(out, st.median);
    pyro_buf_puts(out, ", min ");
    pyro_bench_put_time(out, st.min);
    pyro_buf_puts(out, ", max ");
    pyro_bench_put_time(out, st.max);
    const double *y = clock == PYRO_BENCH_CPU ? s->wall : s->cpu;
    if (y) {
        pyro_buf_printf(out, "; %s mean ", clock == PYRO_BENCH_CPU ? "wall" : "CPU");
        pyro_bench_put_time(out, mean_of(y, s->n));
    }
    pyro_buf_printf(out, "\n  %zu value%s of %.0f loop%s", st.n, st.n == 1 ? "" : "s", s->loops,
                    s->loops == 1.0 ? "" : "s");
    if (s->workers)
        pyro_buf_printf(out, ", from %zu worker process%s\n", s->workers,
                        s->workers == 1 ? "" : "es");
    else
        pyro_buf_puts(out, ", in this process\n");
    if (s->startup) {
        pyro_sampstat_t up;
        if (!pyro_sampstat_compute(s->startup, s->n, &up)) {
            pyro_buf_puts(out, "  interpreter start-up (python -c pass) ");
            pyro_bench_put_time(out, up.mean);
            pyro_buf_puts(out, " \xc2\xb1 ");
            pyro_bench_put_time(out, up.stdev);
            pyro_buf_puts(out, " a run (wall), included in the times above\n");
        }
    }
    if (s->maxrss && s->nmaxrss) {
        pyro_sampstat_t rss;
        if (!pyro_sampstat_compute(s->maxrss, s->nmaxrss, &rss)) {
            pyro_buf_puts(out, "  max RSS ");
            put_bytes(out, rss.mean);
            pyro_buf_printf(out, " (mean of %zu process%s", rss.n, rss.n == 1 ? "" : "es");
            if (rss.n > 1) {
                pyro_buf_puts(out, "; ");
                put_bytes(out, rss.min);
                pyro_buf_puts(out, " to ");
                put_bytes(out, rss.max);
            }
            pyro_buf_puts(out, ")\n");
        }
    }
    put_counters(s, out);
    if (verbose)
        histogram(x, st.n, st.min, st.max, out);
    pyro_bench_warnings(s, clock, out);
    rc = pyro_buf_status(out);
cleanup:
    return rc;
}

/* ==== comparison ==== */

static void put_ratio(pyro_buf_t *b, double r)
{
    int decimals = r >= 99.95 ? 0 : r >= 9.995 ? 1 : 2;
    pyro_buf_printf(b, "%.*fx", decimals, r);
}

void pyro_bench_verdict(const char *base, const char *other, const pyro_ratio_t *r, pyro_buf_t *out)
{
    int faster = r->speedup >= 1.0;
    double f = faster ? r->speedup : 1.0 / r->speedup;
    double lo = faster ? r->lo : 1.0 / r->hi, hi = faster ? r->hi : 1.0 / r->lo;
    if (r->significant) {
        pyro_buf_printf(out, "%s is ", other);
        put_ratio(out, f);
        pyro_buf_printf(out, " %s than %s (%.0f%% CI ", faster ? "faster" : "slower", base,
                        100.0 * r->confidence);
        put_ratio(out, lo);
        pyro_buf_puts(out, " to ");
        put_ratio(out, hi);
        pyro_buf_puts(out, "): significant");
    } else {
        pyro_buf_printf(out, "%s vs %s: no significant difference (speedup ", other, base);
        put_ratio(out, r->speedup);
        pyro_buf_printf(out, ", %.0f%% CI ", 100.0 * r->confidence);
        put_ratio(out, r->lo);
        pyro_buf_puts(out, " to ");
        put_ratio(out, r->hi);
        pyro_buf_putc(out, ')');
    }
    if (r->p < 0.001)
        pyro_buf_puts(out, " (Welch's t-test on log times, p < 0.001)\n");
    else
        pyro_buf_printf(out, " (Welch's t-test on log times, p = %.3f)\n", r->p);
}

/* The values a comparison treats as independent: each worker's mean when the
 * n values came from 2 or more workers with several values each, else the
 * values themselves. *owned is NULL or a new array to pyro_free. */
static int units_of(const pyro_bench_sample_t *s, int clock, double **owned, const double **units,
                    size_t *n)
{
    const double *x = values_of(s, clock);
    *owned = NULL;
    *units = x;
    *n = s->n;
    if (!x)
        return PYRO_EINVAL;
    if (s->workers < 2 || s->n % s->workers || s->n / s->workers < 2)
        return PYRO_OK;
    size_t per = s->n / s->workers;
    double *m = pyro_malloc(s->workers * sizeof *m);
    if (!m)
        return PYRO_ENOMEM;
    for (size_t w = 0; w < s->workers; w++) {
        double sum = 0.0;
        for (size_t j = 0; j < per; j++)
            sum += x[w * per + j];
        m[w] = sum / (double)per;
    }
    *owned = m;
    *units = m;
    *n = s->workers;
    return PYRO_OK;
}

int pyro_bench_compare_samples(const pyro_bench_sample_t *base, const pyro_bench_sample_t *other,
                               int clock, double confidence, pyro_ratio_t *out)
{
    int rc = PYRO_OK;
    double *owned_a = NULL, *owned_b = NULL;
    const double *a, *b;
    size_t na, nb;
    memset(out, 0, sizeof *out);
    if ((rc = units_of(base, clock, &owned_a, &a, &na)) ||
        (rc = units_of(other, clock, &owned_b, &b, &nb)))
        goto cleanup;
    rc = pyro_ratio_compare(a, na, b, nb, confidence, out);
cleanup:
    pyro_free(owned_a);
    pyro_free(owned_b);
    return rc;
}

int pyro_bench_format_compare(const pyro_bench_sample_t *s, size_t k, int clock, double confidence,
                              int verbose, pyro_ratio_t *speedups, pyro_buf_t *out)
{
    int rc = PYRO_OK;
    pyro_ratio_t *r = NULL;
    if (k < 2 || k > 26 || (clock != PYRO_BENCH_WALL && clock != PYRO_BENCH_CPU)) {
        rc = PYRO_EINVAL;
        goto cleanup;
    }
    if (!(r = pyro_calloc(k, sizeof *r))) {
        rc = PYRO_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 1; i < k; i++)
        if ((rc = pyro_bench_compare_samples(&s[0], &s[i], clock, confidence, &r[i - 1])))
            goto cleanup;
    for (size_t i = 0; i < k; i++) {
        pyro_buf_printf(out, "%c: ", (char)('A' + i));
        if ((rc = pyro_bench_format(&s[i], clock, verbose, out)))
            goto cleanup;
    }
    pyro_buf_putc(out, '\n');
    for (size_t i = 1; i < k; i++) {
        char a[2] = {'A', 0}, b[2] = {(char)('A' + i), 0};
        if (speedups)
            speedups[i - 1] = r[i - 1];
        pyro_bench_verdict(a, b, &r[i - 1], out);
    }
    rc = pyro_buf_status(out);
cleanup:
    pyro_free(r);
    return rc;
}
