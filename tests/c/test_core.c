/* SPDX-License-Identifier: MIT */
/* test_core: strings, maps, buffers, the profile model and cProfile-exact
 * statistics. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "model/alloc.h"
#include "model/buf.h"
#include "model/error.h"
#include "model/map.h"
#include "model/profile.h"
#include "model/stats.h"
#include "model/strtab.h"
#include "test.h"

static void test_strtab(void)
{
    pyro_strtab_t *t = pyro_strtab_new();
    CHECK(t);
    uint32_t a, b, c;
    CHECK(pyro_strtab_intern_cstr(t, "alpha", &a) == PYRO_OK);
    CHECK(pyro_strtab_intern_cstr(t, "beta", &b) == PYRO_OK);
    CHECK(pyro_strtab_intern_cstr(t, "alpha", &c) == PYRO_OK);
    CHECK(a == 0 && b == 1 && c == 0);
    CHECK(pyro_strtab_intern(t, "a\0b", 3, &c) == PYRO_OK && c == 2);
    size_t n;
    const char *s = pyro_strtab_get(t, 2, &n);
    CHECK(n == 3 && s[1] == '\0' && s[2] == 'b');
    CHECK(pyro_strtab_get(t, 3, NULL) == NULL);
    char name[32];
    for (int i = 0; i < 5000; i++) { /* forces rehashes and arena growth */
        snprintf(name, sizeof name, "s%d", i);
        CHECK(pyro_strtab_intern_cstr(t, name, &c) == PYRO_OK);
    }
    CHECK(pyro_strtab_intern_cstr(t, "s4999", &c) == PYRO_OK && c == 5002);
    CHECK(strcmp(pyro_strtab_get(t, 1, NULL), "beta") == 0);
    pyro_strtab_free(t);
}

static void test_strtab_oom(void)
{
    /* every allocation failure is reported and leaves no leak */
    for (long k = 1; k < 40; k++) {
        pyro_strtab_t *t = pyro_strtab_new();
        if (!t)
            continue;
        test_alloc_fail_at(k);
        char name[16];
        int rc = PYRO_OK;
        for (int i = 0; i < 200 && rc == PYRO_OK; i++) {
            uint32_t id;
            snprintf(name, sizeof name, "n%d", i);
            rc = pyro_strtab_intern_cstr(t, name, &id);
        }
        test_alloc_reset();
        CHECK(rc == PYRO_OK || rc == PYRO_ENOMEM);
        pyro_strtab_free(t);
    }
}

static void test_map(void)
{
    pyro_map_t m;
    pyro_map_init(&m);
    uint32_t v;
    CHECK(!pyro_map_get(&m, 1, 2, &v));
    for (uint64_t i = 0; i < 10000; i++)
        CHECK(pyro_map_put(&m, i, i * 7, (uint32_t)i) == PYRO_OK);
    for (uint64_t i = 0; i < 10000; i++)
        CHECK(pyro_map_get(&m, i, i * 7, &v) && v == i);
    CHECK(!pyro_map_get(&m, 5, 6, &v));
    CHECK(pyro_map_put(&m, 5, 35, 99) == PYRO_OK && pyro_map_get(&m, 5, 35, &v) && v == 99);
    CHECK(m.count == 10000);
    CHECK(pyro_map_put(&m, 1, 1, UINT32_MAX) == PYRO_EINVAL);
    pyro_map_free(&m);
}

