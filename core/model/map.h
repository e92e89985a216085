/* SPDX-License-Identifier: MIT */
/* map: an open-addressing hash map from a 128-bit key (two 64-bit words) to a
 * 32-bit value. Used for interning and find-or-create lookups off the hot
 * path. Keys are compared exactly; there is no deletion. */
#ifndef PYRO_MAP_H
#define PYRO_MAP_H

#include <stdint.h>

typedef struct pyro_map {
    uint64_t *keys;  /* 2 words per slot */
    uint32_t *vals;  /* value + 1 per slot, 0 = empty */
    uint32_t nslots; /* power of two, or 0 before the first insertion */
    uint32_t count;
} pyro_map_t;

/* Initialize an empty map (no allocation). */
void pyro_map_init(pyro_map_t *m);

/* Release the map's memory; it is empty and reusable afterwards. */
void pyro_map_free(pyro_map_t *m);

/* Look up (k1, k2): 1 and *val set if present, 0 if absent. */
int pyro_map_get(const pyro_map_t *m, uint64_t k1, uint64_t k2, uint32_t *val);

/* Insert or overwrite (k1, k2) -> val (val < UINT32_MAX). PYRO_OK or
 * PYRO_ENOMEM (map unchanged). */
int pyro_map_put(pyro_map_t *m, uint64_t k1, uint64_t k2, uint32_t val);

/* The 64-bit mixing function used by the map (exposed for other tables). */
static inline uint64_t pyro_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

#endif
