/* SPDX-License-Identifier: MIT */
/* profile: the in-memory profile model every mode produces and every format
 * reads. A profile holds interned strings, functions, threads, a calling
 * context tree (CCT) of nodes, and string metadata. A node is one distinct
 * call path (per thread): its parent node, its function, a line (0 = the
 * function as a whole) and metrics summed over every visit of that path.
 *
 * Invariants kept by the mutators (and checked by the .pyro reader):
 *   - a node's parent is PYRO_NONE (a root) or a smaller index (parents come
 *     before children, so one forward pass visits a tree top-down);
 *   - a node's thread equals its parent's thread;
 *   - (parent, thread, func, line) is unique: pyro_profile_child() finds it.
 * The arrays are public for reading; change them only through the functions. */
#ifndef PYRO_PROFILE_H
#define PYRO_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "model/map.h"
#include "model/strtab.h"

#define PYRO_NONE UINT32_MAX

typedef enum pyro_func_kind {
    PYRO_FUNC_PYTHON = 0, /* a Python code object */
    PYRO_FUNC_NATIVE = 1, /* a C function or method (builtins, extensions) */
} pyro_func_kind_t;

typedef struct pyro_func {
    uint32_t name;     /* string: co_name, or for C functions cProfile's label
                          such as "<built-in method builtins.abs>" */
    uint32_t qualname; /* string: co_qualname (3.11+), else the name */
    uint32_t file;     /* string: co_filename, "~" for C functions */
    uint32_t line;     /* co_firstlineno, 0 for C functions */
    uint32_t kind;     /* pyro_func_kind_t */
} pyro_func_t;

/* In a sample profile (sample mode, attach), a node's line is the line its
 * frame was executing, self_ns the wall time of the samples that ended at
 * this node (each sample weighs the time since the previous one), total_ns
 * that plus all descendants', and calls 0. */
typedef struct pyro_node {
    uint32_t parent;  /* index of the parent node, PYRO_NONE for a root */
    uint32_t func;    /* index into funcs */
    uint32_t line;    /* line number inside func, 0 = whole function */
    uint32_t thread;  /* index into threads */
    uint64_t calls;   /* completed calls along this path (trace mode) */
    int64_t self_ns;  /* time in this function itself on this path */
    int64_t total_ns; /* time including callees (all visits summed) */
    uint64_t samples; /* sample mode: samples whose innermost frame is this node */
    uint64_t running; /* ... of which the thread was on a CPU */
    uint64_t gil;     /* ... of which the thread held the GIL */
    int64_t cpu_ns;   /* sample mode: CPU time the thread used over those samples */
} pyro_node_t;

typedef struct pyro_thread {
    uint64_t ident;     /* threading.get_ident() of the thread */
    uint64_t native_id; /* the OS thread id (gettid) */
    uint32_t name;      /* string: the thread's name */
} pyro_thread_t;

typedef struct pyro_meta {
    uint32_t key, value; /* strings */
} pyro_meta_t;

typedef struct pyro_profile {
    pyro_strtab_t *strs;
    pyro_func_t *funcs;
    uint32_t nfuncs, capfuncs;
    pyro_node_t *nodes;
    uint32_t nnodes, capnodes;
    pyro_thread_t *threads;
    uint32_t nthreads, capthreads;
    pyro_meta_t *meta;
    uint32_t nmeta, capmeta;
    pyro_map_t func_index;  /* func fields -> func id */
    pyro_map_t child_index; /* (parent, thread, func, line) -> node id */
    /* A profile read from a flat source (a pstats file) has no nodes, only
     * these per-function statistics (owned; NULL otherwise). */
    struct pyro_stats *flat;
} pyro_profile_t;

/* A new empty profile, or NULL when out of memory. */
pyro_profile_t *pyro_profile_new(void);

/* Free the profile and everything in it. NULL is a no-op. */
void pyro_profile_free(pyro_profile_t *p);

/* Intern a string of `len` bytes; its id goes to *id. PYRO_OK/ENOMEM/ELIMIT. */
int pyro_profile_str(pyro_profile_t *p, const char *s, size_t len, uint32_t *id);

/* The string with id `id` ("" if out of range, so formatters never crash). */
const char *pyro_profile_strget(const pyro_profile_t *p, uint32_t id);

