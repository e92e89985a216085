/* SPDX-License-Identifier: MIT */
/* test_robj: objects laid out in our own memory exactly as each supported
 * CPython version lays them out (offsets from the generated tables), read
 * back through process_vm_readv: str, int, dicts of every storage kind,
 * instance attributes wherever each version keeps them, thread names from a
 * fabricated runtime, and torn or garbage structures. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/error.h"
#include "pyabi/pyabi.h"
#include "remote/robj.h"
#include "test.h"

/* ==== a bump arena of zeroed, 16-byte aligned memory ==== */

static uint64_t arena[1 << 14];
static size_t arena_used;

static unsigned char *alloc(size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (arena_used + need > sizeof arena) {
        fprintf(stderr, "test_robj: arena too small\n");
        abort();
    }
    unsigned char *p = (unsigned char *)arena + arena_used;
    arena_used += need;
    memset(p, 0, n);
    return p;
}

static uint64_t addr(const void *p) { return (uint64_t)(uintptr_t)p; }

static void put64(unsigned char *p, int32_t off, uint64_t v) { memcpy(p + off, &v, sizeof v); }

/* ==== objects with layout l ==== */

static unsigned char *int_type, *plain_type;

/* A compact ASCII str. */
static uint64_t mk_str(const pyro_layout_t *l, const char *s)
{
    size_t n = strlen(s);
    unsigned char *o = alloc((size_t)l->unicode_ascii_size + n + 1);
    put64(o, l->unicode_length, n);
    uint32_t state = 1u << l->unicode_kind_bit | 1u << l->unicode_compact_bit |
                     1u << l->unicode_ascii_bit; /* kind 1, compact, ascii */
    memcpy(o + l->unicode_state, &state, sizeof state);
    memcpy(o + l->unicode_ascii_size, s, n);
    return addr(o);
}

/* A compact non-ASCII str of 2-byte code points. */
static uint64_t mk_ucs2(const pyro_layout_t *l, const uint16_t *cps, size_t n)
{
    unsigned char *o = alloc((size_t)l->unicode_compact_size + 2 * n + 2);
    put64(o, l->unicode_length, n);
    uint32_t state = 2u << l->unicode_kind_bit | 1u << l->unicode_compact_bit; /* kind 2 */
    memcpy(o + l->unicode_state, &state, sizeof state);
    memcpy(o + l->unicode_compact_size, cps, 2 * n);
    return addr(o);
}

/* A non-negative int (or, with neg, its negation). */
static uint64_t mk_int(const pyro_layout_t *l, uint64_t v, int neg)
{
    unsigned char *o = alloc(64);
    put64(o, l->ob_type, addr(int_type));
    uint32_t d[3] = {(uint32_t)(v & 0x3fffffff), (uint32_t)(v >> 30 & 0x3fffffff),
                     (uint32_t)(v >> 60)};
    uint64_t n = d[2] ? 3 : d[1] ? 2 : d[0] ? 1 : 0;
    if (l->version >= 0x030C0000)
        put64(o, l->long_size, n << 3 | (neg ? 2u : n ? 0u : 1u));
    else
        put64(o, l->long_size, neg ? (uint64_t) - (int64_t)n : n);
    memcpy(o + l->long_digit, d, sizeof d);
    return addr(o);
}

/* A keys object with n entries (values inline unless split). 3.11+ kinds:
 * 0 general (hash, key, value), 1 unicode, 2 split (key, value). */
static unsigned char *mk_keys(const pyro_layout_t *l, int kind, int n, const uint64_t *k,
                              const uint64_t *v)
{
    const uint64_t size = 8, ixbytes = 8; /* 8 slots of 1-byte indices */
    size_t esize =
        (size_t)(l->dk_size >= 0 || kind == 0 ? l->dk_entry_size : l->dk_unicode_entry_size);
    unsigned char *o = alloc((size_t)l->dk_indices + ixbytes + esize * size);
    if (l->dk_size >= 0) {
        put64(o, l->dk_size, size);
    } else {
        o[l->dk_log2_size] = 3;
        o[l->dk_log2_index_bytes] = 3;
        o[l->dk_kind] = (unsigned char)kind;
    }
    put64(o, l->dk_nentries, (uint64_t)n);
    unsigned char *e = o + l->dk_indices + ixbytes;
    for (int i = 0; i < n; i++) {
        put64(e + i * esize, (int32_t)(esize - 16), k[i]);
        put64(e + i * esize, (int32_t)(esize - 8), v ? v[i] : 0);
    }
    return o;
}

static uint64_t mk_dict(const pyro_layout_t *l, const unsigned char *keys, uint64_t values)
{
    unsigned char *o = alloc(64);
    put64(o, l->dict_keys, addr(keys));
    put64(o, l->dict_values, values);
    return addr(o);
}

/* A combined dict of n str keys. */
static uint64_t mk_strdict(const pyro_layout_t *l, int n, const char **keys, const uint64_t *v)
{
    uint64_t k[8];
    for (int i = 0; i < n; i++)
        k[i] = mk_str(l, keys[i]);
    return mk_dict(l, mk_keys(l, 1, n, k, v), 0);
}

