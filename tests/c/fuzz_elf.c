/* SPDX-License-Identifier: MIT */
/* fuzz_elf: the fuzz target for the ELF reader, seeded with a small
 * synthetic shared object that has a .dynsym holding _PyRuntime and
 * Py_Version, a .PyRuntime section and one PT_LOAD segment. */
#include "fuzz.h"

#include <string.h>

#include "remote/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pyro_elf_t e;
    uint64_t v, a, s, o;
    if (pyro_elf_init(&e, data, size) != 0)
        return 0;
    pyro_elf_symbol(&e, "_PyRuntime", &v);
    pyro_elf_symbol(&e, "Py_Version", &v);
    pyro_elf_section(&e, ".PyRuntime", &a, &s, &o);
    pyro_elf_base_vaddr(&e, &v);
    return 0;
}

static void u16(pyro_buf_t *b, uint16_t v) { pyro_buf_u16(b, v); }
static void u32(pyro_buf_t *b, uint32_t v) { pyro_buf_u32(b, v); }
static void u64(pyro_buf_t *b, uint64_t v) { pyro_buf_u64(b, v); }

static void shdr(pyro_buf_t *b, uint32_t name, uint32_t type, uint64_t addr, uint64_t off,
                 uint64_t size, uint32_t link, uint64_t entsize)
{
    u32(b, name), u32(b, type), u64(b, 0), u64(b, addr), u64(b, off), u64(b, size);
    u32(b, link), u32(b, 0), u64(b, 8), u64(b, entsize);
}

void fuzz_seed(pyro_buf_t *b)
{
    static const char shstr[] = "\0.shstrtab\0.dynsym\0.dynstr\0.PyRuntime";
    static const char dynstr[] = "\0_PyRuntime\0Py_Version";
    /* layout: header 64 | phdr 56 @64 | shstrtab @120 | dynstr @160 |
     * dynsym @192 (3 x 24) | PyRuntime @264 (64) | shdrs @328 (5 x 64) */
    static const unsigned char ident[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    pyro_buf_append(b, ident, 16);
    u16(b, 3), u16(b, 62), u32(b, 1), u64(b, 0), u64(b, 64), u64(b, 328);
    u32(b, 0), u16(b, 64), u16(b, 56), u16(b, 1), u16(b, 64), u16(b, 5), u16(b, 1);
    /* PT_LOAD r-x at 0, whole file */
    u32(b, 1), u32(b, 5), u64(b, 0), u64(b, 0), u64(b, 0), u64(b, 648), u64(b, 648), u64(b, 4096);
    pyro_buf_append(b, shstr, sizeof shstr);
    pyro_buf_fill(b, 0, 160 - b->len);
    pyro_buf_append(b, dynstr, sizeof dynstr);
    pyro_buf_fill(b, 0, 192 - b->len);
    pyro_buf_fill(b, 0, 24); /* the null symbol */
    u32(b, 1), b->len += 0, pyro_buf_u8(b, 0x11), pyro_buf_u8(b, 0), u16(b, 4), u64(b, 264),
        u64(b, 64);
    u32(b, 12), pyro_buf_u8(b, 0x11), pyro_buf_u8(b, 0), u16(b, 4), u64(b, 300), u64(b, 4);
    pyro_buf_append(b, "xdebugpy", 8);
    pyro_buf_fill(b, 0, 328 - b->len);
    shdr(b, 0, 0, 0, 0, 0, 0, 0);
    shdr(b, 1, 3, 0, 120, sizeof shstr, 0, 0);
    shdr(b, 11, 11, 192, 192, 72, 3, 24);
    shdr(b, 19, 3, 160, 160, sizeof dynstr, 0, 0);
    shdr(b, 27, 1, 264, 264, 64, 0, 0);
}

void fuzz_fix(uint8_t *data, size_t size)
{
    (void)data;
    (void)size;
}
