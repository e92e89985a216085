/* SPDX-License-Identifier: MIT */
/* memtrack: interned stacks with per-stack sums, a live table of recorded
 * blocks keyed by address, lazy per-stack snapshots at the heap's peak.
 *
 * Layout choices (exact mode calls alloc on every allocation and freed on
 * every free of a recorded block, so they matter):
 *   - a live entry packs the block's size and stack id + 1 in one word
 *     (never 0). Its weight (estimated bytes and count) is a pure function
 *     of its size, computed again when it is freed, so the sums a free
 *     subtracts are exactly the ones its allocation added;
 *   - exact mode keeps the entries of small blocks (at most CHUNK_MAX_SIZE
 *     bytes, 16-byte-aligned: pymalloc's) in chunks: one chunk per aligned
 *     1 KiB of addresses that holds a live block, 64 words, one per 16-byte
 *     slot of the KiB, the address implied by the place. A pool's blocks,
 *     which the allocator hands out and takes back in address order, have
 *     their entries side by side (2 to 8 per cache line), so that a churn
 *     of small objects costs far fewer cache misses than in a hash table of
 *     megabytes whose probes land a line apart (bench/memory.sh, churn,
 *     Python 3.9: exact mode's overhead on the CPU time of the run fell
 *     from about 0.8x to 0.5x). A directory (open addressing, key =
 *     address >> 10, backward-shift deletion) finds a KiB's chunk, behind a
 *     direct-mapped cache of the 64 chunks looked up last; a chunk left
 *     empty goes back to a free list. A chunk also counts the live table's
 *     entries of aligned blocks in its KiB, so that an allocation or a free
 *     of a small block asks the live table only when there is one;
 *   - every other block (sampled mode; exact mode's blocks over
 *     CHUNK_MAX_SIZE, which would leave a chunk nearly empty, and blocks not
 *     16-byte-aligned, as an allocator installed by the program may give)
 *     has a 16-byte entry (address, packed word) in the live table, open
 *     addressing with backward-shift deletion (no tombstones). An address
 *     has one entry at most in the two: an allocation at an address whose
 *     free was missed finds the old entry in either and counts it freed;
 *   - the live table's filter has one byte per bucket, counting its
 *     entries. Sampling, buckets are of addresses, 32 per live slot (fewer
 *     once the table is large, see filter_ratio_for), and the hooks read a
 *     copy of one bit per bucket (set while its count is not 0) on every
 *     free (memtrack_hot.h: most frees are of blocks never recorded, one bit
 *     read, a false "maybe" for at most 1 free in 64 in a table up to 64 Ki
 *     slots; a bit per bucket keeps what every free reads an eighth the
 *     size, 8 KiB per thousand live records); exact, the hooks are given one
 *     bucket that always says "maybe" (nearly every free is of a recorded
 *     block), and the filter's buckets are of KiB, 8 per slot: a new chunk
 *     reads it to know whether its KiB has entries to count;
 *   - a block's home slot in the live table keeps its neighbours near
 *     (blocks of one KiB of addresses share a window of slots, see home()),
 *     so that probes that follow the allocator from block to neighbouring
 *     block hit cache lines already loaded;
 *   - each thread remembers the last stacks it recorded in a small cache
 *     keyed by the innermost frame: an allocation made from the same stack
 *     as one shortly before compares frames and skips hashing and the table;
 *   - the clock is read at a new peak only when the heap has moved by more
 *     than max(peak / 1024, 64 KiB) since the last reading (see PEAK_SLACK).
 */
#include "record/memtrack.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "model/alloc.h"
#include "model/clock.h"
#include "model/error.h"
#include "model/map.h"
#include "record/session.h"

/* ==== data ==== */

/* A frame is a 64-bit code, a 32-bit offset and 4 bytes of padding, at
 * offsets 0 and 8 (what the vector compare of stacks relies on). */
#define PYRO_MEMFRAME_IS_16                                                                        \
    (sizeof(pyro_memframe_t) == 16 && offsetof(pyro_memframe_t, offset) == 8)

/* Estimated counts are kept in fixed point (1/65536 of an allocation), so
 * that sums of fractional counts neither drift nor round per block; bytes are
 * kept in whole bytes (a sampled block's weight is rounded once, to the
 * nearest byte: at least `interval` bytes, so under 1/8192 of it). */
#define COUNT_ONE 65536
#define COUNT_SHIFT 16

/* A live entry packs its stack id + 1 (low 24 bits: never 0, so a packed
 * word is never 0) and its size (high 40 bits: bytes below 2^39, else 4 KiB
 * units above bit 39). */
#define STACK_BITS 24
#define MAX_STACKS ((1u << STACK_BITS) - 1)
#define SIZE_DIRECT (1ull << 39)

#define CACHE_SET_BITS 4 /* per thread, 16 sets of 2 stacks recorded last, by innermost frame */
#define LIVE_MIN 1024    /* first live table: slots */
#define LIVE_LONG_RUN 64 /* an insertion that probes more slots grows the table (if 1/8 full) */
#define STACKS_MIN 256   /* first stack table: slots */
#define PEAK_SLACK (64 << 10) /* the least heap movement that reads the clock again */

typedef struct live {
    uint64_t addr; /* 0 = empty */
    uint64_t packed;
} live_t;

/* The chunked live table (exact mode): a chunk holds the entries of one
 * aligned 1 KiB of addresses, one packed word per 16-byte-aligned block in
 * it (0 = none), found through a directory keyed by addr >> CHUNK_SHIFT. */
#define CHUNK_SHIFT 10
#define CHUNK_SLOTS (1u << (CHUNK_SHIFT - 4))
#define CDIR_MIN 256       /* first directory: slots */
#define CCACHE 64          /* chunks looked up last, direct-mapped by key */
#define CHUNK_MAX_SIZE 128 /* larger blocks go to the live table */

/* A chunk's counts: its entries, and the live table's entries of blocks
 * in its KiB (16-byte-aligned, over CHUNK_MAX_SIZE: a small block made at
 * one of their addresses, their free missed, has to find them there). */
typedef struct cmeta {
    uint8_t count, ovf;
} cmeta_t;

typedef struct cdir {
    uint64_t key; /* addr >> CHUNK_SHIFT, 0 = empty */
    uint64_t chunk;
} cdir_t;

/* One distinct (thread, stack), 64 bytes. The first 48 are what every event
 * on the stack touches (snap_allocs too at its first event after a new peak). */
typedef struct mstack {
    int64_t alloc_bytes, freed_bytes; /* live = alloc - freed */
    int64_t alloc_cnt, freed_cnt;     /* fixed point, COUNT_ONE per allocation */
    int64_t snap;                     /* live bytes at the peak of generation snap_gen */
    uint64_t snap_gen;
    uint32_t first;       /* its frames: pool[first .. first + nframes) */
    uint32_t thread;      /* index in threads */
    uint16_t nframes;     /* <= PYRO_MEMTRACK_MAX_DEPTH */
    uint16_t truncated;   /* the stack had more frames than it keeps */
    uint32_t snap_allocs; /* allocations live at the peak of snap_gen (rounded; saturates) */
} mstack_t;
_Static_assert(sizeof(mstack_t) == 64, "a stack is one cache line");

