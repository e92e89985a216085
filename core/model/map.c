/* SPDX-License-Identifier: MIT */
/* map: linear probing, load factor at most 1/2. */
#include "model/map.h"

#include <string.h>

#include "model/alloc.h"
#include "model/error.h"

void pyro_map_init(pyro_map_t *m) { memset(m, 0, sizeof *m); }

void pyro_map_free(pyro_map_t *m)
{
    pyro_free(m->keys);
    pyro_free(m->vals);
    pyro_map_init(m);
}

static uint32_t slot_of(uint64_t k1, uint64_t k2, uint32_t nslots)
{
    return (uint32_t)pyro_mix64(k1 * 0x9e3779b97f4a7c15ULL ^ pyro_mix64(k2)) & (nslots - 1);
}

int pyro_map_get(const pyro_map_t *m, uint64_t k1, uint64_t k2, uint32_t *val)
{
    if (!m->nslots)
        return 0;
    uint32_t i = slot_of(k1, k2, m->nslots);
    while (m->vals[i]) {
        if (m->keys[2 * i] == k1 && m->keys[2 * i + 1] == k2) {
            *val = m->vals[i] - 1;
            return 1;
        }
        i = (i + 1) & (m->nslots - 1);
    }
    return 0;
}

static int grow(pyro_map_t *m)
{
    uint32_t n = m->nslots ? m->nslots * 2 : 64;
    if (n == 0)
        return PYRO_ENOMEM;
    uint64_t *keys = pyro_calloc(n, 2 * sizeof *keys);
    uint32_t *vals = pyro_calloc(n, sizeof *vals);
    if (!keys || !vals) {
        pyro_free(keys);
        pyro_free(vals);
        return PYRO_ENOMEM;
    }
    for (uint32_t j = 0; j < m->nslots; j++) {
        if (!m->vals[j])
            continue;
        uint64_t k1 = m->keys[2 * j], k2 = m->keys[2 * j + 1];
        uint32_t i = slot_of(k1, k2, n);
        while (vals[i])
            i = (i + 1) & (n - 1);
        keys[2 * i] = k1;
        keys[2 * i + 1] = k2;
        vals[i] = m->vals[j];
    }
    pyro_free(m->keys);
    pyro_free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->nslots = n;
    return PYRO_OK;
}

int pyro_map_put(pyro_map_t *m, uint64_t k1, uint64_t k2, uint32_t val)
{
    if (val == UINT32_MAX)
        return PYRO_EINVAL;
    if ((m->count + 1) * 2 > m->nslots && grow(m))
        return PYRO_ENOMEM;
    uint32_t i = slot_of(k1, k2, m->nslots);
    while (m->vals[i]) {
        if (m->keys[2 * i] == k1 && m->keys[2 * i + 1] == k2) {
            m->vals[i] = val + 1;
            return PYRO_OK;
        }
        i = (i + 1) & (m->nslots - 1);
    }
    m->keys[2 * i] = k1;
    m->keys[2 * i + 1] = k2;
    m->vals[i] = val + 1;
    m->count++;
    return PYRO_OK;
}
