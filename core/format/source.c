/* SPDX-License-Identifier: MIT */
/* source: source files read for the line reports, and what they say when a
 * file cannot be read or has changed. */
#include "format/source.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "model/alloc.h"
#include "model/error.h"

#define SOURCE_MAX_BYTES (64u << 20) /* a source file larger than this is not shown */

/* ==== reading ==== */

int pyro_source_read(pyro_source_t *s, const char *path)
{
    memset(s, 0, sizeof *s);
    pyro_buf_init(&s->text);
    struct stat st;
    if (stat(path, &st) != 0) {
        s->err = errno ? errno : ENOENT;
        return PYRO_OK;
    }
    if (!S_ISREG(st.st_mode)) {
        s->err = PYRO_SOURCE_NOT_REGULAR;
        return PYRO_OK;
    }
    int rc = pyro_buf_read_file(&s->text, path, SOURCE_MAX_BYTES);
    if (rc == PYRO_ENOMEM)
        return rc;
    if (rc) {
        s->err = rc == PYRO_ELIMIT ? EFBIG : errno ? errno : EIO;
        pyro_buf_free(&s->text);
        return PYRO_OK;
    }
    size_t len = s->text.len;
    for (size_t at = 0; at < len;) {
        if ((rc = pyro_grow((void **)&s->starts, &s->cap, s->nlines, sizeof *s->starts)))
            return rc;
        s->starts[s->nlines++] = (uint32_t)at;
        const char *nl = memchr(s->text.data + at, '\n', len - at);
        at = nl ? (size_t)(nl - s->text.data) + 1 : len;
    }
    return PYRO_OK;
}

void pyro_source_free(pyro_source_t *s)
{
    pyro_buf_free(&s->text);
    pyro_free(s->starts);
    s->starts = NULL;
    s->nlines = s->cap = 0;
}

const char *pyro_source_line(const pyro_source_t *s, uint32_t n, size_t *len)
{
    if (n == 0 || n > s->nlines)
        return NULL;
    uint32_t at = s->starts[n - 1];
    uint32_t end = n < s->nlines ? s->starts[n] : (uint32_t)s->text.len;
    while (end > at && (s->text.data[end - 1] == '\n' || s->text.data[end - 1] == '\r'))
        end--;
    *len = end - at;
    return s->text.data + at;
}

/* ==== where a def lies ==== */

/* Columns of indentation of a line (tabs to the next multiple of 8); -1
 * for a line that holds nothing but blanks or a comment. */
