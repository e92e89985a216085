/* SPDX-License-Identifier: MIT */
/* robj: reading Python objects (str, int, dict, instance attributes) out of
 * another process's memory (or this one's), without its GIL and without
 * stopping it, with the structure layout of its CPython version. The target
 * keeps running: every pointer is validated as it is followed, sizes are
 * bounded, and a dict being resized while it is read gives an error or a
 * partial answer, never a crash or an invented value. Dicts are read
 * whichever way they are stored: combined or split tables, the managed
 * dicts of 3.11/3.12 and the inline values of 3.13+ (offsets and
 * meanings from the layout of the target's version and build kind). */
#ifndef PYRO_ROBJ_H
#define PYRO_ROBJ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "model/buf.h"
#include "remote/procmem.h"
#include "remote/pyproc.h"

typedef struct pyro_robj {
    int pid;                /* the process read */
    const pyro_layout_t *l; /* its structure layout (l->version picks the variants) */
} pyro_robj_t;

/* Read `len` bytes at `addr`. PYRO_OK, PYRO_EFORMAT (unmapped: a stale or
 * torn pointer), PYRO_ENOPROC (the process exited) or PYRO_EPERM. */
int pyro_robj_read(const pyro_robj_t *r, uint64_t addr, void *buf, size_t len);

/* Read `n` pieces (fields of a few objects whose addresses are known) in
 * one system call. PYRO_OK when every piece was read whole; otherwise as
 * pyro_robj_read (PYRO_EFORMAT when any piece lies on an unmapped address;
 * the pieces before it are read, the others are not). */
int pyro_robj_readv(const pyro_robj_t *r, const pyro_mem_piece_t *pieces, size_t n);

/* As pyro_robj_readv, but a piece at an unmapped address is no error: it
 * ends the read there, and *got is how many pieces, from the first, were
 * read whole. PYRO_OK, PYRO_ENOPROC or PYRO_EPERM (then *got is 0). */
int pyro_robj_readv_upto(const pyro_robj_t *r, const pyro_mem_piece_t *pieces, size_t n,
                         size_t *got);

/* Read a little-endian 64-bit value (a pointer) at `addr`; as
 * pyro_robj_read. */
int pyro_robj_u64(const pyro_robj_t *r, uint64_t addr, uint64_t *out);

/* The 64-bit value at `p` in a buffer read from the target. */
static inline uint64_t pyro_get64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Append the text of the str object at `addr`, UTF-8 encoded, to `out`.
 * Strings longer than `max_chars` code points are refused (PYRO_EFORMAT),
 * as are non-compact or malformed ones. PYRO_OK or a read error. */
int pyro_robj_str(const pyro_robj_t *r, uint64_t addr, size_t max_chars, pyro_buf_t *out);

/* 1 if the object at `addr` is an ASCII str equal to `s` (one read), else 0
 * (unreadable counts as different). */
int pyro_robj_str_is(const pyro_robj_t *r, uint64_t addr, const char *s);

/* The value of the int object at `addr` when it is >= 0 and fits 64 bits.
 * PYRO_OK, PYRO_EFORMAT (not an int, negative or too large) or a read
 * error. */
int pyro_robj_ulong(const pyro_robj_t *r, uint64_t addr, uint64_t *out);

/* Called with each (key, value) object address of a dict; a nonzero return
 * stops the walk and is returned by the walk. */
typedef int (*pyro_robj_item_fn)(void *ctx, uint64_t key, uint64_t value);

/* Call `fn` on each item of the dict object at `dict` (at most 1 << 16
 * items). PYRO_OK, fn's nonzero return, or a read / format error. */
int pyro_robj_dict_each(const pyro_robj_t *r, uint64_t dict, pyro_robj_item_fn fn, void *ctx);

/* The value stored in the dict at `dict` under the ASCII str key `key`, or 0
 * when there is none. PYRO_OK or a read / format error. */
int pyro_robj_dict_get(const pyro_robj_t *r, uint64_t dict, const char *key, uint64_t *value);

/* The instance attribute `name` of the object at `obj` (what obj.__dict__
 * holds, wherever this version keeps it), or 0 when there is none.
 * PYRO_OK, PYRO_EUNSUPPORTED (this layout lacks the offsets needed) or a
 * read / format error. */
int pyro_robj_attr(const pyro_robj_t *r, uint64_t obj, const char *name, uint64_t *value);

/* Names of the threads whose threading.get_ident() values are `idents`:
 * threading._active[ident]._name in every interpreter of the process that
 * pyro_pyproc_open() described. names[i] is written NUL-terminated, "" when
 * unknown (threading not imported, a thread not started by it, a read that
 * raced with the target). Reads only the target's memory and `pp`, so it
 * may run beside a sampler of the same process. PYRO_OK, PYRO_ENOPROC or
 * PYRO_EPERM; names found before an error are kept. */
int pyro_robj_thread_names(const pyro_pyproc_t *pp, uint32_t n, const uint64_t *idents,
                           char (*names)[64]);

#endif
