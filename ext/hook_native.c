/* SPDX-License-Identifier: MIT */
/* hook_native: GOT patching of the C allocation functions (see the header). */
#include "hook_native.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hook_alloc.h"

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
#define PYRO_NATIVE 1
#include <elf.h>
#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#if defined(__x86_64__)
#define R_JUMP R_X86_64_JUMP_SLOT
#define R_GLOB R_X86_64_GLOB_DAT
#else
#define R_JUMP R_AARCH64_JUMP_SLOT
#define R_GLOB R_AARCH64_GLOB_DAT
#endif
#else
#define PYRO_NATIVE 0
#endif

#if PYRO_NATIVE

/* ==== the hooks: forward to the C library (through this extension's own
 * PLT, never patched), report around it ==== */

static void *h_malloc(size_t n)
{
    if (!pyro_memhooks_native_begin())
        return malloc(n);
    void *p = malloc(n);
    pyro_memhooks_native_end(p, n);
    return p;
}

static void *h_calloc(size_t k, size_t n)
{
    if (!pyro_memhooks_native_begin())
        return calloc(k, n);
    void *p = calloc(k, n);
    pyro_memhooks_native_end(p, p ? k * n : 0); /* no overflow when it succeeded */
    return p;
}

static void *h_realloc(void *old, size_t n)
{
    if (!pyro_memhooks_native_begin())
        return realloc(old, n);
    /* the old block leaves before the call (its address may be reused by
     * another thread once it returns); if it fails the old block stays,
     * untracked: never counted twice */
    pyro_memhooks_native_free(old);
    void *p = realloc(old, n);
    pyro_memhooks_native_end(p, n);
    return p;
}

static void h_free(void *p)
{
    if (pyro_memhooks_native_begin()) {
        pyro_memhooks_native_free(p);
        pyro_memhooks_native_end(NULL, 0);
    }
    free(p);
}

static int h_posix_memalign(void **out, size_t align, size_t n)
{
    if (!pyro_memhooks_native_begin())
        return posix_memalign(out, align, n);
    int rc = posix_memalign(out, align, n);
    pyro_memhooks_native_end(rc == 0 ? *out : NULL, n);
    return rc;
}

static void *h_aligned_alloc(size_t align, size_t n)
{
    if (!pyro_memhooks_native_begin())
        return aligned_alloc(align, n);
    void *p = aligned_alloc(align, n);
    pyro_memhooks_native_end(p, n);
    return p;
}

static void *h_memalign(size_t align, size_t n)
{
    if (!pyro_memhooks_native_begin())
        return memalign(align, n);
    void *p = memalign(align, n);
    pyro_memhooks_native_end(p, n);
    return p;
}

static void *h_valloc(size_t n)
{
    if (!pyro_memhooks_native_begin())
        return valloc(n);
    void *p = valloc(n);
    pyro_memhooks_native_end(p, n);
    return p;
}

static void *h_pvalloc(size_t n)
{
    if (!pyro_memhooks_native_begin())
        return pvalloc(n);
    void *p = pvalloc(n);
    pyro_memhooks_native_end(p, n);
    return p;
}

static void *h_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (!pyro_memhooks_native_begin())
        return mmap(addr, len, prot, flags, fd, off);
    if (flags & MAP_FIXED)
        pyro_memhooks_native_free(addr); /* replaces what was mapped there */
    void *p = mmap(addr, len, prot, flags, fd, off);
    pyro_memhooks_native_end(p == MAP_FAILED ? NULL : p, len);
    return p;
}

static int h_munmap(void *addr, size_t len)
{
    if (pyro_memhooks_native_begin()) {
        pyro_memhooks_native_free(addr);
        pyro_memhooks_native_end(NULL, 0);
    }
    return munmap(addr, len);
}

static int rescan(void);

static void *h_dlopen(const char *file, int flags)
{
    void *h = dlopen(file, flags);
    if (h && pyro_memhooks_running())
        rescan();
    return h;
}

/* The functions patched: name and hook. The last one (dlopen) is patched
 * in the interpreter's own objects too. */
typedef struct target {
    const char *name;
    void *hook;
} target_t;

