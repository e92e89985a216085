/* SPDX-License-Identifier: MIT */
/* test_formats: .pyro round trips and corruption, and every text format. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/alloc.h"
#include "model/buf.h"
#include "model/error.h"
#include "model/profile.h"
#include "format/pstats.h"
#include "format/pyrofile.h"
#include "model/stats.h"

#include "format/fmt_lines.h"
#include "format/fmt_linetime.h"
#include "format/render.h"
#include "record/sampler.h"
#include "sample.h"
#include "test.h"

static void test_pyro_roundtrip(void)
{
    pyro_profile_t *p = sample_profile();
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(pyro_pyrofile_write(p, &b) == PYRO_OK);
    CHECK(pyro_pyrofile_sniff(b.data, b.len));
    pyro_profile_t *q = NULL;
    CHECK(pyro_pyrofile_read(b.data, b.len, &q) == PYRO_OK);
    CHECK(q->nfuncs == p->nfuncs && q->nnodes == p->nnodes && q->nthreads == 2);
    for (uint32_t i = 0; i < p->nnodes; i++) {
        CHECK(q->nodes[i].parent == p->nodes[i].parent && q->nodes[i].func == p->nodes[i].func);
        CHECK(q->nodes[i].thread == p->nodes[i].thread && q->nodes[i].line == p->nodes[i].line);
        for (int m = 0; m < PYRO_M_COUNT; m++)
            CHECK(pyro_node_metric(q, i, m) == pyro_node_metric(p, i, m));
    }
    for (uint32_t i = 0; i < p->nfuncs; i++) {
        CHECK(strcmp(pyro_profile_strget(q, q->funcs[i].qualname),
                     pyro_profile_strget(p, p->funcs[i].qualname)) == 0);
        CHECK(q->funcs[i].kind == p->funcs[i].kind && q->funcs[i].line == p->funcs[i].line);
    }
    CHECK(strcmp(pyro_profile_get_meta(q, "clock"), "wall") == 0);
    CHECK(strcmp(pyro_profile_strget(q, q->threads[1].name), "worker") == 0);
    CHECK(q->threads[1].native_id == 102);
    /* writing the copy gives identical bytes */
    pyro_buf_t b2;
    pyro_buf_init(&b2);
    CHECK(pyro_pyrofile_write(q, &b2) == PYRO_OK);
    CHECK(b2.len == b.len && memcmp(b2.data, b.data, b.len) == 0);
    pyro_buf_free(&b2);
    pyro_profile_free(q);
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

/* Series: added, appended, found by name, copied by views and through .pyro
 * (values that go down and up, negative ones, the full width of int64). */
static void test_series(void)
{
    pyro_profile_t *p = sample_profile();
    static const char *const cols[] = {"t_ns", "rss_bytes", "heap_bytes"};
    uint32_t mem, gc;
    CHECK(pyro_profile_add_series(p, "memory", 3, cols, &mem) == PYRO_OK && mem == 0);
    CHECK(pyro_profile_add_series(p, "memory", 1, cols, &gc) == PYRO_EINVAL);
    CHECK(pyro_profile_add_series(p, "gc", 0, cols, &gc) == PYRO_EINVAL);
    CHECK(pyro_profile_add_series(p, "", 1, cols, &gc) == PYRO_EINVAL);
    CHECK(pyro_profile_add_series(p, "gc", PYRO_SERIES_MAX_COLS + 1, cols, &gc) == PYRO_EINVAL);
    CHECK(pyro_profile_add_series(p, "gc", 2, cols, &gc) == PYRO_OK && gc == 1);
    for (int64_t r = 0; r < 300; r++) {
        int64_t row[3] = {r * 1000, (r % 7) * (INT64_MAX / 8), -r};
        CHECK(pyro_series_append(p, mem, row) == PYRO_OK);
    }
    int64_t extreme[2] = {INT64_MIN, INT64_MAX};
    CHECK(pyro_series_append(p, gc, extreme) == PYRO_OK);
    CHECK(pyro_series_append(p, 2, extreme) == PYRO_EINVAL);
    const pyro_series_t *s = pyro_profile_find_series(p, "memory");
    CHECK(s && s->nrows == 300 && s->ncols == 3 && !pyro_profile_find_series(p, "nope"));
    CHECK(pyro_series_col(p, s, "heap_bytes") == 2 && pyro_series_col(p, s, "x") == -1);
    /* a view keeps them */
    pyro_profile_t *v = NULL;
    CHECK(pyro_profile_view(p, PYRO_VIEW_FUNCS, &v) == PYRO_OK);
    const pyro_series_t *vs = pyro_profile_find_series(v, "memory");
    CHECK(vs && vs->nrows == 300 && memcmp(vs->vals, s->vals, 900 * sizeof(int64_t)) == 0);
    pyro_profile_free(v);
    /* .pyro round trip, byte for byte */
    pyro_buf_t b, b2;
    pyro_buf_init(&b);
    pyro_buf_init(&b2);
    pyro_profile_t *q = NULL;
    CHECK(pyro_pyrofile_write(p, &b) == PYRO_OK);
    CHECK(pyro_pyrofile_read(b.data, b.len, &q) == PYRO_OK && q->nseries == 2);
    const pyro_series_t *qs = pyro_profile_find_series(q, "memory");
    const pyro_series_t *qg = pyro_profile_find_series(q, "gc");
    CHECK(qs && qs->nrows == 300 && memcmp(qs->vals, s->vals, 900 * sizeof(int64_t)) == 0);
    CHECK(qg && qg->nrows == 1 && qg->vals[0] == INT64_MIN && qg->vals[1] == INT64_MAX);
    CHECK(strcmp(pyro_profile_strget(q, qs->cols[1]), "rss_bytes") == 0);
    CHECK(pyro_pyrofile_write(q, &b2) == PYRO_OK);
    CHECK(b2.len == b.len && memcmp(b2.data, b.data, b.len) == 0);
    pyro_profile_free(q);
    /* every allocation failure while reading fails cleanly, without a leak */
    long live = test_alloc_live();
    for (long n = 1;; n++) {
        test_alloc_fail_at(n);
        q = NULL;
        int rc = pyro_pyrofile_read(b.data, b.len, &q);
        test_alloc_reset();
        if (rc == PYRO_OK) {
            pyro_profile_free(q);
            break;
        }
        CHECK(rc == PYRO_ENOMEM && test_alloc_live() == live);
    }
    pyro_buf_free(&b);
    pyro_buf_free(&b2);
    pyro_profile_free(p);
}

