/*
 * Device keys (docs/FORMAT.md section 15): an X25519 key pair made from
 * a 32-byte seed (crypto_box_seed_keypair). The seed lives in guarded
 * memory; the device-key file is
 *     mqttseal-device 1
 *     secret <base64 of the seed>
 * mode 0600, owner-checked, written atomically, never quoted in a diag.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "device.h"
#include "secure.h"
#include "textfile.h"

#define HEADER "mqttseal-device 1"
#define SECRET "secret "
#define B64_LEN 44U

struct mqttseal_device {
    unsigned char *seed; /* guarded */
    unsigned char *sk;   /* guarded */
    unsigned char pk[MQTTSEAL_DEVICE_PUBLICKEYBYTES];
    unsigned char id[MQTTSEAL_DEVICEIDBYTES];
};

void mqttseal_device_id_of(
    unsigned char id[MQTTSEAL_DEVICEIDBYTES],
    const unsigned char pk[MQTTSEAL_DEVICE_PUBLICKEYBYTES])
{
    unsigned char h[32];

    crypto_generichash(h, sizeof h, pk, MQTTSEAL_DEVICE_PUBLICKEYBYTES, NULL,
                       0);
    memcpy(id, h, MQTTSEAL_DEVICEIDBYTES);
}

void mqttseal_device_free(mqttseal_device *d)
{
    if (d != NULL) {
        ms_secure_free(d->seed, MQTTSEAL_DEVICE_SEEDBYTES);
        ms_secure_free(d->sk, crypto_box_SECRETKEYBYTES);
        free(d);
    }
}

int mqttseal_device_from_seed(
    mqttseal_device **out, const unsigned char seed[MQTTSEAL_DEVICE_SEEDBYTES])
{
    mqttseal_device *d;

    if (out == NULL || seed == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    *out = NULL;
    if (mqttseal_init() != MQTTSEAL_OK) {
        return MQTTSEAL_E_CRYPTO;
    }
    if ((d = calloc(1, sizeof *d)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    d->seed = ms_secure_alloc(MQTTSEAL_DEVICE_SEEDBYTES);
    d->sk = ms_secure_alloc(crypto_box_SECRETKEYBYTES);
    if (d->seed == NULL || d->sk == NULL) {
        mqttseal_device_free(d);
        return MQTTSEAL_E_NOMEM;
    }
    memcpy(d->seed, seed, MQTTSEAL_DEVICE_SEEDBYTES);
    crypto_box_seed_keypair(d->pk, d->sk, seed);
    mqttseal_device_id_of(d->id, d->pk);
    *out = d;
    return MQTTSEAL_OK;
}

int mqttseal_device_generate(mqttseal_device **out)
{
    unsigned char seed[MQTTSEAL_DEVICE_SEEDBYTES];
    int rc;

    if (out == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    *out = NULL;
    if (mqttseal_init() != MQTTSEAL_OK) {
        return MQTTSEAL_E_CRYPTO;
    }
    randombytes_buf(seed, sizeof seed);
    rc = mqttseal_device_from_seed(out, seed);
    sodium_memzero(seed, sizeof seed);
    return rc;
}

void mqttseal_device_public_key(
    const mqttseal_device *d, unsigned char pk[MQTTSEAL_DEVICE_PUBLICKEYBYTES])
{
    memcpy(pk, d->pk, MQTTSEAL_DEVICE_PUBLICKEYBYTES);
}

const unsigned char *ms_device_id_ref(const mqttseal_device *d)
{
    return d->id;
}

int ms_device_open(const mqttseal_device *d, unsigned char *m,
                   const unsigned char *c, size_t c_len)
{
    return crypto_box_seal_open(m, c, c_len, d->pk, d->sk) == 0
               ? MQTTSEAL_OK
               : MQTTSEAL_E_AUTH;
}

static int is_blank(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && (s[i] == ' ' || s[i] == '\t')) {
        i++;
    }
    return i == n || s[i] == '#';
}

/* Lines: header, then one secret line; blanks and comments anywhere. */
static int parse(const char *text, size_t len, unsigned char *seed,
                 mqttseal_diag *diag)
{
    size_t pos = 0, bin_len = 0, sl = sizeof SECRET - 1;
    unsigned line = 0;
    int state = 0; /* 0: want header, 1: want secret, 2: done */

    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - text) : len;
        size_t n = end - pos;
        const char *s = text + pos, *e = NULL;
        if (n > 0 && s[n - 1] == '\r') {
            n--;
        }
        line++;
        pos = end + 1;
        if (memchr(s, '\0', n) != NULL) {
            return ms_diag_fail(diag, MQTTSEAL_E_TRUST_SYNTAX, line,
                                "NUL byte");
        }
        if (is_blank(s, n)) {
            continue;
        }
        if (state == 0) {
            if (n != sizeof HEADER - 1 || memcmp(s, HEADER, n) != 0) {
                return ms_diag_fail(diag, MQTTSEAL_E_TRUST_SYNTAX, line,
                                    "expected 'mqttseal-device 1'");
            }
            state = 1;
        } else if (state == 1 && n == sl + B64_LEN &&
                   memcmp(s, SECRET, sl) == 0 &&
                   sodium_base642bin(seed, MQTTSEAL_DEVICE_SEEDBYTES, s + sl,
                                     B64_LEN, NULL, &bin_len, &e,
                                     sodium_base64_VARIANT_ORIGINAL) == 0 &&
                   bin_len == MQTTSEAL_DEVICE_SEEDBYTES && e == s + n) {
            state = 2;
        } else {
            return ms_diag_fail(diag, MQTTSEAL_E_TRUST_SYNTAX, line,
                                state == 1 ? "expected 'secret <base64 seed>'"
                                           : "unexpected line");
        }
    }
    return state == 2 ? MQTTSEAL_OK
                      : ms_diag_fail(diag, MQTTSEAL_E_TRUST_SYNTAX, 0,
                                     "no secret line");
}

int mqttseal_device_load_file(mqttseal_device **out, const char *path,
                              mqttseal_diag *diag)
{
    unsigned char seed[MQTTSEAL_DEVICE_SEEDBYTES];
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
        rc = parse(buf, len, seed, diag);
    }
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_device_from_seed(out, seed);
    }
    sodium_memzero(seed, sizeof seed);
    ms_secure_free(buf, cap);
    return rc;
}

int mqttseal_device_save_file(const mqttseal_device *d, const char *path)
{
    static const char head[] =
        HEADER "\n# written by mqttseal " MQTTSEAL_VERSION_STRING
               "; secret: keep it mode 0600\n" SECRET;
    const size_t hl = sizeof head - 1, cap = hl + B64_LEN + 2;
    char *text;
    int rc;

    if (d == NULL || path == NULL || path[0] == '\0') {
        return MQTTSEAL_E_INVALID;
    }
    if ((text = ms_secure_alloc(cap)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    memcpy(text, head, hl);
    sodium_bin2base64(text + hl, B64_LEN + 1, d->seed,
                      MQTTSEAL_DEVICE_SEEDBYTES,
                      sodium_base64_VARIANT_ORIGINAL);
    text[hl + B64_LEN] = '\n';
    rc = ms_write_atomic(path, text, hl + B64_LEN + 1);
    ms_secure_free(text, cap);
    return rc;
}