static const target_t targets[] = {
    {"malloc", (void *)h_malloc},
    {"calloc", (void *)h_calloc},
    {"realloc", (void *)h_realloc},
    {"free", (void *)h_free},
    {"posix_memalign", (void *)h_posix_memalign},
    {"aligned_alloc", (void *)h_aligned_alloc},
    {"memalign", (void *)h_memalign},
    {"valloc", (void *)h_valloc},
    {"pvalloc", (void *)h_pvalloc},
    {"mmap", (void *)h_mmap},
    {"mmap64", (void *)h_mmap},
    {"munmap", (void *)h_munmap},
    {"dlopen", (void *)h_dlopen},
};
#define NTARGETS (sizeof targets / sizeof targets[0])
#define DLOPEN_TARGET (NTARGETS - 1)

/* ==== what was patched ==== */

typedef struct object {
    uintptr_t base;     /* dlpi_addr */
    const void *phdr;   /* dlpi_phdr: with base, the object's identity */
    uintptr_t relro_lo; /* the pages the loader made read-only (lo == hi: none) */
    uintptr_t relro_hi;
    int gone;   /* not loaded any more (never touched again) */
    int loaded; /* scratch: seen by the current walk */
} object_t;

typedef struct slot {
    void **addr;
    void *orig;
    void *hook;
    size_t obj;
} slot_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int active;
static object_t *objs;
static size_t nobjs, capobjs;
static slot_t *slots;
static size_t nslots, capslots;
static uintptr_t own_base;
static uint64_t n_patched, n_skipped;
static size_t pagesize;

static int push_obj(const object_t *o)
{
    if (nobjs == capobjs) {
        size_t cap = capobjs ? capobjs * 2 : 64;
        object_t *b = realloc(objs, cap * sizeof *b);
        if (!b)
            return -1;
        objs = b;
        capobjs = cap;
    }
    objs[nobjs++] = *o;
    return 0;
}

