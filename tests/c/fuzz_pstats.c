/* SPDX-License-Identifier: MIT */
/* fuzz_pstats: the fuzz target for the pstats (marshal) reader. A profile
 * that parses is rendered in every format (those needing a tree refuse). */
#include "fuzz.h"

#include "model/error.h"
#include "format/pstats.h"
#include "format/render.h"
#include "sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pyro_profile_t *p = NULL;
    if (pyro_pstats_read(data, size, &p) == PYRO_OK)
        render_all(p);
    pyro_profile_free(p);
    return 0;
}

/* pstats bytes as our writer makes them; the mutator's byte flips turn
 * some type codes into flagged ones and some into back-references. */
void fuzz_seed(pyro_buf_t *out)
{
    pyro_profile_t *p = sample_profile();
    pyro_render(p, PYRO_FMT_PSTATS, NULL, out);
    pyro_profile_free(p);
}

void fuzz_fix(uint8_t *data, size_t size)
{
    (void)data;
    (void)size;
}
