/* SPDX-License-Identifier: MIT */
/* fuzz_driver: a self-contained stand-in for libFuzzer's main, so the fuzz
 * target runs as a deterministic smoke test everywhere. It replays files
 * given on the command line, then mutates a valid seed (bit flips, byte
 * sets, truncations, splices, and mutations with the CRC re-fixed so the
 * parser's deeper checks are reached) for --iterations rounds. With clang,
 * build the target with -fsanitize=fuzzer instead of this file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "profile.h"
#include "pyrofile.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;
static unsigned long long next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void seed_profile(pyro_buf_t *out)
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
static void fix_crc(unsigned char *d, size_t n)
{
    if (n < 16)
        return;
    uint32_t crc = pyro_crc32(0, d, n - 16);
    for (int i = 0; i < 4; i++)
        d[n - 4 + i] = (unsigned char)(crc >> (8 * i));
}

int main(int argc, char **argv)
{
    long iterations = 10000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iterations = atol(argv[++i]);
            continue;
        }
        pyro_buf_t f;
        pyro_buf_init(&f);
        if (pyro_buf_read_file(&f, argv[i], 1 << 26) == 0)
            LLVMFuzzerTestOneInput((unsigned char *)f.data, f.len);
        pyro_buf_free(&f);
    }
    pyro_buf_t seed;
    pyro_buf_init(&seed);
    seed_profile(&seed);
    unsigned char *work = malloc(seed.len * 2 + 64);
    LLVMFuzzerTestOneInput((unsigned char *)seed.data, seed.len);
    for (long it = 0; it < iterations; it++) {
        size_t n = seed.len;
        memcpy(work, seed.data, n);
        int rounds = 1 + (int)(next() % 4);
        for (int r = 0; r < rounds; r++) {
            size_t at = next() % n;
            switch (next() % 5) {
            case 0:
                work[at] ^= (unsigned char)(1u << (next() % 8));
                break;
            case 1:
                work[at] = (unsigned char)next();
                break;
            case 2:
                work[at] = (unsigned char)(next() % 2 ? 0xff : 0x00);
                break;
            case 3: /* duplicate a chunk */
                if (n + 32 < seed.len * 2 + 64) {
                    size_t len = next() % 16 + 1;
                    if (at + len <= n) {
                        memmove(work + at + len, work + at, n - at);
                        n += len;
                    }
                }
                break;
            default:
                n = at + 1;
                break;
            }
        }
        if (next() % 2)
            fix_crc(work, n);
        LLVMFuzzerTestOneInput(work, n);
    }
    /* random junk */
    for (long it = 0; it < iterations / 10; it++) {
        size_t n = next() % 256;
        for (size_t i = 0; i < n; i++)
            work[i] = (unsigned char)next();
        if (n > 8 && next() % 2)
            memcpy(work, seed.data, 8);
        LLVMFuzzerTestOneInput(work, n);
    }
    free(work);
    pyro_buf_free(&seed);
    printf("fuzz smoke: %ld mutated inputs, no crash\n", iterations);
    return 0;
}