typedef struct mthread {
    uint64_t ident, native_id;
    uint32_t cache[2 << CACHE_SET_BITS]; /* stack id + 1, 0 = empty */
} mthread_t;

struct pyro_memtrack {
    pyro_memtrack_head_t head; /* first: the hot path reads it */
    /* live table and its filter */
    live_t *live;
    uint64_t live_mask;  /* slots - 1 (0 before the first record) */
    unsigned live_shift; /* 64 - log2(slots) */
    uint64_t nlive;
    uint8_t *filter; /* owned: per bucket, the live table's entries in it (saturating) */
    uint8_t *bits;   /* owned, sampling: per bucket, one bit: its count is not 0 (the hooks') */
    uint32_t filter_shift; /* 64 - log2(buckets) */
    uint32_t filter_ratio; /* buckets per live slot (filter_ratio_for) */
    /* chunked live table (exact mode): 16-byte-aligned blocks */
    uint64_t *chunks; /* capchunks chunks of CHUNK_SLOTS entries */
    cmeta_t *cmeta;   /* per chunk, its counts (0: on the free list or unused) */
    uint32_t nchunks; /* chunks ever handed out (the rest of capchunks never used) */
    uint32_t capchunks;
    uint32_t chunk_free;   /* free list of chunks: index + 1, 0 = none */
    uint32_t nchunks_live; /* chunks in the directory */
    cdir_t *cdir;          /* directory: key -> chunk, key 0 = empty */
    uint64_t cdir_mask;    /* slots - 1 (0 before the first chunk) */
    unsigned cdir_shift;   /* 64 - log2(slots) */
    cdir_t ccache[CCACHE]; /* the chunks looked up last, by key % CCACHE */
    /* stacks */
    mstack_t *stacks;
    uint32_t nstacks, capstacks;
    uint64_t *stab; /* (hash >> 32) << 32 | (stack id + 1), 0 = empty */
    uint32_t stab_mask;
    pyro_memframe_t *pool;
    uint32_t npool, cappool;
    /* threads */
    mthread_t *threads;
    uint32_t nthreads, capthreads;
    pyro_map_t thread_index; /* ident -> index */
    /* totals */
    int64_t heap, peak, peak_ns;
    int64_t peak_cnt;           /* live allocations (fixed point) at the peak */
    uint64_t gen;               /* generation of the peak: bumped at every new peak */
    int64_t timed_heap, trough; /* the heap when the clock was last read, its low since */
    int64_t alloc_bytes, alloc_cnt, freed_cnt;
    uint64_t dropped;
    uint64_t own;
    /* the weight of the size weighed last (sampled mode) */
    uint64_t wsize;
    int64_t wbytes, wcnt;
    /* options */
    uint64_t interval;
    double inv_interval;
    uint64_t seed;
    size_t max_bytes;
    int64_t start_ns;
};

/* ==== small helpers ==== */

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* The next exponential countdown of mean m->interval, in whole bytes, at
 * least 1: the ceiling of a continuous draw C, so that an allocation of s
 * bytes takes a fresh countdown to zero with probability P(C <= s) =
 * 1 - exp(-s / interval) exactly. */
static int64_t draw(const pyro_memtrack_t *m, pyro_memthread_t *t)
{
    uint64_t x = t->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    t->rng = x;
    uint64_t r = x * 0x2545F4914F6CDD1Dull;
    double u = ((double)(r >> 11) + 0.5) * 0x1p-53; /* in (0, 1) */
    double c = ceil(-log(u) * (double)m->interval);
    return c < 1 ? 1 : (int64_t)c;
}

static uint64_t size_encode(size_t size)
{
    uint64_t s = size;
    if (s < SIZE_DIRECT)
        return s;
    uint64_t units = (s >> 12) + ((s & 4095) != 0);
    if (units >= SIZE_DIRECT)
        units = SIZE_DIRECT - 1;
    return SIZE_DIRECT | units;
}

static uint64_t size_decode(uint64_t enc)
{
    return (enc & SIZE_DIRECT) ? (enc & (SIZE_DIRECT - 1)) << 12 : enc;
}

/* The estimated bytes and count (fixed point) a recorded block of `size`
 * bytes stands for: size and 1 when exact, else size / p and 1 / p with
 * p = 1 - exp(-size / interval), its chance to be recorded. A pure function
 * of size: its free subtracts exactly what its allocation added. */
static inline void weigh(pyro_memtrack_t *m, uint64_t size, int64_t *bytes, int64_t *cnt)
{
    if (m->head.exact) {
        *bytes = (int64_t)size;
        *cnt = COUNT_ONE;
        return;
    }
    if (size != m->wsize) {
        double x = (double)size * m->inv_interval;
        m->wsize = size;
        if (size == 0) { /* never drawn by the countdown: no estimate to make */
            m->wbytes = 0;
            m->wcnt = COUNT_ONE;
        } else if (x > 64) { /* p = 1 to double precision */
            m->wbytes = (int64_t)size;
            m->wcnt = COUNT_ONE;
        } else {
            double p = -expm1(-x);
            m->wbytes = (int64_t)llround((double)size / p);
            m->wcnt = (int64_t)llround((double)COUNT_ONE / p);
        }
    }
    *bytes = m->wbytes;
    *cnt = m->wcnt;
}

static inline int64_t count_round(int64_t fx) { return (fx + COUNT_ONE / 2) >> COUNT_SHIFT; }

/* The filter before the first record: 2 buckets, "certainly not"; and the
 * one of exact mode once it records: 2 buckets, always "maybe" (its frees
 * are nearly all of recorded blocks; a filter would cost a cache miss
 * each). A 32-bit word each, as the hooks read. */
static const uint32_t never = 0, always = UINT32_MAX;
#define NEVER ((const uint8_t *)&never)
#define ALWAYS ((const uint8_t *)&always)
const pyro_memtrack_head_t pyro_memtrack_idle_head = {.filter = NEVER, .filter_shift = 63};
const pyro_memtrack_head_t pyro_memtrack_any_head = {.filter = ALWAYS, .filter_shift = 63};

/* The bytes of bit filter for `buckets` buckets (sampling; none when exact). */
static inline uint64_t bits_bytes(const pyro_memtrack_t *m, uint64_t buckets)
{
    return m->head.exact ? 0 : (buckets + 7) / 8;
}

/* The live table's bytes per slot, its filter having `ratio` buckets per
 * slot: its entry, its filter's buckets (bytes and bits). */
static inline uint64_t filter_esize(const pyro_memtrack_t *m, uint32_t ratio)
{
    return sizeof(live_t) + ratio + bits_bytes(m, ratio);
}

/* The filter's buckets per slot for a live table of `nslots` slots.
 * Sampling, each bucket with a live entry in it is a false "maybe" for the
 * frees of addresses that fall in it, and each costs a look-up (about 150
 * instructions, against 12 for the free itself): 32 buckets per slot (the
 * table is at most half full, so at most 1 address in 64 is a false
 * "maybe") while the bits the hooks read take at most 256 KiB, then fewer,
 * down to 8, so that what every free reads stays in the L2 cache rather
 * than growing with the heap. Exact, the buckets are of KiB, 8 per slot. */
static uint32_t filter_ratio_for(const pyro_memtrack_t *m, uint64_t nslots)
{
    if (m->head.exact)
        return 8;
    uint64_t r = ((uint64_t)256 << 10) * 8 / nslots;
    return r >= 32 ? 32 : r >= 16 ? 16 : 8;
}

