/* SPDX-License-Identifier: MIT */
/* error: the core's error codes (0 = success, negative = failure) and their
 * messages. Every fallible core function returns one of these. */
#ifndef PYRO_ERROR_H
#define PYRO_ERROR_H

typedef enum pyro_err {
    PYRO_OK = 0,
    PYRO_ENOMEM = -1,        /* an allocation failed */
    PYRO_EIO = -2,           /* reading or writing a file failed (see errno) */
    PYRO_EFORMAT = -3,       /* input bytes are not a valid profile / are corrupt */
    PYRO_EVERSION = -4,      /* a profile written by a newer, incompatible format */
    PYRO_EINVAL = -5,        /* an argument is out of range or inconsistent */
    PYRO_ETRUNC = -6,        /* input ends before the data it announces */
    PYRO_ELIMIT = -7,        /* a size limit of the core was exceeded */
    PYRO_ESTATE = -8,        /* operation not allowed in the object's current state */
    PYRO_ENOTREE = -9,       /* the format needs a call tree and the profile has none */
    PYRO_ENOPROC = -10,      /* no such process (or it exited) */
    PYRO_EPERM = -11,        /* not permitted to read the process */
    PYRO_ENOTPY = -12,       /* the process is not running CPython (no runtime found) */
    PYRO_EUNSUPPORTED = -13, /* a CPython version pyrometer cannot read */
    PYRO_ENOMATCH = -14,     /* a name selects nothing in the profile (the line view's function) */

} pyro_err_t;

/* A short human-readable message for `err` (never NULL; unknown codes get a
 * generic message). The string is static. */
const char *pyro_strerror(int err);

#endif