static int indent_of(const char *t, size_t len)
{
    int col = 0;
    size_t i = 0;
    for (; i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\f'); i++)
        col = t[i] == '\t' ? (col / 8 + 1) * 8 : col + 1;
    return i == len || t[i] == '#' ? -1 : col;
}

/* Non-zero if the line starts (after blanks) with `word`. */
static int starts_with(const char *t, size_t len, const char *word)
{
    while (len && (*t == ' ' || *t == '\t')) {
        t++;
        len--;
    }
    size_t n = strlen(word);
    return len >= n && strncmp(t, word, n) == 0;
}

/* Non-zero if the line starts a def, an async def or a class (whose body is
 * a code object of its own). */
static int is_def_line(const char *t, size_t len)
{
    return starts_with(t, len, "def ") || starts_with(t, len, "async def ") ||
           starts_with(t, len, "class ");
}

int pyro_source_def_extent(const pyro_source_t *s, const pyro_func_t *fn, const char *name,
                           uint32_t *first, uint32_t *last)
{
    *first = *last = fn->line;
    size_t len;
    const char *t = pyro_source_line(s, fn->line, &len);
    int base = t ? indent_of(t, len) : -1;
    if (base < 0 || name[0] == '<')
        return 0;
    /* the def: after the decorators (and their arguments over several lines) */
    uint32_t d = fn->line;
    for (; t && d < fn->line + 64; t = pyro_source_line(s, ++d, &len)) {
        int ind = indent_of(t, len);
        if (is_def_line(t, len))
            break;
        if (ind == base && !starts_with(t, len, "@") && !starts_with(t, len, ")"))
            return 0;
    }
    if (!t || indent_of(t, len) != base || !is_def_line(t, len))
        return 0;
    const char *at = t;
    while (*at == ' ' || *at == '\t')
        at++;
    if (*at == 'a') /* "async def" */
        at += 6;
    at += *at == 'd' ? 3 : 5; /* past "def" or "class" */
    size_t rest = len - (size_t)(at - t), n = strlen(name);
    while (rest && (*at == ' ' || *at == '\t')) {
        at++;
        rest--;
    }
    if (rest < n || strncmp(at, name, n) != 0 ||
        (rest > n && at[n] != '(' && at[n] != '[' && at[n] != ' ' && at[n] != ':'))
        return 0;
    /* the signature: until its brackets close (a '#' ends a line's count) */
    uint32_t end = d;
    int depth = 0;
    for (uint32_t k = d; k < d + 64 && (t = pyro_source_line(s, k, &len)); k++) {
        for (size_t i = 0; i < len && t[i] != '#'; i++)
            depth += (t[i] == '(' || t[i] == '[' || t[i] == '{') -
                     (t[i] == ')' || t[i] == ']' || t[i] == '}');
        end = k;
        if (depth <= 0)
            break;
    }
    /* the body: every line indented deeper than the def (blank lines and comments between) */
    for (uint32_t k = end + 1; (t = pyro_source_line(s, k, &len)); k++) {
        int ind = indent_of(t, len);
        if (ind >= 0 && ind <= base)
            break;
        if (ind > base)
            end = k;
    }
    *last = end;
    return 1;
}

/* ==== what the reports say about a source ==== */

int pyro_source_unreadable(pyro_buf_t *out, const pyro_render_opts_t *o, const pyro_source_t *s,
                           const char *file, const char *what)
{
    if (!s->err)
        return 0;
    if (file[0] == '<') /* <string>, <stdin>, <frozen ...>: code without a file */
        pyro_buf_printf(out, "%sSource not shown: %s is not a file; the %s lines by number%s\n",
                        pyro_color(o, PYRO_C_YELLOW), file, what, pyro_color(o, PYRO_C_RESET));
    else
        pyro_buf_printf(out, "%sSource not shown: cannot read %s (%s); the %s lines by number%s\n",
                        pyro_color(o, PYRO_C_YELLOW), file,
                        s->err == PYRO_SOURCE_NOT_REGULAR ? "not a regular file" : strerror(s->err),
                        what, pyro_color(o, PYRO_C_RESET));
    return 1;
}

void pyro_source_not_def(pyro_buf_t *out, const pyro_render_opts_t *o, const char *file,
                         uint32_t line, const char *name)
{
    pyro_buf_printf(out,
                    "%sLine %u is not the def of %s: %s has changed since the profile was "
                    "recorded; the lines may not match%s\n",
                    pyro_color(o, PYRO_C_YELLOW), line, name, file, pyro_color(o, PYRO_C_RESET));
}

void pyro_source_too_short(pyro_buf_t *out, const pyro_render_opts_t *o, const pyro_source_t *s,
                           const char *file, uint32_t line)
{
    pyro_buf_printf(out,
                    "%s%s has %u lines, fewer than the profile's (line %u): it has changed since "
                    "the profile was recorded%s\n",
                    pyro_color(o, PYRO_C_YELLOW), file, s->nlines, line,
                    pyro_color(o, PYRO_C_RESET));
}

int pyro_source_put_line(pyro_buf_t *out, const pyro_render_opts_t *o, pyro_source_cache_t *c,
                         const char *file, uint32_t line, size_t max)
{
    if (!line || *file == '<' || *file == '~')
        return PYRO_OK;
    if (!c->path || strcmp(c->path, file) != 0) {
        pyro_source_free(&c->src);
        c->path = NULL;
        if (pyro_source_read(&c->src, file))
            return PYRO_ENOMEM;
        c->path = file;
    }
    size_t len = 0;
    const char *s = pyro_source_line(&c->src, line, &len);
    while (s && len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    if (!s || !len)
        return PYRO_OK;
    int cut = len > max;
    pyro_buf_printf(out, "  %s%.*s%s%s", pyro_color(o, PYRO_C_DIM), (int)(cut ? max - 3 : len), s,
                    cut ? "..." : "", pyro_color(o, PYRO_C_RESET));
    return PYRO_OK;
}
