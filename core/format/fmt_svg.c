/* SPDX-License-Identifier: MIT */
/* fmt_svg: layout in C (depth-first, children by total time), behaviour in
 * a small embedded script that rescales frames from their data attributes. */
#include "format/fmt_svg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/alloc.h"
#include "model/error.h"

#define WIDTH 1200
#define FRAME_H 16
#define TOP 54    /* title and controls */
#define BOTTOM 30 /* details line */
#define MIN_SHARE 1e-4
#define PYRO_XSTR(x) #x
#define PYRO_STR(x) PYRO_XSTR(x)

typedef struct box {
    uint32_t node; /* PYRO_NONE: "all"; node index, or thread record (see kind) */
    int kind;      /* 0 all, 1 thread, 2 node */
    uint32_t depth;
    double x, w; /* fractions of the total */
} box_t;

/* XML-escaped text. */
static void xml(pyro_buf_t *out, const char *s) { pyro_render_xml(out, s, strlen(s)); }

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The label of box `b` into `lab` ("qualname (path:line)", library paths
 * short) and, into `full`, the same with the file's full path (hover). */
static void label_of(const pyro_profile_t *p, const pyro_render_opts_t *o, const box_t *b,
                     pyro_buf_t *lab, pyro_buf_t *full, int *lib)
{
    lab->len = 0;
    full->len = 0;
    *lib = 0;
    if (b->kind == 0) {
        pyro_buf_puts(lab, "all");
    } else if (b->kind == 1) {
        const pyro_thread_t *t = &p->threads[b->node];
        const char *name = pyro_profile_strget(p, t->name);
        if (*name)
            pyro_buf_printf(lab, "thread %s", name);
        else
            pyro_buf_printf(lab, "thread %llu", (unsigned long long)t->native_id);
    } else {
        const pyro_node_t *nd = &p->nodes[b->node];
        const pyro_func_t *fn = &p->funcs[nd->func];
        pyro_render_node_frame(p, b->node, o, lab);
        *lib = fn->kind == PYRO_FUNC_NATIVE ||
               pyro_render_is_library(pyro_profile_strget(p, fn->file));
        /* the line shown is the function's first, or in a memory profile the node's */
        uint32_t line = p->mode == PYRO_MODE_MEMORY && nd->line ? nd->line : fn->line;
        if (fn->kind != PYRO_FUNC_NATIVE)
            pyro_buf_printf(full, "%s (%s:%u)", pyro_profile_strget(p, fn->qualname),
                            pyro_profile_strget(p, fn->file), line);
    }
    if (!full->len && lab->len)
        pyro_buf_append(full, lab->data, lab->len);
    pyro_buf_putc(lab, '\0');
    pyro_buf_putc(full, '\0');
}

/* The boxes still to lay out (a stack), and scratch space for ranking. */
typedef struct pending {
    box_t **todo;
    uint32_t *n, *cap;
    pyro_ranked_t *tmp;  /* p->nnodes + 1 entries */
    const int64_t *incl; /* each node's width: its value including its descendants' */
    int64_t total;
} pending_t;

/* Push the children of `node` (nnodes: the roots of thread `thread`) that
 * have a width, side by side from x, largest first. */
static int push_kids(const pyro_profile_t *p, const pyro_children_t *kids, pending_t *pd,
                     uint32_t node, uint32_t thread, uint32_t depth, double x)
{
    uint32_t m = 0;
    for (uint32_t i = kids->first[node]; i < kids->first[node + 1]; i++) {
        uint32_t k = kids->kids[i];
        if (p->nodes[k].thread == thread && pd->incl[k] > 0)
            pd->tmp[m++] = (pyro_ranked_t){pd->incl[k], k};
    }
    qsort(pd->tmp, m, sizeof *pd->tmp, pyro_ranked_cmp);
    for (uint32_t i = 0; i < m; i++) {
        double w = (double)pd->tmp[i].key / (double)pd->total;
        int rc = pyro_grow((void **)pd->todo, pd->cap, *pd->n, sizeof **pd->todo);
        if (rc)
            return rc;
        (*pd->todo)[(*pd->n)++] = (box_t){pd->tmp[i].node, 2, depth, x, w};
        x += w;
    }
    return PYRO_OK;
}

/* Each node's width into incl[]: total time, or for a memory profile the
 * bytes of the chosen metric of its subtree (own values summed upwards:
 * parents come before children). */
static void widths(const pyro_profile_t *p, const pyro_render_opts_t *o, int64_t *incl)
{
    int m = pyro_render_weigh_memory(p, o);
    if (m < 0) {
        for (uint32_t n = 0; n < p->nnodes; n++)
            incl[n] = pyro_node_metric(p, n, PYRO_M_TOTAL_NS);
        return;
    }
    for (uint32_t n = 0; n < p->nnodes; n++)
        incl[n] = pyro_node_metric(p, n, m);
    for (uint32_t n = p->nnodes; n-- > 0;)
        if (p->nodes[n].parent != PYRO_NONE)
            incl[p->nodes[n].parent] += incl[n];
}

