/* SPDX-License-Identifier: MIT */
/* fuzz_pyrofile: the fuzz target for the .pyro reader (libFuzzer entry
 * point). A successfully parsed profile is also rendered in every format. */
#include "fuzz.h"

#include "model/error.h"
#include "format/pyrofile.h"
#include "sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pyro_profile_t *p = NULL;
    if (pyro_pyrofile_read(data, size, &p) == PYRO_OK)
        render_all(p);
    pyro_profile_free(p);
    return 0;
}

void fuzz_seed(pyro_buf_t *out)
{
    pyro_profile_t *p = sample_profile();
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
