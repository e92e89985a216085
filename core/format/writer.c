/* SPDX-License-Identifier: MIT */
/* writer: the rendering options' defaults and the helpers the format writers
 * share (frame names, paths, durations, counts, colours, titles). */
#include "format/writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pyro_render_defaults(pyro_render_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->sort = PYRO_SORT_CUMTIME;
    o->limit = 30;
    o->ncallers = 5;
    o->threshold = 0.005;
    o->strip_prefix = "";
    o->title = "";
    o->sys_path = NULL;
    o->function = "";
    o->unit = PYRO_TIME_AUTO;
    o->metric = -1;
}

static const struct {
    const char *name;
    int64_t ns;
} time_units[PYRO_TIME_COUNT] = {
    [PYRO_TIME_AUTO] = {"auto", 0},   [PYRO_TIME_S] = {"s", 1000000000},
    [PYRO_TIME_MS] = {"ms", 1000000}, [PYRO_TIME_US] = {"us", 1000},
    [PYRO_TIME_NS] = {"ns", 1},
};

int pyro_time_unit_parse(const char *name)
{
    if (!*name)
        return PYRO_TIME_AUTO;
    for (int u = 0; u < PYRO_TIME_COUNT; u++)
        if (strcmp(name, time_units[u].name) == 0)
            return u;
    return -1;
}

const char *pyro_time_unit_name(int unit)
{
    return unit >= 0 && unit < PYRO_TIME_COUNT ? time_units[unit].name : "?";
}

int64_t pyro_time_unit_ns(int unit)
{
    return unit >= 0 && unit < PYRO_TIME_COUNT ? time_units[unit].ns : 0;
}

const char *pyro_render_title(const pyro_profile_t *p, const pyro_render_opts_t *o)
{
    if (o->title && *o->title)
        return o->title;
    const char *cmd = pyro_profile_get_meta(p, "command");
    return cmd && *cmd ? cmd : "pyrometer profile";
}

int pyro_ranked_cmp(const void *a, const void *b)
{
    const pyro_ranked_t *x = a, *y = b;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    return x->node < y->node ? -1 : (x->node > y->node);
}

int pyro_render_is_library(const char *file)
{
    return strncmp(file, "<frozen", 7) == 0 || strstr(file, "/site-packages/") ||
           strstr(file, "/dist-packages/") || strstr(file, "/lib/python3");
}

/* What follows the last "/site-packages/" or "/dist-packages/" of `file`, else
 * what follows "/lib/pythonX.Y/" (the standard library), else NULL. */
static const char *below_lib_dir(const char *file)
{
    const char *best = NULL;
    static const char *const dirs[] = {"/site-packages/", "/dist-packages/"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        for (const char *s = strstr(file, dirs[i]); s; s = strstr(s + 1, dirs[i]))
            if (!best || s + strlen(dirs[i]) > best)
                best = s + strlen(dirs[i]);
    if (best)
        return *best ? best : NULL;
    for (const char *s = strstr(file, "/lib/python"); s; s = strstr(s + 1, "/lib/python")) {
        const char *d = s + 11;
        if (*d < '0' || *d > '9')
            continue;
        while ((*d >= '0' && *d <= '9') || *d == '.')
            d++;
        if (*d == 't') /* free-threaded builds: lib/python3.13t */
            d++;
        if (*d == '/' && d[1])
            return d + 1;
    }
    return NULL;
}

/* What follows the longest entry of `sys_path` (':'-separated) that `file`
 * lies below, else NULL. */
static const char *below_sys_path(const char *sys_path, const char *file)
{
    const char *best = NULL;
    for (const char *e = sys_path; e && *e;) {
        size_t n = strcspn(e, ":");
        size_t m = n;
        while (m > 1 && e[m - 1] == '/')
            m--;
        if (m > 1 && strncmp(file, e, m) == 0 && file[m] == '/' && file[m + 1] &&
            (!best || file + m + 1 > best))
            best = file + m + 1;
        e += n + (e[n] == ':');
    }
    return best;
}

const char *pyro_render_path(const pyro_render_opts_t *o, const char *file)
{
    if (pyro_render_is_library(file)) {
        const char *rel = below_sys_path(o->sys_path, file);
        if (!rel)
            rel = below_lib_dir(file);
        if (rel)
            return rel;
    }
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
    else /* a unit in prose, a bare 0 in a column */
        snprintf(tmp, sizeof tmp, width ? "0" : "0s");
    pyro_buf_printf(out, "%*s", width, tmp);
}

void pyro_render_xml(pyro_buf_t *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '<':
            pyro_buf_puts(out, "&lt;");
            break;
        case '>':
            pyro_buf_puts(out, "&gt;");
            break;
        case '&':
            pyro_buf_puts(out, "&amp;");
            break;
        case '"':
            pyro_buf_puts(out, "&quot;");
            break;
        default:
            if ((unsigned char)s[i] >= 0x20 || s[i] == '\t')
                pyro_buf_putc(out, s[i]);
        }
    }
}

