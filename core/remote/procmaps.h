/* SPDX-License-Identifier: MIT */
/* procmaps: the memory map of a process, parsed from /proc/PID/maps text
 * (which is untrusted input for the parser: it is fuzzed). */
#ifndef PYRO_PROCMAPS_H
#define PYRO_PROCMAPS_H

#include <stddef.h>
#include <stdint.h>

typedef struct pyro_mapping {
    uint64_t start, end, offset;
    char perms[5]; /* "r-xp" */
    char *path;    /* owned; "" for anonymous mappings */
} pyro_mapping_t;

typedef struct pyro_maps {
    pyro_mapping_t *m;
    uint32_t n, cap;
} pyro_maps_t;

/* Parse the text of a maps file. Lines that do not parse are an error.
 * PYRO_OK, PYRO_EFORMAT or PYRO_ENOMEM; *maps is emptied first and holds
 * what was parsed (free with pyro_maps_free either way). */
int pyro_maps_parse(const char *text, size_t len, pyro_maps_t *maps);

/* Read and parse /proc/PID/maps. PYRO_EIO with errno set when it cannot be
 * read (ESRCH/ENOENT: no such process; EACCES/EPERM: not permitted). */
int pyro_maps_read(int pid, pyro_maps_t *maps);

/* Release the mappings. */
void pyro_maps_free(pyro_maps_t *maps);

/* The lowest mapping of the file whose path ends with a component starting
 * with `prefix` (e.g. "libpython3."), or NULL. */
const pyro_mapping_t *pyro_maps_find_lib(const pyro_maps_t *maps, const char *prefix);

/* The lowest mapping of exactly `path`, or NULL. */
const pyro_mapping_t *pyro_maps_find_path(const pyro_maps_t *maps, const char *path);

#endif
