/*
 * Trust-list text and files (docs/FORMAT.md section 14):
 *     mqttseal-trust 1
 *     signer <name> <base64 public key> <filter>... [expires=<UTC time>]
 *     require <filter>
 * Errors name the line. The file is public data but must not be writable
 * by anyone but its owner (the caller or root).
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomicfile.h"
#include "secure.h"
#include "textfile.h"
#include "trust.h"
#include "trust_internal.h"
#include "utctime.h"

#define HEADER_WORD "mqttseal-trust"
#define EXPIRES "expires="
#define B64_LEN 44U
#define QUOTE_MAX 60

typedef struct tparser {
    mqttseal_trust *t;
    mqttseal_diag *diag;
    unsigned line;
    int have_header;
    ms_filter *f; /* the current line's fields */
    size_t nf, cap;
} tparser;

MS_DIAG_PRINTF(2, 3)
static int syntax(const tparser *p, const char *fmt, ...)
{
    char msg[sizeof p->diag->message];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ms_diag_fail(p->diag, MQTTSEAL_E_TRUST_SYNTAX, p->line, "%s", msg);
}

static int is_word(const ms_filter *f, const char *w)
{
    return f->n == strlen(w) && memcmp(f->s, w, f->n) == 0;
}

/* Split at runs of spaces and tabs into p->f (grown as needed). */
static int split(tparser *p, const char *s, size_t n)
{
    size_t i = 0;

    p->nf = 0;
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t')) {
            i++;
        }
        if (i == n) {
            return MQTTSEAL_OK;
        }
        if (p->nf == p->cap) {
            size_t nc = p->cap != 0 ? p->cap * 2 : 8;
            ms_filter *nfp = realloc(p->f, nc * sizeof *nfp);
            if (nfp == NULL) {
                return ms_diag_fail(p->diag, MQTTSEAL_E_NOMEM, p->line,
                                    "out of memory");
            }
            p->f = nfp;
            p->cap = nc;
        }
        p->f[p->nf].s = (char *)(uintptr_t)(s + i);
        while (i < n && s[i] != ' ' && s[i] != '\t') {
            i++;
        }
        p->f[p->nf].n = (size_t)(s + i - p->f[p->nf].s);
        p->nf++;
    }
}

static int b64_pk(const ms_filter *f, unsigned char pk[32])
{
    size_t bin_len = 0;
    const char *end = NULL;

    return f->n == B64_LEN &&
           sodium_base642bin(pk, 32, f->s, f->n, NULL, &bin_len, &end,
                             sodium_base64_VARIANT_ORIGINAL) == 0 &&
           bin_len == 32 && end == f->s + f->n;
}

static int is_expiry(const ms_filter *f)
{
    return f->n >= sizeof EXPIRES - 1 &&
           memcmp(f->s, EXPIRES, sizeof EXPIRES - 1) == 0;
}

static int parse_expiry(const tparser *p, const ms_filter *f, int64_t *out)
{
    const size_t pl = sizeof EXPIRES - 1;
    int r = ms_utc_parse(f->s + pl, f->n - pl, out);

    if (r == -1) {
        return syntax(p, "bad expiry (need expires=YYYY-MM-DDTHH:MM:SSZ, "
                         "UTC)");
    }
    if (r == -2) {
        return syntax(p, "bad expiry %.*s: not a valid UTC time after 1970",
                      (int)(f->n - pl), f->s + pl);
    }
    return MQTTSEAL_OK;
}

static int check_filters(const tparser *p, const ms_filter *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ms_mqtt_filter_check(f[i].s, f[i].n) != MQTTSEAL_OK) {
            return syntax(p,
                          "malformed MQTT filter '%.*s%s' ('+' and '#' "
                          "only as whole levels, '#' only last)",
                          (int)(f[i].n > QUOTE_MAX ? QUOTE_MAX : f[i].n),
                          f[i].s, f[i].n > QUOTE_MAX ? "..." : "");
        }
    }
    return MQTTSEAL_OK;
}

static int add_signer(const tparser *p, const ms_filter *name,
                      const unsigned char *pk, const ms_filter *filters,
                      size_t nfilters, int64_t expires)
{
    int rc =
        ms_trust_add_n(p->t, name->s, name->n, pk, filters, nfilters, expires);

    if (rc == MQTTSEAL_E_DUPLICATE_KEY) {
        return syntax(p, "signer %.*s: this public key is already listed",
                      (int)name->n, name->s);
    }
    if (rc == MQTTSEAL_E_NOMEM) {
        return ms_diag_fail(p->diag, rc, p->line, "out of memory");
    }
    return rc == MQTTSEAL_OK ? rc : syntax(p, "cannot add this signer");
}

