/* SPDX-License-Identifier: MIT */
/* pyproc: /proc/PID/maps -> ELF symbol -> load bias -> _PyRuntime. */
#include "remote/pyproc.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remote/elf.h"
#include "model/error.h"
#include "remote/procmaps.h"
#include "remote/procmem.h"

int pyro_pyproc_errno(int err)
{
    switch (err) {
    case ESRCH:
    case ENOENT:
        return PYRO_ENOPROC;
    case EPERM:
    case EACCES:
        return PYRO_EPERM;
    default:
        return PYRO_EIO;
    }
}

void pyro_pyproc_version_str(const pyro_pyproc_t *pp, char *out, size_t cap)
{
    unsigned major = pp->version >> 24, minor = (pp->version >> 16) & 0xff;
    unsigned micro = (pp->version >> 8) & 0xff;
    unsigned level = (pp->version >> 4) & 0xf, serial = pp->version & 0xf;
    const char *t = pp->free_threaded ? "t" : "";
    /* PY_RELEASE_LEVEL: 0xA alpha, 0xB beta, 0xC candidate, 0xF final */
    const char *pre = level == 0xA ? "a" : level == 0xB ? "b" : level == 0xC ? "rc" : NULL;
    if (pre)
        snprintf(out, cap, "%u.%u.%u%s%u%s", major, minor, micro, pre, serial, t);
    else if (micro || (pp->version & 0xff))
        snprintf(out, cap, "%u.%u.%u%s", major, minor, micro, t);
    else
        snprintf(out, cap, "%u.%u%s", major, minor, t);
}

void pyro_pyproc_refusal(const pyro_pyproc_t *pp, char *out, size_t cap)
{
    char ver[32], reads[128] = "", *p = reads;
    pyro_pyproc_version_str(pp, ver, sizeof ver);
    unsigned lo = 0xff, hi = 0;
    for (unsigned i = 0; i < pyro_nlayouts; i++) {
        unsigned m = (pyro_layouts[i].version >> 16) & 0xff;
        if (!pyro_layouts[i].free_threaded) {
            lo = m < lo ? m : lo;
            hi = m > hi ? m : hi;
        }
    }
    p += snprintf(p, sizeof reads, "3.%u-3.%u", lo, hi);
    for (unsigned i = 0, first = 1; i < pyro_nlayouts; i++)
        if (pyro_layouts[i].free_threaded && p < reads + sizeof reads - 24) {
            p += snprintf(p, 24, "%s3.%ut", first ? ", free-threaded " : ", ",
                          (pyro_layouts[i].version >> 16) & 0xff);
            first = 0;
        }
    snprintf(out, cap, "runs Python %s, which pyrometer cannot read (it reads %s)", ver, reads);
}

/* "python3.11" / "libpython3.11.so.1.0" -> 0x030B0000; 0 if no version in it. */
static uint32_t version_from_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *p = strstr(base, "python3.");
    if (!p)
        return 0;
    p += strlen("python3.");
    char *end;
    long minor = strtol(p, &end, 10);
    if (end == p || minor < 0 || minor > 99)
        return 0;
    return 0x03000000u | (uint32_t)minor << 16;
}

/* Open the ELF file of a mapping, as the target sees it. */
static int open_elf(int pid, const char *path, pyro_elf_t *e)
{
    char via_root[PATH_MAX + 32];
    snprintf(via_root, sizeof via_root, "/proc/%d/root%s", pid, path);
    int rc = pyro_elf_open(via_root, e);
    if (rc == PYRO_EIO)
        rc = pyro_elf_open(path, e);
    return rc;
}

/* The runtime's link-time address in `e`: the _PyRuntime symbol, or the
 * .PyRuntime section (3.10+) for stripped binaries. */
static int runtime_vaddr(const pyro_elf_t *e, uint64_t *vaddr)
{
    int rc = pyro_elf_symbol(e, "_PyRuntime", vaddr);
    if (rc == PYRO_EINVAL) {
        uint64_t size;
        rc = pyro_elf_section(e, ".PyRuntime", vaddr, &size, NULL);
    }
    return rc;
}

