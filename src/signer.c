/* Signer keys: an Ed25519 key pair whose secret half (libsodium's
 * 64-byte seed || public key) lives in guarded memory. */
#include "signer.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "secure.h"

#define SKBYTES 64U /* crypto_sign_SECRETKEYBYTES */

struct mqttseal_signer {
    unsigned char *sk; /* guarded: seed || pk */
    unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES];
    unsigned char id[MQTTSEAL_SIGNERIDBYTES];
};

void mqttseal_signer_id_of(unsigned char id[MQTTSEAL_SIGNERIDBYTES],
                           const unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES])
{
    unsigned char h[32];

    crypto_generichash(h, sizeof h, pk, MQTTSEAL_SIGN_PUBLICKEYBYTES, NULL, 0);
    memcpy(id, h, MQTTSEAL_SIGNERIDBYTES);
}

static int signer_alloc(mqttseal_signer **out)
{
    mqttseal_signer *s;

    if (mqttseal_init() != MQTTSEAL_OK) {
        return MQTTSEAL_E_CRYPTO;
    }
    if ((s = calloc(1, sizeof *s)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    if ((s->sk = ms_secure_alloc(SKBYTES)) == NULL) {
        free(s);
        return MQTTSEAL_E_NOMEM;
    }
    *out = s;
    return MQTTSEAL_OK;
}

int mqttseal_signer_from_seed(mqttseal_signer **out,
                              const unsigned char seed[MQTTSEAL_SIGN_SEEDBYTES])
{
    mqttseal_signer *s = NULL;
    int rc;

    if (out == NULL || seed == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    *out = NULL;
    if ((rc = signer_alloc(&s)) != MQTTSEAL_OK) {
        return rc;
    }
    crypto_sign_seed_keypair(s->pk, s->sk, seed);
    mqttseal_signer_id_of(s->id, s->pk);
    *out = s;
    return MQTTSEAL_OK;
}

int mqttseal_signer_generate(mqttseal_signer **out)
{
    unsigned char seed[MQTTSEAL_SIGN_SEEDBYTES];
    int rc;

    if (out == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    *out = NULL;
    if (mqttseal_init() != MQTTSEAL_OK) {
        return MQTTSEAL_E_CRYPTO;
    }
    randombytes_buf(seed, sizeof seed);
    rc = mqttseal_signer_from_seed(out, seed);
    sodium_memzero(seed, sizeof seed);
    return rc;
}

int ms_signer_copy(mqttseal_signer **out, const mqttseal_signer *s)
{
    mqttseal_signer *c = NULL;
    int rc = signer_alloc(&c);

    if (rc != MQTTSEAL_OK) {
        return rc;
    }
    memcpy(c->sk, s->sk, SKBYTES);
    memcpy(c->pk, s->pk, sizeof c->pk);
    memcpy(c->id, s->id, sizeof c->id);
    *out = c;
    return MQTTSEAL_OK;
}

void mqttseal_signer_free(mqttseal_signer *s)
{
    if (s == NULL) {
        return;
    }
    ms_secure_free(s->sk, SKBYTES);
    sodium_memzero(s, sizeof *s);
    free(s);
}

void mqttseal_signer_public_key(const mqttseal_signer *s,
                                unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES])
{
    if (s != NULL && pk != NULL) {
        memcpy(pk, s->pk, MQTTSEAL_SIGN_PUBLICKEYBYTES);
    }
}

void mqttseal_signer_id(const mqttseal_signer *s,
                        unsigned char id[MQTTSEAL_SIGNERIDBYTES])
{
    if (s != NULL && id != NULL) {
        memcpy(id, s->id, MQTTSEAL_SIGNERIDBYTES);
    }
}

const unsigned char *ms_signer_id_ref(const mqttseal_signer *s)
{
    return s->id;
}

void ms_signer_seed(const mqttseal_signer *s,
                    unsigned char seed[MQTTSEAL_SIGN_SEEDBYTES])
{
    memcpy(seed, s->sk, MQTTSEAL_SIGN_SEEDBYTES);
}

void ms_signer_sign(const mqttseal_signer *s,
                    unsigned char sig[MQTTSEAL_SIGNBYTES],
                    const unsigned char *m, size_t m_len)
{
    crypto_sign_detached(sig, NULL, m, m_len, s->sk);
}

int mqttseal_signer_export(const mqttseal_signer *s, char *out, size_t out_cap,
                           size_t *text_len)
{
    static const char pre[] = "signer ";
    char b64[sodium_base64_ENCODED_LEN(MQTTSEAL_SIGN_PUBLICKEYBYTES,
                                       sodium_base64_VARIANT_ORIGINAL)];
    size_t need;

    if (s == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    sodium_bin2base64(b64, sizeof b64, s->pk, sizeof s->pk,
                      sodium_base64_VARIANT_ORIGINAL);
    need = sizeof pre - 1 + strlen(b64) + 1;
    if (text_len != NULL) {
        *text_len = need;
    }
    if (out == NULL || out_cap <= need) {
        return MQTTSEAL_E_BUFFER;
    }
    memcpy(out, pre, sizeof pre - 1);
    memcpy(out + sizeof pre - 1, b64, need - sizeof pre);
    out[need - 1] = '\n';
    out[need] = '\0';
    return MQTTSEAL_OK;
}
