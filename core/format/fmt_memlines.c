/* SPDX-License-Identifier: MIT */
/* fmt_memlines: the chosen functions are entries (file, first line, name);
 * a function of the profile maps to the entry it equals. One pass over the
 * nodes adds each node's values to its own (entry, line) row, and, walking
 * up its path, to the inclusive sums of every (entry, line) row on it, once
 * per node (a stamp), so recursion never counts a node twice. */
#include "format/fmt_memlines.h"

#include <stdlib.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"
#include "model/map.h"
#include "format/fmt_lines.h"
#include "format/source.h"

enum { V_ALLOC, V_NET, V_PEAK, V_ALLOCS, NV };

/* A chosen function. Strings point into the profile or the parsed metadata. */
typedef struct entry {
    const char *file, *name, *qual;
    uint32_t line;
    uint32_t stamp;  /* the last node added to tot, plus one */
    int64_t tot[NV]; /* the function and what it calls: each node on a path through it, once */
} entry_t;

/* One line of a chosen function. */
typedef struct row {
    uint32_t entry, line;
    uint32_t stamp;
    int64_t self[NV], incl[NV];
} row_t;

typedef struct ctx {
    entry_t *e;
    uint32_t ne, cape;
    row_t *r;
    uint32_t nr, capr;
    pyro_map_t index; /* (entry, line) -> row */
    uint32_t *ent_of; /* per function: its entry, PYRO_NONE when not chosen */
    char *meta;       /* a copy of the metadata, cut into strings */
} ctx_t;

static int add_entry(ctx_t *c, const char *file, uint32_t line, const char *name, const char *qual)
{
    int rc = pyro_grow((void **)&c->e, &c->cape, c->ne, sizeof *c->e);
    if (rc)
        return rc;
    c->e[c->ne++] = (entry_t){.file = file, .name = name, .qual = qual, .line = line};
    return PYRO_OK;
}

/* The entries of the metadata `v` (a copy kept in c->meta). */
static int parse_meta(ctx_t *c, const char *v)
{
    size_t len = strlen(v);
    if (!(c->meta = pyro_malloc(len + 1)))
        return PYRO_ENOMEM;
    memcpy(c->meta, v, len + 1);
    for (char *s = c->meta; *s;) {
        char *eol = strchr(s, '\n');
        char *next = eol ? eol + 1 : s + strlen(s);
        if (eol)
            *eol = '\0';
        char *f[4] = {s, NULL, NULL, NULL};
        int k = 1;
        for (char *t = s; *t && k < 4; t++)
            if (*t == '\t') {
                *t = '\0';
                f[k++] = t + 1;
            }
        char *end = NULL;
        unsigned long line = k == 4 ? strtoul(f[1], &end, 10) : 0;
        if (k == 4 && *f[0] && end && !*end && line > 0 && line < UINT32_MAX && *f[2]) {
            int rc = add_entry(c, f[0], (uint32_t)line, f[2], *f[3] ? f[3] : f[2]);
            if (rc)
                return rc;
        }
        s = next;
    }
    return PYRO_OK;
}

/* By file, first line, name. */
static int entry_cmp(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    int d = strcmp(x->file, y->file);
    if (d)
        return d;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The row of (entry, line), made when new; NULL when out of memory. */
static row_t *row_of(ctx_t *c, uint32_t e, uint32_t line)
{
    uint32_t k;
    if (pyro_map_get(&c->index, e, line, &k))
        return &c->r[k];
    if (pyro_grow((void **)&c->r, &c->capr, c->nr, sizeof *c->r) ||
        pyro_map_put(&c->index, e, line, c->nr))
        return NULL;
    c->r[c->nr] = (row_t){.entry = e, .line = line};
    return &c->r[c->nr++];
}

/* Choose, sort and deduplicate the entries, map functions to them. */
static int choose(ctx_t *c, const pyro_profile_t *p, const pyro_render_opts_t *o)
{
    int rc = PYRO_OK;
    if (o->function && *o->function) {
        for (uint32_t f = 0; f < p->nfuncs && !rc; f++) {
            const pyro_func_t *fn = &p->funcs[f];
            if (fn->kind == PYRO_FUNC_PYTHON && fn->line && pyro_lines_match(p, f, o->function))
                rc = add_entry(c, pyro_profile_strget(p, fn->file), fn->line,
                               pyro_profile_strget(p, fn->name),
                               pyro_profile_strget(p, fn->qualname));
        }
        if (!rc && !c->ne)
            rc = PYRO_ENOMATCH;
    } else {
        const char *v = pyro_profile_get_meta(p, PYRO_MEMLINES_META);
        if (v && *v)
            rc = parse_meta(c, v);
    }
    if (rc || !c->ne)
        return rc;
    qsort(c->e, c->ne, sizeof *c->e, entry_cmp);
    uint32_t kept = 1;
    for (uint32_t i = 1; i < c->ne; i++)
        if (entry_cmp(&c->e[i], &c->e[kept - 1]) != 0)
            c->e[kept++] = c->e[i];
    c->ne = kept;
    if (!(c->ent_of = pyro_malloc(((size_t)p->nfuncs + 1) * sizeof *c->ent_of)))
        return PYRO_ENOMEM;
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        const pyro_func_t *fn = &p->funcs[f];
        c->ent_of[f] = PYRO_NONE;
        if (fn->kind != PYRO_FUNC_PYTHON)
            continue;
        entry_t key = {.file = pyro_profile_strget(p, fn->file),
                       .name = pyro_profile_strget(p, fn->name),
                       .line = fn->line};
        const entry_t *hit = bsearch(&key, c->e, c->ne, sizeof *c->e, entry_cmp);
        if (hit)
            c->ent_of[f] = (uint32_t)(hit - c->e);
    }
    return PYRO_OK;
}