/* An instance of a heap type whose attributes are `names` = `values`, kept
 * the way this version keeps a fresh instance's (materialized: a dict). */
static uint64_t mk_instance(const pyro_layout_t *l, int n, const char **names,
                            const uint64_t *values, int materialized)
{
    unsigned char *type = alloc(1024);
    uint64_t basicsize = (uint64_t)l->ob_type + 8; /* the object header (free-threaded: 32) */
    put64(type, l->tp_basicsize, basicsize);
    unsigned char *o = alloc(32 + basicsize + 8 + 8 * 8) + 32; /* 4 words of pre-header */
    put64(o, l->ob_type, addr(type));
    uint64_t k[8];
    for (int i = 0; i < n; i++)
        k[i] = mk_str(l, names[i]);
    if (l->version < 0x030B0000 || materialized) {
        uint64_t dict = mk_dict(l, mk_keys(l, 1, n, k, values), 0);
        if (l->version < 0x030B0000) {
            put64(type, l->tp_dictoffset, basicsize);
            put64(o, (int32_t)basicsize, dict);
        } else {
            put64(type, l->tp_flags, 1u << 4); /* managed dict */
            put64(o, l->managed_dict, dict);
        }
        return addr(o);
    }
    put64(type, l->ht_cached_keys, addr(mk_keys(l, 2, n, k, NULL)));
    unsigned char *vals;
    if (l->version >= 0x030D0000) { /* inline, after the object */
        put64(type, l->tp_flags, 1u << 4 | 1u << 2);
        vals = o + basicsize;
        vals[l->dv_capacity] = 8, vals[l->dv_valid] = 1;
    } else {
        put64(type, l->tp_flags, 1u << 4);
        vals = alloc(8 * 8);
        put64(o, l->version >= 0x030C0000 ? l->managed_dict : l->managed_dict - 8,
              l->version >= 0x030C0000 ? addr(vals) - 1 : addr(vals));
    }
    for (int i = 0; i < n; i++)
        put64(vals, l->dv_values + 8 * i, values[i]);
    return addr(o);
}

static int count_item(void *ctx, uint64_t key, uint64_t value)
{
    (void)key, (void)value;
    ++*(int *)ctx;
    return 0;
}

