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
    double total;     /* seconds: 100% */
    int has_calls;    /* trace data: show the calls column */
    int fold;         /* fold library frames (sample trees without show_all) */
    uint64_t folded;  /* library frames folded in what was printed */
    pyro_buf_t guide; /* the box-drawing guides of the line being printed */
} walk_t;

typedef struct item {
    uint32_t node; /* the node; for a fold group, the library frame it folds under */
    uint32_t depth;
    uint32_t hidden; /* a fold group: how many library frames it stands for (0: a node) */
    uint8_t last;
    size_t guide_len;          /* bytes of guide before this node's own glyph */
    int64_t self_ns, total_ns; /* what the line shows (a group's: its frames' sums) */
} item_t;

static void line(walk_t *w, const item_t *it)
{
    const pyro_render_opts_t *o = w->o;
    double t = (double)it->total_ns * 1e-9, self = (double)it->self_ns * 1e-9;
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
        if (it->hidden)
            pyro_buf_puts(w->out, "       ");
        else
            pyro_render_count(w->out, (uint64_t)pyro_node_metric(w->p, it->node, PYRO_M_CALLS), 7);
    }
    pyro_buf_puts(w->out, "  ");
    pyro_buf_puts(w->out, pyro_color(o, PYRO_C_DIM));
    pyro_buf_append(w->out, w->guide.data ? w->guide.data : "", it->guide_len);
    if (it->depth > 0)
        pyro_buf_puts(w->out, it->last ? "\xe2\x94\x94\xe2\x94\x80 " : "\xe2\x94\x9c\xe2\x94\x80 ");
    pyro_buf_puts(w->out, pyro_color(o, PYRO_C_RESET));
    if (it->hidden) {
        pyro_buf_printf(w->out, "%s[%u library frame%s]%s\n", pyro_color(o, PYRO_C_DIM), it->hidden,
                        it->hidden == 1 ? "" : "s", pyro_color(o, PYRO_C_RESET));
        w->folded += it->hidden;
        return;
    }
    const pyro_node_t *node = &w->p->nodes[it->node];
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
    pyro_buf_putc(w->out, '\n');
}

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

static item_t node_item(const walk_t *w, uint32_t n)
{
    return (item_t){.node = n,
                    .self_ns = pyro_node_metric(w->p, n, PYRO_M_SELF_NS),
                    .total_ns = pyro_node_metric(w->p, n, PYRO_M_TOTAL_NS)};
}

/* Total time first, then nodes before groups, then by node index: a
 * deterministic order. */
static int by_total(const void *a, const void *b)
{
    const item_t *x = a, *y = b;
    if (x->total_ns != y->total_ns)
        return x->total_ns > y->total_ns ? -1 : 1;
    if ((x->hidden != 0) != (y->hidden != 0))
        return x->hidden ? 1 : -1;
    return x->node < y->node ? -1 : (x->node > y->node);
}

/* The children shown under item `it` (it->node == nnodes: the roots of
 * `thread`), largest total first. With folding, the library children of a
 * library frame and all their library descendants become one fold group,
 * shown as "[N library frames]": its self time is theirs, its total the
 * sum of theirs, and its children the frames (not library) called from
 * them. So every line's total is its self time plus its children's totals,
 * folded or not, less the children under the threshold. Explicit stack, no
 * recursion. */
static int shown_kids(walk_t *w, const item_t *it, uint32_t thread, ivec_t *out)
{
    const pyro_profile_t *p = w->p;
    uint32_t n = it->node;
    int fold = w->fold && n < p->nnodes && is_lib(w, n);
    double min = w->total * w->o->threshold;
    item_t group = {.node = n};
    ivec_t todo = {0};
    int rc = push(&todo, (item_t){.node = n});
    out->top = 0;
    while (todo.top && !rc) {
        uint32_t x = todo.items[--todo.top].node;
        int inside = x != n; /* a folded frame: below n, in the group */
        for (uint32_t i = w->kids.first[x]; i < w->kids.first[x + 1] && !rc; i++) {
            uint32_t k = w->kids.kids[i];
            if (p->nodes[k].thread != thread)
                continue;
            if (fold && is_lib(w, k)) {
                group.hidden++;
                group.self_ns += pyro_node_metric(p, k, PYRO_M_SELF_NS);
                if (!inside)
                    group.total_ns += pyro_node_metric(p, k, PYRO_M_TOTAL_NS);
                rc = push(&todo, (item_t){.node = k});
            } else if (inside != !!it->hidden) {
                continue; /* a node lists its own children, a group those of its frames */
            } else if ((double)pyro_node_metric(p, k, PYRO_M_TOTAL_NS) * 1e-9 >= min) {
                rc = push(out, node_item(w, k));
            }
        }
    }
    pyro_free(todo.items);
    if (!rc && group.hidden && !it->hidden && (double)group.total_ns * 1e-9 >= min)
        rc = push(out, group);
    if (rc)
        return rc;
    if (out->top > 1)
        qsort(out->items, out->top, sizeof *out->items, by_total);
    return PYRO_OK;
}

