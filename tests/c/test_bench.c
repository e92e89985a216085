/* SPDX-License-Identifier: MIT */
/* test_bench: the statistics of `pyrometer bench` (summary, MAD outliers,
 * incomplete beta, Student t, Welch's test and the ratio's interval) against
 * reference numbers, and its report (units, warnings, verdicts, failing
 * allocations). The reference numbers were computed once with scipy 1.x
 * (scipy.special.betainc, scipy.stats.t.sf/ppf, scipy.stats.ttest_ind with
 * equal_var=False on np.log of the values, numpy mean/std(ddof=1)/median,
 * scipy.stats.median_abs_deviation) in a scratch environment; scipy is not
 * needed to run these tests. Closed forms (df 1 and 2) check the t
 * distribution independently of scipy. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "format/fmt_bench.h"
#include "model/buf.h"
#include "model/error.h"
#include "model/sampstat.h"
#include "test.h"

static int near(double got, double want, double rel)
{
    if (fabs(got - want) <= rel * fabs(want))
        return 1;
    fprintf(stderr, "  got %.17g, want %.17g\n", got, want);
    return 0;
}

/* The counters of a sample without any (the fields after nmaxrss). */
#define NO_COUNTERS                                                                                \
    0, {NULL}, {NULL}, { 0 }

static void test_summary(void)
{
    const double x[] = {4.0, 100.0, 1.0, 3.0, 2.0};
    pyro_sampstat_t s;
    CHECK_EQ_INT(pyro_sampstat_compute(x, 5, &s), PYRO_OK);
    CHECK_EQ_INT(s.n, 5);
    CHECK(near(s.mean, 22.0, 1e-15));
    CHECK(near(s.stdev, 43.617656975128774, 1e-13));
    CHECK(s.median == 3.0 && s.min == 1.0 && s.max == 100.0);
    CHECK(s.mad == 1.0);
    /* 0.6745 * 97 / 1 far above 3.5; 0.6745 * 2 / 1 below */
    CHECK_EQ_INT(s.outliers, 1);
    const double even[] = {3.0, 1.0, 2.0, 10.0};
    CHECK_EQ_INT(pyro_sampstat_compute(even, 4, &s), PYRO_OK);
    CHECK(s.median == 2.5 && s.mad == 1.0);
    const double same[] = {7.0, 7.0, 7.0};
    CHECK_EQ_INT(pyro_sampstat_compute(same, 3, &s), PYRO_OK);
    CHECK(s.stdev == 0.0 && s.mad == 0.0 && s.outliers == 0);
    CHECK_EQ_INT(pyro_sampstat_compute(same, 1, &s), PYRO_OK);
    CHECK(s.stdev == 0.0 && s.n == 1);
}

static void test_summary_bad(void)
{
    pyro_sampstat_t s;
    const double x[] = {1.0, NAN};
    CHECK_EQ_INT(pyro_sampstat_compute(x, 0, &s), PYRO_EINVAL);
    CHECK_EQ_INT(pyro_sampstat_compute(x, 2, &s), PYRO_EINVAL);
    CHECK(s.n == 0);
    test_alloc_fail_at(1);
    CHECK_EQ_INT(pyro_sampstat_compute(x, 1, &s), PYRO_ENOMEM);
}

static void test_betainc(void)
{
    CHECK(near(pyro_betainc(2.5, 0.5, 0.3), 0.018927124071945658, 1e-11));
    CHECK(near(pyro_betainc(10.0, 3.0, 0.8), 0.5583457484800002, 1e-11));
    CHECK(near(pyro_betainc(0.5, 7.5, 0.05), 0.6117140988441078, 1e-11));
    /* closed forms: I_x(a, 1) = x^a, I_x(1, b) = 1 - (1 - x)^b */
    CHECK(near(pyro_betainc(3.0, 1.0, 0.4), pow(0.4, 3.0), 1e-12));
    CHECK(near(pyro_betainc(1.0, 4.0, 0.25), 1.0 - pow(0.75, 4.0), 1e-12));
    CHECK(pyro_betainc(2.0, 3.0, 0.0) == 0.0 && pyro_betainc(2.0, 3.0, 1.0) == 1.0);
    CHECK(isnan(pyro_betainc(0.0, 1.0, 0.5)) && isnan(pyro_betainc(1.0, 1.0, 1.5)));
}

