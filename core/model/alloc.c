/* SPDX-License-Identifier: MIT */
/* alloc: forwards to a swappable allocator (the C library's by default). */
#include "model/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model/error.h"

static pyro_allocator_t current = {malloc, realloc, free};

void *pyro_malloc(size_t size) { return current.malloc(size ? size : 1); }

void *pyro_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = pyro_malloc(n * size);
    if (p)
        memset(p, 0, (n && size) ? n * size : 1);
    return p;
}

void *pyro_realloc(void *ptr, size_t size) { return current.realloc(ptr, size ? size : 1); }

void *pyro_reallocarray(void *ptr, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return pyro_realloc(ptr, n * size);
}

void pyro_free(void *ptr)
{
    if (ptr)
        current.free(ptr);
}

int pyro_grow(void **arr, uint32_t *cap, uint32_t count, size_t size)
{
    if (count < *cap)
        return PYRO_OK;
    if (*cap >= (UINT32_MAX - 1) / 2)
        return PYRO_ELIMIT;
    uint32_t ncap = *cap ? *cap * 2 : 16;
    void *n = pyro_reallocarray(*arr, ncap, size);
    if (!n)
        return PYRO_ENOMEM;
    *arr = n;
    *cap = ncap;
    return PYRO_OK;
}

int pyro_reserve(void **arr, uint32_t *cap, uint32_t n, size_t size)
{
    while (*cap < n) {
        int rc = pyro_grow(arr, cap, *cap, size);
        if (rc)
            return rc;
    }
    return PYRO_OK;
}

char *pyro_strndup(const char *s, size_t len)
{
    char *d = pyro_malloc(len + 1);
    if (d) {
        if (len)
            memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

/* ==== pages ==== */

/* The header in front of a block of pyro_pages_alloc (64 bytes, so that the
 * block keeps a cache line's alignment). */
typedef struct pages_head {
    uint64_t magic; /* PAGES_MMAP or PAGES_HEAP */
    size_t size;    /* the caller's bytes */
    size_t mapped;  /* PAGES_MMAP: bytes mapped, header included */
    char pad[64 - sizeof(uint64_t) - 2 * sizeof(size_t)];
} pages_head_t;

#define PAGES_MMAP 0x70796d6d61702121ull /* "pymmap!!" */
#define PAGES_HEAP 0x707968656170212full

static int default_allocator(void) { return current.malloc == malloc; }

void *pyro_pages_alloc(size_t size)
{
    if (size > SIZE_MAX / 2)
        return NULL;
    size_t total = size + sizeof(pages_head_t);
    pages_head_t *h;
    if (default_allocator()) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t mapped = (total + page - 1) / page * page;
        void *m = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return NULL;
        h = m; /* zeroed by the kernel */
        h->magic = PAGES_MMAP;
        h->mapped = mapped;
    } else {
        h = current.malloc(total);
        if (!h)
            return NULL;
        memset(h, 0, total);
        h->magic = PAGES_HEAP;
    }
    h->size = size;
    return h + 1;
}

void *pyro_pages_realloc(void *p, size_t size)
{
    if (!p)
        return pyro_pages_alloc(size);
    const pages_head_t *h = (const pages_head_t *)p - 1;
    void *n = pyro_pages_alloc(size);
    if (!n)
        return NULL;
    memcpy(n, p, size < h->size ? size : h->size);
    pyro_pages_free(p);
    return n;
}

void pyro_pages_free(void *p)
{
    if (!p)
        return;
    pages_head_t *h = (pages_head_t *)p - 1;
    if (h->magic == PAGES_MMAP)
        munmap(h, h->mapped);
    else
        current.free(h);
}

void pyro_set_allocator(const pyro_allocator_t *a)
{
    if (a)
        current = *a;
    else
        current = (pyro_allocator_t){malloc, realloc, free};
}
