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
#include "model/buf.h"
#include "model/error.h"
#include "remote/linetable.h"
#include "remote/procmaps.h"
#include "remote/procmem.h"
#include "pyabi/pyabi.h"
#include "remote/pyproc.h"
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

/* The .PyRuntime section of each installed libpython 3.13+ (default and
 * free-threaded builds) holds _Py_DebugOffsets as initialized data: decode
 * it through the generated map and compare with the table generated from
 * the headers of the same version and build kind. Versions not installed
 * are named (and the synthetic tests below still cover their maps). */
static void test_debug_offsets_installed(void)
{
    const char *root = getenv("PYENV_ROOT");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/versions", root ? root : "/root/.pyenv");
    int found = 0;
    for (unsigned i = 0; i < pyro_nlayouts; i++) {
        const pyro_layout_t *t = &pyro_layouts[i];
        unsigned minor = (t->version >> 16) & 0xff;
        if (minor < 13)
            continue;
        char prefix[16], lib[1024] = "";
        snprintf(prefix, sizeof prefix, "3.%u.", minor);
        DIR *d = opendir(dir);
        struct dirent *ent;
        while (d && (ent = readdir(d))) {
            size_t n = strlen(ent->d_name);
            int ft = n && ent->d_name[n - 1] == 't';
            if (strncmp(ent->d_name, prefix, strlen(prefix)) == 0 && ft == t->free_threaded)
                snprintf(lib, sizeof lib, "%s/%s/lib/libpython3.%u%s.so.1.0", dir, ent->d_name,
                         minor, ft ? "t" : "");
        }
        if (d)
            closedir(d);
        pyro_elf_t e;
        if (!lib[0] || pyro_elf_open(lib, &e) != PYRO_OK) {
            fprintf(stderr, "  (no libpython3.%u%s installed: its debug offsets not checked)\n",
                    minor, t->free_threaded ? "t" : "");
            continue;
        }
        found++;
        uint64_t addr, size, off;
        CHECK(pyro_elf_section(&e, ".PyRuntime", &addr, &size, &off) == PYRO_OK);
        CHECK(off + PYRO_DEBUG_OFFSETS_SIZE <= e.len && size >= PYRO_DEBUG_OFFSETS_SIZE);
        pyro_layout_t l;
        uint32_t version = 0;
        int ft = -1;
        int rc = pyro_layout_from_debug_offsets(e.data + off, PYRO_DEBUG_OFFSETS_SIZE, &l, &version,
                                                &ft);
        pyro_elf_close(&e);
        CHECK(rc == PYRO_OK);
        CHECK((version & 0xffff0000) == t->version && ft == t->free_threaded);
        /* every field the debug offsets give agrees with the headers; the
         * rest is the table's */
        CHECK(memcmp(&l, t, sizeof l) == 0);
    }
    fprintf(stderr, "  (debug offsets of %d installed 3.13+ builds checked)\n", found);
}

/* The _Py_DebugOffsets of every build with a table, as its libpython
 * initializes them (captured by scripts/capture_debug_offsets.py into
 * tests/data/debug-offsets, so that no CPython need be installed): each
 * decodes through its version's map to its table; cut short, it is
 * refused; renamed 3.16.0a1, it is refused by name. */
static void test_debug_offsets_captured(void)
{
    int n = 0;
    for (unsigned i = 0; i < pyro_nlayouts; i++) {
        const pyro_layout_t *t = &pyro_layouts[i];
        unsigned minor = (t->version >> 16) & 0xff;
        if (minor < 13)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/debug-offsets/3.%u%s.bin", PYRO_TEST_DATA, minor,
                 t->free_threaded ? "t" : "");
        pyro_buf_t b;
        pyro_buf_init(&b);
        CHECK(pyro_buf_read_file(&b, path, 1 << 16) == PYRO_OK); /* every table has its capture */
        const pyro_dbgmap_t *m = pyro_dbgmap_for(t->version);
        if (b.len && m) {
            n++;
            pyro_layout_t l;
            uint32_t version = 0;
            int ft = -1;
            CHECK(b.len == (size_t)m->size);
            CHECK(pyro_layout_from_debug_offsets(b.data, b.len, &l, &version, &ft) == PYRO_OK);
            CHECK((version & 0xffff0000) == t->version && ft == t->free_threaded);
            CHECK(memcmp(&l, t, sizeof l) == 0);
            CHECK(pyro_layout_from_debug_offsets(b.data, b.len - 8, &l, &version, &ft) ==
                  PYRO_EFORMAT);
            unsigned char *d = (unsigned char *)b.data;
            d[8] = 0xa1, d[9] = 0x00, d[10] = 0x10, d[11] = 0x03; /* 3.16.0a1 */
            CHECK(pyro_layout_from_debug_offsets(b.data, b.len, &l, &version, &ft) ==
                  PYRO_EVERSION);
            CHECK(version == 0x031000a1 && ft == t->free_threaded);
        }
        pyro_buf_free(&b);
    }
    CHECK(n >= 2);
}

