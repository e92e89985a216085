/* SPDX-License-Identifier: MIT */
/* elf: bounds-checked reads of the ELF header, program and section headers. */
#include "remote/elf.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/error.h"

#define SHT_SYMTAB 2
#define SHT_DYNSYM 11
#define SHN_UNDEF 0
#define PT_LOAD 1

static uint64_t rd(const pyro_elf_t *e, uint64_t off, int n, int *ok)
{
    if (off > e->len || (uint64_t)n > e->len - off) {
        *ok = 0;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)e->data[off + (uint64_t)i] << (8 * i);
    return v;
}

int pyro_elf_init(pyro_elf_t *e, const void *data, size_t len)
{
    e->data = data;
    e->len = len;
    e->map = NULL;
    static const unsigned char magic[4] = {0x7f, 'E', 'L', 'F'};
    if (len < 64 || memcmp(data, magic, 4) != 0 || e->data[4] != 2 /* 64-bit */ ||
        e->data[5] != 1 /* little-endian */)
        return PYRO_EFORMAT;
    return PYRO_OK;
}

int pyro_elf_open(const char *path, pyro_elf_t *e)
{
    memset(e, 0, sizeof *e);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return PYRO_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 64) {
        close(fd);
        errno = errno ? errno : EINVAL;
        return st.st_size < 64 ? PYRO_EFORMAT : PYRO_EIO;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int saved = errno;
    close(fd);
    if (map == MAP_FAILED) {
        errno = saved;
        return PYRO_EIO;
    }
    int rc = pyro_elf_init(e, map, (size_t)st.st_size);
    e->map = map;
    if (rc)
        pyro_elf_close(e);
    return rc;
}

void pyro_elf_close(pyro_elf_t *e)
{
    if (e->map)
        munmap(e->map, e->len);
    memset(e, 0, sizeof *e);
}

/* Section header `i`: type, offset, size, link, name, addr. */
typedef struct shdr {
    uint32_t name, type, link;
    uint64_t addr, offset, size, entsize;
} shdr_t;

static int section(const pyro_elf_t *e, uint32_t i, shdr_t *s)
{
    int ok = 1;
    uint64_t shoff = rd(e, 0x28, 8, &ok);
    uint64_t shentsize = rd(e, 0x3a, 2, &ok), shnum = rd(e, 0x3c, 2, &ok);
    if (!ok || i >= shnum || shentsize < 64)
        return PYRO_EFORMAT;
    uint64_t at = shoff + (uint64_t)i * shentsize;
    if (shoff > e->len || at < shoff)
        return PYRO_EFORMAT;
    s->name = (uint32_t)rd(e, at, 4, &ok);
    s->type = (uint32_t)rd(e, at + 4, 4, &ok);
    s->addr = rd(e, at + 16, 8, &ok);
    s->offset = rd(e, at + 24, 8, &ok);
    s->size = rd(e, at + 32, 8, &ok);
    s->link = (uint32_t)rd(e, at + 40, 4, &ok);
    s->entsize = rd(e, at + 56, 8, &ok);
    return ok ? PYRO_OK : PYRO_EFORMAT;
}

static uint32_t nsections(const pyro_elf_t *e)
{
    int ok = 1;
    uint64_t n = rd(e, 0x3c, 2, &ok);
    return ok ? (uint32_t)n : 0;
}

/* NUL-terminated string at `off` within the string-table section `strtab`;
 * NULL if it runs past the section. */
static const char *string_at(const pyro_elf_t *e, const shdr_t *strtab, uint64_t off)
{
    if (strtab->offset > e->len || strtab->size > e->len - strtab->offset || off >= strtab->size)
        return NULL;
    const char *s = (const char *)e->data + strtab->offset + off;
    if (!memchr(s, '\0', (size_t)(strtab->size - off)))
        return NULL;
    return s;
}

static int find_in(const pyro_elf_t *e, uint32_t type, const char *name, uint64_t *value)
{
    uint32_t n = nsections(e);
    for (uint32_t i = 0; i < n; i++) {
        shdr_t s, str;
        if (section(e, i, &s))
            return PYRO_EFORMAT;
        if (s.type != type)
            continue;
        if (section(e, s.link, &str) || s.entsize < 24 || s.offset > e->len ||
            s.size > e->len - s.offset)
            return PYRO_EFORMAT;
        uint64_t count = s.size / s.entsize;
        for (uint64_t k = 0; k < count; k++) {
            uint64_t at = s.offset + k * s.entsize;
            int ok = 1;
            uint64_t st_name = rd(e, at, 4, &ok);
            uint64_t st_shndx = rd(e, at + 6, 2, &ok);
            uint64_t st_value = rd(e, at + 8, 8, &ok);
            if (!ok)
                return PYRO_EFORMAT;
            if (st_shndx == SHN_UNDEF)
                continue;
            const char *sym = string_at(e, &str, st_name);
            if (sym && strcmp(sym, name) == 0) {
                *value = st_value;
                return PYRO_OK;
            }
        }
    }
    return PYRO_EINVAL;
}

int pyro_elf_symbol(const pyro_elf_t *e, const char *name, uint64_t *value)
{
    int rc = find_in(e, SHT_DYNSYM, name, value);
    if (rc == PYRO_EINVAL)
        rc = find_in(e, SHT_SYMTAB, name, value);
    return rc;
}

int pyro_elf_section(const pyro_elf_t *e, const char *name, uint64_t *addr, uint64_t *size,
                     uint64_t *offset)
{
    int ok = 1;
    uint64_t shstrndx = rd(e, 0x3e, 2, &ok);
    shdr_t names;
    if (!ok || section(e, (uint32_t)shstrndx, &names))
        return PYRO_EFORMAT;
    uint32_t n = nsections(e);
    for (uint32_t i = 0; i < n; i++) {
        shdr_t s;
        if (section(e, i, &s))
            return PYRO_EFORMAT;
        const char *sn = string_at(e, &names, s.name);
        if (sn && strcmp(sn, name) == 0) {
            *addr = s.addr;
            *size = s.size;
            if (offset)
                *offset = s.offset;
            return PYRO_OK;
        }
    }
    return PYRO_EINVAL;
}

int pyro_elf_base_vaddr(const pyro_elf_t *e, uint64_t *vaddr)
{
    int ok = 1;
    uint64_t phoff = rd(e, 0x20, 8, &ok);
    uint64_t phentsize = rd(e, 0x36, 2, &ok), phnum = rd(e, 0x38, 2, &ok);
    if (!ok || phentsize < 56)
        return PYRO_EFORMAT;
    for (uint64_t i = 0; i < phnum; i++) {
        uint64_t at = phoff + i * phentsize;
        uint64_t type = rd(e, at, 4, &ok);
        uint64_t va = rd(e, at + 16, 8, &ok);
        uint64_t align = rd(e, at + 48, 8, &ok);
        if (!ok)
            return PYRO_EFORMAT;
        if (type == PT_LOAD) {
            if (align && (align & (align - 1)) == 0)
                va &= ~(align - 1);
            else
                va &= ~(uint64_t)0xfff;
            *vaddr = va;
            return PYRO_OK;
        }
    }
    return PYRO_EFORMAT;
}
