/* SPDX-License-Identifier: MIT */
/* fmt_lines: per-function source with each line's share of the samples. */
#include "format/fmt_lines.h"

#include <stdlib.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"
#include "model/map.h"
#include "format/source.h"

#define GAP_SHOWN 5 /* module code: longer runs of unsampled lines fold */

/* The numbers of one node, one line or one function. */
typedef struct sums {
    int64_t wall, cpu, samples;
    int64_t alloc, peak; /* run --memory: bytes allocated, of them live at the peak */
} sums_t;

/* One line of a function: what ran on it, and what ran including its calls. */
typedef struct line_stat {
    uint32_t line;
    sums_t self, incl;
} line_stat_t;

/* A function ranked by its total. */
typedef struct ranked_func {
    int64_t key;
    uint32_t func;
} ranked_func_t;

static int ranked_func_cmp(const void *a, const void *b)
{
    const ranked_func_t *x = a, *y = b;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    return x->func < y->func ? -1 : (x->func > y->func);
}

static int line_stat_cmp(const void *a, const void *b)
{
    const line_stat_t *x = a, *y = b;
    return x->line < y->line ? -1 : (x->line > y->line);
}

/* ==== selecting functions ==== */

/* Non-zero if `spec` (`n` bytes) names the qualified name `qual` of a
 * function whose plain name is `name`. */
static int names_match(const char *spec, size_t n, const char *qual, const char *name)
{
    if (strlen(qual) == n && strncmp(spec, qual, n) == 0)
        return 1;
    /* a Python without co_qualname recorded the name only: "Class.meth" selects "meth" */
    if (strcmp(qual, name) != 0)
        return 0;
    size_t m = strlen(name);
    return n > m + 1 && spec[n - m - 1] == '.' && strncmp(spec + n - m, name, m) == 0;
}

int pyro_lines_match(const pyro_profile_t *p, uint32_t f, const char *spec)
{
    if (f >= p->nfuncs)
        return 0;
    if (!spec || !*spec)
        return 1;
    const pyro_func_t *fn = &p->funcs[f];
    const char *qual = pyro_profile_strget(p, fn->qualname);
    const char *name = pyro_profile_strget(p, fn->name);
    if (names_match(spec, strlen(spec), qual, name))
        return 1;
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec)
        return 0;
    if (!names_match(colon + 1, strlen(colon + 1), qual, name))
        return 0;
    const char *file = pyro_profile_strget(p, fn->file);
    size_t want = (size_t)(colon - spec), have = strlen(file);
    if (want > have || strncmp(file + have - want, spec, want) != 0)
        return 0;
    return want == have || file[have - want - 1] == '/';
}

/* ==== the numbers ==== */

/* What the writer computes once for the whole profile. */
typedef struct lines_ctx {
    const pyro_profile_t *p;
    const pyro_render_opts_t *o;
    sums_t *incl;    /* per node: the node and its descendants */
    uint8_t *outer;  /* per node: bit 1 = no ancestor of its function, bit 2 = none on its line */
    sums_t *funcs;   /* per function: over its outermost nodes */
    sums_t run;      /* the whole profile */
    int memory;      /* the profile has the memory columns (run --memory) */
    line_stat_t *ls; /* the lines of the function being written */
    uint32_t nls, capls;
} lines_ctx_t;

static sums_t node_sums(const pyro_profile_t *p, uint32_t n)
{
    return (sums_t){pyro_node_metric(p, n, PYRO_M_SELF_NS), pyro_node_metric(p, n, PYRO_M_CPU_NS),
                    pyro_node_metric(p, n, PYRO_M_SAMPLES),
                    pyro_node_metric(p, n, PYRO_M_ALLOC_BYTES),
                    pyro_node_metric(p, n, PYRO_M_PEAK_BYTES)};
}

static void sums_add(sums_t *a, const sums_t *b)
{
    a->wall += b->wall;
    a->cpu += b->cpu;
    a->samples += b->samples;
    a->alloc += b->alloc;
    a->peak += b->peak;
}

