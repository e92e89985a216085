/* SPDX-License-Identifier: MIT */
/* robj: str, int, dict and attribute reads of another process's objects. */
#include "remote/robj.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/error.h"
#include "remote/procmem.h"

#define MAX_ITEMS (1u << 16) /* dict entries walked at most */
#define MAX_INTERPRETERS 64
#define CHUNK 32 /* dict entries (or values) read at once */

/* Type flags (Include/object.h), the same bits on every supported version. */
#define TPF_INLINE_VALUES (1ul << 2) /* 3.13+ */
#define TPF_MANAGED_DICT (1ul << 4)  /* 3.11+ */
#define TPF_LONG_SUBCLASS (1ul << 24)

int pyro_robj_read(const pyro_robj_t *r, uint64_t addr, void *buf, size_t len)
{
    if (pyro_mem_read(r->pid, addr, buf, len) == PYRO_OK)
        return PYRO_OK;
    if (errno == EFAULT)
        return PYRO_EFORMAT;
    return pyro_pyproc_errno(errno);
}

int pyro_robj_readv_upto(const pyro_robj_t *r, const pyro_mem_piece_t *pieces, size_t n,
                         size_t *got)
{
    long k = pyro_mem_readv(r->pid, pieces, n);
    *got = k > 0 ? (size_t)k : 0;
    return k >= 0 || errno == EFAULT ? PYRO_OK : pyro_pyproc_errno(errno);
}

int pyro_robj_readv(const pyro_robj_t *r, const pyro_mem_piece_t *pieces, size_t n)
{
    size_t got;
    int rc = pyro_robj_readv_upto(r, pieces, n, &got);
    return rc ? rc : got < n ? PYRO_EFORMAT : PYRO_OK;
}

int pyro_robj_u64(const pyro_robj_t *r, uint64_t addr, uint64_t *out)
{
    return pyro_robj_read(r, addr, out, sizeof *out);
}

static int known(int32_t off) { return off >= 0; }

/* ==== str ==== */

/* Append the UTF-8 encoding of code point `cp`. */
static void utf8(pyro_buf_t *b, uint32_t cp)
{
    char o[4];
    if (cp < 0x80) {
        pyro_buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 63));
        pyro_buf_append(b, o, 2);
    } else if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 63));
        o[2] = (char)(0x80 | (cp & 63));
        pyro_buf_append(b, o, 3);
    } else if (cp < 0x110000) {
        o[0] = (char)(0xf0 | cp >> 18);
        o[1] = (char)(0x80 | (cp >> 12 & 63));
        o[2] = (char)(0x80 | (cp >> 6 & 63));
        o[3] = (char)(0x80 | (cp & 63));
        pyro_buf_append(b, o, 4);
    } else {
        pyro_buf_puts(b, "\xef\xbf\xbd");
    }
}

/* The PyASCIIObject state bits: kind (1, 2 or 4 bytes per code point),
 * compact, ascii (where they lie: from the layout). */
typedef struct str_head {
    int64_t length;
    int kind, compact, ascii;
} str_head_t;

static void str_decode(const pyro_layout_t *l, const unsigned char *head, str_head_t *h)
{
    uint32_t state;
    memcpy(&state, head + l->unicode_state, sizeof state);
    h->length = (int64_t)pyro_get64(head + l->unicode_length);
    h->kind = (int)(state >> (l->unicode_kind_bit & 31)) & 7;
    h->compact = (int)(state >> (l->unicode_compact_bit & 31)) & 1;
    h->ascii = (int)(state >> (l->unicode_ascii_bit & 31)) & 1;
}

int pyro_robj_str(const pyro_robj_t *r, uint64_t addr, size_t max_chars, pyro_buf_t *out)
{
    const pyro_layout_t *l = r->l;
    unsigned char head[128];
    if (l->unicode_compact_size > (int32_t)sizeof head || max_chars > 4096)
        return PYRO_EFORMAT;
    int rc = pyro_robj_read(r, addr, head, (size_t)l->unicode_compact_size);
    if (rc)
        return rc;
    str_head_t h;
    str_decode(l, head, &h);
    if (h.length < 0 || (uint64_t)h.length > max_chars || !h.compact ||
        (h.kind != 1 && h.kind != 2 && h.kind != 4))
        return PYRO_EFORMAT;
    size_t size = (size_t)h.length * (size_t)h.kind;
    unsigned char raw[4096 * 4];
    uint64_t data = addr + (uint64_t)(h.ascii ? l->unicode_ascii_size : l->unicode_compact_size);
    if ((rc = pyro_robj_read(r, data, raw, size)))
        return rc;
    if (h.ascii) {
        for (size_t i = 0; i < size; i++)
            if (raw[i] >= 0x80)
                return PYRO_EFORMAT;
        pyro_buf_append(out, raw, size);
        return pyro_buf_status(out);
    }
    for (int64_t i = 0; i < h.length; i++) {
        uint32_t cp;
        if (h.kind == 1)
            cp = raw[i];
        else if (h.kind == 2)
            cp = (uint32_t)raw[2 * i] | (uint32_t)raw[2 * i + 1] << 8;
        else
            memcpy(&cp, raw + 4 * i, 4);
        utf8(out, cp);
    }
    return pyro_buf_status(out);
}

