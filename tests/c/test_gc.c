/* SPDX-License-Identifier: MIT */
/* test_gc: the collector's log (totals, bounded rows, freed types), its
 * export, the report's section and the JSON object in every mode's report,
 * the .pyro round trip, and every failing allocation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/buf.h"
#include "model/error.h"
#include "model/profile.h"
#include "format/pyrofile.h"
#include "format/render.h"
#include "record/gclog.h"
#include "sample.h"
#include "test.h"

/* Tags are function ids + 1 of the profile. */
static int64_t map_tag(void *ctx, uint64_t where, pyro_profile_t *p)
{
    (void)ctx;
    return where - 1 < p->nfuncs ? (int64_t)(where - 1) : -1;
}

static int render(const pyro_profile_t *p, int fmt, pyro_buf_t *b)
{
    b->len = 0;
    int rc = pyro_render(p, fmt, NULL, b);
    pyro_buf_putc(b, '\0');
    return rc;
}

static int64_t meta(const pyro_profile_t *p, const char *key)
{
    const char *v = pyro_profile_get_meta(p, key);
    return v ? strtoll(v, NULL, 10) : -999;
}

/* Three collections (two of generation 0 at function 0 line 12, one of
 * generation 2 at function 1 line 30), 1000 Node and 10 dict freed. */
static int fill(pyro_gclog_t *g, int64_t freed)
{
    pyro_gc_event_t e[3] = {
        {1000, 2000000, 500, 0, freed, 0, 12, 1},
        {5000, 1000000, 300, 0, freed, 0, 12, 1},
        {9000, 7000000, 1200, 2, freed, 2, 30, 2},
    };
    int rc = 0;
    for (int i = 0; i < 3 && !rc; i++)
        rc = pyro_gclog_add(g, &e[i]);
    static const char node[] = "Node";
    for (int i = 0; i < 1000 && !rc; i++)
        rc = pyro_gclog_freed(g, node, i % 2 ? "Node" : node);
    for (int i = 0; i < 10 && !rc; i++)
        rc = pyro_gclog_freed(g, &e[0], "dict");
    pyro_gclog_end(g);
    return rc;
}

static void test_gclog_totals(void)
{
    pyro_gclog_t *g = NULL;
    CHECK(pyro_gclog_new(3, 1, &g) == PYRO_EINVAL && !g);
    CHECK(pyro_gclog_new(PYRO_GCLOG_MAX_ROWS, PYRO_GCLOG_MAX_TYPES, &g) == PYRO_OK);
    CHECK(fill(g, 4096) == PYRO_OK);
    CHECK_EQ_INT(pyro_gclog_collections(g), 3);
    pyro_profile_t *p = sample_profile_sampled();
    CHECK(pyro_gclog_export(g, p, 1000000000, 1, map_tag, NULL) == PYRO_OK);
    CHECK(pyro_gclog_export(g, p, 1000000000, 1, map_tag, NULL) == PYRO_EINVAL);
    CHECK_EQ_INT(meta(p, "gc_collections"), 3);
    CHECK_EQ_INT(meta(p, "gc_collections_gen0"), 2);
    CHECK_EQ_INT(meta(p, "gc_collections_gen1"), 0);
    CHECK_EQ_INT(meta(p, "gc_collections_gen2"), 1);
    CHECK_EQ_INT(meta(p, "gc_pause_ns"), 10000000);
    CHECK_EQ_INT(meta(p, "gc_pause_gen0_ns"), 3000000);
    CHECK_EQ_INT(meta(p, "gc_pause_max_ns"), 7000000);
    CHECK_EQ_INT(meta(p, "gc_pause_max_gen"), 2);
    CHECK_EQ_INT(meta(p, "gc_pause_max_t_ns"), 9000);
    CHECK_EQ_INT(meta(p, "gc_collected"), 2000);
    CHECK_EQ_INT(meta(p, "gc_uncollectable"), 2);
    CHECK_EQ_INT(meta(p, "gc_freed_bytes"), 3 * 4096);
    CHECK_EQ_INT(meta(p, "gc_rows_merged"), 0);
    CHECK(strcmp(pyro_profile_get_meta(p, "gc_types"), "tracked") == 0);
    const pyro_series_t *s = pyro_profile_find_series(p, "gc");
    CHECK(s && s->nrows == 3 && s->ncols == 9);
    CHECK_EQ_INT(s->vals[pyro_series_col(p, s, "func")], 0);
    CHECK_EQ_INT(s->vals[2 * 9 + pyro_series_col(p, s, "func")], 1);
    CHECK_EQ_INT(s->vals[2 * 9 + pyro_series_col(p, s, "line")], 30);
    const pyro_series_t *t = pyro_profile_find_series(p, "gc_types");
    CHECK(t && t->nrows == 2);
    CHECK(strcmp(pyro_profile_strget(p, (uint32_t)t->vals[0]), "Node") == 0);
    CHECK_EQ_INT(t->vals[1], 1000);
    CHECK(strcmp(pyro_profile_strget(p, (uint32_t)t->vals[2]), "dict") == 0);
    CHECK_EQ_INT(t->vals[3], 10);
    pyro_profile_free(p);
    pyro_gclog_free(g);
}

