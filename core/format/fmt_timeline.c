/* SPDX-License-Identifier: MIT */
/* fmt_timeline: one pass for the ranges, one per curve; axes on "nice"
 * steps (1, 2 or 5 times a power of ten, of seconds and of the binary unit
 * that fits the largest value); the rises listed under the title and
 * numbered on the curve, so that labels never overlap it. */
#include "format/fmt_timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/error.h"

#define WIDTH 960
#define HEIGHT 520
#define X0 90.0             /* plot area: left */
#define X1 (WIDTH - 30.0)   /* right */
#define Y0 110.0            /* top (title, legend and the rises above) */
#define Y1 (HEIGHT - 50.0)  /* bottom (time axis below) */
#define RISES 3             /* rises marked at most */
#define RISE_MIN_SHARE 0.02 /* ... each at least this share of the chart's height */
#define C_RSS "#1f77b4"
#define C_HEAP "#ff7f0e"
#define C_PEAK "#d62728"

/* A step of 1, 2 or 5 times a power of ten giving about `ticks` ticks over
 * `range` (> 0). */
static double nice_step(double range, int ticks)
{
    double raw = range / ticks, mag = 1e-12;
    while (mag * 10 <= raw)
        mag *= 10;
    double f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static int64_t meta_int(const pyro_profile_t *p, const char *key)
{
    const char *v = pyro_profile_get_meta(p, key);
    return v ? strtoll(v, NULL, 10) : -1;
}

typedef struct chart {
    double tmax_s, ymax; /* seconds, bytes at the top of the plot */
} chart_t;

static double xof(const chart_t *c, int64_t t_ns)
{
    return X0 + (double)t_ns * 1e-9 / c->tmax_s * (X1 - X0);
}

static double yof(const chart_t *c, int64_t bytes)
{
    return Y1 - (double)bytes / c->ymax * (Y1 - Y0);
}

static void axes(pyro_buf_t *out, const chart_t *c)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    double scale = 1;
    while (u < 4 && c->ymax / scale >= 1024) {
        scale *= 1024;
        u++;
    }
    double ystep = nice_step(c->ymax / scale, 5);
    for (int i = 0;; i++) {
        double v = i * ystep;
        if (v * scale > c->ymax * 1.0001)
            break;
        double y = Y1 - v * scale / c->ymax * (Y1 - Y0);
        pyro_buf_printf(out,
                        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
                        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g %s</text>\n",
                        X0, y, X1, y, X0 - 6, y + 4, v, units[u]);
    }
    double tstep = nice_step(c->tmax_s, 8);
    for (int i = 0;; i++) {
        double t = i * tstep;
        if (t > c->tmax_s * 1.0001)
            break;
        double x = X0 + t / c->tmax_s * (X1 - X0);
        pyro_buf_printf(out,
                        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
                        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                        x, Y0, x, Y1, x, Y1 + 16, t);
    }
    pyro_buf_printf(out,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>\n"
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time (s)</text>\n",
                    X0, Y0, X1 - X0, Y1 - Y0, (X0 + X1) / 2, Y1 + 36.0);
}

/* The polyline of column `col` of series `s`. */
static void curve(pyro_buf_t *out, const chart_t *c, const pyro_series_t *s, int col,
                  const char *color, const char *title)
{
    pyro_buf_printf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" points=\"",
                    color);
    for (uint32_t r = 0; r < s->nrows; r++) {
        const int64_t *v = s->vals + (size_t)r * s->ncols;
        pyro_buf_printf(out, "%s%.1f,%.1f", r ? " " : "", xof(c, v[0]), yof(c, v[col]));
    }
    pyro_buf_printf(out, "\"><title>%s</title></polyline>\n", title);
}

