/* SPDX-License-Identifier: MIT */
/* pyrofile: writer and strictly validating reader of the .pyro format. */
#include "format/pyrofile.h"

#include <stddef.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"

static const char MAGIC[8] = {'\x89', 'P', 'Y', 'R', 'O', '\r', '\n', '\x1a'};
#define MAJOR 2 /* 2: named, typed metric columns and the mode; 1 is still read */
#define MINOR 1 /* 1: the SERS section (series), which 2.0 readers skip */

/* Format 1.0 had no mode and no column types: its node columns were these
 * metrics by name (values of other names are skipped), and the metadata
 * "mode" said whether the profile held samples. */
#define V1_MAX_COLUMNS 16

/* ==== CRC-32 ==== */

uint32_t pyro_crc32(uint32_t crc, const void *data, size_t len)
{
    uint32_t table[256]; /* built per call: cheap, and no shared state */
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++)
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* ==== writer ==== */

/* Start a section: write its tag and a length placeholder; returns the
 * offset of the placeholder. */
static size_t section_begin(pyro_buf_t *b, const char tag[4])
{
    pyro_buf_append(b, tag, 4);
    size_t at = b->len;
    pyro_buf_u64(b, 0);
    return at;
}

static void section_end(pyro_buf_t *b, size_t at)
{
    if (b->failed)
        return;
    uint64_t len = b->len - at - 8;
    for (int i = 0; i < 8; i++)
        b->data[at + i] = (char)(len >> (8 * i));
}

int pyro_pyrofile_write(const pyro_profile_t *p, pyro_buf_t *out)
{
    size_t start = out->len;
    pyro_buf_append(out, MAGIC, 8);
    pyro_buf_u16(out, MAJOR);
    pyro_buf_u16(out, MINOR);
    pyro_buf_u32(out, 0);

    size_t at = section_begin(out, "STRS");
    uint32_t nstr = pyro_strtab_count(p->strs);
    pyro_buf_varint(out, nstr);
    for (uint32_t i = 0; i < nstr; i++) {
        size_t n;
        const char *s = pyro_strtab_get(p->strs, i, &n);
        pyro_buf_varint(out, n);
        pyro_buf_append(out, s, n);
    }
    section_end(out, at);

    at = section_begin(out, "META");
    pyro_buf_varint(out, p->nmeta);
    for (uint32_t i = 0; i < p->nmeta; i++) {
        pyro_buf_varint(out, p->meta[i].key);
        pyro_buf_varint(out, p->meta[i].value);
    }
    section_end(out, at);

    at = section_begin(out, "FUNC");
    pyro_buf_varint(out, p->nfuncs);
    for (uint32_t i = 0; i < p->nfuncs; i++) {
        const pyro_func_t *f = &p->funcs[i];
        pyro_buf_varint(out, f->name);
        pyro_buf_varint(out, f->qualname);
        pyro_buf_varint(out, f->file);
        pyro_buf_varint(out, f->line);
        pyro_buf_varint(out, f->kind);
    }
    section_end(out, at);

    at = section_begin(out, "THRD");
    pyro_buf_varint(out, p->nthreads);
    for (uint32_t i = 0; i < p->nthreads; i++) {
        pyro_buf_varint(out, p->threads[i].ident);
        pyro_buf_varint(out, p->threads[i].native_id);
        pyro_buf_varint(out, p->threads[i].name);
    }
    section_end(out, at);

    /* the mode, then the node columns: name (inline, not a string id), unit, aggregation */
    at = section_begin(out, "MTRC");
    pyro_buf_varint(out, (uint64_t)p->mode);
    pyro_buf_varint(out, p->ncols);
    for (uint32_t c = 0; c < p->ncols; c++) {
        size_t n;
        const char *name = pyro_strtab_get(p->strs, p->cols[c].name, &n);
        pyro_buf_varint(out, name ? n : 0);
        pyro_buf_append(out, name ? name : "", name ? n : 0);
        pyro_buf_varint(out, p->cols[c].unit);
        pyro_buf_varint(out, p->cols[c].agg);
    }
    section_end(out, at);

    at = section_begin(out, "NODE");
    pyro_buf_varint(out, p->nnodes);
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const pyro_node_t *n = &p->nodes[i];
        pyro_buf_varint(out, n->parent == PYRO_NONE ? 0 : (uint64_t)n->parent + 1);
        pyro_buf_varint(out, n->thread);
        pyro_buf_varint(out, n->func);
        pyro_buf_varint(out, n->line);
        const int64_t *v = pyro_node_vals(p, i);
        for (uint32_t c = 0; c < p->ncols; c++)
            pyro_buf_svarint(out, v[c]);
    }
    section_end(out, at);

    if (p->nseries) {
        /* each series: name, columns, rows; each value as the difference from the same
         * column of the previous row (times and sizes change little row to row) */
        at = section_begin(out, "SERS");
        pyro_buf_varint(out, p->nseries);
        for (uint32_t i = 0; i < p->nseries; i++) {
            const pyro_series_t *s = &p->series[i];
            pyro_buf_varint(out, s->name);
            pyro_buf_varint(out, s->ncols);
            for (uint32_t c = 0; c < s->ncols; c++)
                pyro_buf_varint(out, s->cols[c]);
            pyro_buf_varint(out, s->nrows);
            for (uint32_t r = 0; r < s->nrows; r++)
                for (uint32_t c = 0; c < s->ncols; c++) {
                    const int64_t *v = s->vals + (size_t)r * s->ncols + c;
                    pyro_buf_svarint(out,
                                     r ? (int64_t)((uint64_t)v[0] - (uint64_t)v[-(int64_t)s->ncols])
                                       : v[0]);
                }
        }
        section_end(out, at);
    }

    if (out->failed)
        return PYRO_ENOMEM;
    uint32_t crc = pyro_crc32(0, out->data + start, out->len - start);
    pyro_buf_append(out, "END\0", 4);
    pyro_buf_u64(out, 4);
    pyro_buf_u32(out, crc);
    return pyro_buf_status(out);
}

