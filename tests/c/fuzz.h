/* SPDX-License-Identifier: MIT */
/* fuzz: what a fuzz target provides to tests/c/fuzz_driver.c (libFuzzer
 * needs only LLVMFuzzerTestOneInput). */
#ifndef PYRO_FUZZ_H
#define PYRO_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "model/buf.h"

/* Feed one input to the code under test. Always returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Append a valid input to `out`: the seed that mutations start from. */
void fuzz_seed(pyro_buf_t *out);

/* Repair a mutated input's integrity check (if the format has one) so that
 * mutations also reach the checks behind it. */
void fuzz_fix(uint8_t *data, size_t size);

#endif
