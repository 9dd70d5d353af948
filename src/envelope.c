/* The envelope's header: strict parsing in the order docs/FORMAT.md
 * section 2 lists, so that every malformed input has one defined error. */
#include "envelope.h"

#include <string.h>

#include "varint.h"

#define KEY_ID_MAX 0xFFFFFFFFULL
#define TIMESTAMP_MAX 0x7FFFFFFFFFFFFFFFULL

size_t ms_header_encode(unsigned char out[MQTTSEAL_HEADER_MAX],
                        const mqttseal_header *h)
{
    size_t n = 0;

    out[n++] = MS_VS_V1;
    out[n++] = (unsigned char)((h->has_timestamp ? MS_FLAG_TIMESTAMP : 0U) |
                               (h->sealed_retained ? MS_FLAG_RETAINED : 0U) |
                               (h->is_signed ? MS_FLAG_SIGNED : 0U));
    n += ms_varint_put(out + n, h->key_id);
    memcpy(out + n, h->session_id, MQTTSEAL_SESSIONIDBYTES);
    n += MQTTSEAL_SESSIONIDBYTES;
    n += ms_varint_put(out + n, h->seq);
    if (h->has_timestamp) {
        n += ms_varint_put(out + n, h->timestamp_ms);
    }
    n += ms_varint_put(out + n, h->payload_len);
    return n;
}

static int parse_lead(mqttseal_header *h, const unsigned char *env, size_t len)
{
    if (len == 0) {
        return MQTTSEAL_E_TRUNCATED;
    }
    if ((env[0] & 0xC0U) != 0x80U) {
        return MQTTSEAL_E_NOT_SEALED;
    }
    h->version = (env[0] >> 3) & 7U;
    h->suite = env[0] & 7U;
    if (h->version != 1U) {
        return MQTTSEAL_E_VERSION;
    }
    if (h->suite != 1U) {
        return MQTTSEAL_E_SUITE;
    }
    if (len < 2) {
        return MQTTSEAL_E_TRUNCATED;
    }
    h->flags = env[1];
    if ((h->flags & ~MS_FLAGS_KNOWN) != 0) {
        return MQTTSEAL_E_RESERVED;
    }
    h->has_timestamp = (h->flags & MS_FLAG_TIMESTAMP) != 0;
    h->sealed_retained = (h->flags & MS_FLAG_RETAINED) != 0;
    h->is_signed = (h->flags & MS_FLAG_SIGNED) != 0;
    return MQTTSEAL_OK;
}

static int field_slow(uint64_t *v, const unsigned char *env, size_t len,
                      size_t *pos, uint64_t max)
{
    size_t used = 0;
    int rc = ms_varint_get(v, env + *pos, len - *pos, &used, max);

    if (rc == MQTTSEAL_OK) {
        *pos += used;
    }
    return rc;
}

/* Reads one varint at *pos and advances it. Every field's maximum is at
 * least 127, so a one-byte varint needs no further checks. */
static inline int field(uint64_t *v, const unsigned char *env, size_t len,
                        size_t *pos, uint64_t max)
{
    if (*pos < len && env[*pos] < 0x80U) {
        *v = env[(*pos)++];
        return MQTTSEAL_OK;
    }
    return field_slow(v, env, len, pos, max);
}

static int parse_fields(mqttseal_header *h, const unsigned char *env,
                        size_t len, size_t *pos)
{
    uint64_t v = 0;
    int rc = field(&v, env, len, pos, KEY_ID_MAX);

    if (rc != MQTTSEAL_OK) {
        return rc;
    }
    h->key_id = (uint32_t)v;
    if (len - *pos < MQTTSEAL_SESSIONIDBYTES) {
        return MQTTSEAL_E_TRUNCATED;
    }
    memcpy(h->session_id, env + *pos, MQTTSEAL_SESSIONIDBYTES);
    *pos += MQTTSEAL_SESSIONIDBYTES;
    if ((rc = field(&h->seq, env, len, pos, UINT64_MAX)) != MQTTSEAL_OK) {
        return rc;
    }
    if (h->has_timestamp && (rc = field(&h->timestamp_ms, env, len, pos,
                                        TIMESTAMP_MAX)) != MQTTSEAL_OK) {
        return rc;
    }
    return MQTTSEAL_OK;
}