static int parse_signer(tparser *p)
{
    unsigned char pk[32];
    int64_t expires = 0;
    size_t nfilters = p->nf - 3;
    int rc;

    if (p->nf >= 4 && is_expiry(&p->f[p->nf - 1])) {
        nfilters--;
    }
    if (p->nf < 4 || nfilters == 0) {
        return syntax(p, "a signer line is: signer <name> <base64 public "
                         "key> <filter>... [expires=...]");
    }
    if (!ms_trust_name_ok(p->f[1].s, p->f[1].n)) {
        return syntax(p, "signer name must be 1 to 64 of A-Z a-z 0-9 . _ -");
    }
    if (!b64_pk(&p->f[2], pk)) {
        return syntax(p, "bad base64 public key (need 44 characters "
                         "encoding 32 bytes)");
    }
    if ((rc = check_filters(p, p->f + 3, nfilters)) != MQTTSEAL_OK) {
        return rc;
    }
    if (nfilters + 3 < p->nf &&
        (rc = parse_expiry(p, &p->f[p->nf - 1], &expires)) != MQTTSEAL_OK) {
        return rc;
    }
    return add_signer(p, &p->f[1], pk, p->f + 3, nfilters, expires);
}

static int parse_require(tparser *p)
{
    int rc;

    if (p->nf != 2) {
        return syntax(p, "a require line is: require <filter>");
    }
    if ((rc = check_filters(p, &p->f[1], 1)) != MQTTSEAL_OK) {
        return rc;
    }
    rc = ms_trust_require_n(p->t, p->f[1].s, p->f[1].n);
    return rc == MQTTSEAL_OK
               ? rc
               : ms_diag_fail(p->diag, rc, p->line, "out of memory");
}

static int parse_header(tparser *p)
{
    if (p->nf == 2 && is_word(&p->f[0], HEADER_WORD) &&
        is_word(&p->f[1], "1")) {
        p->have_header = 1;
        return MQTTSEAL_OK;
    }
    if (p->nf == 2 && is_word(&p->f[0], HEADER_WORD)) {
        return syntax(p, "unsupported trust-list version (this library "
                         "reads 'mqttseal-trust 1')");
    }
    return syntax(p, "missing header: the first line that is not a comment "
                     "must be 'mqttseal-trust 1'");
}

static int parse_line(tparser *p, const char *s, size_t n)
{
    int rc;

    if (memchr(s, '\0', n) != NULL) {
        return syntax(p, "NUL byte in trust-list text");
    }
    if ((rc = split(p, s, n)) != MQTTSEAL_OK) {
        return rc;
    }
    if (p->nf == 0 || p->f[0].s[0] == '#') {
        return MQTTSEAL_OK;
    }
    if (!p->have_header) {
        return parse_header(p);
    }
    if (is_word(&p->f[0], "signer")) {
        return parse_signer(p);
    }
    if (is_word(&p->f[0], "require")) {
        return parse_require(p);
    }
    return syntax(p, "unknown keyword (expected 'signer' or 'require')");
}

static int parse_text(tparser *p, const char *text, size_t len)
{
    size_t pos = 0;
    int rc = MQTTSEAL_OK;

    while (rc == MQTTSEAL_OK && pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - text) : len;
        size_t n = end - pos;
        if (n > 0 && text[end - 1] == '\r') {
            n--;
        }
        p->line++;
        rc = parse_line(p, text + pos, n);
        pos = end + 1;
    }
    if (rc == MQTTSEAL_OK && !p->have_header) {
        rc = ms_diag_fail(p->diag, MQTTSEAL_E_TRUST_SYNTAX, 0,
                          "missing header 'mqttseal-trust 1' (the text is "
                          "empty or only comments)");
    }
    return rc;
}

int mqttseal_trust_load_string(mqttseal_trust **out, const char *text,
                               size_t text_len, mqttseal_diag *diag)
{
    tparser p;
    int rc;

    memset(&p, 0, sizeof p);
    p.diag = diag;
    if (diag != NULL) {
        memset(diag, 0, sizeof *diag);
    }
    if (out == NULL || (text == NULL && text_len > 0)) {
        return ms_diag_fail(diag, MQTTSEAL_E_INVALID, 0, "invalid argument");
    }
    *out = NULL;
    if ((rc = mqttseal_trust_new(&p.t)) != MQTTSEAL_OK) {
        return ms_diag_fail(diag, rc, 0, "out of memory");
    }
    rc = parse_text(&p, text, text_len);
    free(p.f);
    if (rc != MQTTSEAL_OK) {
        mqttseal_trust_free(p.t);
        return rc;
    }
    *out = p.t;
    return MQTTSEAL_OK;
}

