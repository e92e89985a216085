/* SPDX-License-Identifier: MIT */
/* procmem: process_vm_readv, one call per read. */
#include "procmem.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "error.h"

int pyro_mem_read(int pid, uint64_t addr, void *buf, size_t len)
{
    if (!len)
        return PYRO_OK;
    if (addr == 0) {
        errno = EFAULT;
        return PYRO_EIO;
    }
    struct iovec local = {buf, len};
    struct iovec remote = {(void *)(uintptr_t)addr, len};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n == (ssize_t)len)
        return PYRO_OK;
    if (n >= 0)
        errno = EFAULT;
    return PYRO_EIO;
}

int pyro_mem_u64(int pid, uint64_t addr, uint64_t *out)
{
    unsigned char b[8];
    int rc = pyro_mem_read(pid, addr, b, 8);
    if (rc)
        return rc;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    *out = v;
    return PYRO_OK;
}