static void test_student(void)
{
    CHECK(near(pyro_t_twosided(2.0, 5.0), 0.10193947882985835, 1e-10));
    CHECK(near(pyro_t_twosided(-3.7, 12.4), 0.0028792256179962445, 1e-10));
    CHECK(near(pyro_t_twosided(0.3, 100.0), 0.7647998803003035, 1e-10));
    /* df 1 is Cauchy: P(|T| >= t) = 1 - 2 atan(t) / pi; df 2: 1 - t / sqrt(t^2 + 2) */
    CHECK(near(pyro_t_twosided(1.7, 1.0), 1.0 - 2.0 * atan(1.7) / M_PI, 1e-11));
    CHECK(near(pyro_t_twosided(0.9, 2.0), 1.0 - 0.9 / sqrt(0.81 + 2.0), 1e-11));
    CHECK(pyro_t_twosided(0.0, 3.0) == 1.0 && pyro_t_twosided(INFINITY, 3.0) == 0.0);
    CHECK(isnan(pyro_t_twosided(1.0, 0.0)));
    CHECK(near(pyro_t_quantile(0.95, 10.0), 2.228138851986274, 1e-10));
    CHECK(near(pyro_t_quantile(0.99, 3.3), 5.344306069721078, 1e-10));
    CHECK(near(pyro_t_quantile(0.95, 57.2), 2.002313728254016, 1e-10));
    CHECK(near(pyro_t_quantile(0.95, 1.0), tan(M_PI * 0.475), 1e-10));
    CHECK(isnan(pyro_t_quantile(1.0, 3.0)) && isnan(pyro_t_quantile(0.5, -1.0)));
}

static const double A[] = {10.2, 10.5, 9.9, 10.1, 10.4, 10.0};
static const double B[] = {5.1, 5.3, 4.9, 5.6, 5.0};

static void test_welch_ratio(void)
{
    pyro_ratio_t r;
    CHECK_EQ_INT(pyro_ratio_compare(A, 6, B, 5, 0.95, &r), PYRO_OK);
    CHECK(near(r.t, 26.65611728773334, 1e-10));
    CHECK(near(r.p, 8.726928123811598e-07, 1e-6));
    CHECK(near(r.df, 5.225479072198758, 1e-10));
    CHECK(near(r.speedup, 1.9676893347579982, 1e-12));
    CHECK(near(r.lo, 1.84490000728826, 1e-9));
    CHECK(near(r.hi, 2.098651039527811, 1e-9));
    CHECK(r.significant && r.confidence == 0.95);
    /* the other way round: slower, the interval inverted */
    CHECK_EQ_INT(pyro_ratio_compare(B, 5, A, 6, 0.95, &r), PYRO_OK);
    CHECK(near(r.speedup, 1.0 / 1.9676893347579982, 1e-12));
    CHECK(near(r.hi, 1.0 / 1.84490000728826, 1e-9));
    /* a sample against itself: t 0, p 1, an interval around 1 */
    CHECK_EQ_INT(pyro_ratio_compare(A, 6, A, 6, 0.95, &r), PYRO_OK);
    CHECK(r.t == 0.0 && near(r.p, 1.0, 1e-12) && !r.significant);
    CHECK(r.lo < 1.0 && r.hi > 1.0 && near(r.speedup, 1.0, 1e-15));
}

