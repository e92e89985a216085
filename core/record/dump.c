/* SPDX-License-Identifier: MIT */
/* dump: the process header, then one block (or object) per thread. */
#include "record/dump.h"

#include <stdio.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"
#include "remote/robj.h"

/* The command line of the process, NUL-separated, into `cmd`; its length. */
static size_t cmdline(int pid, char *cmd, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(cmd, 1, cap - 1, f);
    fclose(f);
    while (n && cmd[n - 1] == '\0')
        n--;
    cmd[n] = '\0';
    return n;
}

/* Thread i's name: threading's, else "MainThread" for the thread whose id
 * is the process id, else NULL. */
static const char *thread_name(const pyro_unwinder_t *u, const pyro_rthread_t *t, char (*names)[64],
                               uint32_t i)
{
    if (names && names[i][0])
        return names[i];
    return t->native_id && (int)t->native_id == pyro_unwinder_proc(u)->pid ? "MainThread" : NULL;
}

static void text(const pyro_unwinder_t *u, const pyro_stacks_t *s, char (*names)[64], int color,
                 pyro_buf_t *out)
{
    const pyro_pyproc_t *pp = pyro_unwinder_proc(u);
    const char *bold = color ? "\033[1m" : "", *dim = color ? "\033[2m" : "";
    const char *green = color ? "\033[32m" : "", *reset = color ? "\033[0m" : "";
    char cmd[4096], ver[32];
    size_t n = cmdline(pp->pid, cmd, sizeof cmd);
    for (size_t i = 0; i < n; i++)
        if (cmd[i] == '\0')
            cmd[i] = ' ';
    pyro_pyproc_version_str(pp, ver, sizeof ver);
    pyro_buf_printf(out, "Process %d: %s\nPython %s (%s)\n", pp->pid, n ? cmd : "?", ver,
                    pp->binary);
    for (uint32_t i = 0; i < s->nthreads; i++) {
        const pyro_rthread_t *t = &s->threads[i];
        const char *name = thread_name(u, t, names, i);
        pyro_buf_printf(out, "\n%sThread %llu%s", bold, (unsigned long long)t->native_id, reset);
        if (name)
            pyro_buf_printf(out, " \"%s\"", name);
        pyro_buf_printf(out, " (%s%s%s%s)%s\n", t->running > 0 ? green : "",
                        t->running > 0    ? "running"
                        : t->running == 0 ? "idle"
                                          : "state unknown",
                        t->gil > 0 ? ", holds the GIL" : "", reset,
                        t->truncated ? " [stack cut short: it changed while being read]" : "");
        if (!t->nframes)
            pyro_buf_printf(out, "    %s(no Python frames)%s\n", dim, reset);
        for (uint32_t k = 0; k < t->nframes; k++) {
            const pyro_rframe_t *f = &s->frames[t->first + k];
            pyro_buf_printf(out, "    %s%s%s %s(%s:%d)%s\n", bold,
                            pyro_unwinder_str(u, f->qualname), reset, dim,
                            pyro_unwinder_str(u, f->file), f->line, reset);
        }
    }
}

static void jstr(pyro_buf_t *out, const char *s) { pyro_buf_json_str(out, s, strlen(s)); }

static void json(const pyro_unwinder_t *u, const pyro_stacks_t *s, char (*names)[64],
                 pyro_buf_t *out)
{
    const pyro_pyproc_t *pp = pyro_unwinder_proc(u);
    char cmd[4096], ver[32];
    size_t n = cmdline(pp->pid, cmd, sizeof cmd);
    pyro_pyproc_version_str(pp, ver, sizeof ver);
    pyro_buf_printf(out, "{\"pid\":%d,\"python\":", pp->pid);
    jstr(out, ver);
    pyro_buf_puts(out, ",\"binary\":");
    jstr(out, pp->binary);
    pyro_buf_puts(out, ",\"command\":[");
    for (size_t i = 0, first = 1; i < n; first = 0) {
        size_t len = strlen(cmd + i);
        if (!first)
            pyro_buf_putc(out, ',');
        pyro_buf_json_str(out, cmd + i, len);
        i += len + 1;
    }
    pyro_buf_puts(out, "],\"threads\":[");
    for (uint32_t i = 0; i < s->nthreads; i++) {
        const pyro_rthread_t *t = &s->threads[i];
        const char *name = thread_name(u, t, names, i);
        pyro_buf_printf(out, "%s\n{\"ident\":%llu,\"native_id\":%llu,\"name\":", i ? "," : "",
                        (unsigned long long)t->ident, (unsigned long long)t->native_id);
        if (name)
            jstr(out, name);
        else
            pyro_buf_puts(out, "null");
        pyro_buf_printf(out, ",\"running\":%s,\"gil\":%s,\"truncated\":%s,\"frames\":[",
                        t->running < 0 ? "null"
                        : t->running   ? "true"
                                       : "false",
                        t->gil < 0   ? "null"
                        : t->gil > 0 ? "true"
                                     : "false",
                        t->truncated ? "true" : "false");
        for (uint32_t k = 0; k < t->nframes; k++) {
            const pyro_rframe_t *f = &s->frames[t->first + k];
            pyro_buf_puts(out, k ? ",{\"name\":" : "{\"name\":");
            jstr(out, pyro_unwinder_str(u, f->name));
            pyro_buf_puts(out, ",\"qualname\":");
            jstr(out, pyro_unwinder_str(u, f->qualname));
            pyro_buf_puts(out, ",\"file\":");
            jstr(out, pyro_unwinder_str(u, f->file));
            pyro_buf_printf(out, ",\"line\":%d,\"firstline\":%d}", f->line, f->firstline);
        }
        pyro_buf_puts(out, "]}");
    }
    pyro_buf_puts(out, "]}\n");
}

int pyro_dump_render(const pyro_unwinder_t *u, const pyro_stacks_t *s, int as_json, int color,
                     pyro_buf_t *out)
{
    /* names are best effort: without memory for them, or if the process
     * exits meanwhile, threads go unnamed */
    char(*names)[64] = s->nthreads ? pyro_calloc(s->nthreads, sizeof *names) : NULL;
    uint64_t *idents = s->nthreads ? pyro_calloc(s->nthreads, sizeof *idents) : NULL;
    if (names && idents) {
        for (uint32_t i = 0; i < s->nthreads; i++)
            idents[i] = s->threads[i].ident;
        pyro_robj_thread_names(pyro_unwinder_proc(u), s->nthreads, idents, names);
    }
    if (as_json)
        json(u, s, names, out);
    else
        text(u, s, names, color, out);
    pyro_free(names);
    pyro_free(idents);
    return pyro_buf_status(out);
}
