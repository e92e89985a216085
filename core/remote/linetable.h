/* SPDX-License-Identifier: MIT */
/* linetable: the line number of an instruction from a code object's line
 * table, in each format CPython has used: 3.9 co_lnotab, 3.10 co_linetable,
 * 3.11+ the location table (Objects/locations.md). The table bytes come from
 * another process and are untrusted: decoding never reads past `len`. */
#ifndef PYRO_LINETABLE_H
#define PYRO_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

/* The line of the instruction at `offset` in a code object whose first line
 * is `firstlineno`, for Python `version` (PY_VERSION_HEX). `offset` is in
 * bytes for 3.9 (f_lasti) and in code units (2 bytes) from 3.10. A negative
 * offset (a frame not started yet) gives `firstlineno`. Returns the line,
 * or the nearest preceding one when the instruction has none. */
int pyro_line_for(uint32_t version, const unsigned char *table, size_t len, int firstlineno,
                  int offset);

#endif