/* A marked point with a tooltip and a label beside it. */
static void mark(pyro_buf_t *out, const chart_t *c, int64_t t_ns, int64_t bytes, const char *what)
{
    double x = xof(c, t_ns), y = yof(c, bytes);
    pyro_buf_t lab;
    pyro_buf_init(&lab);
    pyro_buf_printf(&lab, "%s ", what);
    pyro_render_bytes(&lab, bytes, 0);
    pyro_buf_puts(&lab, " at ");
    pyro_render_duration(&lab, (double)t_ns * 1e-9, 0);
    if (!lab.failed) {
        pyro_buf_printf(out,
                        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                        "stroke-dasharray=\"4 3\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
                        "fill=\"%s\"><title>",
                        x, Y1, x, y, C_PEAK, x, y, C_PEAK);
        pyro_render_xml(out, lab.data, lab.len);
        /* the label to the left of points in the right half */
        int left = x > (X0 + X1) / 2;
        pyro_buf_printf(out, "</title></circle><text x=\"%.1f\" y=\"%.1f\" fill=\"%s\"%s>",
                        left ? x - 8 : x + 8, y - 8 < Y0 + 12 ? Y0 + 12 : y - 8, C_PEAK,
                        left ? " text-anchor=\"end\"" : "");
        pyro_render_xml(out, lab.data, lab.len);
        pyro_buf_puts(out, "</text>\n");
    }
    if (lab.failed)
        out->failed = 1;
    pyro_buf_free(&lab);
}

typedef struct rise {
    int64_t bytes;
    uint32_t row;
} rise_t;

