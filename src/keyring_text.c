/*
 * Keyring text: parsing and writing (docs/FORMAT.md section 7). The file
 * side (permissions, atomic writes) is in keyring_file.c.
 *
 * Diagnostics never quote a field that could hold key material: the
 * base64 field is never echoed, and other fields only when they cannot
 * be a misplaced key (see looks_like_key), since users paste diag messages
 * into tickets and logs. Buffers that hold the text are wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "keyring_internal.h"
#include "secure.h"
#include "utctime.h"

#define HEADER_WORD "mqttseal-keyring"
#define B64_LEN 44U   /* 32 bytes, standard base64 with padding */
#define MAX_FIELDS 6U /* one more than a key line can have */

#if defined(__GNUC__) || defined(__clang__)
#define MS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define MS_PRINTF(f, a)
#endif

typedef struct field {
    const char *p;
    size_t n;
} field;

typedef struct parser {
    mqttseal_keyring *kr;
    mqttseal_diag *diag;
    unsigned line; /* 1-based number of the current line */
    int have_header;
    unsigned primary_line; /* 0 until a primary line is seen */
    uint32_t primary_id;
} parser;

MS_PRINTF(4, 0)
static int vfail(mqttseal_diag *diag, int rc, unsigned line, const char *fmt,
                 va_list ap)
{
    int n = 0;

    if (diag == NULL)
        return rc;
    diag->line = line;
    if (line > 0)
        n = snprintf(diag->message, sizeof diag->message, "line %u: ", line);
    vsnprintf(diag->message + n, sizeof diag->message - (size_t)n, fmt, ap);
    return rc;
}

int ms_keyring_fail(mqttseal_diag *diag, int rc, unsigned line, const char *fmt,
                    ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(diag, rc, line, fmt, ap);
    va_end(ap);
    return rc;
}

/* A syntax error on the current line. */
MS_PRINTF(2, 3)
static int syntax(const parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(p->diag, MQTTSEAL_E_KEYRING_SYNTAX, p->line, fmt, ap);
    va_end(ap);
    return MQTTSEAL_E_KEYRING_SYNTAX;
}

static int field_is(field f, const char *word)
{
    return f.n == strlen(word) && memcmp(f.p, word, f.n) == 0;
}

/* Split at runs of spaces and tabs; returns MAX_FIELDS for "too many". */
static size_t split(const char *s, size_t n, field f[MAX_FIELDS])
{
    size_t nf = 0, i = 0;

    while (nf < MAX_FIELDS) {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == n)
            break;
        f[nf].p = s + i;
        while (i < n && s[i] != ' ' && s[i] != '\t')
            i++;
        f[nf].n = (size_t)(s + i - f[nf].p);
        nf++;
    }
    return nf;
}

