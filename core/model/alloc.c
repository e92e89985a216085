/* SPDX-License-Identifier: MIT */
/* alloc: forwards to a swappable allocator (the C library's by default). */
#include "model/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

void pyro_set_allocator(const pyro_allocator_t *a)
{
    if (a)
        current = *a;
    else
        current = (pyro_allocator_t){malloc, realloc, free};
}
