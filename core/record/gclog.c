/* SPDX-License-Identifier: MIT */
/* gclog: rows in one array merged pairwise when full; type names in an
 * open-addressing table hashed by name (FNV-1a), with a second small
 * open-addressing table from a type's address to its name's slot, emptied
 * at the end of each collection. */
#include "record/gclog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"

typedef struct row {
    pyro_gc_event_t e;
    uint32_t count; /* collections merged into this row */
} row_t;

typedef struct tname {
    char *name; /* NULL = empty slot */
    uint64_t hash;
    int64_t n;
} tname_t;

typedef struct tkey {
    const void *key; /* NULL = empty slot */
    uint32_t slot;   /* in names */
} tkey_t;

#define KEYS 512 /* address cache slots (a power of two) */

struct pyro_gclog {
    row_t *rows;
    uint32_t nrows, maxrows;
    uint64_t merged; /* collections whose rows were merged into others */
    uint64_t collections, coll_gen[PYRO_GCLOG_GENERATIONS];
    int64_t pause, pause_gen[PYRO_GCLOG_GENERATIONS];
    int64_t pause_max, pause_max_t;
    int32_t pause_max_gen;
    int64_t collected, uncollectable, freed;
    int freed_known;
    tname_t *names;
    uint32_t nnames, capnames, maxtypes; /* capnames: a power of two > 2 * maxtypes */
    int64_t other;
    tkey_t keys[KEYS];
    uint32_t nkeys;
};

int pyro_gclog_new(uint32_t max_rows, uint32_t max_types, pyro_gclog_t **out)
{
    *out = NULL;
    if (max_rows < 4 || max_rows % 2 || max_types < 1 || max_types > (1u << 24))
        return PYRO_EINVAL;
    pyro_gclog_t *g = pyro_calloc(1, sizeof *g);
    if (!g)
        return PYRO_ENOMEM;
    g->maxrows = max_rows;
    g->maxtypes = max_types;
    g->capnames = 16;
    while (g->capnames <= 2 * max_types)
        g->capnames *= 2;
    *out = g;
    return PYRO_OK;
}

void pyro_gclog_free(pyro_gclog_t *g)
{
    if (!g)
        return;
    for (uint32_t i = 0; g->names && i < g->capnames; i++)
        pyro_free(g->names[i].name);
    pyro_free(g->names);
    pyro_free(g->rows);
    pyro_free(g);
}

/* ==== collections ==== */

static void merge_rows(pyro_gclog_t *g)
{
    for (uint32_t i = 0; i < g->nrows / 2; i++) {
        row_t a = g->rows[2 * i], b = g->rows[2 * i + 1];
        row_t m = a;
        m.e.generation = a.e.generation > b.e.generation ? a.e.generation : b.e.generation;
        m.e.pause_ns = a.e.pause_ns + b.e.pause_ns;
        m.e.collected = a.e.collected + b.e.collected;
        m.e.uncollectable = a.e.uncollectable + b.e.uncollectable;
        if (a.e.freed_bytes < 0 || b.e.freed_bytes < 0)
            m.e.freed_bytes = a.e.freed_bytes < 0 ? b.e.freed_bytes : a.e.freed_bytes;
        else
            m.e.freed_bytes = a.e.freed_bytes + b.e.freed_bytes;
        if (b.e.pause_ns > a.e.pause_ns) { /* the place of the longer pause */
            m.e.where = b.e.where;
            m.e.line = b.e.line;
        }
        m.count = a.count + b.count;
        g->rows[i] = m;
    }
    g->merged += g->nrows / 2;
    g->nrows /= 2;
}

int pyro_gclog_add(pyro_gclog_t *g, const pyro_gc_event_t *e)
{
    int gen = e->generation < 0                         ? 0
              : e->generation >= PYRO_GCLOG_GENERATIONS ? PYRO_GCLOG_GENERATIONS - 1
                                                        : e->generation;
    int64_t pause = e->pause_ns > 0 ? e->pause_ns : 0;
    g->collections++;
    g->coll_gen[gen]++;
    g->pause += pause;
    g->pause_gen[gen] += pause;
    if (g->collections == 1 || pause > g->pause_max) {
        g->pause_max = pause;
        g->pause_max_t = e->t_ns;
        g->pause_max_gen = gen;
    }
    g->collected += e->collected > 0 ? e->collected : 0;
    g->uncollectable += e->uncollectable > 0 ? e->uncollectable : 0;
    if (e->freed_bytes >= 0) {
        g->freed += e->freed_bytes;
        g->freed_known = 1;
    }
    if (!g->rows) {
        g->rows = pyro_calloc(g->maxrows, sizeof *g->rows);
        if (!g->rows)
            return PYRO_ENOMEM;
    }
    if (g->nrows == g->maxrows)
        merge_rows(g);
    row_t *r = &g->rows[g->nrows++];
    r->e = *e;
    r->e.generation = gen;
    r->e.pause_ns = pause;
    r->count = 1;
    return PYRO_OK;
}

uint64_t pyro_gclog_collections(const pyro_gclog_t *g) { return g->collections; }

/* ==== freed types ==== */

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The slot of `name` in the name table, added if new; UINT32_MAX when the
 * table is full or out of memory. */
static uint32_t name_slot(pyro_gclog_t *g, const char *name)
{
    if (!g->names) {
        g->names = pyro_calloc(g->capnames, sizeof *g->names);
        if (!g->names)
            return UINT32_MAX;
    }
    uint64_t h = fnv(name);
    uint32_t mask = g->capnames - 1;
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        tname_t *t = &g->names[i];
        if (!t->name) {
            if (g->nnames >= g->maxtypes)
                return UINT32_MAX;
            t->name = pyro_strndup(name, strlen(name));
            if (!t->name)
                return UINT32_MAX;
            t->hash = h;
            g->nnames++;
            return i;
        }
        if (t->hash == h && strcmp(t->name, name) == 0)
            return i;
    }
}

