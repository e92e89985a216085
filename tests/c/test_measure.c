/* SPDX-License-Identifier: MIT */
/* test_measure: @measure's engine — per-name summaries (and their failure
 * to allocate), a span's CPU time summed over its steps only, RSS change
 * of a touched buffer, the per-call line and the summary table. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format/fmt_measure.h"
#include "model/buf.h"
#include "model/error.h"
#include "model/measure.h"
#include "record/meter.h"
#include "test.h"

#define NEAR(a, b) (fabs((double)(a) - (double)(b)) < 1e-9 * (1 + fabs((double)(b))))

static const char *const names[] = {"page-faults", "context-switches"};

static void test_mtable_summaries(void)
{
    pyro_mtable_t *t = pyro_mtable_new(names, 2);
    CHECK(t);
    pyro_mcall_t c;
    memset(&c, 0, sizeof c);
    double walls[] = {1.0, 2.0, 4.0};
    for (int i = 0; i < 3; i++) {
        c.wall = walls[i];
        c.cpu = walls[i] / 2;
        c.has_rss = 1;
        c.rss = -1024.0 * i;
        c.evmask = 1u; /* page-faults only */
        c.ev[0] = 10.0 * (i + 1);
        c.failed = i == 2;
        CHECK_EQ_INT(pyro_mtable_add(t, "f", &c), PYRO_OK);
    }
    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(pyro_mtable_add(t, "g", &c), PYRO_OK);
    CHECK_EQ_INT(t->nrows, 2);
    const pyro_mrow_t *r = pyro_mtable_find(t, "f");
    CHECK(r && r == &t->rows[0]);
    CHECK_EQ_INT(r->calls, 3);
    CHECK_EQ_INT(r->failed, 1);
    CHECK(NEAR(r->wall.mean, 7.0 / 3));
    /* sample sd of 1, 2, 4: sqrt(((4/3)^2 + (1/3)^2 + (5/3)^2) / 2) */
    CHECK(NEAR(r->wall.stddev, sqrt((16.0 + 1.0 + 25.0) / 9 / 2)));
    CHECK(NEAR(r->wall.min, 1.0) && NEAR(r->wall.max, 4.0));
    CHECK(NEAR(r->cpu.mean, 7.0 / 6));
    CHECK_EQ_INT(r->heap.n, 0);
    CHECK_EQ_INT(r->rss.n, 3);
    CHECK(NEAR(r->rss.min, -2048.0));
    CHECK(NEAR(r->ev[0].mean, 20.0));
    CHECK_EQ_INT(r->ev[1].n, 0);
    CHECK(pyro_mtable_find(t, "h") == NULL);
    CHECK_EQ_INT(pyro_mtable_add(t, NULL, &c), PYRO_EINVAL);
    pyro_mtable_clear(t);
    CHECK_EQ_INT(t->nrows, 0);
    pyro_mtable_free(t);
    CHECK(pyro_mtable_new(names, PYRO_RUNSTAT_MAX_EVENTS + 1) == NULL);
}

static void test_mtable_nomem(void)
{
    pyro_mcall_t c;
    memset(&c, 0, sizeof c);
    for (long n = 1; n < 4; n++) {
        pyro_mtable_t *t = pyro_mtable_new(names, 2);
        CHECK(t);
        test_alloc_fail_at(n);
        int rc = pyro_mtable_add(t, "f", &c);
        test_alloc_reset();
        CHECK(rc == PYRO_OK || rc == PYRO_ENOMEM);
        CHECK_EQ_INT(t->nrows, rc == PYRO_OK ? 1 : 0);
        pyro_mtable_free(t);
    }
}

static volatile double sink;

static void spin(long n)
{
    double x = 0;
    for (long i = 0; i < n; i++)
        x += (double)i * 0.5;
    sink = x;
}