void pyro_render_sparkline(pyro_buf_t *out, const pyro_series_t *s, int col, int64_t t_end,
                           int width, int64_t top)
{
    static const char *const marks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                         "\u2585", "\u2586", "\u2587", "\u2588"};
    if (t_end <= 0)
        t_end = 1;
    if (top <= 0)
        top = 1;
    uint32_t r = 0;
    int64_t last = 0;
    for (int i = 0; i < width; i++) {
        int64_t end = (int64_t)((double)t_end * (i + 1) / width), most = -1;
        for (; r < s->nrows && (s->vals[(size_t)r * s->ncols] <= end || i == width - 1); r++) {
            int64_t v = s->vals[(size_t)r * s->ncols + col];
            if (v > most)
                most = v;
        }
        if (most >= 0)
            last = most;
        int level = (int)((double)last / (double)top * 8);
        pyro_buf_puts(out, marks[level < 0 ? 0 : level > 7 ? 7 : level]);
    }
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

void pyro_render_no_samples(const pyro_profile_t *p, pyro_buf_t *out)
{
    const char *rate = pyro_profile_get_meta(p, "rate_hz");
    const char *rounds = pyro_profile_get_meta(p, "samples");
    double hz = rate ? atof(rate) : 0;
    if (rounds && atoll(rounds) > 0)
        pyro_buf_printf(out,
                        "No Python stacks: the %s sample%s taken found no Python code running "
                        "(the interpreter was starting or ending)",
                        rounds, strcmp(rounds, "1") == 0 ? "" : "s");
    else
        pyro_buf_puts(out, "No samples: the program ended before the first sample was taken");
    if (hz > 0) {
        pyro_buf_printf(out, " (at %s Hz, one sample every ", rate);
        pyro_render_duration(out, 1.0 / hz, 0);
        pyro_buf_putc(out, ')');
    }
    pyro_buf_puts(out, ". Sample more often with a higher --rate, or profile a longer run.");
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

void pyro_render_bytes(pyro_buf_t *out, int64_t bytes, int width)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    char tmp[32];
    double v = (double)bytes, a = v < 0 ? -v : v;
    if (a < 1024) {
        snprintf(tmp, sizeof tmp, "%lld B", (long long)bytes);
    } else {
        size_t u = 0;
        v /= 1024;
        a /= 1024;
        /* 1023.96 KiB would print as "1024.0 KiB": the next unit up instead */
        while (a >= 1023.95 && u + 1 < sizeof units / sizeof units[0]) {
            v /= 1024;
            a /= 1024;
            u++;
        }
        snprintf(tmp, sizeof tmp, "%.1f %s", v, units[u]);
    }
    pyro_buf_printf(out, "%*s", width, tmp);
}

int pyro_render_weigh_memory(const pyro_profile_t *p, const pyro_render_opts_t *o)
{
    if (p->mode == PYRO_MODE_MEMORY)
        return pyro_render_mem_metric(o);
    int m = o->metric;
    if (p->mode == PYRO_MODE_SAMPLE &&
        (m == PYRO_M_PEAK_BYTES || m == PYRO_M_ALLOC_BYTES || m == PYRO_M_LEAKED_BYTES ||
         m == PYRO_M_EVENTS) &&
        pyro_profile_col(p, m) >= 0)
        return m;
    return -1;
}