/* Add every node's values to the rows of its own line and of the lines on
 * its path. */
static int sum(ctx_t *c, const pyro_profile_t *p)
{
    for (uint32_t n = 0; n < p->nnodes; n++) {
        int64_t v[NV] = {
            pyro_node_metric(p, n, PYRO_M_ALLOC_BYTES), pyro_node_metric(p, n, PYRO_M_LEAKED_BYTES),
            pyro_node_metric(p, n, PYRO_M_PEAK_BYTES), pyro_node_metric(p, n, PYRO_M_ALLOCS)};
        if (v[V_ALLOC] <= 0 && v[V_ALLOCS] <= 0 && v[V_PEAK] <= 0)
            continue;
        uint32_t e = c->ent_of[p->nodes[n].func];
        if (e != PYRO_NONE) {
            row_t *r = row_of(c, e, p->nodes[n].line);
            if (!r)
                return PYRO_ENOMEM;
            for (int k = 0; k < NV; k++)
                r->self[k] += v[k];
        }
        uint32_t guard = 0;
        for (uint32_t a = n; a != PYRO_NONE && guard <= p->nnodes;
             a = p->nodes[a].parent, guard++) {
            if ((e = c->ent_of[p->nodes[a].func]) == PYRO_NONE)
                continue;
            row_t *r = row_of(c, e, p->nodes[a].line);
            if (!r)
                return PYRO_ENOMEM;
            if (r->stamp != n + 1) {
                r->stamp = n + 1;
                for (int k = 0; k < NV; k++)
                    r->incl[k] += v[k];
            }
            if (c->e[e].stamp != n + 1) {
                c->e[e].stamp = n + 1;
                for (int k = 0; k < NV; k++)
                    c->e[e].tot[k] += v[k];
            }
        }
    }
    return PYRO_OK;
}

/* The rows of entry `e`, by line, into *out (*n of them); NULL when none. */
static int rows_of(const ctx_t *c, uint32_t e, const row_t ***out, uint32_t *n)
{
    *out = NULL;
    *n = 0;
    uint32_t m = 0;
    for (uint32_t i = 0; i < c->nr; i++)
        m += c->r[i].entry == e;
    if (!m)
        return PYRO_OK;
    const row_t **l = pyro_malloc((size_t)m * sizeof *l);
    if (!l)
        return PYRO_ENOMEM;
    m = 0;
    for (uint32_t i = 0; i < c->nr; i++)
        if (c->r[i].entry == e)
            l[m++] = &c->r[i];
    /* few rows a function: an insertion sort by line */
    for (uint32_t i = 1; i < m; i++)
        for (uint32_t j = i; j > 0 && l[j - 1]->line > l[j]->line; j--) {
            const row_t *t = l[j];
            l[j] = l[j - 1];
            l[j - 1] = t;
        }
    *out = l;
    *n = m;
    return PYRO_OK;
}

static void columns(pyro_buf_t *out, const pyro_render_opts_t *o)
{
    static const char *const heads[6] = {"allocated", "net", "at peak",
                                         "allocated", "net", "at peak"};
    pyro_buf_printf(out, "%s%6s %-33s %s%s\n", pyro_color(o, PYRO_C_DIM), "",
                    "--------- this line ----------", "------ with what it calls ------",
                    pyro_color(o, PYRO_C_RESET));
    pyro_buf_printf(out, "%sLine #", pyro_color(o, PYRO_C_CYAN));
    for (int k = 0; k < 6; k++)
        pyro_buf_printf(out, "%s %10s", k == 3 ? " " : "", heads[k]);
    pyro_buf_printf(out, " %10s  Line Contents%s\n", "allocs", pyro_color(o, PYRO_C_RESET));
    pyro_buf_fill(out, '=', 100);
    pyro_buf_putc(out, '\n');
}

/* One row: line `n`, its numbers (blank when `r` is NULL) and its text. */
static void line_row(pyro_buf_t *out, uint32_t n, const row_t *r, const char *text, size_t len)
{
    pyro_buf_printf(out, "%6u", n);
    if (r) {
        for (int k = 0; k < 3; k++) {
            pyro_buf_putc(out, ' ');
            pyro_render_bytes(out, r->self[k], 10);
        }
        pyro_buf_putc(out, ' ');
        for (int k = 0; k < 3; k++) {
            pyro_buf_putc(out, ' ');
            pyro_render_bytes(out, r->incl[k], 10);
        }
        pyro_buf_putc(out, ' ');
        pyro_render_count(out, (uint64_t)r->self[V_ALLOCS], 10);
    } else {
        pyro_buf_printf(out, "%78s", "");
    }
    pyro_buf_puts(out, "  ");
    pyro_buf_append(out, text, len);
    pyro_buf_putc(out, '\n');
}

