/* SPDX-License-Identifier: MIT */
/* strtab: strings packed in one arena, found through an open-addressing hash. */
#include "model/strtab.h"

#include <string.h>

#include "model/alloc.h"
#include "model/error.h"

struct pyro_strtab {
    char *text; /* all strings, each followed by a NUL */
    size_t text_len, text_cap;
    uint32_t *off; /* off[id] = start in text; len = off[id+1]-off[id]-1 */
    uint32_t *len;
    uint32_t count, cap;
    uint32_t *slots; /* id + 1, 0 = empty */
    uint32_t nslots; /* power of two */
};

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

pyro_strtab_t *pyro_strtab_new(void) { return pyro_calloc(1, sizeof(pyro_strtab_t)); }

void pyro_strtab_free(pyro_strtab_t *t)
{
    if (!t)
        return;
    pyro_free(t->text);
    pyro_free(t->off);
    pyro_free(t->len);
    pyro_free(t->slots);
    pyro_free(t);
}

static int rehash(pyro_strtab_t *t, uint32_t nslots)
{
    uint32_t *slots = pyro_calloc(nslots, sizeof *slots);
    if (!slots)
        return PYRO_ENOMEM;
    for (uint32_t id = 0; id < t->count; id++) {
        uint64_t h = hash_bytes(t->text + t->off[id], t->len[id]);
        uint32_t i = (uint32_t)h & (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = id + 1;
    }
    pyro_free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return PYRO_OK;
}

int pyro_strtab_intern(pyro_strtab_t *t, const char *s, size_t len, uint32_t *id)
{
    if (len > UINT32_MAX - 1)
        return PYRO_ELIMIT;
    if (!t->nslots && rehash(t, 64))
        return PYRO_ENOMEM;
    uint64_t h = hash_bytes(s, len);
    uint32_t i = (uint32_t)h & (t->nslots - 1);
    while (t->slots[i]) {
        uint32_t cand = t->slots[i] - 1;
        if (t->len[cand] == len && memcmp(t->text + t->off[cand], s, len) == 0) {
            *id = cand;
            return PYRO_OK;
        }
        i = (i + 1) & (t->nslots - 1);
    }
    if (t->count >= (1u << 31) || t->text_len + len + 1 > UINT32_MAX)
        return PYRO_ELIMIT;
    if (t->count == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 64;
        uint32_t *off = pyro_reallocarray(t->off, cap, sizeof *off);
        if (!off)
            return PYRO_ENOMEM;
        t->off = off;
        uint32_t *ln = pyro_reallocarray(t->len, cap, sizeof *ln);
        if (!ln)
            return PYRO_ENOMEM;
        t->len = ln;
        t->cap = cap;
    }
    if (t->text_len + len + 1 > t->text_cap) {
        size_t cap = t->text_cap ? t->text_cap : 1024;
        while (cap < t->text_len + len + 1)
            cap *= 2;
        char *text = pyro_realloc(t->text, cap);
        if (!text)
            return PYRO_ENOMEM;
        t->text = text;
        t->text_cap = cap;
    }
    /* grow the hash before inserting so a failure leaves the table intact */
    if ((t->count + 1) * 2 > t->nslots) {
        if (rehash(t, t->nslots * 2))
            return PYRO_ENOMEM;
        i = (uint32_t)h & (t->nslots - 1);
        while (t->slots[i])
            i = (i + 1) & (t->nslots - 1);
    }
    uint32_t nid = t->count++;
    t->off[nid] = (uint32_t)t->text_len;
    t->len[nid] = (uint32_t)len;
    if (len)
        memcpy(t->text + t->text_len, s, len);
    t->text[t->text_len + len] = '\0';
    t->text_len += len + 1;
    t->slots[i] = nid + 1;
    *id = nid;
    return PYRO_OK;
}

int pyro_strtab_intern_cstr(pyro_strtab_t *t, const char *s, uint32_t *id)
{
    return pyro_strtab_intern(t, s, strlen(s), id);
}

const char *pyro_strtab_get(const pyro_strtab_t *t, uint32_t id, size_t *len)
{
    if (id >= t->count)
        return NULL;
    if (len)
        *len = t->len[id];
    return t->text + t->off[id];
}

uint32_t pyro_strtab_count(const pyro_strtab_t *t) { return t->count; }