static void test_pyro_corrupt(void)
{
    pyro_profile_t *p = sample_profile();
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(pyro_pyrofile_write(p, &b) == PYRO_OK);
    pyro_profile_t *q = NULL;
    for (size_t n = 0; n < b.len; n++) /* every truncation fails cleanly */
        CHECK(pyro_pyrofile_read(b.data, n, &q) != PYRO_OK);
    for (size_t i = 0; i < b.len; i++) { /* every byte flip is detected */
        for (int bit = 0; bit < 8; bit += 3) {
            b.data[i] ^= (char)(1 << bit);
            int rc = pyro_pyrofile_read(b.data, b.len, &q);
            b.data[i] ^= (char)(1 << bit);
            if (rc == PYRO_OK)
                pyro_profile_free(q);
            CHECK(rc != PYRO_OK);
        }
    }
    /* a newer major version is named as such */
    b.data[8] = 3;
    CHECK(pyro_pyrofile_read(b.data, b.len, &q) == PYRO_EVERSION);
    b.data[8] = 2;
    /* trailing garbage */
    pyro_buf_puts(&b, "x");
    CHECK(pyro_pyrofile_read(b.data, b.len, &q) == PYRO_EFORMAT);
    CHECK(pyro_pyrofile_read("hello world!", 12, &q) == PYRO_EFORMAT);
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

/* Files of format 1.0, written by pyrometer before the columns were named
 * and typed (tests/data/pyro-v1): read with their mode and its columns, and
 * written again as format 2 without a value lost. */
static void test_pyro_version_1(void)
{
    static const struct {
        const char *file;
        int mode;
        uint32_t ncols;
    } cases[] = {{"trace.pyro", PYRO_MODE_TRACE, 3}, {"sample.pyro", PYRO_MODE_SAMPLE, 6}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/pyro-v1/%s", PYRO_TEST_DATA, cases[k].file);
        pyro_buf_t b, again;
        pyro_buf_init(&b);
        pyro_buf_init(&again);
        CHECK(pyro_buf_read_file(&b, path, 1 << 20) == PYRO_OK && b.len > 16);
        CHECK(b.data[8] == 1 && b.data[9] == 0); /* really a 1.0 file */
        pyro_profile_t *p = NULL, *q = NULL;
        CHECK(pyro_pyrofile_read(b.data, b.len, &p) == PYRO_OK);
        if (!p)
            continue;
        CHECK(p->mode == cases[k].mode && p->ncols == cases[k].ncols && p->nnodes > 3);
        CHECK(strcmp(pyro_profile_get_meta(p, "mode"), pyro_mode_name(cases[k].mode)) == 0);
        int sampled = cases[k].mode == PYRO_MODE_SAMPLE;
        CHECK((p->col[PYRO_M_CALLS] < 0) == sampled && (p->col[PYRO_M_SAMPLES] >= 0) == sampled);
        int64_t sum = 0;
        for (uint32_t i = 0; i < p->nnodes; i++)
            sum += pyro_node_metric(p, i, sampled ? PYRO_M_SAMPLES : PYRO_M_CALLS);
        CHECK(sum > 0 && pyro_profile_total_ns(p) > 0);
        CHECK(pyro_pyrofile_write(p, &again) == PYRO_OK && again.data[8] == 2);
        CHECK(pyro_pyrofile_read(again.data, again.len, &q) == PYRO_OK);
        CHECK(q && q->mode == p->mode && q->ncols == p->ncols && q->nnodes == p->nnodes);
        for (uint32_t i = 0; q && i < p->nnodes; i++)
            for (uint32_t c = 0; c < p->ncols; c++)
                CHECK(pyro_node_vals(q, i)[c] == pyro_node_vals(p, i)[c]);
        pyro_profile_free(q);
        pyro_profile_free(p);
        /* every truncation and every failing allocation: an error, never a crash */
        for (size_t n = 0; n < b.len; n++)
            CHECK(pyro_pyrofile_read(b.data, n, &p) != PYRO_OK);
        for (long fail = 1; fail < 60; fail++) {
            p = NULL;
            test_alloc_fail_at(fail);
            int rc = pyro_pyrofile_read(b.data, b.len, &p);
            test_alloc_reset();
            CHECK(rc == PYRO_OK || rc == PYRO_ENOMEM);
            pyro_profile_free(p);
        }
        pyro_buf_free(&again);
        pyro_buf_free(&b);
    }
}

/* Format 2's columns: a column of a later version's metric is kept by name;
 * a known name with another unit, a name twice, an unknown unit or mode are
 * refused. */
static void test_pyro_columns(void)
{
    pyro_profile_t *p = pyro_profile_new();
    int col = -1;
    CHECK(pyro_profile_add_column(p, "future_bytes", 12, PYRO_UNIT_BYTES, PYRO_AGG_OWN, &col) ==
          PYRO_OK);
    CHECK(col == 0 && p->cols[0].metric == -1);
    CHECK(pyro_profile_add_column(p, "calls", 5, PYRO_UNIT_NS, PYRO_AGG_OWN, &col) == PYRO_EINVAL);
    CHECK(pyro_profile_add_column(p, "future_bytes", 12, PYRO_UNIT_BYTES, PYRO_AGG_OWN, &col) ==
          PYRO_EINVAL);
    CHECK(pyro_profile_add_column(p, "x", 1, PYRO_UNIT_COUNT, PYRO_AGG_OWN, &col) == PYRO_EINVAL);
    CHECK(pyro_profile_set_mode(p, PYRO_MODE_TRACE) == PYRO_OK);
    CHECK(p->ncols == 4 && p->col[PYRO_M_CALLS] == 1 && p->col[PYRO_M_SAMPLES] == -1);
    CHECK(pyro_profile_set_mode(p, PYRO_MODE_SAMPLE) == PYRO_ESTATE);
    pyro_thread_t th = {1, 1, 0};
    pyro_func_t f = {0};
    uint32_t t, fn, n;
    CHECK(pyro_profile_add_thread(p, &th, &t) == PYRO_OK);
    CHECK(pyro_profile_func(p, &f, &fn) == PYRO_OK);
    CHECK(pyro_profile_child(p, PYRO_NONE, t, fn, 0, &n) == PYRO_OK);
    pyro_node_add(p, n, 0, 4096);
    pyro_node_add(p, n, p->col[PYRO_M_CALLS], 7);
    pyro_node_add(p, n, p->col[PYRO_M_SAMPLES], 1); /* no such column: nothing */
    CHECK(pyro_profile_add_column(p, "late", 4, PYRO_UNIT_EVENTS, PYRO_AGG_OWN, &col) ==
          PYRO_ESTATE);
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(pyro_pyrofile_write(p, &b) == PYRO_OK);
    pyro_profile_t *q = NULL;
    CHECK(pyro_pyrofile_read(b.data, b.len, &q) == PYRO_OK);
    CHECK(q && q->mode == PYRO_MODE_TRACE && q->ncols == 4 && q->cols[0].unit == PYRO_UNIT_BYTES);
    CHECK(q && strcmp(pyro_profile_strget(q, q->cols[0].name), "future_bytes") == 0);
    CHECK(q && pyro_node_get(q, 0, 0) == 4096 && pyro_node_metric(q, 0, PYRO_M_CALLS) == 7);
    pyro_profile_free(q);
    /* the MTRC payload starts with the mode: find it and make it unknown */
    const char *mtrc = memmem(b.data, b.len, "MTRC", 4);
    CHECK(mtrc != NULL);
    if (mtrc) {
        size_t at = (size_t)(mtrc - b.data) + 12;
        CHECK(b.data[at] == PYRO_MODE_TRACE);
        b.data[at] = PYRO_MODE_COUNT;
        uint32_t crc = pyro_crc32(0, b.data, b.len - 16);
        for (int i = 0; i < 4; i++)
            b.data[b.len - 4 + i] = (char)(crc >> (8 * i));
        CHECK(pyro_pyrofile_read(b.data, b.len, &q) == PYRO_EVERSION);
    }
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

static void test_pyro_oom(void)
{
    pyro_profile_t *p = sample_profile();
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(pyro_pyrofile_write(p, &b) == PYRO_OK);
    for (long k = 1; k < 80; k++) {
        pyro_profile_t *q = NULL;
        test_alloc_fail_at(k);
        int rc = pyro_pyrofile_read(b.data, b.len, &q);
        test_alloc_reset();
        CHECK(rc == PYRO_OK || rc == PYRO_ENOMEM);
        if (rc == PYRO_OK)
            pyro_profile_free(q);
    }
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

static void render(pyro_profile_t *p, int fmt, pyro_buf_t *b)
{
    pyro_render_opts_t o;
    pyro_render_defaults(&o);
    o.strip_prefix = "/src/app";
    b->len = 0;
    pyro_render(p, fmt, &o, b);
}

static void test_text_formats(void)
{
    pyro_profile_t *p = sample_profile();
    pyro_buf_t b;
    pyro_buf_init(&b);
    render(p, PYRO_FMT_COLLAPSED, &b);
    CHECK(
        strstr(b.data,
               "<module> (main.py:1);Job.work (main.py:10);{built-in method builtins.abs} 4000\n"));
    CHECK(
        strstr(b.data, "<module> (main.py:1);Job.work (main.py:10);Job.work (main.py:10) 1000\n"));
    CHECK(strstr(b.data, "\nJob.work (main.py:10) 2000\n"));
    CHECK(strstr(b.data, "<module> (main.py:1) 1\n"));
    render(p, PYRO_FMT_TABLE, &b);
    CHECK(strstr(b.data, "1000007 function calls (1000005 primitive calls) in 0.011 seconds"));
    CHECK(strstr(b.data, "      6/4    0.006    0.001    0.010    0.003 main.py:10(work)\n"));
    CHECK(strstr(b.data, "{built-in method builtins.abs}"));
    CHECK(strstr(b.data, "called by:"));
    CHECK(!strchr(b.data, '\033'));
    render(p, PYRO_FMT_TREE, &b);
    CHECK(strstr(b.data, "Job.work"));
    CHECK(strstr(b.data, "-- thread worker (id 102) --"));
    CHECK(strstr(b.data, "\xe2\x94\x94\xe2\x94\x80 "));
    render(p, PYRO_FMT_JSON, &b);
    CHECK(strncmp(b.data, "{\"format\":\"pyrometer\",\"version\":1", 33) == 0);
    CHECK(strstr(b.data, "\"qualname\":\"Job.work\""));
    render(p, PYRO_FMT_PSTATS, &b);
    CHECK(b.data[0] == '{' && b.data[b.len - 1] == '0');
    CHECK(pyro_format_from_path("x/y.prof") == PYRO_FMT_PSTATS);
    CHECK(pyro_format_from_path("y.collapsed") == PYRO_FMT_COLLAPSED);
    CHECK(pyro_format_from_path("y.svg") == PYRO_FMT_SVG);
    CHECK(pyro_format_from_path("y.speedscope.json") == PYRO_FMT_SPEEDSCOPE);
    CHECK(pyro_format_from_path("y.json") == PYRO_FMT_JSON);
    CHECK(pyro_format_from_path("y.bmp") == -1);
    CHECK(pyro_format_parse("tree") == PYRO_FMT_TREE && pyro_format_parse("x") == -1);
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

static void render_oom(pyro_profile_t *p);

/* The sample profile as a sample recording: lines per node, samples, CPU. */
static pyro_profile_t *sampled_profile(void)
{
    pyro_profile_t *p = sample_profile_sampled();
    pyro_profile_set_meta(p, "rate_hz", "1000");
    /* a second line of Job.work under the root: merged in function views */
    uint32_t extra;
    pyro_profile_child(p, 0, p->nodes[0].thread, p->nodes[1].func, 12, &extra);
    int64_t *v = pyro_node_vals(p, extra);
    v[p->col[PYRO_M_SAMPLES]] = 2;
    v[p->col[PYRO_M_SELF_NS]] = 2000000;
    v[p->col[PYRO_M_RUNNING]] = 2;
    v[p->col[PYRO_M_CPU_NS]] = 2000000;
    pyro_profile_fill_totals(p);
    return p;
}

static void test_sample_views(void)
{
    pyro_profile_t *p = sampled_profile(), *v = NULL, *c = NULL;
    CHECK(p->mode == PYRO_MODE_SAMPLE && p->col[PYRO_M_CALLS] < 0);
    CHECK(pyro_profile_view(p, PYRO_VIEW_FUNCS | PYRO_VIEW_CALLS, &v) == PYRO_OK);
    CHECK(v && v->nnodes == p->nnodes - 1); /* the two lines of Job.work merged */
    CHECK(pyro_profile_total_ns(v) == pyro_profile_total_ns(p));
    CHECK(v->mode == PYRO_MODE_SAMPLE && v->col[PYRO_M_CALLS] >= 0);
    CHECK(pyro_node_metric(v, 0, PYRO_M_CALLS) ==
          pyro_node_metric(v, 0, PYRO_M_TOTAL_NS) / 1000000); /* samples on stack */
    CHECK(pyro_profile_view(p, PYRO_VIEW_FUNCS | PYRO_VIEW_CPU, &c) == PYRO_OK);
    int64_t cpu = 0;
    for (uint32_t i = 0; i < p->nnodes; i++)
        cpu += pyro_node_metric(p, i, PYRO_M_CPU_NS);
    CHECK(c && pyro_profile_total_ns(c) == cpu);
    int64_t own[8], total[8];
    CHECK(v->nfuncs <= 8 && pyro_profile_func_times(v, PYRO_NONE, own, total) == PYRO_OK);
    /* recursion counted once: Job.work's total is its outermost nodes' */
    int64_t want_total = 0, want_own = 0;
    for (uint32_t i = 0; i < v->nnodes; i++) {
        if (v->nodes[i].func != 1)
            continue;
        want_own += pyro_node_metric(v, i, PYRO_M_SELF_NS);
        uint32_t par = v->nodes[i].parent;
        if (par == PYRO_NONE || v->nodes[par].func != 1)
            want_total += pyro_node_metric(v, i, PYRO_M_TOTAL_NS);
    }
    CHECK(total[1] == want_total && own[1] == want_own && want_total < 2 * want_own + 1);
    pyro_profile_free(v);
    pyro_profile_free(c);
    pyro_buf_t b;
    pyro_buf_init(&b);
    render(p, PYRO_FMT_REPORT, &b);
    CHECK(strstr(b.data, "sample profile") && strstr(b.data, "Hottest lines"));
    CHECK(strstr(b.data, "main.py:12  Job.work"));
    CHECK(strstr(b.data, "MainThread") && strstr(b.data, "worker"));
    render(p, PYRO_FMT_COLLAPSED, &b);
    CHECK(strstr(b.data, "<module> (main.py:1);Job.work (main.py:10) 5\n"));
    render(p, PYRO_FMT_SPEEDSCOPE, &b);
    CHECK(strstr(b.data, "\"type\":\"sampled\"") && strstr(b.data, "\"name\":\"worker\""));
    render(p, PYRO_FMT_SVG, &b);
    CHECK(strncmp(b.data, "<?xml", 5) == 0 && strstr(b.data, "data-l=\"Job.work (main.py:10)\""));
    CHECK(strstr(b.data, "</svg>\n"));
    render(p, PYRO_FMT_PYRO, &b);
    pyro_profile_t *back = NULL;
    CHECK(pyro_pyrofile_read(b.data, b.len, &back) == PYRO_OK);
    CHECK(back && back->nnodes == p->nnodes && back->mode == PYRO_MODE_SAMPLE);
    CHECK(back && back->ncols == p->ncols && back->col[PYRO_M_CALLS] < 0);
    for (uint32_t i = 0; back && i < p->nnodes; i++)
        for (int m = 0; m < PYRO_M_COUNT; m++)
            CHECK(pyro_node_metric(back, i, m) == pyro_node_metric(p, i, m));
    pyro_profile_free(back);
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

/* A sample node of `self_ms` milliseconds (one sample a millisecond). */
static uint32_t ms_node(pyro_profile_t *p, uint32_t parent, uint32_t func, int64_t self_ms)
{
    uint32_t id = 0;
    if (pyro_profile_child(p, parent, 0, func, 0, &id) != PYRO_OK)
        abort();
    pyro_node_add(p, id, p->col[PYRO_M_SAMPLES], self_ms);
    pyro_node_add(p, id, p->col[PYRO_M_SELF_NS], self_ms * 1000000);
    return id;
}

static uint32_t named_func(pyro_profile_t *p, const char *name, const char *file, uint32_t line)
{
    pyro_func_t f = {0};
    uint32_t id = 0;
    if (pyro_profile_str(p, name, strlen(name), &f.name) ||
        pyro_profile_str(p, file, strlen(file), &f.file))
        abort();
    f.qualname = f.name;
    f.line = line;
    if (pyro_profile_func(p, &f, &id))
        abort();
    return id;
}

/* Program code called through library frames:
 *   main 1 ms -> json.loads 1 ms -> decode 2 ms -> raw_decode 1 ms -> hot 3 ms
 *                               \-> cb 2 ms (program code)
 * Folded, the library frames below loads become one "[2 library frames]"
 * line that keeps their 3 ms, and every line's total is its self time plus
 * its children's totals (the time folded frames took was lost before). */
static void test_tree_folds_library_frames(void)
{
    pyro_profile_t *p = pyro_profile_new();
    CHECK(pyro_profile_set_mode(p, PYRO_MODE_SAMPLE) == PYRO_OK);
    pyro_thread_t th = {1, 1, 0};
    uint32_t t;
    CHECK(pyro_profile_str(p, "MainThread", 10, &th.name) == PYRO_OK);
    CHECK(pyro_profile_add_thread(p, &th, &t) == PYRO_OK);
    const char *lib = "/usr/lib/python3.12/json/";
    char file[128];
    uint32_t fmain = named_func(p, "main", "/src/app/main.py", 1);
    snprintf(file, sizeof file, "%s__init__.py", lib);
    uint32_t floads = named_func(p, "loads", file, 299);
    snprintf(file, sizeof file, "%sdecoder.py", lib);
    uint32_t fdecode = named_func(p, "decode", file, 333);
    uint32_t fraw = named_func(p, "raw_decode", file, 344);
    uint32_t fhot = named_func(p, "hot", "/src/app/main.py", 20);
    uint32_t fcb = named_func(p, "cb", "/src/app/main.py", 30);
    uint32_t m = ms_node(p, PYRO_NONE, fmain, 1);
    uint32_t l = ms_node(p, m, floads, 1);
    uint32_t d = ms_node(p, l, fdecode, 2);
    uint32_t r = ms_node(p, d, fraw, 1);
    ms_node(p, r, fhot, 3);
    ms_node(p, l, fcb, 2);
    pyro_profile_fill_totals(p);
    pyro_render_opts_t o;
    pyro_render_defaults(&o);
    o.strip_prefix = "/src/app";
    o.threshold = 0;
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(pyro_render(p, PYRO_FMT_TREE, &o, &b) == PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "  10.0ms 100.0%    1.0ms  main  main.py:1\n"));
    CHECK(strstr(b.data, "   9.0ms  90.0%    1.0ms  \xe2\x94\x94\xe2\x94\x80 loads  "));
    CHECK(strstr(b.data, "   6.0ms  60.0%    3.0ms     \xe2\x94\x9c\xe2\x94\x80 "
                         "[2 library frames]\n"));
    CHECK(strstr(b.data, "   3.0ms  30.0%    3.0ms     \xe2\x94\x82  \xe2\x94\x94\xe2\x94\x80 "
                         "hot  main.py:20\n"));
    CHECK(strstr(b.data, "   2.0ms  20.0%    2.0ms     \xe2\x94\x94\xe2\x94\x80 cb  main.py:30\n"));
    CHECK(!strstr(b.data, "decode"));
    CHECK(strstr(b.data, "runs of library frames are folded, --show-all shows them"));
    o.threshold = 0.005;
    b.len = 0;
    CHECK(pyro_render(p, PYRO_FMT_TREE, &o, &b) == PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "(frames under 0.5% of the total are hidden; runs of library frames are "
                         "folded, --show-all shows them)\n")); /* samples, not calls */
    /* --show-all: every frame, no fold line */
    o.show_all = 1;
    b.len = 0;
    CHECK(pyro_render(p, PYRO_FMT_TREE, &o, &b) == PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "raw_decode") && !strstr(b.data, "library frame"));
    /* under every failing allocation: an error, never a crash */
    o.show_all = 0;
    for (long k = 1; k < 40; k++) {
        b.len = 0;
        test_alloc_fail_at(k);
        int rc = pyro_render(p, PYRO_FMT_TREE, &o, &b);
        test_alloc_reset();
        CHECK(rc == PYRO_OK || rc == PYRO_ENOMEM);
    }
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

/* A sample profile's table counts samples and says so; --sort and --limit
 * hold for it as for a trace (the header said "function calls" before). */
static void test_sample_table(void)
{
    pyro_profile_t *p = sampled_profile();
    pyro_render_opts_t o;
    pyro_render_defaults(&o);
    o.strip_prefix = "/src/app";
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(pyro_render(p, PYRO_FMT_TABLE, &o, &b) == PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "         12 samples in 0.012 seconds (wall clock, 1000 Hz)\n"));
    CHECK(!strstr(b.data, "function calls") && !strstr(b.data, "ncalls") &&
          !strstr(b.data, "percall"));
    CHECK(strstr(b.data, "  samples  owntime  cumtime filename:lineno(function)\n"));
    CHECK(strstr(b.data, "       10    0.000    0.010 main.py:1(<module>)\n"));
    /* recursion counted once: Job.work was on the stack in 12 samples */
    CHECK(strstr(b.data, "       12    0.008    0.012 main.py:10(work)\n"));
    CHECK(strstr(b.data, "  called by: (none: a root)\n") && !strstr(b.data, "traced"));
    o.sort = PYRO_SORT_TOTTIME;
    o.limit = 1;
    b.len = 0;
    CHECK(pyro_render(p, PYRO_FMT_TABLE, &o, &b) == PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "   Ordered by: own time\n   List reduced from 3 to 1 due to "
                         "restriction <1>\n"));
    CHECK(strstr(b.data, " 0.012 main.py:10(work)\n") &&
          !strstr(b.data, " 0.010 main.py:1(<module>)\n"));
    o.sort = PYRO_SORT_NCALLS;
    o.limit = 0;
    o.cpu = 1;
    b.len = 0;
    CHECK(pyro_render(p, PYRO_FMT_TABLE, &o, &b) == PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "(CPU clock, 1000 Hz)") && strstr(b.data, "Ordered by: samples\n"));
    char *work = strstr(b.data, "main.py:10(work)\n"),
         *mod = strstr(b.data, "main.py:1(<module>)\n");
    CHECK(work && mod && work < mod);
    /* the report's hottest lines follow --limit and --sort too */
    o.cpu = 0;
    o.limit = 1;
    o.sort = PYRO_SORT_FILE;
    b.len = 0;
    CHECK(pyro_render(p, PYRO_FMT_REPORT, &o, &b) == PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "Hottest lines (own wall time, by file name, 1 of 3)\n"));
    CHECK(strstr(b.data, "    6.0ms        6  main.py:0  Job.work\n") &&
          !strstr(b.data, "main.py:12  Job.work"));
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

