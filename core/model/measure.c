/* SPDX-License-Identifier: MIT */
/* measure: per-name summaries of measured calls. */
#include "model/measure.h"

#include <string.h>

#include "model/alloc.h"
#include "model/error.h"

pyro_mtable_t *pyro_mtable_new(const char *const *evnames, uint32_t nevents)
{
    if (nevents > PYRO_RUNSTAT_MAX_EVENTS || (nevents && !evnames))
        return NULL;
    pyro_mtable_t *t = pyro_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->evnames = evnames;
    t->nevents = nevents;
    return t;
}

void pyro_mtable_clear(pyro_mtable_t *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->nrows; i++)
        pyro_free(t->rows[i].name);
    t->nrows = 0;
}

void pyro_mtable_free(pyro_mtable_t *t)
{
    if (!t)
        return;
    pyro_mtable_clear(t);
    pyro_free(t->rows);
    pyro_free(t);
}

const pyro_mrow_t *pyro_mtable_find(const pyro_mtable_t *t, const char *name)
{
    if (!t || !name)
        return NULL;
    for (uint32_t i = 0; i < t->nrows; i++)
        if (strcmp(t->rows[i].name, name) == 0)
            return &t->rows[i];
    return NULL;
}

int pyro_mtable_add(pyro_mtable_t *t, const char *name, const pyro_mcall_t *c)
{
    if (!t || !name || !c)
        return PYRO_EINVAL;
    pyro_mrow_t *row = (pyro_mrow_t *)pyro_mtable_find(t, name);
    if (!row) {
        char *copy = pyro_strndup(name, strlen(name));
        if (!copy)
            return PYRO_ENOMEM;
        int rc = pyro_grow((void **)&t->rows, &t->cap, t->nrows, sizeof *t->rows);
        if (rc < 0) {
            pyro_free(copy);
            return rc;
        }
        row = &t->rows[t->nrows++];
        memset(row, 0, sizeof *row);
        row->name = copy;
    }
    row->calls++;
    if (c->failed)
        row->failed++;
    pyro_summary_add(&row->wall, c->wall);
    pyro_summary_add(&row->cpu, c->cpu);
    if (c->has_heap)
        pyro_summary_add(&row->heap, c->heap);
    if (c->has_rss)
        pyro_summary_add(&row->rss, c->rss);
    for (uint32_t k = 0; k < t->nevents; k++)
        if (c->evmask & (1u << k))
            pyro_summary_add(&row->ev[k], c->ev[k]);
    return PYRO_OK;
}
