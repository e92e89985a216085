/* SPDX-License-Identifier: MIT */
/* unwind: interpreters -> thread states -> frames -> code objects. */
#include "remote/unwind.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "model/alloc.h"
#include "model/buf.h"
#include "model/error.h"
#include "remote/procstat.h"
#include "remote/linetable.h"
#include "model/map.h"
#include "remote/procmem.h"
#include "remote/robj.h"

#define MAX_INTERPRETERS 64
#define MAX_THREADS 4096
#define MAX_DEPTH 1024
#define MAX_STR 4096
#define MAX_TABLE (1 << 20)
#define CODE_CHUNK 256 /* bytes of a code object read at once */

#define LINE_MEMO 4 /* instruction offset -> line, per code object */

typedef struct rcode {
    uint32_t name, qualname, file;
    int32_t firstline;
    int resumable; /* a generator's or coroutine's code: its frame is suspended between runs */
    unsigned char *table;
    uint32_t table_len;
    uint32_t memo_next;
    int32_t memo_offset[LINE_MEMO], memo_line[LINE_MEMO];
} rcode_t;

#define THR_TABLE 64

typedef struct vsort {
    uint64_t addr;
    uint32_t j;
} vsort_t;

/* A set of frame addresses with a value each, for one walk: open
 * addressing over ASET_SLOTS slots (a power of two, over twice MAX_DEPTH),
 * emptied in O(1) by moving to a new stamp. */
#define ASET_SLOTS 4096
typedef struct aset {
    struct {
        uint64_t addr;
        uint32_t stamp, val;
    } * slot;
    uint32_t stamp;
} aset_t;

/* Empty the set (allocating it on first use). PYRO_OK or PYRO_ENOMEM. */
static int aset_clear(aset_t *a)
{
    if (!a->slot && !(a->slot = pyro_calloc(ASET_SLOTS, sizeof *a->slot)))
        return PYRO_ENOMEM;
    if (++a->stamp == 0) { /* wrapped: old stamps could look current */
        memset(a->slot, 0, ASET_SLOTS * sizeof *a->slot);
        a->stamp = 1;
    }
    return PYRO_OK;
}

/* The slot of `addr`: where it is, or the empty one where it would go. The
 * set never holds more than MAX_DEPTH addresses, so one is always empty. */
static uint32_t aset_find(const aset_t *a, uint64_t addr)
{
    uint32_t k = (uint32_t)pyro_mix64(addr) & (ASET_SLOTS - 1);
    while (a->slot[k].stamp == a->stamp && a->slot[k].addr != addr)
        k = (k + 1) & (ASET_SLOTS - 1);
    return k;
}

/* Add `addr` -> `val`; 1 if it was there already (then unchanged), else 0. */
static int aset_add(aset_t *a, uint64_t addr, uint32_t val)
{
    uint32_t k = aset_find(a, addr);
    if (a->slot[k].stamp == a->stamp)
        return 1;
    a->slot[k].addr = addr;
    a->slot[k].stamp = a->stamp;
    a->slot[k].val = val;
    return 0;
}

/* The value of `addr`: 1 and *val, or 0 when absent. */
static int aset_get(const aset_t *a, uint64_t addr, uint32_t *val)
{
    uint32_t k = aset_find(a, addr);
    if (a->slot[k].stamp != a->stamp)
        return 0;
    *val = a->slot[k].val;
    return 1;
}

typedef struct thr {
    uint64_t ts;     /* 0: a free entry */
    uint32_t misses; /* rounds cut or truncated after every try, since a
                        first try read the stack whole */
    uint64_t *hint;  /* frame addresses of its last walk, innermost first */
    uint32_t nhint, caphint;
    uint64_t tid_ident, tid; /* 3.9/3.10: the OS thread id read for thread ident tid_ident */
} thr_t;

struct pyro_unwinder {
    pyro_pyproc_t proc;
    pyro_strtab_t *strs;
    rcode_t *codes;
    uint32_t ncodes, capcodes;
    pyro_map_t code_index; /* address -> codes[] */
    uint64_t code_type;    /* address of the code type, once seen */
    int tid_offset;        /* offset of the tid in a glibc pthread, -1 unknown */
    int os_state;          /* ask the kernel for each thread's run state */
    pyro_freeze_t *freeze; /* stop the threads for each round (not owned), or NULL */
    int held;              /* the thread being walked is held still by the freeze */
    uint64_t *trail;       /* per frame of the last walk: address, code, instruction, and the
                              index of the frame pushed for it + 1 (0 = none); for verify() */
    uint32_t ntrail, captrail;
    /* read_frames(), for the read-ahead and for verify(): the frames to read,
     * its pieces, where each frame landed, the bytes */
    uint64_t *vaddr; /* the frames to read */
    vsort_t *vsort;  /* the same, in address order */
    pyro_mem_piece_t *vpieces;
    uint64_t *vframe;
    unsigned char *vbuf;
    uint32_t capvaddr, capvsort, capvpieces, capvframe, capvbuf;
    long vgot;          /* pieces read whole */
    pyro_buf_t scratch; /* strings being read */
    pyro_robj_t robj;   /* reads of the target's objects */
    /* 3.11+: a copy of the newest part of the thread's frame stack (the
     * [stk_lo, stk_hi) of its current chunk), taken in one read per pass */
    unsigned char *stk;
    uint64_t stk_lo, stk_hi;
    uint64_t popped_lo, popped_hi; /* 3.11+: see set_popped() */
    /* What is remembered per thread (by thread-state address; a small
     * table, the oldest entry replaced): how its stack read went lately
     * (deep fast recursion changes under every try: one try, then the cut,
     * is as good there and a third of the reads), and where its frames were
     * last time (read ahead in one go: most of them are still there). */
    thr_t thr[THR_TABLE];
    uint32_t nthr_next;
    aset_t ahead;      /* the frames read ahead for this walk: address -> vframe index */
    uint32_t nahead;   /* how many (0: none to look up) */
    aset_t seen;       /* the frames of this walk so far: a repeat is a torn read */
    uint64_t end_prev; /* where the last walk stopped: 0 at the root, else the
                          frame past MAX_DEPTH */
    uint64_t rounds;
    struct prefetch *pf; /* see round_read() */
};

/* Tries to read a changing stack before cutting it back. */
#define TRIES 3
/* Extra tries, not counted above, for a walk that ended in a dead frame
 * within its first QUICK_DEPTH frames (a few reads lost). */
#define QUICK_TRIES 4
#define QUICK_DEPTH 4
/* Rounds in a row cut after every try before a thread gets one try; every
 * BUSY_PROBE-th round it gets all of them again, in case it calmed down. */
#define BUSY_AFTER 2
#define BUSY_PROBE 16

/* ==== reading ==== */

/* EFORMAT for an unmapped address: a stale or torn pointer. */
static int rd(const pyro_unwinder_t *u, uint64_t addr, void *buf, size_t len)
{
    return pyro_robj_read(&u->robj, addr, buf, len);
}

