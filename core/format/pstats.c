/* SPDX-License-Identifier: MIT */
/* pstats: a minimal marshal encoder (dict, tuple, str, int, float), and the
 * reader of pstats files on top of core/marshal. */
#include "format/pstats.h"

#include <math.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"
#include "model/map.h"
#include "format/marshal.h"

/* ==== marshal encoding ==== */

static void m_str(pyro_buf_t *b, const char *s)
{
    size_t n = strlen(s);
    int ascii = 1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            ascii = 0;
    if (ascii && n < 256) {
        pyro_buf_putc(b, 'z'); /* TYPE_SHORT_ASCII */
        pyro_buf_u8(b, (uint8_t)n);
    } else {
        pyro_buf_putc(b, ascii ? 'a' : 'u'); /* TYPE_ASCII / TYPE_UNICODE (UTF-8) */
        pyro_buf_u32(b, (uint32_t)n);
    }
    pyro_buf_append(b, s, n);
}

static void m_int(pyro_buf_t *b, uint64_t v)
{
    if (v <= 0x7fffffff) {
        pyro_buf_putc(b, 'i'); /* TYPE_INT */
        pyro_buf_u32(b, (uint32_t)v);
        return;
    }
    /* TYPE_LONG: digit count, then 15-bit digits, least significant first */
    uint16_t digits[5];
    int n = 0;
    while (v) {
        digits[n++] = (uint16_t)(v & 0x7fff);
        v >>= 15;
    }
    pyro_buf_putc(b, 'l');
    pyro_buf_u32(b, (uint32_t)n);
    for (int i = 0; i < n; i++)
        pyro_buf_u16(b, digits[i]);
}

static void m_float(pyro_buf_t *b, double v)
{
    pyro_buf_putc(b, 'g'); /* TYPE_BINARY_FLOAT */
    pyro_buf_f64(b, v);
}

static void m_tuple(pyro_buf_t *b, uint8_t n)
{
    pyro_buf_putc(b, ')'); /* TYPE_SMALL_TUPLE */
    pyro_buf_u8(b, n);
}

static void m_key(pyro_buf_t *b, const pyro_profile_t *p, uint32_t f)
{
    const pyro_func_t *fn = &p->funcs[f];
    m_tuple(b, 3);
    m_str(b, pyro_profile_strget(p, fn->file));
    m_int(b, fn->line);
    m_str(b, pyro_profile_strget(p, fn->name));
}

/* ==== label merging ==== */

typedef struct agg {
    uint64_t nc, cc;
    double tt, ct;
} agg_t;