static void test_ratio_edges(void)
{
    pyro_ratio_t r;
    const double c1[] = {2.0, 2.0, 2.0}, c2[] = {1.0, 1.0};
    CHECK_EQ_INT(pyro_ratio_compare(c1, 3, c2, 2, 0.95, &r), PYRO_OK);
    CHECK(r.p == 0.0 && r.significant && r.lo == 2.0 && r.hi == 2.0);
    CHECK_EQ_INT(pyro_ratio_compare(c1, 3, c1, 2, 0.95, &r), PYRO_OK);
    CHECK(r.p == 1.0 && !r.significant);
    /* one sample without spread: the df is the other's n - 1 */
    CHECK_EQ_INT(pyro_ratio_compare(c1, 3, B, 5, 0.95, &r), PYRO_OK);
    CHECK(near(r.df, 4.0, 1e-12));
    const double zero[] = {1.0, 0.0};
    CHECK_EQ_INT(pyro_ratio_compare(c1, 1, c2, 2, 0.95, &r), PYRO_EINVAL);
    CHECK_EQ_INT(pyro_ratio_compare(c1, 3, zero, 2, 0.95, &r), PYRO_EINVAL);
    CHECK_EQ_INT(pyro_ratio_compare(c1, 3, c2, 2, 1.0, &r), PYRO_EINVAL);
    CHECK(r.speedup == 0.0);
}

static const char *put_time(pyro_buf_t *b, double s)
{
    b->len = 0;
    pyro_bench_put_time(b, s);
    pyro_buf_putc(b, '\0');
    return b->data;
}

static void test_units(void)
{
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(!strcmp(put_time(&b, 8.124e-7), "812 ns"));
    CHECK(!strcmp(put_time(&b, 9.87e-6), "9.87 \xc2\xb5s"));
    CHECK(!strcmp(put_time(&b, 0.0123), "12.3 ms"));
    CHECK(!strcmp(put_time(&b, 4.561), "4.56 s"));
    CHECK(!strcmp(put_time(&b, 0.9999e-3), "1.00 ms"));
    CHECK(!strcmp(put_time(&b, 1.5e-9), "1.50 ns"));
    CHECK(!strcmp(put_time(&b, 0.0), "0.00 ns"));
    pyro_buf_free(&b);
}

static void test_report(void)
{
    pyro_buf_t b;
    pyro_buf_init(&b);
    const double wall[] = {0.0101, 0.0102, 0.0100, 0.0101}, cpu[] = {1e-5, 1e-5, 1e-5, 1e-5};
    const double up[] = {0.02, 0.021, 0.019, 0.02};
    const double rss[] = {12.0 * 1048576, 13.0 * 1048576};
    pyro_bench_sample_t s = {"time.sleep(0.01)", wall, cpu, 4, 5.0, 2, up, 0.0, rss, 2,
                             NO_COUNTERS};
    CHECK_EQ_INT(pyro_bench_format(&s, PYRO_BENCH_WALL, 1, &b), PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "time.sleep(0.01)\n  10.1 ms \xc2\xb1 81.6 \xc2\xb5s per loop"));
    CHECK(strstr(b.data, "median 10.1 ms, min 10.0 ms, max 10.2 ms; CPU mean 10.0 \xc2\xb5s"));
    CHECK(strstr(b.data, "4 values of 5 loops, from 2 worker processes"));
    CHECK(strstr(b.data, "####"));     /* the histogram */
    CHECK(!strstr(b.data, "warning")); /* sleeping is not a busy machine */
    CHECK(strstr(b.data,
                 "interpreter start-up (python -c pass) 20.0 ms \xc2\xb1 816 \xc2\xb5s a run"));
    CHECK(!strstr(b.data, "per run:")); /* no counters, no line */
    /* counters: per run for a script (it has start-ups), whole events from 100 on */
    const double faults[] = {28000, 29000}, switches[] = {0.5, 0.25};
    s.ncounters = 2;
    s.counter_name[0] = "page-faults";
    s.counter_vals[0] = faults;
    s.ncounter_vals[0] = 2;
    s.counter_name[1] = "context-switches";
    s.counter_vals[1] = switches;
    s.ncounter_vals[1] = 2;
    b.len = 0;
    CHECK_EQ_INT(pyro_bench_format(&s, PYRO_BENCH_WALL, 0, &b), PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(
        strstr(b.data, "  per run: 28500 page-faults, 0.375 context-switches (mean of 2 runs)\n"));
    s.startup = NULL; /* a statement: per loop, from worker processes */
    s.counter_vals[1] = NULL;
    b.len = 0;
    CHECK_EQ_INT(pyro_bench_format(&s, PYRO_BENCH_WALL, 0, &b), PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "  per loop: 28500 page-faults (mean of 2 processes)\n"));
    s.startup = up;
    s.ncounters = 0;
    b.len = 0;
    s.warmup = 0.02;
    CHECK_EQ_INT(pyro_bench_warnings(&s, PYRO_BENCH_WALL, &b), 0);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "note: the warm-up was 2.0x slower than the median"));
    pyro_buf_free(&b);
}