static int rd_ptr(const pyro_unwinder_t *u, uint64_t addr, uint64_t *out)
{
    return pyro_robj_u64(&u->robj, addr, out);
}

/* A str object of the target, interned in our string table. */
static int rd_str(pyro_unwinder_t *u, uint64_t addr, uint32_t *id)
{
    pyro_buf_t *b = &u->scratch;
    b->len = 0;
    int rc = pyro_robj_str(&u->robj, addr, MAX_STR, b);
    if (!rc)
        rc = pyro_strtab_intern(u->strs, b->data ? b->data : "", b->len, id);
    if (rc == PYRO_ENOMEM)
        pyro_buf_free(b); /* clears the failure for the next string */
    return rc;
}

/* Is `obj` an instance of the type named `want`? (The code type's address
 * is remembered once found.) */
static int is_type(pyro_unwinder_t *u, uint64_t obj, const char *want, uint64_t *cache)
{
    uint64_t type, name;
    if (rd_ptr(u, obj + (uint64_t)u->proc.layout.ob_type, &type))
        return 0;
    if (cache && *cache)
        return type == *cache;
    char buf[16] = {0};
    if (rd_ptr(u, type + (uint64_t)u->proc.layout.tp_name, &name) ||
        rd(u, name, buf, strlen(want) + 1))
        return 0;
    if (memcmp(buf, want, strlen(want) + 1) != 0)
        return 0;
    if (cache)
        *cache = type;
    return 1;
}

/* The cached description of the code object at `addr`, read if new. */
static int code_at(pyro_unwinder_t *u, uint64_t addr, rcode_t **out)
{
    uint32_t idx;
    if (pyro_map_get(&u->code_index, addr, 0, &idx)) {
        *out = &u->codes[idx];
        return PYRO_OK;
    }
    const pyro_layout_t *l = &u->proc.layout;
    if (!is_type(u, addr, "code", &u->code_type))
        return PYRO_EFORMAT;
    /* every field read from the chunk lies within it (a layout that puts one
     * further is not read with a guess) */
    int32_t last = l->co_firstlineno > l->co_name ? l->co_firstlineno : l->co_name;
    last = l->co_filename > last ? l->co_filename : last;
    last = l->co_qualname > last ? l->co_qualname : last;
    last = l->co_linetable > last ? l->co_linetable : last;
    if (last < 0 || last + 8 > CODE_CHUNK)
        return PYRO_EFORMAT;
    unsigned char chunk[CODE_CHUNK];
    int rc = rd(u, addr, chunk, sizeof chunk);
    if (rc)
        return rc;
    rcode_t c = {0};
    for (int i = 0; i < LINE_MEMO; i++)
        c.memo_offset[i] = INT32_MIN;
    int32_t fl;
    memcpy(&fl, chunk + l->co_firstlineno, sizeof fl);
    c.firstline = fl;
    if (l->co_flags >= 0 && l->co_flags + 4 <= CODE_CHUNK) {
        uint32_t flags;
        memcpy(&flags, chunk + l->co_flags, sizeof flags);
        /* CO_GENERATOR, CO_COROUTINE, CO_ITERABLE_COROUTINE, CO_ASYNC_GENERATOR */
        c.resumable = (flags & (0x20 | 0x80 | 0x100 | 0x200)) != 0;
    }
    if ((rc = rd_str(u, pyro_get64(chunk + l->co_name), &c.name)) ||
        (rc = rd_str(u, pyro_get64(chunk + l->co_filename), &c.file)))
        return rc;
    if (l->co_qualname < 0 || rd_str(u, pyro_get64(chunk + l->co_qualname), &c.qualname))
        c.qualname = c.name;
    /* the line table: a bytes object */
    uint64_t tab = pyro_get64(chunk + l->co_linetable);
    unsigned char bh[64];
    if (tab && rd(u, tab, bh, (size_t)l->bytes_sval) == PYRO_OK) {
        int64_t n = (int64_t)pyro_get64(bh + l->bytes_size);
        if (n > 0 && n <= MAX_TABLE) {
            c.table = pyro_malloc((size_t)n);
            if (!c.table)
                return PYRO_ENOMEM;
            if (rd(u, tab + (uint64_t)l->bytes_sval, c.table, (size_t)n) == PYRO_OK) {
                c.table_len = (uint32_t)n;
            } else {
                pyro_free(c.table);
                c.table = NULL;
            }
        }
    }
    if ((rc = pyro_grow((void **)&u->codes, &u->capcodes, u->ncodes, sizeof *u->codes)) ||
        (rc = pyro_map_put(&u->code_index, addr, 0, u->ncodes))) {
        pyro_free(c.table);
        return rc;
    }
    u->codes[u->ncodes] = c;
    *out = &u->codes[u->ncodes++];
    return PYRO_OK;
}

/* ==== lifecycle ==== */

/* Where glibc keeps the tid inside struct pthread: found in our own. */
static int find_tid_offset(void)
{
    pid_t tid = (pid_t)syscall(SYS_gettid);
    const unsigned char *self = (const unsigned char *)pthread_self();
    for (int off = 0; off < 2048; off += 4) {
        pid_t v;
        memcpy(&v, self + off, sizeof v);
        if (v == tid)
            return off;
    }
    return -1;
}

int pyro_unwinder_new(const pyro_pyproc_t *pp, pyro_unwinder_t **out)
{
    pyro_unwinder_t *u = pyro_calloc(1, sizeof *u);
    if (!u)
        return PYRO_ENOMEM;
    u->proc = *pp;
    u->strs = pyro_strtab_new();

    if (!u->strs) {
        pyro_free(u);
        return PYRO_ENOMEM;
    }
    pyro_map_init(&u->code_index);
    pyro_buf_init(&u->scratch);
    u->robj.pid = u->proc.pid;
    u->robj.l = &u->proc.layout;
    u->tid_offset = find_tid_offset();
    u->os_state = 1;
    *out = u;
    return PYRO_OK;
}

void pyro_unwinder_forget(pyro_unwinder_t *u)
{
    for (uint32_t i = 0; i < THR_TABLE; i++)
        u->thr[i].tid = 0; /* read again (a new thread can reuse an ident) */
    for (uint32_t i = 0; i < u->ncodes; i++)
        pyro_free(u->codes[i].table);
    u->ncodes = 0;
    pyro_map_free(&u->code_index);
}

void pyro_unwinder_os_state(pyro_unwinder_t *u, int on) { u->os_state = on; }

/* The line executing at instruction `offset` of `c` (remembering a few). */
static int32_t line_at(const pyro_layout_t *l, rcode_t *c, int offset)
{
    for (int i = 0; i < LINE_MEMO; i++)
        if (c->memo_offset[i] == offset)
            return c->memo_line[i];
    int32_t line = pyro_line_for(l->version, c->table, c->table_len, c->firstline, offset);
    uint32_t k = c->memo_next++ % LINE_MEMO;
    c->memo_offset[k] = offset;
    c->memo_line[k] = line;
    return line;
}