/* No samples: every text says why and how to get some, never "over 0". */
static void test_no_samples(void)
{
    pyro_profile_t *p = pyro_profile_new();
    pyro_thread_t th = {1, 1, 0};
    uint32_t t;
    CHECK(pyro_profile_str(p, "MainThread", 10, &th.name) == PYRO_OK);
    CHECK(pyro_profile_add_thread(p, &th, &t) == PYRO_OK);
    CHECK(pyro_profile_set_mode(p, PYRO_MODE_SAMPLE) == PYRO_OK);
    pyro_profile_set_meta(p, "rate_hz", "10");
    pyro_profile_set_meta(p, "samples", "0");
    pyro_profile_set_meta(p, "duration_s", "0.000000");
    const char *why = "No samples: the program ended before the first sample was taken (at 10 "
                      "Hz, one sample every 100.0ms). Sample more often with a higher --rate, or "
                      "profile a longer run.";
    static const int fmts[] = {PYRO_FMT_REPORT, PYRO_FMT_TABLE, PYRO_FMT_TREE, PYRO_FMT_SVG,
                               PYRO_FMT_SPEEDSCOPE};
    pyro_buf_t b;
    pyro_buf_init(&b);
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        b.len = 0;
        CHECK(pyro_render(p, fmts[i], NULL, &b) == PYRO_OK);
        pyro_buf_putc(&b, '\0');
        CHECK(strstr(b.data, why));
        CHECK(!strstr(b.data, "over 0,"));
    }
    b.len = 0;
    CHECK(pyro_render(p, PYRO_FMT_REPORT, NULL, &b) == PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "0 samples at 10 Hz over 0s, wall time"));
    /* samples taken that found no Python frame: no claim that none was taken */
    pyro_profile_set_meta(p, "samples", "1");
    b.len = 0;
    CHECK(pyro_render(p, PYRO_FMT_REPORT, NULL, &b) == PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "1 sample at 10 Hz"));
    CHECK(strstr(b.data, "No Python stacks: the 1 sample taken found no Python code running"));
    CHECK(!strstr(b.data, "ended before the first sample"));
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

