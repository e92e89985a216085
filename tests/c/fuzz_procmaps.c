/* SPDX-License-Identifier: MIT */
/* fuzz_procmaps: the fuzz target for the /proc/PID/maps parser. */
#include "fuzz.h"

#include "remote/procmaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pyro_maps_t m = {0};
    if (pyro_maps_parse((const char *)data, size, &m) == 0) {
        pyro_maps_find_lib(&m, "libpython3.");
        pyro_maps_find_path(&m, "/usr/bin/python3");
    }
    pyro_maps_free(&m);
    return 0;
}

void fuzz_seed(pyro_buf_t *out)
{
    pyro_buf_puts(out, "55d0c0000000-55d0c0001000 r--p 00000000 08:01 123 /usr/bin/python3\n"
                       "7f00aa000000-7f00aa100000 r-xp 00010000 fd:00 42 /l/libpython3.12.so.1.0\n"
                       "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0   [stack]\n");
}

void fuzz_fix(uint8_t *data, size_t size)
{
    (void)data;
    (void)size;
}
