/* SPDX-License-Identifier: MIT */
/* test_memlines: memory_profiler's per-line table in the memory report
 * (fmt_memlines): the functions chosen in the metadata or by o->function,
 * each line's own and inclusive numbers (a recursive path counted once), a
 * chosen function never called, a changed or missing source, no choice at
 * all, and every failing allocation. Also the summary's lines about the
 * --max-memory cap (metadata mem_max_bytes). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/buf.h"
#include "model/error.h"
#include "model/profile.h"
#include "format/fmt_memlines.h"
#include "format/render.h"
#include "sample.h"
#include "test.h"

/* SAMPLE_MEMORY_SOURCE and a function nothing calls (lines 22-23). */
static int write_source(char *path)
{
    int fd = mkstemps(path, 3);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    if (!f)
        return -1;
    fputs(SAMPLE_MEMORY_SOURCE, f);
    fputs("def never():\n    return [0] * 10\n", f);
    fclose(f);
    return 0;
}

/* The report of `p` with `o` into b, NUL-terminated. */
static int report(const pyro_profile_t *p, const pyro_render_opts_t *o, pyro_buf_t *b)
{
    b->len = 0;
    int rc = pyro_render(p, PYRO_FMT_REPORT, o, b);
    pyro_buf_putc(b, '\0');
    return rc;
}

/* The row of line `n` in the table that follows "Function: <func>": the
 * text from its line number to the end of the line, in a static buffer. */
static const char *row(const char *text, const char *func, unsigned n)
{
    static char buf[512];
    char head[128], num[16];
    snprintf(head, sizeof head, "Function: %s at", func);
    snprintf(num, sizeof num, "\n%6u ", n);
    const char *s = strstr(text, head);
    const char *next = s ? strstr(s + 1, "Function: ") : NULL;
    const char *r = s ? strstr(s, num) : NULL;
    buf[0] = '\0';
    if (!r || (next && r > next))
        return buf;
    r++;
    const char *e = strchr(r, '\n');
    size_t len = e ? (size_t)(e - r) : strlen(r);
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(buf, r, len);
    buf[len] = '\0';
    return buf;
}

/* The metadata choosing <module>, keep, churn, deep and never of `file`. */
static void choose(pyro_profile_t *p, const char *file)
{
    char v[2048];
    snprintf(v, sizeof v,
             "%s\t3\tkeep\tkeep\n%s\t13\tdeep\tdeep\n%s\t6\tchurn\tchurn\n%s\t1\t<module>\t<module>"
             "\n%s\t22\tnever\tnever\nbad line\n%s\tx\tkeep\tkeep\n%s\t3\tkeep\tkeep\n",
             file, file, file, file, file, file, file);
    CHECK(pyro_profile_set_meta(p, PYRO_MEMLINES_META, v) == PYRO_OK);
}

