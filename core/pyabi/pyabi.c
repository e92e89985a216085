/* SPDX-License-Identifier: MIT */
/* pyabi: table lookup, and the _Py_DebugOffsets decoder (3.13+) driven by
 * the generated map of each version. */
#include "pyabi/pyabi.h"

#include <string.h>

#include "model/error.h"

const pyro_layout_t *pyro_layout_for(uint32_t version, int free_threaded)
{
    for (unsigned i = 0; i < pyro_nlayouts; i++)
        if ((pyro_layouts[i].version & 0xffff0000) == (version & 0xffff0000) &&
            pyro_layouts[i].free_threaded == (free_threaded != 0))
            return &pyro_layouts[i];
    return NULL;
}

const pyro_dbgmap_t *pyro_dbgmap_for(uint32_t version)
{
    for (unsigned i = 0; i < pyro_ndbgmaps; i++)
        if ((pyro_dbgmaps[i].version & 0xffff0000) == (version & 0xffff0000))
            return &pyro_dbgmaps[i];
    return NULL;
}

/* ==== _Py_DebugOffsets ==== */

/* The head every version shares: cookie, version, free_threaded. */
#define DO_VERSION 1
#define DO_FREE_THREADED 2
#define DO_HEAD 3

/* pyro_layout_t is a version then int32 fields only: walked as an array. */
#define FIRST_FIELD offsetof(pyro_layout_t, rt_interpreters_head)
#define NFIELDS ((sizeof(pyro_layout_t) - FIRST_FIELD) / sizeof(int32_t))
_Static_assert(offsetof(pyro_layout_t, free_threaded) == 4 && FIRST_FIELD == 8 &&
                   (sizeof(pyro_layout_t) - FIRST_FIELD) % sizeof(int32_t) == 0,
               "pyro_layout_t: a version, then int32 fields");

static uint64_t field(const unsigned char *d, int i)
{
    uint64_t v = 0;
    for (int b = 0; b < 8; b++)
        v |= (uint64_t)d[8 * i + b] << (8 * b);
    return v;
}

static int32_t get_i32(const void *base, size_t i)
{
    int32_t v;
    memcpy(&v, (const char *)base + FIRST_FIELD + i * sizeof v, sizeof v);
    return v;
}

static void set_i32(void *base, size_t i, int32_t v)
{
    memcpy((char *)base + FIRST_FIELD + i * sizeof v, &v, sizeof v);
}

int pyro_layout_from_debug_offsets(const void *data, size_t len, pyro_layout_t *out,
                                   uint32_t *version, int *free_threaded)
{
    const unsigned char *d = data;
    if (len < DO_HEAD * 8 || memcmp(d, "xdebugpy", 8) != 0)
        return PYRO_EFORMAT;
    uint64_t v = field(d, DO_VERSION), ft = field(d, DO_FREE_THREADED);
    if ((v >> 24) != 3 || ft > 1)
        return PYRO_EFORMAT;
    *version = (uint32_t)v;
    *free_threaded = (int)ft;
    /* a version or build kind without a map and a table is refused, never
     * read with another's layout */
    const pyro_dbgmap_t *map = pyro_dbgmap_for((uint32_t)v);
    const pyro_layout_t *table = pyro_layout_for((uint32_t)v, (int)ft);
    if (!map || !table)
        return PYRO_EVERSION;
    if (map->size < DO_HEAD * 8 || len < (size_t)map->size)
        return PYRO_EFORMAT;
    int slots = map->size / 8;
    pyro_layout_t l = *table;
    for (size_t i = 0; i < NFIELDS; i++) {
        int32_t slot = get_i32(&map->slot, i);
        /* slot 0: not in the debug offsets; a field the table says this
         * build lacks (-1) stays absent, whatever its slot holds */
        if (slot == 0 || get_i32(table, i) < 0)
            continue;
        if (slot < DO_HEAD || slot >= slots)
            return PYRO_EFORMAT;
        uint64_t off = field(d, slot);
        if (off > (1u << 20))
            return PYRO_EFORMAT; /* no structure we read is that large */
        set_i32(&l, i, (int32_t)off);
    }
    /* the GIL's fields are given within the interpreter: make them within
     * the GIL state, as the table has them */
    if (map->gil_state >= DO_HEAD && map->gil_state < slots && l.gil_locked >= 0 &&
        map->slot.gil_locked && map->slot.gil_last_holder) {
        uint64_t gil = field(d, map->gil_state);
        uint64_t locked = (uint64_t)l.gil_locked, holder = (uint64_t)l.gil_last_holder;
        if (locked < gil || holder < gil || locked - gil > 4096 || holder - gil > 4096)
            return PYRO_EFORMAT;
        l.gil_locked = (int32_t)(locked - gil);
        l.gil_last_holder = (int32_t)(holder - gil);
    }
    *out = l;
    return PYRO_OK;
}