static int parse_length(mqttseal_header *h, const unsigned char *env,
                        size_t len, size_t *pos)
{
    uint64_t ct_len = 0;
    size_t rest;
    int rc = field(&ct_len, env, len, pos, UINT64_MAX);

    if (rc != MQTTSEAL_OK) {
        return rc;
    }
    if (ct_len > MS_CT_LEN_MAX) {
        return MQTTSEAL_E_OVERSIZE;
    }
    h->header_len = *pos;
    h->payload_len = (size_t)ct_len;
    rest = len - *pos;
    if (rest < h->payload_len + MQTTSEAL_ABYTES) {
        return MQTTSEAL_E_TRUNCATED;
    }
    if (rest > h->payload_len + MQTTSEAL_ABYTES) {
        return MQTTSEAL_E_TRAILING;
    }
    return MQTTSEAL_OK;
}

int ms_header_decode(mqttseal_header *hdr, const unsigned char *env,
                     size_t env_len)
{
    size_t pos = 2;
    int rc;

    if (hdr == NULL || (env == NULL && env_len != 0)) {
        return MQTTSEAL_E_INVALID;
    }
    memset(hdr, 0, sizeof *hdr);
    rc = parse_lead(hdr, env, env_len);
    if (rc == MQTTSEAL_OK) {
        rc = parse_fields(hdr, env, env_len, &pos);
    }
    if (rc == MQTTSEAL_OK) {
        rc = parse_length(hdr, env, env_len, &pos);
    }
    return rc;
}

void ms_header_public(mqttseal_header *h)
{
    if (h->is_signed) {
        h->payload_len = h->payload_len >= MQTTSEAL_SIGNED_OVERHEAD
                             ? h->payload_len - MQTTSEAL_SIGNED_OVERHEAD
                             : 0;
    }
}

int mqttseal_header_parse(mqttseal_header *hdr, const unsigned char *env,
                          size_t env_len)
{
    int rc = ms_header_decode(hdr, env, env_len);

    if (hdr != NULL) {
        ms_header_public(hdr);
    }
    return rc;
}

void ms_nonce(unsigned char nonce[MS_NONCEBYTES],
              const unsigned char sid[MQTTSEAL_SESSIONIDBYTES], uint64_t seq)
{
    memcpy(nonce, sid, MQTTSEAL_SESSIONIDBYTES);
    ms_ietf_nonce(nonce + MQTTSEAL_SESSIONIDBYTES, seq);
}

void ms_ietf_nonce(unsigned char nonce[MS_IETF_NONCEBYTES], uint64_t seq)
{
    memset(nonce, 0, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(nonce + 4, &seq, 8);
#else
    for (size_t i = 0; i < 8; i++) {
        nonce[4 + i] = (unsigned char)(seq >> (8 * i));
    }
#endif
}

size_t ms_ad_len(size_t header_len, size_t topic_len)
{
    return MS_AD_DOMAIN_LEN + header_len + 2 + topic_len;
}

void ms_ad_build(unsigned char *ad, const unsigned char *header,
                 size_t header_len, const char *topic, size_t topic_len)
{
    size_t n = 0;

    memcpy(ad, MS_AD_DOMAIN, MS_AD_DOMAIN_LEN);
    n += MS_AD_DOMAIN_LEN;
    memcpy(ad + n, header, header_len);
    n += header_len;
    ad[n++] = (unsigned char)(topic_len >> 8);
    ad[n++] = (unsigned char)topic_len;
    memcpy(ad + n, topic, topic_len);
}
