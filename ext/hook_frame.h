/* SPDX-License-Identifier: MIT */
/* hook_frame: tracing Python frames through the PEP 523 frame-evaluation
 * hook, the cheapest way to see every Python call (generator resumes and
 * throws included, as cProfile counts them). It sees no C calls: it is used
 * alone when builtins are not traced, and beside sys.monitoring's CALL
 * events on 3.12+. Interpreter-wide: one tracer at a time; if another
 * frame-evaluation hook is already installed (a debugger, -X perf, a JIT),
 * install fails and the caller falls back to the other hooks. */
#ifndef PYRO_HOOK_FRAME_H
#define PYRO_HOOK_FRAME_H

#include "tracer_obj.h"

/* Install the hook for `self`. 1 if installed, 0 if another hook is already
 * there (nothing changed). Never raises. */
int pyro_frame_install(pyro_tracer_obj_t *self);

/* Remove the hook if it is ours; frames still running finish untraced. */
void pyro_frame_remove(pyro_tracer_obj_t *self);

#endif
