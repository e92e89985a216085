/* SPDX-License-Identifier: MIT */
/* procmem: reading another process's memory (process_vm_readv), without
 * stopping it. Reads may race with the target: callers validate what they
 * read. Reading the calling process itself works the same way. */
#ifndef PYRO_PROCMEM_H
#define PYRO_PROCMEM_H

#include <stddef.h>
#include <stdint.h>

/* Read `len` bytes at `addr` in process `pid` into `buf`. Returns PYRO_OK,
 * or PYRO_EIO with errno: EFAULT (unmapped address), ESRCH (the process is
 * gone), EPERM (not permitted: ptrace rules). A short read is EFAULT. */
int pyro_mem_read(int pid, uint64_t addr, void *buf, size_t len);

/* Read a little-endian pointer / 64-bit value. */
int pyro_mem_u64(int pid, uint64_t addr, uint64_t *out);

#endif
