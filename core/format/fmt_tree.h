/* SPDX-License-Identifier: MIT */
/* fmt_tree: the calling-context tree as indented text, one block per thread,
 * children ordered by total time, branches under the threshold folded. */
#ifndef PYRO_FMT_TREE_H
#define PYRO_FMT_TREE_H

#include "model/buf.h"
#include "model/profile.h"
#include "format/writer.h"

/* Append the tree of ctx->p to `out`. PYRO_OK or PYRO_ENOMEM. */
int pyro_fmt_tree(const pyro_write_ctx_t *ctx, pyro_buf_t *out);

#endif
