/* SPDX-License-Identifier: MIT */
/* fmt_speedscope: frames = functions (memory profiles: a function at a line);
 * each node with own time (or bytes) = one sample. */
#include "format/fmt_speedscope.h"

#include <string.h>

#include "model/alloc.h"
#include "model/error.h"
#include "model/map.h"

static void jstr(pyro_buf_t *out, const char *s) { pyro_buf_json_str(out, s, strlen(s)); }

/* The frame table: a frame per function, or for a memory profile per
 * (function, line) its nodes were at. */
typedef struct frames {
    uint32_t *of_node; /* node -> frame */
    uint32_t *func, *line;
    uint32_t n;
} frames_t;

static int frames_build(const pyro_profile_t *p, frames_t *fr)
{
    size_t cap = (size_t)(p->mode == PYRO_MODE_MEMORY ? p->nnodes : p->nfuncs) + 1;
    fr->of_node = pyro_malloc(((size_t)p->nnodes + 1) * sizeof *fr->of_node);
    fr->func = pyro_malloc(cap * sizeof *fr->func);
    fr->line = pyro_malloc(cap * sizeof *fr->line);
    fr->n = 0;
    if (!fr->of_node || !fr->func || !fr->line)
        return PYRO_ENOMEM;
    if (p->mode != PYRO_MODE_MEMORY) {
        for (uint32_t f = 0; f < p->nfuncs; f++) {
            fr->func[f] = f;
            fr->line[f] = p->funcs[f].line;
        }
        fr->n = p->nfuncs;
        for (uint32_t n = 0; n < p->nnodes; n++)
            fr->of_node[n] = p->nodes[n].func;
        return PYRO_OK;
    }
    pyro_map_t index;
    pyro_map_init(&index);
    int rc = PYRO_OK;
    for (uint32_t n = 0; n < p->nnodes && !rc; n++) {
        const pyro_node_t *nd = &p->nodes[n];
        uint32_t line = nd->line ? nd->line : p->funcs[nd->func].line, k;
        if (!pyro_map_get(&index, nd->func, line, &k)) {
            k = fr->n++;
            fr->func[k] = nd->func;
            fr->line[k] = line;
            rc = pyro_map_put(&index, nd->func, line, k);
        }
        fr->of_node[n] = k;
    }
    pyro_map_free(&index);
    return rc;
}

static void frames_free(frames_t *fr)
{
    pyro_free(fr->of_node);
    pyro_free(fr->func);
    pyro_free(fr->line);
}

/* Append a sample's weight: bytes, or seconds from nanoseconds. */
static void weight(pyro_buf_t *out, int memory, int first, int64_t v)
{
    if (!first)
        pyro_buf_putc(out, ',');
    if (memory)
        pyro_buf_printf(out, "%lld", (long long)v);
    else
        pyro_buf_printf(out, "%.9f", (double)v * 1e-9);
}

