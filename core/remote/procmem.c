/* SPDX-License-Identifier: MIT */
/* procmem: process_vm_readv, one call per read. */
#include "remote/procmem.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "model/error.h"

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

/* Pieces per process_vm_readv: iovecs on our stack (the kernel takes up
 * to 1024; stacks deeper than this are rare). */
#define IOV_BATCH 64

long pyro_mem_readv(int pid, const pyro_mem_piece_t *pieces, size_t n)
{
    struct iovec local[IOV_BATCH], remote[IOV_BATCH];
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < IOV_BATCH ? n - done : IOV_BATCH;
        size_t want = 0;
        for (size_t i = 0; i < k; i++) {
            const pyro_mem_piece_t *p = &pieces[done + i];
            local[i] = (struct iovec){p->buf, p->len};
            remote[i] = (struct iovec){(void *)(uintptr_t)p->addr, p->len};
            want += p->len;
        }
        ssize_t got = process_vm_readv(pid, local, k, remote, k, 0);
        if (got < 0)
            return done ? (long)done : (errno == EFAULT ? 0 : -1);
        if ((size_t)got == want) {
            done += k;
            continue;
        }
        for (size_t i = 0; i < k && (size_t)got >= pieces[done].len; i++)
            got -= (ssize_t)pieces[done++].len;
        errno = EFAULT;
        return (long)done;
    }
    return (long)done;
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