/* Write `v` at 8-byte slot `i` of a debug-offsets image. */
static void put_slot(unsigned char *d, int i, uint64_t v)
{
    for (int b = 0; b < 8; b++)
        d[8 * i + b] = (unsigned char)(v >> (8 * b));
}

/* A _Py_DebugOffsets image of `t` built through the map `m` (what the
 * target's CPython would hold, for the fields pyrometer reads). */
static void make_image(const pyro_dbgmap_t *m, const pyro_layout_t *t, uint32_t version,
                       unsigned char *d, size_t len)
{
    memset(d, 0, len);
    memcpy(d, "xdebugpy", 8);
    put_slot(d, 1, version);
    put_slot(d, 2, (uint64_t)t->free_threaded);
    const uint64_t gil = 4000; /* the GIL state's place in the interpreter */
    put_slot(d, m->gil_state, gil);
    const int32_t *slot = &m->slot.rt_interpreters_head, *val = &t->rt_interpreters_head;
    size_t n = (sizeof *t - offsetof(pyro_layout_t, rt_interpreters_head)) / sizeof(int32_t);
    for (size_t i = 0; i < n; i++)
        if (slot[i] > 0)
            put_slot(d, slot[i], (uint64_t)(int64_t)val[i]);
    put_slot(d, m->slot.gil_locked, gil + (uint64_t)t->gil_locked);
    put_slot(d, m->slot.gil_last_holder, gil + (uint64_t)t->gil_last_holder);
}

/* Every generated map, with the table of each build kind of its version:
 * an image built through the map decodes to the table; what CPython says
 * about its own layout (frame.previous at slot 29 in 3.13, 32 in 3.14, 40
 * in 3.15) holds; a version or build kind without a table is refused by
 * name (its version and kind still reported), never read with a guess. */
