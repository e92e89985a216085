/* SPDX-License-Identifier: MIT */
/* fmt_table: the terminal table in pstats' layout (ncalls, tottime, percall,
 * cumtime, percall, filename:lineno(function)), followed by the callers and
 * callees of the top rows. A sample profile's table (a view with
 * PYRO_VIEW_CALLS) counts samples instead: "N samples in X seconds (wall
 * clock, R Hz)", columns samples (with the function on the stack, recursion
 * once), owntime and cumtime; the ncalls order is by those samples. */
#ifndef PYRO_FMT_TABLE_H
#define PYRO_FMT_TABLE_H

#include "model/buf.h"
#include "model/profile.h"
#include "format/render.h"
#include "model/stats.h"

/* Append the table for `p` (with its statistics `s`) to `out`, sorted,
 * limited and colored as `o` says. PYRO_OK or PYRO_ENOMEM. */
int pyro_fmt_table(const pyro_profile_t *p, const pyro_stats_t *s, const pyro_render_opts_t *o,
                   pyro_buf_t *out);

#endif
