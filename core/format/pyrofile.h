/* SPDX-License-Identifier: MIT */
/* pyrofile: the native `.pyro` profile format, which keeps everything a
 * report needs (the full calling-context tree, functions, threads, metadata)
 * so every format can be re-rendered from it later.
 *
 * Layout (all integers little-endian; varints are unsigned LEB128, svarints
 * zigzag LEB128; docs/pyro-format.md is the full description):
 *   magic    8 bytes  "\x89PYRO\r\n\x1a"
 *   major    u16      2 (a reader refuses a larger major; 1 is still read)
 *   minor    u16      0 (a reader accepts any minor: new sections are skipped)
 *   flags    u32      0
 *   sections, each:  tag (4 bytes) | length (u64) | payload
 *     "STRS" count, then count x (len varint, bytes)
 *     "META" count, then count x (key string id, value string id)
 *     "FUNC" count, then count x (name, qualname, file, line, kind)
 *     "THRD" count, then count x (ident, native_id, name string id)
 *     "MTRC" mode (pyro_mode_t), count, then count x (name length, name
 *            bytes, unit, aggregation): the node columns
 *     "NODE" count, then count x (parent+1, thread, func, line, then one
 *            svarint per column); parents precede children
 *     "END\0" payload u32: CRC-32 (IEEE) of every byte before this section
 * Format 1.0 had no mode nor column types in MTRC (names only); reading one,
 * the mode comes from the metadata "mode" and the columns from their names. */
#ifndef PYRO_PYROFILE_H
#define PYRO_PYROFILE_H

#include <stddef.h>

#include "model/buf.h"
#include "model/profile.h"

/* Append `p` in .pyro format to `out`. PYRO_OK or PYRO_ENOMEM. */
int pyro_pyrofile_write(const pyro_profile_t *p, pyro_buf_t *out);

/* Non-zero if `data` starts with the .pyro magic. */
int pyro_pyrofile_sniff(const void *data, size_t len);

/* Parse `len` bytes of .pyro data (format 2, or 1) into a new profile (*out,
 * caller frees). Columns of names this version does not know are kept, by
 * name. Every count, index and length is validated; any inconsistency gives
 * PYRO_EFORMAT, a short file PYRO_ETRUNC, a newer major or an unknown mode
 * PYRO_EVERSION, and
 * nothing is leaked. Never reads outside [data, data+len). */
int pyro_pyrofile_read(const void *data, size_t len, pyro_profile_t **out);

/* CRC-32 (IEEE 802.3) of `len` bytes, continuing from `crc` (start with 0). */
uint32_t pyro_crc32(uint32_t crc, const void *data, size_t len);

#endif