int pyro_pyproc_describe(pyro_pyproc_t *pp)
{
    pp->layout_from_target = 0;
    if ((pp->version >> 24) != 3)
        return PYRO_ENOTPY;
    /* 3.13+: the runtime describes itself (and says whether it is
     * free-threaded: without that, it is not read at all) */
    if (pp->version >= 0x030D0000) {
        unsigned char dbg[PYRO_DEBUG_OFFSETS_SIZE];
        if (pyro_mem_read(pp->pid, pp->runtime, dbg, sizeof dbg))
            return pyro_pyproc_errno(errno);
        uint32_t version;
        int ft;
        int rc = pyro_layout_from_debug_offsets(dbg, sizeof dbg, &pp->layout, &version, &ft);
        if (rc != PYRO_EFORMAT && (version & 0xffff0000) == (pp->version & 0xffff0000)) {
            pp->version = version; /* with its release level and serial */
            pp->free_threaded = ft;
        }
        if (rc == PYRO_OK)
            pp->layout_from_target = 1;
        return rc == PYRO_EVERSION ? PYRO_EUNSUPPORTED : rc;
    }
    const pyro_layout_t *l = pyro_layout_for(pp->version, 0);
    if (!l)
        return PYRO_EUNSUPPORTED;
    pp->layout = *l;
    return PYRO_OK;
}

int pyro_pyproc_open(int pid, pyro_pyproc_t *pp)
{
    memset(pp, 0, sizeof *pp);
    pp->pid = pid;
    pyro_maps_t maps = {0};
    pyro_elf_t elf = {0};
    int rc = pyro_maps_read(pid, &maps);
    if (rc) {
        rc = rc == PYRO_EIO ? pyro_pyproc_errno(errno) : rc;
        goto cleanup;
    }
    /* the runtime is in libpython when the interpreter is linked shared */
    const pyro_mapping_t *m = pyro_maps_find_lib(&maps, "libpython3.");
    if (!m) {
        char link[64], exe[PATH_MAX];
        snprintf(link, sizeof link, "/proc/%d/exe", pid);
        ssize_t n = readlink(link, exe, sizeof exe - 1);
        if (n <= 0) {
            rc = pyro_pyproc_errno(errno);
            goto cleanup;
        }
        exe[n] = '\0';
        m = pyro_maps_find_path(&maps, exe);
        if (!m) {
            rc = PYRO_ENOTPY;
            goto cleanup;
        }
    }
    snprintf(pp->binary, sizeof pp->binary, "%s", m->path);
    rc = open_elf(pid, m->path, &elf);
    if (rc) {
        rc = rc == PYRO_EIO ? pyro_pyproc_errno(errno) : rc;
        goto cleanup;
    }
    uint64_t rt, base;
    if ((rc = runtime_vaddr(&elf, &rt)) == PYRO_EINVAL) {
        rc = PYRO_ENOTPY;
        goto cleanup;
    }
    if (rc || (rc = pyro_elf_base_vaddr(&elf, &base)))
        goto cleanup;
    uint64_t bias = m->start - m->offset - base;
    pp->runtime = bias + rt;
    /* the version: Py_Version (3.11+), else the file's name */
    uint64_t pyv;
    if (pyro_elf_symbol(&elf, "Py_Version", &pyv) == PYRO_OK) {
        uint32_t v = 0;
        if (pyro_mem_read(pid, bias + pyv, &v, sizeof v)) {
            rc = pyro_pyproc_errno(errno);
            goto cleanup;
        }
        pp->version = v;
    } else {
        pp->version = version_from_name(m->path);
    }
    rc = pyro_pyproc_describe(pp);
cleanup:
    pyro_elf_close(&elf);
    pyro_maps_free(&maps);
    return rc;
}
