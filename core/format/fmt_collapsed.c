/* SPDX-License-Identifier: MIT */
/* fmt_collapsed: nodes come parent-first, so each node's path is its
 * parent's path plus one frame; paths are kept as offsets into one buffer. */
#include "format/fmt_collapsed.h"

#include <string.h>

#include "model/alloc.h"
#include "model/error.h"

/* Append a frame name with the separators of the format made harmless. */
static void frame(pyro_buf_t *paths, const pyro_profile_t *p, uint32_t n,
                  const pyro_render_opts_t *o)
{
    size_t start = paths->len;
    pyro_render_node_frame(p, n, o, paths);
    if (paths->failed)
        return;
    for (size_t i = start; i < paths->len; i++) {
        char c = paths->data[i];
        if (c == ';')
            paths->data[i] = ':';
        else if (c == '\n' || c == '\r')
            paths->data[i] = ' ';
    }
}

int pyro_fmt_collapsed(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *p = ctx->p;
    const pyro_render_opts_t *o = ctx->o;
    /* samples count as samples (the CPU view: samples on a CPU); traced
     * time counts in microseconds; memory in bytes of the metric chosen */
    int weigh = pyro_render_weigh_memory(p, o), memory = weigh >= 0;
    int sampled = p->mode == PYRO_MODE_SAMPLE && !memory;
    int weight = pyro_profile_col(p, memory     ? weigh
                                     : !sampled ? PYRO_M_SELF_NS
                                     : o->cpu   ? PYRO_M_RUNNING
                                                : PYRO_M_SAMPLES);
    /* off[n], len[n]: node n's full path inside `paths` */
    size_t *off = pyro_calloc(p->nnodes ? p->nnodes : 1, sizeof *off);
    size_t *len = pyro_calloc(p->nnodes ? p->nnodes : 1, sizeof *len);
    pyro_buf_t paths;
    pyro_buf_init(&paths);
    int rc = PYRO_ENOMEM;
    if (!off || !len)
        goto cleanup;
    for (uint32_t n = 0; n < p->nnodes; n++) {
        const pyro_node_t *node = &p->nodes[n];
        off[n] = paths.len;
        if (node->parent != PYRO_NONE) {
            /* copy the parent path (it may move while appending: copy by index) */
            size_t po = off[node->parent], pl = len[node->parent];
            if (pyro_buf_reserve(&paths, pl + 1))
                goto cleanup;
            memcpy(paths.data + paths.len, paths.data + po, pl);
            paths.len += pl;
            pyro_buf_putc(&paths, ';');
        }
        frame(&paths, p, n, o);
        len[n] = paths.len - off[n];
        if (paths.failed)
            goto cleanup;
        int64_t v = pyro_node_get(p, n, weight);
        if (!sampled && !memory)
            v = (v + 500) / 1000;
        if (v > 0) {
            pyro_buf_append(out, paths.data + off[n], len[n]);
            pyro_buf_printf(out, " %lld\n", (long long)v);
        }
    }
    rc = pyro_buf_status(out);
cleanup:
    pyro_free(off);
    pyro_free(len);
    pyro_buf_free(&paths);
    return rc;
}