/* Past max_rows, neighbours merge; totals stay exact, counts add up. */
static void test_gclog_bounded(void)
{
    pyro_gclog_t *g = NULL;
    CHECK(pyro_gclog_new(4, 1, &g) == PYRO_OK);
    for (int i = 0; i < 10; i++) {
        pyro_gc_event_t e = {i * 100, 10 + i, 1, 0, -1, i % 3, (uint32_t)i, 0};
        CHECK(pyro_gclog_add(g, &e) == PYRO_OK);
    }
    CHECK(pyro_gclog_freed(g, "a", "A") == PYRO_OK);
    CHECK(pyro_gclog_freed(g, "b", "B") == PYRO_OK); /* past the one name: "other" */
    pyro_profile_t *p = sample_profile_sampled();
    CHECK(pyro_gclog_export(g, p, 0, 1, NULL, NULL) == PYRO_OK);
    const pyro_series_t *s = pyro_profile_find_series(p, "gc");
    CHECK(s && s->nrows <= 4);
    int cc = pyro_series_col(p, s, "count"), cp = pyro_series_col(p, s, "pause_ns");
    int64_t count = 0, pause = 0;
    for (uint32_t r = 0; r < s->nrows; r++) {
        count += s->vals[r * s->ncols + cc];
        pause += s->vals[r * s->ncols + cp];
        CHECK_EQ_INT(s->vals[r * s->ncols + pyro_series_col(p, s, "freed_bytes")], -1);
    }
    CHECK_EQ_INT(count, 10);
    CHECK_EQ_INT(pause, 145);
    CHECK_EQ_INT(meta(p, "gc_collections"), 10);
    CHECK(meta(p, "gc_rows_merged") > 0);
    CHECK(!pyro_profile_get_meta(p, "gc_freed_bytes"));
    CHECK_EQ_INT(meta(p, "gc_types_other"), 1);
    pyro_buf_t b;
    pyro_buf_init(&b);
    int rc = render(p, PYRO_FMT_REPORT, &b);
    int ok = rc == PYRO_OK && strstr(b.data, "approximate: neighbouring collections were merged") &&
             strstr(b.data, "and 1 objects of other types") && strstr(b.data, "(no Python frame)");
    pyro_buf_free(&b);
    CHECK(ok);
    pyro_profile_free(p);
    pyro_gclog_free(g);
}

/* A profile of `mode` (sample, trace, lines, memory) with the log exported. */
static pyro_profile_t *with_gc(int mode, int types)
{
    pyro_profile_t *p = mode == PYRO_MODE_SAMPLE   ? sample_profile_sampled()
                        : mode == PYRO_MODE_LINES  ? sample_profile_lines("/nonexistent/prog.py")
                        : mode == PYRO_MODE_MEMORY ? sample_profile_memory("/nonexistent/m.py", 0)
                                                   : sample_profile();
    pyro_gclog_t *g = NULL;
    if (!p || pyro_gclog_new(64, 64, &g) || fill(g, mode == PYRO_MODE_MEMORY ? 1 << 20 : -1) ||
        pyro_gclog_export(g, p, 2000000000, types, map_tag, NULL)) {
        pyro_profile_free(p);
        p = NULL;
    }
    pyro_gclog_free(g);
    return p;
}

