/* SPDX-License-Identifier: MIT */
/* stats: one depth-first walk of the CCT per thread root, tracking which
 * functions and caller->callee pairs are active on the current path. */
#include "model/stats.h"

#include <stdlib.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"

void pyro_stats_free(pyro_stats_t *s)
{
    if (!s)
        return;
    pyro_free(s->funcs);
    pyro_free(s->edges);
    pyro_map_free(&s->edge_index);
    pyro_free(s);
}

pyro_stats_t *pyro_stats_new(uint32_t nfuncs)
{
    pyro_stats_t *s = pyro_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pyro_map_init(&s->edge_index);
    s->nfuncs = nfuncs;
    s->funcs = pyro_calloc(nfuncs ? nfuncs : 1, sizeof *s->funcs);
    if (!s->funcs) {
        pyro_stats_free(s);
        return NULL;
    }
    for (uint32_t f = 0; f < nfuncs; f++)
        s->funcs[f].func = f;
    return s;
}

int pyro_stats_add_edge(pyro_stats_t *s, const pyro_edge_t *e)
{
    uint64_t pk = (uint64_t)e->caller << 32 | e->callee;
    uint32_t i;
    if (!pyro_map_get(&s->edge_index, pk, 0, &i)) {
        int rc = pyro_grow((void **)&s->edges, &s->capedges, s->nedges, sizeof *s->edges);
        if (rc)
            return rc;
        if (pyro_map_put(&s->edge_index, pk, 0, s->nedges))

            return PYRO_ENOMEM;
        i = s->nedges++;
        memset(&s->edges[i], 0, sizeof s->edges[i]);
        s->edges[i].caller = e->caller;
        s->edges[i].callee = e->callee;
    }
    pyro_edge_t *d = &s->edges[i];
    d->ncalls += e->ncalls;
    d->primcalls += e->primcalls;
    d->tottime += e->tottime;
    d->cumtime += e->cumtime;
    return PYRO_OK;
}

static int cmp_edge(const void *a, const void *b)
{
    const pyro_edge_t *x = a, *y = b;
    if (x->callee != y->callee)
        return x->callee < y->callee ? -1 : 1;
    if (x->caller != y->caller)
        return x->caller < y->caller ? -1 : 1;
    return 0;
}

void pyro_stats_finish(pyro_stats_t *s, double total_time)
{
    if (s->nedges)
        qsort(s->edges, s->nedges, sizeof *s->edges, cmp_edge);
    /* the order changed: the index no longer points at the right edges */
    pyro_map_free(&s->edge_index);
    for (uint32_t f = 0; f < s->nfuncs; f++)
        s->funcs[f].ncallers = 0;
    for (uint32_t e = 0; e < s->nedges; e++) {
        pyro_fstat_t *fs = &s->funcs[s->edges[e].callee];
        if (!fs->ncallers)
            fs->first_caller = e;
        fs->ncallers++;
    }
    s->total_calls = s->prim_calls = 0;
    for (uint32_t f = 0; f < s->nfuncs; f++) {
        s->total_calls += s->funcs[f].ncalls;
        s->prim_calls += s->funcs[f].primcalls;
    }
    s->total_time = total_time;
}

static int copy_flat(const pyro_stats_t *src, pyro_stats_t **out)
{
    pyro_stats_t *s = pyro_stats_new(src->nfuncs);
    if (!s)
        return PYRO_ENOMEM;
    memcpy(s->funcs, src->funcs, (size_t)src->nfuncs * sizeof *s->funcs);
    if (src->nedges) {
        s->edges = pyro_reallocarray(NULL, src->nedges, sizeof *s->edges);
        if (!s->edges) {
            pyro_stats_free(s);
            return PYRO_ENOMEM;
        }
        memcpy(s->edges, src->edges, (size_t)src->nedges * sizeof *s->edges);
        s->nedges = s->capedges = src->nedges;
    }
    s->total_calls = src->total_calls;
    s->prim_calls = src->prim_calls;
    s->total_time = src->total_time;
    *out = s;
    return PYRO_OK;
}