static void test_buf(void)
{
    pyro_buf_t b;
    pyro_buf_init(&b);
    pyro_buf_varint(&b, 0);
    pyro_buf_varint(&b, 300);
    pyro_buf_svarint(&b, -1);
    CHECK(b.len == 4);
    CHECK((unsigned char)b.data[1] == 0xac && (unsigned char)b.data[2] == 0x02);
    CHECK((unsigned char)b.data[3] == 0x01);
    b.len = 0;
    pyro_buf_json_str(&b, "a\"\\\n\x01\xff\xc3\xa9", 8);
    CHECK(strcmp(b.data, "\"a\\\"\\\\\\n\\u0001\\ufffd\xc3\xa9\"") == 0);
    b.len = 0;
    pyro_buf_printf(&b, "%0300d", 7); /* longer than the stack buffer */
    CHECK(b.len == 300 && b.data[299] == '7');
    pyro_buf_free(&b);
    test_alloc_fail_at(1);
    pyro_buf_puts(&b, "x");
    test_alloc_reset();
    CHECK(pyro_buf_status(&b) == PYRO_ENOMEM);
    pyro_buf_puts(&b, "y"); /* sticky: ignored */
    CHECK(b.len == 0);
    pyro_buf_free(&b);
}

/* pyro_pages_*: zeroed, contents kept when grown, the new part zero; from
 * the kernel under the C library's allocator (the program's heap never
 * sees them) and from the installed allocator otherwise (so that the tests'
 * failures reach them); each block freed the way it was made, whatever
 * allocator is installed by then. */
static void test_pages(void)
{
    for (int kernel = 0; kernel < 2; kernel++) {
        if (kernel)
            pyro_set_allocator(NULL);
        long live0 = test_alloc_live();
        unsigned char *p = pyro_pages_alloc(100);
        CHECK(p && ((uintptr_t)p & (kernel ? 63 : 15)) == 0);
        for (int i = 0; i < 100; i++)
            CHECK(p[i] == 0);
        memset(p, 0xab, 100);
        unsigned char *q = pyro_pages_realloc(p, 300000);
        CHECK(q);
        CHECK(q[0] == 0xab && q[99] == 0xab && q[100] == 0 && q[299999] == 0);
        if (kernel)
            test_alloc_install(); /* made by the kernel, freed under the tests' allocator */
        else
            CHECK(test_alloc_live() == live0 + 1);
        pyro_pages_free(q);
        pyro_pages_free(NULL);
        CHECK(test_alloc_live() == live0);
    }
    test_alloc_fail_at(1);
    CHECK(pyro_pages_alloc(10) == NULL);
    test_alloc_reset();
    void *p = pyro_pages_alloc(10);
    test_alloc_fail_at(1);
    CHECK(pyro_pages_realloc(p, 5000) == NULL); /* p untouched, still ours */
    test_alloc_reset();
    pyro_pages_free(p);
}

/* ==== building profiles by hand ==== */

static uint32_t func(pyro_profile_t *p, const char *name)
{
    pyro_func_t f = {0};
    uint32_t id = 0;
    pyro_profile_str(p, name, strlen(name), &f.name);
    f.qualname = f.name;
    pyro_profile_str(p, "t.py", 4, &f.file);
    f.line = (uint32_t)name[0];
    pyro_profile_func(p, &f, &id);
    return id;
}

static uint32_t node(pyro_profile_t *p, uint32_t parent, uint32_t f, uint64_t calls, int64_t self,
                     int64_t total)
{
    uint32_t id = 0;
    pyro_profile_child(p, parent, 0, f, 0, &id);
    pyro_node_add(p, id, p->col[PYRO_M_CALLS], (int64_t)calls);
    pyro_node_add(p, id, p->col[PYRO_M_SELF_NS], self);
    pyro_node_add(p, id, p->col[PYRO_M_TOTAL_NS], total);
    return id;
}

static pyro_profile_t *one_thread(void)
{
    pyro_profile_t *p = pyro_profile_new();
    if (pyro_profile_set_mode(p, PYRO_MODE_TRACE))
        abort();
    pyro_thread_t t = {1, 2, 0};
    uint32_t tid;
    pyro_profile_str(p, "MainThread", 10, &t.name);
    pyro_profile_add_thread(p, &t, &tid);
    return p;
}

