/* SPDX-License-Identifier: MIT */
/* alloc: the one allocator indirection of the core. Every core allocation goes
 * through these functions so that tests can count allocations and make them
 * fail on demand (see tests/c). Not thread-safe to swap while in use. */
#ifndef PYRO_ALLOC_H
#define PYRO_ALLOC_H

#include <stddef.h>
#include <stdint.h>

/* A malloc/realloc/free triple. All three must be set. */
typedef struct pyro_allocator {
    void *(*malloc)(size_t size);
    void *(*realloc)(void *ptr, size_t size);
    void (*free)(void *ptr);
} pyro_allocator_t;

/* Allocate `size` bytes (size 0 is treated as 1). Returns NULL on failure. */
void *pyro_malloc(size_t size);

/* Allocate `n * size` zeroed bytes; NULL on failure or on overflow of n*size. */
void *pyro_calloc(size_t n, size_t size);

/* Resize `ptr` (may be NULL) to `size` bytes. On failure returns NULL and
 * leaves `ptr` untouched and still owned by the caller. */
void *pyro_realloc(void *ptr, size_t size);

/* Resize an array of `n` elements of `size` bytes, failing (NULL, `ptr`
 * untouched) when n*size overflows. */
void *pyro_reallocarray(void *ptr, size_t n, size_t size);

/* Release memory from the functions above. NULL is a no-op. */
void pyro_free(void *ptr);

/* Make room for one more element in a doubling array: when `count` reached
 * *cap, grow *arr (elements of `size` bytes) to twice the capacity (16 at
 * first) and update *cap. Returns 0, PYRO_ENOMEM (the array is untouched) or
 * PYRO_ELIMIT (the capacity would pass 2^31). */
int pyro_grow(void **arr, uint32_t *cap, uint32_t count, size_t size);

/* Make room for `n` elements in all in a doubling array (as pyro_grow, as
 * many doublings as it takes). Same returns as pyro_grow. */
int pyro_reserve(void **arr, uint32_t *cap, uint32_t n, size_t size);

/* Duplicate `len` bytes of `s` into a new NUL-terminated string owned by the
 * caller; NULL on failure. */
char *pyro_strndup(const char *s, size_t len);

/* Memory for a recorder's growing tables while the profiled program runs:
 * straight from the kernel (mmap), never from the C library's heap, so
 * that when a table grows (at a moment that depends on which allocations
 * were sampled) it does not place a block of ours among the program's and
 * change where glibc puts the program's next blocks or whether it gives the
 * top of its heap back (measured: a program whose 8 MiB buffers were
 * returned to the kernel each round ran with 3.6x fewer page faults in 3
 * runs of 10 under memory mode, the runs where a table of ours had landed
 * above them). `size` bytes, zeroed, aligned to 16 bytes (64 from the
 * kernel); NULL when out of memory. Under an allocator installed with
 * pyro_set_allocator (tests), the memory comes from it instead, so that its
 * failures reach these calls too. Each block remembers where it came from:
 * free it with pyro_pages_free, whatever allocator is installed by then. */
void *pyro_pages_alloc(size_t size);

/* Resize a block from pyro_pages_alloc (NULL: allocate) to `size` bytes,
 * keeping its contents up to the smaller size; bytes past the old size are
 * zero. On failure returns NULL and leaves `p` untouched and owned by the
 * caller. */
void *pyro_pages_realloc(void *p, size_t size);

/* Release a block from pyro_pages_alloc or pyro_pages_realloc. NULL is a
 * no-op. */
void pyro_pages_free(void *p);

/* Install `a` as the allocator (NULL restores the C library's). Only call
 * while no core object allocated with the previous allocator is alive,
 * unless each allocator can free and resize the other's memory (a wrapper
 * of the C library's, as the tests' failing allocators are). */
void pyro_set_allocator(const pyro_allocator_t *a);

#endif