/* Library paths are shown relative to their sys.path entry: the profile's
 * "sys_path" metadata when it has it, else the usual layouts. */
static void test_library_paths(void)
{
    pyro_render_opts_t o;
    pyro_render_defaults(&o);
    o.strip_prefix = "/home/u/proj";
    CHECK(strcmp(pyro_render_path(&o, "/usr/lib/python3.12/random.py"), "random.py") == 0);
    CHECK(strcmp(pyro_render_path(&o, "/root/.pyenv/versions/3.12.1/lib/python3.12/asyncio/"
                                      "base_events.py"),
                 "asyncio/base_events.py") == 0);
    CHECK(strcmp(pyro_render_path(&o, "/home/u/proj/.venv/lib/python3.13t/site-packages/numpy/"
                                      "core/x.py"),
                 "numpy/core/x.py") == 0);
    CHECK(strcmp(pyro_render_path(&o, "/usr/lib/python3/dist-packages/yaml/__init__.py"),
                 "yaml/__init__.py") == 0);
    CHECK(strcmp(pyro_render_path(&o, "<frozen importlib._bootstrap>"),
                 "<frozen importlib._bootstrap>") == 0);
    CHECK(strcmp(pyro_render_path(&o, "/home/u/proj/app/main.py"), "app/main.py") == 0);
    CHECK(strcmp(pyro_render_path(&o, "/opt/x/main.py"), "/opt/x/main.py") == 0);
    /* the recorded sys.path wins: the longest entry a file lies below */
    o.sys_path = "/home/u/proj:/opt/py/lib/python3.12:/opt/py/lib/python3.12/lib-dynload/";
    CHECK(strcmp(pyro_render_path(&o, "/opt/py/lib/python3.12/lib-dynload/_x.py"), "_x.py") == 0);
    CHECK(strcmp(pyro_render_path(&o, "/opt/py/lib/python3.12/json/decoder.py"),
                 "json/decoder.py") == 0);
    /* program files keep the path relative to the working directory */
    CHECK(strcmp(pyro_render_path(&o, "/home/u/proj/app/main.py"), "app/main.py") == 0);
    /* in the flame graph: the short path in the label, the full one on hover */
    pyro_profile_t *p = pyro_profile_new();
    CHECK(pyro_profile_set_mode(p, PYRO_MODE_SAMPLE) == PYRO_OK);
    pyro_thread_t th = {1, 1, 0};
    uint32_t t;
    CHECK(pyro_profile_str(p, "MainThread", 10, &th.name) == PYRO_OK);
    CHECK(pyro_profile_add_thread(p, &th, &t) == PYRO_OK);
    uint32_t f = named_func(p, "Random.shuffle", "/usr/lib/python3.12/random.py", 358);
    ms_node(p, PYRO_NONE, f, 5);
    pyro_profile_fill_totals(p);
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(pyro_render(p, PYRO_FMT_SVG, NULL, &b) == PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "data-l=\"Random.shuffle (random.py:358)\""));
    CHECK(strstr(b.data, "<title>Random.shuffle (/usr/lib/python3.12/random.py:358)\n"));
    /* speedscope shows the file on hover only: the full path */
    b.len = 0;
    CHECK(pyro_render(p, PYRO_FMT_SPEEDSCOPE, NULL, &b) == PYRO_OK);
    pyro_buf_putc(&b, '\0');
    CHECK(
        strstr(b.data, "{\"name\":\"Random.shuffle\",\"file\":\"/usr/lib/python3.12/random.py\""));
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

static void test_render_oom(void)
{
    for (int sampled = 0; sampled < 2; sampled++) {
        pyro_profile_t *p = sampled ? sampled_profile() : sample_profile();
        render_oom(p);
        pyro_profile_free(p);
    }
}

/* Every format under every failing allocation: an error, never a crash. */
static void render_oom(pyro_profile_t *p)
{
    for (int fmt = 0; fmt < PYRO_FMT_COUNT; fmt++) {
        if (!pyro_format_can_write(fmt, p->mode))
            continue; /* refused (test_lines_view, test_linetime_pyro_and_refusals) */
        for (long k = 1; k < 60; k++) {
            pyro_buf_t b;
            pyro_buf_init(&b);
            pyro_render_opts_t o;
            pyro_render_defaults(&o);
            test_alloc_fail_at(k);
            int rc = pyro_render(p, fmt, &o, &b);
            test_alloc_reset();
            pyro_buf_free(&b);
            CHECK(rc == PYRO_OK || rc == PYRO_ENOMEM);
        }
    }
}

/* ==== pstats reading ==== */

static void test_pstats_roundtrip(void)
{
    pyro_profile_t *p = sample_profile();
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(pyro_render(p, PYRO_FMT_PSTATS, NULL, &b) == PYRO_OK);
    CHECK(pyro_pstats_sniff(b.data, b.len));
    pyro_profile_t *q = NULL;
    CHECK(pyro_pstats_read(b.data, b.len, &q) == PYRO_OK);
    CHECK(q->flat && q->nnodes == 0);
    pyro_stats_t *s1, *s2;
    CHECK(pyro_stats_compute(p, &s1) == PYRO_OK);
    CHECK(pyro_stats_compute(q, &s2) == PYRO_OK);
    CHECK(s1->total_calls == s2->total_calls && s1->prim_calls == s2->prim_calls);
    CHECK(s2->nedges == s1->nedges);
    /* same numbers per label */
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        char a[256], c[256];
        pyro_profile_func_label(p, f, a, sizeof a);
        int found = 0;
        for (uint32_t g = 0; g < q->nfuncs; g++) {
            pyro_profile_func_label(q, g, c, sizeof c);
            if (strcmp(a, c))
                continue;
            found = 1;
            CHECK(s1->funcs[f].ncalls == s2->funcs[g].ncalls);
            CHECK(s1->funcs[f].primcalls == s2->funcs[g].primcalls);
            CHECK(s1->funcs[f].cumtime == s2->funcs[g].cumtime);
            CHECK(q->funcs[g].kind == p->funcs[f].kind);
        }
        CHECK(found);
    }
    /* the table renders; tree-needing formats refuse cleanly */
    b.len = 0;
    CHECK(pyro_render(q, PYRO_FMT_TABLE, NULL, &b) == PYRO_OK);
    CHECK(strstr(b.data, "1000007 function calls (1000005 primitive calls)"));
    CHECK(strstr(b.data, "called by:"));
    b.len = 0;
    CHECK(pyro_render(q, PYRO_FMT_TREE, NULL, &b) == PYRO_ENOTREE);
    CHECK(pyro_render(q, PYRO_FMT_PYRO, NULL, &b) == PYRO_ENOTREE);
    b.len = 0;
    CHECK(pyro_render(q, PYRO_FMT_JSON, NULL, &b) == PYRO_OK);
    /* and its pstats bytes are the same as the original's */
    pyro_buf_t b2;
    pyro_buf_init(&b2);
    CHECK(pyro_render(q, PYRO_FMT_PSTATS, NULL, &b2) == PYRO_OK);
    b.len = 0;
    CHECK(pyro_render(p, PYRO_FMT_PSTATS, NULL, &b) == PYRO_OK);
    CHECK(b2.len == b.len);
    pyro_buf_free(&b2);
    pyro_stats_free(s1);
    pyro_stats_free(s2);
    pyro_profile_free(q);
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

static int parse(const char *bytes, size_t n)
{
    pyro_profile_t *q = NULL;
    int rc = pyro_pstats_read(bytes, n, &q);
    pyro_profile_free(q);
    return rc;
}