static int rise_cmp(const void *a, const void *b)
{
    const rise_t *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* The RISES largest rises of the heap between neighbouring rows, numbered
 * on the curve and listed above the plot. */
static void rises(pyro_buf_t *out, const pyro_profile_t *p, const pyro_render_opts_t *o,
                  const chart_t *c, const pyro_series_t *s, int heap, int func)
{
    rise_t top[RISES];
    uint32_t n = 0;
    for (uint32_t r = 1; r < s->nrows; r++) {
        int64_t d =
            s->vals[(size_t)r * s->ncols + heap] - s->vals[(size_t)(r - 1) * s->ncols + heap];
        if (d <= 0 || (double)d < c->ymax * RISE_MIN_SHARE)
            continue;
        rise_t x = {d, r};
        if (n < RISES)
            top[n++] = x;
        else if (rise_cmp(&x, &top[n - 1]) < 0)
            top[n - 1] = x;
        qsort(top, n, sizeof *top, rise_cmp);
    }
    for (uint32_t i = 0; i < n; i++) {
        const int64_t *v = s->vals + (size_t)top[i].row * s->ncols;
        double x = xof(c, v[0]), y = yof(c, v[heap]);
        pyro_buf_t lab;
        pyro_buf_init(&lab);
        pyro_buf_puts(&lab, "+");
        pyro_render_bytes(&lab, top[i].bytes, 0);
        pyro_buf_puts(&lab, " by ");
        pyro_render_duration(&lab, (double)v[0] * 1e-9, 0);
        int64_t f = func >= 0 ? v[func] : -1;
        if (f >= 0 && (uint64_t)f < p->nfuncs) {
            pyro_buf_puts(&lab, " in ");
            pyro_render_frame(p, (uint32_t)f, o, &lab);
        }
        pyro_buf_printf(out,
                        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"8\" fill=\"#fff\" stroke=\"%s\"/>"
                        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"num\">%u"
                        "<title>",
                        x, y, C_HEAP, x, y + 4, i + 1);
        pyro_render_xml(out, lab.data, lab.len);
        pyro_buf_printf(out, "</title></text>\n<text x=\"%.1f\" y=\"%.1f\">%u. ", X0,
                        Y0 - 40 + 14.0 * i, i + 1);
        pyro_render_xml(out, lab.data, lab.len);
        pyro_buf_puts(out, "</text>\n");
        if (lab.failed)
            out->failed = 1;
        pyro_buf_free(&lab);
    }
}

int pyro_fmt_timeline(const pyro_write_ctx_t *w, pyro_buf_t *out)
{
    const pyro_profile_t *p = w->p;
    const pyro_render_opts_t *o = w->o;
    const pyro_series_t *s = pyro_profile_find_series(p, "memory");
    int tcol = s ? pyro_series_col(p, s, "t_ns") : -1;
    int rss = s ? pyro_series_col(p, s, "rss_bytes") : -1;
    int heap = s ? pyro_series_col(p, s, "heap_bytes") : -1;
    int func = s ? pyro_series_col(p, s, "func") : -1;
    if (tcol != 0 || s->nrows < 1)
        s = NULL; /* the chart reads time from the first column */
    pyro_buf_printf(out,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                    "viewBox=\"0 0 %d %d\" font-family=\"Verdana, sans-serif\" font-size=\"12\">\n"
                    "<style>.grid{stroke:#e4e4e4}.frame{fill:none;stroke:#888}"
                    ".num{font-size:10px;font-weight:bold}</style>\n"
                    "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
                    "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">Memory over "
                    "time: ",
                    WIDTH, HEIGHT, WIDTH, HEIGHT, WIDTH / 2);
    const char *title = pyro_render_title(p, o);
    pyro_render_xml(out, title, strlen(title));
    pyro_buf_puts(out, "</text>\n");
    if (!s) {
        pyro_buf_printf(out,
                        "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">No timeline was "
                        "recorded in this profile (memory mode records one).</text>\n</svg>\n",
                        WIDTH / 2, HEIGHT / 2);
        return pyro_buf_status(out);
    }
    chart_t c = {1e-9, 1};
    for (uint32_t r = 0; r < s->nrows; r++) {
        const int64_t *v = s->vals + (size_t)r * s->ncols;
        if ((double)v[0] * 1e-9 > c.tmax_s)
            c.tmax_s = (double)v[0] * 1e-9;
        if (rss >= 0 && (double)v[rss] > c.ymax)
            c.ymax = (double)v[rss];
        if (heap >= 0 && (double)v[heap] > c.ymax)
            c.ymax = (double)v[heap];
    }
    int64_t heap_peak = meta_int(p, "mem_peak_bytes"), heap_peak_ns = meta_int(p, "mem_peak_ns");
    int64_t rss_peak = meta_int(p, "rss_peak_bytes"), rss_peak_ns = meta_int(p, "rss_peak_ns");
    if (rss_peak_ns < 0 && rss >= 0) {
        /* no time with the peak: the row where the series peaks */
        int64_t most = -1;
        for (uint32_t r = 0; r < s->nrows; r++) {
            const int64_t *v = s->vals + (size_t)r * s->ncols;
            if (v[rss] > most) {
                most = v[rss];
                rss_peak_ns = v[0];
                if (rss_peak < most)
                    rss_peak = most;
            }
        }
    }
    if ((double)heap_peak > c.ymax)
        c.ymax = (double)heap_peak;
    if ((double)rss_peak > c.ymax)
        c.ymax = (double)rss_peak;
    c.ymax *= 1.08; /* room above the highest point for its label */
    axes(out, &c);
    /* the legend, right of the title's line */
    pyro_buf_printf(out,
                    "<line x1=\"%.1f\" y1=\"52\" x2=\"%.1f\" y2=\"52\" stroke=\"%s\" "
                    "stroke-width=\"2\"/><text x=\"%.1f\" y=\"56\">RSS (resident set size)</text>\n"
                    "<line x1=\"%.1f\" y1=\"52\" x2=\"%.1f\" y2=\"52\" stroke=\"%s\" "
                    "stroke-width=\"2\"/><text x=\"%.1f\" y=\"56\">tracked heap</text>\n",
                    X0, X0 + 24, C_RSS, X0 + 30, X0 + 220, X0 + 244, C_HEAP, X0 + 250);
    if (rss >= 0)
        curve(out, &c, s, rss, C_RSS, "RSS");
    if (heap >= 0)
        curve(out, &c, s, heap, C_HEAP, "tracked heap");
    if (rss_peak > 0 && rss_peak_ns >= 0)
        mark(out, &c, rss_peak_ns, rss_peak, "peak RSS");
    if (heap_peak > 0 && heap_peak_ns >= 0)
        mark(out, &c, heap_peak_ns, heap_peak, "peak heap");
    if (heap >= 0)
        rises(out, p, o, &c, s, heap, func);
    pyro_buf_puts(out, "</svg>\n");
    return pyro_buf_status(out);
}