int pyro_robj_str_is(const pyro_robj_t *r, uint64_t addr, const char *s)
{
    const pyro_layout_t *l = r->l;
    size_t n = strlen(s);
    unsigned char buf[192];
    if (!addr || l->unicode_ascii_size + n > sizeof buf)
        return 0;
    if (pyro_robj_read(r, addr, buf, (size_t)l->unicode_ascii_size + n))
        return 0;
    str_head_t h;
    str_decode(l, buf, &h);
    return h.compact && h.ascii && h.kind == 1 && h.length == (int64_t)n &&
           memcmp(buf + l->unicode_ascii_size, s, n) == 0;
}

/* ==== int ==== */

/* The type flags of the object at `obj` (and its type's address). */
static int type_flags(const pyro_robj_t *r, uint64_t obj, uint64_t *type, uint64_t *flags)
{
    int rc = pyro_robj_u64(r, obj + (uint64_t)r->l->ob_type, type);
    if (!rc)
        rc = pyro_robj_u64(r, *type + (uint64_t)r->l->tp_flags, flags);
    return rc;
}

int pyro_robj_ulong(const pyro_robj_t *r, uint64_t addr, uint64_t *out)
{
    const pyro_layout_t *l = r->l;
    if (!known(l->long_size) || !known(l->long_digit) || !known(l->tp_flags))
        return PYRO_EUNSUPPORTED;
    uint64_t type, flags;
    int rc = type_flags(r, addr, &type, &flags);
    if (rc)
        return rc;
    if (!(flags & TPF_LONG_SUBCLASS))
        return PYRO_EFORMAT;
    uint64_t word;
    if ((rc = pyro_robj_u64(r, addr + (uint64_t)l->long_size, &word)))
        return rc;
    uint64_t ndigits;
    if (l->version >= 0x030C0000) { /* lv_tag: digits << 3 | sign (0 +, 1 zero, 2 -) */
        if ((word & 3) == 2)
            return PYRO_EFORMAT;
        ndigits = word >> 3;
    } else { /* ob_size: the digit count, negative for negative numbers */
        if ((int64_t)word < 0)
            return PYRO_EFORMAT;
        ndigits = word;
    }
    if (ndigits > 3)
        return PYRO_EFORMAT;
    uint32_t d[3] = {0, 0, 0};
    if (ndigits && (rc = pyro_robj_read(r, addr + (uint64_t)l->long_digit, d, 4 * ndigits)))
        return rc;
    if (d[0] >> 30 || d[1] >> 30 || d[2] >> 4) /* 30-bit digits; 64 bits in all */
        return PYRO_EFORMAT;
    *out = (uint64_t)d[0] | (uint64_t)d[1] << 30 | (uint64_t)d[2] << 60;
    return PYRO_OK;
}

/* ==== dict ==== */

/* Walk the keys object at `keys`; when `values` is nonzero the table is
 * split and entry i's value is the pointer at values + 8 * i (at most
 * `max_values` of them). */