static void test_pstats_marshal_cases(void)
{
    /* {('a',1,'b'): (1,2,0.5,0.5,{r0:(1,1,0.5,0.5)})} where the key tuple is
     * flagged (ref 0) and the caller key refers back to it */
    static const char refs[] = "\xfb"     /* dict, flagged: ref 0 */
                               "\xa9\x03" /* small tuple, flagged: ref 1 */
                               "z\x01"
                               "a"
                               "i\x01\x00\x00\x00"
                               "z\x01"
                               "b"
                               ")\x05"
                               "i\x01\x00\x00\x00"
                               "i\x02\x00\x00\x00"
                               "g\x00\x00\x00\x00\x00\x00\xe0\x3f"
                               "f\x03"
                               "0.5"
                               "{"
                               "r\x01\x00\x00\x00"
                               ")\x04"
                               "i\x01\x00\x00\x00"
                               "i\x01\x00\x00\x00"
                               "g\x00\x00\x00\x00\x00\x00\xe0\x3f"
                               "i\x00\x00\x00\x00"
                               "0"
                               "0";
    pyro_profile_t *q = NULL;
    CHECK(pyro_pstats_read(refs, sizeof refs - 1, &q) == PYRO_OK);
    CHECK(q->nfuncs == 1 && q->flat->funcs[0].ncalls == 2 && q->flat->funcs[0].primcalls == 1);
    CHECK(q->flat->nedges == 1 && q->flat->edges[0].caller == 0);
    pyro_profile_free(q);
    /* a reference to the dict being built (a cycle) */
    static const char cycle[] = "\xfb"
                                "r\x00\x00\x00\x00"
                                ")\x00"
                                "0";
    CHECK(parse(cycle, sizeof cycle - 1) == PYRO_EFORMAT);
    /* an unknown reference, an unknown type code, trailing bytes */
    CHECK(parse("{r\x05\x00\x00\x00N0", 8) == PYRO_EFORMAT);
    CHECK(parse("{?0", 3) == PYRO_EFORMAT);
    CHECK(parse("{0x", 3) == PYRO_EFORMAT);
    /* nesting deeper than the reader allows */
    char deep[200];
    size_t n = 0;
    deep[n++] = '{';
    for (int i = 0; i < 90; i++) {
        deep[n++] = ')';
        deep[n++] = 1;
    }
    deep[n++] = 'N';
    CHECK(parse(deep, n) == PYRO_ELIMIT);
    /* long ints: fits in 64 bits / too large; negative counts rejected */
    static const char big[] =
        "{)\x03z\x01"
        "a"
        "l\x03\x00\x00\x00\x01\x00\x02\x00\x03\x00"
        "z\x01"
        "b"
        ")\x05i\x01\x00\x00\x00i\x01\x00\x00\x00i\x00\x00\x00\x00i\x00\x00\x00\x00{00";
    CHECK(pyro_pstats_read(big, sizeof big - 1, &q) == PYRO_OK);
    CHECK(q->funcs[0].line == 1u + (2u << 15) + (3u << 30));

    pyro_profile_free(q);
    static const char huge[] =
        "{)\x03z\x01"
        "a"
        "l\x06\x00\x00\x00\x01\x00\x01\x00\x01\x00\x01\x00\x01\x00\x01\x00"
        "z\x01"
        "b"
        ")\x05i\x01\x00\x00\x00i\x01\x00\x00\x00i\x00\x00\x00\x00i\x00\x00\x00\x00{00";
    CHECK(parse(huge, sizeof huge - 1) == PYRO_ELIMIT);
    static const char neg[] =
        "{)\x03z\x01"
        "ai\x01\x00\x00\x00z\x01"
        "b"
        ")\x05i\xff\xff\xff\xffi\x01\x00\x00\x00i\x00\x00\x00\x00i\x00\x00\x00\x00{00";
    CHECK(parse(neg, sizeof neg - 1) == PYRO_EFORMAT);
    /* not a dict at the top, wrong row shapes */
    CHECK(parse("N", 1) == PYRO_EFORMAT);
    CHECK(parse("{)\x01N)\x00"
                "0",
                7) == PYRO_EFORMAT);
}

