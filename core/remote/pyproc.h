/* SPDX-License-Identifier: MIT */
/* pyproc: finding the CPython runtime inside another process: which file
 * holds it (libpython or the executable), where _PyRuntime is once loaded,
 * which Python version it is, and the matching structure layout. */
#ifndef PYRO_PYPROC_H
#define PYRO_PYPROC_H

#include <stdint.h>

#include "pyabi/pyabi.h"

typedef struct pyro_pyproc {
    int pid;
    uint32_t version;  /* PY_VERSION_HEX (3.13+: as the target's debug offsets hold it, release
                          level and serial included); the micro level is 0 when only the minor
                          is known */
    int free_threaded; /* 1: a free-threaded build (known from 3.13's debug offsets on) */
    uint64_t runtime;  /* address of _PyRuntime in the process */
    pyro_layout_t layout;
    int layout_from_target; /* 1 when read from the target's _Py_DebugOffsets */
    char binary[512];       /* the file holding the runtime, as mapped */
} pyro_pyproc_t;

/* Inspect process `pid`. On failure returns PYRO_ENOPROC (no such process),
 * PYRO_EPERM (its memory or files may not be read), PYRO_ENOTPY (no CPython
 * runtime found), PYRO_EUNSUPPORTED (a version without a layout; pp->version
 * says which) or PYRO_EFORMAT (the runtime's file is not a usable ELF). */
int pyro_pyproc_open(int pid, pyro_pyproc_t *pp);

/* Complete `pp` whose pid, runtime and version are known (a process that
 * found its own _PyRuntime needs no /proc or ELF reading): the layout, from
 * the runtime's _Py_DebugOffsets on 3.13+ (which also set pp->version in
 * full and pp->free_threaded) or the built-in table before. Returns
 * PYRO_ENOTPY (not a Python 3 version), PYRO_EUNSUPPORTED (no layout for
 * pp->version and build kind: see pyro_pyproc_refusal), PYRO_EFORMAT (a
 * 3.13+ runtime without readable debug offsets) or an error of reading the
 * runtime (pyro_pyproc_errno). */
int pyro_pyproc_describe(pyro_pyproc_t *pp);

/* Format pp->version as "3.11.7", "3.15.0rc1" (a pre-release), "3.14.7t" (a
 * free-threaded build), or "3.10" when only the minor is known; into `out`
 * of `cap` bytes (truncated to fit, NUL-terminated). */
void pyro_pyproc_version_str(const pyro_pyproc_t *pp, char *out, size_t cap);

/* Why process `pp` cannot be read, after PYRO_EUNSUPPORTED, as one phrase:
 * "runs Python 3.16.0a1, which pyrometer cannot read (it reads 3.9-3.15,
 * free-threaded 3.14t)" (the list from the generated tables); into `out` of
 * `cap` bytes. */
void pyro_pyproc_refusal(const pyro_pyproc_t *pp, char *out, size_t cap);

/* Map an errno from reading /proc or the process's memory to a core error. */
int pyro_pyproc_errno(int err);

#endif