/* Decimal, 0..4294967295, no sign, no leading zeros. */
static int parse_id(field f, uint32_t *id)
{
    uint64_t v = 0;

    if (f.n == 0 || f.n > 10 || (f.n > 1 && f.p[0] == '0'))
        return -1;
    for (size_t i = 0; i < f.n; i++) {
        if (f.p[i] < '0' || f.p[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(f.p[i] - '0');
    }
    if (v > UINT32_MAX)
        return -1;
    *id = (uint32_t)v;
    return 0;
}

static int parse_expiry(parser *p, field f, int64_t *expires)
{
    static const char pre[] = "expires=";
    const size_t pl = sizeof pre - 1;

    if (f.n < pl || memcmp(f.p, pre, pl) != 0)
        return syntax(p, "the field after the key must be "
                         "expires=YYYY-MM-DDTHH:MM:SSZ");
    int r = ms_utc_parse(f.p + pl, f.n - pl, expires);
    if (r == -1)
        return syntax(p, "bad expiry (need expires=YYYY-MM-DDTHH:MM:SSZ, UTC)");
    if (r == -2) /* the shape is checked, so quoting it shows no key */
        return syntax(p, "bad expiry %.*s: not a valid UTC time after 1970",
                      (int)(f.n - pl), f.p + pl);
    return MQTTSEAL_OK;
}

/* Exactly 44 characters of standard padded base64 encoding 32 bytes,
 * with nothing left over (sodium_base642bin alone would stop early). */
static int b64_key(field f, unsigned char key[MQTTSEAL_KEYBYTES])
{
    size_t bin_len = 0;
    const char *end = NULL;

    return f.n == B64_LEN &&
           sodium_base642bin(key, MQTTSEAL_KEYBYTES, f.p, f.n, NULL, &bin_len,
                             &end, sodium_base64_VARIANT_ORIGINAL) == 0 &&
           bin_len == MQTTSEAL_KEYBYTES && end == f.p + f.n;
}

/* A filter is quoted in a message unless it decodes as a key, which
 * would mean the fields were swapped and the "filter" is a secret. */
static int looks_like_key(field f)
{
    unsigned char tmp[MQTTSEAL_KEYBYTES];
    int r = b64_key(f, tmp);
    sodium_memzero(tmp, sizeof tmp);
    return r;
}

static int check_filter(parser *p, field f)
{
    int rc = ms_filter_parse(f.p, f.n, NULL, NULL);
    if (rc == MQTTSEAL_E_FILTER_PLUS)
        return ms_keyring_fail(
            p->diag, rc, p->line,
            "'+' in a filter cannot be granted as one key; grant "
            "each concrete topic instead");
    if (rc != MQTTSEAL_OK)
        return ms_keyring_fail(
            p->diag, rc, p->line,
            "malformed filter (use #, P/# or an exact topic; '#' "
            "only as the whole last level)");
    return MQTTSEAL_OK;
}

static int add_error(parser *p, int rc, uint32_t id, field filter)
{
    if (rc == MQTTSEAL_E_DUPLICATE_KEY && !looks_like_key(filter))
        return ms_keyring_fail(
            p->diag, rc, p->line, "duplicate key %lu for filter %.*s%s",
            (unsigned long)id, (int)(filter.n > 80 ? 77 : filter.n), filter.p,
            filter.n > 80 ? "..." : "");
    if (rc == MQTTSEAL_E_DUPLICATE_KEY)
        return ms_keyring_fail(p->diag, rc, p->line,
                               "duplicate key %lu for the same filter",
                               (unsigned long)id);
    if (rc == MQTTSEAL_E_NOMEM)
        return ms_keyring_fail(p->diag, rc, p->line, "out of memory");
    return ms_keyring_fail(p->diag, rc, p->line, "cannot add this key");
}

static int parse_key(parser *p, const field *f, size_t nf)
{
    unsigned char key[MQTTSEAL_KEYBYTES];
    int64_t expires = 0;
    uint32_t id;
    int rc;

    if (nf != 4 && nf != 5)
        return syntax(p, "a key line has 4 or 5 fields: key <id> <filter> "
                         "<base64-key> [expires=...]");
    if (parse_id(f[1], &id) != 0)
        return syntax(p,
                      "key id must be a decimal number from 0 to 4294967295");
    if ((rc = check_filter(p, f[2])) != MQTTSEAL_OK)
        return rc;
    rc = b64_key(f[3], key) ? MQTTSEAL_OK
                            : syntax(p, "bad base64 key (need 44 characters "
                                        "encoding 32 bytes)");
    if (rc == MQTTSEAL_OK && nf == 5)
        rc = parse_expiry(p, f[4], &expires);
    if (rc == MQTTSEAL_OK) {
        rc = ms_keyring_add_n(p->kr, id, f[2].p, f[2].n, key, expires);
        if (rc != MQTTSEAL_OK)
            rc = add_error(p, rc, id, f[2]);
    }
    sodium_memzero(key, sizeof key);
    return rc;
}

static int parse_primary(parser *p, const field *f, size_t nf)
{
    if (nf != 2)
        return syntax(p, "a primary line has one key id: primary <key_id>");
    if (p->primary_line != 0)
        return syntax(p, "second primary line (the first is line %u)",
                      p->primary_line);
    if (parse_id(f[1], &p->primary_id) != 0)
        return syntax(p,
                      "key id must be a decimal number from 0 to 4294967295");
    p->primary_line = p->line;
    return MQTTSEAL_OK;
}

static int parse_header(parser *p, const field *f, size_t nf)
{
    if (nf == 2 && field_is(f[0], HEADER_WORD) && field_is(f[1], "1")) {
        p->have_header = 1;
        return MQTTSEAL_OK;
    }
    if (nf == 2 && field_is(f[0], HEADER_WORD))
        return syntax(p, "unsupported keyring version (this library reads "
                         "'mqttseal-keyring 1')");
    return syntax(p, "missing header: the first line that is not a comment "
                     "must be 'mqttseal-keyring 1'");
}

/* Quote an unknown keyword only if it is short and plain, so that a key
 * pasted on a line of its own is never echoed. */
static int unknown_keyword(parser *p, field f)
{
    int plain = f.n <= 16;
    for (size_t i = 0; plain && i < f.n; i++)
        plain =
            (f.p[i] >= 'a' && f.p[i] <= 'z') || f.p[i] == '-' || f.p[i] == '_';
    if (plain)
        return syntax(p, "unknown keyword '%.*s' (expected 'key' or 'primary')",
                      (int)f.n, f.p);
    return syntax(p, "unknown keyword (expected 'key' or 'primary')");
}

static int parse_line(parser *p, const char *s, size_t n)
{
    field f[MAX_FIELDS];

    if (memchr(s, '\0', n) != NULL)
        return syntax(p, "NUL byte in keyring text");
    size_t nf = split(s, n, f);
    if (nf == 0 || f[0].p[0] == '#') /* blank line or comment */
        return MQTTSEAL_OK;
    if (!p->have_header)
        return parse_header(p, f, nf);
    if (field_is(f[0], "key"))
        return parse_key(p, f, nf);
    if (field_is(f[0], "primary"))
        return parse_primary(p, f, nf);
    if (field_is(f[0], HEADER_WORD))
        return syntax(p, "second 'mqttseal-keyring' header");
    return unknown_keyword(p, f[0]);
}

static int parse_text(parser *p, const char *text, size_t len)
{
    size_t pos = 0;

    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - text) : len;
        size_t n = end - pos;
        if (n > 0 && text[end - 1] == '\r') /* CRLF line ending */
            n--;
        p->line++;
        int rc = parse_line(p, text + pos, n);
        if (rc != MQTTSEAL_OK)
            return rc;
        pos = end + 1;
    }
    if (!p->have_header)
        return ms_keyring_fail(
            p->diag, MQTTSEAL_E_KEYRING_SYNTAX, 0,
            "missing header 'mqttseal-keyring 1' (the text is empty "
            "or only comments)");
    /* Checked only now: the primary line may come before its key. */
    if (p->primary_line != 0 &&
        mqttseal_keyring_set_primary(p->kr, p->primary_id) != MQTTSEAL_OK)
        return ms_keyring_fail(
            p->diag, MQTTSEAL_E_KEYRING_SYNTAX, p->primary_line,
            "primary names key id %lu, which no key line has",
            (unsigned long)p->primary_id);
    return MQTTSEAL_OK;
}

