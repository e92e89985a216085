/* SPDX-License-Identifier: MIT */
/* test_remote: the pieces that read other processes: /proc maps text, ELF
 * symbols, line tables of every CPython version, and 3.13's debug offsets
 * against the generated layout table. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remote/elf.h"
#include "model/error.h"
#include "remote/linetable.h"
#include "remote/procmaps.h"
#include "remote/procmem.h"
#include "pyabi/pyabi.h"
#include "test.h"

static void test_maps_parse(void)
{
    static const char text[] =
        "55d0c0000000-55d0c0001000 r--p 00000000 08:01 123 /usr/bin/python3.11\n"
        "7f00aa000000-7f00aa100000 r-xp 00010000 fd:00 42   /opt/lib/libpython3.12.so.1.0\n"
        "7f00a9000000-7f00a9010000 r--p 00000000 fd:00 42   /opt/lib/libpython3.12.so.1.0\n"
        "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n"
        "7f00b0000000-7f00b0001000 rw-p 00000000 00:00 0 \n";
    pyro_maps_t m = {0};
    CHECK(pyro_maps_parse(text, sizeof text - 1, &m) == PYRO_OK);
    CHECK(m.n == 5);
    CHECK(m.m[1].start == 0x7f00aa000000ull && m.m[1].offset == 0x10000 &&
          strcmp(m.m[1].perms, "r-xp") == 0);
    CHECK(strcmp(m.m[3].path, "[stack]") == 0 && m.m[4].path[0] == '\0');
    const pyro_mapping_t *lib = pyro_maps_find_lib(&m, "libpython3.");
    CHECK(lib && lib->start == 0x7f00a9000000ull); /* the lowest mapping of the file */
    CHECK(pyro_maps_find_path(&m, "/usr/bin/python3.11") == &m.m[0]);
    CHECK(pyro_maps_find_lib(&m, "libc.") == NULL);
    pyro_maps_free(&m);
    static const char *bad[] = {"xyz\n", "1000-0fff r--p 0 00:00 0\n", "1000-2000 r--p\n",
                                "1000-2000 r--p 0 00:00 \n", "10000000000000000-1 r--p 0 0:0 0\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(pyro_maps_parse(bad[i], strlen(bad[i]), &m) == PYRO_EFORMAT);
        pyro_maps_free(&m);
    }
    /* our own process */
    CHECK(pyro_maps_read(getpid(), &m) == PYRO_OK && m.n > 5);
    pyro_maps_free(&m);
}

