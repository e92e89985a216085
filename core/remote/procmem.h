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

/* One piece of a vectored read: `len` bytes at `addr` into `buf`. */
typedef struct pyro_mem_piece {
    uint64_t addr;
    void *buf;
    size_t len;
} pyro_mem_piece_t;

/* Read `n` pieces in one go (one process_vm_readv per 64 pieces), in
 * order. Returns how many pieces were read whole, from the first: a piece
 * at an unmapped address ends the read there (errno EFAULT), so callers put
 * what they need most first. -1 with errno ESRCH or EPERM when nothing
 * could be read for those reasons. */
long pyro_mem_readv(int pid, const pyro_mem_piece_t *pieces, size_t n);

/* Read a little-endian pointer / 64-bit value. */
int pyro_mem_u64(int pid, uint64_t addr, uint64_t *out);

#endif