static void test_gc_report_every_mode(void)
{
    static const int modes[] = {PYRO_MODE_SAMPLE, PYRO_MODE_TRACE, PYRO_MODE_LINES,
                                PYRO_MODE_MEMORY};
    pyro_buf_t b;
    pyro_buf_init(&b);
    for (int i = 0; i < 4; i++) {
        pyro_profile_t *p = with_gc(modes[i], i != 1);
        CHECK(p);
        CHECK(render(p, PYRO_FMT_REPORT, &b) == PYRO_OK);
        const char *r = b.data;
        CHECK(strstr(r, "Garbage collector"));
        CHECK(strstr(r, "generation 0: 2, 1: 0, 2: 1"));
        CHECK(strstr(r, "0.5% of the 2.000s watched"));
        CHECK(strstr(r, "longest pause"));
        CHECK(strstr(r, "uncollectable: 2"));
        CHECK(strstr(r, "Where collections fired"));
        CHECK(strstr(r, ":30 "));
        CHECK(!strstr(r, "approximate"));
        CHECK((strstr(r, "freed by collections") != NULL) == (modes[i] == PYRO_MODE_MEMORY));
        if (i != 1) {
            CHECK(strstr(r, "Objects the collections freed, by type"));
            CHECK(strstr(r, "1000  Node"));
        } else {
            CHECK(strstr(r, "Types of the objects collections freed: not shown"));
        }
        CHECK(render(p, PYRO_FMT_JSON, &b) == PYRO_OK);
        CHECK(strstr(b.data, "\"gc\":{\"collections\":3,\"collections_by_generation\":[2,0,1]"));
        CHECK(strstr(b.data, "{\"type\":\"Node\",\"objects\":1000}") || i == 1);
        CHECK(strstr(b.data, "\"freed_bytes\":null") || modes[i] == PYRO_MODE_MEMORY);
        /* the .pyro keeps it */
        pyro_buf_t f;
        pyro_buf_init(&f);
        CHECK(pyro_pyrofile_write(p, &f) == PYRO_OK);
        pyro_profile_t *q = NULL;
        CHECK(pyro_pyrofile_read(f.data, f.len, &q) == PYRO_OK);
        pyro_buf_free(&f);
        CHECK(render(q, PYRO_FMT_REPORT, &b) == PYRO_OK);
        CHECK(strstr(b.data, "Where collections fired"));
        pyro_profile_free(q);
        pyro_profile_free(p);
    }
    /* without a series: no section, no object */
    pyro_profile_t *p = sample_profile_sampled();
    CHECK(render(p, PYRO_FMT_REPORT, &b) == PYRO_OK);
    CHECK(!strstr(b.data, "Garbage collector"));
    CHECK(render(p, PYRO_FMT_JSON, &b) == PYRO_OK);
    CHECK(!strstr(b.data, "\"gc\""));
    pyro_profile_free(p);
    pyro_buf_free(&b);
}

/* No collection at all: one line says so. */
static void test_gc_report_none(void)
{
    pyro_profile_t *p = sample_profile_sampled();
    pyro_gclog_t *g = NULL;
    CHECK(pyro_gclog_new(4, 4, &g) == PYRO_OK);
    CHECK(pyro_gclog_export(g, p, 1000, 0, NULL, NULL) == PYRO_OK);
    pyro_gclog_free(g);
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(render(p, PYRO_FMT_REPORT, &b) == PYRO_OK);
    CHECK(strstr(b.data, "No collection ran"));
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

/* Every failing allocation, in the log, its export and the writers: an
 * error, never a crash or a leak. */
static void test_gc_oom(void)
{
    int ok = 0;
    for (long k = 1; k < 400 && !ok; k++) {
        pyro_profile_t *p = sample_profile_sampled();
        pyro_gclog_t *g = NULL;
        test_alloc_fail_at(k);
        int rc = pyro_gclog_new(8, 8, &g);
        if (!rc)
            rc = fill(g, 10);
        if (!rc)
            rc = pyro_gclog_export(g, p, 1000, 1, map_tag, NULL);
        test_alloc_reset();
        pyro_gclog_free(g);
        CHECK(rc == PYRO_OK || rc == PYRO_ENOMEM);
        ok = rc == PYRO_OK;
        pyro_profile_free(p);
    }
    CHECK(ok);
    pyro_profile_t *p = with_gc(PYRO_MODE_SAMPLE, 1);
    CHECK(p);
    for (int f = PYRO_FMT_REPORT; f == PYRO_FMT_REPORT || f == PYRO_FMT_JSON;
         f = f == PYRO_FMT_REPORT ? PYRO_FMT_JSON : -1) {
        ok = 0;
        for (long k = 1; k < 400 && !ok; k++) {
            pyro_buf_t b;
            pyro_buf_init(&b);
            test_alloc_fail_at(k);
            int rc = pyro_render(p, f, NULL, &b);
            test_alloc_reset();
            pyro_buf_free(&b);
            CHECK(rc == PYRO_OK || rc == PYRO_ENOMEM);
            ok = rc == PYRO_OK;
        }
        CHECK(ok);
    }
    pyro_profile_free(p);
}

void suite_gc(void)
{
    RUN(test_gclog_totals);
    RUN(test_gclog_bounded);
    RUN(test_gc_report_every_mode);
    RUN(test_gc_report_none);
    RUN(test_gc_oom);
}
