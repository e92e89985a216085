/* SPDX-License-Identifier: MIT */
/* marshal: a strict reader for the subset of Python's marshal format that
 * pstats files use (dict, tuple, list, str, int, float, None, bool, with
 * back-references). It parses untrusted bytes into a tree of values held in
 * one arena: every count is checked against the bytes left, nesting is
 * bounded, and a reference to a container still being built (a cycle) is an
 * error, so the result is always a finite tree (a DAG when refs are shared). */
#ifndef PYRO_MARSHAL_H
#define PYRO_MARSHAL_H

#include <stddef.h>
#include <stdint.h>

typedef enum pyro_mkind {
    PYRO_M_NONE,
    PYRO_M_BOOL,
    PYRO_M_INT,
    PYRO_M_FLOAT,
    PYRO_M_STR,
    PYRO_M_TUPLE,
    PYRO_M_LIST,
    PYRO_M_DICT,
} pyro_mkind_t;

typedef struct pyro_mval {
    int kind;
    int64_t i;     /* INT, BOOL */
    double f;      /* FLOAT */
    const char *s; /* STR: NUL-terminated UTF-8 (or ASCII), owned by the arena */
    size_t slen;
    uint32_t n; /* TUPLE/LIST: items; DICT: pairs (items has 2*n: key, value, ...) */
    struct pyro_mval **items;
} pyro_mval_t;

typedef struct pyro_marshal pyro_marshal_t;

/* Parse `len` bytes holding one marshalled value. On success *doc owns the
 * values and *root points at the top one. PYRO_EFORMAT for anything outside
 * the subset or inconsistent, PYRO_ETRUNC for short input, PYRO_ELIMIT for
 * too deep nesting or integers beyond 64 bits, PYRO_ENOMEM. */
int pyro_marshal_parse(const void *data, size_t len, pyro_marshal_t **doc,
                       const pyro_mval_t **root);

/* Free a parsed document and all its values. NULL is a no-op. */
void pyro_marshal_free(pyro_marshal_t *doc);

#endif
