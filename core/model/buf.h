/* SPDX-License-Identifier: MIT */
/* buf: a growable byte buffer that every writer appends to. Appends never
 * fail loudly: the first allocation failure sets a sticky flag, later appends
 * are ignored, and pyro_buf_status() reports PYRO_ENOMEM once at the end. */
#ifndef PYRO_BUF_H
#define PYRO_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pyro_buf {
    char *data; /* owned; NUL-terminated when len < cap */
    size_t len;
    size_t cap;
    int failed; /* sticky: an append could not allocate */
} pyro_buf_t;

/* Initialize an empty buffer (no allocation). */
void pyro_buf_init(pyro_buf_t *b);

/* Release the buffer's memory and reset it to empty. */
void pyro_buf_free(pyro_buf_t *b);

/* PYRO_OK, or PYRO_ENOMEM if any append since init failed. */
int pyro_buf_status(const pyro_buf_t *b);

/* Make room for `extra` more bytes; 0 or PYRO_ENOMEM (and sets `failed`). */
int pyro_buf_reserve(pyro_buf_t *b, size_t extra);

/* Append `n` bytes / a NUL-terminated string / one byte. */
void pyro_buf_append(pyro_buf_t *b, const void *p, size_t n);
void pyro_buf_puts(pyro_buf_t *b, const char *s);
void pyro_buf_putc(pyro_buf_t *b, char c);

/* Append printf-formatted text. */
void pyro_buf_printf(pyro_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pyro_buf_vprintf(pyro_buf_t *b, const char *fmt, va_list ap);

/* Append `c` `n` times. */
void pyro_buf_fill(pyro_buf_t *b, char c, size_t n);

/* Right-align what was appended since offset `from` in `width` columns
 * (spaces in front); text already that wide or wider is left as it is. A
 * failed buffer stays failed. */
void pyro_buf_align_right(pyro_buf_t *b, size_t from, size_t width);

/* Little-endian fixed-width integers and an IEEE-754 double. */
void pyro_buf_u8(pyro_buf_t *b, uint8_t v);
void pyro_buf_u16(pyro_buf_t *b, uint16_t v);
void pyro_buf_u32(pyro_buf_t *b, uint32_t v);
void pyro_buf_u64(pyro_buf_t *b, uint64_t v);
void pyro_buf_f64(pyro_buf_t *b, double v);

/* Unsigned LEB128 varint, and a zigzag-encoded signed one. */
void pyro_buf_varint(pyro_buf_t *b, uint64_t v);
void pyro_buf_svarint(pyro_buf_t *b, int64_t v);

/* Append `s` (length `n`) as the body of a JSON string literal, quotes
 * included; control characters and invalid UTF-8 bytes are escaped. */
void pyro_buf_json_str(pyro_buf_t *b, const char *s, size_t n);

/* Write the whole buffer to `path` atomically: write a temporary file in the
 * same directory, fsync-free rename over `path`. On failure `path` is left as
 * it was and PYRO_EIO is returned with errno set. */
int pyro_buf_write_file(const pyro_buf_t *b, const char *path);

/* Read the whole file at `path` into `b` (which is reset first). PYRO_EIO on
 * failure with errno set; PYRO_ELIMIT if the file exceeds `max_bytes`. */
int pyro_buf_read_file(pyro_buf_t *b, const char *path, size_t max_bytes);

#endif