void pyro_unwinder_free(pyro_unwinder_t *u)
{
    if (!u)
        return;
    pyro_unwinder_forget(u);
    pyro_free(u->codes);
    pyro_free(u->trail);
    pyro_free(u->vaddr);
    pyro_free(u->vsort);
    pyro_free(u->vpieces);
    for (uint32_t i = 0; i < THR_TABLE; i++)
        pyro_free(u->thr[i].hint);
    pyro_free(u->ahead.slot);
    pyro_free(u->seen.slot);
    pyro_free(u->vframe);
    pyro_free(u->vbuf);
    pyro_strtab_free(u->strs);
    pyro_buf_free(&u->scratch);
    pyro_free(u->stk);
    pyro_free(u->pf);
    pyro_free(u);
}

const pyro_pyproc_t *pyro_unwinder_proc(const pyro_unwinder_t *u) { return &u->proc; }

const char *pyro_unwinder_str(const pyro_unwinder_t *u, uint32_t id)
{
    const char *s = pyro_strtab_get(u->strs, id, NULL);
    return s ? s : "";
}

void pyro_stacks_free(pyro_stacks_t *s)
{
    pyro_free(s->threads);
    pyro_free(s->frames);
    memset(s, 0, sizeof *s);
}

uint64_t pyro_unwinder_tid_of(const pyro_unwinder_t *u, uint64_t ident)
{
    if (u->tid_offset < 0 || !ident)
        return 0;
    int32_t tid = 0;
    if (rd(u, ident + (uint64_t)u->tid_offset, &tid, sizeof tid) || tid <= 0)
        return 0;
    return (uint64_t)tid;
}

/* ==== threads ==== */

static int sample_threads(pyro_unwinder_t *u, pyro_stacks_t *s);

/* The kernel's view of thread `tid`: 1 running, 0 not, -1 unknown. */
static int os_running(int pid, uint64_t tid)
{
    char st = tid ? pyro_task_state(pid, tid) : '?';
    return st == '?' ? -1 : st == 'R';
}

/* A round's reads are few system calls: the fields it needs of one
 * object (or of a few whose addresses are known) are read together. */

/* What a round reads of the runtime: the first interpreter and, up to
 * 3.11, the GIL (one per process then). */
typedef struct rtsnap {
    uint64_t interp;
    uint64_t gil_holder;
    int32_t gil_locked;
} rtsnap_t;

/* The pieces reading the runtime into `r` (at most 3); their count. */
static size_t rt_pieces(const pyro_unwinder_t *u, rtsnap_t *r, pyro_mem_piece_t *p)
{
    const pyro_layout_t *l = &u->proc.layout;
    uint64_t rt = u->proc.runtime;
    size_t n = 0;
    memset(r, 0, sizeof *r);
    p[n++] = (pyro_mem_piece_t){rt + (uint64_t)l->rt_interpreters_head, &r->interp, 8};
    if (l->rt_gil_locked >= 0) {
        p[n++] = (pyro_mem_piece_t){rt + (uint64_t)l->rt_gil_locked, &r->gil_locked, 4};
        p[n++] = (pyro_mem_piece_t){rt + (uint64_t)l->rt_gil_last_holder, &r->gil_holder, 8};
    }
    return n;
}

/* What a round reads of an interpreter: its first thread state, the next
 * interpreter and, 3.12+, where its GIL is. */
typedef struct isnap {
    uint64_t threads, next, gil;
} isnap_t;

/* The pieces reading interpreter `interp` into `i` (at most 3); their count. */
static size_t interp_pieces(const pyro_unwinder_t *u, uint64_t interp, isnap_t *i,
                            pyro_mem_piece_t *p)
{
    const pyro_layout_t *l = &u->proc.layout;
    size_t n = 0;
    memset(i, 0, sizeof *i);
    p[n++] = (pyro_mem_piece_t){interp + (uint64_t)l->interp_threads_head, &i->threads, 8};
    p[n++] = (pyro_mem_piece_t){interp + (uint64_t)l->interp_next, &i->next, 8};
    if (l->interp_gil >= 0)
        p[n++] = (pyro_mem_piece_t){interp + (uint64_t)l->interp_gil, &i->gil, 8};
    return n;
}

static int interp_read(const pyro_unwinder_t *u, uint64_t interp, isnap_t *i)
{
    pyro_mem_piece_t p[3];
    return pyro_robj_readv(&u->robj, p, interp_pieces(u, interp, i, p));
}

/* 3.12+: what a round reads of an interpreter's GIL state. */
typedef struct gsnap {
    int32_t enabled, locked; /* enabled: free-threaded builds only (else 1) */
    uint64_t holder;
} gsnap_t;

/* The pieces reading the GIL state at `gil` into `g` (at most 3); their count. */
static size_t gil_pieces(const pyro_unwinder_t *u, uint64_t gil, gsnap_t *g, pyro_mem_piece_t *p)
{
    const pyro_layout_t *l = &u->proc.layout;
    size_t n = 0;
    *g = (gsnap_t){1, 0, 0};
    if (l->free_threaded)
        p[n++] = (pyro_mem_piece_t){gil + (uint64_t)l->gil_enabled, &g->enabled, 4};
    p[n++] = (pyro_mem_piece_t){gil + (uint64_t)l->gil_locked, &g->locked, 4};
    p[n++] = (pyro_mem_piece_t){gil + (uint64_t)l->gil_last_holder, &g->holder, 8};
    return n;
}

/* Does this layout keep the GIL per interpreter, behind a pointer (3.12+)?
 * (Free-threaded builds also need where "enabled" is.) */
static int gil_per_interp(const pyro_layout_t *l)
{
    return l->rt_gil_locked < 0 && l->interp_gil >= 0 && (!l->free_threaded || l->gil_enabled >= 0);
}

/* The thread state holding the GIL, 0 if none or unknown; *known is 0
 * when the interpreter has no GIL to hold (a free-threaded build that did
 * not enable it) or whether it has one cannot be read. */
static uint64_t gil_holder(pyro_unwinder_t *u, const rtsnap_t *r, const isnap_t *i,
                           const gsnap_t *pre, int *known)
{
    const pyro_layout_t *l = &u->proc.layout;
    *known = 1;
    if (l->rt_gil_locked >= 0) /* up to 3.11: read with the runtime */
        return r->gil_locked > 0 ? r->gil_holder : 0;
    *known = !l->free_threaded;
    if (!gil_per_interp(l) || !i->gil)
        return 0;
    gsnap_t g;
    if (pre) {
        g = *pre;
    } else {
        pyro_mem_piece_t p[3];
        if (pyro_robj_readv(&u->robj, p, gil_pieces(u, i->gil, &g, p)))
            return 0;
    }
    *known = g.enabled > 0;
    return *known && g.locked > 0 ? g.holder : 0;
}

/* 3.11+: does the thread state hold datastack_chunk, _top and _limit side
 * by side (as in 3.11-3.13)? */
