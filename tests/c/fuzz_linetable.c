/* SPDX-License-Identifier: MIT */
/* fuzz_linetable: the line-table decoders. The first input byte picks the
 * version (3.9, 3.10, or 3.11+), the rest is the table; every instruction
 * offset up to the table's length is looked up. */
#include "fuzz.h"

#include "remote/linetable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const uint32_t versions[] = {0x03090000, 0x030A0000, 0x030B0000, 0x030D0000};
    uint32_t version = versions[data[0] % 4];
    for (int off = -1; off < (int)size * 4 + 8; off++)
        pyro_line_for(version, data + 1, size - 1, 1, off);
    return 0;
}

void fuzz_seed(pyro_buf_t *out)
{
    static const unsigned char seed[] = {2,
                                         0x80,
                                         0x00,
                                         0x80 | (11 << 3) | 2,
                                         0x01,
                                         0x05,
                                         0x80 | (15 << 3),
                                         0x80 | (13 << 3) | 1,
                                         0x05,
                                         0x80 | (14 << 3),
                                         0x0a,
                                         0x00,
                                         0x01,
                                         0x02};
    pyro_buf_append(out, seed, sizeof seed);
}

void fuzz_fix(uint8_t *data, size_t size)
{
    (void)data;
    (void)size;
}