int pyro_pstats_write(const pyro_profile_t *p, const pyro_stats_t *s, pyro_buf_t *out)
{
    int rc = PYRO_ENOMEM;
    uint32_t nf = p->nfuncs ? p->nfuncs : 1;
    uint32_t *canon = pyro_calloc(nf, sizeof *canon);
    agg_t *fa = pyro_calloc(nf, sizeof *fa);
    agg_t *ea = pyro_calloc(s->nedges ? s->nedges : 1, sizeof *ea);
    uint32_t *ecaller = pyro_calloc(s->nedges ? s->nedges : 1, sizeof *ecaller);
    uint32_t *ecallee = pyro_calloc(s->nedges ? s->nedges : 1, sizeof *ecallee);
    uint32_t ne = 0;
    pyro_map_t labels, edges;
    pyro_map_init(&labels);
    pyro_map_init(&edges);
    if (!canon || !fa || !ea || !ecaller || !ecallee)
        goto cleanup;
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        const pyro_func_t *fn = &p->funcs[f];
        uint64_t k1 = (uint64_t)fn->file | (uint64_t)fn->line << 32;
        if (!pyro_map_get(&labels, k1, fn->name, &canon[f])) {
            canon[f] = f;
            if (pyro_map_put(&labels, k1, fn->name, f))
                goto cleanup;
        }
        const pyro_fstat_t *fs = &s->funcs[f];
        agg_t *a = &fa[canon[f]];
        a->nc += fs->ncalls;
        a->cc += fs->primcalls;
        a->tt += fs->tottime;
        a->ct += fs->cumtime;
    }
    for (uint32_t e = 0; e < s->nedges; e++) {
        const pyro_edge_t *ed = &s->edges[e];
        uint32_t caller = canon[ed->caller], callee = canon[ed->callee], i;
        if (!pyro_map_get(&edges, callee, caller, &i)) {
            i = ne++;
            ecaller[i] = caller;
            ecallee[i] = callee;
            if (pyro_map_put(&edges, callee, caller, i))
                goto cleanup;
        }
        ea[i].nc += ed->ncalls;
        ea[i].cc += ed->primcalls;
        ea[i].tt += ed->tottime;
        ea[i].ct += ed->cumtime;
    }
    /* group edges by canonical callee (counting sort) */
    uint32_t *first = pyro_calloc((size_t)nf + 1, sizeof *first);
    uint32_t *byc = pyro_calloc(ne ? ne : 1, sizeof *byc);
    if (!first || !byc) {
        pyro_free(first);
        pyro_free(byc);
        goto cleanup;
    }
    for (uint32_t i = 0; i < ne; i++)
        first[ecallee[i] + 1]++;
    for (uint32_t f = 0; f < nf; f++)
        first[f + 1] += first[f];
    for (uint32_t i = 0; i < ne; i++)
        byc[first[ecallee[i]]++] = i;
    for (uint32_t f = nf; f > 0; f--) /* restore the starts */
        first[f] = first[f - 1];
    first[0] = 0;
    pyro_buf_putc(out, '{'); /* TYPE_DICT */
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        if (canon[f] != f || fa[f].nc == 0)
            continue;
        m_key(out, p, f);
        m_tuple(out, 5);
        m_int(out, fa[f].cc);
        m_int(out, fa[f].nc);
        m_float(out, fa[f].tt);
        m_float(out, fa[f].ct);
        pyro_buf_putc(out, '{');
        for (uint32_t j = first[f]; j < first[f + 1]; j++) {
            uint32_t i = byc[j];
            m_key(out, p, ecaller[i]);
            m_tuple(out, 4);
            m_int(out, ea[i].nc);
            m_int(out, ea[i].cc);
            m_float(out, ea[i].tt);
            m_float(out, ea[i].ct);
        }
        pyro_buf_putc(out, '0'); /* TYPE_NULL ends a dict */
    }
    pyro_buf_putc(out, '0');
    pyro_free(first);
    pyro_free(byc);
    rc = pyro_buf_status(out);
cleanup:
    pyro_free(canon);
    pyro_free(fa);
    pyro_free(ea);
    pyro_free(ecaller);
    pyro_free(ecallee);
    pyro_map_free(&labels);
    pyro_map_free(&edges);
    return rc;
}

/* ==== reader ==== */

int pyro_pstats_sniff(const void *data, size_t len)
{
    const unsigned char *d = data;
    return len > 0 && (d[0] & 0x7f) == '{';
}

/* The function labelled by a key tuple (file, line, name), added if new. */
static int key_func(pyro_profile_t *p, const pyro_mval_t *k, uint32_t *id)
{
    if (k->kind != PYRO_M_TUPLE || k->n != 3 || k->items[0]->kind != PYRO_M_STR ||
        k->items[1]->kind != PYRO_M_INT || k->items[2]->kind != PYRO_M_STR || k->items[1]->i < 0 ||
        k->items[1]->i > UINT32_MAX)
        return PYRO_EFORMAT;
    const pyro_mval_t *file = k->items[0], *name = k->items[2];
    pyro_func_t f = {0};
    int rc;
    if ((rc = pyro_profile_str(p, file->s, file->slen, &f.file)) ||
        (rc = pyro_profile_str(p, name->s, name->slen, &f.name)))
        return rc;
    f.qualname = f.name;
    f.line = (uint32_t)k->items[1]->i;
    f.kind =
        file->slen == 1 && file->s[0] == '~' && f.line == 0 ? PYRO_FUNC_NATIVE : PYRO_FUNC_PYTHON;
    return pyro_profile_func(p, &f, id);
}

static int count(const pyro_mval_t *v, uint64_t *out)
{
    if (v->kind != PYRO_M_INT || v->i < 0)
        return PYRO_EFORMAT;
    *out = (uint64_t)v->i;
    return PYRO_OK;
}