static int has_datastack(const pyro_layout_t *l)
{
    return l->version >= 0x030B0000 && l->ts_datastack_chunk >= 0 && l->chunk_data >= 0 &&
           l->ts_datastack_top == l->ts_datastack_chunk + 8;
}

/* What a round reads of a thread state: its ids, its innermost frame (or
 * 3.11/3.12 its CFrame), the next thread state and, 3.11+, its
 * datastack_chunk, _top and _limit (zero when it has none). */
typedef struct tsnap {
    uint64_t ident, native, frame, next;
    uint64_t ds[3];
} tsnap_t;

/* The pieces reading thread state `ts` into `t` (at most 5); their count. */
static size_t ts_pieces(const pyro_unwinder_t *u, uint64_t ts, tsnap_t *t, pyro_mem_piece_t *p)
{
    const pyro_layout_t *l = &u->proc.layout;
    size_t n = 0;
    memset(t, 0, sizeof *t);
    p[n++] = (pyro_mem_piece_t){ts + (uint64_t)l->ts_thread_id, &t->ident, 8};
    p[n++] = (pyro_mem_piece_t){ts + (uint64_t)l->ts_frame, &t->frame, 8};
    p[n++] = (pyro_mem_piece_t){ts + (uint64_t)l->ts_next, &t->next, 8};
    if (l->ts_native_thread_id >= 0)
        p[n++] = (pyro_mem_piece_t){ts + (uint64_t)l->ts_native_thread_id, &t->native, 8};
    if (has_datastack(l))
        p[n++] = (pyro_mem_piece_t){ts + (uint64_t)l->ts_datastack_chunk, t->ds, sizeof t->ds};
    return n;
}

static int ts_read(const pyro_unwinder_t *u, uint64_t ts, tsnap_t *t)
{
    pyro_mem_piece_t p[5];
    return pyro_robj_readv(&u->robj, p, ts_pieces(u, ts, t, p));
}

/* A round of a program whose threads stay put reads the runtime, its first
 * interpreter (3.12+, and that one's GIL) and the interpreter's first
 * PF_THREADS thread states in one system call: the ones seen last round
 * are read at the runtime's side, then used where the chain read now still
 * leads to them (read in the same call, so as current as reading each
 * pointer's target after it). */
#define PF_THREADS 16
#define PF_PIECES (3 + 3 + 3 + 5 * PF_THREADS)
struct prefetch {
    uint64_t interp, gil;    /* last round's first interpreter and its GIL state */
    uint64_t ts[PF_THREADS]; /* its first thread states */
    uint32_t nts;
    /* what this round's read got */
    isnap_t is;
    gsnap_t g;
    tsnap_t snap[PF_THREADS];
    int is_ok, g_ok;
    uint32_t nsnap_ok; /* snap[0, nsnap_ok) were read whole */
};

/* This round's first read: the runtime into `r`, last round's chain into
 * u->pf. PYRO_OK, or as pyro_robj_read for the runtime's part. */
static int round_read(pyro_unwinder_t *u, rtsnap_t *r)
{
    if (!u->pf && !(u->pf = pyro_calloc(1, sizeof *u->pf)))
        return PYRO_ENOMEM;
    struct prefetch *pf = u->pf;
    pyro_mem_piece_t p[PF_PIECES];
    size_t n = rt_pieces(u, r, p), n_rt = n, n_is = 0, n_g = 0, end[PF_THREADS];
    if (pf->interp) {
        n += interp_pieces(u, pf->interp, &pf->is, p + n);
        n_is = n;
        if (pf->gil) {
            n += gil_pieces(u, pf->gil, &pf->g, p + n);
            n_g = n;
        }
        for (uint32_t k = 0; k < pf->nts; k++) {
            n += ts_pieces(u, pf->ts[k], &pf->snap[k], p + n);
            end[k] = n;
        }
    }
    size_t got;
    int rc = pyro_robj_readv_upto(&u->robj, p, n, &got);
    if (rc)
        return rc;
    if (got < n_rt)
        return PYRO_EFORMAT;
    pf->is_ok = n_is && got >= n_is;
    pf->g_ok = n_g && got >= n_g;
    pf->nsnap_ok = 0;
    while (pf->interp && pf->nsnap_ok < pf->nts && got >= end[pf->nsnap_ok])
        pf->nsnap_ok++;
    return PYRO_OK;
}

/* Thread state `ts` as read this round by round_read(), or NULL. */
static const tsnap_t *prefetched(const struct prefetch *pf, uint64_t ts)
{
    for (uint32_t k = 0; k < pf->nsnap_ok; k++)
        if (pf->ts[k] == ts)
            return &pf->snap[k];
    return NULL;
}

/* The entry of thread state `ts`, created when `create` (else NULL when
 * there is none). */
static thr_t *thr_of(pyro_unwinder_t *u, uint64_t ts, int create);

/* 3.9/3.10: the OS thread id of thread `ident` (state `ts`), read from its
 * pthread once and remembered (until pyro_unwinder_forget()). */
static uint64_t cached_tid(pyro_unwinder_t *u, uint64_t ts, uint64_t ident)
{
    thr_t *th = thr_of(u, ts, 0);
    if (th && th->tid && th->tid_ident == ident)
        return th->tid;
    uint64_t tid = pyro_unwinder_tid_of(u, ident);
    if (tid && (th || (th = thr_of(u, ts, 1)))) {
        th->tid_ident = ident;
        th->tid = tid;
    }
    return tid;
}

/* Bytes of a thread's frame stack copied at once: the innermost frames
 * (about 60-100 bytes each for small functions); older frames are read
 * one by one. */
#define STACK_COPY 16384

/* From a thread's datastack_chunk, _top and _limit: the part of its current
 * chunk above the top, where frames that returned leave their memory as it
 * was (until the next call writes over it). A frame there is not on the
 * stack, however well it links to its caller. */
static void set_popped(pyro_unwinder_t *u, const uint64_t ds[3])
{
    u->popped_lo = u->popped_hi = 0;
    if (ds[0] && ds[1] > ds[0] && ds[2] >= ds[1] && ds[2] - ds[0] <= (1u << 30)) {
        u->popped_lo = ds[1];
        u->popped_hi = ds[2];
    }
}

static int popped(const pyro_unwinder_t *u, uint64_t frame)
{
    return frame >= u->popped_lo && frame < u->popped_hi;
}

/* 3.11+: the used top of a thread's current stack chunk (`ds`: its
 * datastack_chunk, _top and _limit, read with the thread state), where its
 * newest frames live, into [*lo, *hi); 0 when there is none to copy
 * (3.9/3.10, an empty or torn chunk). Sets the popped range. */