static void test_profile_model(void)
{
    pyro_profile_t *p = one_thread();
    CHECK(p);
    uint32_t a = func(p, "a"), b = func(p, "b");
    CHECK(func(p, "a") == a && a != b);
    uint32_t n1, n2, n3;
    CHECK(pyro_profile_child(p, PYRO_NONE, 0, a, 0, &n1) == PYRO_OK);
    CHECK(pyro_profile_child(p, n1, 0, b, 0, &n2) == PYRO_OK);
    CHECK(pyro_profile_child(p, n1, 0, b, 0, &n3) == PYRO_OK && n3 == n2);
    CHECK(pyro_profile_child(p, n1, 0, b, 7, &n3) == PYRO_OK && n3 != n2);
    CHECK(pyro_profile_child(p, 99, 0, b, 0, &n3) == PYRO_EINVAL);
    CHECK(pyro_profile_child(p, PYRO_NONE, 5, b, 0, &n3) == PYRO_EINVAL);
    CHECK(pyro_profile_child(p, PYRO_NONE, 0, 77, 0, &n3) == PYRO_EINVAL);
    CHECK(pyro_profile_set_meta(p, "mode", "trace") == PYRO_OK);
    CHECK(pyro_profile_set_meta(p, "mode", "sample") == PYRO_OK);
    CHECK(strcmp(pyro_profile_get_meta(p, "mode"), "sample") == 0 && p->nmeta == 1);
    CHECK(pyro_profile_get_meta(p, "nope") == NULL);
    char label[64];
    pyro_profile_func_label(p, a, label, sizeof label);
    CHECK(strcmp(label, "t.py:97(a)") == 0);
    pyro_func_t c = {0};
    pyro_profile_str(p, "<built-in method builtins.abs>", 30, &c.name);
    c.qualname = c.name;
    pyro_profile_str(p, "~", 1, &c.file);
    c.kind = PYRO_FUNC_NATIVE;
    uint32_t cf;
    CHECK(pyro_profile_func(p, &c, &cf) == PYRO_OK);
    pyro_profile_func_label(p, cf, label, sizeof label);
    CHECK(strcmp(label, "{built-in method builtins.abs}") == 0);
    pyro_profile_free(p);
}

static int near(double a, double b) { return fabs(a - b) < 1e-12; }

static void test_stats_recursion(void)
{
    /* main -> fib -> fib x2 -> fib x2 (each inner call once) */
    pyro_profile_t *p = one_thread();
    uint32_t m = func(p, "main"), f = func(p, "fib");
    uint32_t r = node(p, PYRO_NONE, m, 1, 10, 100);
    uint32_t f1 = node(p, r, f, 1, 30, 90);
    uint32_t f2 = node(p, f1, f, 2, 40, 60);
    node(p, f2, f, 2, 20, 20);
    pyro_stats_t *s;
    CHECK(pyro_stats_compute(p, &s) == PYRO_OK);
    const pyro_fstat_t *fs = &s->funcs[f];
    CHECK(fs->ncalls == 5 && fs->primcalls == 1);
    CHECK(near(fs->tottime, 90e-9) && near(fs->cumtime, 90e-9));
    CHECK(s->funcs[m].ncalls == 1 && near(s->funcs[m].cumtime, 100e-9));
    CHECK(fs->ncallers == 2);
    for (uint32_t e = fs->first_caller; e < fs->first_caller + fs->ncallers; e++) {
        const pyro_edge_t *ed = &s->edges[e];
        CHECK(ed->callee == f);
        if (ed->caller == m) {
            CHECK(ed->ncalls == 1 && ed->primcalls == 1 && near(ed->cumtime, 90e-9));
        } else {
            CHECK(ed->caller == f);
            CHECK(ed->ncalls == 4 && ed->primcalls == 2);
            CHECK(near(ed->tottime, 60e-9) && near(ed->cumtime, 60e-9));
        }
    }
    CHECK(s->total_calls == 6 && s->prim_calls == 2);
    CHECK(near(s->total_time, 100e-9));
    pyro_stats_free(s);
    pyro_profile_free(p);
}