static void test_memlines_table(void)
{
    char path[] = "/tmp/pyro_mlXXXXXX.py";
    CHECK(write_source(path) == 0);
    pyro_profile_t *p = sample_profile_memory(path, 0);
    pyro_buf_t b;
    pyro_buf_init(&b);
    pyro_render_opts_t o;
    pyro_render_defaults(&o);
    /* nothing chosen: no section */
    CHECK(report(p, &o, &b) == PYRO_OK);
    CHECK(!strstr(b.data, "Lines of the chosen functions"));
    choose(p, path);
    CHECK(report(p, &o, &b) == PYRO_OK);
    const char *t = b.data;
    if (getenv("ML_DUMP"))
        fputs(t, stderr);
    CHECK(strstr(t, "Lines of the chosen functions (5 functions;") != NULL);
    CHECK(!strstr(t, "sampled by bytes: a line's"));
    /* in file and line order, after the top lines */
    const char *top = strstr(t, "Top lines");
    const char *m = strstr(t, "Function: <module> at");
    const char *k = strstr(t, "Function: keep at");
    const char *c = strstr(t, "Function: churn at");
    const char *d = strstr(t, "Function: deep at");
    const char *nv = strstr(t, "Function: never at");
    CHECK(top && m && k && c && d && nv && top < m && m < k && k < c && c < d && d < nv);
    /* keep's line 4: 200 MiB allocated, kept: net and at the peak, itself and with callees */
    CHECK(strcmp(row(t, "keep", 4),
                 "     4  200.0 MiB  200.0 MiB  200.0 MiB   200.0 MiB  200.0 MiB  "
                 "200.0 MiB          1      return bytearray(200 << 20)") == 0);
    /* its def line: no numbers, the source */
    CHECK(strstr(row(t, "keep", 3), "def keep():") != NULL);
    CHECK(strncmp(row(t, "keep", 3), "     3          ", 16) == 0);
    /* churn: both threads, 150 MiB allocated and freed (net 0), 100 MiB at the peak */
    CHECK(strstr(row(t, "churn", 7),
                 "     7  150.0 MiB        0 B  100.0 MiB   150.0 MiB        0 B  "
                 "100.0 MiB          2") != NULL);
    /* <module>: its own lines allocate little; with callees, each call's bytes */
    CHECK(strstr(row(t, "<module>", 17),
                 "    17        0 B        0 B        0 B   200.0 MiB  200.0 "
                 "MiB  200.0 MiB          0  kept = keep()") != NULL);
    CHECK(strstr(row(t, "<module>", 19),
                 "    19    7.9 KiB    7.9 KiB        0 B    56.7 KiB   56.7 "
                 "KiB        0 B          1") != NULL);
    CHECK(strstr(row(t, "<module>", 13), "def deep(k):") != NULL); /* no numbers: the text */
    CHECK(strncmp(row(t, "<module>", 13), "    13          ", 16) == 0);
    CHECK(!*row(t, "<module>", 21)); /* not a def: up to its last line with numbers */
    CHECK(strstr(t,
                 "With what it calls: allocated 301.1 MiB in 1004 allocations, 300.0 MiB live at "
                 "the peak, 201.1 MiB still live at exit") != NULL); /* not the worker's */
    /* deep: 13 frames of line 14 on one path count the MiB once */
    CHECK(strstr(row(t, "deep", 14),
                 "    14        0 B        0 B        0 B     1.0 MiB    1.0 MiB"
                 "        0 B          0") != NULL);
    CHECK(strstr(row(t, "deep", 15),
                 "    15    1.0 MiB    1.0 MiB        0 B     1.0 MiB    1.0 MiB"
                 "        0 B          1") != NULL);
    CHECK(strstr(t, "With what it calls: allocated 1.0 MiB in 1 allocation, 0 B live at the peak, "
                    "1.0 MiB still live at exit") != NULL);
    /* never: listed, its source, no numbers */
    CHECK(strstr(t, "No allocations recorded in it or in what it calls") != NULL);
    CHECK(strstr(row(t, "never", 23), "return [0] * 10") != NULL);
    CHECK(strncmp(row(t, "never", 23), "    23          ", 16) == 0);

    /* report time: o->function chooses instead of the metadata */
    o.function = "deep";
    CHECK(report(p, &o, &b) == PYRO_OK);
    CHECK(strstr(b.data, "Lines of the chosen functions (1 function;") != NULL);
    CHECK(strstr(b.data, "Function: deep at") && !strstr(b.data, "Function: keep at"));
    o.function = "nosuch";
    CHECK(report(p, &o, &b) == PYRO_ENOMATCH);
    o.function = NULL;

    /* sampled: the table says its numbers are estimates */
    pyro_profile_set_meta(p, "mem_interval", "4096");
    CHECK(report(p, &o, &b) == PYRO_OK);
    CHECK(strstr(b.data, "sampled by bytes: a line's numbers are estimates") != NULL);

    /* the source gone: said so, the lines with numbers listed by number */
    unlink(path);
    CHECK(report(p, &o, &b) == PYRO_OK);
    CHECK(strstr(b.data, "Source not shown") != NULL);
    CHECK(strncmp(row(b.data, "keep", 4), "     4  200.0 MiB", 17) == 0);
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

/* A profile without allocations still lists the chosen functions. */
static void test_memlines_empty(void)
{
    char path[] = "/tmp/pyro_mlXXXXXX.py";
    CHECK(write_source(path) == 0);
    pyro_profile_t *p = pyro_profile_new();
    CHECK(pyro_profile_set_mode(p, PYRO_MODE_MEMORY) == PYRO_OK);
    pyro_profile_set_meta(p, "mem_interval", "0");
    choose(p, path);
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(report(p, NULL, &b) == PYRO_OK);
    CHECK(strstr(b.data, "No allocations were recorded") != NULL);
    CHECK(strstr(b.data, "Function: never at") != NULL);
    CHECK(strstr(row(b.data, "keep", 4), "return bytearray") != NULL);
    unlink(path);
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

/* Every failing allocation: an error, never a crash or a leak. */
static void test_memlines_oom(void)
{
    char path[] = "/tmp/pyro_mlXXXXXX.py";
    CHECK(write_source(path) == 0);
    pyro_profile_t *p = sample_profile_memory(path, 0);
    choose(p, path);
    for (int f = 0; f < 2; f++) {
        int ok = 0;
        for (long k = 1; k < 400 && !ok; k++) {
            pyro_buf_t b;
            pyro_buf_init(&b);
            pyro_render_opts_t o;
            pyro_render_defaults(&o);
            o.function = f ? "deep" : NULL;
            test_alloc_fail_at(k);
            int rc = pyro_render(p, PYRO_FMT_REPORT, &o, &b);
            test_alloc_reset();
            pyro_buf_free(&b);
            CHECK(rc == PYRO_OK || rc == PYRO_ENOMEM);
            ok = rc == PYRO_OK;
        }
        CHECK(ok);
    }
    unlink(path);
    pyro_profile_free(p);
}

/* The cap and records dropped at it, said in the summary. */
static void test_memory_cap_said(void)
{
    pyro_profile_t *p = sample_profile_memory("/nonexistent/prog.py", 0);
    pyro_buf_t b;
    pyro_buf_init(&b);
    CHECK(report(p, NULL, &b) == PYRO_OK);
    CHECK(!strstr(b.data, "cap (--max-memory)") && !strstr(b.data, "were dropped"));
    pyro_profile_set_meta(p, "mem_max_bytes", "65536");
    CHECK(report(p, NULL, &b) == PYRO_OK);
    CHECK(strstr(b.data, "cap (--max-memory)      64.0 KiB") != NULL);
    CHECK(!strstr(b.data, "were dropped"));
    pyro_profile_set_meta(p, "mem_dropped", "7");
    CHECK(report(p, NULL, &b) == PYRO_OK);
    CHECK(strstr(b.data, "7 records were dropped: the profiler reached its memory cap "
                         "(--max-memory)") != NULL);
    pyro_profile_set_meta(p, "mem_max_bytes", "0"); /* no cap: out of memory */
    CHECK(report(p, NULL, &b) == PYRO_OK);
    CHECK(strstr(b.data, "7 records were dropped: the profiler reached its memory cap or ran "
                         "out of memory") != NULL);
    pyro_buf_free(&b);
    pyro_profile_free(p);
}

void suite_memlines(void)
{
    RUN(test_memlines_table);
    RUN(test_memlines_empty);
    RUN(test_memlines_oom);
    RUN(test_memory_cap_said);
}
