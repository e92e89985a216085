/* SPDX-License-Identifier: MIT */
/* fmt_tree: iterative depth-first print with box-drawing guides. */
#include "format/fmt_tree.h"

#include <stdlib.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"

typedef struct walk {
    const pyro_profile_t *p;
    const pyro_render_opts_t *o;
    pyro_buf_t *out;
    pyro_children_t kids;
    double total;    /* seconds: 100% */
    int has_calls;   /* trace data: show the calls column */
    int fold;        /* fold library frames (sample trees without show_all) */
    uint64_t folded; /* library frames folded in what was printed */
} walk_t;

static void line(walk_t *w, uint32_t n, const char *guide, size_t glen, int last, int depth,
                 uint32_t hidden)
{
    const pyro_node_t *node = &w->p->nodes[n];
    const pyro_render_opts_t *o = w->o;
    double t = (double)node->total_ns * 1e-9, self = (double)node->self_ns * 1e-9;
    double share = w->total > 0 ? self / w->total : 0;
    const char *hot = share >= 0.10   ? pyro_color(o, PYRO_C_RED)
                      : share >= 0.02 ? pyro_color(o, PYRO_C_YELLOW)
                                      : "";
    pyro_render_duration(w->out, t, 8);
    pyro_buf_printf(w->out, " %5.1f%% ", w->total > 0 ? 100.0 * t / w->total : 0.0);
    pyro_buf_puts(w->out, hot);
    pyro_render_duration(w->out, self, 8);
    pyro_buf_puts(w->out, *hot ? pyro_color(o, PYRO_C_RESET) : "");
    if (w->has_calls) {
        pyro_buf_putc(w->out, ' ');
        pyro_render_count(w->out, node->calls, 7);
    }
    pyro_buf_puts(w->out, "  ");
    pyro_buf_puts(w->out, pyro_color(o, PYRO_C_DIM));
    pyro_buf_append(w->out, guide, glen);
    if (depth > 0)
        pyro_buf_puts(w->out, last ? "\xe2\x94\x94\xe2\x94\x80 " : "\xe2\x94\x9c\xe2\x94\x80 ");
    pyro_buf_puts(w->out, pyro_color(o, PYRO_C_RESET));
    const pyro_func_t *fn = &w->p->funcs[node->func];
    pyro_buf_puts(w->out, pyro_color(o, PYRO_C_BOLD));
    if (fn->kind == PYRO_FUNC_NATIVE) {
        pyro_render_frame(w->p, node->func, o, w->out);
        pyro_buf_puts(w->out, pyro_color(o, PYRO_C_RESET));
    } else {
        pyro_buf_puts(w->out, pyro_profile_strget(w->p, fn->qualname));
        pyro_buf_puts(w->out, pyro_color(o, PYRO_C_RESET));
        pyro_buf_printf(w->out, "  %s%s:%u%s", pyro_color(o, PYRO_C_DIM),
                        pyro_render_path(o, pyro_profile_strget(w->p, fn->file)),
                        node->line ? node->line : fn->line, pyro_color(o, PYRO_C_RESET));
    }
    if (hidden) {
        pyro_buf_printf(w->out, "  %s[%u library frame%s folded]%s", pyro_color(o, PYRO_C_DIM),
                        hidden, hidden == 1 ? "" : "s", pyro_color(o, PYRO_C_RESET));
        w->folded += hidden;
    }
    pyro_buf_putc(w->out, '\n');
}

typedef struct item {
    uint32_t node;
    uint32_t depth;
    uint32_t hidden; /* library frames folded between this node and its children */
    uint8_t last;
    size_t guide_len; /* bytes of guide before this node's own glyph */
} item_t;

typedef struct ivec {
    item_t *items;
    size_t top, cap;
} ivec_t;

static int push(ivec_t *s, item_t it)
{
    if (s->top == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        item_t *n = pyro_reallocarray(s->items, cap, sizeof *n);
        if (!n)
            return PYRO_ENOMEM;
        s->items = n;
        s->cap = cap;
    }
    s->items[s->top++] = it;
    return PYRO_OK;
}

static int is_lib(const walk_t *w, uint32_t n)
{
    const pyro_func_t *f = &w->p->funcs[w->p->nodes[n].func];
    return f->kind == PYRO_FUNC_NATIVE ||
           pyro_render_is_library(pyro_profile_strget(w->p, f->file));
}

/* The children shown under node `n` (n == nnodes: roots of `thread`), by
 * total time: with folding, a library node's library children are replaced
 * by their own shown children, counted in *hidden. Explicit stack, no
 * recursion. */
