/* SPDX-License-Identifier: MIT */
/* strtab: an interning string table. Each distinct byte string gets a dense
 * id (0, 1, 2, ...) in insertion order; equal strings get the same id. The
 * bytes are stored once, NUL-terminated, and stay valid until the table is
 * freed or the next insertion (which may move them: copy if you keep them). */
#ifndef PYRO_STRTAB_H
#define PYRO_STRTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct pyro_strtab pyro_strtab_t;

/* A new empty table, or NULL when out of memory. Free with pyro_strtab_free. */
pyro_strtab_t *pyro_strtab_new(void);

/* Free the table and all its strings. NULL is a no-op. */
void pyro_strtab_free(pyro_strtab_t *t);

/* Intern `len` bytes at `s` (may contain any byte). Stores the id in *id.
 * Returns PYRO_OK, PYRO_ENOMEM or PYRO_ELIMIT (more than 2^31 strings or
 * 4 GiB of text); the table is unchanged on failure. */
int pyro_strtab_intern(pyro_strtab_t *t, const char *s, size_t len, uint32_t *id);

/* Same for a NUL-terminated string. */
int pyro_strtab_intern_cstr(pyro_strtab_t *t, const char *s, uint32_t *id);

/* The string with id `id` (NUL-terminated) and its length in *len (if len is
 * non-NULL), or NULL when `id` is out of range. */
const char *pyro_strtab_get(const pyro_strtab_t *t, uint32_t id, size_t *len);

/* Number of strings in the table. */
uint32_t pyro_strtab_count(const pyro_strtab_t *t);

#endif