/* ==== reader ==== */

typedef struct cursor {
    const unsigned char *p, *end;
    int err; /* sticky */
} cursor_t;

static uint64_t rd_varint(cursor_t *c)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (c->p >= c->end) {
            c->err = c->err ? c->err : PYRO_ETRUNC;
            return 0;
        }
        unsigned char b = *c->p++;
        if (shift == 63 && (b & 0x7e)) {
            c->err = PYRO_EFORMAT;
            return 0;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    c->err = PYRO_EFORMAT;
    return 0;
}

static int64_t rd_svarint(cursor_t *c)
{
    uint64_t u = rd_varint(c);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static uint64_t rd_le(cursor_t *c, int n)
{
    if (c->end - c->p < n) {
        c->err = c->err ? c->err : PYRO_ETRUNC;
        c->p = c->end;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    return v;
}

/* A count of items that each take at least one byte must fit in what is
 * left; this bounds every allocation by the input size. */
static uint32_t rd_count(cursor_t *c)
{
    uint64_t n = rd_varint(c);
    if (!c->err && (n > (uint64_t)(c->end - c->p) || n >= PYRO_NONE - 1)) {
        c->err = PYRO_EFORMAT;
        return 0;
    }
    return (uint32_t)n;
}

static uint32_t rd_u32field(cursor_t *c, uint64_t limit)
{
    uint64_t v = rd_varint(c);
    if (!c->err && v >= limit)
        c->err = PYRO_EFORMAT;
    return (uint32_t)v;
}

typedef struct reader {
    pyro_profile_t *p;
    int major;
    uint32_t nstr;
    int seen[7];
    /* the file's node columns: how many, and where each goes in the profile
     * (-1: skipped, a format 1.0 column no known metric has) */
    uint32_t ncols;
    int col[PYRO_MAX_COLUMNS];
} reader_t;

static int read_strs(reader_t *r, cursor_t *c)
{
    uint32_t n = rd_count(c);
    for (uint32_t i = 0; i < n && !c->err; i++) {
        uint64_t len = rd_varint(c);
        if (c->err)
            break;
        if (len > (uint64_t)(c->end - c->p))
            return PYRO_ETRUNC;
        uint32_t id;
        int rc = pyro_profile_str(r->p, (const char *)c->p, (size_t)len, &id);
        if (rc)
            return rc;
        if (id != i)
            return PYRO_EFORMAT; /* duplicate strings: not written by us */
        c->p += len;
    }
    r->nstr = n;
    return c->err;
}

static int read_meta(reader_t *r, cursor_t *c)
{
    uint32_t n = rd_count(c);
    for (uint32_t i = 0; i < n && !c->err; i++) {
        uint32_t k = rd_u32field(c, r->nstr), v = rd_u32field(c, r->nstr);
        if (c->err)
            break;
        int rc =
            pyro_profile_set_meta(r->p, pyro_profile_strget(r->p, k), pyro_profile_strget(r->p, v));
        if (rc)
            return rc;
    }
    return c->err;
}

static int read_series(reader_t *r, cursor_t *c)
{
    uint32_t n = rd_count(c);
    for (uint32_t i = 0; i < n && !c->err; i++) {
        uint32_t name = rd_u32field(c, r->nstr);
        uint32_t ncols = rd_u32field(c, PYRO_SERIES_MAX_COLS + 1);
        const char *cols[PYRO_SERIES_MAX_COLS];
        for (uint32_t k = 0; k < ncols && !c->err; k++)
            cols[k] = pyro_profile_strget(r->p, rd_u32field(c, r->nstr));
        uint32_t nrows = rd_count(c);
        if (c->err)
            break;
        uint32_t id;
        int rc = pyro_profile_add_series(r->p, pyro_profile_strget(r->p, name), ncols, cols, &id);
        if (rc)
            return rc == PYRO_EINVAL ? PYRO_EFORMAT : rc; /* a duplicate name, no columns */
        int64_t row[PYRO_SERIES_MAX_COLS] = {0};
        for (uint32_t k = 0; k < nrows && !c->err; k++) {
            for (uint32_t j = 0; j < ncols; j++)
                row[j] = (int64_t)((uint64_t)row[j] + (uint64_t)rd_svarint(c));
            if (!c->err && (rc = pyro_series_append(r->p, id, row)))
                return rc;
        }
    }
    return c->err;
}

static int read_funcs(reader_t *r, cursor_t *c)
{
    uint32_t n = rd_count(c);
    for (uint32_t i = 0; i < n && !c->err; i++) {
        pyro_func_t f;
        f.name = rd_u32field(c, r->nstr);
        f.qualname = rd_u32field(c, r->nstr);
        f.file = rd_u32field(c, r->nstr);
        f.line = rd_u32field(c, UINT32_MAX);
        f.kind = rd_u32field(c, PYRO_FUNC_NATIVE + 1);
        if (c->err)
            break;
        uint32_t id;
        int rc = pyro_profile_func(r->p, &f, &id);
        if (rc)
            return rc == PYRO_EINVAL ? PYRO_EFORMAT : rc;
        if (id != i)
            return PYRO_EFORMAT;
    }
    return c->err;
}

static int read_threads(reader_t *r, cursor_t *c)
{
    uint32_t n = rd_count(c);
    for (uint32_t i = 0; i < n && !c->err; i++) {
        pyro_thread_t t;
        t.ident = rd_varint(c);
        t.native_id = rd_varint(c);
        t.name = rd_u32field(c, r->nstr);
        if (c->err)
            break;
        uint32_t id;
        int rc = pyro_profile_add_thread(r->p, &t, &id);
        if (rc)
            return rc;
    }
    return c->err;
}

/* Format 2: the mode, then each column's name, unit and aggregation. */
static int read_columns(reader_t *r, cursor_t *c)
{
    uint64_t mode = rd_varint(c);
    uint32_t n = rd_count(c);
    if (c->err)
        return c->err;
    if (mode >= PYRO_MODE_COUNT)
        return PYRO_EVERSION; /* a mode of a newer pyrometer */
    if (n > PYRO_MAX_COLUMNS)
        return PYRO_EFORMAT;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t len = rd_varint(c);
        if (c->err)
            return c->err;
        if (len > (uint64_t)(c->end - c->p))
            return PYRO_ETRUNC;
        const char *name = (const char *)c->p;
        c->p += len;
        uint64_t unit = rd_varint(c), agg = rd_varint(c);
        if (c->err)
            return c->err;
        if (unit >= PYRO_UNIT_COUNT || agg >= PYRO_AGG_COUNT)
            return PYRO_EFORMAT;
        int rc = pyro_profile_add_column(r->p, name, (size_t)len, (int)unit, (int)agg, &r->col[i]);
        if (rc)
            return rc == PYRO_ENOMEM ? rc : PYRO_EFORMAT;
    }
    r->ncols = n;
    int rc = pyro_profile_set_mode(r->p, (int)mode); /* adds the mode's missing columns */
    return rc == PYRO_OK || rc == PYRO_ENOMEM ? rc : PYRO_EFORMAT;
}

/* Format 1: column names only; which are declared waits for the nodes. */
static int read_columns_v1(reader_t *r, cursor_t *c)
{
    uint32_t n = rd_count(c);
    if (n > V1_MAX_COLUMNS)
        return PYRO_EFORMAT;
    for (uint32_t i = 0; i < n && !c->err; i++) {
        uint64_t len = rd_varint(c);
        if (c->err)
            break;
        if (len > (uint64_t)(c->end - c->p))
            return PYRO_ETRUNC;
        r->col[i] = pyro_metric_find((const char *)c->p, (size_t)len); /* a metric for now */
        c->p += len;
    }
    r->ncols = n;
    return c->err;
}

/* Format 1: before the nodes, declare the mode (from the metadata, or where
 * there is none, samples make a sample profile) with its columns, and the
 * file's other known columns that hold anything; turn r->col from metrics
 * into columns. One pass over the nodes (a copy of the cursor) finds which
 * columns are non-zero. */
static int declare_v1(reader_t *r, const cursor_t *nodes)
{
    cursor_t c = *nodes;
    int nonzero[V1_MAX_COLUMNS] = {0};
    uint32_t n = rd_count(&c);
    for (uint32_t i = 0; i < n && !c.err; i++) {
        for (int k = 0; k < 4; k++)
            rd_varint(&c);
        for (uint32_t k = 0; k < r->ncols; k++)
            nonzero[k] |= rd_svarint(&c) != 0;
    }
    if (c.err)
        return c.err;
    const char *meta = pyro_profile_get_meta(r->p, "mode");
    int sampled = 0;
    for (uint32_t k = 0; k < r->ncols; k++)
        sampled |= r->col[k] == PYRO_M_SAMPLES && nonzero[k];
    if (meta)
        sampled = pyro_mode_parse(meta) == PYRO_MODE_SAMPLE;
    int rc = pyro_profile_set_mode(r->p, sampled ? PYRO_MODE_SAMPLE : PYRO_MODE_TRACE);
    for (uint32_t k = 0; k < r->ncols && !rc; k++) {
        int m = r->col[k];
        if (m < 0)
            continue;
        r->col[k] = r->p->col[m];
        if (r->col[k] < 0 && nonzero[k]) {
            const pyro_metric_info_t *mi = pyro_metric_info(m);
            rc = pyro_profile_add_column(r->p, mi->name, strlen(mi->name), mi->unit, mi->agg,
                                         &r->col[k]);
        }
        for (uint32_t j = 0; j < k && !rc; j++)
            if (r->col[j] >= 0 && r->col[j] == r->col[k])
                rc = PYRO_EFORMAT; /* one name twice */
    }
    return rc == PYRO_OK || rc == PYRO_ENOMEM ? rc : PYRO_EFORMAT;
}

static int read_nodes(reader_t *r, cursor_t *c)
{
    pyro_profile_t *p = r->p;
    int rc = r->major == 1 ? declare_v1(r, c) : PYRO_OK;
    if (rc)
        return rc;
    uint32_t n = rd_count(c);
    for (uint32_t i = 0; i < n && !c->err; i++) {
        uint32_t parent1 = rd_u32field(c, (uint64_t)i + 1);
        uint32_t thread = rd_u32field(c, p->nthreads);
        uint32_t func = rd_u32field(c, p->nfuncs);
        uint32_t line = rd_u32field(c, UINT32_MAX);
        if (c->err)
            break;
        uint32_t id;
        rc = pyro_profile_child(p, parent1 ? parent1 - 1 : PYRO_NONE, thread, func, line, &id);
        if (rc)
            return rc == PYRO_EINVAL ? PYRO_EFORMAT : rc;
        if (id != i)
            return PYRO_EFORMAT; /* a duplicate path */
        int64_t *vals = pyro_node_vals(p, id);
        for (uint32_t k = 0; k < r->ncols; k++) {
            int64_t v = rd_svarint(c);
            if (v < 0)
                return c->err ? c->err : PYRO_EFORMAT;
            if (r->col[k] >= 0)
                vals[r->col[k]] = v;
        }
    }
    return c->err;
}

int pyro_pyrofile_sniff(const void *data, size_t len)
{
    return len >= 8 && memcmp(data, MAGIC, 8) == 0;
}

int pyro_pyrofile_read(const void *data, size_t len, pyro_profile_t **out)
{
    cursor_t c = {data, (const unsigned char *)data + len, 0};
    if (!pyro_pyrofile_sniff(data, len))
        return len < 8 ? PYRO_ETRUNC : PYRO_EFORMAT;
    c.p += 8;
    uint64_t major = rd_le(&c, 2);
    rd_le(&c, 2); /* minor: any */
    rd_le(&c, 4); /* flags */
    if (c.err)
        return c.err;
    if (major != MAJOR && major != 1)
        return major > MAJOR ? PYRO_EVERSION : PYRO_EFORMAT;
    reader_t r = {0};
    r.major = (int)major;
    r.p = pyro_profile_new();
    if (!r.p)
        return PYRO_ENOMEM;
    static const char *const tags[7] = {"STRS", "META", "FUNC", "THRD", "MTRC", "NODE", "SERS"};
    int rc = PYRO_OK, ended = 0;
    while (!ended) {
        const unsigned char *sec = c.p;
        if (c.end - c.p < 12) {
            rc = PYRO_ETRUNC;
            break;
        }
        char tag[4];
        memcpy(tag, c.p, 4);
        c.p += 4;
        uint64_t slen = rd_le(&c, 8);
        if (slen > (uint64_t)(c.end - c.p)) {
            rc = PYRO_ETRUNC;
            break;
        }
        cursor_t sc = {c.p, c.p + slen, 0};
        c.p += slen;
        if (memcmp(tag, "END\0", 4) == 0) {
            if (slen != 4) {
                rc = PYRO_EFORMAT;
                break;
            }
            uint32_t want = (uint32_t)rd_le(&sc, 4);
            if (pyro_crc32(0, data, (size_t)(sec - (const unsigned char *)data)) != want)
                rc = PYRO_EFORMAT;
            ended = 1;
            break;
        }
        int which = -1;
        for (int i = 0; i < 7; i++)
            if (memcmp(tag, tags[i], 4) == 0)
                which = i;
        if (which < 0)
            continue; /* a section from a newer minor version */
        /* sections must come once each, in order, since later ones refer to
         * earlier ones */
        for (int i = which; i < 7; i++)
            if (r.seen[i]) {
                rc = PYRO_EFORMAT;
                break;
            }
        if (rc)
            break;
        r.seen[which] = 1;
        switch (which) {
        case 0:
            rc = read_strs(&r, &sc);
            break;
        case 1:
            rc = read_meta(&r, &sc);
            break;
        case 2:
            rc = read_funcs(&r, &sc);
            break;
        case 3:
            rc = read_threads(&r, &sc);
            break;
        case 4:
            rc = major == 1 ? read_columns_v1(&r, &sc) : read_columns(&r, &sc);
            break;
        case 5:
            rc = read_nodes(&r, &sc);
            break;
        default:
            rc = read_series(&r, &sc);
            break;
        }
        if (!rc && sc.p != sc.end)
            rc = PYRO_EFORMAT; /* trailing bytes inside a section */
        if (rc)
            break;
    }
    if (!rc && c.p != c.end)
        rc = PYRO_EFORMAT; /* bytes after END */
    if (!rc && (!r.seen[0] || !r.seen[2] || !r.seen[5] || (major != 1 && !r.seen[4])))
        rc = PYRO_EFORMAT;
    if (rc) {
        pyro_profile_free(r.p);
        return rc;
    }
    *out = r.p;
    return PYRO_OK;
}
