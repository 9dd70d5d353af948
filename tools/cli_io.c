/* Byte I/O for the CLI: whole-stream reads, writes, hex and base64. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cli_read_all(FILE *f, size_t max, unsigned char **buf, size_t *len)
{
    size_t cap = 4096, n = 0;
    unsigned char *p = malloc(cap);

    if (p == NULL)
        return -1;
    for (;;) {
        if (n == cap) {
            unsigned char *q;
            if (cap > max) {
                cli_wipe_free(p, cap);
                errno = EFBIG;
                return -1;
            }
            q = realloc(p, cap * 2);
            if (q == NULL) {
                cli_wipe_free(p, cap);
                return -1;
            }
            p = q;
            cap *= 2;
        }
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                int err = errno;
                cli_wipe_free(p, cap);
                errno = err ? err : EIO;
                return -1;
            }
            break;
        }
    }
    if (n > max) {
        cli_wipe_free(p, cap);
        errno = EFBIG;
        return -1;
    }
    *buf = p;
    *len = n;
    return 0;
}

int cli_write_all(FILE *f, const void *buf, size_t len)
{
    if (len > 0 && fwrite(buf, 1, len, f) != len)
        return -1;
    return fflush(f) == 0 ? 0 : -1;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int cli_unhex(unsigned char *buf, size_t len, size_t *out_len)
{
    size_t o = 0;
    int hi = -1;

    for (size_t i = 0; i < len; i++) {
        int v;
        if (is_space(buf[i]))
            continue;
        if ((v = hexval(buf[i])) < 0)
            return -1;
        if (hi < 0) {
            hi = v;
        } else {
            buf[o++] = (unsigned char)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0)
        return -1;
    *out_len = o;
    return 0;
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int cli_unbase64(unsigned char *buf, size_t len, size_t *out_len)
{
    size_t o = 0, pad = 0;
    unsigned acc = 0, bits = 0;

    for (size_t i = 0; i < len; i++) {
        int v;
        if (is_space(buf[i]))
            continue;
        if (buf[i] == '=') {
            pad++;
            continue;
        }
        if (pad > 0 || (v = b64val(buf[i])) < 0)
            return -1; /* data after padding, or not base64 */
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* Leftover bits must be zero padding: 0, 2 or 4 of them. */
    if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0 || pad > 2)
        return -1;
    *out_len = o;
    return 0;
}

void cli_wipe_free(void *buf, size_t len)
{
    volatile unsigned char *p = buf;

    if (buf == NULL)
        return;
    while (len--)
        *p++ = 0;
    free(buf);
}