/* Append a box's value: bytes for memory (metric `weigh`), a count for
 * events, else a duration. */
static void amount(pyro_buf_t *out, int memory, int weigh, int64_t v)
{
    if (memory && !pyro_render_weigh_bytes(weigh))
        pyro_render_count(out, (uint64_t)v, 0);
    else if (memory)
        pyro_render_bytes(out, v, 0);
    else
        pyro_render_duration(out, (double)v * 1e-9, 0);
}

/* The behaviour: W is the width laid out for, 1200 in the file (what a
 * viewer without scripts shows); in a browser the graph takes the window's
 * width and lays out again whenever the window is resized. */
static const char SCRIPT[] =
    "<script type=\"text/ecmascript\"><![CDATA[\n"
    "var W=" PYRO_STR(
        WIDTH) ",H,svg,frames=[],details,matched,zoomed=null;\n"
               "function fit(g,x,w){var r=g.children[1],t=g.children[2];r.setAttribute('x',x);"
               "r.setAttribute('width',Math.max(w-0.5,0));t.setAttribute('x',x+3);"
               "var full=g.getAttribute('data-l'),n=Math.floor((w-6)/7);"
               "t.textContent=n<3?'':(full.length<=n?full:full.substring(0,n-2)+'..');}\n"
               "function show(){frames.forEach(function(g){var x=+g.getAttribute('data-x'),"
               "w=+g.getAttribute('data-w'),d=+g.getAttribute('data-d');g.style.display='';"
               "g.style.opacity='';if(zoomed){var zx=+zoomed.getAttribute('data-x'),"
               "zw=+zoomed.getAttribute('data-w'),zd=+zoomed.getAttribute('data-d');"
               "if(d<zd){if(x<=zx+1e-12&&x+w>=zx+zw-1e-12){g.style.opacity='0.5';fit(g,10,W-20);}"
               "else g.style.display='none';return;}"
               "if(x<zx-1e-12||x+w>zx+zw+1e-12){g.style.display='none';return;}"
               "fit(g,10+(x-zx)/zw*(W-20),w/zw*(W-20));}else fit(g,10+x*(W-20),w*(W-20));});"
               "document.getElementById('reset').style.opacity=zoomed?1:0;}\n"
               "function place(id,x){var "
               "e=document.getElementById(id);if(e)e.setAttribute('x',x);}\n"
               "function resize(){var w=Math.floor(svg.getBoundingClientRect().width);"
               "if(!(w>0))return;W=Math.max(w,200);svg.setAttribute('viewBox','0 0 '+W+' '+H);"
               "document.getElementById('bg').setAttribute('width',W);"
               "place('title',W/2);place('subtitle',W/"
               "2);place('search',W-10);place('matched',W-10);"
               "show();}\n"
               "function init(){svg=document.documentElement;H=+svg.getAttribute('height');"
               "frames=Array.prototype.slice.call(document.querySelectorAll('g.f'));"
               "details=document.getElementById('details').firstChild;"
               "matched=document.getElementById('matched');"
               "frames.forEach(function(g){g.onmouseover=function(){details.nodeValue=g."
               "getAttribute("
               "'data-i');};g.onmouseout=function(){details.nodeValue=' ';};"
               "g.onclick=function(){zoomed=+g.getAttribute('data-d')==0?null:g;show();};});"
               "svg.setAttribute('width','100%');window.addEventListener('resize',resize);resize();"
               "}\n"
               "function reset(){zoomed=null;show();}\n"
               "function search(){var term=prompt('Search for (regular expression):','');"
               "if(term===null)return;var re;try{re=new RegExp(term);}catch(e){alert(e);return;}"
               "var spans=[];frames.forEach(function(g){var r=g.children[1];"
               "if(term&&re.test(g.getAttribute('data-l'))){r.setAttribute('fill',r.getAttribute("
               "'data-c')=='lib'?'rgb(200,0,200)':'rgb(230,0,230)');"
               "spans.push([+g.getAttribute('data-x'),+g.getAttribute('data-w')]);}"
               "else r.setAttribute('fill',r.getAttribute('data-f'));});"
               "spans.sort(function(a,b){return a[0]-b[0];});var tot=0,end=-1;"
               "spans.forEach(function(s){if(s[0]>=end){tot+=s[1];end=s[0]+s[1];}"
               "else if(s[0]+s[1]>end){tot+=s[0]+s[1]-end;end=s[0]+s[1];}});"
               "matched.firstChild.nodeValue=term?'Matched: '+(100*tot).toFixed(1)+'%':' ';}\n"
               "window.addEventListener('keydown',function(e){if((e.ctrlKey||e.metaKey)&&e.key=='f'"
               ")"
               "{e.preventDefault();search();}if(e.key=='Escape')reset();});\n"
               "]]></script>\n";

