/* SPDX-License-Identifier: MIT */
/* test_memreport: the formats of a memory profile: the terminal report's
 * numbers and order, the flame graph formats weighed by the metric chosen,
 * JSON, the .pyro round trip, the formats that refuse memory, and every
 * failing allocation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/buf.h"
#include "model/error.h"
#include "model/profile.h"
#include "format/pyrofile.h"
#include "format/render.h"
#include "sample.h"
#include "test.h"

#define MiB (1024LL * 1024)

/* Render `p` as `fmt` with `o` (NULL: defaults) into b, NUL-terminated. */
static int render(const pyro_profile_t *p, int fmt, const pyro_render_opts_t *o, pyro_buf_t *b)
{
    b->len = 0;
    int rc = pyro_render(p, fmt, o, b);
    pyro_buf_putc(b, '\0');
    return rc;
}

/* Non-zero if every needle occurs in `hay` after the one before it. */
static int in_order(const char *hay, const char *const *needles, size_t n)
{
    const char *at = hay;
    for (size_t i = 0; i < n; i++) {
        const char *s = strstr(at, needles[i]);
        if (!s) {
            fprintf(stderr, "  missing (in order): %s\n", needles[i]);
            return 0;
        }
        at = s + strlen(needles[i]);
    }
    return 1;
}
#define IN_ORDER(hay, ...)                                                                         \
    in_order((hay), (const char *const[]){__VA_ARGS__},                                            \
             sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* The text from `start` up to the next section title (a blank line), in a
 * static buffer. */
static const char *section(const char *text, const char *start)
{
    static char buf[8192];
    const char *s = strstr(text, start);
    if (!s)
        return "";
    const char *e = strstr(s, "\n\n");
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

/* A small JSON syntax check: one value and nothing after it but blanks. */
static const char *json_value(const char *s, int depth);
static const char *json_ws(const char *s)
{
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
        s++;
    return s;
}
static const char *json_string(const char *s)
{
    if (*s++ != '"')
        return NULL;
    for (; *s && *s != '"'; s++)
        if (*s == '\\' && !*++s)
            return NULL;
        else if ((unsigned char)*s < 0x20)
            return NULL;
    return *s == '"' ? s + 1 : NULL;
}
static const char *json_value(const char *s, int depth)
{
    s = json_ws(s);
    if (depth > 64)
        return NULL;
    if (*s == '"')
        return json_string(s);
    if (*s == '{' || *s == '[') {
        char close = *s == '{' ? '}' : ']';
        s = json_ws(s + 1);
        if (*s == close)
            return s + 1;
        for (;;) {
            if (close == '}') {
                s = json_string(json_ws(s));
                if (!s || *(s = json_ws(s)) != ':')
                    return NULL;
                s++;
            }
            if (!(s = json_value(s, depth + 1)))
                return NULL;
            s = json_ws(s);
            if (*s == close)
                return s + 1;
            if (*s++ != ',')
                return NULL;
        }
    }
    if (strncmp(s, "true", 4) == 0 || strncmp(s, "null", 4) == 0)
        return s + 4;
    if (strncmp(s, "false", 5) == 0)
        return s + 5;
    char *end;
    strtod(s, &end);
    return end == s ? NULL : end;
}
static int json_ok(const char *s)
{
    const char *e = json_value(s, 0);
    return e && *json_ws(e) == '\0';
}

/* The source of the memory program on disk (a mkstemps template). */
static int write_memory_source(char *path)
{
    int fd = mkstemps(path, 3);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    if (!f)
        return -1;
    fputs(SAMPLE_MEMORY_SOURCE, f);
    fclose(f);
    return 0;
}

static void test_bytes_and_metric_names(void)
{
    static const struct {
        int64_t v;
        const char *s;
    } cases[] = {{0, "0 B"},
                 {1023, "1023 B"},
                 {1024, "1.0 KiB"},
                 {1536, "1.5 KiB"},
                 {1048575, "1.0 MiB"}, /* not "1024.0 KiB" */
                 {300 * MiB, "300.0 MiB"},
                 {3 * 1024 * MiB / 2, "1.5 GiB"},
                 {5 * 1024 * 1024 * MiB, "5.0 TiB"}};
    pyro_buf_t b;
    pyro_buf_init(&b);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        b.len = 0;
        pyro_render_bytes(&b, cases[i].v, 0);
        pyro_buf_putc(&b, '\0');
        if (strcmp(b.data, cases[i].s) != 0)
            fprintf(stderr, "  %lld: got '%s'\n", (long long)cases[i].v, b.data);
        CHECK(strcmp(b.data, cases[i].s) == 0);
    }
    b.len = 0;
    pyro_render_bytes(&b, 1024, 10);
    pyro_buf_putc(&b, '\0');
    CHECK(strcmp(b.data, "   1.0 KiB") == 0);
    pyro_buf_free(&b);
    CHECK(pyro_render_mem_metric_parse("peak") == PYRO_M_PEAK_BYTES);
    CHECK(pyro_render_mem_metric_parse("allocated") == PYRO_M_ALLOC_BYTES);
    CHECK(pyro_render_mem_metric_parse("leaked") == PYRO_M_LEAKED_BYTES);
    CHECK(pyro_render_mem_metric_parse("") == -1 && pyro_render_mem_metric_parse("rss") == -2);
    CHECK(strcmp(pyro_render_mem_metric_name(-1), "peak") == 0);
    CHECK(strcmp(pyro_render_mem_metric_name(PYRO_M_LEAKED_BYTES), "leaked") == 0);
    CHECK(strcmp(pyro_render_mem_metric_name(PYRO_M_CALLS), "?") == 0);
    pyro_render_opts_t o;
    pyro_render_defaults(&o);
    CHECK(o.metric == -1 && pyro_render_mem_metric(&o) == PYRO_M_PEAK_BYTES);
    o.metric = PYRO_M_SELF_NS; /* not a memory metric: the default */
    CHECK(pyro_render_mem_metric(&o) == PYRO_M_PEAK_BYTES);
    o.metric = PYRO_M_ALLOC_BYTES;
    CHECK(pyro_render_mem_metric(&o) == PYRO_M_ALLOC_BYTES);
}

/* The report of the two-thread program: its numbers, in order. */
static void test_memory_report(void)
{
    char path[] = "/tmp/pyro_memXXXXXX.py";
    CHECK(write_memory_source(path) == 0);
    pyro_profile_t *p = sample_profile_memory(path, 0);
    pyro_buf_t b;
    pyro_buf_init(&b);
    pyro_render_opts_t o;
    pyro_render_defaults(&o);
    char dir[sizeof path];
    memcpy(dir, path, sizeof path);
    *strrchr(dir, '/') = '\0';
    o.strip_prefix = dir; /* "/tmp": the file is shown as pyro_memXXXXXX.py */
    const char *file = strrchr(path, '/') + 1;
    int rc = render(p, PYRO_FMT_REPORT, &o, &b);
    unlink(path);
    CHECK(rc == PYRO_OK);
    const char *t = b.data;
    if (getenv("PYRO_SHOW_REPORT"))
        fputs(t, stderr);
    CHECK(strncmp(t, "pyrometer memory profile of prog.py\n", 36) == 0);
    CHECK(strstr(t, "Every allocation was recorded (exact mode)."));
    CHECK(strstr(t, "Tracked: Python's allocators (raw, mem, object). Native allocations "
                    "(malloc, mmap, ...)\nfrom extensions: not tracked (--native tracks them).\n"));
    CHECK(!strstr(t, "\033[")); /* no colour unless asked */
    CHECK(!strstr(t, "dropped"));
    const char *sum = section(t, "Summary");
    CHECK(strstr(sum, "peak of the heap       300.0 MiB  at 1.234s of 2.500s"));
    CHECK(strstr(sum, "peak RSS               350.0 MiB"));
    CHECK(strstr(sum, "allocated              351.1 MiB  in 1005 allocations"));
    CHECK(strstr(sum, "live at exit           201.1 MiB  in 1003 allocations (see Leaks)"));
    CHECK(strstr(sum, "profiler's own memory   64.0 KiB"));
    /* live at the peak by line: the kept buffer, then the churned one (freed later) */
    const char *pl = section(t, "Live at the peak, by line");
    char row[256];
    snprintf(row, sizeof row,
             "   200.0 MiB   66.7%%         1  %s:4 keep  return bytearray(200 << 20)", file);
    CHECK(strstr(pl, row));
    snprintf(row, sizeof row,
             "   100.0 MiB   33.3%%         1  %s:7 churn  tmp = bytearray(n << 20)", file);
    CHECK(strstr(pl, row)); /* the main thread's: the worker's came after the peak */
    CHECK(IN_ORDER(pl, "(2 lines)", ":4 keep", ":7 churn"));
    CHECK(!strstr(pl, "strings") && !strstr(pl, "deep")); /* allocated after the peak */
    /* by stack: innermost first, with the caller and its line */
    const char *ps = section(t, "Live at the peak, by stack");
    snprintf(row, sizeof row,
             "keep (%s:4)  return bytearray(200 << 20)\n             < <module> (%s:17)", file,
             file);
    CHECK(strstr(ps, row));
    CHECK(IN_ORDER(ps, "(innermost frame first; 2 stacks)",
                   "200.0 MiB   66.7%  1 allocation  in MainThread",
                   "100.0 MiB   33.3%  1 allocation  in MainThread", "churn ("));
    /* leaks: the kept buffer, the deep one, the strings, the list; never the churned */
    const char *lk = section(t, "Leaks: live at exit, by stack");
    CHECK(IN_ORDER(lk, "(innermost frame first; 4 stacks)", "200.0 MiB   99.5%  1 allocation",
                   "keep (", "1.0 MiB    0.5%  1 allocation", "deep (", ":15)",
                   "\n             < deep (", ":14) x13\n             < <module> (", ":20)\n",
                   "48.8 KiB   <0.1%  1000 allocations", "strings (",
                   "7.9 KiB   <0.1%  1 allocation", "<module> ("));
    CHECK(!strstr(lk, "churn"));
    /* top lines: allocated, freed, net, count; by allocated */
    const char *tl = section(t, "Top lines, by bytes allocated");
    snprintf(row, sizeof row, "   150.0 MiB   150.0 MiB         0 B         2  %s:7 churn", file);
    CHECK(strstr(tl, row));
    snprintf(row, sizeof row, "    48.8 KiB         0 B    48.8 KiB      1000  %s:11 strings",
             file);
    CHECK(strstr(tl, row));
    CHECK(IN_ORDER(tl, "(net: still live at exit; 5 lines)", "allocated       freed         net",
                   ":4 keep", ":7 churn", ":15 deep", ":11 strings", ":19 <module>"));
    /* threads: both, with their totals */
    const char *th = section(t, "Threads");
    CHECK(IN_ORDER(th, "MainThread", "301.1 MiB", "300.0 MiB", "201.1 MiB", "1004", "worker",
                   "50.0 MiB", "0 B", "0 B", "1"));
    CHECK(!strstr(t, "Allocated, by stack")); /* only with the allocated metric */
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

/* Options and metadata: the limit, colour, the metric, sampling, drops,
 * missing metadata, a single thread. */
static void test_memory_report_options(void)
{
    pyro_profile_t *p = sample_profile_memory("/nowhere/prog.py", 4096);
    pyro_buf_t b;
    pyro_buf_init(&b);
    pyro_render_opts_t o;
    pyro_render_defaults(&o);
    o.limit = 1;
    CHECK(render(p, PYRO_FMT_REPORT, &o, &b) == PYRO_OK);
    CHECK(strstr(b.data, "Sampled by bytes: one allocation recorded per 4.0 KiB allocated on "
                         "average"));
    CHECK(strstr(b.data, "average, each weighed\nback to what it stands for. Allocations much "
                         "larger than 4.0 KiB are all recorded at their\nsize; smaller ones are "
                         "estimates, right in sum over many, not one by one (--exact records "
                         "all).\n"));
    CHECK(strstr(section(b.data, "Live at the peak, by line"), "(the largest 1 of 2 lines)"));
    CHECK(strstr(section(b.data, "Leaks: live"),
                 "(innermost frame first; the largest 1 of 4 stacks)"));
    CHECK(!strstr(section(b.data, "Leaks: live"), "deep"));
    CHECK(strstr(section(b.data, "Top lines"),
                 "(net: still live at exit; the largest 1 of 5 lines)"));
    CHECK(strstr(b.data, "/nowhere/prog.py:4 keep\n")); /* no source to show */
    /* limit 0: all */
    o.limit = 0;
    CHECK(render(p, PYRO_FMT_REPORT, &o, &b) == PYRO_OK);
    CHECK(strstr(section(b.data, "Top lines"), "(net: still live at exit; 5 lines)"));
    /* colour: bold titles, cyan column heads, all reset */
    o.color = 1;
    CHECK(render(p, PYRO_FMT_REPORT, &o, &b) == PYRO_OK);
    CHECK(strstr(b.data, "\033[1mSummary\033[0m") && strstr(b.data, "\033[36m"));
    CHECK(strstr(section(b.data, "Live at the peak, by stack"), "  \033[33m 200.0 MiB\033[0m"));
    CHECK(strstr(section(b.data, "\033[1mLeaks"), "  \033[31m 200.0 MiB\033[0m"));
    o.color = 0;
    /* the allocated metric adds its own section of stacks */
    o.metric = PYRO_M_ALLOC_BYTES;
    CHECK(render(p, PYRO_FMT_REPORT, &o, &b) == PYRO_OK);
    CHECK(IN_ORDER(b.data, "Live at the peak, by stack", "Allocated, by stack", "200.0 MiB   57.0%",
                   "100.0 MiB   28.5%", "50.0 MiB   14.2%  1 allocation  in worker", "Leaks"));
    /* records dropped are said, in the summary */
    pyro_profile_set_meta(p, "mem_dropped", "5");
    CHECK(render(p, PYRO_FMT_REPORT, NULL, &b) == PYRO_OK);
    CHECK(strstr(section(b.data, "Summary"), "5 records were dropped: the profiler reached its "
                                             "memory cap or ran out of memory"));
    /* native allocations tracked (--native): the header says so */
    pyro_profile_set_meta(p, "mem_native", "yes");
    CHECK(render(p, PYRO_FMT_REPORT, NULL, &b) == PYRO_OK);
    CHECK(strstr(b.data, "Native allocations (malloc, mmap, ...)\nfrom extensions: tracked.\n"));
    CHECK(!strstr(b.data, "not tracked"));
    /* a profile without the recorder's metadata: totals from the nodes, no times */
    pyro_profile_t *q = pyro_profile_new();
    CHECK(pyro_profile_set_mode(q, PYRO_MODE_MEMORY) == PYRO_OK);
    pyro_thread_t th = {1, 1, 0};
    uint32_t t0, f, n;
    CHECK(pyro_profile_add_thread(q, &th, &t0) == PYRO_OK);
    pyro_func_t fn = {0, 0, 0, 1, PYRO_FUNC_PYTHON};
    pyro_profile_str(q, "f", 1, &fn.name);
    fn.qualname = fn.name;
    pyro_profile_str(q, "x.py", 4, &fn.file);
    CHECK(pyro_profile_func(q, &fn, &f) == PYRO_OK);
    CHECK(pyro_profile_child(q, PYRO_NONE, t0, f, 2, &n) == PYRO_OK);
    pyro_node_add(q, n, q->col[PYRO_M_ALLOC_BYTES], 3000);
    pyro_node_add(q, n, q->col[PYRO_M_ALLOCS], 3);
    pyro_node_add(q, n, q->col[PYRO_M_PEAK_BYTES], 2000);
    pyro_node_add(q, n, q->col[PYRO_M_FREED_BYTES], 1000);
    pyro_node_add(q, n, q->col[PYRO_M_LEAKED_BYTES], 2000);
    pyro_node_add(q, n, q->col[PYRO_M_LEAKED_ALLOCS], 2);
    CHECK(render(q, PYRO_FMT_REPORT, NULL, &b) == PYRO_OK);
    CHECK(strncmp(b.data, "pyrometer memory profile\n", 25) == 0);
    CHECK(strstr(b.data, "not known (no mem_interval)"));
    CHECK(strstr(b.data, "peak of the heap         2.0 KiB  (what"));
    CHECK(strstr(b.data, "allocated                2.9 KiB  in 3 allocations"));
    CHECK(strstr(b.data, "live at exit             2.0 KiB  in 2 allocations"));
    CHECK(!strstr(b.data, "peak RSS") && !strstr(b.data, "own memory"));
    CHECK(!strstr(b.data, "Threads") && !strstr(b.data, "  in thread"));
    CHECK(strstr(b.data, "     2.0 KiB  100.0%         3  x.py:2 f\n"));
    /* a stack of 20 distinct frames: the innermost 8, the rest counted */
    uint32_t d = n;
    for (uint32_t line = 3; line < 22; line++)
        CHECK(pyro_profile_child(q, d, t0, f, line, &d) == PYRO_OK);
    pyro_node_add(q, d, q->col[PYRO_M_ALLOC_BYTES], 10);
    pyro_node_add(q, d, q->col[PYRO_M_LEAKED_BYTES], 10);
    pyro_node_add(q, d, q->col[PYRO_M_ALLOCS], 1);
    pyro_node_add(q, d, q->col[PYRO_M_LEAKED_ALLOCS], 1);
    CHECK(render(q, PYRO_FMT_REPORT, NULL, &b) == PYRO_OK);
    CHECK(IN_ORDER(section(b.data, "Leaks: live"), "10 B    0.5%  1 allocation\n",
                   "               f (x.py:21)\n             < f (x.py:20)\n", "< f (x.py:14)\n",
                   "             < ... 12 more frames"));
    /* a synthetic frame (no Python frame) by its name; the GIL-less events lost */
    pyro_func_t nf = {0, 0, 0, 0, PYRO_FUNC_NATIVE};
    pyro_profile_str(q, "<no Python frame>", 17, &nf.name);
    nf.qualname = nf.name;
    pyro_profile_str(q, "~", 1, &nf.file);
    CHECK(pyro_profile_func(q, &nf, &f) == PYRO_OK);
    CHECK(pyro_profile_child(q, PYRO_NONE, t0, f, 0, &n) == PYRO_OK);
    pyro_node_add(q, n, q->col[PYRO_M_ALLOC_BYTES], 4000);
    pyro_node_add(q, n, q->col[PYRO_M_LEAKED_BYTES], 4000);
    pyro_node_add(q, n, q->col[PYRO_M_ALLOCS], 1);
    pyro_node_add(q, n, q->col[PYRO_M_LEAKED_ALLOCS], 1);
    pyro_profile_set_meta(q, "mem_nogil_lost", "3");
    CHECK(render(q, PYRO_FMT_REPORT, NULL, &b) == PYRO_OK);
    CHECK(strstr(b.data, "\n  3 allocation events of threads without the GIL were lost"));
    CHECK(strstr(section(b.data, "Leaks: live"),
                 "  1 allocation\n               <no Python frame>\n"));
    CHECK(strstr(section(b.data, "Top lines"), "         1  <no Python frame>\n"));
    CHECK(!strstr(b.data, "{no Python frame}") && !strstr(b.data, "~:0"));
    pyro_render_opts_t o2;
    pyro_render_defaults(&o2);
    o2.metric = PYRO_M_LEAKED_BYTES;
    CHECK(render(q, PYRO_FMT_COLLAPSED, &o2, &b) == PYRO_OK);
    CHECK(strstr(b.data, "\n<no Python frame> 4000\n"));
    CHECK(render(q, PYRO_FMT_SPEEDSCOPE, &o2, &b) == PYRO_OK);
    CHECK(json_ok(b.data) && strstr(b.data, "{\"name\":\"<no Python frame>\"}"));
    CHECK(render(q, PYRO_FMT_SVG, &o2, &b) == PYRO_OK);
    CHECK(strstr(b.data, "data-l=\"&lt;no Python frame&gt;\""));
    pyro_profile_free(q);
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

/* No allocation recorded: said, with why that can be. */
static void test_memory_empty(void)
{
    pyro_buf_t b;
    pyro_buf_init(&b);
    for (int sampled = 0; sampled < 2; sampled++) {
        pyro_profile_t *p = pyro_profile_new();
        CHECK(pyro_profile_set_mode(p, PYRO_MODE_MEMORY) == PYRO_OK);
        pyro_profile_set_meta(p, "mem_interval", sampled ? "65536" : "0");
        pyro_profile_set_meta(p, "mem_allocs", "0");
        CHECK(render(p, PYRO_FMT_REPORT, NULL, &b) == PYRO_OK);
        CHECK(strstr(b.data, "\nNo allocations were recorded"));
        CHECK(!strstr(b.data, "Summary"));
        CHECK(!sampled || strstr(b.data, "one allocation per 64.0 KiB allocated"));
        for (int f = 0; f < PYRO_FMT_COUNT; f++)
            if (pyro_format_can_write(f, PYRO_MODE_MEMORY)) {
                CHECK(render(p, f, NULL, &b) == PYRO_OK);
                if (f == PYRO_FMT_SVG)
                    CHECK(strstr(b.data, "No allocations were live at the peak."));
                if (f == PYRO_FMT_SPEEDSCOPE || f == PYRO_FMT_JSON)
                    CHECK(json_ok(b.data));
                if (f == PYRO_FMT_COLLAPSED)
                    CHECK(b.len == 1);
            }
        pyro_profile_free(p);
    }
    pyro_buf_free(&b);
}

/* Folded stacks, flame graph and speedscope weigh by the metric chosen, in
 * bytes, each frame at its line. */
static void test_memory_flame_formats(void)
{
    pyro_profile_t *p = sample_profile_memory("/src/prog.py", 0);
    pyro_buf_t b;
    pyro_buf_init(&b);
    pyro_render_opts_t o;
    pyro_render_defaults(&o);
    o.strip_prefix = "/src";
    CHECK(render(p, PYRO_FMT_COLLAPSED, &o, &b) == PYRO_OK);
    CHECK(strcmp(b.data, "<module> (prog.py:17);keep (prog.py:4) 209715200\n"
                         "<module> (prog.py:18);churn (prog.py:7) 104857600\n") == 0);
    o.metric = PYRO_M_ALLOC_BYTES;
    CHECK(render(p, PYRO_FMT_COLLAPSED, &o, &b) == PYRO_OK);
    CHECK(IN_ORDER(
        b.data, "<module> (prog.py:17);keep (prog.py:4) 209715200\n",
        "<module> (prog.py:18);churn (prog.py:7) 104857600\n", "<module> (prog.py:19) 8056\n",
        "<module> (prog.py:19);strings (prog.py:11) 50000\n",
        "<module> (prog.py:20);deep (prog.py:14);deep (prog.py:14);",
        "deep (prog.py:14);deep (prog.py:15) 1048576\n", "churn (prog.py:7) 52428800\n"));
    o.metric = PYRO_M_LEAKED_BYTES;
    CHECK(render(p, PYRO_FMT_COLLAPSED, &o, &b) == PYRO_OK);
    CHECK(!strstr(b.data, "churn") && strstr(b.data, "keep (prog.py:4) 209715200\n") &&
          strstr(b.data, "deep (prog.py:15) 1048576\n"));
    /* svg: the metric in the subtitle, frames at their lines, sizes in the tooltips */
    for (int m = 0; m < 3; m++) {
        static const int metrics[] = {-1, PYRO_M_ALLOC_BYTES, PYRO_M_LEAKED_BYTES};
        static const char *const words[] = {"bytes live at the peak", "bytes allocated",
                                            "bytes leaked (live at the end)"};
        o.metric = metrics[m];
        CHECK(render(p, PYRO_FMT_SVG, &o, &b) == PYRO_OK);
        CHECK(strncmp(b.data, "<?xml", 5) == 0 && strstr(b.data, "</svg>\n"));
        CHECK(strstr(b.data, words[m]));
        CHECK(strstr(b.data, "data-l=\"keep (prog.py:4)\""));
        CHECK(strstr(b.data, "keep (/src/prog.py:4): 200.0 MiB"));
        CHECK(!strstr(b.data, "traced time") && !strstr(b.data, "No allocations"));
        CHECK((strstr(b.data, "thread worker") != NULL) == (m == 1)); /* it only freed */
    }
    /* speedscope: bytes, integer weights, frames per (function, line) */
    o.metric = -1;
    CHECK(render(p, PYRO_FMT_SPEEDSCOPE, &o, &b) == PYRO_OK);
    CHECK(json_ok(b.data));
    CHECK(strstr(b.data, "\"name\":\"prog.py (bytes live at the peak)\""));
    CHECK(strstr(b.data, "\"unit\":\"bytes\",\"startValue\":0,\"endValue\":314572800"));
    CHECK(strstr(b.data, "\"weights\":[209715200,104857600]"));
    CHECK(strstr(b.data, "{\"name\":\"keep\",\"file\":\"prog.py\",\"line\":4}"));
    CHECK(!strstr(b.data, "\"seconds\""));
    o.metric = PYRO_M_ALLOC_BYTES;
    CHECK(render(p, PYRO_FMT_SPEEDSCOPE, &o, &b) == PYRO_OK);
    CHECK(json_ok(b.data));
    CHECK(strstr(b.data, "\"name\":\"worker\",\"unit\":\"bytes\",\"startValue\":0,"
                         "\"endValue\":52428800"));
    CHECK(strstr(b.data, "{\"name\":\"deep\",\"file\":\"prog.py\",\"line\":14}"));
    CHECK(strstr(b.data, "{\"name\":\"deep\",\"file\":\"prog.py\",\"line\":15}"));
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

/* JSON: the summary as numbers, every metric per node. */
static void test_memory_json(void)
{
    pyro_profile_t *p = sample_profile_memory("/src/prog.py", 4096);
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(render(p, PYRO_FMT_JSON, NULL, &b) == PYRO_OK);
    CHECK(json_ok(b.data));
    static const char start[] = "{\"format\":\"pyrometer\",\"version\":1,\"mode\":\"memory\",";
    CHECK(strncmp(b.data, start, sizeof start - 1) == 0);
    CHECK(strstr(b.data, "\"summary\":{\"mem_interval\":4096,\"mem_peak_bytes\":314572800,"
                         "\"mem_peak_ns\":1234000000,"));
    CHECK(strstr(b.data, "\"mem_allocs\":1005,\"mem_live_allocs\":1003,\"mem_dropped\":0,"
                         "\"mem_own_bytes\":65536,\"duration_ns\":2500000000,"
                         "\"rss_peak_bytes\":367001600}"));
    CHECK(strstr(b.data, "\"node_fields\":[\"parent\",\"thread\",\"function\",\"line\","
                         "\"alloc_bytes\",\"allocs\",\"freed_bytes\",\"peak_bytes\","
                         "\"peak_allocs\",\"leaked_bytes\",\"leaked_allocs\"]"));
    /* keep:4 under <module>:17 (node 0): 200 MiB once, live at the peak, kept */
    CHECK(strstr(b.data, "[0,0,1,4,209715200,1,0,209715200,1,209715200,1]"));
    CHECK(strstr(b.data, "\"mem_peak_ns\":1234000000,\"mem_peak_allocs\":2,"));
    CHECK(strstr(b.data, "\"meta\":{\"mode\":\"memory\",\"mem_interval\":\"4096\""));
    CHECK(!strstr(b.data, "\"stats\""));
    /* a value that is not a number stays out of the summary (still in meta) */
    pyro_profile_set_meta(p, "mem_own_bytes", "lots");
    CHECK(render(p, PYRO_FMT_JSON, NULL, &b) == PYRO_OK);
    CHECK(json_ok(b.data) && !strstr(b.data, "\"mem_own_bytes\":6") &&
          strstr(b.data, "\"mem_own_bytes\":\"lots\""));
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

/* .pyro: written and read back equal, rendering the same; the formats that
 * cannot write memory refuse it. */
static void test_memory_pyro_and_refusals(void)
{
    pyro_profile_t *p = sample_profile_memory("/src/prog.py", 4096), *q = NULL;
    pyro_buf_t b, again, x, y;
    pyro_buf_init(&b);
    pyro_buf_init(&again);
    pyro_buf_init(&x);
    pyro_buf_init(&y);
    CHECK(pyro_render(p, PYRO_FMT_PYRO, NULL, &b) == PYRO_OK);
    CHECK(pyro_pyrofile_read(b.data, b.len, &q) == PYRO_OK);
    CHECK(q->mode == PYRO_MODE_MEMORY && q->ncols == p->ncols && q->nnodes == p->nnodes);
    CHECK(q->nthreads == 2 && q->nfuncs == p->nfuncs && q->nmeta == p->nmeta);
    for (uint32_t i = 0; i < p->nnodes; i++) {
        CHECK(memcmp(&q->nodes[i], &p->nodes[i], sizeof p->nodes[i]) == 0);
        for (int m = 0; m < PYRO_M_COUNT; m++)
            CHECK(pyro_node_metric(q, i, m) == pyro_node_metric(p, i, m));
    }
    for (uint32_t i = 0; i < p->nmeta; i++) {
        const char *k = pyro_profile_strget(p, p->meta[i].key);
        CHECK(strcmp(pyro_profile_get_meta(q, k), pyro_profile_strget(p, p->meta[i].value)) == 0);
    }
    CHECK(pyro_render(q, PYRO_FMT_PYRO, NULL, &again) == PYRO_OK);
    CHECK(again.len == b.len && memcmp(again.data, b.data, b.len) == 0);
    static const int same[] = {PYRO_FMT_REPORT, PYRO_FMT_JSON, PYRO_FMT_COLLAPSED, PYRO_FMT_SVG,
                               PYRO_FMT_SPEEDSCOPE};
    for (size_t k = 0; k < sizeof same / sizeof same[0]; k++) {
        CHECK(render(p, same[k], NULL, &x) == PYRO_OK && render(q, same[k], NULL, &y) == PYRO_OK);
        CHECK(strcmp(x.data, y.data) == 0);
    }
    /* the fixture the Python tests render is this profile, with a relative file name */
    pyro_profile_t *rel = sample_profile_memory("prog.py", 4096), *fx = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/memory/memory.pyro", PYRO_TEST_DATA);
    again.len = 0;
    CHECK(pyro_render(rel, PYRO_FMT_PYRO, NULL, &again) == PYRO_OK);
    if (getenv("PYRO_WRITE_FIXTURES"))
        CHECK(pyro_buf_write_file(&again, path) == PYRO_OK);
    pyro_buf_t file;
    pyro_buf_init(&file);
    CHECK(pyro_buf_read_file(&file, path, 1 << 20) == PYRO_OK);
    CHECK(file.len == again.len && memcmp(file.data, again.data, file.len) == 0);
    CHECK(pyro_pyrofile_read(file.data, file.len, &fx) == PYRO_OK && fx->mode == PYRO_MODE_MEMORY);
    pyro_buf_free(&file);
    pyro_profile_free(fx);
    pyro_profile_free(rel);
    for (int f = 0; f < PYRO_FMT_COUNT; f++) {
        int can = f != PYRO_FMT_TABLE && f != PYRO_FMT_TREE && f != PYRO_FMT_PSTATS &&
                  f != PYRO_FMT_LINES;
        CHECK(pyro_format_can_write(f, PYRO_MODE_MEMORY) == can);
        CHECK(render(q, f, NULL, &x) == (can ? PYRO_OK : PYRO_EINVAL));
    }
    pyro_buf_free(&b);
    pyro_buf_free(&again);
    pyro_buf_free(&x);
    pyro_buf_free(&y);
    pyro_profile_free(q);
    pyro_profile_free(p);
}

/* A memory profile written before the peak_allocs column: read with that
 * column all zeros and no "mem_peak_allocs", its report shows what the
 * lines made, headed "made", and no count for the stacks live at the peak,
 * never a zero count that would read as "none of them live". */
static void test_memory_earlier_version(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/memory/memory-2026-11.pyro", PYRO_TEST_DATA);
    pyro_buf_t file, b;
    pyro_buf_init(&file);
    pyro_buf_init(&b);
    pyro_profile_t *p = NULL;
    CHECK(pyro_buf_read_file(&file, path, 1 << 20) == PYRO_OK);
    CHECK(pyro_pyrofile_read(file.data, file.len, &p) == PYRO_OK);
    CHECK(p && p->mode == PYRO_MODE_MEMORY && p->col[PYRO_M_PEAK_ALLOCS] >= 0);
    CHECK(p && !pyro_profile_get_meta(p, "mem_peak_allocs"));
    CHECK(p && render(p, PYRO_FMT_REPORT, NULL, &b) == PYRO_OK);
    const char *pl = section(b.data, "Live at the peak, by line");
    CHECK(strstr(pl, "       bytes   % peak      made  line\n"));
    CHECK(strstr(pl, "   100.0 MiB   33.3%         2  prog.py:7 churn"));
    const char *ps = section(b.data, "Live at the peak, by stack");
    CHECK(IN_ORDER(ps, "(innermost frame first; 2 stacks)", "200.0 MiB   66.7%  in MainThread",
                   "100.0 MiB   33.3%  in MainThread", "churn ("));
    CHECK(!strstr(ps, "allocation"));
    const char *lk = section(b.data, "Leaks: live at exit, by stack");
    CHECK(strstr(lk, "200.0 MiB   99.5%  1 allocation"));
    pyro_buf_free(&b);
    pyro_buf_free(&file);
    pyro_profile_free(p);
}

/* Every format that writes memory, under every failing allocation, every
 * metric: an error, never a crash or a leak (the harness counts). */
static void test_memory_oom(void)
{
    char path[] = "/tmp/pyro_memXXXXXX.py"; /* with source: the report reads it */
    CHECK(write_memory_source(path) == 0);
    pyro_profile_t *p = sample_profile_memory(path, 0);
    for (int f = 0; f < PYRO_FMT_COUNT; f++) {
        if (!pyro_format_can_write(f, PYRO_MODE_MEMORY))
            continue;
        for (int m = 0; m < 2; m++) {
            int ok = 0;
            for (long k = 1; k < 200 && !ok; k++) {
                pyro_buf_t b;
                pyro_buf_init(&b);
                pyro_render_opts_t o;
                pyro_render_defaults(&o);
                o.metric = m ? PYRO_M_ALLOC_BYTES : -1;
                test_alloc_fail_at(k);
                int rc = pyro_render(p, f, &o, &b);
                test_alloc_reset();
                pyro_buf_free(&b);
                if (rc != PYRO_OK && rc != PYRO_ENOMEM)
                    fprintf(stderr, "  format %s: %d\n", pyro_format_name(f), rc);
                CHECK(rc == PYRO_OK || rc == PYRO_ENOMEM);
                ok = rc == PYRO_OK; /* past the last allocation */
            }
            CHECK(ok);
        }
    }
    unlink(path);
    pyro_profile_free(p);
}

void suite_memreport(void)
{
    RUN(test_bytes_and_metric_names);
    RUN(test_memory_report);
    RUN(test_memory_report_options);
    RUN(test_memory_empty);
    RUN(test_memory_flame_formats);
    RUN(test_memory_json);
    RUN(test_memory_pyro_and_refusals);
    RUN(test_memory_earlier_version);
    RUN(test_memory_oom);
}