/* The node totals, which nodes are outermost, and the function totals. */
static int compute(lines_ctx_t *c)
{
    const pyro_profile_t *p = c->p;
    uint32_t n = p->nnodes;
    c->incl = pyro_calloc((size_t)n + 1, sizeof *c->incl);
    c->outer = pyro_calloc((size_t)n + 1, 1);
    c->funcs = pyro_calloc((size_t)p->nfuncs + 1, sizeof *c->funcs);
    if (!c->incl || !c->outer || !c->funcs)
        return PYRO_ENOMEM;
    for (uint32_t i = 0; i < n; i++)
        c->incl[i] = node_sums(p, i);
    for (uint32_t i = n; i-- > 0;) { /* children come after their parents */
        sums_t self = node_sums(p, i);
        sums_add(&c->run, &self);
        if (p->nodes[i].parent != PYRO_NONE)
            sums_add(&c->incl[p->nodes[i].parent], &c->incl[i]);
    }
    for (uint32_t i = 0; i < n; i++) {
        const pyro_node_t *nd = &p->nodes[i];
        int func_outer = 1, line_outer = 1;
        for (uint32_t a = nd->parent; a != PYRO_NONE && line_outer; a = p->nodes[a].parent)
            if (p->nodes[a].func == nd->func) {
                func_outer = 0;
                line_outer = p->nodes[a].line != nd->line;
            }
        c->outer[i] = (uint8_t)(func_outer | line_outer << 1);
        if (c->outer[i] & 1)
            sums_add(&c->funcs[nd->func], &c->incl[i]);
    }
    return PYRO_OK;
}

/* The lines of function `f` into c->ls, by line number. */
static int collect_lines(lines_ctx_t *c, uint32_t f)
{
    const pyro_profile_t *p = c->p;
    pyro_map_t index;
    pyro_map_init(&index);
    int rc = PYRO_OK;
    c->nls = 0;
    for (uint32_t i = 0; i < p->nnodes && !rc; i++) {
        if (p->nodes[i].func != f)
            continue;
        uint32_t k;
        if (!pyro_map_get(&index, p->nodes[i].line, 0, &k)) {
            if ((rc = pyro_grow((void **)&c->ls, &c->capls, c->nls, sizeof *c->ls)) ||
                (rc = pyro_map_put(&index, p->nodes[i].line, 0, c->nls)))
                break;
            memset(&c->ls[c->nls], 0, sizeof *c->ls);
            c->ls[c->nls].line = p->nodes[i].line;
            k = c->nls++;
        }
        sums_t self = node_sums(p, i);
        sums_add(&c->ls[k].self, &self);
        if (c->outer[i] & 2)
            sums_add(&c->ls[k].incl, &c->incl[i]);
    }
    pyro_map_free(&index);
    if (!rc && c->nls)
        qsort(c->ls, c->nls, sizeof *c->ls, line_stat_cmp);
    return rc;
}

/* ==== writing ==== */