int pyro_fmt_svg(const pyro_write_ctx_t *ctx, pyro_buf_t *out)
{
    const pyro_profile_t *p = ctx->p;
    const pyro_render_opts_t *o = ctx->o;
    pyro_children_t kids;
    if (pyro_profile_children(p, &kids))
        return PYRO_ENOMEM;
    box_t *boxes = NULL, *todo = NULL;
    uint32_t nboxes = 0, capboxes = 0, ntodo = 0, captodo = 0, maxdepth = 0;
    pyro_ranked_t *tmp = pyro_malloc(((size_t)p->nnodes + 1) * sizeof *tmp);
    int64_t *tthread = pyro_calloc((size_t)p->nthreads + 1, sizeof *tthread);
    int64_t *incl = pyro_calloc((size_t)p->nnodes + 1, sizeof *incl);
    const int weigh = pyro_render_weigh_memory(p, o), memory = weigh >= 0;
    pyro_buf_t lab, full;
    pyro_buf_init(&lab);
    pyro_buf_init(&full);
    int rc = !tmp || !tthread || !incl ? PYRO_ENOMEM : PYRO_OK;
    if (!rc)
        widths(p, o, incl);
    int64_t total = 0;
    uint32_t nthreads_shown = 0;
    for (uint32_t i = kids.first[p->nnodes]; i < kids.first[p->nnodes + 1] && !rc; i++) {
        const pyro_node_t *r = &p->nodes[kids.kids[i]];
        int64_t t = incl[kids.kids[i]];
        if (t > 0) {
            nthreads_shown += tthread[r->thread] == 0;
            tthread[r->thread] += t;
            total += t;
        }
    }
    /* layout: "all", then (with several threads) one box per thread, then
     * the nodes depth-first; the children of each by total time */
    if (!rc && total > 0) {
        rc = pyro_grow((void **)&boxes, &capboxes, nboxes, sizeof *boxes);
        if (!rc)
            boxes[nboxes++] = (box_t){PYRO_NONE, 0, 0, 0, 1};
        double x = 0;
        for (uint32_t t = 0; t < p->nthreads && !rc; t++) {
            if (!tthread[t])
                continue;
            double w = (double)tthread[t] / (double)total;
            uint32_t base = 1;
            if (nthreads_shown > 1) {
                if (!(rc = pyro_grow((void **)&boxes, &capboxes, nboxes, sizeof *boxes)))
                    boxes[nboxes++] = (box_t){t, 1, 1, x, w};
                base = 2;
            }
            pending_t pend = {&todo, &ntodo, &captodo, tmp, incl, total};
            rc = push_kids(p, &kids, &pend, p->nnodes, t, base, x);
            while (ntodo && !rc) {
                box_t b = todo[--ntodo];
                if (b.w < MIN_SHARE)
                    continue;
                if ((rc = pyro_grow((void **)&boxes, &capboxes, nboxes, sizeof *boxes)))
                    break;
                boxes[nboxes++] = b;
                if (b.depth > maxdepth)
                    maxdepth = b.depth;
                rc = push_kids(p, &kids, &pend, b.node, t, b.depth + 1, b.x);
            }
            x += w;
        }
    }
    if (!rc) {
        uint32_t height = TOP + (maxdepth + 1) * FRAME_H + BOTTOM;
        pyro_buf_printf(out,
                        "<?xml version=\"1.0\" standalone=\"no\"?>\n"
                        "<svg version=\"1.1\" width=\"%d\" height=\"%u\" viewBox=\"0 0 %d %u\" "
                        "onload=\"init()\" xmlns=\"http://www.w3.org/2000/svg\">\n"
                        "<style>text{font-family:Verdana,sans-serif;font-size:12px;fill:#000}"
                        "g.f:hover rect{stroke:#000;stroke-width:0.5;cursor:pointer}"
                        ".c{cursor:pointer}</style>\n",
                        WIDTH, height, WIDTH, height);
        pyro_buf_puts(out, SCRIPT);
        pyro_buf_printf(out,
                        "<rect id=\"bg\" x=\"0\" y=\"0\" width=\"%d\" height=\"%u\" "
                        "fill=\"#f8f8f0\"/>\n"
                        "<text id=\"title\" x=\"%d\" y=\"22\" text-anchor=\"middle\" "
                        "style=\"font-size:17px\">",
                        WIDTH, height, WIDTH / 2);
        xml(out, pyro_render_title(p, o));
        pyro_buf_printf(out,
                        "</text>\n<text id=\"subtitle\" x=\"%d\" y=\"40\" "
                        "text-anchor=\"middle\" style=\"fill:#666\">%s%s; click a frame to "
                        "zoom, Esc to reset, Ctrl-F to search</text>\n"
                        "<text id=\"reset\" class=\"c\" x=\"10\" y=\"22\" onclick=\"reset()\" "
                        "style=\"opacity:0\">Reset Zoom</text>\n"
                        "<text id=\"search\" class=\"c\" x=\"%d\" y=\"22\" text-anchor=\"end\" "
                        "onclick=\"search()\">Search</text>\n"
                        "<text id=\"matched\" x=\"%d\" y=\"%u\" text-anchor=\"end\"> </text>\n"
                        "<text id=\"details\" x=\"10\" y=\"%u\"> </text>\n",
                        WIDTH / 2, memory && pyro_render_weigh_bytes(weigh) ? "bytes " : "",
                        memory                        ? pyro_render_mem_metric_words(weigh)
                        : p->mode == PYRO_MODE_SAMPLE ? (o->cpu ? "CPU time" : "wall time")
                                                      : "traced time",
                        WIDTH - 10, WIDTH - 10, height - 10, height - 10);
        if (!nboxes) { /* nothing to draw: say why where the frames would be */
            pyro_buf_printf(out, "<text id=\"empty\" x=\"10\" y=\"%d\">", TOP + FRAME_H - 4);
            lab.len = 0;
            if (memory)
                pyro_buf_puts(
                    &lab, weigh == PYRO_M_LEAKED_BYTES ? "Nothing was live at the end: no leaks."
                          : weigh == PYRO_M_PEAK_BYTES ? "No allocations were live at the peak."
                                                       : "No allocations were recorded.");
            else if (p->mode == PYRO_MODE_SAMPLE)
                pyro_render_no_samples(p, &lab);
            else
                pyro_buf_puts(&lab, "No calls recorded.");
            pyro_buf_putc(&lab, '\0');
            if (!lab.failed)
                xml(out, lab.data);
            pyro_buf_puts(out, "</text>\n");
        }
        for (uint32_t i = 0; i < nboxes; i++) {
            const box_t *b = &boxes[i];
            int lib;
            label_of(p, o, b, &lab, &full, &lib);
            if (lab.failed || full.failed)
                break;
            int64_t value = b->kind == 0 ? total : b->kind == 1 ? tthread[b->node] : incl[b->node];
            uint32_t h = hash(lab.data);
            char fill[40];
            if (b->kind < 2)
                snprintf(fill, sizeof fill, "rgb(200,200,200)");
            else if (lib)
                snprintf(fill, sizeof fill, "rgb(%u,%u,%u)", 80 + h % 60, 160 + (h >> 8) % 50,
                         200 + (h >> 16) % 55);
            else
                snprintf(fill, sizeof fill, "rgb(%u,%u,%u)", 205 + h % 50, 80 + (h >> 8) % 130,
                         (h >> 16) % 55);
            double y = (double)TOP + (double)(maxdepth - b->depth) * FRAME_H;
            pyro_buf_puts(out, "<g class=\"f\" data-l=\"");
            xml(out, lab.data);
            pyro_buf_printf(out, "\" data-x=\"%.9f\" data-w=\"%.9f\" data-d=\"%u\" data-i=\"", b->x,
                            b->w, b->depth);
            xml(out, full.data);
            pyro_buf_puts(out, ": ");
            amount(out, memory, weigh, value);
            pyro_buf_printf(out, " (%.2f%%)\"><title>", 100.0 * b->w);
            xml(out, full.data);
            pyro_buf_puts(out, "\n");
            amount(out, memory, weigh, value);
            pyro_buf_printf(out,
                            ", %.2f%%</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
                            "height=\"%d\" rx=\"2\" fill=\"%s\" data-f=\"%s\" data-c=\"%s\"/>"
                            "<text x=\"%.2f\" y=\"%.1f\"></text></g>\n",
                            100.0 * b->w, 10 + b->x * (WIDTH - 20), y, b->w * (WIDTH - 20) - 0.5,
                            FRAME_H - 1, fill, fill, lib ? "lib" : "app", 13 + b->x * (WIDTH - 20),
                            y + FRAME_H - 4.5);
        }
        pyro_buf_puts(out, "</svg>\n");
        rc = lab.failed || full.failed ? PYRO_ENOMEM : pyro_buf_status(out);
    }
    pyro_buf_free(&lab);
    pyro_buf_free(&full);
    pyro_free(boxes);
    pyro_free(todo);
    pyro_free(tmp);
    pyro_free(tthread);
    pyro_free(incl);
    pyro_children_free(&kids);
    return rc;
}