int pyro_fmt_speedscope(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *p = ctx->p;
    const pyro_render_opts_t *o = ctx->o;
    const int weigh = pyro_render_weigh_memory(p, o), memory = weigh >= 0;
    frames_t fr;
    uint32_t *path = pyro_malloc(((size_t)p->nnodes + 1) * sizeof *path);
    int rc = frames_build(p, &fr);
    if (!path || rc) {
        pyro_free(path);
        frames_free(&fr);
        return PYRO_ENOMEM;
    }
    /* the own value of each node: time in ns, or bytes of the metric chosen */
    const int self = pyro_profile_col(p, memory ? weigh : PYRO_M_SELF_NS);
    pyro_buf_puts(out, "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
                       "\"exporter\":\"pyrometer\",\"name\":");
    int64_t all = 0;
    for (uint32_t n = 0; n < p->nnodes; n++)
        if (pyro_node_get(p, n, self) > 0)
            all += pyro_node_get(p, n, self);
    if (!all && (p->mode == PYRO_MODE_SAMPLE || memory)) { /* the name is the one place for text */
        pyro_buf_t name;
        pyro_buf_init(&name);
        pyro_buf_printf(&name, "%s: ", pyro_render_title(p, o));
        if (memory)
            pyro_buf_printf(&name, "no %s%s were recorded",
                            pyro_render_weigh_bytes(weigh) ? "bytes " : "",
                            pyro_render_mem_metric_words(weigh));
        else
            pyro_render_no_samples(p, &name);
        pyro_buf_putc(&name, '\0');
        rc = pyro_buf_status(&name);
        if (!rc)
            jstr(out, name.data);
        pyro_buf_free(&name);
        if (rc) {
            pyro_free(path);
            frames_free(&fr);
            return rc;
        }
    } else if (memory) {
        pyro_buf_t name;
        pyro_buf_init(&name);
        pyro_buf_printf(&name, "%s (%s%s)", pyro_render_title(p, o),
                        pyro_render_weigh_bytes(weigh) ? "bytes " : "",
                        pyro_render_mem_metric_words(weigh));
        pyro_buf_putc(&name, '\0');
        if (!name.failed)
            jstr(out, name.data);
        rc = pyro_buf_status(&name);
        pyro_buf_free(&name);
        if (rc) {
            pyro_free(path);
            frames_free(&fr);
            return rc;
        }
    } else {
        jstr(out, pyro_render_title(p, o));
    }
    pyro_buf_puts(out, ",\"activeProfileIndex\":0,\n\"shared\":{\"frames\":[");
    for (uint32_t k = 0; k < fr.n; k++) {
        uint32_t f = fr.func[k];
        const pyro_func_t *fn = &p->funcs[f];
        pyro_buf_puts(out, k ? ",\n{\"name\":" : "\n{\"name\":");
        if (fn->kind == PYRO_FUNC_NATIVE && memory) { /* as pyro_render_node_frame */
            jstr(out, pyro_profile_strget(p, fn->name));
        } else if (fn->kind == PYRO_FUNC_NATIVE) {
            char label[512];
            pyro_profile_func_label(p, f, label, sizeof label);
            jstr(out, label);
        } else {
            jstr(out, pyro_profile_strget(p, fn->qualname));
            pyro_buf_puts(out, ",\"file\":");
            /* speedscope shows the file on hover, not in the frame: library
             * files keep their full path there */
            const char *file = pyro_profile_strget(p, fn->file);
            jstr(out, pyro_render_is_library(file) ? file : pyro_render_path(o, file));
            pyro_buf_printf(out, ",\"line\":%u", fr.line[k]);
        }
        pyro_buf_putc(out, '}');
    }
    pyro_buf_puts(out, "]},\n\"profiles\":[");
    int first_profile = 1;
    for (uint32_t t = 0; t < p->nthreads; t++) {
        int64_t total = 0;
        for (uint32_t n = 0; n < p->nnodes; n++)
            if (p->nodes[n].thread == t && pyro_node_get(p, n, self) > 0)
                total += pyro_node_get(p, n, self);
        if (!total)
            continue;
        const char *name = pyro_profile_strget(p, p->threads[t].name);
        pyro_buf_puts(out, first_profile ? "\n{\"type\":\"sampled\",\"name\":"
                                         : ",\n{\"type\":\"sampled\",\"name\":");
        first_profile = 0;
        if (*name)
            jstr(out, name);
        else
            pyro_buf_printf(out, "\"thread %llu\"", (unsigned long long)p->threads[t].native_id);
        if (memory)
            pyro_buf_printf(out, ",\"unit\":\"%s\",\"startValue\":0,\"endValue\":%lld",
                            pyro_render_weigh_bytes(weigh) ? "bytes" : "none", (long long)total);
        else
            pyro_buf_printf(out, ",\"unit\":\"seconds\",\"startValue\":0,\"endValue\":%.9f",
                            (double)total * 1e-9);
        pyro_buf_puts(out, ",\"samples\":[");
        int first = 1;
        for (uint32_t n = 0; n < p->nnodes; n++) {
            if (p->nodes[n].thread != t || pyro_node_get(p, n, self) <= 0)
                continue;
            uint32_t depth = 0;
            for (uint32_t k = n; k != PYRO_NONE && depth <= p->nnodes; k = p->nodes[k].parent)
                path[depth++] = fr.of_node[k];
            pyro_buf_puts(out, first ? "\n[" : ",\n[");
            first = 0;
            for (uint32_t d = depth; d-- > 0;)
                pyro_buf_printf(out, d + 1 == depth ? "%u" : ",%u", path[d]);
            pyro_buf_putc(out, ']');
        }
        pyro_buf_puts(out, "],\"weights\":[");
        first = 1;
        for (uint32_t n = 0; n < p->nnodes; n++) {
            if (p->nodes[n].thread != t || pyro_node_get(p, n, self) <= 0)
                continue;
            weight(out, memory, first, pyro_node_get(p, n, self));
            first = 0;
        }
        pyro_buf_puts(out, "]}");
    }
    pyro_buf_puts(out, "]}\n");
    pyro_free(path);
    frames_free(&fr);
    return pyro_buf_status(out);
}
