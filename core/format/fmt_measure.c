/* SPDX-License-Identifier: MIT */
/* fmt_measure: @measure's per-call lines and its summary table. */
#include "format/fmt_measure.h"

#include <math.h>
#include <string.h>

#include "format/fmt_stat.h"
#include "model/error.h"

#define LABEL_W 18
#define VALUE_W 12

/* ==== values ==== */

/* A memory change: signed, bytes under 1 KiB as bytes. */
static void put_bytes(pyro_buf_t *b, double v, int sign)
{
    double a = fabs(v);
    if (sign)
        pyro_buf_putc(b, v < 0 ? '-' : '+');
    else if (v < 0)
        pyro_buf_putc(b, '-');
    if (a < 1024.0)
        pyro_buf_printf(b, "%.0f B", a);
    else
        pyro_stat_put_value(b, PYRO_FIGU_BYTES, a);
}

static void put(pyro_buf_t *b, pyro_figunit_t unit, double v, int sign)
{
    if (unit == PYRO_FIGU_BYTES)
        put_bytes(b, v, sign);
    else
        pyro_stat_put_value(b, unit, v);
}

/* ==== one call ==== */

int pyro_render_measure_call(const char *name, const pyro_mcall_t *c, const char *const *evnames,
                             uint32_t nevents, pyro_buf_t *out)
{
    if (!name || !c || !out || nevents > PYRO_RUNSTAT_MAX_EVENTS || (nevents && !evnames))
        return PYRO_EINVAL;
    pyro_buf_printf(out, "%s: wall ", name);
    pyro_stat_put_value(out, PYRO_FIGU_SECONDS, c->wall);
    pyro_buf_puts(out, "  cpu ");
    pyro_stat_put_value(out, PYRO_FIGU_SECONDS, c->cpu);
    if (c->has_heap) {
        pyro_buf_puts(out, "  heap ");
        put_bytes(out, c->heap, 1);
    }
    if (c->has_rss) {
        pyro_buf_puts(out, "  rss ");
        put_bytes(out, c->rss, 1);
    }
    for (uint32_t k = 0; k < nevents; k++)
        if (c->evmask & (1u << k)) {
            pyro_buf_printf(out, "  %s ", evnames[k]);
            pyro_stat_put_value(out, PYRO_FIGU_COUNT, c->ev[k]);
        }
    if (c->failed)
        pyro_buf_puts(out, "  (raised)");
    return pyro_buf_status(out);
}

/* ==== the summary ==== */

static void put_cell(pyro_buf_t *b, pyro_figunit_t unit, double v, int sign)
{
    size_t from = b->len;
    put(b, unit, v, sign);
    pyro_buf_align_right(b, from, VALUE_W);
}

static void put_row(pyro_buf_t *b, const char *label, pyro_figunit_t unit, const pyro_summary_t *s,
                    int sign)
{
    if (s->n == 0)
        return;
    size_t from = b->len;
    pyro_buf_printf(b, "  %s", label);
    if (b->len - from < LABEL_W)
        pyro_buf_fill(b, ' ', LABEL_W - (b->len - from));
    put_cell(b, unit, s->mean, sign);
    pyro_buf_puts(b, " ± ");
    size_t sd = b->len;
    put(b, unit, s->stddev, 0);
    pyro_buf_align_right(b, sd, VALUE_W - 2);
    put_cell(b, unit, s->min, sign);
    put_cell(b, unit, s->max, sign);
    put_cell(b, unit, s->mean * (double)s->n, sign);
    pyro_buf_putc(b, '\n');
}

int pyro_render_measure_table(const pyro_mtable_t *t, pyro_buf_t *b)
{
    if (!t || !b)
        return PYRO_EINVAL;
    if (t->nrows == 0)
        return pyro_buf_status(b);
    pyro_buf_printf(b, "pyrometer.measure summary (%u name%s)\n", t->nrows,
                    t->nrows == 1 ? "" : "s");
    for (uint32_t i = 0; i < t->nrows; i++) {
        const pyro_mrow_t *r = &t->rows[i];
        pyro_buf_printf(b, "%s: %llu call%s", r->name, (unsigned long long)r->calls,
                        r->calls == 1 ? "" : "s");
        if (r->failed)
            pyro_buf_printf(b, ", %llu raised", (unsigned long long)r->failed);
        pyro_buf_putc(b, '\n');
        pyro_buf_fill(b, ' ', LABEL_W);
        static const char *const heads[] = {"mean", "± sd", "min", "max", "total"};
        for (int h = 0; h < 5; h++) {
            size_t c = b->len;
            pyro_buf_puts(b, heads[h]);
            /* the sd column is " ± " and VALUE_W - 2 wide; "±" is two bytes */
            pyro_buf_align_right(b, c, h == 1 ? VALUE_W + 2 : VALUE_W);
        }
        pyro_buf_putc(b, '\n');
        put_row(b, "wall", PYRO_FIGU_SECONDS, &r->wall, 0);
        put_row(b, "cpu", PYRO_FIGU_SECONDS, &r->cpu, 0);
        put_row(b, "heap change", PYRO_FIGU_BYTES, &r->heap, 1);
        put_row(b, "rss change", PYRO_FIGU_BYTES, &r->rss, 1);
        for (uint32_t k = 0; k < t->nevents; k++)
            put_row(b, t->evnames[k], PYRO_FIGU_COUNT, &r->ev[k], 0);
    }
    return pyro_buf_status(b);
}