/* Find or add a function equal to *f (all fields compared); its index goes to
 * *id. String ids must be valid. PYRO_OK, PYRO_EINVAL or PYRO_ENOMEM. */
int pyro_profile_func(pyro_profile_t *p, const pyro_func_t *f, uint32_t *id);

/* Append a thread record; its index goes to *id. PYRO_OK/EINVAL/ENOMEM. */
int pyro_profile_add_thread(pyro_profile_t *p, const pyro_thread_t *t, uint32_t *id);

/* Find or create the node for (parent, thread, func, line) with zero metrics;
 * its index goes to *id. `parent` is PYRO_NONE for a root of `thread`.
 * PYRO_EINVAL if an index is out of range or the parent belongs to another
 * thread; PYRO_ENOMEM. */
int pyro_profile_child(pyro_profile_t *p, uint32_t parent, uint32_t thread, uint32_t func,
                       uint32_t line, uint32_t *id);

/* Set metadata `key` to `value` (replacing an earlier value). */
int pyro_profile_set_meta(pyro_profile_t *p, const char *key, const char *value);

/* The value of metadata `key`, or NULL when absent. */
const char *pyro_profile_get_meta(const pyro_profile_t *p, const char *key);

/* Display label of function `f` as pstats prints it:
 * "file:line(name)" for Python, "{...}" for C labels like "<built-in ...>".
 * Written into `out` (always NUL-terminated, truncated to `cap`). */
void pyro_profile_func_label(const pyro_profile_t *p, uint32_t f, char *out, size_t cap);

/* Children of every node in compressed form: the children of node n are
 * kids[first[n] .. first[n+1]) in index order; the roots (of all threads) are
 * listed under the virtual index p->nnodes. */
typedef struct pyro_children {
    uint32_t *first; /* p->nnodes + 2 entries */
    uint32_t *kids;  /* p->nnodes entries */
} pyro_children_t;

/* Build the children index of `p` into *c. PYRO_OK or PYRO_ENOMEM (then *c
 * holds nothing to free). Free with pyro_children_free. */
int pyro_profile_children(const pyro_profile_t *p, pyro_children_t *c);

/* Release a children index. */
void pyro_children_free(pyro_children_t *c);

/* Sum of total_ns over root nodes: the profile's measured time. */
int64_t pyro_profile_total_ns(const pyro_profile_t *p);

/* Per-function time over the tree: own[f] = sum of self_ns of f's nodes,
 * total[f] = sum of total_ns of f's outermost nodes (no ancestor of the same
 * function, so recursion is not counted twice). Only nodes of thread
 * `thread` count (PYRO_NONE: all). The arrays hold p->nfuncs entries.
 * PYRO_OK or PYRO_ENOMEM. */
int pyro_profile_func_times(const pyro_profile_t *p, uint32_t thread, int64_t *own, int64_t *total);

/* Sample profiles: set every node's total_ns to its self_ns plus its
 * descendants' (parents come before children, so one backward pass). */
void pyro_profile_fill_totals(pyro_profile_t *p);

/* A thread's sums over its nodes (sample metrics; wall = self_ns). */
typedef struct pyro_thread_sums {
    uint64_t samples, running, gil;
    int64_t wall_ns, cpu_ns;
} pyro_thread_sums_t;

/* The sums of thread `t` of `p` into *out. */
void pyro_profile_thread_sums(const pyro_profile_t *p, uint32_t t, pyro_thread_sums_t *out);

/* Non-zero if `p` holds samples (sample mode or attach), not traced calls. */

int pyro_profile_is_sampled(const pyro_profile_t *p);

/* How pyro_profile_view reshapes a profile. */
enum {
    PYRO_VIEW_FUNCS = 1, /* merge the lines of a function: one node per function per path */
    PYRO_VIEW_CPU = 2,   /* sample profiles: self/total time from CPU time, not wall */
    PYRO_VIEW_CALLS = 4, /* sample profiles: calls = samples with the node on the stack, so
                            that per-function statistics (pstats) count samples */
};

/* A new profile derived from `src` as `flags` says: the same strings,
 * functions (same ids), threads and metadata; nodes merged and metrics
 * recomputed. PYRO_OK, PYRO_ENOMEM, or PYRO_EINVAL for a flat profile
 * (pstats-loaded: it has no nodes to reshape). *out is the caller's to free. */

int pyro_profile_view(const pyro_profile_t *src, int flags, pyro_profile_t **out);

#endif