static int push_slot(const slot_t *s)
{
    if (nslots == capslots) {
        size_t cap = capslots ? capslots * 2 : 256;
        slot_t *b = realloc(slots, cap * sizeof *b);
        if (!b)
            return -1;
        slots = b;
        capslots = cap;
    }
    slots[nslots++] = *s;
    return 0;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* What to patch in an object: a mask of these. */
enum { PATCH_ALLOC = 1, PATCH_DLOPEN = 2 };

/* The interpreter's own objects: dlopen only (its imports name a path: no
 * search, so the caller does not matter); the C library, the loader, the
 * vDSO and ours: nothing; others: everything. */
static int policy(const struct dl_phdr_info *info)
{
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    const char *b = base_name(name);
    if (info->dlpi_addr == own_base)
        return 0;
    if (!*name || starts(b, "libpython")) /* the executable, libpython */
        return PATCH_DLOPEN;
    if (starts(b, "libc.so") || starts(b, "libc-") || starts(b, "ld-linux") ||
        starts(b, "ld64.so") || starts(b, "ld-musl") || starts(b, "libc.musl") ||
        starts(b, "linux-vdso") || starts(b, "linux-gate") || starts(b, "libdl.so"))
        return 0;
    return PATCH_ALLOC | PATCH_DLOPEN;
}

/* The dynamic section's address field (the loader has made most absolute;
 * some loaders, and the vDSO, leave them relative). */
static uintptr_t dyn_ptr(uintptr_t base, ElfW(Addr) v)
{
    return (uintptr_t)v < base ? base + (uintptr_t)v : (uintptr_t)v;
}

/* Point every slot of `rel` (n entries) naming a target at its hook. */
static void patch_relocs(object_t *o, size_t oi, int mask, const ElfW(Rela) * rel, size_t n,
                         const ElfW(Sym) * symtab, const char *strtab, int *relro_open)
{
    for (size_t i = 0; i < n; i++) {
        unsigned type = (unsigned)ELF64_R_TYPE(rel[i].r_info);
        if (type != R_JUMP && type != R_GLOB)
            continue;
        size_t si = ELF64_R_SYM(rel[i].r_info);
        if (!si)
            continue;
        const ElfW(Sym) *sym = &symtab[si];
        if (sym->st_shndx != SHN_UNDEF) /* the object defines it: an allocator itself */
            continue;
        const char *name = strtab + sym->st_name;
        size_t t = 0;
        for (; t < NTARGETS; t++)
            if (strcmp(name, targets[t].name) == 0)
                break;
        if (t == NTARGETS || !(mask & (t == DLOPEN_TARGET ? PATCH_DLOPEN : PATCH_ALLOC)))
            continue;
        void **addr = (void **)(o->base + (uintptr_t)rel[i].r_offset);
        uintptr_t a = (uintptr_t)addr;
        if (a >= o->relro_lo && a < o->relro_hi && !*relro_open) {
            if (mprotect((void *)o->relro_lo, o->relro_hi - o->relro_lo, PROT_READ | PROT_WRITE) !=
                0) {
                n_skipped++;
                return;
            }
            *relro_open = 1;
        }
        void *cur = __atomic_load_n(addr, __ATOMIC_RELAXED);
        if (cur == targets[t].hook)
            continue;
        slot_t s = {addr, cur, targets[t].hook, oi};
        if (push_slot(&s) < 0)
            return;
        __atomic_store_n(addr, targets[t].hook, __ATOMIC_RELAXED);
        n_patched++;
    }
}

/* Patch one object (new to us). */
static void patch_object(struct dl_phdr_info *info, int mask)
{
    object_t o = {(uintptr_t)info->dlpi_addr, info->dlpi_phdr, 0, 0, 0, 1};
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(o.base + ph->p_vaddr);
        else if (ph->p_type == PT_GNU_RELRO) {
            /* as the loader rounds it: whole pages, the last partial one left writable */
            o.relro_lo = (o.base + ph->p_vaddr) & ~(pagesize - 1);
            o.relro_hi = (o.base + ph->p_vaddr + ph->p_memsz) & ~(pagesize - 1);
            if (o.relro_hi < o.relro_lo)
                o.relro_hi = o.relro_lo;
        }
    }
    if (push_obj(&o) < 0)
        return;
    size_t oi = nobjs - 1;
    if (!dyn || !mask)
        return;
    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    const ElfW(Rela) *jmprel = NULL, *rela = NULL;
    size_t jmpsz = 0, relasz = 0;
    int pltrel = DT_RELA, has_path = 0;
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_SYMTAB:
            symtab = (const ElfW(Sym) *)dyn_ptr(o.base, d->d_un.d_ptr);
            break;
        case DT_STRTAB:
            strtab = (const char *)dyn_ptr(o.base, d->d_un.d_ptr);
            break;
        case DT_JMPREL:
            jmprel = (const ElfW(Rela) *)dyn_ptr(o.base, d->d_un.d_ptr);
            break;
        case DT_PLTRELSZ:
            jmpsz = d->d_un.d_val;
            break;
        case DT_PLTREL:
            pltrel = (int)d->d_un.d_val;
            break;
        case DT_RELA:
            rela = (const ElfW(Rela) *)dyn_ptr(o.base, d->d_un.d_ptr);
            break;
        case DT_RELASZ:
            relasz = d->d_un.d_val;
            break;
        case DT_RPATH:
        case DT_RUNPATH:
            has_path = 1;
            break;
        default:
            break;
        }
    }
    if (!symtab || !strtab)
        return;
    /* an object with its own search path (RPATH, RUNPATH) keeps its dlopen:
     * a name without a '/' would be searched in ours (none) instead */
    if (has_path && (mask & PATCH_ALLOC))
        mask &= ~PATCH_DLOPEN;
    int relro_open = 0;
    int w = mask;
    if (jmprel && pltrel == DT_RELA)
        patch_relocs(&objs[oi], oi, w, jmprel, jmpsz / sizeof(ElfW(Rela)), symtab, strtab,
                     &relro_open);
    if (rela)
        patch_relocs(&objs[oi], oi, w, rela, relasz / sizeof(ElfW(Rela)), symtab, strtab,
                     &relro_open);
    if (relro_open)
        mprotect((void *)objs[oi].relro_lo, objs[oi].relro_hi - objs[oi].relro_lo, PROT_READ);
}

