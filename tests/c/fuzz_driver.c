/* SPDX-License-Identifier: MIT */
/* fuzz_driver: a self-contained stand-in for libFuzzer's main, so every fuzz
 * target runs as a deterministic smoke test everywhere. It replays files
 * given on the command line, then mutates the target's valid seed and those
 * files in turn (bit flips, byte sets, truncations, splices, and mutations
 * repaired by the target's fuzz_fix so its deeper checks are reached) for
 * --iterations rounds, then feeds random bytes. With clang, build a target with
 * -fsanitize=fuzzer instead of this file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/buf.h"
#include "fuzz.h"

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;
static unsigned long long next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

#define MAX_SEEDS 16

int main(int argc, char **argv)
{
    long iterations = 10000;
    pyro_buf_t seeds[MAX_SEEDS];
    int nseeds = 1;
    pyro_buf_init(&seeds[0]);
    fuzz_seed(&seeds[0]);
    size_t longest = seeds[0].len;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iterations = atol(argv[++i]);
            continue;
        }
        pyro_buf_t f;
        pyro_buf_init(&f);
        if (pyro_buf_read_file(&f, argv[i], 1 << 26) != 0) {
            fprintf(stderr, "fuzz smoke: cannot read %s\n", argv[i]);
            return 1;
        }
        LLVMFuzzerTestOneInput((unsigned char *)f.data, f.len);
        if (f.len && nseeds < MAX_SEEDS) {
            seeds[nseeds++] = f;
            longest = f.len > longest ? f.len : longest;
        } else {
            pyro_buf_free(&f);
        }
    }
    pyro_buf_t seed = seeds[0];
    size_t cap = longest * 2 + 64 > 256 ? longest * 2 + 64 : 256; /* junk inputs are < 256 */
    unsigned char *work = malloc(cap);
    if (!work)
        return 1;
    LLVMFuzzerTestOneInput((unsigned char *)seed.data, seed.len);
    for (long it = 0; it < iterations; it++) {
        const pyro_buf_t *from = &seeds[it % nseeds];
        size_t n = from->len;
        memcpy(work, from->data, n);
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
                if (n + 32 < cap) {

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
            fuzz_fix(work, n);
        LLVMFuzzerTestOneInput(work, n);
    }
    /* random junk */
    for (long it = 0; it < iterations / 10; it++) {
        size_t n = next() % 256;
        for (size_t i = 0; i < n; i++)
            work[i] = (unsigned char)next();
        if (n > 8 && next() % 2)
            memcpy(work, seed.data, 8); /* the seed's magic, to get past the sniff */
        LLVMFuzzerTestOneInput(work, n);
    }
    free(work);
    for (int i = 0; i < nseeds; i++)
        pyro_buf_free(&seeds[i]);
    printf("fuzz smoke: %ld mutated inputs, no crash\n", iterations);
    return 0;
}
