/* SPDX-License-Identifier: MIT */
/* hook_native: native allocations (malloc and kin, mmap, munmap) of C
 * extensions and the libraries they load, for memory tracking (--native).
 *
 * Mechanism: the GOT of every loaded object (dl_iterate_phdr) is patched:
 * each JUMP_SLOT or GLOB_DAT relocation that names an undefined malloc,
 * calloc, realloc, free, posix_memalign, aligned_alloc, memalign, valloc,
 * pvalloc, mmap, mmap64 or munmap is pointed at a hook here, which forwards
 * to the C library's function and reports to the allocator hooks
 * (hook_alloc: the same recorder, stacks, reentrancy guard and handling of
 * threads without the GIL as the raw domain). RELRO pages are made writable
 * for the write and read-only again. Not patched for allocations: the
 * python executable and libpython (their malloc is the raw domain, tracked
 * already: a block is never counted twice), the C library, the dynamic
 * loader, the vDSO and this extension. Objects loaded later: `dlopen` is
 * patched too (in objects without their own RPATH/RUNPATH, whose dlopen
 * searches as ours does; the interpreter's imports and ctypes among them),
 * and the objects it brought in are patched when it returns; others (loaded
 * by a dlopen not patched) when pyro_native_poll next looks. Only objects
 * the loader has finished are touched (a dlopen in another thread may be
 * relocating one: its RELRO pages are the loader's until then). stop restores
 * every slot still holding our hook in an object still loaded.
 *
 * mmap/munmap: a mapping is one block at its address; a munmap at that
 * address frees the whole block (a partial one too: the rest then counts
 * as freed early, never as negative); a munmap elsewhere in a mapping
 * frees nothing. A MAP_FIXED mmap over a recorded mapping frees it first.
 * mremap is not followed. A forked child's hooks pass through. */
#ifndef PYRO_HOOK_NATIVE_H
#define PYRO_HOOK_NATIVE_H

#include "compat.h"

/* Non-zero where native tracking is built (Linux, glibc-style loader, on
 * x86-64 or AArch64). */
int pyro_native_supported(void);

/* Patch every loaded object (and, from now on, what dlopen loads). Call
 * with the GIL, after pyro_memhooks_start (the hooks report to its
 * recorder). 0, or -1 with RuntimeError (not supported here, out of
 * memory); nothing is patched then. Objects whose pages cannot be made
 * writable are left as they are (counted in pyro_native_skipped). */
int pyro_native_start(void);

/* Restore every patched slot (before pyro_memhooks_stop). Holds the GIL.
 * No-op when not started. */
void pyro_native_stop(void);

/* Patch the objects loaded since the last look, if any (a cheap check
 * otherwise: one callback of dl_iterate_phdr): those that a dlopen not
 * patched loaded (one called by a library with its own search path, see
 * above). Any thread, no GIL needed; no-op when not started. Called about
 * every 10 ms by the memory timeline's thread. */
void pyro_native_poll(void);

/* Slots patched by the last start (and the dlopen calls since). */
uint64_t pyro_native_patched(void);

/* Objects the last start could not patch (mprotect refused). */
uint64_t pyro_native_skipped(void);

#endif