int pyro_gclog_freed(pyro_gclog_t *g, const void *key, const char *name)
{
    uint32_t h = (uint32_t)(((uintptr_t)key >> 4) * 2654435761u) & (KEYS - 1);
    for (uint32_t i = h;; i = (i + 1) & (KEYS - 1)) {
        tkey_t *k = &g->keys[i];
        if (k->key == key) {
            g->names[k->slot].n++;
            return PYRO_OK;
        }
        if (!k->key)
            break;
    }
    uint32_t slot = name_slot(g, name ? name : "?");
    if (slot == UINT32_MAX) {
        g->other++;
        return g->names && g->nnames >= g->maxtypes ? PYRO_OK : PYRO_ENOMEM;
    }
    g->names[slot].n++;
    if (g->nkeys >= KEYS / 2) /* keep the cache sparse: start it again */
        pyro_gclog_end(g);
    for (uint32_t i = h;; i = (i + 1) & (KEYS - 1))
        if (!g->keys[i].key) {
            g->keys[i] = (tkey_t){key, slot};
            g->nkeys++;
            return PYRO_OK;
        }
}

void pyro_gclog_end(pyro_gclog_t *g)
{
    if (g->nkeys)
        memset(g->keys, 0, sizeof g->keys);
    g->nkeys = 0;
}

/* ==== export ==== */

static int meta_num(pyro_profile_t *p, const char *key, long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    return pyro_profile_set_meta(p, key, buf);
}

static int by_count(const void *a, const void *b)
{
    const tname_t *x = *(const tname_t *const *)a, *y = *(const tname_t *const *)b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int export_types(const pyro_gclog_t *g, pyro_profile_t *p)
{
    static const char *const cols[] = {"type", "objects"};
    uint32_t id;
    int rc = pyro_profile_add_series(p, "gc_types", 2, cols, &id);
    if (rc)
        return rc;
    const tname_t **order = pyro_calloc(g->nnames ? g->nnames : 1, sizeof *order);
    if (!order)
        return PYRO_ENOMEM;
    uint32_t n = 0;
    for (uint32_t i = 0; g->names && i < g->capnames; i++)
        if (g->names[i].name && g->names[i].n > 0)
            order[n++] = &g->names[i];
    qsort(order, n, sizeof *order, by_count);
    for (uint32_t i = 0; i < n && !rc; i++) {
        uint32_t s;
        rc = pyro_profile_str(p, order[i]->name, strlen(order[i]->name), &s);
        int64_t v[2] = {s, order[i]->n};
        if (!rc)
            rc = pyro_series_append(p, id, v);
    }
    pyro_free(order);
    return rc;
}

int pyro_gclog_export(const pyro_gclog_t *g, pyro_profile_t *p, int64_t run_ns, int types,
                      pyro_where_map_fn map, void *ctx)
{
    static const char *const cols[] = {"t_ns",      "generation",    "pause_ns",
                                       "collected", "uncollectable", "freed_bytes",
                                       "func",      "line",          "count"};
    if (pyro_profile_find_series(p, "gc"))
        return PYRO_EINVAL;
    uint32_t id;
    int rc = pyro_profile_add_series(p, "gc", 9, cols, &id);
    for (uint32_t i = 0; !rc && i < g->nrows; i++) {
        const row_t *r = &g->rows[i];
        int64_t func = map && r->e.where ? map(ctx, r->e.where, p) : -1;
        int64_t v[9] = {r->e.t_ns,      r->e.generation,           r->e.pause_ns,
                        r->e.collected, r->e.uncollectable,        r->e.freed_bytes,
                        func,           func >= 0 ? r->e.line : 0, r->count};
        rc = pyro_series_append(p, id, v);
    }
    if (!rc && types)
        rc = export_types(g, p);
    char key[32];
    if (!rc)
        rc = meta_num(p, "gc_collections", (long long)g->collections);
    for (int i = 0; i < PYRO_GCLOG_GENERATIONS && !rc; i++) {
        snprintf(key, sizeof key, "gc_collections_gen%d", i);
        rc = meta_num(p, key, (long long)g->coll_gen[i]);
        snprintf(key, sizeof key, "gc_pause_gen%d_ns", i);
        if (!rc)
            rc = meta_num(p, key, (long long)g->pause_gen[i]);
    }
    if (!rc)
        rc = meta_num(p, "gc_pause_ns", g->pause);
    if (!rc && g->collections)
        rc = meta_num(p, "gc_pause_max_ns", g->pause_max);
    if (!rc && g->collections)
        rc = meta_num(p, "gc_pause_max_gen", g->pause_max_gen);
    if (!rc && g->collections)
        rc = meta_num(p, "gc_pause_max_t_ns", g->pause_max_t);
    if (!rc)
        rc = meta_num(p, "gc_collected", g->collected);
    if (!rc)
        rc = meta_num(p, "gc_uncollectable", g->uncollectable);
    if (!rc && (g->freed_known || p->mode == PYRO_MODE_MEMORY))
        rc = meta_num(p, "gc_freed_bytes", g->freed);
    if (!rc)
        rc = meta_num(p, "gc_run_ns", run_ns > 0 ? run_ns : 0);
    if (!rc)
        rc = meta_num(p, "gc_rows_merged", (long long)g->merged);
    if (!rc)
        rc = pyro_profile_set_meta(p, "gc_types", types ? "tracked" : "unavailable");
    if (!rc && types && g->other)
        rc = meta_num(p, "gc_types_other", g->other);
    return rc;
}