static int seconds(const pyro_mval_t *v, double *out)
{
    if (v->kind == PYRO_M_INT)
        *out = (double)v->i;
    else if (v->kind == PYRO_M_FLOAT && isfinite(v->f))
        *out = v->f;
    else
        return PYRO_EFORMAT;
    return PYRO_OK;
}

/* (cc, nc, tt, ct, callers) */
static int check_row(const pyro_mval_t *v)
{
    return v->kind == PYRO_M_TUPLE && v->n == 5 && v->items[4]->kind == PYRO_M_DICT ? PYRO_OK
                                                                                    : PYRO_EFORMAT;
}

int pyro_pstats_read(const void *data, size_t len, pyro_profile_t **out)
{
    pyro_marshal_t *doc = NULL;
    const pyro_mval_t *root;
    int rc = pyro_marshal_parse(data, len, &doc, &root);
    if (rc)
        return rc;
    pyro_profile_t *p = pyro_profile_new();
    pyro_stats_t *s = NULL;
    if (!p) {
        rc = PYRO_ENOMEM;
        goto cleanup;
    }
    rc = PYRO_EFORMAT;
    if (root->kind != PYRO_M_DICT)
        goto cleanup;
    /* pass 1: every label, callers included, becomes a function */
    uint32_t f;
    for (uint32_t i = 0; i < root->n; i++) {
        const pyro_mval_t *row = root->items[2 * i + 1];
        if ((rc = key_func(p, root->items[2 * i], &f)) || (rc = check_row(row)))
            goto cleanup;
        const pyro_mval_t *callers = row->items[4];
        for (uint32_t j = 0; j < callers->n; j++)
            if ((rc = key_func(p, callers->items[2 * j], &f)))
                goto cleanup;
    }
    /* pass 2: the numbers */
    s = pyro_stats_new(p->nfuncs);
    if (!s) {
        rc = PYRO_ENOMEM;
        goto cleanup;
    }
    double total = 0;
    for (uint32_t i = 0; i < root->n; i++) {
        const pyro_mval_t *row = root->items[2 * i + 1];
        uint64_t cc, nc;
        double tt, ct;
        if ((rc = key_func(p, root->items[2 * i], &f)) || (rc = count(row->items[0], &cc)) ||
            (rc = count(row->items[1], &nc)) || (rc = seconds(row->items[2], &tt)) ||
            (rc = seconds(row->items[3], &ct)))
            goto cleanup;
        pyro_fstat_t *fs = &s->funcs[f];
        fs->primcalls += cc;
        fs->ncalls += nc;
        fs->tottime += tt;
        fs->cumtime += ct;
        total += tt;
        const pyro_mval_t *callers = row->items[4];
        for (uint32_t j = 0; j < callers->n; j++) {
            pyro_edge_t e = {.callee = f};
            const pyro_mval_t *cv = callers->items[2 * j + 1];
            if ((rc = key_func(p, callers->items[2 * j], &e.caller)))
                goto cleanup;
            if (cv->kind == PYRO_M_INT) { /* the old profile module: a bare count */
                if ((rc = count(cv, &e.ncalls)))
                    goto cleanup;
                e.primcalls = e.ncalls;
            } else if (cv->kind == PYRO_M_TUPLE && cv->n == 4) {
                if ((rc = count(cv->items[0], &e.ncalls)) ||
                    (rc = count(cv->items[1], &e.primcalls)) ||
                    (rc = seconds(cv->items[2], &e.tottime)) ||
                    (rc = seconds(cv->items[3], &e.cumtime)))
                    goto cleanup;
            } else {
                rc = PYRO_EFORMAT;
                goto cleanup;
            }
            if ((rc = pyro_stats_add_edge(s, &e)))
                goto cleanup;
        }
    }
    pyro_stats_finish(s, total);
    if ((rc = pyro_profile_set_meta(p, "source", "pstats")))
        goto cleanup;
    p->flat = s;
    s = NULL;
    *out = p;
    p = NULL;
    rc = PYRO_OK;
cleanup:
    pyro_stats_free(s);
    pyro_profile_free(p);
    pyro_marshal_free(doc);
    return rc;
}