static void test_stats_mutual(void)
{
    pyro_profile_t *p = one_thread();
    uint32_t a = func(p, "A"), b = func(p, "B");
    uint32_t a1 = node(p, PYRO_NONE, a, 1, 10, 100);
    uint32_t b1 = node(p, a1, b, 1, 20, 90);
    uint32_t a2 = node(p, b1, a, 1, 30, 70);
    node(p, a2, b, 1, 40, 40);
    pyro_stats_t *s;
    CHECK(pyro_stats_compute(p, &s) == PYRO_OK);
    CHECK(s->funcs[a].ncalls == 2 && s->funcs[a].primcalls == 1);
    CHECK(near(s->funcs[a].tottime, 40e-9) && near(s->funcs[a].cumtime, 100e-9));
    CHECK(s->funcs[b].ncalls == 2 && s->funcs[b].primcalls == 1);
    CHECK(near(s->funcs[b].tottime, 60e-9) && near(s->funcs[b].cumtime, 90e-9));
    const pyro_fstat_t *fb = &s->funcs[b];
    CHECK(fb->ncallers == 1);
    const pyro_edge_t *ab = &s->edges[fb->first_caller];
    CHECK(ab->caller == a && ab->ncalls == 2 && ab->primcalls == 1 && near(ab->cumtime, 90e-9));
    const pyro_edge_t *ba = &s->edges[s->funcs[a].first_caller];
    CHECK(s->funcs[a].ncallers == 1 && ba->caller == b && ba->ncalls == 1 && ba->primcalls == 1);
    pyro_stats_free(s);
    pyro_profile_free(p);
}

static void test_stats_order(void)
{
    pyro_profile_t *p = one_thread();
    uint32_t a = func(p, "a"), b = func(p, "b"), c = func(p, "c");
    uint32_t r = node(p, PYRO_NONE, a, 1, 1, 100);
    node(p, r, b, 5, 60, 60);
    node(p, r, c, 9, 39, 39);
    pyro_stats_t *s;
    CHECK(pyro_stats_compute(p, &s) == PYRO_OK);
    uint32_t order[3];
    CHECK(pyro_stats_order(s, p, PYRO_SORT_CUMTIME, order) == 3);
    CHECK(order[0] == a && order[1] == b && order[2] == c);
    pyro_stats_order(s, p, PYRO_SORT_TOTTIME, order);
    CHECK(order[0] == b && order[1] == c && order[2] == a);
    pyro_stats_order(s, p, PYRO_SORT_NCALLS, order);
    CHECK(order[0] == c && order[1] == b);
    pyro_stats_order(s, p, PYRO_SORT_NAME, order);
    CHECK(order[0] == a && order[1] == b && order[2] == c);
    CHECK(pyro_sort_parse("cumulative") == PYRO_SORT_CUMTIME && pyro_sort_parse("x") == -1);
    pyro_stats_free(s);
    pyro_profile_free(p);
}

static void test_stats_oom(void)
{
    pyro_profile_t *p = one_thread();
    uint32_t m = func(p, "main"), f = func(p, "fib");
    uint32_t r = node(p, PYRO_NONE, m, 1, 10, 100);
    uint32_t f1 = node(p, r, f, 1, 30, 90);
    node(p, f1, f, 2, 40, 60);
    int ok = 0;
    for (long k = 1; k < 60; k++) {
        pyro_stats_t *s = NULL;
        test_alloc_fail_at(k);
        int rc = pyro_stats_compute(p, &s);
        test_alloc_reset();
        CHECK(rc == PYRO_OK || rc == PYRO_ENOMEM);
        if (rc == PYRO_OK) {
            ok = 1;
            pyro_stats_free(s);
        }
    }
    CHECK(ok);
    pyro_profile_free(p);
}

void suite_core(void)
{
    RUN(test_strtab);
    RUN(test_strtab_oom);
    RUN(test_map);
    RUN(test_buf);
    RUN(test_pages);
    RUN(test_profile_model);
    RUN(test_stats_recursion);
    RUN(test_stats_mutual);
    RUN(test_stats_order);
    RUN(test_stats_oom);
}
