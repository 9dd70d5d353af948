/*
 * Signer-key text and files (docs/FORMAT.md section 14):
 *     mqttseal-signer 1
 *     secret <base64 of the 32-byte Ed25519 seed>
 * Secret: the file is mode 0600, owner-checked, written atomically, and
 * no diagnostic ever quotes a field of it.
 */
#include <sodium.h>
#include <string.h>

#include "atomicfile.h"
#include "secure.h"
#include "signer.h"
#include "textfile.h"

#define HEADER "mqttseal-signer 1"
#define SECRET "secret "
#define B64_LEN 44U /* 32 bytes, standard padded base64 */

typedef struct sparser {
    mqttseal_diag *diag;
    unsigned line;
    int have_header;
    int have_secret;
    unsigned char seed[MQTTSEAL_SIGN_SEEDBYTES];
} sparser;

static int syntax(const sparser *p, const char *what)
{
    return ms_diag_fail(p->diag, MQTTSEAL_E_TRUST_SYNTAX, p->line, "%s", what);
}

static int b64_seed(const char *s, size_t n,
                    unsigned char seed[MQTTSEAL_SIGN_SEEDBYTES])
{
    size_t bin_len = 0;
    const char *end = NULL;

    return n == B64_LEN &&
           sodium_base642bin(seed, MQTTSEAL_SIGN_SEEDBYTES, s, n, NULL,
                             &bin_len, &end,
                             sodium_base64_VARIANT_ORIGINAL) == 0 &&
           bin_len == MQTTSEAL_SIGN_SEEDBYTES && end == s + n;
}

static int is_blank(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && (s[i] == ' ' || s[i] == '\t')) {
        i++;
    }
    return i == n || s[i] == '#';
}

static int parse_line(sparser *p, const char *s, size_t n)
{
    const size_t sl = sizeof SECRET - 1;

    if (memchr(s, '\0', n) != NULL) {
        return syntax(p, "NUL byte in signer-key text");
    }
    if (is_blank(s, n)) {
        return MQTTSEAL_OK;
    }
    if (!p->have_header) {
        p->have_header = n == sizeof HEADER - 1 && memcmp(s, HEADER, n) == 0;
        return p->have_header ? MQTTSEAL_OK
                              : syntax(p, "the first line that is not a "
                                          "comment must be 'mqttseal-signer "
                                          "1'");
    }
    if (n < sl || memcmp(s, SECRET, sl) != 0) {
        return syntax(p, "expected 'secret <base64 seed>'");
    }
    if (p->have_secret) {
        return syntax(p, "second secret line");
    }
    if (!b64_seed(s + sl, n - sl, p->seed)) {
        return syntax(p, "bad base64 secret (need 44 characters encoding 32 "
                         "bytes)");
    }
    p->have_secret = 1;
    return MQTTSEAL_OK;
}

static int parse_text(sparser *p, const char *text, size_t len)
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
    if (rc == MQTTSEAL_OK && !p->have_secret) {
        p->line = 0;
        rc = syntax(p, p->have_header ? "no secret line"
                                      : "missing header 'mqttseal-signer 1'");
    }
    return rc;
}

int mqttseal_signer_load_string(mqttseal_signer **out, const char *text,
                                size_t text_len, mqttseal_diag *diag)
{
    sparser p;
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
    rc = parse_text(&p, text, text_len);
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_signer_from_seed(out, p.seed);
    }
    sodium_memzero(p.seed, sizeof p.seed);
    return rc;
}

int mqttseal_signer_load_file(mqttseal_signer **out, const char *path,
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
    rc = ms_file_read(path, MS_FILE_SECRET, &buf, &cap, &len, diag);
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_signer_load_string(out, buf, len, diag);
    }
    ms_secure_free(buf, cap); /* wipes; NULL is fine */
    return rc;
}

int mqttseal_signer_save_file(const mqttseal_signer *s, const char *path)
{
    static const char head[] =
        HEADER "\n# written by mqttseal " MQTTSEAL_VERSION_STRING
               "; secret: keep it mode 0600\n" SECRET;
    const size_t hl = sizeof head - 1, cap = hl + B64_LEN + 2;
    unsigned char seed[MQTTSEAL_SIGN_SEEDBYTES];
    char *text;
    int rc;

    if (s == NULL || path == NULL || path[0] == '\0') {
        return MQTTSEAL_E_INVALID;
    }
    if ((text = ms_secure_alloc(cap)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    memcpy(text, head, hl);
    ms_signer_seed(s, seed);
    sodium_bin2base64(text + hl, B64_LEN + 1, seed, sizeof seed,
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(seed, sizeof seed);
    text[hl + B64_LEN] = '\n';
    rc = ms_write_atomic(path, text, hl + B64_LEN + 1);
    ms_secure_free(text, cap);
    return rc;
}
