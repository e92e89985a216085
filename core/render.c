/* SPDX-License-Identifier: MIT */
/* render: format names, dispatch, and helpers shared by the writers. */
#include "render.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "fmt_collapsed.h"
#include "fmt_json.h"
#include "fmt_table.h"
#include "fmt_tree.h"
#include "pstats.h"
#include "pyrofile.h"
#include "stats.h"

static const char *const format_names[PYRO_FMT_COUNT] = {
    "table", "tree", "pstats", "collapsed", "json", "pyro",
};

void pyro_render_defaults(pyro_render_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->sort = PYRO_SORT_CUMTIME;
    o->limit = 30;
    o->ncallers = 5;
    o->threshold = 0.005;
    o->strip_prefix = "";
}

int pyro_format_parse(const char *name)
{
    for (int i = 0; i < PYRO_FMT_COUNT; i++)
        if (strcmp(name, format_names[i]) == 0)
            return i;
    if (strcmp(name, "prof") == 0)
        return PYRO_FMT_PSTATS;
    if (strcmp(name, "folded") == 0)
        return PYRO_FMT_COLLAPSED;
    if (strcmp(name, "text") == 0)
        return PYRO_FMT_TABLE;
    return -1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int pyro_format_from_path(const char *path)
{
    static const struct {
        const char *ext;
        int fmt;
    } exts[] = {
        {".prof", PYRO_FMT_PSTATS},         {".pstats", PYRO_FMT_PSTATS},
        {".collapsed", PYRO_FMT_COLLAPSED}, {".folded", PYRO_FMT_COLLAPSED},
        {".json", PYRO_FMT_JSON},           {".pyro", PYRO_FMT_PYRO},
        {".txt", PYRO_FMT_TABLE},
    };
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (ends_with(path, exts[i].ext))
            return exts[i].fmt;
    return -1;
}

const char *pyro_format_name(int fmt)
{
    return fmt >= 0 && fmt < PYRO_FMT_COUNT ? format_names[fmt] : "?";
}

int pyro_format_needs_tree(int fmt)
{
    return fmt == PYRO_FMT_TREE || fmt == PYRO_FMT_COLLAPSED || fmt == PYRO_FMT_PYRO;
}

int pyro_render(const pyro_profile_t *p, int fmt, const pyro_render_opts_t *o, pyro_buf_t *out)
{
    pyro_render_opts_t defaults;
    if (!o) {
        pyro_render_defaults(&defaults);
        o = &defaults;
    }
    pyro_stats_t *s = NULL;
    int rc;
    if (p->flat && pyro_format_needs_tree(fmt))
        return PYRO_ENOTREE;
    switch (fmt) {

    case PYRO_FMT_TABLE:
    case PYRO_FMT_PSTATS:
    case PYRO_FMT_JSON:
        if ((rc = pyro_stats_compute(p, &s)))
            return rc;
        if (fmt == PYRO_FMT_TABLE)
            rc = pyro_fmt_table(p, s, o, out);
        else if (fmt == PYRO_FMT_PSTATS)
            rc = pyro_pstats_write(p, s, out);
        else
            rc = pyro_fmt_json(p, s, o, out);
        pyro_stats_free(s);
        return rc;
    case PYRO_FMT_TREE:
        return pyro_fmt_tree(p, o, out);
    case PYRO_FMT_COLLAPSED:
        return pyro_fmt_collapsed(p, o, out);
    case PYRO_FMT_PYRO:
        return pyro_pyrofile_write(p, out);
    default:
        return PYRO_EINVAL;
    }
}

/* ==== helpers ==== */

const char *pyro_render_path(const pyro_render_opts_t *o, const char *file)
{
    const char *pre = o->strip_prefix;
    size_t n = pre ? strlen(pre) : 0;
    if (!n || strncmp(file, pre, n) != 0)
        return file;
    if (pre[n - 1] == '/')
        return file[n] ? file + n : file;
    return file[n] == '/' && file[n + 1] ? file + n + 1 : file;
}

void pyro_render_frame(const pyro_profile_t *p, uint32_t f, const pyro_render_opts_t *o,
                       pyro_buf_t *out)
{
    if (f >= p->nfuncs) {
        pyro_buf_puts(out, "?");
        return;
    }
    const pyro_func_t *fn = &p->funcs[f];
    if (fn->kind == PYRO_FUNC_NATIVE) {
        char label[512];
        pyro_profile_func_label(p, f, label, sizeof label);
        pyro_buf_puts(out, label);
        return;
    }
    pyro_buf_printf(out, "%s (%s:%u)", pyro_profile_strget(p, fn->qualname),
                    pyro_render_path(o, pyro_profile_strget(p, fn->file)), fn->line);
}

void pyro_render_duration(pyro_buf_t *out, double s, int width)
{
    char tmp[32];
    double a = s < 0 ? -s : s;
    if (a >= 100)
        snprintf(tmp, sizeof tmp, "%.0fs", s);
    else if (a >= 1)
        snprintf(tmp, sizeof tmp, "%.3fs", s);
    else if (a >= 1e-3)
        snprintf(tmp, sizeof tmp, "%.1fms", s * 1e3);
    else if (a > 0)
        snprintf(tmp, sizeof tmp, "%.0fus", s * 1e6);
    else
        snprintf(tmp, sizeof tmp, "0");
    pyro_buf_printf(out, "%*s", width, tmp);
}

void pyro_render_count(pyro_buf_t *out, uint64_t n, int width)
{
    char tmp[32];
    if (n < 1000000)
        snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)n);
    else if (n < 1000000000)
        snprintf(tmp, sizeof tmp, "%.1fM", (double)n / 1e6);
    else
        snprintf(tmp, sizeof tmp, "%.1fG", (double)n / 1e9);
    pyro_buf_printf(out, "%*s", width, tmp);
}

const char *pyro_color(const pyro_render_opts_t *o, const char *code)
{
    if (!o->color)
        return "";
    static const struct {
        const char *code, *esc;
    } table[] = {
        {PYRO_C_RESET, "\033[0m"}, {PYRO_C_BOLD, "\033[1m"},    {PYRO_C_DIM, "\033[2m"},
        {PYRO_C_RED, "\033[31m"},  {PYRO_C_YELLOW, "\033[33m"}, {PYRO_C_GREEN, "\033[32m"},
        {PYRO_C_CYAN, "\033[36m"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].code, code) == 0)
            return table[i].esc;
    return "";
}