static int stack_range(pyro_unwinder_t *u, const uint64_t ds[3], uint64_t *lo, uint64_t *hi)
{
    const pyro_layout_t *l = &u->proc.layout;
    u->popped_lo = u->popped_hi = 0;
    if (!has_datastack(l))
        return 0;
    uint64_t chunk = ds[0], top = ds[1];
    uint64_t from = chunk + (uint64_t)l->chunk_data;
    if (!chunk || top <= from || top - from > (1u << 30))
        return 0; /* empty, or torn */
    set_popped(u, ds);
    if (top - from > STACK_COPY)
        from = top - STACK_COPY;
    if (!u->stk && !(u->stk = pyro_malloc(STACK_COPY)))
        return 0;
    *lo = from;
    *hi = top;
    return 1;
}

static int push_frame(pyro_stacks_t *s, const pyro_rframe_t *f)
{
    int rc = pyro_grow((void **)&s->frames, &s->capframes, s->nframes, sizeof *s->frames);
    if (!rc)
        s->frames[s->nframes++] = *f;
    return rc;
}

/* Bytes of a frame to read: up to the last field used. */
static size_t frame_need(const pyro_layout_t *l)
{
    size_t need = (size_t)(l->frame_previous > l->frame_code ? l->frame_previous : l->frame_code);
    need = (size_t)(l->frame_instr > (int32_t)need ? l->frame_instr : (int32_t)need) + 8;
    if (l->frame_owner >= 0 && (size_t)l->frame_owner + 1 > need)
        need = (size_t)l->frame_owner + 1;
    if (l->frame_state >= 0 && (size_t)l->frame_state + 1 > need)
        need = (size_t)l->frame_state + 1;
    if (l->frame_tlbc_index >= 0 && (size_t)l->frame_tlbc_index + 4 > need)
        need = (size_t)l->frame_tlbc_index + 4;
    return need;
}

#define FRAME_BUF 256

/* 3.9/3.10: is the frame object read into `fb` on a thread's stack? A
 * frame whose call ended can keep its memory as it was: on a free list (its
 * reference count 0, its f_back linking the list), as its code's spare
 * frame, or alive (a traceback holds it) with f_back still naming the caller
 * that has moved on. Its f_executing (3.9) / f_state (3.10) says: executing
 * (or, 3.10, unwinding an exception it may catch). 3.11+ frames have neither:
 * see popped(). */
static int frame_alive(const pyro_layout_t *l, const unsigned char *fb)
{
    if (l->frame_owner >= 0)
        return 1;
    if (pyro_get64(fb + l->ob_type - 8) == 0)
        return 0;
    if (l->frame_state < 0)
        return 1;
    signed char st = (signed char)fb[l->frame_state];
    if (l->version < 0x030A0000)
        return st != 0;        /* f_executing */
    return st == 0 || st == 2; /* FRAME_EXECUTING, FRAME_UNWINDING */
}

/* The instruction field of a frame read into `fb`. */
static uint64_t instr_of(const pyro_layout_t *l, const unsigned char *fb)
{
    if (l->frame_owner < 0) { /* 3.9/3.10: f_lasti, an int */
        int32_t lasti;
        memcpy(&lasti, fb + l->frame_instr, sizeof lasti);
        return (uint32_t)lasti;
    }
    return pyro_get64(fb + l->frame_instr);
}

/* The code object (or None) a frame read into `fb` executes: f_executable
 * is a tagged _PyStackRef from 3.14 (its tag bits from the layout). */
static uint64_t code_of(const pyro_layout_t *l, const unsigned char *fb)
{
    return pyro_get64(fb + l->frame_code) & ~(uint64_t)(uint32_t)l->executable_tag;
}

/* Is the frame owner `owner` one of the interpreter's own shims (no Python
 * code of the program)? Their values come from the layout. */
static int shim_owner(const pyro_layout_t *l, int owner)
{
    return owner == l->owner_cstack || owner == l->owner_interpreter;
}

/* Frames of one piece of a vectored frame read lie at most this far apart.
 * Reading bytes between frames costs far less than a piece (a 16 KiB piece
 * takes about as long as five small ones), and it is safe: when the gap
 * between two frames is under a page, every byte of it lies on the page of
 * the one frame or of the other, mapped when they are. 3.11+ frames sit side
 * by side on their stack chunk, 3.9/3.10 ones in a few allocator pools. */
#define MERGE_GAP 4095
#define MERGE_MAX 65536

static int by_addr(const void *a, const void *b)
{
    uint64_t x = ((const vsort_t *)a)->addr, y = ((const vsort_t *)b)->addr;
    return x < y ? -1 : x > y;
}

/* Read the frames at u->vaddr[0..n) (`need` bytes each) in one vectored
 * read, in address order, neighbours merged into one piece; the `nfirst`
 * pieces `first` are read before them in the same call (u->vgot >= k when
 * the first k of them were).
 * Afterwards frame j lies at vframe_at(u, j) when vframe_ok(u, j) (a piece at
 * an unmapped address ends the read: it and the pieces after it are not
 * read). PYRO_OK or PYRO_ENOMEM. */
static int read_frames(pyro_unwinder_t *u, uint32_t n, size_t need, const pyro_mem_piece_t *first,
                       uint32_t nfirst)
{
    u->vgot = 0;
    if (pyro_reserve((void **)&u->vpieces, &u->capvpieces, n + nfirst, sizeof *u->vpieces) ||
        pyro_reserve((void **)&u->vframe, &u->capvframe, n, sizeof *u->vframe) ||
        pyro_reserve((void **)&u->vsort, &u->capvsort, n, sizeof *u->vsort))
        return PYRO_ENOMEM;
    for (uint32_t j = 0; j < n; j++)
        u->vsort[j] = (vsort_t){u->vaddr[j], j};
    if (n > 64)
        qsort(u->vsort, n, sizeof *u->vsort, by_addr);
    else /* few, and often in order already (3.11+ frames): insertion */
        for (uint32_t i = 1; i < n; i++) {
            vsort_t x = u->vsort[i];
            uint32_t k = i;
            for (; k > 0 && u->vsort[k - 1].addr > x.addr; k--)
                u->vsort[k] = u->vsort[k - 1];
            u->vsort[k] = x;
        }
    uint32_t np = nfirst, base = np; /* `first` is read before the frames */
    for (uint32_t i = 0; i < nfirst; i++)
        u->vpieces[i] = first[i];
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = u->vsort[i].addr;
        pyro_mem_piece_t *p = np > base ? &u->vpieces[np - 1] : NULL;
        if (p && a <= p->addr + p->len + MERGE_GAP && a + need - p->addr <= MERGE_MAX) {
            if (a + need - p->addr > p->len) {
                total += a + need - p->addr - p->len;
                p->len = a + need - p->addr;
            }
        } else {
            p = &u->vpieces[np++];
            *p = (pyro_mem_piece_t){a, NULL, need};
            total += need;
        }
        u->vframe[u->vsort[i].j] = (uint64_t)(np - 1) << 32 | (a - p->addr);
    }
    if (total > (size_t)MAX_DEPTH * MERGE_MAX ||
        pyro_reserve((void **)&u->vbuf, &u->capvbuf, (uint32_t)total, 1))
        return PYRO_ENOMEM;
    size_t off = 0;
    for (uint32_t i = base; i < np; i++) {
        u->vpieces[i].buf = u->vbuf + off;
        off += u->vpieces[i].len;
    }
    u->vgot = pyro_mem_readv(u->proc.pid, u->vpieces, np);
    return PYRO_OK;
}

