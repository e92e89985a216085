/* SPDX-License-Identifier: MIT */
/* linetable: three decoders. */
#include "remote/linetable.h"

/* 3.9: pairs (bytecode delta u8, line delta s8); stop when the address
 * passes the instruction (Objects/lnotab_notes.txt). */
static int lnotab(const unsigned char *t, size_t len, int line, int addr_q)
{
    int addr = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        addr += t[i];
        if (addr > addr_q)
            break;
        line += (signed char)t[i + 1];
    }
    return line;
}

/* 3.10: pairs (byte delta u8, line delta s8, -128 = no line) delimiting
 * address ranges; the instruction's range gives its line. */
static int linetable310(const unsigned char *t, size_t len, int line, int addr_q)
{
    int end = 0, computed = line, result = line;
    for (size_t i = 0; i + 1 < len; i += 2) {
        int start = end;
        end += t[i];
        int ldelta = (signed char)t[i + 1];
        if (ldelta != -128)
            computed += ldelta;
        if (start <= addr_q && addr_q < end)
            return ldelta == -128 ? result : computed;
        if (ldelta != -128)
            result = computed;
    }
    return result;
}

typedef struct cursor {
    const unsigned char *p, *end;
} cursor_t;

static unsigned varint(cursor_t *c)
{
    unsigned v = 0, shift = 0;
    while (c->p < c->end && shift < 30) {
        unsigned b = *c->p++;
        v |= (b & 63) << shift;
        shift += 6;
        if (!(b & 64))
            break;
    }
    return v;
}

static int svarint(cursor_t *c)
{
    unsigned u = varint(c);
    return u & 1 ? -(int)(u >> 1) : (int)(u >> 1);
}

/* 3.11+: entries "1 CCCC LLL" + payload, each covering LLL+1 code units. */
static int locations(const unsigned char *t, size_t len, int line, int index)
{
    cursor_t c = {t, t + len};
    int pos = 0, last_good = line;
    while (c.p < c.end) {
        unsigned head = *c.p++;
        if (!(head & 0x80))
            break; /* not an entry start: corrupt */
        int code = (head >> 3) & 15, length = (head & 7) + 1, has_line = 1;
        switch (code) {
        case 15: /* no location */
            has_line = 0;
            break;
        case 14: /* long form */
            line += svarint(&c);
            varint(&c); /* end line delta */
            varint(&c); /* column + 1 */
            varint(&c); /* end column + 1 */
            break;
        case 13: /* no column */
            line += svarint(&c);
            break;
        case 10:
        case 11:
        case 12: /* one-line form */
            line += code - 10;
            c.p += c.end - c.p >= 2 ? 2 : c.end - c.p;
            break;
        default: /* short form: same line */
            c.p += c.p < c.end ? 1 : 0;
            break;
        }
        if (index >= pos && index < pos + length)
            return has_line ? line : last_good;
        if (has_line)
            last_good = line;
        pos += length;
    }
    return last_good;
}

int pyro_line_for(uint32_t version, const unsigned char *table, size_t len, int firstlineno,
                  int offset)
{
    if (offset < 0 || !table)
        return firstlineno;
    if (version < 0x030A0000)
        return lnotab(table, len, firstlineno, offset);
    if (version < 0x030B0000)
        return linetable310(table, len, firstlineno, offset * 2);
    return locations(table, len, firstlineno, offset);
}