int mqttseal_trust_load_file(mqttseal_trust **out, const char *path,
                             mqttseal_diag *diag)
{
    char *buf = NULL;
    size_t cap = 0, len = 0;
    int rc;

    if (diag != NULL) {
        memset(diag, 0, sizeof *diag);
    }
    if (out == NULL || path == NULL) {
        return ms_diag_fail(diag, MQTTSEAL_E_INVALID, 0, "invalid argument");
    }
    *out = NULL;
    rc = ms_file_read(path, MS_FILE_PUBLIC, &buf, &cap, &len, diag);
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_trust_load_string(out, buf, len, diag);
    }
    ms_secure_free(buf, cap);
    return rc;
}

/* ---- Writing ---------------------------------------------------------- */

/* With out == NULL only the length is counted (as keyring_text.c). */
typedef struct writer {
    char *out;
    size_t len;
} writer;

static void put(writer *w, const char *s, size_t n)
{
    if (w->out != NULL) {
        memcpy(w->out + w->len, s, n);
    }
    w->len += n;
}

static void puts_(writer *w, const char *s)
{
    put(w, s, strlen(s));
}

static void put_signer(writer *w, const ms_tsigner *e)
{
    char b64[B64_LEN + 1];

    sodium_bin2base64(b64, sizeof b64, e->pk, sizeof e->pk,
                      sodium_base64_VARIANT_ORIGINAL);
    puts_(w, "signer ");
    puts_(w, e->name);
    put(w, " ", 1);
    put(w, b64, B64_LEN);
    for (size_t i = 0; i < e->nfilters; i++) {
        put(w, " ", 1);
        put(w, e->filters[i].s, e->filters[i].n);
    }
    if (e->expires != 0) {
        char t[MS_UTC_LEN + 1];
        ms_utc_format(t, e->expires);
        puts_(w, " " EXPIRES);
        put(w, t, MS_UTC_LEN);
    }
    put(w, "\n", 1);
}

static void emit(writer *w, const mqttseal_trust *t)
{
    puts_(w, HEADER_WORD " 1\n# written by mqttseal " MQTTSEAL_VERSION_STRING
                         "\n");
    for (size_t i = 0; i < t->count; i++) {
        put_signer(w, &t->signers[i]);
    }
    for (size_t i = 0; i < t->nrequire; i++) {
        puts_(w, "require ");
        put(w, t->require[i].s, t->require[i].n);
        put(w, "\n", 1);
    }
}

/* A filter must be one field, and a last one must not read as expiry. */
static int field_ok(const ms_filter *f, int last)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strchr(" \t\r\n", f->s[i]) != NULL) {
            return 0;
        }
    }
    return !(last && is_expiry(f));
}

static int writable(const mqttseal_trust *t)
{
    for (size_t i = 0; i < t->count; i++) {
        const ms_tsigner *e = &t->signers[i];
        for (size_t k = 0; k < e->nfilters; k++) {
            if (!field_ok(&e->filters[k], k + 1 == e->nfilters)) {
                return 0;
            }
        }
        if (e->expires > MS_UTC_MAX) {
            return 0;
        }
    }
    for (size_t i = 0; i < t->nrequire; i++) {
        if (!field_ok(&t->require[i], 0)) {
            return 0;
        }
    }
    return 1;
}

int mqttseal_trust_to_string(const mqttseal_trust *t, char *out, size_t out_cap,
                             size_t *text_len)
{
    writer w = {NULL, 0};

    if (t == NULL || !writable(t)) {
        return MQTTSEAL_E_INVALID;
    }
    emit(&w, t);
    if (text_len != NULL) {
        *text_len = w.len;
    }
    if (out == NULL || out_cap <= w.len) {
        return MQTTSEAL_E_BUFFER;
    }
    w = (writer){out, 0};
    emit(&w, t);
    out[w.len] = '\0';
    return MQTTSEAL_OK;
}

int mqttseal_trust_save_file(const mqttseal_trust *t, const char *path)
{
    size_t len = 0;
    char *text;
    int rc;

    if (t == NULL || path == NULL || path[0] == '\0') {
        return MQTTSEAL_E_INVALID;
    }
    if ((rc = mqttseal_trust_to_string(t, NULL, 0, &len)) !=
        MQTTSEAL_E_BUFFER) {
        return rc;
    }
    if ((text = malloc(len + 1)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    rc = mqttseal_trust_to_string(t, text, len + 1, &len);
    if (rc == MQTTSEAL_OK) {
        rc = ms_write_atomic(path, text, len);
    }
    /* Public data: readable by all, writable by its owner only. */
    if (rc == MQTTSEAL_OK && chmod(path, 0644) != 0) {
        rc = MQTTSEAL_E_IO;
    }
    free(text);
    return rc;
}