static int vframe_ok(const pyro_unwinder_t *u, uint32_t j)
{
    return (long)(u->vframe[j] >> 32) < u->vgot;
}

static const unsigned char *vframe_at(const pyro_unwinder_t *u, uint32_t j)
{
    return (const unsigned char *)u->vpieces[u->vframe[j] >> 32].buf + (uint32_t)u->vframe[j];
}

/* The table entry of thread state `ts`, created when `create` (else NULL
 * when there is none). */
static thr_t *thr_of(pyro_unwinder_t *u, uint64_t ts, int create)
{
    for (uint32_t i = 0; i < THR_TABLE; i++)
        if (u->thr[i].ts == ts)
            return &u->thr[i];
    if (!create)
        return NULL;
    thr_t *t = &u->thr[u->nthr_next++ % THR_TABLE];
    t->ts = ts;
    t->misses = 0;
    t->nhint = 0;
    return t;
}

/* Thread state `ts` came out cut or truncated after its last try. */
static void busy_miss(pyro_unwinder_t *u, uint64_t ts)
{
    thr_t *t = thr_of(u, ts, 1);
    if (t->misses < UINT32_MAX)
        t->misses++;
}

/* Before a walk of thread state `ts` (read into `snap`), in one vectored
 * read: 3.11/3.12 its innermost frame's address, from its CFrame; 3.11+
 * a copy of the top of its stack chunk (one read instead of one per frame,
 * and a near-instant snapshot); and when `ahead`, where its frames were in
 * its last walk outside that copy (3.9/3.10: all). The walk takes frames
 * from there while they are the ones it meets (the outer ones, mostly), and
 * reads only frames at new addresses one by one. Without `ahead` (a quick
 * retry), the frames read ahead before are kept. *frame is the innermost
 * frame (0: none). PYRO_OK, PYRO_EFORMAT when the CFrame cannot be read,
 * or a fatal error. */
static int walk_reads(pyro_unwinder_t *u, uint64_t ts, const tsnap_t *snap, int ahead, size_t need,
                      uint64_t *frame)
{
    const pyro_layout_t *l = &u->proc.layout;
    u->stk_lo = u->stk_hi = 0;
    *frame = snap->frame;
    pyro_mem_piece_t first[2];
    uint32_t nfirst = 0;
    int via_cframe = l->cframe_current_frame >= 0 && snap->frame;
    if (via_cframe) /* 3.11/3.12: through the CFrame */
        first[nfirst++] =
            (pyro_mem_piece_t){snap->frame + (uint64_t)l->cframe_current_frame, frame, 8};
    uint64_t lo = 0, hi = 0;
    int copy = stack_range(u, snap->ds, &lo, &hi);
    if (copy)
        first[nfirst++] = (pyro_mem_piece_t){lo, u->stk, hi - lo};
    long got;
    if (!ahead) { /* the frames read ahead stay where they are */
        got = nfirst ? pyro_mem_readv(u->proc.pid, first, nfirst) : 0;
    } else {
        u->nahead = 0;
        const thr_t *th = thr_of(u, ts, 0);
        uint32_t n = 0;
        if (th && th->nhint && !aset_clear(&u->ahead) &&
            !pyro_reserve((void **)&u->vaddr, &u->capvaddr, th->nhint, sizeof *u->vaddr))
            for (uint32_t i = th->nhint; i-- > 0;) {
                uint64_t a = th->hint[i];
                if (!(copy && a >= lo && a + need <= hi))
                    u->vaddr[n++] = a;
            }
        if (!n && !nfirst)
            return PYRO_OK;
        int rc = read_frames(u, n, need, first, nfirst);
        if (rc)
            return rc;
        got = u->vgot;
        for (uint32_t j = 0; j < n && vframe_ok(u, j); j++)
            aset_add(&u->ahead, u->vaddr[j], j);
        u->nahead = n;
    }
    if (got < 0)
        return pyro_pyproc_errno(errno);
    if (via_cframe && got < 1)
        return PYRO_EFORMAT;
    if (copy && got >= (long)nfirst) {
        u->stk_lo = lo;
        u->stk_hi = hi;
    }
    return PYRO_OK;
}

/* Read frame bytes: from the stack copy or the frames read ahead when they
 * are there, else from the process. */
static int frame_rd(const pyro_unwinder_t *u, uint64_t frame, void *buf, size_t need)
{
    if (frame >= u->stk_lo && frame + need <= u->stk_hi && frame + need > frame) {
        memcpy(buf, u->stk + (frame - u->stk_lo), need);
        return PYRO_OK;
    }
    uint32_t j;
    if (u->nahead && aset_get(&u->ahead, frame, &j)) {
        memcpy(buf, vframe_at(u, j), need);
        return PYRO_OK;
    }
    return rd(u, frame, buf, need);
}

/* Remember where the frames of this walk (u->trail) were, for the next
 * walk of `ts`. */
static void remember(pyro_unwinder_t *u, uint64_t ts)
{
    thr_t *th = thr_of(u, ts, 1);
    uint32_t n = u->ntrail / 4;
    if (pyro_reserve((void **)&th->hint, &th->caphint, n, sizeof *th->hint)) {
        th->nhint = 0;
        return;
    }
    for (uint32_t k = 0; k < n; k++)
        th->hint[k] = u->trail[4 * k];
    th->nhint = n;
}

/* How many frames of the last walk, counted from the outermost, are still
 * as read. Every frame the walk read is read again where it was (all in one
 * vectored read) and compared from the root: same code,
 * same caller, still alive, same instruction. A frame that moved on between
 * the two reads can still stand as the innermost trusted frame (its caller
 * did not move), but nothing inside it can. The innermost frame runs on, so
 * when all its callers match its instruction is not compared.
 *
 * Every first read came before every second one, so when frames 1..n-1
 * match, each held its state over an interval containing the end of the
 * walk, and at that moment the walked stack was the thread's call path (the
 * innermost frame then or a moment before). The thread's current depth does
 * not matter: a recursion that went deeper meanwhile keeps all it had.
 *
 * The innermost frame may also be gone by the second read (a short call
 * returned: on call-heavy code it nearly always is) while every caller is
 * as it was, instruction included: then it was alive and linked to its
 * caller when it was read, and that caller was at the call it is at now, so
 * the walk is still the call path of that moment. All frames are trusted then.
 * Returns the count of trusted frames (all: ntrail / 4). */
