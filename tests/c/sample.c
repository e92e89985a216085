/* SPDX-License-Identifier: MIT */
/* sample: the small profile that the format tests and the fuzz seeds share. */
#include "sample.h"

#include "format/render.h"

/* Set node `n`'s metrics from trace numbers; a sample profile gets one
 * sample a millisecond of self time, half of them on a CPU, all holding the
 * GIL, and half the time as CPU time. */
static void metrics(pyro_profile_t *p, uint32_t n, int64_t calls, int64_t self, int64_t total)
{
    int64_t *v = pyro_node_vals(p, n);
    if (p->mode == PYRO_MODE_TRACE) {
        v[p->col[PYRO_M_CALLS]] = calls;
        v[p->col[PYRO_M_SELF_NS]] = self;
        v[p->col[PYRO_M_TOTAL_NS]] = total;
        return;
    }
    int64_t samples = self / 1000000;
    v[p->col[PYRO_M_SAMPLES]] = samples;
    v[p->col[PYRO_M_RUNNING]] = samples / 2;
    v[p->col[PYRO_M_GIL]] = samples;
    v[p->col[PYRO_M_CPU_NS]] = self / 2;
    v[p->col[PYRO_M_SELF_NS]] = samples * 1000000;
}

static pyro_profile_t *build(int mode)
{
    pyro_profile_t *p = pyro_profile_new();
    pyro_profile_set_mode(p, mode);
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
    metrics(p, r, 1, 1000, 9000000);
    pyro_profile_child(p, r, t0, fwork, 0, &w);
    metrics(p, w, 3, 3000000, 8000000);
    pyro_profile_child(p, w, t0, fwork, 0, &w2);
    metrics(p, w2, 2, 1000000, 1000000);
    pyro_profile_child(p, w, t0, fabs_, 0, &a);
    metrics(p, a, 1000000, 4000000, 4000000);
    pyro_profile_child(p, PYRO_NONE, t1, fwork, 0, &s);
    metrics(p, s, 1, 2000000, 2000000);
    pyro_profile_set_meta(p, "clock", "wall");
    if (mode == PYRO_MODE_SAMPLE)
        pyro_profile_fill_totals(p);
    return p;
}

pyro_profile_t *sample_profile(void) { return build(PYRO_MODE_TRACE); }

pyro_profile_t *sample_profile_sampled(void) { return build(PYRO_MODE_SAMPLE); }

void render_all(const pyro_profile_t *p)
{
    for (int fmt = 0; fmt < PYRO_FMT_COUNT; fmt++) {
        pyro_buf_t b;
        pyro_buf_init(&b);
        pyro_render(p, fmt, NULL, &b);
        pyro_buf_free(&b);
    }
}