static object_t *find(const struct dl_phdr_info *info)
{
    for (size_t i = 0; i < nobjs; i++)
        if (!objs[i].gone && objs[i].base == (uintptr_t)info->dlpi_addr &&
            objs[i].phdr == (const void *)info->dlpi_phdr)
            return &objs[i];
    return NULL;
}

/* A new object seen by a walk, and whether the loader has finished it. */
typedef struct candidate {
    uintptr_t base;
    const void *phdr;
    char *name; /* a copy; NULL: the executable */
    int ready;
} candidate_t;

typedef struct walk_ctx {
    candidate_t *c; /* collect: grown here; patch: the ones to patch */
    size_t n, cap;
    int patch;   /* 0: collect the new objects; 1: patch the ready ones */
    int pending; /* a new object was left for later (not finished yet) */
} walk_ctx_t;

static candidate_t *candidate_of(walk_ctx_t *w, const struct dl_phdr_info *info)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->c[i].base == (uintptr_t)info->dlpi_addr && w->c[i].phdr == info->dlpi_phdr)
            return &w->c[i];
    return NULL;
}

/* dl_iterate_phdr's callback: mark what is known and loaded; collect the
 * new objects, or patch the new ones known to be finished. */
static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    walk_ctx_t *w = arg;
    object_t *o = find(info);
    if (o) {
        o->loaded = 1;
        return 0;
    }
    if (!w)
        return 0;
    int mask = policy(info);
    if (!w->patch) {
        if (!mask)
            return 0;
        if (w->n == w->cap) {
            size_t cap = w->cap ? w->cap * 2 : 32;
            candidate_t *b = realloc(w->c, cap * sizeof *b);
            if (!b)
                return 0;
            w->c = b;
            w->cap = cap;
        }
        const char *name = info->dlpi_name && *info->dlpi_name ? info->dlpi_name : NULL;
        candidate_t c = {(uintptr_t)info->dlpi_addr, info->dlpi_phdr, name ? strdup(name) : NULL,
                         0};
        if (name && !c.name)
            return 0;
        w->c[w->n++] = c;
        return 0;
    }
    if (!mask) { /* nothing to patch: known from now on */
        object_t none = {(uintptr_t)info->dlpi_addr, info->dlpi_phdr, 0, 0, 0, 1};
        push_obj(&none);
        return 0;
    }
    candidate_t *c = candidate_of(w, info);
    if (!c || !c->ready) {
        w->pending = 1; /* the loader may be relocating it: its RELRO pages are not ours to touch */
        return 0;
    }
    patch_object(info, mask);
    return 0;
}

/* Walk the loaded objects: mark them, run `w` (NULL: only mark) and forget
 * those unloaded since. With `lock` held. */
static void walk(walk_ctx_t *w)
{
    for (size_t i = 0; i < nobjs; i++)
        objs[i].loaded = 0;
    size_t before = nobjs;
    dl_iterate_phdr(visit, w);
    for (size_t i = 0; i < before; i++)
        if (!objs[i].loaded)
            objs[i].gone = 1;
}

/* Patch the objects loaded since the last walk that the loader has
 * finished (relocated, RELRO protected, initialised): a dlopen in another
 * thread may be relocating one now. Finished: a dlopen(RTLD_NOLOAD) of it
 * returns it, and waits for the loader's lock to do so. Never called with
 * `lock` held. Non-zero if some were left for a later call. */
static int rescan(void)
{
    walk_ctx_t w = {NULL, 0, 0, 0, 0};
    pthread_mutex_lock(&lock);
    int on = active;
    if (on)
        walk(&w);
    pthread_mutex_unlock(&lock);
    if (!on)
        return 0;
    for (size_t i = 0; i < w.n; i++) {
        void *h = dlopen(w.c[i].name, RTLD_LAZY | RTLD_NOLOAD);
        if (h) {
            w.c[i].ready = 1;
            dlclose(h);
        }
    }
    w.patch = 1;
    pthread_mutex_lock(&lock);
    if (active)
        walk(&w);
    pthread_mutex_unlock(&lock);
    for (size_t i = 0; i < w.n; i++)
        free(w.c[i].name);
    free(w.c);
    return w.pending;
}