static uint64_t own_bytes(const pyro_memtrack_t *m)
{
    uint64_t live_slots = m->live ? m->live_mask + 1 : 0;
    uint64_t stab_slots = m->stab ? (uint64_t)m->stab_mask + 1 : 0;
    uint64_t cdir_slots = m->cdir ? m->cdir_mask + 1 : 0;
    return sizeof *m + live_slots * filter_esize(m, m->filter_ratio) +
           (uint64_t)m->capchunks * (CHUNK_SLOTS * sizeof(uint64_t) + sizeof(cmeta_t)) +
           cdir_slots * sizeof(cdir_t) + (uint64_t)m->capstacks * sizeof(mstack_t) +
           stab_slots * sizeof(uint64_t) + (uint64_t)m->cappool * sizeof(pyro_memframe_t) +
           (uint64_t)m->capthreads * sizeof(mthread_t) +
           (uint64_t)m->thread_index.nslots * (2 * sizeof(uint64_t) + sizeof(uint32_t));
}

/* Whether replacing `old` bytes of the recorder's memory by `new` keeps it
 * within max_bytes. */
static int fits(const pyro_memtrack_t *m, uint64_t old, uint64_t new)
{
    return m->max_bytes == 0 || m->own - old + new <= m->max_bytes;
}

/* ==== lifecycle ==== */

int pyro_memtrack_new(const pyro_memtrack_opts_t *o, pyro_memtrack_t **out)
{
    *out = NULL;
    if (!o || o->interval > (1ull << 40))
        return PYRO_EINVAL;
    pyro_memtrack_t *m = pyro_calloc(1, sizeof *m);
    if (!m)
        return PYRO_ENOMEM;
    /* no pyro_clock_init(): its calibration spins for 2 ms, and the recorder
     * reads only CLOCK_MONOTONIC, seldom (a new peak, the end) */
    uint32_t epoch = (uint32_t)pyro_session_gen();
    m->head.epoch = epoch ? epoch : 1;
    m->head.exact = o->interval == 0;
    m->head.filter = NEVER; /* 2 buckets, clear */
    m->head.filter_shift = 63;
    m->interval = o->interval;
    m->inv_interval = o->interval ? 1.0 / (double)o->interval : 0;
    m->seed = o->seed;
    if (!m->seed)
        m->seed =
            splitmix64((uint64_t)pyro_clock_realtime_ns() ^ ((uint64_t)pyro_clock_mono_ns() << 17));
    m->max_bytes = o->max_bytes;
    m->wsize = UINT64_MAX;
    pyro_map_init(&m->thread_index);
    m->start_ns = pyro_clock_mono_ns();
    m->own = own_bytes(m);
    *out = m;
    return PYRO_OK;
}

void pyro_memtrack_free(pyro_memtrack_t *m)
{
    if (!m)
        return;
    pyro_pages_free(m->live);
    pyro_pages_free(m->filter);
    pyro_pages_free(m->bits);
    pyro_pages_free(m->chunks);
    pyro_pages_free(m->cmeta);
    pyro_pages_free(m->cdir);
    pyro_pages_free(m->stacks);
    pyro_pages_free(m->stab);
    pyro_pages_free(m->pool);
    pyro_free(m->threads);
    pyro_map_free(&m->thread_index);
    pyro_free(m);
}

/* ==== threads ==== */

int pyro_memtrack_thread(pyro_memtrack_t *m, pyro_memthread_t *t, uint64_t ident,
                         uint64_t native_id)
{
    int rc = PYRO_OK;
    uint32_t idx;
    t->epoch = m->head.epoch;
    t->thread = PYRO_NONE;
    if (!pyro_map_get(&m->thread_index, ident, 0, &idx)) {
        idx = m->nthreads;
        if ((rc = pyro_grow((void **)&m->threads, &m->capthreads, m->nthreads,
                            sizeof *m->threads)) ||
            (rc = pyro_map_put(&m->thread_index, ident, 0, idx))) {
            rc = PYRO_ENOMEM;
            goto cleanup;
        }
        m->threads[idx] = (mthread_t){.ident = ident, .native_id = native_id};
        m->nthreads++;
        m->own = own_bytes(m);
    }
    t->thread = idx;
cleanup:
    /* a thread that could not be registered still counts down (its records
       are dropped and counted), so that it does not ask again every time */
    t->rng = splitmix64(m->seed + (t->thread == PYRO_NONE ? m->nthreads : t->thread));
    if (!t->rng)
        t->rng = 1;
    t->countdown = m->head.exact ? 0 : draw(m, t);
    return rc;
}

/* ==== stacks ==== */

/* The frames' products are independent of each other (the multiplies
 * overlap); only an add and a rotate chain them, in order. */
static inline uint64_t stack_hash(uint32_t thread, const pyro_memframe_t *f, uint32_t n,
                                  int truncated)
{
    uint64_t h = ((uint64_t)thread << 32 | n) ^ ((uint64_t)truncated << 63);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t x =
            (f[i].code ^ (uint64_t)f[i].offset << 40 ^ f[i].offset) * 0x9E3779B97F4A7C15ull;
        h = ((h << 27) | (h >> 37)) + x;
    }
    return pyro_mix64(h);
}

static inline int stack_equal(const pyro_memtrack_t *m, const mstack_t *s, const pyro_memframe_t *f,
                              uint32_t n, int truncated)
{
    if (s->nframes != n || s->truncated != truncated)
        return 0;
    const pyro_memframe_t *g = m->pool + s->first;
    /* stacks that differ most often differ in their innermost frame; past
       it, one branch at the end (such a stack is most often equal) */
    if (n && (g[0].code != f[0].code || g[0].offset != f[0].offset))
        return 0;
#if defined(__SSE2__)
    if (PYRO_MEMFRAME_IS_16) {
        /* a frame per 16-byte load, its padding (indeterminate in the
           caller's frames) masked off after the loop */
        __m128i diff = _mm_setzero_si128();
        for (uint32_t i = 1; i < n; i++)
            diff = _mm_or_si128(
                diff, _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)&g[i]),
                                    _mm_loadu_si128((const __m128i *)(const void *)&f[i])));
        /* code (bytes 0-7) and offset (8-11), not the padding */
        diff = _mm_and_si128(diff, _mm_set_epi32(0, -1, -1, -1));
        return _mm_movemask_epi8(_mm_cmpeq_epi8(diff, _mm_setzero_si128())) == 0xFFFF;
    }
#endif
    uint64_t diff = 0;
    for (uint32_t i = 1; i < n; i++)
        diff |= (g[i].code ^ f[i].code) | (g[i].offset ^ f[i].offset);
    return diff == 0;
}

