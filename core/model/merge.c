/* SPDX-License-Identifier: MIT */
/* merge: a copy of the sample profile without nodes takes the memory
 * columns; then the sample nodes are copied (same ids) and the memory nodes
 * are found or made by (parent, thread, function, line), parents first, so
 * that each memory node's parent is already mapped. Functions of the memory
 * profile are matched through a map keyed by (name, file, first line,
 * kind) of the merged profile's strings. */
#include "model/merge.h"

#include <string.h>

#include "model/alloc.h"
#include "model/error.h"
#include "model/map.h"

/* The id in `dst` of string `id` of `src`. */
static int str_to(pyro_profile_t *dst, const pyro_profile_t *src, uint32_t id, uint32_t *out)
{
    size_t len = 0;
    const char *s = pyro_strtab_get(src->strs, id, &len);
    return pyro_profile_str(dst, s ? s : "", s ? len : 0, out);
}

/* The column of `p` named `name` (a string of `p`), or -1. */
static int column_named(const pyro_profile_t *p, uint32_t name)
{
    for (uint32_t c = 0; c < p->ncols; c++)
        if (p->cols[c].name == name)
            return (int)c;
    return -1;
}

/* The match key of function `f`. */
static void func_key(const pyro_func_t *f, uint64_t *k1, uint64_t *k2)
{
    *k1 = (uint64_t)f->name | (uint64_t)f->file << 32;
    *k2 = (uint64_t)f->line | (uint64_t)f->kind << 32;
}

/* fmap[f]: mem's function f in p. */
static int map_funcs(pyro_profile_t *p, const pyro_profile_t *mem, uint32_t *fmap)
{
    pyro_map_t index;
    pyro_map_init(&index);
    uint64_t k1, k2;
    int rc = PYRO_OK;
    for (uint32_t f = 0; f < p->nfuncs && !rc; f++) {
        func_key(&p->funcs[f], &k1, &k2);
        uint32_t old;
        if (!pyro_map_get(&index, k1, k2, &old)) /* the first of equal keys */
            rc = pyro_map_put(&index, k1, k2, f);
    }
    for (uint32_t f = 0; f < mem->nfuncs && !rc; f++) {
        const pyro_func_t *m = &mem->funcs[f];
        pyro_func_t g = {0, 0, 0, m->line, m->kind};
        if ((rc = str_to(p, mem, m->name, &g.name)) ||
            (rc = str_to(p, mem, m->qualname, &g.qualname)) ||
            (rc = str_to(p, mem, m->file, &g.file)))
            break;
        func_key(&g, &k1, &k2);
        if (pyro_map_get(&index, k1, k2, &fmap[f]))
            continue;
        if (!(rc = pyro_profile_func(p, &g, &fmap[f])))
            rc = pyro_map_put(&index, k1, k2, fmap[f]);
    }
    pyro_map_free(&index);
    return rc;
}

/* tmap[t]: mem's thread t in p, matched by ident. */
static int map_threads(pyro_profile_t *p, const pyro_profile_t *mem, uint32_t *tmap)
{
    uint32_t ncpu = p->nthreads;
    for (uint32_t t = 0; t < mem->nthreads; t++) {
        const pyro_thread_t *m = &mem->threads[t];
        uint32_t name;
        int rc = str_to(p, mem, m->name, &name);
        if (rc)
            return rc;
        tmap[t] = PYRO_NONE;
        for (uint32_t c = 0; c < ncpu && tmap[t] == PYRO_NONE; c++)
            if (p->threads[c].ident == m->ident)
                tmap[t] = c;
        if (tmap[t] == PYRO_NONE) {
            pyro_thread_t th = *m;
            th.name = name;
            if ((rc = pyro_profile_add_thread(p, &th, &tmap[t])))
                return rc;
        } else if (!*pyro_profile_strget(p, p->threads[tmap[t]].name)) {
            p->threads[tmap[t]].name = name;
        }
    }
    return PYRO_OK;
}

/* cmap[c]: mem's column c in p (declared there if missing; p has no nodes
 * yet). */
static int map_columns(pyro_profile_t *p, const pyro_profile_t *mem, int *cmap)
{
    for (uint32_t c = 0; c < mem->ncols; c++) {
        uint32_t name;
        int rc = str_to(p, mem, mem->cols[c].name, &name);
        if (rc)
            return rc;
        if ((cmap[c] = column_named(p, name)) >= 0)
            continue;
        const char *s = pyro_profile_strget(p, name);
        if ((rc = pyro_profile_add_column(p, s, strlen(s), mem->cols[c].unit, mem->cols[c].agg,
                                          &cmap[c])))
            return rc;
    }
    return PYRO_OK;
}

/* Copy cpu's nodes into p (no nodes yet): the same ids and values. */
static int copy_nodes(pyro_profile_t *p, const pyro_profile_t *cpu)
{
    for (uint32_t i = 0; i < cpu->nnodes; i++) {
        const pyro_node_t *s = &cpu->nodes[i];
        uint32_t id;
        int rc = pyro_profile_child(p, s->parent, s->thread, s->func, s->line, &id);
        if (rc)
            return rc;
        if (id != i)
            return PYRO_EINVAL; /* two nodes of one path: not a profile we made */
        memcpy(pyro_node_vals(p, id), pyro_node_vals(cpu, i),
               (cpu->ncols ? cpu->ncols : 1) * sizeof(int64_t));
    }
    return PYRO_OK;
}

