/* SPDX-License-Identifier: MIT */
/* fmt_speedscope: frames = functions; each node with own time = one sample. */
#include "format/fmt_speedscope.h"

#include <string.h>

#include "model/alloc.h"
#include "model/error.h"

static void jstr(pyro_buf_t *out, const char *s) { pyro_buf_json_str(out, s, strlen(s)); }

int pyro_fmt_speedscope(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *p = ctx->p;
    const pyro_render_opts_t *o = ctx->o;
    uint32_t *path = pyro_malloc(((size_t)p->nnodes + 1) * sizeof *path);
    if (!path)
        return PYRO_ENOMEM;
    const int self = pyro_profile_col(p, PYRO_M_SELF_NS);
    pyro_buf_puts(out, "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
                       "\"exporter\":\"pyrometer\",\"name\":");
    int64_t all = 0;
    for (uint32_t n = 0; n < p->nnodes; n++)
        if (pyro_node_metric(p, n, PYRO_M_SELF_NS) > 0)
            all += pyro_node_metric(p, n, PYRO_M_SELF_NS);
    if (!all && p->mode == PYRO_MODE_SAMPLE) { /* the name is the one place for text */
        pyro_buf_t name;
        pyro_buf_init(&name);
        pyro_buf_printf(&name, "%s: ", pyro_render_title(p, o));
        pyro_render_no_samples(p, &name);
        pyro_buf_putc(&name, '\0');
        int rc = pyro_buf_status(&name);
        if (!rc)
            jstr(out, name.data);
        pyro_buf_free(&name);
        if (rc) {
            pyro_free(path);
            return rc;
        }
    } else {
        jstr(out, pyro_render_title(p, o));
    }
    pyro_buf_puts(out, ",\"activeProfileIndex\":0,\n\"shared\":{\"frames\":[");
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        const pyro_func_t *fn = &p->funcs[f];
        pyro_buf_puts(out, f ? ",\n{\"name\":" : "\n{\"name\":");
        if (fn->kind == PYRO_FUNC_NATIVE) {
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
            pyro_buf_printf(out, ",\"line\":%u", fn->line);
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
        pyro_buf_printf(out,
                        ",\"unit\":\"seconds\",\"startValue\":0,\"endValue\":%.9f,"
                        "\"samples\":[",
                        (double)total * 1e-9);
        int first = 1;
        for (uint32_t n = 0; n < p->nnodes; n++) {
            if (p->nodes[n].thread != t || pyro_node_get(p, n, self) <= 0)
                continue;
            uint32_t depth = 0;
            for (uint32_t k = n; k != PYRO_NONE && depth <= p->nnodes; k = p->nodes[k].parent)
                path[depth++] = p->nodes[k].func;
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
            pyro_buf_printf(out, first ? "%.9f" : ",%.9f",
                            (double)pyro_node_get(p, n, self) * 1e-9);
            first = 0;
        }
        pyro_buf_puts(out, "]}");
    }
    pyro_buf_puts(out, "]}\n");
    pyro_free(path);
    return pyro_buf_status(out);
}