int pyro_render_mem_metric(const pyro_render_opts_t *o)
{
    int m = o->metric;
    return m == PYRO_M_ALLOC_BYTES || m == PYRO_M_LEAKED_BYTES ? m : PYRO_M_PEAK_BYTES;
}

static const struct {
    int metric;
    const char *name, *words;
} mem_metrics[] = {
    {PYRO_M_PEAK_BYTES, "peak", "live at the peak"},
    {PYRO_M_ALLOC_BYTES, "allocated", "allocated"},
    {PYRO_M_LEAKED_BYTES, "leaked", "leaked (live at the end)"},
    {PYRO_M_EVENTS, "events", "events sampled (run --event)"},
};

int pyro_render_mem_metric_parse(const char *name)
{
    if (!*name)
        return -1;
    for (size_t i = 0; i < sizeof mem_metrics / sizeof mem_metrics[0]; i++)
        if (strcmp(name, mem_metrics[i].name) == 0)
            return mem_metrics[i].metric;
    return -2;
}

const char *pyro_render_mem_metric_name(int m)
{
    if (m == -1)
        m = PYRO_M_PEAK_BYTES;
    for (size_t i = 0; i < sizeof mem_metrics / sizeof mem_metrics[0]; i++)
        if (mem_metrics[i].metric == m)
            return mem_metrics[i].name;
    return "?";
}

const char *pyro_render_mem_metric_words(int m)
{
    for (size_t i = 0; i < sizeof mem_metrics / sizeof mem_metrics[0]; i++)
        if (mem_metrics[i].metric == m)
            return mem_metrics[i].words;
    return "?";
}

void pyro_render_node_frame(const pyro_profile_t *p, uint32_t n, const pyro_render_opts_t *o,
                            pyro_buf_t *out)
{
    const pyro_node_t *nd = &p->nodes[n];
    /* memory profiles, and sample profiles with memory (run --memory) */
    const int memory = p->mode == PYRO_MODE_MEMORY || pyro_profile_col(p, PYRO_M_ALLOC_BYTES) >= 0;
    if (memory && nd->func < p->nfuncs && p->funcs[nd->func].kind == PYRO_FUNC_NATIVE) {
        /* a native function, or a synthetic frame ("<no Python frame>"): its name */
        pyro_buf_puts(out, pyro_profile_strget(p, p->funcs[nd->func].name));
        return;
    }
    if (!memory || !nd->line || nd->func >= p->nfuncs) {
        pyro_render_frame(p, nd->func, o, out);
        return;
    }
    const pyro_func_t *fn = &p->funcs[nd->func];
    pyro_buf_printf(out, "%s (%s:%u)", pyro_profile_strget(p, fn->qualname),
                    pyro_render_path(o, pyro_profile_strget(p, fn->file)), nd->line);
}

void pyro_render_json_series(pyro_buf_t *out, const pyro_profile_t *p, const pyro_series_t *s)
{
    pyro_buf_puts(out, "\"columns\":[");
    for (uint32_t c = 0; c < s->ncols; c++) {
        if (c)
            pyro_buf_putc(out, ',');
        const char *name = pyro_profile_strget(p, s->cols[c]);
        pyro_buf_json_str(out, name, strlen(name));
    }
    pyro_buf_puts(out, "],\"rows\":[");
    for (uint32_t r = 0; r < s->nrows; r++) {
        pyro_buf_puts(out, r ? ",[" : "[");
        for (uint32_t c = 0; c < s->ncols; c++)
            pyro_buf_printf(out, "%s%lld", c ? "," : "",
                            (long long)s->vals[(size_t)r * s->ncols + c]);
        pyro_buf_putc(out, ']');
    }
    pyro_buf_putc(out, ']');
}
