/* SPDX-License-Identifier: MIT */
/* fuzz_pyrofile: the fuzz target for the .pyro reader (libFuzzer entry
 * point). A successfully parsed profile is also rendered in every format. */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "profile.h"
#include "pyrofile.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