static void test_elf_self(void)
{
    /* find one of our own functions in our own binary, and check where the
     * file says it is against where it really is */
    pyro_elf_t e;
    CHECK(pyro_elf_open("/proc/self/exe", &e) == PYRO_OK);
    uint64_t value, base;
    CHECK(pyro_elf_symbol(&e, "pyro_elf_open", &value) == PYRO_OK);
    CHECK(pyro_elf_base_vaddr(&e, &base) == PYRO_OK);
    CHECK(pyro_elf_symbol(&e, "no_such_symbol_anywhere", &value) == PYRO_EINVAL);
    uint64_t addr, size;
    CHECK(pyro_elf_section(&e, ".text", &addr, &size, NULL) == PYRO_OK && size > 0);
    pyro_maps_t m = {0};
    CHECK(pyro_maps_read(getpid(), &m) == PYRO_OK);
    char exe[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(n > 0);
    exe[n] = '\0';
    const pyro_mapping_t *map = pyro_maps_find_path(&m, exe);
    CHECK(map);
    CHECK(pyro_elf_symbol(&e, "pyro_elf_open", &value) == PYRO_OK);
    CHECK(map->start - map->offset - base + value == (uint64_t)(uintptr_t)&pyro_elf_open);
    pyro_maps_free(&m);
    pyro_elf_close(&e);
    /* not ELF, truncated ELF */
    CHECK(pyro_elf_init(&e, "hello", 5) == PYRO_EFORMAT);
    unsigned char hdr[64] = {0x7f, 'E', 'L', 'F', 2, 1};
    CHECK(pyro_elf_init(&e, hdr, sizeof hdr) == PYRO_OK);
    CHECK(pyro_elf_symbol(&e, "x", &value) == PYRO_EINVAL);
    CHECK(pyro_elf_base_vaddr(&e, &base) == PYRO_EFORMAT);
}

static void test_procmem_self(void)
{
    static const char secret[] = "pyrometer reads this";
    char buf[sizeof secret];
    CHECK(pyro_mem_read(getpid(), (uint64_t)(uintptr_t)secret, buf, sizeof buf) == PYRO_OK);
    CHECK(memcmp(buf, secret, sizeof secret) == 0);
    CHECK(pyro_mem_read(getpid(), 8, buf, 4) == PYRO_EIO); /* unmapped */
    CHECK(pyro_mem_read(getpid(), 0, buf, 4) == PYRO_EIO);
}

static void test_procmem_vectored(void)
{
    enum { N = 150 }; /* over one batch of iovecs */
    static uint64_t words[N];
    static uint64_t got[N];
    pyro_mem_piece_t p[N];
    for (int i = 0; i < N; i++) {
        words[i] = 1000u + (uint64_t)i;
        got[i] = 0;
        p[i] = (pyro_mem_piece_t){(uint64_t)(uintptr_t)&words[N - 1 - i], &got[i], 8};
    }
    CHECK(pyro_mem_readv(getpid(), p, N) == N);
    for (int i = 0; i < N; i++)
        CHECK(got[i] == 1000u + (uint64_t)(N - 1 - i));
    /* an unmapped piece ends the read: the pieces before it are whole */
    p[100].addr = 8;
    CHECK(pyro_mem_readv(getpid(), p, N) == 100);
    p[0].addr = 8;
    CHECK(pyro_mem_readv(getpid(), p, N) == 0);
    CHECK(pyro_mem_readv(getpid(), p, 0) == 0);
    /* a process that is not there */
    CHECK(pyro_mem_readv(0x7ffffff0, p + 1, 4) == -1);
}

static void test_linetables(void)
{
    /* 3.9 lnotab: line 10 at byte 0, +1 at 6, +2 at 14 (byte offsets) */
    static const unsigned char lnotab[] = {6, 1, 8, 2};
    CHECK(pyro_line_for(0x03090000, lnotab, 4, 10, 0) == 10);
    CHECK(pyro_line_for(0x03090000, lnotab, 4, 10, 5) == 10);
    CHECK(pyro_line_for(0x03090000, lnotab, 4, 10, 6) == 11);
    CHECK(pyro_line_for(0x03090000, lnotab, 4, 10, 20) == 13);
    /* 3.10: ranges [0,4) line 10+0, [4,10) no line, [10,16) line 12 */
    static const unsigned char lt310[] = {4, 0, 6, 0x80, 6, 2};
    CHECK(pyro_line_for(0x030A0000, lt310, 6, 10, 1) == 10); /* byte 2 */
    CHECK(pyro_line_for(0x030A0000, lt310, 6, 10, 3) == 10); /* byte 6: no line -> previous */
    CHECK(pyro_line_for(0x030A0000, lt310, 6, 10, 6) == 12); /* byte 12 */
    /* 3.11+: short form (same line, 2 units), one-line +1 (3 units), no
     * location (1 unit), no-column form -2 via svarint (2 units), long form +5 */
    static const unsigned char loc[] = {
        0x80 | (0 << 3) | 1,  0x00,                   /* units 0-1: line 7 */
        0x80 | (11 << 3) | 2, 0x01, 0x05,             /* units 2-4: line 8 */
        0x80 | (15 << 3) | 0,                         /* unit 5: none */
        0x80 | (13 << 3) | 1, 0x05,                   /* units 6-7: line 8-2 = 6 (svarint 5 = -2) */
        0x80 | (14 << 3) | 0, 0x0a, 0x00, 0x01, 0x02, /* unit 8: line 6+5 = 11 */
    };
    CHECK(pyro_line_for(0x030B0000, loc, sizeof loc, 7, 0) == 7);
    CHECK(pyro_line_for(0x030B0000, loc, sizeof loc, 7, 4) == 8);
    CHECK(pyro_line_for(0x030B0000, loc, sizeof loc, 7, 5) == 8); /* none: previous */
    CHECK(pyro_line_for(0x030C0000, loc, sizeof loc, 7, 7) == 6);
    CHECK(pyro_line_for(0x030D0000, loc, sizeof loc, 7, 8) == 11);
    CHECK(pyro_line_for(0x030D0000, loc, sizeof loc, 7, 99) == 11);
    CHECK(pyro_line_for(0x030D0000, loc, sizeof loc, 7, -1) == 7); /* not started */
    CHECK(pyro_line_for(0x030D0000, NULL, 0, 7, 3) == 7);
    /* garbage never reads past the end */
    static const unsigned char junk[] = {0xff, 0xff, 0xff};
    CHECK(pyro_line_for(0x030D0000, junk, sizeof junk, 1, 50) >= 0 ||
          pyro_line_for(0x030D0000, junk, sizeof junk, 1, 50) < 0);
}

/* The .PyRuntime section of libpython3.13 holds _Py_DebugOffsets as
 * initialized data: decode it and compare with the table generated from the
 * headers. Skipped (but reported) when no 3.13 library is installed. */
static void test_debug_offsets_match_table(void)
{
    const char *root = getenv("PYENV_ROOT");
    char dir[512], lib[1024] = "";
    snprintf(dir, sizeof dir, "%s/versions", root ? root : "/root/.pyenv");
    DIR *d = opendir(dir);
    struct dirent *ent;
    while (d && (ent = readdir(d)))
        if (strncmp(ent->d_name, "3.13.", 5) == 0)
            snprintf(lib, sizeof lib, "%s/%s/lib/libpython3.13.so.1.0", dir, ent->d_name);
    if (d)
        closedir(d);
    pyro_elf_t e;
    if (!lib[0] || pyro_elf_open(lib, &e) != PYRO_OK) {
        fprintf(stderr, "  (no libpython3.13 installed: debug offsets not checked)\n");
        return;
    }
    uint64_t addr, size, off;
    CHECK(pyro_elf_section(&e, ".PyRuntime", &addr, &size, &off) == PYRO_OK);
    CHECK(off + PYRO_DEBUG_OFFSETS_SIZE <= e.len && size >= PYRO_DEBUG_OFFSETS_SIZE);
    pyro_layout_t l;
    int rc = pyro_layout_from_debug_offsets(e.data + off, PYRO_DEBUG_OFFSETS_SIZE, &l);

    pyro_elf_close(&e);
    CHECK(rc == PYRO_OK);
    const pyro_layout_t *t = pyro_layout_for(0x030D0000);
    CHECK(t);
    CHECK(l.rt_interpreters_head == t->rt_interpreters_head && l.interp_next == t->interp_next);
    CHECK(l.interp_threads_head == t->interp_threads_head && l.interp_gil == t->interp_gil);
    CHECK(l.gil_locked == t->gil_locked && l.gil_last_holder == t->gil_last_holder);
    CHECK(l.ts_next == t->ts_next && l.ts_frame == t->ts_frame &&
          l.ts_thread_id == t->ts_thread_id);
    CHECK(l.ts_native_thread_id == t->ts_native_thread_id);
    CHECK(l.frame_previous == t->frame_previous && l.frame_code == t->frame_code);
    CHECK(l.frame_instr == t->frame_instr && l.frame_owner == t->frame_owner);
    CHECK(l.co_name == t->co_name && l.co_qualname == t->co_qualname &&
          l.co_filename == t->co_filename);
    CHECK(l.co_firstlineno == t->co_firstlineno && l.co_linetable == t->co_linetable);
    CHECK(l.co_code_adaptive == t->co_code_adaptive);
    CHECK(l.unicode_state == t->unicode_state && l.unicode_length == t->unicode_length);
    CHECK(l.unicode_ascii_size == t->unicode_ascii_size);
    CHECK(l.unicode_compact_size == t->unicode_compact_size);
    CHECK(l.bytes_size == t->bytes_size && l.bytes_sval == t->bytes_sval);
    /* read from the debug offsets too: what thread names need */
    CHECK(l.interp_modules == t->interp_modules && l.tp_flags == t->tp_flags);
    CHECK(l.dict_keys == t->dict_keys && l.dict_values == t->dict_values);
    CHECK(l.long_size == t->long_size && l.long_digit == t->long_digit);
    CHECK(memcmp(&l, t, sizeof l) == 0); /* the rest comes from the table */
    /* a wrong cookie or an unknown version is refused */
    unsigned char junk[PYRO_DEBUG_OFFSETS_SIZE] = "xdebugpy";
    junk[8] = 0x00, junk[9] = 0x00, junk[10] = 0x0e, junk[11] = 0x03; /* 3.14 */
    CHECK(pyro_layout_from_debug_offsets(junk, sizeof junk, &l) == PYRO_EVERSION);
    junk[0] = 'y';
    CHECK(pyro_layout_from_debug_offsets(junk, sizeof junk, &l) == PYRO_EFORMAT);
}

void suite_remote(void)
{
    RUN(test_maps_parse);
    RUN(test_elf_self);
    RUN(test_procmem_self);
    RUN(test_procmem_vectored);
    RUN(test_linetables);
    RUN(test_debug_offsets_match_table);
}