static void test_warnings(void)
{
    pyro_buf_t b;
    pyro_buf_init(&b);
    const double wall[] = {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 3.0};
    const double cpu[] = {0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7};
    pyro_bench_sample_t s = {"x", wall, cpu, 8, 1.0, 0, NULL, 0.0, NULL, 0, NO_COUNTERS};
    CHECK_EQ_INT(pyro_bench_warnings(&s, PYRO_BENCH_WALL, &b), 3); /* spread, max, busy */
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "std dev is"));
    CHECK(strstr(b.data, "the max is 140% above the mean"));
    CHECK(strstr(b.data, "1.79x the CPU time"));
    const double w2[] = {1.0, 1.01, 0.99, 1.0, 1.0, 1.0, 1.02, 1.1};
    s.wall = w2;
    s.cpu = NULL;
    b.len = 0;
    CHECK_EQ_INT(pyro_bench_warnings(&s, PYRO_BENCH_WALL, &b), 1);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "1 of 8 values are outliers"));
    b.len = 0;
    CHECK_EQ_INT(pyro_bench_format(&s, PYRO_BENCH_CPU, 0, &b), PYRO_EINVAL);
    pyro_buf_free(&b);
}

static void test_compare(void)
{
    pyro_buf_t b;
    pyro_buf_init(&b);
    pyro_bench_sample_t s[3] = {{"slow()", A, NULL, 6, 10.0, 0, NULL, 0.0, NULL, 0, NO_COUNTERS},
                                {"fast()", B, NULL, 5, 10.0, 0, NULL, 0.0, NULL, 0, NO_COUNTERS},
                                {"same()", A, NULL, 6, 10.0, 0, NULL, 0.0, NULL, 0, NO_COUNTERS}};
    pyro_ratio_t r[2];
    CHECK_EQ_INT(pyro_bench_format_compare(s, 3, PYRO_BENCH_WALL, 0.95, 0, r, &b), PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "A: slow()\n"));
    CHECK(strstr(b.data, "C: same()\n"));
    CHECK(strstr(b.data, "B is 1.97x faster than A (95% CI 1.84x to 2.10x): significant "
                         "(Welch's t-test on log times, p < 0.001)\n"));
    CHECK(strstr(b.data, "C vs A: no significant difference (speedup 1.00x, 95% CI "));
    CHECK(strstr(b.data, "p = 1.000)\n"));
    CHECK(r[0].significant && !r[1].significant);
    b.len = 0;
    pyro_ratio_t slow;
    CHECK_EQ_INT(pyro_ratio_compare(B, 5, A, 6, 0.95, &slow), PYRO_OK);
    pyro_bench_verdict("A", "B", &slow, &b);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "B is 1.97x slower than A (95% CI 1.84x to 2.10x)"));
    b.len = 0;
    CHECK_EQ_INT(pyro_bench_format_compare(s, 1, PYRO_BENCH_WALL, 0.95, 0, r, &b), PYRO_EINVAL);
    s[1].n = 1;
    CHECK_EQ_INT(pyro_bench_format_compare(s, 2, PYRO_BENCH_WALL, 0.95, 0, r, &b), PYRO_EINVAL);
    CHECK_EQ_INT(b.len, 0); /* refused before anything is written */
    pyro_buf_free(&b);
}