int mqttseal_keyring_load_string(mqttseal_keyring **out, const char *text,
                                 size_t text_len, mqttseal_diag *diag)
{
    parser p = {NULL, diag, 0, 0, 0, 0};

    if (diag != NULL)
        memset(diag, 0, sizeof *diag);
    if (out == NULL || (text == NULL && text_len > 0))
        return ms_keyring_fail(diag, MQTTSEAL_E_INVALID, 0, "invalid argument");
    *out = NULL;
    int rc = mqttseal_keyring_new(&p.kr);
    if (rc != MQTTSEAL_OK)
        return ms_keyring_fail(diag, rc, 0, "out of memory");
    rc = parse_text(&p, text, text_len);
    if (rc != MQTTSEAL_OK) {
        mqttseal_keyring_free(p.kr);
        return rc;
    }
    *out = p.kr;
    return MQTTSEAL_OK;
}

/* ---- Writing ---------------------------------------------------------- */

/* With out == NULL only the length is counted: to_string measures in a
 * first pass and writes in a second, so nothing is written on E_BUFFER. */
typedef struct writer {
    char *out;
    size_t len;
} writer;

static void put(writer *w, const char *s, size_t n)
{
    if (w->out != NULL)
        memcpy(w->out + w->len, s, n);
    w->len += n;
}

