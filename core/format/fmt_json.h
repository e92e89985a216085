/* SPDX-License-Identifier: MIT */
/* fmt_json: pyrometer's JSON document (schema in docs/json-format.md):
 * metadata, functions, threads, the calling-context tree as rows, and the
 * cProfile-compatible per-function statistics with their callers. */
#ifndef PYRO_FMT_JSON_H
#define PYRO_FMT_JSON_H

#include "model/buf.h"
#include "model/profile.h"
#include "format/render.h"
#include "model/stats.h"

/* Append the JSON document for `p` (statistics `s`) to `out`.
 * PYRO_OK or PYRO_ENOMEM. */
int pyro_fmt_json(const pyro_profile_t *p, const pyro_stats_t *s, const pyro_render_opts_t *o,
                  pyro_buf_t *out);

#endif
