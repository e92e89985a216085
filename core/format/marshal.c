/* SPDX-License-Identifier: MIT */
/* marshal: recursive-descent reader with an arena and a reference table. */
#include "format/marshal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"

#define FLAG_REF 0x80
#define MAX_DEPTH 64

typedef struct block {
    struct block *next;
    size_t used, cap;
    /* data follows */
} block_t;

struct pyro_marshal {
    block_t *blocks;
    pyro_mval_t **refs;
    uint32_t nrefs, caprefs;
};

typedef struct reader {
    const unsigned char *p, *end;
    pyro_marshal_t *doc;
    int err;
} reader_t;

/* ==== arena ==== */

static void *arena_alloc(pyro_marshal_t *doc, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    block_t *b = doc->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        b = pyro_malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = doc->blocks;
        b->used = 0;
        b->cap = cap;
        doc->blocks = b;
    }
    void *p = (char *)(b + 1) + b->used;
    b->used += n;
    return p;
}

void pyro_marshal_free(pyro_marshal_t *doc)
{
    if (!doc)
        return;
    while (doc->blocks) {
        block_t *next = doc->blocks->next;
        pyro_free(doc->blocks);
        doc->blocks = next;
    }
    pyro_free(doc->refs);
    pyro_free(doc);
}

/* ==== primitives ==== */

static int need(reader_t *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n) {
        r->err = r->err ? r->err : PYRO_ETRUNC;
        return 0;
    }
    return 1;
}

static uint32_t u32(reader_t *r)
{
    if (!need(r, 4))
        return 0;
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
                 (uint32_t)r->p[3] << 24;
    r->p += 4;
    return v;
}

static void fail(reader_t *r, int err)
{
    if (!r->err)
        r->err = err;
}