/* Add mem's nodes to p: each found or made by its path. */
static int add_nodes(pyro_profile_t *p, const pyro_profile_t *mem, const uint32_t *fmap,
                     const uint32_t *tmap, const int *cmap)
{
    uint32_t *nmap = pyro_malloc((mem->nnodes ? mem->nnodes : 1) * sizeof *nmap);
    if (!nmap)
        return PYRO_ENOMEM;
    int rc = PYRO_OK;
    for (uint32_t i = 0; i < mem->nnodes && !rc; i++) {
        const pyro_node_t *s = &mem->nodes[i];
        if (s->parent != PYRO_NONE && s->parent >= i) {
            rc = PYRO_EINVAL; /* parents come first in a profile we made */
            break;
        }
        if (s->func >= mem->nfuncs || s->thread >= mem->nthreads) {
            rc = PYRO_EINVAL;
            break;
        }
        uint32_t parent = s->parent == PYRO_NONE ? PYRO_NONE : nmap[s->parent];
        if ((rc = pyro_profile_child(p, parent, tmap[s->thread], fmap[s->func], s->line, &nmap[i])))
            break;
        const int64_t *sv = pyro_node_vals(mem, i);
        for (uint32_t c = 0; c < mem->ncols; c++)
            pyro_node_add(p, nmap[i], cmap[c], sv[c]);
    }
    pyro_free(nmap);
    return rc;
}

/* mem's metadata where p has none (not its mode). */
static int add_meta(pyro_profile_t *p, const pyro_profile_t *mem)
{
    for (uint32_t m = 0; m < mem->nmeta; m++) {
        const char *key = pyro_profile_strget(mem, mem->meta[m].key);
        if (strcmp(key, "mode") == 0 || pyro_profile_get_meta(p, key))
            continue;
        int rc = pyro_profile_set_meta(p, key, pyro_profile_strget(mem, mem->meta[m].value));
        if (rc)
            return rc;
    }
    return PYRO_OK;
}

/* mem's series p has none of by name; "func" columns mapped by fmap. */
static int add_series(pyro_profile_t *p, const pyro_profile_t *mem, const uint32_t *fmap)
{
    for (uint32_t i = 0; i < mem->nseries; i++) {
        const pyro_series_t *s = &mem->series[i];
        const char *name = pyro_profile_strget(mem, s->name);
        if (pyro_profile_find_series(p, name))
            continue;
        const char *cols[PYRO_SERIES_MAX_COLS];
        int is_func[PYRO_SERIES_MAX_COLS];
        uint32_t ncols = s->ncols <= PYRO_SERIES_MAX_COLS ? s->ncols : PYRO_SERIES_MAX_COLS;
        for (uint32_t c = 0; c < ncols; c++) {
            cols[c] = pyro_profile_strget(mem, s->cols[c]);
            is_func[c] = strcmp(cols[c], "func") == 0;
        }
        uint32_t id;
        int rc = pyro_profile_add_series(p, name, ncols, cols, &id);
        if (rc)
            return rc;
        for (uint32_t r = 0; r < s->nrows; r++) {
            int64_t row[PYRO_SERIES_MAX_COLS];
            memcpy(row, s->vals + (size_t)r * s->ncols, ncols * sizeof *row);
            for (uint32_t c = 0; c < ncols; c++)
                if (is_func[c])
                    row[c] = row[c] >= 0 && row[c] < (int64_t)mem->nfuncs ? (int64_t)fmap[row[c]]
                                                                          : (int64_t)-1;
            if ((rc = pyro_series_append(p, id, row)))
                return rc;
        }
    }
    return PYRO_OK;
}

int pyro_profile_merge_memory(const pyro_profile_t *cpu, const pyro_profile_t *mem,
                              pyro_profile_t **out)
{
    if (!cpu || !mem || !out || cpu->flat || mem->flat || cpu->mode != PYRO_MODE_SAMPLE ||
        mem->mode != PYRO_MODE_MEMORY)
        return PYRO_EINVAL;
    pyro_profile_t *p = NULL;
    uint32_t *fmap = pyro_malloc((mem->nfuncs ? mem->nfuncs : 1) * sizeof *fmap);
    uint32_t *tmap = pyro_malloc((mem->nthreads ? mem->nthreads : 1) * sizeof *tmap);
    int cmap[PYRO_MAX_COLUMNS];
    int rc = PYRO_ENOMEM;
    if (!fmap || !tmap)
        goto cleanup;
    if ((rc = pyro_profile_copy_empty(cpu, &p)) || (rc = map_columns(p, mem, cmap)) ||
        (rc = copy_nodes(p, cpu)) || (rc = map_funcs(p, mem, fmap)) ||
        (rc = map_threads(p, mem, tmap)) || (rc = add_nodes(p, mem, fmap, tmap, cmap)) ||
        (rc = add_meta(p, mem)) || (rc = add_series(p, mem, fmap)))
        goto cleanup;
    *out = p;
    p = NULL;
cleanup:
    pyro_profile_free(p);
    pyro_free(fmap);
    pyro_free(tmap);
    return rc;
}
