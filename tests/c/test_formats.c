/* SPDX-License-Identifier: MIT */
/* test_formats: .pyro round trips and corruption, and every text format. */
#include <stdint.h>
#include <stdlib.h>

#include "alloc.h"
#include "buf.h"
#include "error.h"
#include "profile.h"
#include "pyrofile.h"
#include "render.h"
#include "test.h"

/* A small two-thread profile with a C function and a recursive path. */
static pyro_profile_t *sample(void)
{
    pyro_profile_t *p = pyro_profile_new();
    uint32_t t0, t1, s;
    pyro_thread_t th = {11, 101, 0};
    pyro_profile_str(p, "MainThread", 10, &th.name);
    pyro_profile_add_thread(p, &th, &t0);
    th = (pyro_thread_t){12, 102, 0};
    pyro_profile_str(p, "worker", 6, &th.name);
    pyro_profile_add_thread(p, &th, &t1);
    pyro_func_t f = {0};
    uint32_t fmain, fwork, fabs_;
    pyro_profile_str(p, "<module>", 8, &f.name);
    f.qualname = f.name;
    pyro_profile_str(p, "/src/app/main.py", 16, &f.file);
    f.line = 1;
    pyro_profile_func(p, &f, &fmain);
    pyro_profile_str(p, "work", 4, &f.name);
    pyro_profile_str(p, "Job.work", 8, &f.qualname);
    f.line = 10;
    pyro_profile_func(p, &f, &fwork);
    f = (pyro_func_t){0};
    pyro_profile_str(p, "<built-in method builtins.abs>", 30, &f.name);
    f.qualname = f.name;
    pyro_profile_str(p, "~", 1, &f.file);
    f.kind = PYRO_FUNC_NATIVE;
    pyro_profile_func(p, &f, &fabs_);
    uint32_t r, w, w2, a;
    pyro_profile_child(p, PYRO_NONE, t0, fmain, 0, &r);
    p->nodes[r] = (pyro_node_t){PYRO_NONE, fmain, 0, t0, 1, 1000, 9000000};
    pyro_profile_child(p, r, t0, fwork, 0, &w);
    p->nodes[w] = (pyro_node_t){r, fwork, 0, t0, 3, 3000000, 8000000};
    pyro_profile_child(p, w, t0, fwork, 0, &w2);
    p->nodes[w2] = (pyro_node_t){w, fwork, 0, t0, 2, 1000000, 1000000};
    pyro_profile_child(p, w, t0, fabs_, 0, &a);
    p->nodes[a] = (pyro_node_t){w, fabs_, 0, t0, 1000000, 4000000, 4000000};
    pyro_profile_child(p, PYRO_NONE, t1, fwork, 0, &s);
    p->nodes[s] = (pyro_node_t){PYRO_NONE, fwork, 0, t1, 1, 2000000, 2000000};
    pyro_profile_set_meta(p, "mode", "trace");
    pyro_profile_set_meta(p, "clock", "wall");
    return p;
}

static void test_pyro_roundtrip(void)
{
    pyro_profile_t *p = sample();
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(pyro_pyrofile_write(p, &b) == PYRO_OK);
    CHECK(pyro_pyrofile_sniff(b.data, b.len));
    pyro_profile_t *q = NULL;
    CHECK(pyro_pyrofile_read(b.data, b.len, &q) == PYRO_OK);
    CHECK(q->nfuncs == p->nfuncs && q->nnodes == p->nnodes && q->nthreads == 2);
    for (uint32_t i = 0; i < p->nnodes; i++) {
        CHECK(q->nodes[i].parent == p->nodes[i].parent && q->nodes[i].func == p->nodes[i].func);
        CHECK(q->nodes[i].calls == p->nodes[i].calls && q->nodes[i].self_ns == p->nodes[i].self_ns);
        CHECK(q->nodes[i].total_ns == p->nodes[i].total_ns &&
              q->nodes[i].thread == p->nodes[i].thread);
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

static void test_pyro_corrupt(void)
{
    pyro_profile_t *p = sample();
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
    b.data[8] = 2;
    CHECK(pyro_pyrofile_read(b.data, b.len, &q) == PYRO_EVERSION);
    b.data[8] = 1;
    /* trailing garbage */
    pyro_buf_puts(&b, "x");
    CHECK(pyro_pyrofile_read(b.data, b.len, &q) == PYRO_EFORMAT);
    CHECK(pyro_pyrofile_read("hello world!", 12, &q) == PYRO_EFORMAT);
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

static void test_pyro_oom(void)
{
    pyro_profile_t *p = sample();
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
    pyro_profile_t *p = sample();
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
    CHECK(pyro_format_from_path("y.svg") == -1);
    CHECK(pyro_format_parse("tree") == PYRO_FMT_TREE && pyro_format_parse("x") == -1);
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

static void test_render_oom(void)
{
    pyro_profile_t *p = sample();
    for (int fmt = 0; fmt < PYRO_FMT_COUNT; fmt++) {
        for (long k = 1; k < 40; k++) {
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
    pyro_profile_free(p);
}

void suite_formats(void)
{
    RUN(test_pyro_roundtrip);
    RUN(test_pyro_corrupt);
    RUN(test_pyro_oom);
    RUN(test_text_formats);
    RUN(test_render_oom);
}