int pyro_stats_compute(const pyro_profile_t *p, pyro_stats_t **out)
{
    if (p->flat)
        return copy_flat(p->flat, out);
    int rc = PYRO_ENOMEM;
    pyro_children_t t = {0};
    uint32_t *active = NULL, *stack = NULL, *cursor = NULL;
    pyro_map_t pair_active;
    pyro_map_init(&pair_active);
    pyro_stats_t *s = pyro_stats_new(p->nfuncs);
    if (!s)
        goto cleanup;
    active = pyro_calloc(p->nfuncs ? p->nfuncs : 1, sizeof *active);
    stack = pyro_calloc((size_t)p->nnodes + 1, sizeof *stack);
    cursor = pyro_calloc((size_t)p->nnodes + 1, sizeof *cursor);
    if (!active || !stack || !cursor || pyro_profile_children(p, &t))
        goto cleanup;
    const double ns = 1e-9;
    const int ccalls = p->col[PYRO_M_CALLS], cself = p->col[PYRO_M_SELF_NS],
              ctotal = p->col[PYRO_M_TOTAL_NS];
    /* iterative DFS from the virtual super-root p->nnodes */
    uint32_t depth = 0;
    stack[0] = p->nnodes;
    cursor[0] = t.first[p->nnodes];
    while (1) {
        uint32_t top = stack[depth];
        if (cursor[depth] == t.first[top + 1]) {
            /* leave `top` */
            if (depth == 0)
                break;
            const pyro_node_t *n = &p->nodes[top];
            active[n->func]--;
            if (n->parent != PYRO_NONE) {
                uint32_t c = 0;
                uint64_t pk = (uint64_t)p->nodes[n->parent].func << 32 | n->func;
                pyro_map_get(&pair_active, pk, 0, &c);
                if (pyro_map_put(&pair_active, pk, 0, c - 1))
                    goto cleanup;
            }
            depth--;
            continue;
        }
        uint32_t kid = t.kids[cursor[depth]++];
        const pyro_node_t *n = &p->nodes[kid];
        pyro_fstat_t *fs = &s->funcs[n->func];
        int rec = active[n->func] > 0;
        uint64_t calls = (uint64_t)pyro_node_get(p, kid, ccalls);
        double self = (double)pyro_node_get(p, kid, cself) * ns;
        double total = (double)pyro_node_get(p, kid, ctotal) * ns;
        fs->ncalls += calls;
        fs->tottime += self;
        if (!rec) {
            fs->primcalls += calls;
            fs->cumtime += total;
        }
        active[n->func]++;
        if (n->parent != PYRO_NONE) {
            uint32_t caller = p->nodes[n->parent].func;
            uint64_t pk = (uint64_t)caller << 32 | n->func;
            uint32_t c = 0;
            pyro_map_get(&pair_active, pk, 0, &c);
            int erec = c > 0;
            if (pyro_map_put(&pair_active, pk, 0, c + 1))
                goto cleanup;
            pyro_edge_t e = {.caller = caller,
                             .callee = n->func,
                             .ncalls = calls,
                             .primcalls = erec ? 0 : calls,
                             .tottime = self,
                             .cumtime = erec ? 0 : total};
            if (pyro_stats_add_edge(s, &e))
                goto cleanup;
        }
        depth++;
        stack[depth] = kid;
        cursor[depth] = t.first[kid];
    }
    pyro_stats_finish(s, (double)pyro_profile_total_ns(p) * ns);
    *out = s;
    s = NULL;
    rc = PYRO_OK;
cleanup:
    pyro_stats_free(s);
    pyro_children_free(&t);
    pyro_free(active);
    pyro_free(stack);
    pyro_free(cursor);
    pyro_map_free(&pair_active);
    return rc;
}

int pyro_sort_parse(const char *name)
{
    static const struct {
        const char *name;
        int sort;
    } names[] = {
        {"cumtime", PYRO_SORT_CUMTIME}, {"cumulative", PYRO_SORT_CUMTIME},
        {"tottime", PYRO_SORT_TOTTIME}, {"time", PYRO_SORT_TOTTIME},
        {"ncalls", PYRO_SORT_NCALLS},   {"calls", PYRO_SORT_NCALLS},
        {"name", PYRO_SORT_NAME},       {"file", PYRO_SORT_FILE},
        {"filename", PYRO_SORT_FILE},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].name, name) == 0)
            return names[i].sort;
    return -1;
}

const char *pyro_sort_name(int sort)
{
    static const char *const names[PYRO_SORT_COUNT] = {
        [PYRO_SORT_CUMTIME] = "cumtime", [PYRO_SORT_TOTTIME] = "tottime",
        [PYRO_SORT_NCALLS] = "ncalls",   [PYRO_SORT_NAME] = "name",
        [PYRO_SORT_FILE] = "file",
    };
    return sort >= 0 && sort < PYRO_SORT_COUNT && names[sort] ? names[sort] : "?";
}

/* qsort has no context argument in C11: sort on a prepared key array. */
typedef struct sortkey {
    double num;       /* descending */
    const char *str1; /* ascending */
    const char *str2;
    uint32_t line;
    uint32_t func;
} sortkey_t;

static int cmp_key(const void *a, const void *b)
{
    const sortkey_t *x = a, *y = b;
    if (x->num != y->num)
        return x->num > y->num ? -1 : 1;
    int c = strcmp(x->str1, y->str1);
    if (c)
        return c;
    if ((c = strcmp(x->str2, y->str2)))
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->func < y->func ? -1 : (x->func > y->func);
}

uint32_t pyro_stats_order(const pyro_stats_t *s, const pyro_profile_t *p, pyro_sort_t sort,
                          uint32_t *order)
{
    sortkey_t *keys = pyro_calloc(s->nfuncs ? s->nfuncs : 1, sizeof *keys);
    uint32_t n = 0;
    for (uint32_t f = 0; f < s->nfuncs; f++) {
        const pyro_fstat_t *fs = &s->funcs[f];
        if (!fs->ncalls)
            continue;
        if (!keys) { /* out of memory: unsorted but complete */
            order[n++] = f;
            continue;
        }
        const pyro_func_t *fn = &p->funcs[f];
        sortkey_t *k = &keys[n++];
        k->func = f;
        k->line = fn->line;
        const char *name = pyro_profile_strget(p, fn->name);
        const char *file = pyro_profile_strget(p, fn->file);
        switch (sort) {
        case PYRO_SORT_TOTTIME:
            k->num = fs->tottime;
            break;
        case PYRO_SORT_NCALLS:
            k->num = (double)fs->ncalls;
            break;
        case PYRO_SORT_NAME:
        case PYRO_SORT_FILE:
            k->num = 0;
            break;
        default:
            k->num = fs->cumtime;
            break;
        }
        k->str1 = sort == PYRO_SORT_NAME ? name : file;
        k->str2 = sort == PYRO_SORT_NAME ? file : name;
    }
    if (keys) {
        qsort(keys, n, sizeof *keys, cmp_key);
        for (uint32_t i = 0; i < n; i++)
            order[i] = keys[i].func;
        pyro_free(keys);
    }
    return n;
}
