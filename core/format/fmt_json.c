/* SPDX-License-Identifier: MIT */
/* fmt_json: a compact document; tree rows are arrays described by a header. */
#include "format/fmt_json.h"

#include <stdlib.h>
#include <string.h>

#include "model/error.h"
#include "format/fmt_gc.h"
#include "format/fmt_linetime.h"

static void jstr(pyro_buf_t *out, const char *s) { pyro_buf_json_str(out, s, strlen(s)); }

static void jsid(pyro_buf_t *out, const pyro_profile_t *p, uint32_t id)
{
    size_t n = 0;
    const char *s = pyro_strtab_get(p->strs, id, &n);
    pyro_buf_json_str(out, s ? s : "", s ? n : 0);
}

static void jnum(pyro_buf_t *out, double v) { pyro_buf_printf(out, "%.9g", v); }

/* "meta":{...} */
static void jmeta(pyro_buf_t *out, const pyro_profile_t *p)
{
    pyro_buf_puts(out, "\"meta\":{");
    for (uint32_t i = 0; i < p->nmeta; i++) {
        if (i)
            pyro_buf_putc(out, ',');
        jsid(out, p, p->meta[i].key);
        pyro_buf_putc(out, ':');
        jsid(out, p, p->meta[i].value);
    }
    pyro_buf_putc(out, '}');
}

/* "threads":[...] */
static void jthreads(pyro_buf_t *out, const pyro_profile_t *p)
{
    pyro_buf_puts(out, "\"threads\":[");
    for (uint32_t t = 0; t < p->nthreads; t++) {
        const pyro_thread_t *th = &p->threads[t];
        pyro_buf_printf(out, "%s{\"ident\":%llu,\"native_id\":%llu,\"name\":", t ? "," : "",
                        (unsigned long long)th->ident, (unsigned long long)th->native_id);
        jsid(out, p, th->name);
        pyro_buf_putc(out, '}');
    }
    pyro_buf_putc(out, ']');
}

int pyro_fmt_json_lines(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *p = ctx->raw;
    pyro_linetimes_t t;
    int rc = pyro_linetimes_collect(p, &t);
    if (rc)
        return rc;
    pyro_buf_puts(out, "{\"format\":\"pyrometer\",\"version\":1,\"mode\":\"lines\",");
    jmeta(out, p);
    pyro_fmt_gc_json(p, out); /* "gc": the collector (--gc), when recorded */
    pyro_buf_puts(out, ",\n");
    jthreads(out, p);
    pyro_buf_puts(out, ",\n\"functions\":[");
    for (uint32_t i = 0; i < t.nfuncs; i++) {
        const pyro_lt_func_t *lf = &t.funcs[i];
        const pyro_func_t *fn = &p->funcs[lf->func];
        pyro_buf_puts(out, i ? ",\n{\"name\":" : "\n{\"name\":");
        jsid(out, p, fn->name);
        pyro_buf_puts(out, ",\"qualname\":");
        jsid(out, p, fn->qualname);
        pyro_buf_puts(out, ",\"file\":");
        jsid(out, p, fn->file);
        pyro_buf_printf(out, ",\"line\":%u,\"last_line\":%u,\"calls\":%lld,\"total_ns\":%lld",
                        fn->line, lf->last_line, (long long)lf->calls, (long long)lf->total_ns);
        pyro_buf_puts(out, ",\n \"lines\":[");
        for (uint32_t k = 0; k < lf->n; k++) {
            const pyro_lt_line_t *l = &t.lines[lf->first + k];
            pyro_buf_printf(out, "%s{\"line\":%u,\"hits\":%lld,\"total_ns\":%lld}", k ? "," : "",
                            l->line, (long long)l->hits, (long long)l->ns);
        }
        pyro_buf_puts(out, "]}");
    }
    pyro_buf_puts(out, "]}\n");
    pyro_linetimes_free(&t);
    return pyro_buf_status(out);
}

/* "functions":[...],"threads":[...],"node_fields":[...],"nodes":[...] */
static void jtree(pyro_buf_t *out, const pyro_profile_t *p)
{
    pyro_buf_puts(out, "\"functions\":[");
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        const pyro_func_t *fn = &p->funcs[f];
        pyro_buf_puts(out, f ? ",\n{\"name\":" : "\n{\"name\":");
        jsid(out, p, fn->name);
        pyro_buf_puts(out, ",\"qualname\":");
        jsid(out, p, fn->qualname);
        pyro_buf_puts(out, ",\"file\":");
        jsid(out, p, fn->file);
        pyro_buf_printf(out, ",\"line\":%u,\"kind\":", fn->line);
        jstr(out, fn->kind == PYRO_FUNC_NATIVE ? "native" : "python");
        pyro_buf_putc(out, '}');
    }
    pyro_buf_puts(out, "],\n");
    jthreads(out, p);
    /* the node rows: identity, then the profile's own metric columns */
    pyro_buf_puts(out, ",\n\"node_fields\":[\"parent\",\"thread\",\"function\",\"line\"");
    for (uint32_t c = 0; c < p->ncols; c++) {
        pyro_buf_putc(out, ',');
        jsid(out, p, p->cols[c].name);
    }
    pyro_buf_puts(out, "],\n\"nodes\":[");
    for (uint32_t n = 0; n < p->nnodes; n++) {
        const pyro_node_t *nd = &p->nodes[n];
        pyro_buf_printf(out, "%s[%lld,%u,%u,%u", n ? ",\n" : "\n",
                        nd->parent == PYRO_NONE ? -1LL : (long long)nd->parent, nd->thread,
                        nd->func, nd->line);
        const int64_t *v = pyro_node_vals(p, n);
        for (uint32_t c = 0; c < p->ncols; c++)
            pyro_buf_printf(out, ",%lld", (long long)v[c]);
        pyro_buf_putc(out, ']');
    }
    pyro_buf_putc(out, ']');
}