/* Double the stack table (or make the first). 0 or -1. */
static int stab_grow(pyro_memtrack_t *m)
{
    uint64_t slots = m->stab ? (uint64_t)m->stab_mask + 1 : 0;
    uint64_t nslots = slots ? slots * 2 : STACKS_MIN;
    if (nslots > (1ull << 31) || !fits(m, slots * sizeof(uint64_t), nslots * sizeof(uint64_t)))
        return -1;
    uint64_t *t = pyro_pages_alloc(nslots * sizeof *t);
    if (!t)
        return -1;
    for (uint64_t i = 0; i < slots; i++) {
        uint64_t e = m->stab[i];
        if (!e)
            continue;
        const mstack_t *s = &m->stacks[(uint32_t)e - 1];
        uint64_t h = stack_hash(s->thread, m->pool + s->first, s->nframes, s->truncated);
        uint64_t j = h & (nslots - 1);
        while (t[j])
            j = (j + 1) & (nslots - 1);
        t[j] = e;
    }
    pyro_pages_free(m->stab);
    m->stab = t;
    m->stab_mask = (uint32_t)(nslots - 1);
    m->own = own_bytes(m);
    return 0;
}

/* Grow a doubling array of pages (pyro_pages_alloc) to hold n elements,
 * within max_bytes. 0 or -1. */
static int reserve(pyro_memtrack_t *m, void **arr, uint32_t *cap, uint32_t n, size_t size)
{
    if (n <= *cap)
        return 0;
    uint64_t ncap = *cap ? *cap : 64;
    while (ncap < n)
        ncap *= 2;
    if (ncap >= (1ull << 31) || !fits(m, (uint64_t)*cap * size, ncap * size))
        return -1;
    void *a = pyro_pages_realloc(*arr, (size_t)ncap * size);
    if (!a)
        return -1;
    *arr = a;
    *cap = (uint32_t)ncap;
    m->own = own_bytes(m);
    return 0;
}

/* The id of stack (thread, f[0..n)), added if new; PYRO_NONE when it cannot
 * be added. */
static PYRO_SLOW uint32_t stack_find_slow(pyro_memtrack_t *m, uint32_t thread,
                                          const pyro_memframe_t *f, uint32_t n, int truncated)
{
    if (!m->stab && stab_grow(m))
        return PYRO_NONE;
    uint64_t h = stack_hash(thread, f, n, truncated);
    uint64_t tag = h & 0xFFFFFFFF00000000ull;
    uint32_t i = (uint32_t)h & m->stab_mask;
    for (uint64_t e; (e = m->stab[i]) != 0; i = (i + 1) & m->stab_mask) {
        if ((e & 0xFFFFFFFF00000000ull) != tag)
            continue;
        uint32_t id = (uint32_t)e - 1;
        const mstack_t *s = &m->stacks[id];
        if (s->thread == thread && stack_equal(m, s, f, n, truncated))
            return id;
    }
    /* new */
    if (m->nstacks >= MAX_STACKS)
        return PYRO_NONE;
    if ((uint64_t)(m->nstacks + 1) * 2 > (uint64_t)m->stab_mask + 1) {
        if (stab_grow(m))
            return PYRO_NONE;
        i = (uint32_t)h & m->stab_mask;
        while (m->stab[i])
            i = (i + 1) & m->stab_mask;
    }
    if (reserve(m, (void **)&m->stacks, &m->capstacks, m->nstacks + 1, sizeof *m->stacks) ||
        (uint64_t)m->npool + n >= (1ull << 31) ||
        reserve(m, (void **)&m->pool, &m->cappool, m->npool + n, sizeof *m->pool))
        return PYRO_NONE;
    uint32_t id = m->nstacks++;
    m->stacks[id] = (mstack_t){.snap_gen = m->gen,
                               .first = m->npool,
                               .thread = thread,
                               .nframes = (uint16_t)n,
                               .truncated = (uint16_t)truncated};
    for (uint32_t k = 0; k < n; k++) /* field by field: the caller's padding is not copied */
        m->pool[m->npool + k] = (pyro_memframe_t){.code = f[k].code, .offset = f[k].offset};
    m->npool += n;
    m->stab[i] = tag | (id + 1);
    return id;
}

/* The first of the two ways of the cache's set for a stack of innermost
 * frame f[0]. */
static inline uint32_t cache_set(const pyro_memframe_t *f, uint32_t n)
{
    if (!n)
        return 0;
    uint64_t h = ((f[0].code >> 4) ^ f[0].offset) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(h >> (64 - CACHE_SET_BITS)) * 2;
}

/* The id of the calling thread's stack f[0..n), through its cache: two ways
 * per set, the one used last first. */
PYRO_HOT uint32_t stack_find(pyro_memtrack_t *m, uint32_t thread, const pyro_memframe_t *f,
                             uint32_t n)
{
    int truncated = n > PYRO_MEMTRACK_MAX_DEPTH;
    if (truncated)
        n = PYRO_MEMTRACK_MAX_DEPTH;
    uint32_t *way = &m->threads[thread].cache[cache_set(f, n)];
    uint32_t id0 = way[0], id1 = way[1];
    if (id0 && stack_equal(m, &m->stacks[id0 - 1], f, n, truncated))
        return id0 - 1;
    if (id1 && stack_equal(m, &m->stacks[id1 - 1], f, n, truncated)) {
        way[0] = id1;
        way[1] = id0;
        return id1 - 1;
    }
    uint32_t id = stack_find_slow(m, thread, f, n, truncated);
    if (id != PYRO_NONE) {
        way[1] = id0;
        way[0] = id + 1;
    }
    return id;
}

/* ==== peak ==== */

/* Before stack `s`'s live bytes change: keep what they were at the latest
 * peak if no change since that peak kept it yet. */
PYRO_HOT void stack_touch(const pyro_memtrack_t *m, mstack_t *s)
{
    if (s->snap_gen != m->gen) {
        s->snap = s->alloc_bytes - s->freed_bytes;
        int64_t n = count_round(s->alloc_cnt - s->freed_cnt);
        s->snap_allocs = n < 0 ? 0 : n > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)n;
        s->snap_gen = m->gen;
    }
}

/* The heap passed its peak. Every stack's live bytes now are its bytes at
 * the peak: bumping the generation makes the next change of each keep them.
 * The clock is read only when the heap moved by more than the slack since
 * the last reading (up, or down and back), so peak_ns is the time of a
 * moment when the heap was within max(peak / 1024, 64 KiB) of its peak and
 * did not fall further than that before reaching it. */
static PYRO_SLOW void new_peak(pyro_memtrack_t *m)
{
    m->peak = m->heap;
    m->peak_cnt = m->alloc_cnt - m->freed_cnt;
    m->gen++;
    int64_t slack = m->peak >> 10;
    if (slack < PEAK_SLACK)
        slack = PEAK_SLACK;
    if (m->heap - m->timed_heap > slack || m->timed_heap - m->trough > slack) {
        m->peak_ns = pyro_clock_mono_ns() - m->start_ns;
        m->timed_heap = m->trough = m->heap;
    }
}

/* ==== live table ==== */

/* The home slot of `addr` in a table of mask + 1 slots. Each aligned 1 KiB
 * of addresses (64 blocks of 16 bytes) gets a window of 256 consecutive
 * slots at a place hashed from its address, and its blocks keep their order
 * in it, 4 slots apart. Allocators hand out neighbours (a pymalloc pool is
 * a few pages of one size class), so the probes of blocks made or freed
 * together fall in neighbouring cache lines instead of each costing a miss
 * in a table of megabytes (about half the CPU of exact mode on a churn of
 * small objects). The spacing keeps a full window a quarter full, so that
 * windows that overlap interleave instead of making long runs; a run longer
 * than LIVE_LONG_RUN all the same makes the table grow (see
 * pyro_memtrack_alloc). */
