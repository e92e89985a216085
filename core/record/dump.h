/* SPDX-License-Identifier: MIT */
/* dump: one moment of a process: every thread's Python stack with its OS
 * thread id, name, running/idle state and GIL ownership, as text or JSON. */
#ifndef PYRO_DUMP_H
#define PYRO_DUMP_H

#include "model/buf.h"
#include "remote/unwind.h"

/* Append the stacks `s` read by `u` to `out`: text (json == 0, colored when
 * `color`) or JSON (schema in docs/cli.md). Thread names are read from the
 * process (threading._active) as the dump is rendered. PYRO_OK or
 * PYRO_ENOMEM. */
int pyro_dump_render(const pyro_unwinder_t *u, const pyro_stacks_t *s, int json, int color,
                     pyro_buf_t *out);

#endif