static void check_layout(const pyro_layout_t *l)
{
    arena_used = 0;
    int_type = alloc(1024);
    plain_type = alloc(1024);
    put64(int_type, l->tp_flags, 1ul << 24);
    pyro_robj_t r = {getpid(), l};
    uint64_t v;

    /* str */
    uint64_t s = mk_str(l, "_active");
    CHECK(pyro_robj_str_is(&r, s, "_active") && !pyro_robj_str_is(&r, s, "_activ"));
    CHECK(!pyro_robj_str_is(&r, s, "_actives") && !pyro_robj_str_is(&r, 0, ""));
    static const uint16_t cps[] = {'p', 0xe4, 'r', 0x4e16};
    uint64_t u = mk_ucs2(l, cps, 4);
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(pyro_robj_str(&r, u, 63, &b) == PYRO_OK);
    CHECK(b.len == 7 && memcmp(b.data, "p\xc3\xa4r\xe4\xb8\x96", 7) == 0);
    CHECK(!pyro_robj_str_is(&r, u, "p"));
    CHECK(pyro_robj_str(&r, u, 3, &b) == PYRO_EFORMAT); /* longer than allowed */
    pyro_buf_free(&b);

    /* int */
    CHECK(pyro_robj_ulong(&r, mk_int(l, 0, 0), &v) == PYRO_OK && v == 0);
    CHECK(pyro_robj_ulong(&r, mk_int(l, 42, 0), &v) == PYRO_OK && v == 42);
    uint64_t big = 0xfedcba9876543210ull;
    CHECK(pyro_robj_ulong(&r, mk_int(l, big, 0), &v) == PYRO_OK && v == big);
    CHECK(pyro_robj_ulong(&r, mk_int(l, 7, 1), &v) == PYRO_EFORMAT);
    CHECK(pyro_robj_ulong(&r, s, &v) == PYRO_EFORMAT); /* a str is not an int */

    /* dicts: combined, general entries, split */
    const char *names[] = {"alpha", "beta", "gamma"};
    uint64_t vals[] = {0x1000, 0x2000, 0x3000};
    uint64_t d = mk_strdict(l, 3, names, vals);
    CHECK(pyro_robj_dict_get(&r, d, "beta", &v) == PYRO_OK && v == 0x2000);
    CHECK(pyro_robj_dict_get(&r, d, "delta", &v) == PYRO_OK && v == 0);
    int n = 0;
    CHECK(pyro_robj_dict_each(&r, d, count_item, &n) == PYRO_OK && n == 3);
    uint64_t ik[] = {mk_int(l, 11, 0), mk_int(l, 22, 0)}, iv[] = {0x10, 0};
    n = 0; /* an empty value (deleted) is skipped */
    CHECK(pyro_robj_dict_each(&r, mk_dict(l, mk_keys(l, 0, 2, ik, iv), 0), count_item, &n) ==
              PYRO_OK &&
          n == 1);
    unsigned char *sv = alloc(64);
    put64(sv, l->dv_values + 8, 0x4444);
    uint64_t sk[] = {mk_str(l, "x"), mk_str(l, "y")};
    uint64_t split = mk_dict(l, mk_keys(l, l->dk_size >= 0 ? 1 : 2, 2, sk, NULL), addr(sv));
    CHECK(pyro_robj_dict_get(&r, split, "y", &v) == PYRO_OK && v == 0x4444);

    /* torn or garbage: an error, never a crash */
    unsigned char *keys = mk_keys(l, 1, 2, sk, vals);
    put64(keys, l->dk_nentries, 1000); /* more entries than slots */
    CHECK(pyro_robj_dict_get(&r, mk_dict(l, keys, 0), "x", &v) == PYRO_EFORMAT);
    CHECK(pyro_robj_dict_get(&r, mk_dict(l, (unsigned char *)8, 0), "x", &v) == PYRO_EFORMAT);
    CHECK(pyro_robj_dict_get(&r, 16, "x", &v) == PYRO_EFORMAT);
    if (l->dk_size < 0) {
        keys = mk_keys(l, 1, 1, sk, vals);
        keys[l->dk_log2_size] = 60;
        CHECK(pyro_robj_dict_get(&r, mk_dict(l, keys, 0), "x", &v) == PYRO_EFORMAT);
    }

    /* instance attributes, both ways each version keeps them */
    const char *attrs[] = {"_target", "_name", "_ident"};
    uint64_t avals[] = {0x77, mk_str(l, "worker-1"), 0x99};
    for (int made = 0; made <= 1; made++) {
        uint64_t obj = mk_instance(l, 3, attrs, avals, made);
        CHECK(pyro_robj_attr(&r, obj, "_name", &v) == PYRO_OK && v == avals[1]);
        CHECK(pyro_robj_attr(&r, obj, "_daemonic", &v) == PYRO_OK && v == 0);
    }
    unsigned char *bare = alloc(32);
    put64(bare, l->ob_type, addr(plain_type)); /* no dict at all */
    CHECK(pyro_robj_attr(&r, addr(bare), "_name", &v) == PYRO_OK && v == 0);

    /* thread names from a fabricated runtime: _PyRuntime -> interpreter ->
     * sys.modules["threading"] (a module: dict at tp_dictoffset) ._active */
    uint64_t ids[] = {0x7f0011223344ull, 0x7f0055667788ull, 999};
    const char *tn[] = {"_name"};
    uint64_t t1 = mk_instance(l, 1, tn, (uint64_t[]){mk_str(l, "MainThread")}, 0);
    uint64_t t2 = mk_instance(l, 1, tn, (uint64_t[]){u}, 1);
    uint64_t ak[] = {mk_int(l, ids[0], 0), mk_int(l, ids[1], 0)}, av[] = {t1, t2};
    uint64_t active = mk_dict(l, mk_keys(l, 0, 2, ak, av), 0);
    unsigned char *mtype = alloc(1024), *module = alloc(64);
    put64(mtype, l->tp_dictoffset, 16);
    put64(module, l->ob_type, addr(mtype));
    put64(module, 16, mk_strdict(l, 1, (const char *[]){"_active"}, &active));
    const char *mods[] = {"sys", "threading"};
    uint64_t modules = mk_strdict(l, 2, mods, (uint64_t[]){0x5, addr(module)});
    unsigned char *interp = alloc((size_t)l->interp_modules + 8);
    put64(interp, l->interp_modules, modules);
    unsigned char *rt = alloc((size_t)l->rt_interpreters_head + 8);
    put64(rt, l->rt_interpreters_head, addr(interp));
    pyro_pyproc_t pp = {.pid = getpid(), .version = l->version, .runtime = addr(rt), .layout = *l};
    char out[3][64];
    CHECK(pyro_robj_thread_names(&pp, 3, ids, out) == PYRO_OK);
    CHECK(strcmp(out[0], "MainThread") == 0 && strcmp(out[1], "p\xc3\xa4r\xe4\xb8\x96") == 0);
    CHECK(out[2][0] == '\0'); /* not a threading thread */
    /* without threading imported: no names, no error */
    put64(interp, l->interp_modules, mk_strdict(l, 1, mods, (uint64_t[]){0x5}));
    CHECK(pyro_robj_thread_names(&pp, 3, ids, out) == PYRO_OK && !out[0][0] && !out[1][0]);
}

static void test_robj_every_layout(void)
{
    for (unsigned i = 0; i < pyro_nlayouts; i++) {
        int before = test_failed_flag;
        check_layout(&pyro_layouts[i]);
        if (test_failed_flag && !before)
            fprintf(stderr, "  (layout of 0x%08x%s)\n", pyro_layouts[i].version,
                    pyro_layouts[i].free_threaded ? " free-threaded" : "");
    }
}

void suite_robj(void) { RUN(test_robj_every_layout); }
