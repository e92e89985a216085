/* SPDX-License-Identifier: MIT */
/* testing: private functions of `pyrometer._core` for the test suite only
 * (their names start with an underscore; nothing else may call them). */
#ifndef PYRO_TESTING_H
#define PYRO_TESTING_H

#include "compat.h"

/* Add the private test functions to module `m`:
 *
 * _fail_allocations(n) -> int
 *   From now on, let the next `n` allocations of the core succeed and make
 *   every later one fail, as if memory were exhausted (the Python heap is not
 *   affected). n=None goes back to the C library's allocator. Returns how
 *   many allocations failed under the setting it replaces. For tests of the
 *   out-of-memory paths; run them in a child process.
 *
 * 0, or -1 with an exception. */
int pyro_testing_init(PyObject *m);

#endif