static void test_span_steps(void)
{
    /* CPU spent while the span is paused is not its own */
    pyro_span_t s;
    pyro_mcall_t c;
    pyro_span_start(&s, 0, -1);
    spin(1000);
    pyro_span_pause(&s);
    spin(20000000); /* another task's CPU: not the span's */
    pyro_span_resume(&s);
    spin(1000);
    pyro_span_stop(&s, -1, 1, &c);
    pyro_meter_release();
    CHECK(c.cpu >= 0);
    CHECK(c.wall > 0);
    CHECK(c.cpu < c.wall); /* the paused spin is in the wall time only */
    CHECK_EQ_INT(c.has_heap, 0);
    CHECK_EQ_INT(c.failed, 1);
    CHECK_EQ_INT(c.evmask, 0);

    /* a heap change is end minus start */
    pyro_span_start(&s, 0, 1000);
    pyro_span_stop(&s, 400, 0, &c);
    pyro_meter_release();
    CHECK(c.has_heap && NEAR(c.heap, -600.0));
    /* pause and resume twice are harmless */
    pyro_span_start(&s, 0, -1);
    pyro_span_resume(&s);
    pyro_span_pause(&s);
    pyro_span_pause(&s);
    pyro_span_stop(&s, -1, 0, &c);
    pyro_meter_release();
    CHECK(c.cpu >= 0);
}

static void test_span_rss_and_faults(void)
{
    uint32_t avail = pyro_meter_available();
    uint32_t pf = 1u << PYRO_EV_PAGE_FAULTS;
    pyro_span_t s;
    pyro_mcall_t c;
    size_t size = 32u << 20;
    pyro_span_start(&s, pf | (1u << PYRO_EV_CYCLES), -1);
    char *p = malloc(size);
    CHECK(p);
    memset(p, 1, size); /* touched: resident */
    pyro_span_stop(&s, -1, 0, &c);
    sink = p[size / 2];
    free(p);
    int64_t rss = pyro_meter_rss();
    pyro_meter_release();
    CHECK(rss > 0);
    CHECK(c.has_rss);
    CHECK(c.rss > (double)size / 2); /* huge pages or not, it is resident */
    CHECK_EQ_INT(c.evmask, avail & (pf | (1u << PYRO_EV_CYCLES)));
    if (c.evmask & pf)
        CHECK(c.ev[PYRO_EV_PAGE_FAULTS] >= 1);
}

static void test_render(void)
{
    pyro_mcall_t c;
    memset(&c, 0, sizeof c);
    c.wall = 0.0125;
    c.cpu = 0.000250;
    c.has_heap = 1;
    c.heap = -2048;
    c.has_rss = 1;
    c.rss = 300;
    c.evmask = 2u;
    c.ev[1] = 7;
    c.failed = 1;
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK_EQ_INT(pyro_render_measure_call("f", &c, names, 2, &b), PYRO_OK);
    CHECK(strcmp(b.data, "f: wall 12.500 ms  cpu 250.0 us  heap -2 KiB  rss +300 B  "
                         "context-switches 7  (raised)") == 0);
    pyro_buf_free(&b);
    CHECK_EQ_INT(pyro_render_measure_call(NULL, &c, names, 2, &b), PYRO_EINVAL);

    pyro_mtable_t *t = pyro_mtable_new(names, 2);
    CHECK(t);
    CHECK_EQ_INT(pyro_render_measure_table(t, &b), PYRO_OK);
    CHECK_EQ_INT(b.len, 0); /* nothing measured: nothing printed */
    pyro_mtable_add(t, "f", &c);
    c.wall = 0.0375;
    c.failed = 0;
    pyro_mtable_add(t, "f", &c);
    int rc = pyro_render_measure_table(t, &b);
    pyro_mtable_free(t);
    CHECK_EQ_INT(rc, PYRO_OK);
    CHECK(strstr(b.data, "pyrometer.measure summary (1 name)\n"));
    CHECK(strstr(b.data, "f: 2 calls, 1 raised\n"));
    /* mean 25 ms, sd 17.678 ms, min, max, total 50 ms */
    CHECK(strstr(b.data, "  wall") && strstr(b.data, "25.000 ms ±  17.678 ms"));
    CHECK(strstr(b.data, "50.000 ms\n"));
    CHECK(strstr(b.data, "heap change") && strstr(b.data, "-2 KiB"));
    CHECK(strstr(b.data, "context-switches"));
    CHECK(!strstr(b.data, "page-faults")); /* never counted */
    pyro_buf_free(&b);
}

void suite_measure(void)
{
    RUN(test_mtable_summaries);
    RUN(test_mtable_nomem);
    RUN(test_span_steps);
    RUN(test_span_rss_and_faults);
    RUN(test_render);
}