static int shown_kids(walk_t *w, uint32_t n, uint32_t thread, ivec_t *out, uint32_t *hidden)
{
    const pyro_profile_t *p = w->p;
    int fold = w->fold && n < p->nnodes && is_lib(w, n);
    ivec_t todo = {0};
    int rc = push(&todo, (item_t){n, 0, 0, 0, 0});
    out->top = 0;
    *hidden = 0;
    while (todo.top && !rc) {
        uint32_t x = todo.items[--todo.top].node;
        for (uint32_t i = w->kids.first[x]; i < w->kids.first[x + 1] && !rc; i++) {
            uint32_t k = w->kids.kids[i];
            if (p->nodes[k].thread != thread)
                continue;
            if (fold && is_lib(w, k)) {
                (*hidden)++;
                rc = push(&todo, (item_t){k, 0, 0, 0, 0});
            } else if ((double)p->nodes[k].total_ns * 1e-9 >= w->total * w->o->threshold) {
                rc = push(out, (item_t){k, 0, 0, 0, 0});
            }
        }
    }
    pyro_free(todo.items);
    if (rc)
        return rc;
    /* by total time, largest first */
    if (out->top > 1) {
        pyro_ranked_t *tmp = pyro_malloc(out->top * sizeof *tmp);
        if (!tmp)
            return PYRO_ENOMEM;
        for (size_t i = 0; i < out->top; i++)
            tmp[i] = (pyro_ranked_t){p->nodes[out->items[i].node].total_ns, out->items[i].node};
        qsort(tmp, out->top, sizeof *tmp, pyro_ranked_cmp);
        for (size_t i = 0; i < out->top; i++)
            out->items[i].node = tmp[i].node;
        pyro_free(tmp);
    }
    return PYRO_OK;
}

/* Print the subtree of every visible root of thread `thread`. Depth is
 * bounded by an explicit stack. */
static int print_forest(walk_t *w, uint32_t thread)
{
    const pyro_profile_t *p = w->p;
    ivec_t st = {0}, kids = {0};
    pyro_buf_t guide;
    pyro_buf_init(&guide);
    uint32_t hidden;
    int rc = shown_kids(w, p->nnodes, thread, &kids, &hidden);
    for (size_t i = kids.top; i > 0 && !rc; i--)
        rc = push(&st, (item_t){kids.items[i - 1].node, 0, 0, i == kids.top, 0});
    while (st.top && !rc) {
        item_t it = st.items[--st.top];
        if ((rc = shown_kids(w, it.node, thread, &kids, &hidden)))
            break;
        guide.len = it.guide_len;
        line(w, it.node, guide.data ? guide.data : "", guide.len, it.last, (int)it.depth, hidden);
        if (it.depth > 0)
            pyro_buf_puts(&guide, it.last ? "   " : "\xe2\x94\x82  ");
        size_t child_guide = guide.len;
        if ((rc = pyro_buf_status(&guide)))
            break;
        for (size_t i = kids.top; i > 0 && !rc; i--)
            rc = push(
                &st, (item_t){kids.items[i - 1].node, it.depth + 1, 0, i == kids.top, child_guide});
    }
    pyro_free(st.items);
    pyro_free(kids.items);
    pyro_buf_free(&guide);
    return rc;
}

int pyro_fmt_tree(const pyro_profile_t *p, const pyro_render_opts_t *o, pyro_buf_t *out)
{
    walk_t w = {.p = p, .o = o, .out = out};
    if (pyro_profile_children(p, &w.kids))
        return PYRO_ENOMEM;
    w.total = (double)pyro_profile_total_ns(p) * 1e-9;
    for (uint32_t i = 0; i < p->nnodes; i++)
        if (p->nodes[i].calls) {
            w.has_calls = 1;
            break;
        }
    w.fold = pyro_profile_is_sampled(p) && !o->show_all;
    /* threads that have roots, in order of appearance */
    int rc = PYRO_OK;
    uint32_t shown_threads = 0;
    for (uint32_t t = 0; t < p->nthreads; t++) {
        int64_t tt = 0;
        for (uint32_t i = w.kids.first[p->nnodes]; i < w.kids.first[p->nnodes + 1]; i++)
            if (p->nodes[w.kids.kids[i]].thread == t)
                tt += p->nodes[w.kids.kids[i]].total_ns;
        if (!tt)
            continue;
        if (shown_threads++ == 0) {
            pyro_buf_printf(out, "%s   total      %%     self%s  %sfunction%s\n",
                            pyro_color(o, PYRO_C_CYAN), w.has_calls ? "   calls" : "", "",
                            pyro_color(o, PYRO_C_RESET));
        }
        if (p->nthreads > 1) {
            const char *name = pyro_profile_strget(p, p->threads[t].name);
            pyro_buf_printf(out, "%s-- thread %s%s(id %llu) --%s\n", pyro_color(o, PYRO_C_CYAN),
                            name, *name ? " " : "", (unsigned long long)p->threads[t].native_id,
                            pyro_color(o, PYRO_C_RESET));
        }
        if ((rc = print_forest(&w, t)))
            break;
    }
    if (!shown_threads)
        pyro_buf_puts(out, "(no calls recorded)\n");
    else if (o->threshold > 0)
        pyro_buf_printf(out, "%s(calls under %.1f%% of the total are hidden%s)%s\n",
                        pyro_color(o, PYRO_C_DIM), o->threshold * 100,
                        w.folded ? "; library frames are folded, --show-all shows them" : "",
                        pyro_color(o, PYRO_C_RESET));

    pyro_children_free(&w.kids);
    return rc ? rc : pyro_buf_status(out);
}