#define LIVE_WINDOW_SHIFT 10
#define LIVE_STRIDE 4
static inline uint64_t home(uint64_t addr, uint64_t mask, unsigned shift)
{
    /* Fibonacci hashing: the top bits of the product spread consecutive
     * windows (a pool's, an arena's) evenly over the table, not at random,
     * so that they overlap as little as they can */
    uint64_t window = ((addr >> LIVE_WINDOW_SHIFT) * 0x9E3779B97F4A7C15ull) >> shift;
    uint64_t block = (addr >> 4) & ((1u << (LIVE_WINDOW_SHIFT - 4)) - 1);
    return (window + block * LIVE_STRIDE) & mask;
}

static inline uint64_t live_home(const pyro_memtrack_t *m, uint64_t addr)
{
    return home(addr, m->live_mask, m->live_shift);
}

/* A zeroed table of `bytes` for random access (pyro_pages_alloc: its
 * pages are touched only when used): from 4 MiB on, backed by huge pages
 * where the kernel gives them on request (a probe of a big table then costs
 * a cache miss, not a TLB miss too). NULL when out of memory. */
static void *table_alloc(uint64_t bytes)
{
    if (bytes > SIZE_MAX)
        return NULL;
    char *t = pyro_pages_alloc((size_t)bytes);
    if (!t)
        return NULL;
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = 2u << 20;
    if (bytes >= 2 * huge) { /* before the first touch: the pages are not there yet */
        uintptr_t lo = ((uintptr_t)t + huge - 1) & ~(huge - 1);
        uintptr_t hi = ((uintptr_t)t + (uintptr_t)bytes) & ~(huge - 1);
        if (hi > lo)
            madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
#endif
    return t;
}

/* The live table filter's bucket of `addr`: by address when sampling
 * (what the hooks ask), by KiB when exact (what chunk_make asks). */
static inline uint64_t fbucket(const pyro_memtrack_t *m, uint64_t addr, uint32_t fshift)
{
    return pyro_memtrack_bucket(m->head.exact ? addr & ~(uint64_t)1023 : addr, fshift);
}

/* The live table's entries of 16-byte-aligned blocks in KiB `key` (at
 * most 64), exact mode: none if the filter says so, else counted in the
 * window of the KiB's homes and the runs that leave it. */
static uint8_t live_count_kib(const pyro_memtrack_t *m, uint64_t key)
{
    if (!m->live || !m->filter[fbucket(m, key << CHUNK_SHIFT, m->filter_shift)])
        return 0;
    _Static_assert(LIVE_WINDOW_SHIFT == CHUNK_SHIFT, "a chunk's KiB is a window of homes");
    const uint64_t span = LIVE_STRIDE << (CHUNK_SHIFT - 4); /* the window's slots */
    uint64_t first = live_home(m, key << CHUNK_SHIFT), n = 0;
    for (uint64_t d = 0; d <= m->live_mask; d++) {
        uint64_t a = m->live[(first + d) & m->live_mask].addr;
        n += a >> CHUNK_SHIFT == key && !(a & 15);
        if (!a && d >= span)
            break;
    }
    return (uint8_t)n;
}

/* ==== chunked live table (exact mode) ==== */

/* Whether a block at `addr` may have its entry in a chunk: exact mode,
 * 16-byte-aligned, past the first KiB (key 0 marks an empty directory
 * slot). Such a block of at most CHUNK_MAX_SIZE bytes does; a larger one
 * goes to the live table (a chunk would spend 512 bytes on it). */
static inline int chunkable(const pyro_memtrack_t *m, uint64_t addr)
{
    return m->head.exact && !(addr & 15) && (addr >> CHUNK_SHIFT) != 0;
}

static inline uint64_t cdir_home(uint64_t key, unsigned shift)
{
    return (key * 0x9E3779B97F4A7C15ull) >> shift;
}

/* The chunk of key `key`, PYRO_NONE if none: the cache, else the
 * directory (whose hit the cache then keeps). */
PYRO_HOT uint32_t chunk_find(pyro_memtrack_t *m, uint64_t key)
{
    cdir_t *c = &m->ccache[key & (CCACHE - 1)];
    if (c->key == key)
        return (uint32_t)c->chunk;
    if (!m->cdir)
        return PYRO_NONE;
    for (uint64_t i = cdir_home(key, m->cdir_shift);; i = (i + 1) & m->cdir_mask) {
        uint64_t k = m->cdir[i].key;
        if (k == key) {
            *c = m->cdir[i];
            return (uint32_t)c->chunk;
        }
        if (!k)
            return PYRO_NONE;
    }
}

/* Double the directory (or make the first). 0 or -1 (unchanged). */
static int cdir_grow(pyro_memtrack_t *m)
{
    uint64_t slots = m->cdir ? m->cdir_mask + 1 : 0;
    uint64_t nslots = slots ? slots * 2 : CDIR_MIN;
    if (nslots > (1ull << 33) || !fits(m, slots * sizeof(cdir_t), nslots * sizeof(cdir_t)))
        return -1;
    cdir_t *d = table_alloc(nslots * sizeof *d);
    if (!d)
        return -1;
    uint64_t mask = nslots - 1;
    unsigned shift = 64 - (unsigned)__builtin_ctzll(nslots);
    for (uint64_t i = 0; i < slots; i++) {
        if (!m->cdir[i].key)
            continue;
        uint64_t j = cdir_home(m->cdir[i].key, shift);
        while (d[j].key)
            j = (j + 1) & mask;
        d[j] = m->cdir[i];
    }
    pyro_pages_free(m->cdir);
    m->cdir = d;
    m->cdir_mask = mask;
    m->cdir_shift = shift;
    if (m->head.filter == NEVER) /* frees are looked up from now on */
        m->head.filter = ALWAYS;
    m->own = own_bytes(m);
    return 0;
}

/* Double the chunks (or make the first). 0 or -1 (unchanged). */
static int chunks_grow(pyro_memtrack_t *m)
{
    const uint64_t csize = CHUNK_SLOTS * sizeof(uint64_t);
    uint64_t cap = m->capchunks, ncap = cap ? cap * 2 : 16;
    const uint64_t esize = csize + sizeof(cmeta_t);
    if (ncap > (1ull << 31) || !fits(m, cap * esize, ncap * esize))
        return -1;
    uint64_t *c = table_alloc(ncap * csize);
    cmeta_t *n = pyro_pages_alloc(ncap * sizeof *n);
    if (!c || !n) {
        pyro_pages_free(c);
        pyro_pages_free(n);
        return -1;
    }
    if (cap) {
        memcpy(c, m->chunks, cap * csize);
        memcpy(n, m->cmeta, cap * sizeof *n);
    }
    pyro_pages_free(m->chunks);
    pyro_pages_free(m->cmeta);
    m->chunks = c;
    m->cmeta = n;
    m->capchunks = (uint32_t)ncap;
    m->own = own_bytes(m);
    return 0;
}

/* A new empty chunk for key `key` (from the free list, else a fresh one),
 * in the directory and the cache. PYRO_NONE when out of memory or past
 * max_bytes. */
static PYRO_SLOW uint32_t chunk_make(pyro_memtrack_t *m, uint64_t key)
{
    if ((uint64_t)(m->nchunks_live + 1) * 2 > (m->cdir ? m->cdir_mask + 1 : 0) && cdir_grow(m))
        return PYRO_NONE;
    uint32_t c;
    if (m->chunk_free) {
        c = m->chunk_free - 1;
        uint64_t *e = &m->chunks[(uint64_t)c * CHUNK_SLOTS];
        m->chunk_free = (uint32_t)e[0];
        e[0] = 0;
    } else {
        if (m->nchunks == m->capchunks && chunks_grow(m))
            return PYRO_NONE;
        c = m->nchunks++;
    }
    uint64_t i = cdir_home(key, m->cdir_shift);
    while (m->cdir[i].key)
        i = (i + 1) & m->cdir_mask;
    m->cdir[i] = (cdir_t){.key = key, .chunk = c};
    m->nchunks_live++;
    m->cmeta[c] = (cmeta_t){.ovf = live_count_kib(m, key)};
    m->ccache[key & (CCACHE - 1)] = m->cdir[i];
    return c;
}

/* Chunk c of key `key` has no entry left: out of the directory (shifting
 * later entries of its run back) and the cache, onto the free list (linked
 * through its first entry). */
static void chunk_release(pyro_memtrack_t *m, uint64_t key, uint32_t c)
{
    uint64_t mask = m->cdir_mask;
    uint64_t i = cdir_home(key, m->cdir_shift);
    while (m->cdir[i].key != key)
        i = (i + 1) & mask;
    for (uint64_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        uint64_t k = m->cdir[j].key;
        if (!k)
            break;
        uint64_t h = cdir_home(k, m->cdir_shift);
        if (((j - h) & mask) >= ((j - i) & mask)) {
            m->cdir[i] = m->cdir[j];
            i = j;
        }
    }
    m->cdir[i].key = 0;
    m->nchunks_live--;
    cdir_t *cc = &m->ccache[key & (CCACHE - 1)];
    if (cc->key == key)
        cc->key = 0;
    m->chunks[(uint64_t)c * CHUNK_SLOTS] = m->chunk_free;
    m->chunk_free = c + 1;
}

/* The entry of `addr` (chunked) in chunk c. */
static inline uint64_t *chunk_entry(pyro_memtrack_t *m, uint32_t c, uint64_t addr)
{
    return &m->chunks[(uint64_t)c * CHUNK_SLOTS + ((addr >> 4) & (CHUNK_SLOTS - 1))];
}

/* ==== live table: growth, removal ==== */

/* Double the live table (or make the first) and rebuild the filter. 0 or
 * -1 (the table is unchanged). */
static int live_grow(pyro_memtrack_t *m)
{
    uint64_t slots = m->live ? m->live_mask + 1 : 0;
    uint64_t nslots = slots ? slots * 2 : LIVE_MIN;
    uint32_t ratio = filter_ratio_for(m, nslots);
    if (nslots > (1ull << 40) ||
        !fits(m, slots * filter_esize(m, m->filter_ratio), nslots * filter_esize(m, ratio)))
        return -1;
    live_t *t = table_alloc(nslots * sizeof *t);
    uint8_t *f = pyro_pages_alloc(nslots * ratio);
    uint64_t nbits = bits_bytes(m, nslots * ratio);
    uint8_t *b = nbits ? pyro_pages_alloc(nbits) : NULL;
    if (!t || !f || (nbits && !b)) {
        pyro_pages_free(t);
        pyro_pages_free(f);
        pyro_pages_free(b);
        return -1;
    }
    uint64_t mask = nslots - 1;
    unsigned shift = 64 - (unsigned)__builtin_ctzll(nslots);
    uint32_t fshift = shift - (uint32_t)__builtin_ctz(ratio);
    for (uint64_t i = 0; i < slots; i++) {
        uint64_t a = m->live[i].addr;
        if (!a)
            continue;
        uint64_t j = home(a, mask, shift);
        while (t[j].addr)
            j = (j + 1) & mask;
        t[j] = m->live[i];
        uint64_t k = fbucket(m, a, fshift);
        f[k] += f[k] != UINT8_MAX;
        if (b)
            b[k >> 3] |= (uint8_t)(1u << (k & 7));
    }
    pyro_pages_free(m->live);
    pyro_pages_free(m->filter);
    pyro_pages_free(m->bits);
    m->live = t;
    m->filter = f;
    m->bits = b;
    m->live_mask = mask;
    m->live_shift = shift;
    m->filter_shift = fshift;
    m->filter_ratio = ratio;
    /* sampling, the hooks ask the filter; exact, every free is looked up */
    m->head.filter = m->head.exact ? ALWAYS : b ? b : NEVER;
    m->head.filter_shift = m->head.exact ? 63 : fshift;
    m->own = own_bytes(m);
    return 0;
}

/* Count an entry at `addr` in the filter (m->filter is not NULL), and its
 * bucket's bit when it was empty. */
static inline void filter_inc(pyro_memtrack_t *m, uint64_t addr)
{
    uint64_t k = fbucket(m, addr, m->filter_shift);
    if (m->bits && !m->filter[k])
        m->bits[k >> 3] |= (uint8_t)(1u << (k & 7));
    m->filter[k] += m->filter[k] != UINT8_MAX;
}

/* Count an entry at `addr` out of the filter (m->filter is not NULL; a
 * saturated bucket stays so until the table grows), and clear its bucket's
 * bit when it is left empty. */
static inline void filter_dec(pyro_memtrack_t *m, uint64_t addr)
{
    uint64_t k = fbucket(m, addr, m->filter_shift);
    m->filter[k] -= m->filter[k] != UINT8_MAX;
    if (m->bits && !m->filter[k])
        m->bits[k >> 3] &= (uint8_t) ~(1u << (k & 7));
}

/* Remove the entry at slot i, shifting later entries of its run back. */
PYRO_HOT void live_remove(pyro_memtrack_t *m, uint64_t i)
{
    uint64_t mask = m->live_mask;
    if (m->filter)
        filter_dec(m, m->live[i].addr);
    m->nlive--;
    for (uint64_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        uint64_t a = m->live[j].addr;
        if (!a)
            break;
        uint64_t k = live_home(m, a);
        /* the entry at j may move to i unless its home lies cyclically in (i, j] */
        if (((j - k) & mask) >= ((j - i) & mask)) {
            m->live[i] = m->live[j];
            i = j;
        }
    }
    m->live[i].addr = 0;
}

/* The block of entry `e` left the heap (freed, or its free was missed). */
PYRO_HOT void account_free(pyro_memtrack_t *m, uint64_t packed)
{
    int64_t bytes, cnt;
    weigh(m, size_decode(packed >> STACK_BITS), &bytes, &cnt);
    mstack_t *s = &m->stacks[(packed & MAX_STACKS) - 1];
    stack_touch(m, s);
    s->freed_bytes += bytes;
    s->freed_cnt += cnt;
    __atomic_store_n(&m->heap, m->heap - bytes, __ATOMIC_RELAXED); /* read by the timeline */
    m->freed_cnt += cnt;
    if (m->heap < m->trough)
        m->trough = m->heap;
}

/* Put `addr`'s entry `packed` in the live table (an entry already at addr,
 * whose free was missed, is counted as freed first and replaced). 1 (a new
 * entry), 0 (replaced), or -1 if there is no room (dropped). */
PYRO_HOT int live_insert(pyro_memtrack_t *m, uint64_t addr, uint64_t packed)
{
    if (__builtin_expect((m->nlive + 1) * 2 > (m->live ? m->live_mask + 1 : 0), 0)) {
        /* past half full: grow; if it cannot, go on to three quarters */
        if (live_grow(m) && (m->nlive + 1) * 4 > (m->live ? m->live_mask + 1 : 0) * 3)
            return -1;
    }
    uint64_t i = live_home(m, addr), probes = 0;
    int added = 0;
    for (;; probes++) {
        uint64_t a = m->live[i].addr;
        if (!a) {
            added = 1;
            m->live[i].addr = addr;
            m->nlive++;
            if (m->filter)
                filter_inc(m, addr);
            break;
        }
        if (a == addr) { /* its free was missed: it left first */
            account_free(m, m->live[i].packed);
            break;
        }
        i = (i + 1) & m->live_mask;
    }
    m->live[i].packed = packed;
    if (__builtin_expect(probes > LIVE_LONG_RUN, 0) && m->nlive * 8 > m->live_mask + 1)
        (void)live_grow(m); /* overlapping dense windows: spread them (if it cannot, go on) */
    return added;
}

/* If the live table holds an entry at `addr`, it leaves: 1, else 0. */
static int live_take(pyro_memtrack_t *m, uint64_t addr)
{
    if (!m->live || !m->filter[fbucket(m, addr, m->filter_shift)])
        return 0;
    for (uint64_t i = live_home(m, addr);; i = (i + 1) & m->live_mask) {
        uint64_t a = m->live[i].addr;
        if (!a)
            return 0;
        if (a == addr) {
            account_free(m, m->live[i].packed);
            live_remove(m, i);
            return 1;
        }
    }
}

/* ==== events ==== */

/* A thread state of another session reached alloc without registering:
 * register the calling thread (the one allocating). 0, or -1 if the
 * allocation is not to be recorded (sampled: the countdown did not run
 * out). */
static PYRO_SLOW int self_register(pyro_memtrack_t *m, pyro_memthread_t *t, size_t size)
{
    uint64_t ident, native;
    pyro_session_thread_ids(&ident, &native);
    pyro_memtrack_thread(m, t, ident, native);
    if (m->head.exact)
        return 0;
    t->countdown -= (int64_t)size;
    return t->countdown <= 0 ? 0 : -1;
}

void pyro_memtrack_alloc(pyro_memtrack_t *m, pyro_memthread_t *t, uint64_t addr, size_t size,
                         const pyro_memframe_t *frames, uint32_t n)
{
    if (__builtin_expect(t->epoch != m->head.epoch, 0) && self_register(m, t, size))
        return;
    if (!m->head.exact)
        t->countdown = draw(m, t);
    if (__builtin_expect(t->thread >= m->nthreads || !addr, 0)) {
        m->dropped += addr != 0;
        return;
    }
    uint32_t sid = stack_find(m, t->thread, frames, n);
    if (__builtin_expect(sid == PYRO_NONE, 0))
        goto drop;
    uint64_t enc = size_encode(size);
    uint64_t packed = enc << STACK_BITS | (sid + 1);
    /* an address has one entry at most, in a chunk or in the live table:
       a missed free's entry, wherever it is, leaves first */
    if (chunkable(m, addr) && size <= CHUNK_MAX_SIZE) {
        uint64_t key = addr >> CHUNK_SHIFT;
        uint32_t c = chunk_find(m, key);
        if (__builtin_expect(c == PYRO_NONE, 0) && (c = chunk_make(m, key)) == PYRO_NONE)
            goto drop;
        uint64_t *e = chunk_entry(m, c, addr);
        cmeta_t *cm = &m->cmeta[c];
        if (*e) {
            account_free(m, *e);
        } else {
            cm->count++;
            if (__builtin_expect(cm->ovf != 0, 0) && live_take(m, addr))
                cm->ovf--;
        }
        *e = packed;
    } else {
        uint32_t c = PYRO_NONE;
        if (chunkable(m, addr) && (c = chunk_find(m, addr >> CHUNK_SHIFT)) != PYRO_NONE) {
            uint64_t *e = chunk_entry(m, c, addr);
            if (*e) {
                account_free(m, *e);
                *e = 0;
                if (--m->cmeta[c].count == 0) {
                    chunk_release(m, addr >> CHUNK_SHIFT, c);
                    c = PYRO_NONE;
                }
            }
        }
        int added = live_insert(m, addr, packed);
        if (added < 0)
            goto drop;
        if (added && c != PYRO_NONE)
            m->cmeta[c].ovf++;
    }
    int64_t bytes, cnt;
    weigh(m, size_decode(enc), &bytes, &cnt);
    mstack_t *s = &m->stacks[sid];
    stack_touch(m, s);
    s->alloc_bytes += bytes;
    s->alloc_cnt += cnt;
    m->alloc_bytes += bytes;
    m->alloc_cnt += cnt;
    __atomic_store_n(&m->heap, m->heap + bytes, __ATOMIC_RELAXED);
    if (m->heap > m->peak)
        new_peak(m);
    return;
drop:
    m->dropped++;
}

void pyro_memtrack_freed(pyro_memtrack_t *m, uint64_t addr)
{
    if (!pyro_memtrack_maybe_live(m, addr))
        return;
    if (chunkable(m, addr)) {
        uint64_t key = addr >> CHUNK_SHIFT;
        uint32_t c = chunk_find(m, key);
        if (c != PYRO_NONE) {
            uint64_t *e = chunk_entry(m, c, addr);
            cmeta_t *cm = &m->cmeta[c];
            if (*e) {
                account_free(m, *e);
                *e = 0;
                if (--cm->count == 0)
                    chunk_release(m, key, c);
            } else if (cm->ovf && live_take(m, addr)) {
                cm->ovf--;
            }
            return;
        }
    }
    live_take(m, addr);
}

int64_t pyro_memtrack_heap_now(const pyro_memtrack_t *m)
{
    return __atomic_load_n(&m->heap, __ATOMIC_RELAXED);
}

void pyro_memtrack_totals(const pyro_memtrack_t *m, pyro_memtrack_totals_t *out)
{
    *out = (pyro_memtrack_totals_t){
        .heap_bytes = m->heap,
        .peak_bytes = m->peak,
        .peak_ns = m->peak_ns,
        .alloc_bytes = m->alloc_bytes,
        .allocs = count_round(m->alloc_cnt),
        .live_allocs = count_round(m->alloc_cnt) - count_round(m->freed_cnt),
        .peak_allocs = count_round(m->peak_cnt),
        .dropped = m->dropped,
        .own_bytes = m->own,
    };
}

/* ==== export ==== */

typedef struct resolved {
    uint32_t func, line;
} resolved_t;

typedef struct exporter {
    pyro_memtrack_t *m;
    pyro_profile_t *p;
    pyro_memresolve_fn resolve;
    void *ctx;
    pyro_map_t frames; /* (code, offset) -> index in res */
    resolved_t *res;
    uint32_t nres, capres;
    uint32_t unknown, truncated, nopy; /* synthetic functions, PYRO_NONE until made */
} exporter_t;

/* The function labelled `label` (a synthetic one, like C functions: file
 * "~", line 0) into *id, made once. */
static int synthetic(exporter_t *x, const char *label, uint32_t *id)
{
    if (*id != PYRO_NONE)
        return PYRO_OK;
    pyro_func_t f = {.line = 0, .kind = PYRO_FUNC_NATIVE};
    int rc;
    if ((rc = pyro_profile_str(x->p, label, strlen(label), &f.name)) ||
        (rc = pyro_profile_str(x->p, "~", 1, &f.file)))
        return rc;
    f.qualname = f.name;
    return pyro_profile_func(x->p, &f, id);
}

static int resolve_frame(exporter_t *x, const pyro_memframe_t *fr, resolved_t *out)
{
    uint32_t idx;
    if (pyro_map_get(&x->frames, fr->code, fr->offset, &idx)) {
        *out = x->res[idx];
        return PYRO_OK;
    }
    int rc;
    const char *name = NULL, *qualname = NULL, *file = NULL;
    uint32_t firstline = 0, line = 0;
    resolved_t r = {PYRO_NONE, 0};
    if (x->resolve &&
        x->resolve(x->ctx, fr->code, fr->offset, &name, &qualname, &file, &firstline, &line) == 0 &&
        name) {
        pyro_func_t f = {.line = firstline, .kind = PYRO_FUNC_PYTHON};
        if (!qualname)
            qualname = name;
        if (!file)
            file = "~";
        if ((rc = pyro_profile_str(x->p, name, strlen(name), &f.name)) ||
            (rc = pyro_profile_str(x->p, qualname, strlen(qualname), &f.qualname)) ||
            (rc = pyro_profile_str(x->p, file, strlen(file), &f.file)) ||
            (rc = pyro_profile_func(x->p, &f, &r.func)))
            return rc;
        r.line = line;
    } else if ((rc = synthetic(x, "<unknown>", &x->unknown))) {
        return rc;
    } else {
        r.func = x->unknown;
    }
    if ((rc = pyro_grow((void **)&x->res, &x->capres, x->nres, sizeof *x->res)) ||
        (rc = pyro_map_put(&x->frames, fr->code, fr->offset, x->nres)))
        return rc == PYRO_ELIMIT ? PYRO_ENOMEM : rc;
    x->res[x->nres++] = r;
    *out = r;
    return PYRO_OK;
}

/* Add stack `s`'s path and sums to the profile. */
static int export_stack(exporter_t *x, const mstack_t *s)
{
    pyro_profile_t *p = x->p;
    const pyro_memtrack_t *m = x->m;
    uint32_t node = PYRO_NONE;
    int rc;
    if (s->truncated || s->nframes == 0) {
        uint32_t *fid = s->truncated ? &x->truncated : &x->nopy;
        if ((rc = synthetic(x, s->truncated ? "<truncated>" : "<no Python frame>", fid)) ||
            (rc = pyro_profile_child(p, node, s->thread, *fid, 0, &node)))
            return rc;
    }
    for (uint32_t k = s->nframes; k-- > 0;) {
        resolved_t r;
        if ((rc = resolve_frame(x, &m->pool[s->first + k], &r)) ||
            (rc = pyro_profile_child(p, node, s->thread, r.func, r.line, &node)))
            return rc;
    }
    int64_t live = s->alloc_bytes - s->freed_bytes;
    int64_t peak = s->snap_gen == m->gen ? s->snap : live;
    int64_t allocs = count_round(s->alloc_cnt), freed = count_round(s->freed_cnt);
    int64_t peak_allocs = s->snap_gen == m->gen ? (int64_t)s->snap_allocs : allocs - freed;
    pyro_node_add(p, node, p->col[PYRO_M_ALLOC_BYTES], s->alloc_bytes);
    pyro_node_add(p, node, p->col[PYRO_M_ALLOCS], allocs);
    pyro_node_add(p, node, p->col[PYRO_M_FREED_BYTES], s->freed_bytes);
    pyro_node_add(p, node, p->col[PYRO_M_PEAK_BYTES], peak);
    pyro_node_add(p, node, p->col[PYRO_M_PEAK_ALLOCS], peak_allocs);
    pyro_node_add(p, node, p->col[PYRO_M_LEAKED_BYTES], live);
    pyro_node_add(p, node, p->col[PYRO_M_LEAKED_ALLOCS], allocs - freed);
    return PYRO_OK;
}

static int meta_i64(pyro_profile_t *p, const char *key, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    return pyro_profile_set_meta(p, key, buf);
}

int pyro_memtrack_export(pyro_memtrack_t *m, pyro_memresolve_fn resolve, void *ctx,
                         pyro_profile_t **out)
{
    int rc = PYRO_ENOMEM;
    *out = NULL;
    exporter_t x = {.m = m,
                    .resolve = resolve,
                    .ctx = ctx,
                    .unknown = PYRO_NONE,
                    .truncated = PYRO_NONE,
                    .nopy = PYRO_NONE};
    pyro_map_init(&x.frames);
    x.p = pyro_profile_new();
    if (!x.p)
        goto cleanup;
    if ((rc = pyro_profile_set_mode(x.p, PYRO_MODE_MEMORY)))
        goto cleanup;
    for (uint32_t i = 0; i < m->nthreads; i++) {
        char name[48];
        snprintf(name, sizeof name, "Thread-%llu", (unsigned long long)m->threads[i].native_id);
        pyro_thread_t th = {.ident = m->threads[i].ident, .native_id = m->threads[i].native_id};
        uint32_t tid;
        if ((rc = pyro_profile_str(x.p, name, strlen(name), &th.name)) ||
            (rc = pyro_profile_add_thread(x.p, &th, &tid)))
            goto cleanup;
    }
    for (uint32_t i = 0; i < m->nstacks; i++) {
        const mstack_t *s = &m->stacks[i];
        if (s->alloc_cnt == 0 && s->alloc_bytes == 0)
            continue; /* made for a record then dropped */
        if ((rc = export_stack(&x, s)))
            goto cleanup;
    }
    pyro_memtrack_totals_t t;
    pyro_memtrack_totals(m, &t);
    if ((rc = meta_i64(x.p, "mem_interval", (int64_t)m->interval)) ||
        (rc = meta_i64(x.p, "mem_peak_bytes", t.peak_bytes)) ||
        (rc = meta_i64(x.p, "mem_peak_ns", t.peak_ns)) ||
        (rc = meta_i64(x.p, "mem_peak_allocs", t.peak_allocs)) ||
        (rc = meta_i64(x.p, "mem_heap_bytes", t.heap_bytes)) ||
        (rc = meta_i64(x.p, "mem_alloc_bytes", t.alloc_bytes)) ||
        (rc = meta_i64(x.p, "mem_allocs", t.allocs)) ||
        (rc = meta_i64(x.p, "mem_live_allocs", t.live_allocs)) ||
        (rc = meta_i64(x.p, "mem_dropped", (int64_t)t.dropped)) ||
        (rc = meta_i64(x.p, "mem_own_bytes", (int64_t)t.own_bytes)) ||
        (rc = meta_i64(x.p, "duration_ns", pyro_clock_mono_ns() - m->start_ns)))
        goto cleanup;
    *out = x.p;
    x.p = NULL;
    rc = PYRO_OK;
cleanup:
    pyro_map_free(&x.frames);
    pyro_free(x.res);
    pyro_profile_free(x.p);
    return rc;
}