static void test_worker_units(void)
{
    /* 3 workers x 2 values: compared by the 3 workers' means */
    const double a[] = {10.0, 10.4, 9.8, 10.2, 10.1, 10.3}, b[] = {5.0, 5.2, 5.1, 4.9, 5.3, 5.1};
    const double ma[] = {10.2, 10.0, 10.2}, mb[] = {5.1, 5.0, 5.2};
    pyro_bench_sample_t sa = {"a", a, NULL, 6, 1.0, 3, NULL, 0.0, NULL, 0, NO_COUNTERS};
    pyro_bench_sample_t sb = {"b", b, NULL, 6, 1.0, 3, NULL, 0.0, NULL, 0, NO_COUNTERS};
    pyro_ratio_t got, want;
    CHECK_EQ_INT(pyro_bench_compare_samples(&sa, &sb, PYRO_BENCH_WALL, 0.95, &got), PYRO_OK);
    CHECK_EQ_INT(pyro_ratio_compare(ma, 3, mb, 3, 0.95, &want), PYRO_OK);
    CHECK(near(got.p, want.p, 1e-12) && near(got.lo, want.lo, 1e-12) &&
          near(got.df, want.df, 1e-12));
    /* one value a worker (a script's runs), or values in this process: the values */
    sa.workers = 6;
    sb.workers = 0;
    CHECK_EQ_INT(pyro_bench_compare_samples(&sa, &sb, PYRO_BENCH_WALL, 0.95, &got), PYRO_OK);
    CHECK_EQ_INT(pyro_ratio_compare(a, 6, b, 6, 0.95, &want), PYRO_OK);
    CHECK(near(got.p, want.p, 1e-12) && near(got.hi, want.hi, 1e-12));
    /* no CPU values to judge by */
    CHECK_EQ_INT(pyro_bench_compare_samples(&sa, &sb, PYRO_BENCH_CPU, 0.95, &got), PYRO_EINVAL);
    sa.workers = 3;
    test_alloc_fail_at(1);
    CHECK_EQ_INT(pyro_bench_compare_samples(&sa, &sb, PYRO_BENCH_WALL, 0.95, &got), PYRO_ENOMEM);
    test_alloc_reset();
    pyro_buf_t buf;
    pyro_buf_init(&buf);
    pyro_bench_sample_t both[2] = {sa, sb};
    test_alloc_fail_at(2);
    CHECK_EQ_INT(pyro_bench_format_compare(both, 2, PYRO_BENCH_WALL, 0.95, 0, NULL, &buf),
                 PYRO_ENOMEM);
    test_alloc_reset();
    pyro_buf_free(&buf);
}

static void test_report_nomem(void)
{
    const double wall[] = {1.0, 2.0, 3.0};
    pyro_bench_sample_t s = {"x", wall, NULL, 3, 1.0, 1, NULL, 0.0, NULL, 0, NO_COUNTERS};
    for (long n = 1; n < 10; n++) {
        pyro_buf_t b;
        pyro_buf_init(&b);
        test_alloc_fail_at(n);
        int rc = pyro_bench_format(&s, PYRO_BENCH_WALL, 1, &b);
        test_alloc_reset();
        CHECK(rc == PYRO_OK || rc == PYRO_ENOMEM);
        pyro_buf_free(&b);
    }
}

void suite_bench(void)
{
    RUN(test_summary);
    RUN(test_summary_bad);
    RUN(test_betainc);
    RUN(test_student);
    RUN(test_welch_ratio);
    RUN(test_ratio_edges);
    RUN(test_units);
    RUN(test_report);
    RUN(test_warnings);
    RUN(test_compare);
    RUN(test_worker_units);
    RUN(test_report_nomem);
}
