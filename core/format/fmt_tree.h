/* SPDX-License-Identifier: MIT */
/* fmt_tree: the calling-context tree as indented text, one block per thread,
 * children ordered by total time, branches under the threshold hidden. In a
 * sample tree (unless show_all), the library frames below a library frame
 * fold into one "[N library frames]" line holding their time, so that each
 * line's total is its self time plus its children's totals. */
#ifndef PYRO_FMT_TREE_H
#define PYRO_FMT_TREE_H

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

/* Append the tree of ctx->p to `out`; a sample profile without samples gets
 * a line saying why instead. PYRO_OK or PYRO_ENOMEM (`out` may then hold
 * part of the tree). */
int pyro_fmt_tree(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

#endif