/* The header, source and numbers of entry `e`. */
static int write_entry(const ctx_t *c, uint32_t e, const pyro_render_opts_t *o, pyro_buf_t *out)
{
    const entry_t *en = &c->e[e];
    const row_t **rows = NULL;
    uint32_t nrows = 0;
    int rc = rows_of(c, e, &rows, &nrows);
    if (rc)
        return rc;
    pyro_source_t src;
    if ((rc = pyro_source_read(&src, en->file)))
        goto cleanup;
    pyro_buf_printf(out, "\n%sFunction: %s%s at %s:%u\n", pyro_color(o, PYRO_C_BOLD), en->qual,
                    pyro_color(o, PYRO_C_RESET), pyro_render_path(o, en->file), en->line);
    if (en->tot[V_ALLOC] > 0 || en->tot[V_ALLOCS] > 0) {
        pyro_buf_puts(out, "With what it calls: allocated ");
        pyro_render_bytes(out, en->tot[V_ALLOC], 0);
        pyro_buf_puts(out, " in ");
        pyro_render_count(out, (uint64_t)en->tot[V_ALLOCS], 0);
        pyro_buf_printf(out, " allocation%s, ", en->tot[V_ALLOCS] == 1 ? "" : "s");
        pyro_render_bytes(out, en->tot[V_PEAK], 0);
        pyro_buf_puts(out, " live at the peak, ");
        pyro_render_bytes(out, en->tot[V_NET], 0);
        pyro_buf_puts(out, " still live at exit\n");
    } else {
        pyro_buf_puts(out, "No allocations recorded in it or in what it calls (never called "
                           "while tracked, or none of its allocations was sampled)\n");
    }
    pyro_func_t fn = {.line = en->line};
    uint32_t lo = en->line, hi = en->line;
    if (!pyro_source_unreadable(out, o, &src, en->file, "allocating")) {
        uint32_t first, last;
        if (pyro_source_def_extent(&src, &fn, en->name, &first, &last)) {
            lo = first;
            hi = last;
        } else if (en->name[0] != '<' && en->line <= src.nlines) {
            pyro_source_not_def(out, o, en->file, en->line, en->name);
        }
    }
    for (uint32_t i = 0; i < nrows; i++) {
        if (rows[i]->line && rows[i]->line < lo)
            lo = rows[i]->line;
        if (rows[i]->line > hi)
            hi = rows[i]->line;
    }
    if (hi > src.nlines && !src.err)
        pyro_source_too_short(out, o, &src, en->file, hi);
    pyro_buf_putc(out, '\n');
    columns(out, o);
    uint32_t k = 0;
    while (k < nrows && rows[k]->line < lo) /* line 0: no line known */
        k++;
    for (uint32_t n = lo; n && n <= hi; n++) {
        while (k < nrows && rows[k]->line < n)
            k++;
        const row_t *r = k < nrows && rows[k]->line == n ? rows[k] : NULL;
        size_t len = 0;
        const char *text = src.err ? NULL : pyro_source_line(&src, n, &len);
        if (!r && !text) { /* nothing to show: on to the next line with numbers */
            if (k >= nrows)
                break;
            n = rows[k]->line - 1;
            continue;
        }
        if (!text) {
            text = src.err ? "" : "(past the end of the file)";
            len = strlen(text);
        }
        line_row(out, n, r, text, len);
    }
    rc = pyro_buf_status(out);
cleanup:
    pyro_source_free(&src);
    pyro_free((void *)rows);
    return rc;
}

int pyro_fmt_memlines(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *p = ctx->raw;
    const pyro_render_opts_t *o = ctx->o;
    ctx_t c;
    memset(&c, 0, sizeof c);
    pyro_map_init(&c.index);
    int rc = choose(&c, p, o);
    if (rc || !c.ne)
        goto cleanup;
    if ((rc = sum(&c, p)))
        goto cleanup;
    const char *interval = pyro_profile_get_meta(p, "mem_interval");
    int sampled = interval && *interval && strcmp(interval, "0") != 0;
    pyro_buf_printf(out,
                    "\n%sLines of the chosen functions%s (%u function%s; net: allocated there "
                    "and still live at exit%s)\n",
                    pyro_color(o, PYRO_C_BOLD), pyro_color(o, PYRO_C_RESET), c.ne,
                    c.ne == 1 ? "" : "s",
                    sampled ? ";\nsampled by bytes: a line's numbers are estimates, --exact "
                              "records every allocation"
                            : "");
    for (uint32_t e = 0; e < c.ne && !rc; e++)
        rc = write_entry(&c, e, o, out);
cleanup:
    pyro_map_free(&c.index);
    pyro_free(c.e);
    pyro_free(c.r);
    pyro_free(c.ent_of);
    pyro_free(c.meta);
    return rc ? rc : pyro_buf_status(out);
}