/* dl_iterate_phdr's callback for poll: the count of objects loaded so far. */
static int count_adds(struct dl_phdr_info *info, size_t size, void *out)
{
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs)
        *(unsigned long long *)out = info->dlpi_adds + ((unsigned long long)info->dlpi_subs << 32);
    return 1; /* the first object tells */
}

static _Atomic unsigned long long seen_adds;

void pyro_native_poll(void)
{
    unsigned long long adds = 0;
    dl_iterate_phdr(count_adds, &adds);
    if (!adds || adds == atomic_load_explicit(&seen_adds, memory_order_relaxed))
        return;
    if (!rescan()) /* else look again next time */
        atomic_store_explicit(&seen_adds, adds, memory_order_relaxed);
}

static void restore_all(void)
{
    walk(NULL);
    for (size_t oi = 0; oi < nobjs; oi++) {
        object_t *o = &objs[oi];
        if (o->gone)
            continue;
        int open = 0;
        for (size_t i = 0; i < nslots; i++) {
            slot_t *s = &slots[i];
            if (s->obj != oi || !s->addr)
                continue;
            uintptr_t a = (uintptr_t)s->addr;
            if (a >= o->relro_lo && a < o->relro_hi && !open) {
                if (mprotect((void *)o->relro_lo, o->relro_hi - o->relro_lo,
                             PROT_READ | PROT_WRITE) != 0)
                    break;
                open = 1;
            }
            /* someone patched it after us: theirs stays */
            if (__atomic_load_n(s->addr, __ATOMIC_RELAXED) == s->hook)
                __atomic_store_n(s->addr, s->orig, __ATOMIC_RELAXED);
        }
        if (open)
            mprotect((void *)o->relro_lo, o->relro_hi - o->relro_lo, PROT_READ);
    }
    free(objs);
    free(slots);
    objs = NULL;
    slots = NULL;
    nobjs = capobjs = nslots = capslots = 0;
}

static void after_fork_child(void)
{
    /* a thread of the parent may have held it; the child's hooks pass through */
    pthread_mutex_init(&lock, NULL);
}

int pyro_native_supported(void) { return 1; }

int pyro_native_start(void)
{
    static int atfork;
    if (!atfork) {
        if (pthread_atfork(NULL, NULL, after_fork_child) != 0) {
            PyErr_NoMemory();
            return -1;
        }
        atfork = 1;
    }
    Dl_info di;
    if (!dladdr((void *)pyro_native_start, &di)) {
        PyErr_SetString(PyExc_RuntimeError, "--native: cannot find pyrometer's own library");
        return -1;
    }
    long ps = sysconf(_SC_PAGESIZE);
    pagesize = ps > 0 ? (size_t)ps : 4096;
    own_base = 0;
    /* dli_fbase is where the object is mapped; dlpi_addr its load bias: the
     * same for a shared object whose first segment is at 0 (all of ours) */
    own_base = (uintptr_t)di.dli_fbase;
    unsigned long long adds = 0;
    dl_iterate_phdr(count_adds, &adds);
    atomic_store_explicit(&seen_adds, adds, memory_order_relaxed);
    pthread_mutex_lock(&lock);
    n_patched = n_skipped = 0;
    active = 1;
    pthread_mutex_unlock(&lock);
    rescan();
    return 0;
}

void pyro_native_stop(void)
{
    pthread_mutex_lock(&lock);
    if (active) {
        active = 0;
        restore_all();
    }
    pthread_mutex_unlock(&lock);
}

#else /* not supported */

int pyro_native_supported(void) { return 0; }

int pyro_native_start(void)
{
    PyErr_SetString(PyExc_RuntimeError,
                    "--native is not supported on this platform (Linux on x86-64 or AArch64)");
    return -1;
}

void pyro_native_stop(void) {}

void pyro_native_poll(void) {}

static uint64_t n_patched, n_skipped;

#endif

uint64_t pyro_native_patched(void) { return n_patched; }

uint64_t pyro_native_skipped(void) { return n_skipped; }
