/* SPDX-License-Identifier: MIT */
/* procmaps: "start-end perms offset dev inode [path]" lines. */
#include "remote/procmaps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/alloc.h"
#include "model/buf.h"
#include "model/error.h"

void pyro_maps_free(pyro_maps_t *maps)
{
    for (uint32_t i = 0; i < maps->n; i++)
        pyro_free(maps->m[i].path);
    pyro_free(maps->m);
    memset(maps, 0, sizeof *maps);
}

/* Parse a hex number at *p; advance *p. 0 on failure. */
static int hex(const char **p, const char *end, uint64_t *out)
{
    uint64_t v = 0;
    int digits = 0;
    while (*p < end && digits < 17) {
        char c = **p;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            break;
        v = v << 4 | (uint64_t)d;
        digits++;
        (*p)++;
    }
    if (!digits || digits > 16)
        return 0;
    *out = v;
    return 1;
}

static int skip(const char **p, const char *end, char c)
{
    if (*p >= end || **p != c)
        return 0;
    (*p)++;
    return 1;
}

static void spaces(const char **p, const char *end)
{
    while (*p < end && **p == ' ')
        (*p)++;
}

/* One line (without its newline). */
static int parse_line(const char *p, const char *end, pyro_mapping_t *m)
{
    uint64_t dev_major, dev_minor, inode;
    memset(m, 0, sizeof *m);
    if (!hex(&p, end, &m->start) || !skip(&p, end, '-') || !hex(&p, end, &m->end) ||
        m->end < m->start || !skip(&p, end, ' '))
        return PYRO_EFORMAT;
    if (end - p < 5)
        return PYRO_EFORMAT;
    memcpy(m->perms, p, 4);
    p += 4;
    if (!skip(&p, end, ' ') || !hex(&p, end, &m->offset) || !skip(&p, end, ' ') ||
        !hex(&p, end, &dev_major) || !skip(&p, end, ':') || !hex(&p, end, &dev_minor) ||
        !skip(&p, end, ' '))
        return PYRO_EFORMAT;
    /* inode is decimal */
    inode = 0;
    int digits = 0;
    while (p < end && *p >= '0' && *p <= '9' && digits < 20) {
        inode = inode * 10 + (uint64_t)(*p - '0');
        p++;
        digits++;
    }
    if (!digits)
        return PYRO_EFORMAT;
    spaces(&p, end);
    m->path = pyro_strndup(p, (size_t)(end - p));
    return m->path ? PYRO_OK : PYRO_ENOMEM;
}

int pyro_maps_parse(const char *text, size_t len, pyro_maps_t *maps)
{
    pyro_maps_free(maps);
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (le > p) {
            int rc = pyro_grow((void **)&maps->m, &maps->cap, maps->n, sizeof *maps->m);
            if (rc)
                return rc;
            if ((rc = parse_line(p, le, &maps->m[maps->n])))
                return rc;
            maps->n++;
        }
        p = nl ? nl + 1 : end;
    }
    return PYRO_OK;
}

int pyro_maps_read(int pid, pyro_maps_t *maps)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    pyro_buf_t b;
    pyro_buf_init(&b);
    int rc = pyro_buf_read_file(&b, path, (size_t)1 << 28);
    if (!rc)
        rc = pyro_maps_parse(b.data ? b.data : "", b.len, maps);
    int saved = errno;
    pyro_buf_free(&b);
    errno = saved;
    return rc;
}

static const char *basename_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

const pyro_mapping_t *pyro_maps_find_lib(const pyro_maps_t *maps, const char *prefix)
{
    const pyro_mapping_t *best = NULL;
    size_t n = strlen(prefix);
    for (uint32_t i = 0; i < maps->n; i++) {
        const pyro_mapping_t *m = &maps->m[i];
        if (m->path[0] == '/' && strncmp(basename_of(m->path), prefix, n) == 0 &&
            (!best || m->start < best->start))
            best = m;
    }
    return best;
}

const pyro_mapping_t *pyro_maps_find_path(const pyro_maps_t *maps, const char *path)
{
    const pyro_mapping_t *best = NULL;
    for (uint32_t i = 0; i < maps->n; i++)
        if (strcmp(maps->m[i].path, path) == 0 && (!best || maps->m[i].start < best->start))
            best = &maps->m[i];
    return best;
}