static int keys_each(const pyro_robj_t *r, uint64_t keys, uint64_t values, uint64_t max_values,
                     pyro_robj_item_fn fn, void *ctx)
{
    const pyro_layout_t *l = r->l;
    unsigned char head[64];
    if (!known(l->dk_nentries) || !known(l->dk_indices) || l->dk_indices > (int32_t)sizeof head)
        return PYRO_EUNSUPPORTED;
    int rc = pyro_robj_read(r, keys, head, (size_t)l->dk_indices);
    if (rc)
        return rc;
    uint64_t size, index_bytes, entry_size, key_at, value_at;
    if (known(l->dk_size)) { /* <= 3.10: indices of 1-8 bytes each by size, general entries */
        size = pyro_get64(head + l->dk_size);
        index_bytes = size * (size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffu ? 4 : 8);
        entry_size = (uint64_t)l->dk_entry_size; /* hash, key, value */
    } else if (known(l->dk_log2_size) && known(l->dk_log2_index_bytes) && known(l->dk_kind)) {
        unsigned log2 = head[l->dk_log2_size], log2_ix = head[l->dk_log2_index_bytes];
        if (log2 > 30 || log2_ix > 33)
            return PYRO_EFORMAT;
        size = 1ull << log2;
        index_bytes = 1ull << log2_ix;
        entry_size = head[l->dk_kind] == 0 ? (uint64_t)l->dk_entry_size
                                           : (uint64_t)l->dk_unicode_entry_size; /* key, value */
    } else {
        return PYRO_EUNSUPPORTED;
    }
    if (size == 0 || (size & (size - 1)) || entry_size < 16 || entry_size > 64)
        return PYRO_EFORMAT;
    key_at = entry_size - 16, value_at = entry_size - 8; /* both kinds end with key, value */
    uint64_t n = pyro_get64(head + l->dk_nentries);
    if (n > size || n > MAX_ITEMS)
        return PYRO_EFORMAT; /* torn, or not a keys object */
    if (values && n > max_values)
        n = max_values;
    uint64_t entries = keys + (uint64_t)l->dk_indices + index_bytes;
    unsigned char ebuf[CHUNK * 64];
    uint64_t vbuf[CHUNK];
    for (uint64_t i = 0; i < n; i += CHUNK) {
        uint64_t m = n - i < CHUNK ? n - i : CHUNK;
        if ((rc = pyro_robj_read(r, entries + i * entry_size, ebuf, m * entry_size)))
            return rc;
        if (values && (rc = pyro_robj_read(r, values + 8 * i, vbuf, 8 * m)))
            return rc;
        for (uint64_t k = 0; k < m; k++) {
            uint64_t key = pyro_get64(ebuf + k * entry_size + key_at);
            uint64_t value = values ? vbuf[k] : pyro_get64(ebuf + k * entry_size + value_at);
            if (key && value && (rc = fn(ctx, key, value)))
                return rc;
        }
    }
    return PYRO_OK;
}

int pyro_robj_dict_each(const pyro_robj_t *r, uint64_t dict, pyro_robj_item_fn fn, void *ctx)
{
    const pyro_layout_t *l = r->l;
    if (!known(l->dict_keys) || !known(l->dict_values) || !known(l->dv_values))
        return PYRO_EUNSUPPORTED;
    uint64_t keys, values;
    int rc = pyro_robj_u64(r, dict + (uint64_t)l->dict_keys, &keys);
    if (!rc)
        rc = pyro_robj_u64(r, dict + (uint64_t)l->dict_values, &values);
    if (rc)
        return rc;
    if (!keys)
        return PYRO_EFORMAT;
    return keys_each(r, keys, values ? values + (uint64_t)l->dv_values : 0, MAX_ITEMS, fn, ctx);
}

typedef struct lookup {
    const pyro_robj_t *r;
    const char *key;
    uint64_t value;
} lookup_t;

static int match_key(void *ctx, uint64_t key, uint64_t value)
{
    lookup_t *lk = ctx;
    if (!pyro_robj_str_is(lk->r, key, lk->key))
        return 0;
    lk->value = value;
    return 1;
}

/* Turn a lookup walk's result into PYRO_OK + value. */
static int lookup_done(int rc, const lookup_t *lk, uint64_t *value)
{
    *value = rc == 1 ? lk->value : 0;
    return rc == 1 ? PYRO_OK : rc;
}

int pyro_robj_dict_get(const pyro_robj_t *r, uint64_t dict, const char *key, uint64_t *value)
{
    lookup_t lk = {r, key, 0};
    return lookup_done(pyro_robj_dict_each(r, dict, match_key, &lk), &lk, value);
}

/* ==== instance attributes ==== */