static void test_pstats_corrupt(void)
{
    pyro_profile_t *p = sample_profile();
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(pyro_render(p, PYRO_FMT_PSTATS, NULL, &b) == PYRO_OK);
    pyro_profile_t *q = NULL;
    for (size_t n = 0; n < b.len; n++) /* every truncation fails cleanly */
        CHECK(pyro_pstats_read(b.data, n, &q) != PYRO_OK);
    for (size_t i = 0; i < b.len; i++) { /* flips: parse or fail, never crash or leak */
        b.data[i] ^= 0x5a;
        int rc = pyro_pstats_read(b.data, b.len, &q);
        b.data[i] ^= 0x5a;
        if (rc == PYRO_OK) {
            pyro_buf_t t;
            pyro_buf_init(&t);
            pyro_render(q, PYRO_FMT_TABLE, NULL, &t);
            pyro_buf_free(&t);
            pyro_profile_free(q);
        }
    }
    for (long k = 1; k < 60; k++) {
        test_alloc_fail_at(k);
        int rc = pyro_pstats_read(b.data, b.len, &q);
        test_alloc_reset();
        CHECK(rc == PYRO_OK || rc == PYRO_ENOMEM);
        if (rc == PYRO_OK)
            pyro_profile_free(q);
    }
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

/* The decisions the extension exposes (formats, extensions, sort names, the
 * sampling rate's range) come from one table each, and agree with the parsers. */
static void test_decision_tables(void)
{
    size_t n = 0;
    int fmt = -1;
    const char *ext;
    char name[64];
    for (; (ext = pyro_format_extension(n, &fmt)); n++) {
        snprintf(name, sizeof name, "profile%s", ext);
        CHECK(pyro_format_from_path(name) == fmt);
    }
    CHECK(n >= 9 && pyro_format_extension(n, NULL) == NULL);
    CHECK(pyro_format_is_binary(PYRO_FMT_PSTATS) && pyro_format_is_binary(PYRO_FMT_PYRO));
    CHECK(!pyro_format_is_binary(PYRO_FMT_SVG) && !pyro_format_is_binary(PYRO_FMT_DEFAULT));
    for (int k = 0; k < PYRO_SORT_COUNT; k++)
        CHECK(pyro_sort_parse(pyro_sort_name(k)) == k);
    CHECK(strcmp(pyro_sort_name(PYRO_SORT_COUNT), "?") == 0);
    CHECK(pyro_sampler_rate_ok(PYRO_SAMPLER_RATE_MIN) &&
          pyro_sampler_rate_ok(PYRO_SAMPLER_RATE_MAX));
    CHECK(pyro_sampler_rate_ok(PYRO_SAMPLER_RATE_DEFAULT));
    CHECK(!pyro_sampler_rate_ok(PYRO_SAMPLER_RATE_MAX * 2) && !pyro_sampler_rate_ok(0.5));
}

/* The format table: every name and alias parses back, every extension
 * names its format (the longest one wins: .speedscope.json is not .json),
 * and every format writes every mode a recorder makes. */
static void test_format_table(void)
{
    for (int f = 0; f < PYRO_FMT_COUNT; f++)
        CHECK(pyro_format_parse(pyro_format_name(f)) == f);
    CHECK(pyro_format_parse("prof") == PYRO_FMT_PSTATS &&
          pyro_format_parse("text") == PYRO_FMT_REPORT);
    CHECK(pyro_format_parse("folded") == PYRO_FMT_COLLAPSED && pyro_format_parse("nope") == -1);
    CHECK(strcmp(pyro_format_name(PYRO_FMT_COUNT), "?") == 0 &&
          strcmp(pyro_format_name(-1), "?") == 0);
    size_t n = 0;
    int fmt = -1;
    for (const char *ext; (ext = pyro_format_extension(n, &fmt)); n++) {
        char name[64];
        snprintf(name, sizeof name, "dir.d/profile%s", ext);
        CHECK(pyro_format_from_path(name) == fmt);
    }
    CHECK(n == 10 && pyro_format_extension(n, &fmt) == NULL);
    CHECK(pyro_format_from_path("a.speedscope.json") == PYRO_FMT_SPEEDSCOPE);
    CHECK(pyro_format_from_path("a.timeline.svg") == PYRO_FMT_TIMELINE &&
          pyro_format_from_path("a.svg") == PYRO_FMT_SVG);
    CHECK(pyro_format_from_path("a.json") == PYRO_FMT_JSON && pyro_format_from_path("json") == -1);
    CHECK(pyro_format_is_binary(PYRO_FMT_PYRO) && pyro_format_is_binary(PYRO_FMT_PSTATS));
    CHECK(!pyro_format_is_binary(PYRO_FMT_SVG) && !pyro_format_is_binary(PYRO_FMT_COUNT));
    CHECK(pyro_format_needs_tree(PYRO_FMT_SVG) && !pyro_format_needs_tree(PYRO_FMT_TABLE));
    pyro_profile_t *ps[2] = {sample_profile(), sample_profile_sampled()};
    pyro_buf_t b;
    pyro_buf_init(&b);
    for (int k = 0; k < 2; k++) {
        for (int f = 0; f < PYRO_FMT_COUNT; f++) {
            b.len = 0;
            /* a trace has no lines, nor a timeline (memory and samples of run --memory do) */
            if ((f == PYRO_FMT_LINES || f == PYRO_FMT_TIMELINE) && ps[k]->mode != PYRO_MODE_SAMPLE)
                CHECK(pyro_render(ps[k], f, NULL, &b) == PYRO_EINVAL);
            else
                CHECK(pyro_render(ps[k], f, NULL, &b) == PYRO_OK && b.len > 0);
        }
        CHECK(pyro_render(ps[k], PYRO_FMT_COUNT, NULL, &b) == PYRO_EINVAL);
        CHECK(pyro_render(ps[k], -1, NULL, &b) == PYRO_EINVAL);
        pyro_profile_free(ps[k]);
    }
    pyro_buf_free(&b);
}

/* ==== the line view ==== */

/* A node of a hand-built sample profile with `samples` samples of 1 ms wall
 * each, `cpu_ms` of them on a CPU. */
static uint32_t lines_node(pyro_profile_t *p, uint32_t parent, uint32_t func, uint32_t line,
                           int64_t samples, int64_t cpu_ms)
{
    uint32_t n = 0;
    pyro_profile_child(p, parent, 0, func, line, &n);
    int64_t *v = pyro_node_vals(p, n);
    v[p->col[PYRO_M_SAMPLES]] = samples;
    v[p->col[PYRO_M_SELF_NS]] = samples * 1000000;
    v[p->col[PYRO_M_RUNNING]] = cpu_ms;
    v[p->col[PYRO_M_CPU_NS]] = cpu_ms * 1000000;
    return n;
}

static uint32_t lines_func(pyro_profile_t *p, const char *name, const char *qual, const char *file,
                           uint32_t line)
{
    pyro_func_t f = {0, 0, 0, line, PYRO_FUNC_PYTHON};
    uint32_t id = 0;
    pyro_profile_str(p, name, strlen(name), &f.name);
    pyro_profile_str(p, qual, strlen(qual), &f.qualname);
    pyro_profile_str(p, file, strlen(file), &f.file);
    pyro_profile_func(p, &f, &id);
    return id;
}

static void render_lines(const pyro_profile_t *p, const pyro_render_opts_t *o, pyro_buf_t *b,
                         int *rc)
{
    b->len = 0;
    *rc = pyro_render(p, PYRO_FMT_LINES, o, b);
    pyro_buf_putc(b, '\0');
}

/* Create the file `path` (a mkstemps template ending in ".py") holding `text`. */
static void write_source(char *path, const char *text)
{
    int fd = mkstemps(path, 3);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    CHECK(f);
    fputs(text, f);
    fclose(f);
}

/* Make `p` a sampled profile with one thread, MainThread, whose id goes to *t. */
static void one_thread_sampled(pyro_profile_t *p, uint32_t *t)
{
    pyro_thread_t th = {1, 1, 0};
    CHECK(pyro_profile_str(p, "MainThread", 10, &th.name) == PYRO_OK);
    CHECK(pyro_profile_add_thread(p, &th, t) == PYRO_OK);
    CHECK(pyro_profile_set_mode(p, PYRO_MODE_SAMPLE) == PYRO_OK);
}

/* A program whose source is on disk: the hot function's lines with their
 * shares (a busy line and a sleeping one), blank margins for lines never
 * sampled, every function's source, selection, the limit, a missing file, a
 * changed one, and a trace refused. */
static void test_lines_view(void)
{
    char path[] = "/tmp/pyrometer-lines-XXXXXX.py";
    write_source(path, "import time\n"            /* 1 */
                       "\n"                       /* 2 */
                       "def hot(n):\n"            /* 3 */
                       "    total = 0\n"          /* 4 */
                       "    for i in range(n):\n" /* 5 */
                       "        total += i * i\n" /* 6 */
                       "    time.sleep(0.1)\n"    /* 7 */
                       "    return total\n"       /* 8 */
                       "\n"                       /* 9 */
                       "class K:\n"               /* 10 */
                       "    @staticmethod\n"      /* 11 */
                       "    def cold():\n"        /* 12 */
                       "        return hot(3)\n"  /* 13 */
                       "\n"                       /* 14 */
                       "hot(10)\n"                /* 15 */
                       "K.cold()\n");             /* 16 */
    uint32_t t;
    pyro_profile_t *p = pyro_profile_new();
    one_thread_sampled(p, &t);
    pyro_profile_set_meta(p, "command", "prog.py");
    uint32_t fmod = lines_func(p, "<module>", "<module>", path, 1);
    uint32_t fhot = lines_func(p, "hot", "hot", path, 3);
    uint32_t fcold = lines_func(p, "cold", "K.cold", path, 11);
    uint32_t fgone = lines_func(p, "gone", "gone", "/nonexistent/pyrometer/gone.py", 5);
    uint32_t flate = lines_func(p, "late", "late", path, 40);
    uint32_t r = lines_node(p, PYRO_NONE, fmod, 15, 0, 0);
    lines_node(p, r, fhot, 5, 10, 10);
    lines_node(p, r, fhot, 6, 80, 80);
    lines_node(p, r, fhot, 7, 100, 0);
    uint32_t r2 = lines_node(p, PYRO_NONE, fmod, 16, 0, 0);
    uint32_t c = lines_node(p, r2, fcold, 13, 1, 1);
    lines_node(p, c, fhot, 6, 4, 4);
    lines_node(p, PYRO_NONE, fgone, 7, 3, 3);
    lines_node(p, PYRO_NONE, flate, 42, 2, 2);
    pyro_profile_fill_totals(p);

    pyro_render_opts_t o;
    pyro_render_defaults(&o);
    o.limit = 0;
    pyro_buf_t b;
    pyro_buf_init(&b);
    int rc;
    render_lines(p, &o, &b, &rc);
    CHECK_EQ_INT(rc, PYRO_OK);
    CHECK(strstr(b.data, "pyrometer line view of prog.py: all 5 sampled functions, by wall time"));
    /* by total: <module> (195 ms) before hot (194 ms), K.cold, gone, late */
    const char *m = strstr(b.data, "Function: <module> at "),
               *h = strstr(b.data, "Function: hot at ");
    const char *k = strstr(b.data, "Function: K.cold at "), *g = strstr(b.data, "Function: gone");
    CHECK(m && h && k && g && m < h && h < k && k < g);
    CHECK(strstr(
        h,
        "Total: 194.0ms wall (97.0% of the run) in 194 samples, 94.0ms CPU (94.0% of the run)\n"));
    CHECK(strstr(h, "Line #  Samples  % Wall  (self)   % CPU  (self)  Line Contents\n"));
    /* the def and the lines never sampled: blank margins */
    char want[256];
    snprintf(want, sizeof want, "     3%41s  def hot(n):\n     4%41s      total = 0\n", "", "");
    CHECK(strstr(h, want));
    /* line 6: 84 of 194 samples, all on a CPU: 43.3% of the wall, 89.4% of the CPU */
    CHECK(strstr(h, "     6       84    43.3 ( 43.3)    89.4 ( 89.4)          total += i * i\n"));
    /* the sleeping line: half the wall time, no CPU */
    CHECK(strstr(h, "     7      100    51.5 ( 51.5)     0.0 (  0.0)      time.sleep(0.1)\n"));
    snprintf(want, sizeof want, "     8%41s      return total\n", "");
    CHECK(strstr(h, want));
    CHECK(!strstr(h, "     9 ") || strstr(h, "     9 ") > k); /* the body ends at line 8 */
    /* a decorated method: from its decorator, a line's share includes its calls */
    CHECK(strstr(k, "    11"));
    CHECK(strstr(k, "    13        5   100.0 ( 20.0)   100.0 ( 20.0)          return hot(3)\n"));
    /* module code: from its first sampled line */
    CHECK(strstr(m, "Line Contents\n" /* no unsampled lines before */
                    "======================================================================\n"
                    "    15      190    97.4 (  0.0)    94.7 (  0.0)  hot(10)\n"));
    /* a missing file, a changed one */
    CHECK(strstr(g, "Source not shown: cannot read /nonexistent/pyrometer/gone.py (No such file "
                    "or directory)"));
    CHECK(strstr(g, "     7        3   100.0 (100.0)   100.0 (100.0)  \n"));
    CHECK(strstr(b.data, "has 16 lines, fewer than the profile's (line 42): it has changed since "
                         "the profile was recorded"));
    CHECK(strstr(b.data, "    42        2   100.0 (100.0)   100.0 (100.0)  (past the end of "
                         "the file)\n"));
    CHECK(!strchr(b.data, '\033'));

    /* --limit, --clock cpu, color */
    o.limit = 1;
    o.cpu = 1;
    o.color = 1;
    render_lines(p, &o, &b, &rc);
    CHECK(rc == PYRO_OK && strstr(b.data, "the hottest 1 of 5 sampled functions, by CPU time"));
    CHECK(strstr(b.data, "<module>") && !strstr(b.data, "Function: \033[1mhot"));
    CHECK(strchr(b.data, '\033'));
    o.color = o.cpu = 0;
    o.limit = 5;

    /* selection by qualname, by file:qualname, by name on a Python without qualnames */
    o.function = "K.cold";
    render_lines(p, &o, &b, &rc);
    CHECK(rc == PYRO_OK && strstr(b.data, ": 1 function matching 'K.cold' (of 5 sampled)"));
    CHECK(strstr(b.data, "Function: K.cold") && !strstr(b.data, "Function: hot"));
    snprintf(want, sizeof want, "%s:hot", strrchr(path, '/') + 1);
    o.function = want;
    render_lines(p, &o, &b, &rc);
    CHECK(rc == PYRO_OK && strstr(b.data, "Function: hot") && !strstr(b.data, "Function: K"));
    o.function = "nothing_like_it";
    b.len = 0;
    CHECK(pyro_render(p, PYRO_FMT_LINES, &o, &b) == PYRO_ENOMATCH && b.len == 0);
    CHECK(pyro_lines_match(p, fhot, NULL) && pyro_lines_match(p, fhot, ""));
    CHECK(pyro_lines_match(p, fhot, "hot") && pyro_lines_match(p, fhot, "mod.Cls.hot"));
    CHECK(!pyro_lines_match(p, fcold, "cold") && pyro_lines_match(p, fcold, "K.cold"));
    CHECK(pyro_lines_match(p, fgone, "pyrometer/gone.py:gone"));
    CHECK(pyro_lines_match(p, fgone, "/nonexistent/pyrometer/gone.py:gone"));
    CHECK(!pyro_lines_match(p, fgone, "one.py:gone") && !pyro_lines_match(p, fgone, ":gone"));
    CHECK(!pyro_lines_match(p, p->nfuncs, "gone"));

    /* no samples: says why; a trace: refused */
    pyro_profile_t *empty = pyro_profile_new();
    pyro_profile_set_mode(empty, PYRO_MODE_SAMPLE);
    pyro_render_defaults(&o);
    render_lines(empty, &o, &b, &rc);
    CHECK(rc == PYRO_OK && strstr(b.data, "No samples: the program ended before the first sample"));
    pyro_profile_free(empty);
    pyro_profile_t *trace = sample_profile();
    render_lines(trace, &o, &b, &rc);
    CHECK(rc == PYRO_EINVAL);
    pyro_profile_free(trace);
    /* under failing allocations: an error, never a crash */
    for (long n = 1; n < 40; n++) {
        b.len = 0;
        test_alloc_fail_at(n);
        rc = pyro_render(p, PYRO_FMT_LINES, &o, &b);
        test_alloc_reset();
        CHECK(rc == PYRO_OK || rc == PYRO_ENOMEM);
    }
    pyro_buf_free(&b);
    pyro_profile_free(p);
    remove(path);
}

/* The extent of a def: decorators with arguments over several lines, a
 * signature over several lines, comments and blank lines in the body; and a
 * def that is no longer where the profile says. */
static void test_lines_def_extent(void)
{
    char path[] = "/tmp/pyrometer-defs-XXXXXX.py";
    write_source(path, "@deco(\n"                    /* 1 */
                       "    arg=1,\n"                /* 2 */
                       ")\n"                         /* 3 */
                       "def sig(\n"                  /* 4 */
                       "    a,\n"                    /* 5 */
                       "    b=(1, 2),\n"             /* 6 */
                       "):\n"                        /* 7 */
                       "    x = a\n"                 /* 8 */
                       "# a comment at column 0\n"   /* 9 */
                       "\n"                          /* 10 */
                       "    return x\n"              /* 11 */
                       "def after[T](y): return y\n" /* 12 */
                       "z = 1\n"                     /* 13 */
                       "class Body:\n"               /* 14 */
                       "    k = z\n");               /* 15 */
    uint32_t t;
    pyro_profile_t *p = pyro_profile_new();
    one_thread_sampled(p, &t);
    uint32_t fsig = lines_func(p, "sig", "sig", path, 1);
    uint32_t fafter = lines_func(p, "after", "after", path, 12);
    uint32_t fgone = lines_func(p, "renamed", "renamed", path, 12);
    uint32_t fstr = lines_func(p, "<module>", "<module>", "<string>", 1);
    lines_node(p, PYRO_NONE, fstr, 3, 1, 0);
    uint32_t fbody = lines_func(p, "Body", "Body", path, 14);
    uint32_t fdev = lines_func(p, "dev", "dev", "/dev/zero", 1);
    lines_node(p, PYRO_NONE, fdev, 2, 1, 0);
    lines_node(p, PYRO_NONE, fbody, 15, 1, 0);
    lines_node(p, PYRO_NONE, fsig, 8, 10, 10);
    lines_node(p, PYRO_NONE, fafter, 12, 5, 5);
    lines_node(p, PYRO_NONE, fgone, 12, 1, 1);
    pyro_profile_fill_totals(p);
    pyro_render_opts_t o;
    pyro_render_defaults(&o);
    pyro_buf_t b;
    pyro_buf_init(&b);
    int rc;
    render_lines(p, &o, &b, &rc);
    CHECK_EQ_INT(rc, PYRO_OK);
    const char *s = strstr(b.data, "Function: sig"), *a = strstr(b.data, "Function: after");
    const char *g = strstr(b.data, "Function: renamed");
    CHECK(s && a && g && s < a && a < g);
    char want[256];
    snprintf(want, sizeof want, "     1%41s  @deco(\n", "");
    CHECK(strstr(s, want));
    snprintf(want, sizeof want, "     7%41s  ):\n", "");
    CHECK(strstr(s, want));
    snprintf(want, sizeof want, "    11%41s      return x\n", "");
    CHECK(strstr(s, want));
    CHECK(strstr(s, "    12 ") > a); /* the body ends at line 11 */
    CHECK(
        strstr(a, "    12        5   100.0 (100.0)   100.0 (100.0)  def after[T](y): return y\n"));
    CHECK(!strstr(a, "    13 ") || strstr(a, "    13 ") > g);
    CHECK(strstr(g, "Line 12 is not the def of renamed: "));
    CHECK(
        strstr(b.data, "Source not shown: <string> is not a file; the sampled lines by number\n"));
    /* a device is never read (nor a FIFO, which would block) */
    CHECK(strstr(b.data, "Source not shown: cannot read /dev/zero (not a regular file)"));
    /* a class body is a code object of its own, not a changed file */
    const char *cls = strstr(b.data, "Function: Body");
    snprintf(want, sizeof want, "    14%41s  class Body:\n", "");
    CHECK(cls && strstr(cls, want) && !strstr(b.data, "not the def of Body"));
    pyro_buf_free(&b);
    pyro_profile_free(p);
    remove(path);
}

/* ==== exact line timing (lines profiles) ==== */

/* Render lines profile `p` as `fmt` into *b (NUL-terminated); the status. */
static int render_lt(const pyro_profile_t *p, int fmt, const pyro_render_opts_t *o, pyro_buf_t *b)
{
    b->len = 0;
    int rc = pyro_render(p, fmt, o, b);
    pyro_buf_putc(b, '\0');
    return rc;
}

/* The report as line_profiler's: the timer unit, each function's header,
 * the columns, every source line from the first line (the decorator) to the
 * last line that has code, blank rows for lines never run and lines without
 * code, the threads merged, and a chosen function never called said so. */
static void test_linetime_report(void)
{
    char path[] = "/tmp/pyrometer-lt-XXXXXX.py";
    write_source(path, SAMPLE_LINES_SOURCE);
    pyro_profile_t *p = sample_profile_lines(path);
    pyro_buf_t b, want;
    pyro_buf_init(&b);
    pyro_buf_init(&want);
    CHECK(render_lt(p, PYRO_FMT_REPORT, NULL, &b) == PYRO_OK);
    pyro_buf_printf(&want,
                    "Timer unit: 1e-06 s\n"
                    "\n"
                    "Total time: 0.300017 s\n"
                    "File: %s\n"
                    "Function: work at line 3 (3 calls)\n"
                    "\n"
                    "Line #      Hits         Time  Per Hit   %% Time  Line Contents\n"
                    "==============================================================\n"
                    "     3                                           @profile\n"
                    "     4                                           def work(n):\n"
                    "     5         3          1.5      0.5      0.0      total = 0\n"
                    "     6        33          7.5      0.2      0.0      for i in range(n):\n"
                    "     7        30          6.0      0.2      0.0          total += i\n"
                    "     8                                               # a comment\n"
                    "     9         3          0.8      0.2      0.0      if n < 0:\n"
                    "    10                                                   return -1\n"
                    "    11         3     300000.0 100000.0    100.0      time.sleep(0.1)\n"
                    "    12         3          0.8      0.2      0.0      return total\n"
                    "\n"
                    "Total time: 0 s\n"
                    "File: %s\n"
                    "Function: never at line 14: never called\n",
                    path, path);
    pyro_buf_putc(&want, '\0');
    if (strcmp(b.data, want.data) != 0)
        fprintf(stderr, "got:\n%s\nwant:\n%s\n", b.data, want.data);
    CHECK(strcmp(b.data, want.data) == 0);
    /* the lines format writes the same report */
    pyro_buf_t lines;
    pyro_buf_init(&lines);
    int rc = render_lt(p, PYRO_FMT_LINES, NULL, &lines);
    int same = rc == PYRO_OK && strcmp(lines.data, b.data) == 0;
    pyro_buf_free(&lines);
    CHECK(same);
    /* colors: the hot line's share in red, the header in bold */
    pyro_render_opts_t o;
    pyro_render_defaults(&o);
    o.color = 1;
    CHECK(render_lt(p, PYRO_FMT_REPORT, &o, &b) == PYRO_OK);
    CHECK(strstr(b.data, "\033[31m   100.0\033[0m      time.sleep(0.1)\n"));
    CHECK(strstr(b.data, "\033[1mFunction: work at line 3\033[0m (3 calls)\n"));
    pyro_buf_free(&want);
    pyro_buf_free(&b);
    pyro_profile_free(p);
    remove(path);
}

/* The unit the user asks for, and the one chosen from the data. */
static void test_linetime_units(void)
{
    char path[] = "/tmp/pyrometer-lt-XXXXXX.py";
    write_source(path, SAMPLE_LINES_SOURCE);
    pyro_profile_t *p = sample_profile_lines(path);
    pyro_buf_t b;
    pyro_buf_init(&b);
    pyro_render_opts_t o;
    pyro_render_defaults(&o);
    CHECK(o.unit == PYRO_TIME_AUTO);
    static const struct {
        int unit;
        const char *timer, *row;
    } cases[] = {
        {PYRO_TIME_S, "Timer unit: 1 s\n",
         "    11         3          0.3      0.1    100.0      time.sleep(0.1)\n"},
        {PYRO_TIME_MS, "Timer unit: 0.001 s\n",
         "    11         3        300.0    100.0    100.0      time.sleep(0.1)\n"},
        {PYRO_TIME_NS, "Timer unit: 1e-09 s\n",
         "     7        30       6000.0    200.0      0.0          total += i\n"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        o.unit = cases[k].unit;
        CHECK(render_lt(p, PYRO_FMT_REPORT, &o, &b) == PYRO_OK);
        CHECK(strncmp(b.data, cases[k].timer, strlen(cases[k].timer)) == 0);
        CHECK(strstr(b.data, cases[k].row));
    }
    for (int u = 0; u < PYRO_TIME_COUNT; u++)
        CHECK(pyro_time_unit_parse(pyro_time_unit_name(u)) == u);
    CHECK(pyro_time_unit_parse("") == PYRO_TIME_AUTO && pyro_time_unit_parse("sec") == -1);
    CHECK(pyro_time_unit_ns(PYRO_TIME_MS) == 1000000 && pyro_time_unit_ns(PYRO_TIME_COUNT) == 0);
    CHECK(strcmp(pyro_time_unit_name(-1), "?") == 0);
    /* auto: ns when every line is short and the totals stay under 1e9 ns */
    pyro_linetimes_t t;
    CHECK(pyro_linetimes_collect(p, &t) == PYRO_OK);
    CHECK_EQ_INT(pyro_linetime_auto_unit(&t, NULL), PYRO_TIME_US); /* the sleep: 1e8 ns a hit */
    t.lines[t.funcs[0].first + 5].ns = 3000; /* no sleep: the shortest line is 0.2 us a hit */
    t.funcs[0].total_ns = 20000;
    CHECK_EQ_INT(pyro_linetime_auto_unit(&t, NULL), PYRO_TIME_NS);
    for (uint32_t k = 0; k < t.nlines; k++) /* every line over a second a hit */
        t.lines[k].ns = t.lines[k].hits * 2000000000LL;
    t.funcs[0].total_ns = 1;
    CHECK_EQ_INT(pyro_linetime_auto_unit(&t, NULL), PYRO_TIME_S);
    for (uint32_t k = 0; k < t.nlines; k++) /* 2 ms a hit */
        t.lines[k].ns = t.lines[k].hits * 2000000LL;
    CHECK_EQ_INT(pyro_linetime_auto_unit(&t, NULL), PYRO_TIME_MS);
    uint8_t none[2] = {0, 0}; /* nothing shown, nothing timed: line_profiler's us */
    CHECK_EQ_INT(pyro_linetime_auto_unit(&t, none), PYRO_TIME_US);
    pyro_linetimes_free(&t);
    pyro_buf_free(&b);
    pyro_profile_free(p);
    remove(path);
}

/* --function and --limit; a source that cannot be read; one that changed. */
static void test_linetime_select(void)
{
    char path[] = "/tmp/pyrometer-lt-XXXXXX.py";
    write_source(path, SAMPLE_LINES_SOURCE);
    pyro_profile_t *p = sample_profile_lines(path);
    pyro_buf_t b;
    pyro_buf_init(&b);
    pyro_render_opts_t o;
    pyro_render_defaults(&o);
    o.function = "never";
    CHECK(render_lt(p, PYRO_FMT_REPORT, &o, &b) == PYRO_OK);
    CHECK(strstr(b.data, "Function: never at line 14: never called\n") &&
          !strstr(b.data, "Function: work"));
    o.function = "pyrometer-lt";
    b.len = 0;
    CHECK(pyro_render(p, PYRO_FMT_REPORT, &o, &b) == PYRO_ENOMATCH && b.len == 0);
    o.function = "";
    o.limit = 1; /* the one with the most time */
    CHECK(render_lt(p, PYRO_FMT_REPORT, &o, &b) == PYRO_OK);
    CHECK(strstr(b.data, "1 of 2 functions, those with the most time (the limit)\n"));
    CHECK(strstr(b.data, "Function: work") && !strstr(b.data, "Function: never"));
    remove(path);
    o.limit = 0;
    CHECK(render_lt(p, PYRO_FMT_REPORT, &o, &b) == PYRO_OK);
    char want[256];
    snprintf(want, sizeof want,
             "Source not shown: cannot read %s (No such file or directory); the timed lines by "
             "number\n",
             path);
    CHECK(strstr(b.data, want));
    CHECK(strstr(b.data, "==\n     5         3          1.5      0.5      0.0  \n"));
    CHECK(strstr(b.data, "    10                                           \n    11"));
    /* the file changed: a line inserted at the top */
    FILE *f = fopen(path, "w");
    CHECK(f);
    fputs("# new\n", f);
    fputs(SAMPLE_LINES_SOURCE, f);
    fclose(f);
    CHECK(render_lt(p, PYRO_FMT_REPORT, &o, &b) == PYRO_OK);
    snprintf(want, sizeof want,
             "Line 3 is not the def of work: %s has changed since the profile was recorded", path);
    CHECK(strstr(b.data, want));
    /* and cut short: fewer lines than the profile's */
    f = fopen(path, "w");
    CHECK(f);
    fputs("import time\n\n@profile\ndef work(n):\n    total = 0\n", f);
    fclose(f);
    CHECK(render_lt(p, PYRO_FMT_REPORT, &o, &b) == PYRO_OK);
    snprintf(want, sizeof want, "%s has 5 lines, fewer than the profile's (line 12)", path);
    CHECK(strstr(b.data, want));
    CHECK(strstr(b.data, "    12         3          0.8      0.2      0.0  (past the end of the "
                         "file)\n"));
    remove(path);
    /* nothing chosen */
    pyro_profile_t *empty = pyro_profile_new();
    CHECK(pyro_profile_set_mode(empty, PYRO_MODE_LINES) == PYRO_OK);
    CHECK(render_lt(empty, PYRO_FMT_REPORT, NULL, &b) == PYRO_OK);
    CHECK(strstr(b.data, "No function was timed"));
    CHECK(render_lt(empty, PYRO_FMT_JSON, NULL, &b) == PYRO_OK);
    CHECK(strstr(b.data, "\"functions\":[]}"));
    pyro_profile_free(empty);
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

/* The JSON of the contract: threads merged, every line that has code in
 * order (hits 0 for one never run), a function never called with calls 0. */
static void test_linetime_json(void)
{
    pyro_profile_t *p = sample_profile_lines("/src/prog.py");
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(render_lt(p, PYRO_FMT_JSON, NULL, &b) == PYRO_OK);
    const char *head = "{\"format\":\"pyrometer\",\"version\":1,\"mode\":\"lines\",\"meta\":{";
    CHECK(strncmp(b.data, head, strlen(head)) == 0);
    CHECK(strstr(b.data, "\"threads\":[{\"ident\":11,\"native_id\":101,\"name\":\"MainThread\"},"));
    CHECK(strstr(b.data,
                 "{\"name\":\"work\",\"qualname\":\"work\",\"file\":\"/src/prog.py\",\"line\":3,"
                 "\"last_line\":12,\"calls\":3,\"total_ns\":300016500,\n \"lines\":[{\"line\":5,"
                 "\"hits\":3,\"total_ns\":1500},{\"line\":6,\"hits\":33,\"total_ns\":7500},"
                 "{\"line\":7,\"hits\":30,\"total_ns\":6000},{\"line\":9,\"hits\":3,\"total_ns\":"
                 "750},{\"line\":10,\"hits\":0,\"total_ns\":0},{\"line\":11,\"hits\":3,"
                 "\"total_ns\":300000000},{\"line\":12,\"hits\":3,\"total_ns\":750}]},\n"));
    CHECK(strstr(b.data, "{\"name\":\"never\",\"qualname\":\"never\",\"file\":\"/src/prog.py\","
                         "\"line\":14,\"last_line\":15,\"calls\":0,\"total_ns\":0,\n \"lines\":"
                         "[{\"line\":15,\"hits\":0,\"total_ns\":0}]}]}\n"));
    /* work (line 3) before never (line 14), though never was recorded first */
    CHECK(strstr(b.data, "\"work\"") < strstr(b.data, "\"never\""));
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

/* A .pyro of a lines profile reads back the same (the fixture under
 * tests/data/lines too), and the formats that cannot show lines refuse it. */
static void test_linetime_pyro_and_refusals(void)
{
    pyro_profile_t *p = sample_profile_lines("prog.py"), *q = NULL, *fx = NULL;
    pyro_buf_t b, a, c;
    pyro_buf_init(&b);
    pyro_buf_init(&a);
    pyro_buf_init(&c);
    CHECK(render_lt(p, PYRO_FMT_PYRO, NULL, &b) == PYRO_OK);
    CHECK(pyro_pyrofile_read(b.data, b.len - 1, &q) == PYRO_OK);
    CHECK(q->mode == PYRO_MODE_LINES && q->nnodes == p->nnodes && q->ncols == 3);
    CHECK(render_lt(p, PYRO_FMT_JSON, NULL, &a) == PYRO_OK);
    CHECK(render_lt(q, PYRO_FMT_JSON, NULL, &c) == PYRO_OK);
    CHECK(strcmp(a.data, c.data) == 0);
    /* the fixture the Python tests re-render is this profile */
    char path[512];
    snprintf(path, sizeof path, "%s/lines/lines.pyro", PYRO_TEST_DATA);
    if (getenv("PYRO_WRITE_FIXTURES")) {
        b.len--; /* without the NUL render_lt added */
        CHECK(pyro_buf_write_file(&b, path) == PYRO_OK);
    }
    pyro_buf_t file;
    pyro_buf_init(&file);
    CHECK(pyro_buf_read_file(&file, path, 1 << 20) == PYRO_OK);
    CHECK(pyro_pyrofile_read(file.data, file.len, &fx) == PYRO_OK);
    pyro_buf_free(&file);
    CHECK(render_lt(fx, PYRO_FMT_JSON, NULL, &c) == PYRO_OK);
    CHECK(strcmp(a.data, c.data) == 0);
    for (int f = 0; f < PYRO_FMT_COUNT; f++) {
        int can =
            f == PYRO_FMT_REPORT || f == PYRO_FMT_LINES || f == PYRO_FMT_JSON || f == PYRO_FMT_PYRO;
        CHECK(pyro_format_can_write(f, PYRO_MODE_LINES) == can);
        c.len = 0;
        CHECK(pyro_render(q, f, NULL, &c) == (can ? PYRO_OK : PYRO_EINVAL));
    }
    CHECK(!pyro_format_can_write(PYRO_FMT_LINES, PYRO_MODE_TRACE));
    CHECK(pyro_format_can_write(PYRO_FMT_SVG, PYRO_MODE_SAMPLE));
    CHECK(!pyro_format_can_write(-1, 0) && !pyro_format_can_write(0, PYRO_MODE_COUNT));
    render_oom(q);
    pyro_profile_free(fx);
    pyro_profile_free(q);
    pyro_buf_free(&a);
    pyro_buf_free(&b);
    pyro_buf_free(&c);
    pyro_profile_free(p);
}

void suite_formats(void)
{
    RUN(test_decision_tables);
    RUN(test_format_table);
    RUN(test_pyro_roundtrip);
    RUN(test_pyro_corrupt);
    RUN(test_series);
    RUN(test_pyro_oom);
    RUN(test_pyro_version_1);
    RUN(test_pyro_columns);
    RUN(test_text_formats);
    RUN(test_sample_views);
    RUN(test_tree_folds_library_frames);
    RUN(test_sample_table);
    RUN(test_no_samples);
    RUN(test_lines_view);
    RUN(test_lines_def_extent);
    RUN(test_library_paths);
    RUN(test_render_oom);
    RUN(test_pstats_roundtrip);
    RUN(test_pstats_marshal_cases);
    RUN(test_pstats_corrupt);
    RUN(test_linetime_report);
    RUN(test_linetime_units);
    RUN(test_linetime_select);
    RUN(test_linetime_json);
    RUN(test_linetime_pyro_and_refusals);
}
