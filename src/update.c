/*
 * Keyring updates (docs/FORMAT.md section 15): a keyring sealed to one
 * device with crypto_box_seal and signed by an operator's Ed25519 signer
 * over a domain string and every byte before the signature.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "secure.h"
#include "signer.h"
#include "textfile.h"
#include "trust_internal.h"

#define MAGIC "MSKU"
#define FORMAT 1U
#define DOMAIN "mqttseal-update-v1"
#define SEALBYTES 48U /* crypto_box_SEALBYTES */
#define SIGBYTES 64U

static void put_be(unsigned char *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (unsigned char)(v >> (8U * (n - 1U - i)));
    }
}

static uint64_t get_be(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* The signed message: DOMAIN (with its NUL) then body. */
static int signed_msg(unsigned char **m, size_t *m_len,
                      const unsigned char *body, size_t body_len)
{
    *m_len = sizeof DOMAIN + body_len;
    if ((*m = malloc(*m_len)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    memcpy(*m, DOMAIN, sizeof DOMAIN);
    memcpy(*m + sizeof DOMAIN, body, body_len);
    return MQTTSEAL_OK;
}

static int sign_into(unsigned char *out, size_t body_len,
                     const mqttseal_signer *op)
{
    unsigned char *m;
    size_t m_len;
    int rc = signed_msg(&m, &m_len, out, body_len);

    if (rc == MQTTSEAL_OK) {
        ms_signer_sign(op, out + body_len, m, m_len);
        free(m);
    }
    return rc;
}

static int keyring_text(const mqttseal_keyring *kr, char **text, size_t *cap,
                        size_t *len)
{
    int rc = mqttseal_keyring_to_string(kr, NULL, 0, len);

    if (rc != MQTTSEAL_OK && rc != MQTTSEAL_E_BUFFER) {
        return rc;
    }
    if (*len > MQTTSEAL_UPDATE_TEXT_MAX) {
        return MQTTSEAL_E_TOO_LARGE;
    }
    *cap = *len + 1;
    if ((*text = ms_secure_alloc(*cap)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    return mqttseal_keyring_to_string(kr, *text, *cap, len);
}

int mqttseal_update_seal(unsigned char *out, size_t out_cap, size_t *out_len,
                         const mqttseal_signer *op,
                         const unsigned char pk[MQTTSEAL_DEVICE_PUBLICKEYBYTES],
                         uint64_t version, int64_t expires,
                         const mqttseal_keyring *kr)
{
    const size_t h = MQTTSEAL_UPDATE_HEADERBYTES;
    char *text = NULL;
    size_t cap = 0, len = 0, sealed;
    int rc;

    if (out_len == NULL || op == NULL || pk == NULL || kr == NULL ||
        version == 0 || expires <= 0 || (out == NULL && out_cap > 0)) {
        return MQTTSEAL_E_INVALID;
    }
    if ((rc = keyring_text(kr, &text, &cap, &len)) != MQTTSEAL_OK) {
        goto done;
    }
    sealed = len + SEALBYTES;
    *out_len = h + sealed + SIGBYTES;
    if (out == NULL || out_cap < *out_len) {
        rc = MQTTSEAL_E_BUFFER;
        goto done;
    }
    memcpy(out, MAGIC, 4);
    out[4] = FORMAT;
    mqttseal_device_id_of(out + 5, pk);
    put_be(out + 13, version, 8);
    put_be(out + 21, (uint64_t)expires, 8);
    memcpy(out + 29, ms_signer_id_ref(op), MQTTSEAL_SIGNERIDBYTES);
    put_be(out + 37, sealed, 4);
    if (crypto_box_seal(out + h, (const unsigned char *)text, len, pk) != 0) {
        rc = MQTTSEAL_E_INVALID; /* pk is not a usable X25519 key */
        goto done;
    }
    rc = sign_into(out, h + sealed, op);
done:
    ms_secure_free(text, cap);
    return rc;
}

int mqttseal_update_parse(const unsigned char *in, size_t len,
                          mqttseal_update_info *info)
{
    const size_t h = MQTTSEAL_UPDATE_HEADERBYTES;
    uint64_t sealed;

    if (info == NULL || (in == NULL && len > 0)) {
        return MQTTSEAL_E_INVALID;
    }
    memset(info, 0, sizeof *info);
    if (len < 4 || memcmp(in, MAGIC, 4) != 0) {
        return len < 4 && len > 0 && memcmp(in, MAGIC, len) == 0
                   ? MQTTSEAL_E_TRUNCATED
                   : MQTTSEAL_E_NOT_SEALED;
    }
    if (len < 5) {
        return MQTTSEAL_E_TRUNCATED;
    }
    if (in[4] != FORMAT) {
        return MQTTSEAL_E_VERSION;
    }
    if (len < h) {
        return MQTTSEAL_E_TRUNCATED;
    }
    sealed = get_be(in + 37, 4);
    if (sealed < SEALBYTES || sealed > MQTTSEAL_UPDATE_TEXT_MAX + SEALBYTES) {
        return MQTTSEAL_E_OVERSIZE;
    }
    if (len < h + sealed + SIGBYTES) {
        return MQTTSEAL_E_TRUNCATED;
    }
    if (len > h + sealed + SIGBYTES) {
        return MQTTSEAL_E_TRAILING;
    }
    memcpy(info->device_id, in + 5, MQTTSEAL_DEVICEIDBYTES);
    info->version = get_be(in + 13, 8);
    info->expires = (int64_t)get_be(in + 21, 8);
    memcpy(info->signer_id, in + 29, MQTTSEAL_SIGNERIDBYTES);
    info->sealed_len = (size_t)sealed;
    return MQTTSEAL_OK;
}