static uint32_t verify(pyro_unwinder_t *u, uint64_t ts)
{
    const pyro_layout_t *l = &u->proc.layout;
    size_t need = frame_need(l);
    uint32_t n = u->ntrail / 4;
    if (!n || pyro_reserve((void **)&u->vaddr, &u->capvaddr, n, sizeof *u->vaddr))
        return 0;
    for (uint32_t j = 0; j < n; j++)
        u->vaddr[j] = u->trail[4 * (n - 1 - j)];
    u->nahead = 0; /* the read-ahead buffers are reused */
    /* 3.11+: the thread's datastack top, read just before the frames */
    uint64_t ds[3] = {0, 0, 0};
    pyro_mem_piece_t top = {ts + (uint64_t)l->ts_datastack_chunk, ds, sizeof ds};
    int with_top = has_datastack(l);
    if (read_frames(u, n, need, &top, with_top) || (with_top && u->vgot < 1))
        return 0;
    if (with_top)
        set_popped(u, ds);
    uint32_t same = 0;
    for (uint32_t j = 0; j < n; j++) {
        uint32_t k = n - 1 - j;
        if (!vframe_ok(u, j)) /* unmapped now: the innermost returned, or torn */
            return k == 0 && n > 1 ? n : same;
        const unsigned char *fb = vframe_at(u, j);
        const uint64_t *a = &u->trail[4 * k];
        uint64_t caller = k + 1 < n ? u->trail[4 * (k + 1)] : u->end_prev;
        if (code_of(l, fb) != a[1] || pyro_get64(fb + l->frame_previous) != caller ||
            !frame_alive(l, fb) || popped(u, a[0]))
            return k == 0 && n > 1 ? n : same; /* every caller as it was: see above */
        same++;
        if (k > 0 && instr_of(l, fb) != a[2])
            break;
    }
    return same;
}

/* Where the bytecode that a frame read into `fb` executes starts: the code
 * object's own (co_code_adaptive), or on a free-threaded build the copy of
 * its thread, entry tlbc_index of the code's co_tlbc (entry 0 is the
 * code's own). 0 when it cannot be read. */
static uint64_t bytecode_of(const pyro_unwinder_t *u, uint64_t code, const unsigned char *fb)
{
    const pyro_layout_t *l = &u->proc.layout;
    uint64_t own = code + (uint64_t)l->co_code_adaptive;
    if (l->frame_tlbc_index < 0 || l->co_tlbc < 0 || l->codearray_entries < 0)
        return own;
    int32_t idx;
    memcpy(&idx, fb + l->frame_tlbc_index, sizeof idx);
    if (idx <= 0)
        return idx == 0 ? own : 0;
    uint64_t arr, size, entry;
    if (rd_ptr(u, code + (uint64_t)l->co_tlbc, &arr) || !arr ||
        rd_ptr(u, arr + (uint64_t)l->codearray_size, &size) || (uint64_t)idx >= size ||
        rd_ptr(u, arr + (uint64_t)l->codearray_entries + 8 * (uint64_t)idx, &entry))
        return 0;
    return entry;
}

/* Walk one thread's frames into `s`. Returns a fatal error only (the
 * process gone, not permitted, out of memory); other failures truncate. */
static int walk(pyro_unwinder_t *u, uint64_t ts, const tsnap_t *snap, pyro_stacks_t *s,
                pyro_rthread_t *t, int ahead)
{
    u->ntrail = 0;
    const pyro_layout_t *l = &u->proc.layout;
    int legacy = l->frame_owner < 0; /* PyFrameObject (3.9/3.10) */
    unsigned char fb[FRAME_BUF];
    size_t need = frame_need(l);
    uint64_t frame;
    u->end_prev = 0;
    int rc = walk_reads(u, ts, snap, ahead, need, &frame);
    if (rc) {
        t->truncated = 1;
        return rc == PYRO_EFORMAT ? PYRO_OK : rc;
    }
    if (need > sizeof fb || aset_clear(&u->seen)) { /* a layout we cannot hold: do not guess */
        t->truncated = 1;
        return PYRO_OK;
    }

    int outer_resumable = 0; /* the last frame walked is a generator's or coroutine's */
    for (int depth = 0; frame; depth++) {
        if (depth == MAX_DEPTH) {
            t->truncated = 1;
            u->end_prev = frame;
            break;
        }
        rc = frame_rd(u, frame, fb, need);
        if (rc) {
            t->truncated = 1;
            return rc == PYRO_EFORMAT ? PYRO_OK : rc;
        }
        uint64_t prev = pyro_get64(fb + l->frame_previous);
        uint64_t code = code_of(l, fb);
        int owner = l->frame_owner >= 0 ? fb[l->frame_owner] : 0;
        /* a frame met twice (a cycle), a dead frame: a torn read */
        int cycle = aset_add(&u->seen, frame, 0);
        if (!cycle && depth == 0 && u->held && (!frame_alive(l, fb) || popped(u, frame))) {
            /* a stopped thread between pushing a frame and marking it
             * executing, or between popping one and moving to its caller:
             * the caller is where the thread is */
            frame = prev;
            continue;
        }
        if (cycle || !frame_alive(l, fb) || popped(u, frame)) {
            t->truncated = 1;
            break;
        }
        if ((rc = pyro_grow((void **)&u->trail, &u->captrail, u->ntrail + 3, sizeof *u->trail)))
            return rc;
        u->trail[u->ntrail++] = frame;
        u->trail[u->ntrail++] = code;
        u->trail[u->ntrail++] = instr_of(l, fb);
        u->trail[u->ntrail++] = 0;
        outer_resumable = 0;
        /* 3.12+: frames owned by the C stack (or, 3.14+, the interpreter)
         * are its shims */
        if (!legacy && shim_owner(l, owner)) {
            frame = prev;
            continue;
        }
        rcode_t *c;
        rc = code_at(u, code, &c);
        if (rc) {
            if (rc == PYRO_ENOMEM || rc == PYRO_ENOPROC || rc == PYRO_EPERM)
                return rc;
            if (l->version >= 0x030D0000 && !is_type(u, code, "code", &u->code_type)) {
                frame = prev; /* 3.13: f_executable may be None */
                continue;
            }
            t->truncated = 1;
            break;
        }
        int offset;
        if (legacy) {
            int32_t lasti;
            memcpy(&lasti, fb + l->frame_instr, sizeof lasti);
            offset = lasti;
        } else {
            uint64_t instr = pyro_get64(fb + l->frame_instr);
            uint64_t start = bytecode_of(u, code, fb);
            offset = start && instr >= start ? (int)((instr - start) / 2) : -1;
        }
        outer_resumable = c->resumable;
        pyro_rframe_t f = {c->name, c->qualname, c->file, 0, c->firstline, code};
        f.line = line_at(l, c, offset);
        if ((rc = push_frame(s, &f)))
            return rc;
        u->trail[u->ntrail - 1] = s->nframes; /* pushed at nframes - 1 */
        t->nframes++;
        frame = prev;
    }
    /* A generator or coroutine is never a thread's outermost frame: its
     * caller link is cleared when it suspends, so the walk met it after it
     * had (an attach of a generator loop: 15-20% of the samples rooted
     * there). A torn read, read again. */
    if (!t->truncated && outer_resumable)
        t->truncated = 1;
    return PYRO_OK;
}

