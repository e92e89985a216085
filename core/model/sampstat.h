/* SPDX-License-Identifier: MIT */
/* sampstat: statistics of a sample of timings, for `pyrometer bench`: the
 * summary of one sample (mean, standard deviation, median, extremes, median
 * absolute deviation, MAD-based outliers) and the comparison of two samples
 * (Welch's t-test and a confidence interval on the ratio of their means,
 * both computed on the logarithms of the values, so that the test and the
 * interval always agree: the difference is significant exactly when the
 * interval excludes 1). The Student t distribution is computed from the
 * regularized incomplete beta function; no other library than libm. */
#ifndef PYRO_SAMPSTAT_H
#define PYRO_SAMPSTAT_H

#include <stddef.h>

/* Modified z-score above which a value is an outlier (Iglewicz and Hoaglin:
 * 0.6745 * |x - median| / MAD > 3.5). */
#define PYRO_OUTLIER_Z 3.5

typedef struct pyro_sampstat {
    size_t n;
    double mean, stdev; /* stdev: the sample standard deviation (n - 1); 0 when n < 2 */
    double median, min, max;
    double mad;      /* median absolute deviation from the median (unscaled) */
    size_t outliers; /* values whose modified z-score exceeds PYRO_OUTLIER_Z
                        (none when the MAD is 0) */
} pyro_sampstat_t;

/* Summarize the `n` values at `x` into *out. x is not modified.
 * PYRO_OK; PYRO_EINVAL when n is 0 or a value is not finite (*out is then
 * zeroed); PYRO_ENOMEM when the sorting copy cannot be allocated. */
int pyro_sampstat_compute(const double *x, size_t n, pyro_sampstat_t *out);

/* The regularized incomplete beta function I_x(a, b), for a > 0, b > 0 and
 * 0 <= x <= 1 (NaN outside). Relative accuracy about 1e-12. */
double pyro_betainc(double a, double b, double x);

/* The two-sided tail probability P(|T| >= |t|) of Student's t distribution
 * with `df` > 0 degrees of freedom (df need not be an integer). NaN if
 * df <= 0. */
double pyro_t_twosided(double t, double df);

/* The quantile q > 0 with P(|T| <= q) = `confidence` (0 < confidence < 1)
 * for `df` > 0 degrees of freedom: e.g. 2.228 for 0.95 and df = 10. NaN when
 * an argument is out of range. */
double pyro_t_quantile(double confidence, double df);

/* The comparison of a baseline sample with another one. */
typedef struct pyro_ratio {
    double speedup;    /* how many times faster `other` is than `base`: the ratio
                          of the geometric means base / other */
    double lo, hi;     /* the confidence interval of speedup */
    double t, df, p;   /* Welch's t-test on the log values: statistic, the
                          Welch-Satterthwaite degrees of freedom, two-sided p */
    double confidence; /* as asked, e.g. 0.95 */
    int significant;   /* p < 1 - confidence (the interval excludes 1) */
} pyro_ratio_t;

/* Compare `base` (na values) with `other` (nb values), all > 0, at
 * `confidence` (0 < confidence < 1) into *out: Welch's t-test on the
 * logarithms of the values and the interval exp(d +- q * se) on the ratio,
 * where d is the difference of the mean logs, se its standard error and q
 * the Student quantile at the Welch-Satterthwaite df. Two samples without
 * any spread compare exactly (p 0 or 1, an empty-width interval).
 * PYRO_OK; PYRO_EINVAL when a sample has fewer than 2 values, a value is
 * not > 0 and finite, or confidence is out of range (*out is then zeroed). */
int pyro_ratio_compare(const double *base, size_t na, const double *other, size_t nb,
                       double confidence, pyro_ratio_t *out);

#endif
