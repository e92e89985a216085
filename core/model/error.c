/* SPDX-License-Identifier: MIT */
/* error: code -> message table. */
#include "model/error.h"

static const char *const messages[] = {
    [0] = "success",
    [1] = "out of memory",
    [2] = "input/output error",
    [3] = "not a valid profile (corrupt or wrong format)",
    [4] = "profile written by a newer, unsupported format version",
    [5] = "invalid argument",
    [6] = "truncated input",
    [7] = "size limit exceeded",
    [8] = "operation not allowed in the current state",
    [9] = "this profile has no call tree (pstats files keep only per-function totals)",
    [10] = "no such process",
    [11] = "not permitted to read the process's memory",
    [12] = "not a Python process (no CPython runtime found in its memory map)",
    [13] = "a Python version pyrometer cannot read",
    [14] = "no function in the profile matches that name",

};

const char *pyro_strerror(int err)
{
    int i = -err;
    if (i < 0 || i >= (int)(sizeof messages / sizeof messages[0]) || !messages[i])
        return "unknown error";
    return messages[i];
}