static void test_debug_offsets_maps(void)
{
    static unsigned char d[PYRO_DEBUG_OFFSETS_SIZE];
    pyro_layout_t l;
    uint32_t version;
    int ft;
    CHECK(pyro_ndbgmaps >= 2);
    for (unsigned i = 0; i < pyro_ndbgmaps; i++) {
        const pyro_dbgmap_t *m = &pyro_dbgmaps[i];
        CHECK(m->size > 0 && m->size <= PYRO_DEBUG_OFFSETS_SIZE);
        CHECK(pyro_dbgmap_for(m->version | 0x07f0) == m);
        unsigned minor = (m->version >> 16) & 0xff;
        int previous = minor == 13 ? 29 : minor == 14 ? 32 : minor == 15 ? 40 : -1;
        CHECK(previous < 0 || m->slot.frame_previous == previous);
        for (int kind = 0; kind < 2; kind++) {
            const pyro_layout_t *t = pyro_layout_for(m->version, kind);
            if (!t) {
                make_image(m, pyro_layout_for(m->version, 0), m->version | 0x07f0, d, sizeof d);
                put_slot(d, 2, (uint64_t)kind);
                CHECK(pyro_layout_from_debug_offsets(d, sizeof d, &l, &version, &ft) ==
                      PYRO_EVERSION);
                CHECK(version == (m->version | 0x07f0) && ft == kind);
                continue;
            }
            make_image(m, t, m->version | 0x0201, d, sizeof d);
            CHECK(pyro_layout_from_debug_offsets(d, sizeof d, &l, &version, &ft) == PYRO_OK);
            CHECK(version == (m->version | 0x0201) && ft == kind);
            CHECK(memcmp(&l, t, sizeof l) == 0);
            /* a field moved by the target is read where it says */
            put_slot(d, m->slot.frame_previous, 72);
            CHECK(pyro_layout_from_debug_offsets(d, sizeof d, &l, &version, &ft) == PYRO_OK);
            CHECK(l.frame_previous == 72);
            /* implausible offsets, a short read */
            put_slot(d, m->slot.frame_previous, 1u << 30);
            CHECK(pyro_layout_from_debug_offsets(d, sizeof d, &l, &version, &ft) == PYRO_EFORMAT);
            make_image(m, t, m->version, d, sizeof d);
            CHECK(pyro_layout_from_debug_offsets(d, (size_t)m->size - 8, &l, &version, &ft) ==
                  PYRO_EFORMAT);
        }
    }
    /* a version pyrometer has no map for (3.16.0a1): refused, named */
    const pyro_dbgmap_t *last = &pyro_dbgmaps[pyro_ndbgmaps - 1];
    make_image(last, pyro_layout_for(last->version, 0), 0x031000a1, d, sizeof d);
    version = 0;
    CHECK(pyro_layout_from_debug_offsets(d, sizeof d, &l, &version, &ft) == PYRO_EVERSION);
    CHECK(version == 0x031000a1 && ft == 0);
    /* a free-threaded build without a table (above, for each map whose
     * version lacks one; here 3.16.0a1t): refused, its kind named, never
     * read with the default build's layout */
    put_slot(d, 2, 1);
    CHECK(pyro_layout_from_debug_offsets(d, sizeof d, &l, &version, &ft) == PYRO_EVERSION);
    CHECK(version == 0x031000a1 && ft == 1);
    /* no cookie, a nonsense build kind */
    put_slot(d, 2, 7);
    CHECK(pyro_layout_from_debug_offsets(d, sizeof d, &l, &version, &ft) == PYRO_EFORMAT);
    d[0] = 'y';
    CHECK(pyro_layout_from_debug_offsets(d, sizeof d, &l, &version, &ft) == PYRO_EFORMAT);
    /* before 3.13 there are tables only */
    CHECK(!pyro_dbgmap_for(0x030C0000) && pyro_layout_for(0x030C0000, 0));
}

/* A target's version as pyrometer prints and stores it. */
static void test_version_names(void)
{
    pyro_pyproc_t pp = {0};
    char s[160];
    static const struct {
        uint32_t v;
        int ft;
        const char *want;
    } cases[] = {
        {0x030B07F0, 0, "3.11.7"},    {0x030F00C1, 0, "3.15.0rc1"}, {0x030E07F0, 1, "3.14.7t"},
        {0x030E00B2, 1, "3.14.0b2t"}, {0x031000A1, 0, "3.16.0a1"},  {0x030A0000, 0, "3.10"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pp.version = cases[i].v;
        pp.free_threaded = cases[i].ft;
        pyro_pyproc_version_str(&pp, s, sizeof s);
        CHECK(strcmp(s, cases[i].want) == 0);
    }
    pp.version = 0x031000A1;
    pp.free_threaded = 0;
    pyro_pyproc_refusal(&pp, s, sizeof s);
    CHECK(strncmp(s, "runs Python 3.16.0a1, which pyrometer cannot read (it reads 3.9-3.", 66) ==
          0);
    pp.version = 0x030D00F0;
    pp.free_threaded = 1;
    pyro_pyproc_refusal(&pp, s, sizeof s);
    CHECK(strstr(s, "runs Python 3.13.0t, which") == s);
}

void suite_remote(void)
{
    RUN(test_maps_parse);
    RUN(test_elf_self);
    RUN(test_procmem_self);
    RUN(test_procmem_vectored);
    RUN(test_linetables);
    RUN(test_debug_offsets_installed);
    RUN(test_debug_offsets_captured);
    RUN(test_debug_offsets_maps);
    RUN(test_version_names);
}