int pyro_unwinder_sample(pyro_unwinder_t *u, pyro_stacks_t *s)
{
    s->nthreads = s->nframes = 0;
    u->rounds++;
    if (!u->freeze)
        return sample_threads(u, s);
    int rc = pyro_freeze_stop(u->freeze, u->os_state);
    if (rc == PYRO_OK)
        rc = sample_threads(u, s);
    pyro_freeze_go(u->freeze);
    return rc;
}

void pyro_unwinder_freeze(pyro_unwinder_t *u, pyro_freeze_t *f) { u->freeze = f; }

static int sample_threads(pyro_unwinder_t *u, pyro_stacks_t *s)
{
    const pyro_layout_t *l = &u->proc.layout;
    rtsnap_t rs;
    int rc = round_read(u, &rs);
    if (rc)
        return rc == PYRO_EFORMAT ? PYRO_ENOTPY : rc;
    struct prefetch *pf = u->pf;
    uint64_t chain[PF_THREADS], chain_gil = 0; /* for the next round's prefetch */
    uint32_t nchain = 0;
    uint64_t interp = rs.interp;
    for (int ni = 0; interp && ni < MAX_INTERPRETERS; ni++) {
        int pre = ni == 0 && interp == pf->interp; /* last round's chain was read */
        isnap_t is;
        if (pre && pf->is_ok)
            is = pf->is;
        else if ((rc = interp_read(u, interp, &is)))
            return rc == PYRO_EFORMAT ? PYRO_OK : rc;
        if (ni == 0 && gil_per_interp(l))
            chain_gil = is.gil;
        int gil_known;
        uint64_t holder = gil_holder(
            u, &rs, &is, pre && pf->g_ok && is.gil == pf->gil ? &pf->g : NULL, &gil_known);
        uint64_t ts = is.threads;
        for (int nt = 0; ts && nt < MAX_THREADS; nt++) {
            if ((rc = pyro_grow((void **)&s->threads, &s->capthreads, s->nthreads,
                                sizeof *s->threads)))
                return rc;
            pyro_rthread_t *t = &s->threads[s->nthreads];
            memset(t, 0, sizeof *t);
            t->first = s->nframes;
            t->gil = gil_known ? holder && holder == ts : -1;
            tsnap_t snap;
            const tsnap_t *had = pre ? prefetched(pf, ts) : NULL;
            if (had)
                snap = *had;
            else if ((rc = ts_read(u, ts, &snap)))
                return rc == PYRO_EFORMAT ? PYRO_OK : rc;
            if (ni == 0 && nchain < PF_THREADS)
                chain[nchain++] = ts;
            const uint64_t ts_next = snap.next;
            t->ident = snap.ident;
            t->native_id = l->ts_native_thread_id >= 0 ? snap.native : cached_tid(u, ts, t->ident);
            /* The thread runs on while its stack is read. A second pass
             * checks that every caller stayed where it was (so each frame was
             * suspended in the next one throughout); if not, the stack is
             * read again, and after three tries cut back to the outer frames
             * that did not change (or, if none, marked torn). A thread cut
             * after every try for BUSY_AFTER rounds gets one try. */
            thr_t *known = thr_of(u, ts, 0);
            int max = known && known->misses >= BUSY_AFTER && u->rounds % BUSY_PROBE ? 1 : TRIES;
            /* a thread held still (pyro_unwinder_freeze) is read once, as is */
            int held = u->freeze && pyro_freeze_holds(u->freeze, t->native_id);
            if (held)
                max = 1;
            u->held = held;
            int first_ok = 0;
            int fresh = 1; /* read ahead for this walk */
            for (int tries = 0, quick = 0; tries < max; tries++) {
                t->rereads = (uint32_t)tries; /* quick retries are not counted */
                s->nframes = t->first;
                t->nframes = 0;
                t->truncated = 0;
                t->cut = 0;
                /* a try after the first reads where the thread is now */
                if (tries + quick > 0 && (rc = ts_read(u, ts, &snap)) && rc != PYRO_EFORMAT)
                    return rc;
                if (rc) {
                    t->truncated = 1;
                    break;
                }
                /* a quick retry keeps what was read ahead: all of it was
                 * still read before the second pass */
                rc = walk(u, ts, &snap, s, t, fresh);
                fresh = 1;
                if (rc)
                    return rc;
                uint32_t n = u->ntrail / 4;
                if (!t->truncated || n == MAX_DEPTH)
                    remember(u, ts);
                if (t->truncated && n < QUICK_DEPTH && quick < QUICK_TRIES && !held) {
                    /* the innermost frames were gone before they were read
                     * (a fast call returned): cheap to read again at once */
                    quick++;
                    tries--;
                    fresh = 0;
                    continue;
                }
                if (t->truncated && n < MAX_DEPTH) {
                    /* a frame that was popped while being read (its memory
                     * already reused): read the stack again; after the last
                     * try its frames lead to no root, so they are no call
                     * path (only a stack deeper than MAX_DEPTH is kept cut) */
                    if (tries < max - 1)
                        continue;
                    busy_miss(u, ts);
                    t->torn = 1;
                    break;
                }
                if (!n) /* (a stack cut at MAX_DEPTH is verified like a whole one) */
                    break;
                if (held) {
                    first_ok = 1;
                    break;
                }
                uint32_t same = verify(u, ts);
                if (same == n) {
                    first_ok = tries == 0;
                    break;
                }
                if (tries < max - 1)
                    continue;
                busy_miss(u, ts);
                /* keep the trusted outer frames: drop the pushed frames of
                 * the n - same innermost walked ones */
                uint32_t drop = 0;
                for (uint32_t k = 0; k < n - same; k++)
                    if (u->trail[4 * k + 3])
                        drop = (uint32_t)u->trail[4 * k + 3] - t->first;
                if (!same || drop >= t->nframes) {
                    t->torn = 1;
                    t->truncated = 1;
                    break;
                }
                memmove(s->frames + t->first, s->frames + t->first + drop,
                        (size_t)(t->nframes - drop) * sizeof *s->frames);
                t->nframes -= drop;
                s->nframes -= drop;
                t->cut = drop;
            }
            if (first_ok && (known = thr_of(u, ts, 0)))
                known->misses = 0;
            if (!u->os_state)
                t->running = -1;
            else if (held) /* the kernel says "traced" now: ask what it said before */
                t->running = pyro_freeze_was_running(u->freeze, t->native_id);
            else
                t->running = os_running(u->proc.pid, t->native_id);

            s->nthreads++;
            if (ts_next == ts)
                break;
            ts = ts_next;
        }
        if (is.next == interp)
            break;
        interp = is.next;
    }
    pf->interp = rs.interp;
    pf->gil = chain_gil;
    memcpy(pf->ts, chain, nchain * sizeof *chain);
    pf->nts = nchain;
    return PYRO_OK;
}