int pyro_robj_attr(const pyro_robj_t *r, uint64_t obj, const char *name, uint64_t *value)
{
    const pyro_layout_t *l = r->l;
    *value = 0;
    if (!known(l->tp_flags) || !known(l->tp_dictoffset) || !known(l->tp_basicsize))
        return PYRO_EUNSUPPORTED;
    uint64_t type, flags, dictoffset;
    int rc = type_flags(r, obj, &type, &flags);
    if (!rc)
        rc = pyro_robj_u64(r, type + (uint64_t)l->tp_dictoffset, &dictoffset);
    if (rc)
        return rc;
    lookup_t lk = {r, name, 0};
    uint64_t dict = 0, values = 0, max_values = MAX_ITEMS;
    /* 3.11+ keep a managed instance dict before the object header, at
     * l->managed_dict: the dict (3.11, 3.13+) or a dict-or-tagged-values
     * word (3.12); 3.11's values pointer is the word before it */
    if (l->managed_dict != -1 && l->version >= 0x030B0000 && (flags & TPF_MANAGED_DICT)) {
        uint64_t word;
        if ((rc = pyro_robj_u64(r, obj + (uint64_t)(int64_t)l->managed_dict, &word)))
            return rc;
        if (l->version < 0x030C0000) { /* 3.11: a dict, or values one word before */
            dict = word;
            if ((rc = pyro_robj_u64(r, obj + (uint64_t)(int64_t)(l->managed_dict - 8), &values)))
                return rc;
            if (values)
                dict = 0;
        } else if (l->version < 0x030D0000) { /* 3.12: values tagged with the low bit */
            if (word & 1)
                values = word + 1;
            else
                dict = word;
        } else if (word) { /* 3.13+: the dict once made */
            dict = word;
        } else if ((flags & TPF_INLINE_VALUES) && known(l->dv_capacity) && known(l->dv_valid) &&
                   l->dv_capacity < 8 && l->dv_valid < 8) { /* 3.13+: values after the object */
            uint64_t basicsize;
            unsigned char vh[8]; /* capacity, size, embedded, valid (uint8 each) */
            if ((rc = pyro_robj_u64(r, type + (uint64_t)l->tp_basicsize, &basicsize)))
                return rc;
            if (basicsize > 4096)
                return PYRO_EFORMAT;
            if ((rc = pyro_robj_read(r, obj + basicsize, vh, sizeof vh)))
                return rc;
            if (!vh[l->dv_valid])
                return PYRO_OK; /* not valid: no attributes there */
            values = obj + basicsize;
            max_values = vh[l->dv_capacity];
        }
        if (values) {
            uint64_t keys;
            if (!known(l->ht_cached_keys))
                return PYRO_EUNSUPPORTED;
            if ((rc = pyro_robj_u64(r, type + (uint64_t)l->ht_cached_keys, &keys)))
                return rc;
            if (!keys)
                return PYRO_EFORMAT;
            rc = keys_each(r, keys, values + (uint64_t)l->dv_values, max_values, match_key, &lk);
            return lookup_done(rc, &lk, value);
        }
    } else if ((int64_t)dictoffset > 0 && dictoffset < 4096) {
        if ((rc = pyro_robj_u64(r, obj + dictoffset, &dict)))
            return rc;
    } /* a negative offset (variable-size objects) is not needed here */
    if (!dict)
        return PYRO_OK;
    return lookup_done(pyro_robj_dict_each(r, dict, match_key, &lk), &lk, value);
}

/* ==== thread names ==== */

typedef struct naming {
    const pyro_robj_t *r;
    uint32_t n;
    const uint64_t *idents;
    char (*names)[64];
} naming_t;

/* Copy at most 63 bytes of UTF-8 text, never cutting a character. */
static void set_name(char *dst, const char *src, size_t len)
{
    if (len > 63) {
        len = 63;
        while (len && ((unsigned char)src[len] & 0xc0) == 0x80)
            len--;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static int name_one(void *ctx, uint64_t key, uint64_t thread)
{
    naming_t *nm = ctx;
    uint64_t ident, name;
    if (pyro_robj_ulong(nm->r, key, &ident))
        return 0;
    for (uint32_t i = 0; i < nm->n; i++) {
        if (nm->idents[i] != ident || nm->names[i][0])
            continue;
        if (pyro_robj_attr(nm->r, thread, "_name", &name) || !name)
            return 0;
        pyro_buf_t b;
        pyro_buf_init(&b);
        if (pyro_robj_str(nm->r, name, 63, &b) == PYRO_OK && b.len)
            set_name(nm->names[i], b.data, b.len);
        pyro_buf_free(&b);
        return 0;
    }
    return 0;
}

/* Is `rc` the target going away (or refusing us), rather than a torn read? */
static int fatal(int rc) { return rc == PYRO_ENOPROC || rc == PYRO_EPERM; }

int pyro_robj_thread_names(const pyro_pyproc_t *pp, uint32_t n, const uint64_t *idents,
                           char (*names)[64])
{
    const pyro_layout_t *l = &pp->layout;
    pyro_robj_t r = {pp->pid, l};
    for (uint32_t i = 0; i < n; i++)
        names[i][0] = '\0';
    if (!known(l->interp_modules))
        return PYRO_OK;
    naming_t nm = {&r, n, idents, names};
    uint64_t interp;
    int rc = pyro_robj_u64(&r, pp->runtime + (uint64_t)l->rt_interpreters_head, &interp);
    for (int k = 0; !rc && interp && k < MAX_INTERPRETERS; k++) {
        uint64_t modules = 0, threading = 0, active = 0;
        rc = pyro_robj_u64(&r, interp + (uint64_t)l->interp_modules, &modules);
        if (!rc && modules)
            rc = pyro_robj_dict_get(&r, modules, "threading", &threading);
        if (!rc && modules && threading)
            rc = pyro_robj_attr(&r, threading, "_active", &active);
        if (!rc && modules && threading && active)
            rc = pyro_robj_dict_each(&r, active, name_one, &nm);
        if (fatal(rc))
            return rc;
        rc = pyro_robj_u64(&r, interp + (uint64_t)l->interp_next, &interp);
    }
    return fatal(rc) ? rc : PYRO_OK;
}