static double share(int64_t part, int64_t whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* A percentage in a column of 7, colored by how hot it is. */
static void percent(pyro_buf_t *out, const pyro_render_opts_t *o, double pct, int paren)
{
    const char *color = pct >= 50   ? pyro_color(o, PYRO_C_RED)
                        : pct >= 10 ? pyro_color(o, PYRO_C_YELLOW)
                                    : "";
    if (paren)
        pyro_buf_printf(out, " %s(%5.1f)%s", color, pct, *color ? pyro_color(o, PYRO_C_RESET) : "");
    else
        pyro_buf_printf(out, " %s%7.1f%s", color, pct, *color ? pyro_color(o, PYRO_C_RESET) : "");
}

/* The memory margin of a row (run --memory): bytes the line allocated and
 * of them live at the peak, its calls included; blank for none. */
static void memory_cells(pyro_buf_t *out, const line_stat_t *st)
{
    if (st && (st->incl.alloc > 0 || st->incl.peak > 0)) {
        pyro_buf_putc(out, ' ');
        pyro_render_bytes(out, st->incl.alloc, 10);
        pyro_buf_putc(out, ' ');
        pyro_render_bytes(out, st->incl.peak, 10);
    } else {
        pyro_buf_printf(out, "%22s", "");
    }
}

/* One row: the margin of line `n` (blank when `st` is NULL) and its text. */
static void row(pyro_buf_t *out, const pyro_render_opts_t *o, uint32_t n, const line_stat_t *st,
                const sums_t *total, const char *text, size_t len, int memory)
{
    pyro_buf_printf(out, "%6u", n);
    if (st && (st->incl.samples || st->self.samples)) {
        pyro_buf_putc(out, ' ');
        pyro_render_count(out, (uint64_t)st->incl.samples, 8);
        percent(out, o, share(st->incl.wall, total->wall), 0);
        percent(out, o, share(st->self.wall, total->wall), 1);
        percent(out, o, share(st->incl.cpu, total->cpu), 0);
        percent(out, o, share(st->self.cpu, total->cpu), 1);
    } else {
        pyro_buf_printf(out, "%41s", "");
    }
    if (memory)
        memory_cells(out, st);
    pyro_buf_puts(out, "  ");
    pyro_buf_append(out, text, len);
    pyro_buf_putc(out, '\n');
}

static void columns(pyro_buf_t *out, const pyro_render_opts_t *o, int memory)
{
    pyro_buf_printf(out, "%sLine #  Samples  %% Wall  (self)   %% CPU  (self)%s  Line Contents%s\n",
                    pyro_color(o, PYRO_C_CYAN), memory ? "  Allocated    At peak" : "",
                    pyro_color(o, PYRO_C_RESET));
    pyro_buf_fill(out, '=', memory ? 92 : 70);
    pyro_buf_putc(out, '\n');
}

/* The header, source and margin of function `f`. */
static int write_func(lines_ctx_t *c, uint32_t f, pyro_buf_t *out)
{
    const pyro_profile_t *p = c->p;
    const pyro_render_opts_t *o = c->o;
    const pyro_func_t *fn = &p->funcs[f];
    const char *file = pyro_profile_strget(p, fn->file);
    const char *name = pyro_profile_strget(p, fn->name);
    const sums_t *tot = &c->funcs[f];
    int rc = collect_lines(c, f);
    if (rc)
        return rc;
    pyro_source_t src;
    if ((rc = pyro_source_read(&src, file))) {
        pyro_source_free(&src);
        return rc;
    }
    pyro_buf_printf(out, "\n%sFunction: %s%s at %s:%u\n", pyro_color(o, PYRO_C_BOLD),
                    pyro_profile_strget(p, fn->qualname), pyro_color(o, PYRO_C_RESET),
                    pyro_render_path(o, file), fn->line);
    pyro_buf_puts(out, "Total: ");
    pyro_render_duration(out, (double)tot->wall * 1e-9, 0);
    pyro_buf_printf(out, " wall (%.1f%% of the run) in ", share(tot->wall, c->run.wall));
    pyro_render_count(out, (uint64_t)tot->samples, 0);
    pyro_buf_printf(out, " sample%s, ", tot->samples == 1 ? "" : "s");
    pyro_render_duration(out, (double)tot->cpu * 1e-9, 0);
    pyro_buf_printf(out, " CPU (%.1f%% of the run)", share(tot->cpu, c->run.cpu));
    if (c->memory) {
        pyro_buf_puts(out, "; allocated ");
        pyro_render_bytes(out, tot->alloc, 0);
        pyro_buf_puts(out, ", live at the peak ");
        pyro_render_bytes(out, tot->peak, 0);
    }
    pyro_buf_putc(out, '\n');

    uint32_t lo = fn->line, hi = fn->line, past = 0;
    for (uint32_t k = 0; k < c->nls; k++) {
        uint32_t l = c->ls[k].line;
        if (l && l > hi)
            hi = l;
        if (l && l < lo)
            lo = l;
        if (l > src.nlines)
            past++;
    }
    int is_def = 0, fold = 0;
    if (!pyro_source_unreadable(out, o, &src, file, "sampled")) {
        uint32_t first, last;
        is_def = pyro_source_def_extent(&src, fn, name, &first, &last);
        if (is_def) {
            lo = first < lo ? first : lo;
            hi = last > hi ? last : hi;
        } else {
            /* module code, lambdas and comprehensions: from the first line sampled, long
               unsampled runs folded */
            fold = 1;
            for (uint32_t k = 0; k < c->nls; k++)
                if (c->ls[k].line) {
                    lo = c->ls[k].line; /* the lines are in order */
                    break;
                }
            if (name[0] != '<' && fn->line <= src.nlines)
                pyro_source_not_def(out, o, file, fn->line, name);
        }
        if (past || fn->line > src.nlines)
            pyro_source_too_short(out, o, &src, file, hi > fn->line ? hi : fn->line);
    }
    pyro_buf_putc(out, '\n');
    columns(out, o, c->memory);
    uint32_t k = 0;
    while (k < c->nls && c->ls[k].line < lo) /* line 0: the function as a whole */
        k++;
    for (uint32_t n = lo; n && n <= hi; n++) {
        while (k < c->nls && c->ls[k].line < n)
            k++;
        const line_stat_t *st = k < c->nls && c->ls[k].line == n ? &c->ls[k] : NULL;
        size_t len = 0;
        const char *text = src.err ? NULL : pyro_source_line(&src, n, &len);
        if (!st && (src.err || !text)) {
            /* nothing to show: skip to the next sampled line */
            if (k >= c->nls)
                break;
            n = c->ls[k].line - 1;
            continue;
        }
        if (!st && fold) {
            uint32_t next = k < c->nls ? c->ls[k].line : hi + 1;
            if (next - n > GAP_SHOWN) {
                pyro_buf_printf(out, "%6s%*s  %s(%u lines)%s\n", "...", c->memory ? 63 : 41, "",
                                pyro_color(o, PYRO_C_DIM), next - n, pyro_color(o, PYRO_C_RESET));
                n = next - 1;
                continue;
            }
        }
        if (!text) {
            text = src.err ? "" : "(past the end of the file)";
            len = strlen(text);
        }
        row(out, o, n, st, tot, text, len, c->memory);
    }
    pyro_source_free(&src);
    return pyro_buf_status(out);
}

int pyro_fmt_lines(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *p = ctx->raw;
    const pyro_render_opts_t *o = ctx->o;
    lines_ctx_t c = {.p = p, .o = o, .memory = pyro_profile_col(p, PYRO_M_ALLOC_BYTES) >= 0};
    ranked_func_t *rank = NULL;
    int rc = compute(&c);
    if (rc)
        goto cleanup;
    rank = pyro_calloc((size_t)p->nfuncs + 1, sizeof *rank);
    if (!rank) {
        rc = PYRO_ENOMEM;
        goto cleanup;
    }
    uint32_t n = 0, sampled = 0;
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        /* run --memory: a function that allocated counts, sampled or not */
        if (p->funcs[f].kind != PYRO_FUNC_PYTHON ||
            !(c.funcs[f].samples || (c.memory && c.funcs[f].alloc > 0)))
            continue;
        sampled++;
        if (pyro_lines_match(p, f, o->function))
            rank[n++] = (ranked_func_t){o->cpu ? c.funcs[f].cpu : c.funcs[f].wall, f};
    }
    const char *cmd = pyro_profile_get_meta(p, "command");
    if (!sampled && !(o->function && *o->function)) {
        pyro_buf_printf(out, "%spyrometer%s line view", pyro_color(o, PYRO_C_BOLD),
                        pyro_color(o, PYRO_C_RESET));
        if (cmd)
            pyro_buf_printf(out, " of %s", cmd);
        pyro_buf_puts(out, "\n\n");
        pyro_render_no_samples(p, out);
        pyro_buf_putc(out, '\n');
        rc = pyro_buf_status(out);
        goto cleanup;
    }
    if (!n) {
        rc = PYRO_ENOMATCH;
        goto cleanup;
    }
    qsort(rank, n, sizeof *rank, ranked_func_cmp);
    uint32_t shown = o->limit && o->limit < n ? o->limit : n;
    pyro_buf_printf(out, "%spyrometer%s line view", pyro_color(o, PYRO_C_BOLD),
                    pyro_color(o, PYRO_C_RESET));
    if (cmd)
        pyro_buf_printf(out, " of %s", cmd);
    if (o->function && *o->function)
        pyro_buf_printf(out, ": %u function%s matching '%s' (of %u sampled)", n, n == 1 ? "" : "s",
                        o->function, sampled);
    else if (shown < n)
        pyro_buf_printf(out, ": the hottest %u of %u sampled functions", shown, n);
    else
        pyro_buf_printf(out, ": %s%u sampled function%s", n == 1 ? "the " : "all ", n,
                        n == 1 ? "" : "s");
    if (shown < n && o->function && *o->function)
        pyro_buf_printf(out, ", the hottest %u shown", shown);
    pyro_buf_printf(out, ", by %s time\n", o->cpu ? "CPU" : "wall");
    pyro_buf_printf(out,
                    "%sShares are of each function's total; a line's includes the calls it "
                    "makes, (self) what ran on the line itself.%s%s\n",
                    pyro_color(o, PYRO_C_DIM),
                    c.memory ? "\nAllocated: the bytes the line's allocations took, its calls "
                               "included; At peak: of them, live at the peak of the heap."
                             : "",
                    pyro_color(o, PYRO_C_RESET));
    for (uint32_t i = 0; i < shown && !rc; i++)
        rc = write_func(&c, rank[i].func, out);
    if (!rc)
        rc = pyro_buf_status(out);
cleanup:
    pyro_free(rank);
    pyro_free(c.incl);
    pyro_free(c.outer);
    pyro_free(c.funcs);
    pyro_free(c.ls);
    return rc;
}