/* The memory recorder's summary figures (core/record/memtrack.h), from the
 * metadata, as numbers: those present and numeric, under their names. */
static const char *const MEM_SUMMARY[] = {
    "mem_interval",    "mem_peak_bytes", "mem_peak_ns",     "mem_peak_allocs", "mem_heap_bytes",
    "mem_alloc_bytes", "mem_allocs",     "mem_live_allocs", "mem_dropped",     "mem_own_bytes",
    "duration_ns",     "rss_peak_bytes", "rss_peak_ns",     "rss_max_bytes",
};

/* The profile's series: "series":{"NAME":{"columns":[...],"rows":[[...],...]},...} */
static void jseries(pyro_buf_t *out, const pyro_profile_t *p)
{
    pyro_buf_puts(out, "\"series\":{");
    for (uint32_t i = 0; i < p->nseries; i++) {
        const pyro_series_t *s = &p->series[i];
        pyro_buf_puts(out, i ? ",\n" : "\n");
        jstr(out, pyro_profile_strget(p, s->name));
        pyro_buf_puts(out, ":{");
        pyro_render_json_series(out, p, s);
        pyro_buf_putc(out, '}');
    }
    pyro_buf_puts(out, "}");
}

int pyro_fmt_json_memory(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *p = ctx->raw;
    pyro_buf_puts(out, "{\"format\":\"pyrometer\",\"version\":1,\"mode\":\"memory\",");
    jmeta(out, p);
    pyro_fmt_gc_json(p, out); /* "gc": the collector (--gc), when recorded */
    pyro_buf_puts(out, ",\n\"summary\":{");
    int first = 1;
    for (size_t i = 0; i < sizeof MEM_SUMMARY / sizeof MEM_SUMMARY[0]; i++) {
        const char *v = pyro_profile_get_meta(p, MEM_SUMMARY[i]);
        char *end = NULL;
        long long x = v && *v ? strtoll(v, &end, 10) : 0;
        if (!v || !*v || *end || x < 0)
            continue;
        pyro_buf_printf(out, "%s\"%s\":%lld", first ? "" : ",", MEM_SUMMARY[i], x);
        first = 0;
    }
    pyro_buf_puts(out, "},\n");
    jseries(out, p);
    pyro_buf_puts(out, ",\n");
    jtree(out, p);
    pyro_buf_puts(out, "}\n");
    return pyro_buf_status(out);
}

int pyro_fmt_json(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *p = ctx->raw; /* for samples: nodes with their lines */
    const pyro_stats_t *s = ctx->stats;
    pyro_buf_puts(out, "{\"format\":\"pyrometer\",\"version\":1,");
    jmeta(out, p);
    pyro_fmt_gc_json(p, out); /* "gc": the collector (--gc), when recorded */
    pyro_buf_puts(out, ",\n");
    jtree(out, p);
    pyro_buf_puts(out, ",\n\"stats\":{\"total_calls\":");
    pyro_buf_printf(out, "%llu,\"primitive_calls\":%llu,\"total_time\":",
                    (unsigned long long)s->total_calls, (unsigned long long)s->prim_calls);
    jnum(out, s->total_time);
    pyro_buf_puts(out, ",\"functions\":[");
    int first = 1;
    for (uint32_t f = 0; f < s->nfuncs; f++) {
        const pyro_fstat_t *fs = &s->funcs[f];
        if (!fs->ncalls)
            continue;
        pyro_buf_printf(out, "%s{\"function\":%u,\"ncalls\":%llu,\"primcalls\":%llu,\"tottime\":",
                        first ? "\n" : ",\n", f, (unsigned long long)fs->ncalls,
                        (unsigned long long)fs->primcalls);
        first = 0;
        jnum(out, fs->tottime);
        pyro_buf_puts(out, ",\"cumtime\":");
        jnum(out, fs->cumtime);
        pyro_buf_puts(out, ",\"callers\":[");
        for (uint32_t e = fs->first_caller; e < fs->first_caller + fs->ncallers; e++) {
            const pyro_edge_t *ed = &s->edges[e];
            pyro_buf_printf(out,
                            "%s{\"function\":%u,\"ncalls\":%llu,\"primcalls\":%llu,\"tottime\":",
                            e == fs->first_caller ? "" : ",", ed->caller,
                            (unsigned long long)ed->ncalls, (unsigned long long)ed->primcalls);
            jnum(out, ed->tottime);
            pyro_buf_puts(out, ",\"cumtime\":");
            jnum(out, ed->cumtime);
            pyro_buf_putc(out, '}');
        }
        pyro_buf_puts(out, "]}");
    }
    pyro_buf_puts(out, "]}}\n");
    return pyro_buf_status(out);
}