/* Print the subtree of every visible root of thread `thread`. Depth is
 * bounded by an explicit stack. */
static int print_forest(walk_t *w, uint32_t thread)
{
    const pyro_profile_t *p = w->p;
    ivec_t st = {0}, kids = {0};
    item_t roots = {.node = p->nnodes};
    int rc = shown_kids(w, &roots, thread, &kids);
    for (size_t i = kids.top; i > 0 && !rc; i--) {
        item_t k = kids.items[i - 1];
        k.last = i == kids.top;
        rc = push(&st, k);
    }
    while (st.top && !rc) {
        item_t it = st.items[--st.top];
        if ((rc = shown_kids(w, &it, thread, &kids)))
            break;
        w->guide.len = it.guide_len;
        line(w, &it);
        if (it.depth > 0)
            pyro_buf_puts(&w->guide, it.last ? "   " : "\xe2\x94\x82  ");
        size_t child_guide = w->guide.len;
        if ((rc = pyro_buf_status(&w->guide)))
            break;
        for (size_t i = kids.top; i > 0 && !rc; i--) {
            item_t k = kids.items[i - 1];
            k.depth = it.depth + 1;
            k.last = i == kids.top;
            k.guide_len = child_guide;
            rc = push(&st, k);
        }
    }
    pyro_free(st.items);
    pyro_free(kids.items);
    return rc;
}

int pyro_fmt_tree(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *p = ctx->p;
    const pyro_render_opts_t *o = ctx->o;
    walk_t w = {.p = p, .o = o, .out = out};
    if (pyro_profile_children(p, &w.kids))
        return PYRO_ENOMEM;
    pyro_buf_init(&w.guide);
    w.total = (double)pyro_profile_total_ns(p) * 1e-9;
    for (uint32_t i = 0; i < p->nnodes; i++)
        if (pyro_node_metric(p, i, PYRO_M_CALLS)) {
            w.has_calls = 1;
            break;
        }
    w.fold = p->mode == PYRO_MODE_SAMPLE && !o->show_all;
    /* threads that have roots, in order of appearance */
    int rc = PYRO_OK;
    uint32_t shown_threads = 0;
    for (uint32_t t = 0; t < p->nthreads; t++) {
        int64_t tt = 0;
        for (uint32_t i = w.kids.first[p->nnodes]; i < w.kids.first[p->nnodes + 1]; i++)
            if (p->nodes[w.kids.kids[i]].thread == t)
                tt += pyro_node_metric(p, w.kids.kids[i], PYRO_M_TOTAL_NS);
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
    if (!shown_threads && p->mode == PYRO_MODE_SAMPLE) {
        pyro_render_no_samples(p, out);
        pyro_buf_putc(out, '\n');
    } else if (!shown_threads) {
        pyro_buf_puts(out, "(no calls recorded)\n");
    } else if (o->threshold > 0 || w.folded) {
        pyro_buf_puts(out, pyro_color(o, PYRO_C_DIM));
        if (o->threshold > 0)
            pyro_buf_printf(out, "(%s under %.1f%% of the total are hidden%s",
                            p->mode == PYRO_MODE_SAMPLE ? "frames" : "calls", o->threshold * 100,
                            w.folded ? "; " : ")");
        else
            pyro_buf_putc(out, '(');
        if (w.folded)
            pyro_buf_puts(out, "runs of library frames are folded, --show-all shows them)");
        pyro_buf_printf(out, "%s\n", pyro_color(o, PYRO_C_RESET));
    }

    pyro_buf_free(&w.guide);
    pyro_children_free(&w.kids);
    return rc ? rc : pyro_buf_status(out);
}