static pyro_mval_t *new_val(reader_t *r, int kind)
{
    pyro_mval_t *v = arena_alloc(r->doc, sizeof *v);
    if (!v) {
        fail(r, PYRO_ENOMEM);
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->kind = kind;
    return v;
}

/* Reserve a reference slot (filled once the value is complete). */
static int64_t ref_reserve(reader_t *r)
{
    pyro_marshal_t *d = r->doc;
    if (d->nrefs == d->caprefs) {
        uint32_t cap = d->caprefs ? d->caprefs * 2 : 64;
        if (cap > (1u << 28)) {
            fail(r, PYRO_ELIMIT);
            return -1;
        }
        pyro_mval_t **n = pyro_reallocarray(d->refs, cap, sizeof *n);
        if (!n) {
            fail(r, PYRO_ENOMEM);
            return -1;
        }
        d->refs = n;
        d->caprefs = cap;
    }
    d->refs[d->nrefs] = NULL;
    return d->nrefs++;
}

/* ==== values ==== */

static pyro_mval_t *read_value(reader_t *r, int depth);

static pyro_mval_t *read_str(reader_t *r, size_t len)
{
    if (!need(r, len))
        return NULL;
    pyro_mval_t *v = new_val(r, PYRO_M_STR);
    char *s = v ? arena_alloc(r->doc, len + 1) : NULL;
    if (!s) {
        fail(r, PYRO_ENOMEM);
        return NULL;
    }
    memcpy(s, r->p, len);
    s[len] = '\0';
    r->p += len;
    v->s = s;
    v->slen = len;
    return v;
}

static pyro_mval_t *read_long(reader_t *r)
{
    int32_t n = (int32_t)u32(r);
    if (r->err)
        return NULL;
    uint32_t digits = n < 0 ? (uint32_t)(-(int64_t)n) : (uint32_t)n;
    if (digits > 5) { /* 5 x 15 bits = 75 > 63: only a few values fit; check below */
        fail(r, PYRO_ELIMIT);
        return NULL;
    }
    uint64_t mag = 0;
    for (uint32_t i = 0; i < digits; i++) {
        if (!need(r, 2))
            return NULL;
        uint32_t d = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8;
        r->p += 2;
        if (d > 0x7fff) {
            fail(r, PYRO_EFORMAT);
            return NULL;
        }
        if (i == 4 && d > 0x7) { /* bits 60..74: only 3 more bits fit in 63 */
            fail(r, PYRO_ELIMIT);
            return NULL;
        }
        mag |= (uint64_t)d << (15 * i);
    }
    pyro_mval_t *v = new_val(r, PYRO_M_INT);
    if (v)
        v->i = n < 0 ? -(int64_t)mag : (int64_t)mag;
    return v;
}

static pyro_mval_t *read_seq(reader_t *r, int kind, uint32_t n, int depth)
{
    /* every item takes at least one byte */
    if ((size_t)(r->end - r->p) < n) {
        fail(r, PYRO_ETRUNC);
        return NULL;
    }
    pyro_mval_t *v = new_val(r, kind);
    pyro_mval_t **items = v && n ? arena_alloc(r->doc, n * sizeof *items) : NULL;
    if (!v || (n && !items)) {
        fail(r, PYRO_ENOMEM);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++)
        if (!(items[i] = read_value(r, depth + 1)))
            return NULL;
    v->items = items;
    v->n = n;
    return v;
}

static pyro_mval_t *read_dict(reader_t *r, int depth)
{
    pyro_mval_t *v = new_val(r, PYRO_M_DICT);
    if (!v)
        return NULL;
    uint32_t cap = 0, n = 0;
    pyro_mval_t **items = NULL;
    for (;;) {
        if (!need(r, 1))
            return NULL;
        if (*r->p == '0') { /* TYPE_NULL ends the dict */
            r->p++;
            break;
        }
        pyro_mval_t *k = read_value(r, depth + 1);
        pyro_mval_t *val = k ? read_value(r, depth + 1) : NULL;
        if (!val)
            return NULL;
        if (n == cap) {
            uint32_t ncap = cap ? cap * 2 : 16;
            pyro_mval_t **ni = arena_alloc(r->doc, (size_t)ncap * 2 * sizeof *ni);
            if (!ni) {
                fail(r, PYRO_ENOMEM);
                return NULL;
            }
            if (n)
                memcpy(ni, items, (size_t)n * 2 * sizeof *ni);
            items = ni;
            cap = ncap;
        }
        items[2 * n] = k;
        items[2 * n + 1] = val;
        n++;
    }
    v->items = items;
    v->n = n;
    return v;
}

static pyro_mval_t *read_value(reader_t *r, int depth)
{
    if (depth > MAX_DEPTH) {
        fail(r, PYRO_ELIMIT);
        return NULL;
    }
    if (!need(r, 1))
        return NULL;
    int code = *r->p++;
    int flag = code & FLAG_REF;
    code &= ~FLAG_REF;
    int64_t slot = -1;
    if (flag && (slot = ref_reserve(r)) < 0)
        return NULL;
    pyro_mval_t *v = NULL;
    switch (code) {
    case 'N':
        v = new_val(r, PYRO_M_NONE);
        break;
    case 'T':
    case 'F':
        if ((v = new_val(r, PYRO_M_BOOL)))
            v->i = code == 'T';
        break;
    case 'i': {
        int32_t x = (int32_t)u32(r);
        if (!r->err && (v = new_val(r, PYRO_M_INT)))
            v->i = x;
        break;
    }
    case 'l':
        v = read_long(r);
        break;
    case 'g': {
        if (!need(r, 8))
            break;
        uint64_t u = 0;
        for (int i = 0; i < 8; i++)
            u |= (uint64_t)r->p[i] << (8 * i);
        r->p += 8;
        if ((v = new_val(r, PYRO_M_FLOAT)))
            memcpy(&v->f, &u, sizeof v->f);
        break;
    }
    case 'f': { /* old text float: length byte, then ASCII */
        if (!need(r, 1))
            break;
        size_t n = *r->p++;
        char buf[257];
        if (!need(r, n))
            break;
        memcpy(buf, r->p, n);
        buf[n] = '\0';
        r->p += n;
        char *endp;
        double d = strtod(buf, &endp);
        if (endp != buf + n || n == 0) {
            fail(r, PYRO_EFORMAT);
            break;
        }
        if ((v = new_val(r, PYRO_M_FLOAT)))
            v->f = d;
        break;
    }
    case 'u':
    case 't':
    case 'a':
    case 'A': {
        uint32_t n = u32(r);
        if (!r->err)
            v = read_str(r, n);
        break;
    }
    case 'z':
    case 'Z':
        if (need(r, 1)) {
            size_t n = *r->p++;
            v = read_str(r, n);
        }
        break;
    case ')':
        if (need(r, 1)) {
            uint32_t n = *r->p++;
            v = read_seq(r, PYRO_M_TUPLE, n, depth);
        }
        break;
    case '(':
    case '[': {
        uint32_t n = u32(r);
        if (!r->err)
            v = read_seq(r, code == '(' ? PYRO_M_TUPLE : PYRO_M_LIST, n, depth);
        break;
    }
    case '{':
        v = read_dict(r, depth);
        break;
    case 'r': {
        uint32_t idx = u32(r);
        if (r->err)
            break;
        if (idx >= r->doc->nrefs || !r->doc->refs[idx]) {
            fail(r, PYRO_EFORMAT); /* unknown, or a container still being built */
            break;
        }
        v = r->doc->refs[idx];
        break;
    }
    default:
        fail(r, PYRO_EFORMAT);
        break;
    }
    if (!v) {
        fail(r, PYRO_EFORMAT);
        return NULL;
    }
    if (slot >= 0)
        r->doc->refs[slot] = v;
    return v;
}

int pyro_marshal_parse(const void *data, size_t len, pyro_marshal_t **doc, const pyro_mval_t **root)
{
    reader_t r = {data, (const unsigned char *)data + len, NULL, 0};
    r.doc = pyro_calloc(1, sizeof *r.doc);
    if (!r.doc)
        return PYRO_ENOMEM;
    const pyro_mval_t *v = read_value(&r, 0);
    if (!r.err && r.p != r.end)
        r.err = PYRO_EFORMAT; /* trailing bytes */
    if (r.err || !v) {
        pyro_marshal_free(r.doc);
        return r.err ? r.err : PYRO_EFORMAT;
    }
    *doc = r.doc;
    *root = v;
    return PYRO_OK;
}