MS_PRINTF(2, 3)
static void putf(writer *w, const char *fmt, ...)
{
    char buf[64];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put(w, buf, n > 0 ? (size_t)n : 0);
}

static void put_key(writer *w, const unsigned char key[MQTTSEAL_KEYBYTES])
{
    char b64[B64_LEN + 1];

    if (w->out == NULL) {
        w->len += B64_LEN;
        return;
    }
    sodium_bin2base64(b64, sizeof b64, key, MQTTSEAL_KEYBYTES,
                      sodium_base64_VARIANT_ORIGINAL);
    put(w, b64, B64_LEN);
    sodium_memzero(b64, sizeof b64);
}

static void put_entry(writer *w, const mqttseal_keyring *kr, size_t i)
{
    const ms_entry *e = &kr->entries[i];

    putf(w, "key %lu ", (unsigned long)e->key_id);
    put(w, e->filter, e->filter_len);
    put(w, " ", 1);
    put_key(w, ms_entry_key(kr, i));
    if (e->expires != 0) {
        char t[MS_UTC_LEN + 1];
        ms_utc_format(t, e->expires);
        putf(w, " expires=%s", t);
    }
    put(w, "\n", 1);
}

static void emit(writer *w, const mqttseal_keyring *kr)
{
    static const char head[] =
        HEADER_WORD " 1\n"
                    "# written by mqttseal " MQTTSEAL_VERSION_STRING
                    "; secret: keep it mode 0600\n";

    put(w, head, sizeof head - 1);
    if (kr->has_primary)
        putf(w, "primary %lu\n", (unsigned long)kr->primary);
    for (size_t i = 0; i < kr->count; i++)
        put_entry(w, kr, i);
}

/* A filter is one field of a line: an MQTT topic may hold spaces, tabs
 * or a line feed, which the text format cannot. A CR inside a field is
 * data (only a CR right before the LF ends a line, and the key field
 * always follows the filter), and the parser accepts it, so it must be
 * written too: every keyring that loads can be saved. */
static int writable(const ms_entry *e)
{
    for (size_t i = 0; i < e->filter_len; i++) {
        char c = e->filter[i];
        if (c == ' ' || c == '\t' || c == '\n')
            return 0;
    }
    return 1;
}

int mqttseal_keyring_to_string(const mqttseal_keyring *kr, char *out,
                               size_t out_cap, size_t *text_len)
{
    writer w = {NULL, 0};

    if (kr == NULL)
        return MQTTSEAL_E_INVALID;
    for (size_t i = 0; i < kr->count; i++)
        if (!writable(&kr->entries[i]))
            return MQTTSEAL_E_INVALID;
    emit(&w, kr);
    if (text_len != NULL)
        *text_len = w.len;
    if (out == NULL || out_cap <= w.len)
        return MQTTSEAL_E_BUFFER;
    w = (writer){out, 0};
    emit(&w, kr);
    out[w.len] = '\0';
    return MQTTSEAL_OK;
}
