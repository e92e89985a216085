/* SPDX-License-Identifier: MIT */
/* sampstat: summary and comparison of timing samples (see sampstat.h). */
#include "model/sampstat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"
#include "model/runstat.h"

/* ==== summary ==== */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of n sorted values. */
static double median_sorted(const double *s, size_t n)
{
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
}

int pyro_sampstat_compute(const double *x, size_t n, pyro_sampstat_t *out)
{
    int rc = PYRO_OK;
    double *s = NULL;
    memset(out, 0, sizeof *out);
    if (n == 0) {
        rc = PYRO_EINVAL;
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            rc = PYRO_EINVAL;
            goto cleanup;
        }
    }
    s = pyro_malloc(n * sizeof *s);
    if (!s) {
        rc = PYRO_ENOMEM;
        goto cleanup;
    }
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    pyro_summary_t sum = pyro_summarize(x, n); /* one mean and std dev for stat, bench, measure */
    out->n = n;
    out->mean = sum.mean;
    out->stdev = sum.stddev;
    out->min = s[0];
    out->max = s[n - 1];
    out->median = median_sorted(s, n);
    /* absolute deviations, reusing the copy */
    for (size_t i = 0; i < n; i++)
        s[i] = fabs(s[i] - out->median);
    qsort(s, n, sizeof *s, cmp_double);
    out->mad = median_sorted(s, n);
    if (out->mad > 0.0) {
        for (size_t i = 0; i < n; i++)
            if (0.6745 * fabs(x[i] - out->median) / out->mad > PYRO_OUTLIER_Z)
                out->outliers++;
    }
cleanup:
    if (rc)
        memset(out, 0, sizeof *out);
    pyro_free(s);
    return rc;
}

/* ==== Student's t distribution ==== */

/* The continued fraction of I_x(a, b) (modified Lentz's method), valid for
 * x < (a + 1) / (a + b + 2). */
static double beta_fraction(double a, double b, double x)
{
    const double tiny = 1e-300, eps = 1e-15;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < tiny)
        d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 1000; m++) {
        double m2 = 2.0 * m;
        /* even step */
        double num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + num * d;
        c = 1.0 + num / c;
        d = fabs(d) < tiny ? 1.0 / tiny : 1.0 / d;
        if (fabs(c) < tiny)
            c = tiny;
        h *= d * c;
        /* odd step */
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + num * d;
        c = 1.0 + num / c;
        d = fabs(d) < tiny ? 1.0 / tiny : 1.0 / d;
        if (fabs(c) < tiny)
            c = tiny;
        double step = d * c;
        h *= step;
        if (fabs(step - 1.0) < eps)
            break;
    }
    return h;
}

double pyro_betainc(double a, double b, double x)
{
    if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0) || !(x <= 1.0))
        return NAN;
    if (x == 0.0 || x == 1.0)
        return x;
    double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * beta_fraction(a, b, x) / a;
    return 1.0 - front * beta_fraction(b, a, 1.0 - x) / b;
}

double pyro_t_twosided(double t, double df)
{
    if (!(df > 0.0) || isnan(t))
        return NAN;
    if (isinf(t))
        return 0.0;
    return pyro_betainc(df / 2.0, 0.5, df / (df + t * t));
}

double pyro_t_quantile(double confidence, double df)
{
    if (!(confidence > 0.0) || !(confidence < 1.0) || !(df > 0.0))
        return NAN;
    double alpha = 1.0 - confidence, lo = 0.0, hi = 1.0;
    while (pyro_t_twosided(hi, df) > alpha && hi < 1e300)
        hi *= 2.0;
    /* the tail probability falls as q grows: bisect to a relative 1e-13 */
    for (int i = 0; i < 2000 && hi - lo > 1e-13 * hi; i++) {
        double mid = (lo + hi) / 2.0;
        if (pyro_t_twosided(mid, df) > alpha)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2.0;
}

/* ==== comparison ==== */

/* Mean and sample variance of the logs of n values; PYRO_EINVAL if one is
 * not > 0 and finite. */
static int log_moments(const double *x, size_t n, double *mean, double *var)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] > 0.0) || !isfinite(x[i]))
            return PYRO_EINVAL;
        sum += log(x[i]);
    }
    *mean = sum / (double)n;
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (log(x[i]) - *mean) * (log(x[i]) - *mean);
    *var = ss / (double)(n - 1);
    return PYRO_OK;
}

int pyro_ratio_compare(const double *base, size_t na, const double *other, size_t nb,
                       double confidence, pyro_ratio_t *out)
{
    int rc = PYRO_OK;
    double ma, va, mb, vb;
    memset(out, 0, sizeof *out);
    if (na < 2 || nb < 2 || !(confidence > 0.0) || !(confidence < 1.0)) {
        rc = PYRO_EINVAL;
        goto cleanup;
    }
    if ((rc = log_moments(base, na, &ma, &va)) || (rc = log_moments(other, nb, &mb, &vb)))
        goto cleanup;
    double d = ma - mb, qa = va / (double)na, qb = vb / (double)nb, se = sqrt(qa + qb);
    out->confidence = confidence;
    out->speedup = exp(d);
    if (se == 0.0) { /* no spread at all: the samples differ exactly or not at all */
        out->t = d == 0.0 ? 0.0 : copysign(INFINITY, d);
        out->df = (double)(na + nb - 2);
        out->p = d == 0.0 ? 1.0 : 0.0;
        out->lo = out->hi = out->speedup;
    } else {
        out->t = d / se;
        /* Welch-Satterthwaite; a sample without spread contributes nothing */
        double den = (qa > 0.0 ? qa * qa / (double)(na - 1) : 0.0) +
                     (qb > 0.0 ? qb * qb / (double)(nb - 1) : 0.0);
        out->df = (qa + qb) * (qa + qb) / den;
        out->p = pyro_t_twosided(out->t, out->df);
        double q = pyro_t_quantile(confidence, out->df);
        out->lo = exp(d - q * se);
        out->hi = exp(d + q * se);
    }
    out->significant = out->p < 1.0 - confidence;
cleanup:
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}
