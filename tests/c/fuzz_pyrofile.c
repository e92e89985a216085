/* SPDX-License-Identifier: MIT */
/* fuzz_pyrofile: the fuzz target for the .pyro reader (libFuzzer entry
 * point). A successfully parsed profile is also rendered in every format. */
#include "fuzz.h"

#include "error.h"
#include "profile.h"
#include "pyrofile.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pyro_profile_t *p = NULL;
    if (pyro_pyrofile_read(data, size, &p) != PYRO_OK)
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

void fuzz_seed(pyro_buf_t *out)
{
    pyro_profile_t *p = pyro_profile_new();
    pyro_thread_t th = {1, 2, 0};
    uint32_t t, f1, f2, n1, n2, n3;
    pyro_profile_str(p, "MainThread", 10, &th.name);
    pyro_profile_add_thread(p, &th, &t);
    pyro_func_t f = {0};
    pyro_profile_str(p, "main", 4, &f.name);
    f.qualname = f.name;
    pyro_profile_str(p, "a.py", 4, &f.file);
    f.line = 3;
    pyro_profile_func(p, &f, &f1);
    pyro_profile_str(p, "<built-in method builtins.len>", 30, &f.name);
    f.qualname = f.name;
    pyro_profile_str(p, "~", 1, &f.file);
    f.line = 0;
    f.kind = PYRO_FUNC_NATIVE;
    pyro_profile_func(p, &f, &f2);
    pyro_profile_child(p, PYRO_NONE, t, f1, 0, &n1);
    pyro_profile_child(p, n1, t, f2, 0, &n2);
    pyro_profile_child(p, n1, t, f1, 0, &n3);
    p->nodes[n1].calls = 1;
    p->nodes[n1].total_ns = 100;
    p->nodes[n2].calls = 7;
    pyro_profile_set_meta(p, "mode", "trace");
    pyro_pyrofile_write(p, out);
    pyro_profile_free(p);
}

/* Recompute the CRC in the END section (the last 4 bytes). */
void fuzz_fix(uint8_t *d, size_t n)
{
    if (n < 16)
        return;
    uint32_t crc = pyro_crc32(0, d, n - 16);
    for (int i = 0; i < 4; i++)
        d[n - 4 + i] = (uint8_t)(crc >> (8 * i));
}
