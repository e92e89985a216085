/* SPDX-License-Identifier: MIT */
/* buf: growable byte buffer with a sticky allocation-failure flag. */
#include "model/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/alloc.h"
#include "model/error.h"

void pyro_buf_init(pyro_buf_t *b) { memset(b, 0, sizeof *b); }

void pyro_buf_free(pyro_buf_t *b)
{
    pyro_free(b->data);
    pyro_buf_init(b);
}

int pyro_buf_status(const pyro_buf_t *b) { return b->failed ? PYRO_ENOMEM : PYRO_OK; }

int pyro_buf_reserve(pyro_buf_t *b, size_t extra)
{
    if (b->failed)
        return PYRO_ENOMEM;
    if (extra >= SIZE_MAX - b->len - 1) {
        b->failed = 1;
        return PYRO_ENOMEM;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return PYRO_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = pyro_realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return PYRO_ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return PYRO_OK;
}

void pyro_buf_append(pyro_buf_t *b, const void *p, size_t n)
{
    if (pyro_buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void pyro_buf_puts(pyro_buf_t *b, const char *s) { pyro_buf_append(b, s, strlen(s)); }

void pyro_buf_putc(pyro_buf_t *b, char c) { pyro_buf_append(b, &c, 1); }

void pyro_buf_fill(pyro_buf_t *b, char c, size_t n)
{
    if (pyro_buf_reserve(b, n))
        return;
    memset(b->data + b->len, c, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void pyro_buf_align_right(pyro_buf_t *b, size_t from, size_t width)
{
    if (b->failed || b->len - from >= width)
        return;
    size_t n = b->len - from, pad = width - n;
    if (pyro_buf_reserve(b, pad))
        return;
    memmove(b->data + from + pad, b->data + from, n);
    memset(b->data + from, ' ', pad);
    b->len += pad;
    b->data[b->len] = '\0';
}

void pyro_buf_vprintf(pyro_buf_t *b, const char *fmt, va_list ap)
{
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n < sizeof small) {
        pyro_buf_append(b, small, (size_t)n);
    } else if (!pyro_buf_reserve(b, (size_t)n)) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void pyro_buf_printf(pyro_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pyro_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void pyro_buf_u8(pyro_buf_t *b, uint8_t v) { pyro_buf_append(b, &v, 1); }

void pyro_buf_u16(pyro_buf_t *b, uint16_t v)
{
    uint8_t o[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    pyro_buf_append(b, o, 2);
}

void pyro_buf_u32(pyro_buf_t *b, uint32_t v)
{
    uint8_t o[4];
    for (int i = 0; i < 4; i++)
        o[i] = (uint8_t)(v >> (8 * i));
    pyro_buf_append(b, o, 4);
}

void pyro_buf_u64(pyro_buf_t *b, uint64_t v)
{
    uint8_t o[8];
    for (int i = 0; i < 8; i++)
        o[i] = (uint8_t)(v >> (8 * i));
    pyro_buf_append(b, o, 8);
}

void pyro_buf_f64(pyro_buf_t *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    pyro_buf_u64(b, u);
}

void pyro_buf_varint(pyro_buf_t *b, uint64_t v)
{
    uint8_t o[10];
    size_t n = 0;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        o[n++] = byte | (v ? 0x80 : 0);
    } while (v);
    pyro_buf_append(b, o, n);
}

void pyro_buf_svarint(pyro_buf_t *b, int64_t v)
{
    pyro_buf_varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* Length of the valid UTF-8 sequence starting at s (max n bytes), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0) {
        len = 2;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void pyro_buf_json_str(pyro_buf_t *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    pyro_buf_putc(b, '"');
    size_t run = 0; /* start of a pending run of bytes copied verbatim */
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        const char *esc = NULL;
        char tmp[8];
        size_t adv = 1;
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\t')
            esc = "\\t";
        else if (c == '\r')
            esc = "\\r";
        else if (c < 0x20 || c == 0x7f) {
            snprintf(tmp, sizeof tmp, "\\u%04x", c);
            esc = tmp;
        } else if (c >= 0x80) {
            adv = utf8_seq(p + i, n - i);
            if (!adv) {
                esc = "\\ufffd";
                adv = 1;
            }
        }
        if (esc) {
            pyro_buf_append(b, s + run, i - run);
            pyro_buf_puts(b, esc);
            i += adv;
            run = i;
        } else {
            i += adv;
        }
    }
    pyro_buf_append(b, s + run, n - run);
    pyro_buf_putc(b, '"');
}

int pyro_buf_write_file(const pyro_buf_t *b, const char *path)
{
    size_t plen = strlen(path);
    char *tmp = pyro_malloc(plen + 32);
    if (!tmp)
        return PYRO_ENOMEM;
    snprintf(tmp, plen + 32, "%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        pyro_free(tmp);
        return PYRO_EIO;
    }
    size_t off = 0;
    int rc = PYRO_OK;
    while (off < b->len) {
        ssize_t w = write(fd, b->data + off, b->len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            rc = PYRO_EIO;
            break;
        }
        off += (size_t)w;
    }
    int saved = errno;
    if (close(fd) != 0 && rc == PYRO_OK) {
        rc = PYRO_EIO;
        saved = errno;
    }
    if (rc == PYRO_OK && rename(tmp, path) != 0) {
        rc = PYRO_EIO;
        saved = errno;
    }
    if (rc != PYRO_OK)
        unlink(tmp);
    pyro_free(tmp);
    errno = saved;
    return rc;
}

int pyro_buf_read_file(pyro_buf_t *b, const char *path, size_t max_bytes)
{
    pyro_buf_free(b);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return PYRO_EIO;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        errno = EISDIR;
        return PYRO_EIO;
    }
    int rc = PYRO_OK;
    for (;;) {
        if (b->len >= max_bytes) {
            rc = PYRO_ELIMIT;
            break;
        }
        if (pyro_buf_reserve(b, 65536)) {
            rc = PYRO_ENOMEM;
            break;
        }
        ssize_t r = read(fd, b->data + b->len, b->cap - b->len - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = PYRO_EIO;
            break;
        }
        if (r == 0)
            break;
        b->len += (size_t)r;
        b->data[b->len] = '\0';
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}
