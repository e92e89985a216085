/* SPDX-License-Identifier: MIT */
/* sample: the small profile that the format tests and the fuzz seeds share. */
#include "sample.h"

#include "format/render.h"

pyro_profile_t *sample_profile(void)
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
    p->nodes[r] = (pyro_node_t){.parent = PYRO_NONE,
                                .func = fmain,
                                .line = 0,
                                .thread = t0,
                                .calls = 1,
                                .self_ns = 1000,
                                .total_ns = 9000000};
    pyro_profile_child(p, r, t0, fwork, 0, &w);
    p->nodes[w] = (pyro_node_t){.parent = r,
                                .func = fwork,
                                .line = 0,
                                .thread = t0,
                                .calls = 3,
                                .self_ns = 3000000,
                                .total_ns = 8000000};
    pyro_profile_child(p, w, t0, fwork, 0, &w2);
    p->nodes[w2] = (pyro_node_t){.parent = w,
                                 .func = fwork,
                                 .line = 0,
                                 .thread = t0,
                                 .calls = 2,
                                 .self_ns = 1000000,
                                 .total_ns = 1000000};
    pyro_profile_child(p, w, t0, fabs_, 0, &a);
    p->nodes[a] = (pyro_node_t){.parent = w,
                                .func = fabs_,
                                .line = 0,
                                .thread = t0,
                                .calls = 1000000,
                                .self_ns = 4000000,
                                .total_ns = 4000000};
    pyro_profile_child(p, PYRO_NONE, t1, fwork, 0, &s);
    p->nodes[s] = (pyro_node_t){.parent = PYRO_NONE,
                                .func = fwork,
                                .line = 0,
                                .thread = t1,
                                .calls = 1,
                                .self_ns = 2000000,
                                .total_ns = 2000000};
    pyro_profile_set_meta(p, "mode", "trace");
    pyro_profile_set_meta(p, "clock", "wall");
    return p;
}

void render_all(const pyro_profile_t *p)
{
    for (int fmt = 0; fmt < PYRO_FMT_COUNT; fmt++) {
        pyro_buf_t b;
        pyro_buf_init(&b);
        pyro_render(p, fmt, NULL, &b);
        pyro_buf_free(&b);
    }
}
