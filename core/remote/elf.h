/* SPDX-License-Identifier: MIT */
/* elf: just enough of a 64-bit little-endian ELF file to find where a
 * symbol or a section will be once the file is mapped: symbol values from
 * .dynsym/.symtab, section addresses, and the first PT_LOAD segment's
 * address (for the load bias). The file's bytes are untrusted: every offset
 * and size is checked against the file (the parser is fuzzed). */
#ifndef PYRO_ELF_H
#define PYRO_ELF_H

#include <stddef.h>
#include <stdint.h>

typedef struct pyro_elf {
    const unsigned char *data;
    size_t len;
    void *map; /* non-NULL when the bytes are an mmap of a file */
} pyro_elf_t;

/* Map the file at `path` read-only. PYRO_EIO (errno set) or PYRO_EFORMAT if
 * it is not a 64-bit little-endian ELF file. Close with pyro_elf_close. */
int pyro_elf_open(const char *path, pyro_elf_t *e);

/* Use `len` bytes at `data` (not copied; they must outlive `e`). */
int pyro_elf_init(pyro_elf_t *e, const void *data, size_t len);

/* Unmap (if mapped) and reset. */
void pyro_elf_close(pyro_elf_t *e);

/* The value (link-time address) of the defined symbol `name`, looked up in
 * .dynsym then .symtab. PYRO_OK, PYRO_EINVAL (not found) or PYRO_EFORMAT. */
int pyro_elf_symbol(const pyro_elf_t *e, const char *name, uint64_t *value);

/* Link-time address, size and file offset (offset may be NULL) of section
 * `name`. PYRO_OK, PYRO_EINVAL (no such section) or PYRO_EFORMAT. */
int pyro_elf_section(const pyro_elf_t *e, const char *name, uint64_t *addr, uint64_t *size,
                     uint64_t *offset);

/* Page-aligned address of the first PT_LOAD segment: the load bias of a
 * mapped file is the address of its lowest mapping minus this. */
int pyro_elf_base_vaddr(const pyro_elf_t *e, uint64_t *vaddr);

#endif
