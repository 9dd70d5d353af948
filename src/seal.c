/* The message path: seal and open. No allocation (for topics that fit
 * MS_AD_STACK), no derivation for cached topics, no system call. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ctx.h"
#include "envelope.h"

/* Associated data lives on the caller's stack when it fits. */
typedef struct ad_buf {
    unsigned char stack[MS_AD_STACK];
    unsigned char *p;
    size_t len;
} ad_buf;

static int ad_make(ad_buf *ad, const unsigned char *header, size_t hlen,
                   const char *topic, size_t topic_len)
{
    ad->len = ms_ad_len(hlen, topic_len);
    ad->p = ad->len <= sizeof ad->stack ? ad->stack : malloc(ad->len);
    if (ad->p == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    ms_ad_build(ad->p, header, hlen, topic, topic_len);
    return MQTTSEAL_OK;
}

static void ad_done(ad_buf *ad)
{
    if (ad->p != ad->stack) {
        free(ad->p);
    }
}

static int key_usable(int64_t expires, uint64_t *now_ms)
{
    if (expires == 0) {
        return 1;
    }
    if (*now_ms == 0) {
        *now_ms = ms_clock_now_ms();
    }
    return (int64_t)(*now_ms / 1000U) < expires;
}

/* Encrypts under key with the header h into out (cap bytes). The header
 * is encoded once, here, both for the size check and the output. */
static int encrypt(unsigned char *out, size_t cap, size_t *out_len,
                   const char *topic, size_t tlen, const unsigned char *msg,
                   size_t msg_len, const mqttseal_header *h,
                   const unsigned char key[MQTTSEAL_KEYBYTES])
{
    unsigned char nonce[MS_NONCEBYTES];
    unsigned char header[MQTTSEAL_HEADER_MAX];
    size_t hlen = ms_header_encode(header, h);
    ad_buf ad;
    int rc;

    if (cap < hlen + msg_len + MQTTSEAL_ABYTES) {
        return MQTTSEAL_E_BUFFER;
    }
    if ((rc = ad_make(&ad, header, hlen, topic, tlen)) != MQTTSEAL_OK) {
        return rc;
    }
    ms_nonce(nonce, h->session_id, h->seq);
    memcpy(out, header, hlen);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + hlen, NULL, msg, msg_len,
                                               ad.p, ad.len, NULL, nonce, key);
    *out_len = hlen + msg_len + MQTTSEAL_ABYTES;
    ad_done(&ad);
    return MQTTSEAL_OK;
}

static int check_seal_args(const mqttseal_ctx *ctx, const unsigned char *out,
                           const size_t *out_len, const char *topic,
                           size_t tlen, const unsigned char *msg,
                           size_t msg_len)
{
    if (ctx == NULL || out == NULL || out_len == NULL ||
        (msg == NULL && msg_len != 0) || (topic == NULL && tlen != 0)) {
        return MQTTSEAL_E_INVALID;
    }
    if (msg_len > MQTTSEAL_PLAINTEXT_MAX) {
        return MQTTSEAL_E_TOO_LARGE;
    }
    return mqttseal_topic_check(topic, tlen);
}

/* Claims the next sequence number; UINT64_MAX is never used. */
static int next_seq(mqttseal_ctx *ctx, uint64_t *seq)
{
    uint64_t cur = atomic_load(&ctx->next_seq);

    do {
        if (cur == UINT64_MAX) {
            return MQTTSEAL_E_SEQ_EXHAUSTED;
        }
    } while (!atomic_compare_exchange_weak(&ctx->next_seq, &cur, cur + 1));
    *seq = cur;
    return MQTTSEAL_OK;
}

/* Fills the header from the snapshot and claims a sequence number. A
 * number spent on a message that then fails (buffer too small) is only a
 * gap, which receivers accept. */
static int fill_header(mqttseal_ctx *ctx, mqttseal_header *h,
                       const ms_snapshot *snap, size_t msg_len,
                       uint64_t *now_ms)
{
    memset(h, 0, sizeof *h);
    h->key_id = snap->primary;
    memcpy(h->session_id, ctx->sid, sizeof h->session_id);
    h->payload_len = msg_len;
    if (snap->timestamps) {
        if (*now_ms == 0) {
            *now_ms = ms_clock_now_ms();
        }
        h->has_timestamp = 1;
        h->timestamp_ms = *now_ms;
    }
    return next_seq(ctx, &h->seq);
}

static int seal_primary(mqttseal_ctx *ctx, unsigned char *out, size_t cap,
                        size_t *out_len, const char *topic, size_t tlen,
                        const unsigned char *msg, size_t msg_len)
{
    unsigned char key[MQTTSEAL_KEYBYTES];
    mqttseal_header h;
    ms_snapshot snap;
    int64_t expires = 0;
    uint64_t now_ms = 0;
    int rc = ms_ctx_message_key(ctx, 1, 0, topic, tlen, key, &expires, &snap);

    if (rc == MQTTSEAL_OK && !key_usable(expires, &now_ms)) {
        rc = MQTTSEAL_E_KEY_EXPIRED;
    }
    if (rc == MQTTSEAL_OK) {
        rc = fill_header(ctx, &h, &snap, msg_len, &now_ms);
    }
    if (rc == MQTTSEAL_OK) {
        rc = encrypt(out, cap, out_len, topic, tlen, msg, msg_len, &h, key);
    }
    sodium_memzero(key, sizeof key);
    return rc;
}

int mqttseal_seal(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
                  size_t *out_len, const char *topic, size_t topic_len,
                  const unsigned char *msg, size_t msg_len)
{
    int rc = check_seal_args(ctx, out, out_len, topic, topic_len, msg, msg_len);

    if (out_len != NULL) {
        *out_len = 0;
    }
    if (rc == MQTTSEAL_OK) {
        rc = seal_primary(ctx, out, out_cap, out_len, topic, topic_len, msg,
                          msg_len);
    }
    if (rc != MQTTSEAL_OK && out != NULL) {
        sodium_memzero(out, out_cap);
        *out_len = 0;
    }
    return rc;
}

int ms_test_seal_fields(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
                        size_t *out_len, const char *topic, size_t topic_len,
                        const unsigned char *msg, size_t msg_len,
                        const mqttseal_header *fields)
{
    unsigned char key[MQTTSEAL_KEYBYTES];
    mqttseal_header h = *fields;
    ms_snapshot snap;
    int64_t expires = 0;
    int rc = check_seal_args(ctx, out, out_len, topic, topic_len, msg, msg_len);

    h.payload_len = msg_len;
    if (rc == MQTTSEAL_OK) {
        rc = ms_ctx_message_key(ctx, 0, h.key_id, topic, topic_len, key,
                                &expires, &snap);
    }
    if (rc == MQTTSEAL_OK) {
        rc = encrypt(out, out_cap, out_len, topic, topic_len, msg, msg_len, &h,
                     key);
    }
    sodium_memzero(key, sizeof key);
    return rc;
}

/* Age and skew checks on an authenticated timestamp. */
static int check_fresh(const ms_snapshot *snap, const mqttseal_header *h,
                       unsigned flags, uint64_t *now_ms)
{
    uint64_t max_age = snap->max_age_ms, skew = snap->skew_ms;
    int exempt = snap->exempt_retained && (flags & MQTTSEAL_OPEN_RETAINED);

    if (max_age == 0) {
        return MQTTSEAL_OK;
    }
    if (!h->has_timestamp) {
        return MQTTSEAL_E_NO_TIMESTAMP;
    }
    if (*now_ms == 0) {
        *now_ms = ms_clock_now_ms();
    }
    if (h->timestamp_ms > *now_ms && h->timestamp_ms - *now_ms > skew) {
        return MQTTSEAL_E_FUTURE;
    }
    if (!exempt && *now_ms > h->timestamp_ms &&
        *now_ms - h->timestamp_ms > max_age) {
        return MQTTSEAL_E_STALE;
    }
    return MQTTSEAL_OK;
}

static int check_replay(mqttseal_ctx *ctx, const mqttseal_header *h,
                        const uint64_t *now_ms)
{
    int rc = MQTTSEAL_OK;

    pthread_mutex_lock(&ctx->lock);
    if (ctx->replay_on) {
        /* The replay state uses the time only to date a low-water mark,
         * where a later time is stricter: the cheap upper bound will do. */
        uint64_t upper =
            *now_ms ? *now_ms + MS_CLOCK_COARSE_MARGIN_MS : ms_clock_upper_ms();

        rc = ms_replay_accept(ctx->replay, h->key_id, h->session_id, h->seq,
                              h->has_timestamp, h->timestamp_ms, upper);
    }
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

/* Verify-then-decrypt; libsodium checks the tag before writing any
 * plaintext. In place, the ciphertext first moves to the front (the
 * header is already copied into the associated data). */
static int decrypt(unsigned char *out, const unsigned char *env,
                   const mqttseal_header *h, const ad_buf *ad,
                   const unsigned char key[MQTTSEAL_KEYBYTES])
{
    unsigned char nonce[MS_NONCEBYTES];
    size_t clen = h->payload_len + MQTTSEAL_ABYTES;
    const unsigned char *c = env + h->header_len;

    ms_nonce(nonce, h->session_id, h->seq);
    if (out == env) {
        memmove(out, c, clen);
        c = out;
    }
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            out, NULL, NULL, c, clen, ad->p, ad->len, nonce, key) != 0) {
        return MQTTSEAL_E_AUTH;
    }
    return MQTTSEAL_OK;
}

static int open_keyed(mqttseal_ctx *ctx, unsigned char *out, const char *topic,
                      size_t tlen, const unsigned char *env,
                      const mqttseal_header *h, uint64_t *now_ms,
                      ms_snapshot *snap)
{
    unsigned char key[MQTTSEAL_KEYBYTES];
    int64_t expires = 0;
    ad_buf ad;
    int rc =
        ms_ctx_message_key(ctx, 0, h->key_id, topic, tlen, key, &expires, snap);

    if (rc == MQTTSEAL_OK && !key_usable(expires, now_ms)) {
        rc = MQTTSEAL_E_KEY_EXPIRED;
    }
    if (rc == MQTTSEAL_OK &&
        (rc = ad_make(&ad, env, h->header_len, topic, tlen)) == MQTTSEAL_OK) {
        rc = decrypt(out, env, h, &ad, key);
        ad_done(&ad);
    }
    sodium_memzero(key, sizeof key);
    return rc;
}

int mqttseal_open(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
                  size_t *out_len, const char *topic, size_t topic_len,
                  const unsigned char *env, size_t env_len, unsigned flags,
                  mqttseal_header *hdr)
{
    mqttseal_header h;
    ms_snapshot snap;
    uint64_t now_ms = 0;
    int rc = MQTTSEAL_OK;

    memset(&h, 0, sizeof h);
    if (ctx == NULL || out_len == NULL || (out == NULL && out_cap != 0) ||
        (env == NULL && env_len != 0) || (topic == NULL && topic_len != 0)) {
        rc = MQTTSEAL_E_INVALID;
    }
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_topic_check(topic, topic_len);
    }
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_header_parse(&h, env, env_len);
        if (hdr != NULL) {
            *hdr = h;
        }
    }
    if (rc == MQTTSEAL_OK && (out == NULL || out_cap < h.payload_len)) {
        rc = MQTTSEAL_E_BUFFER;
    }
    if (rc == MQTTSEAL_OK) {
        rc = open_keyed(ctx, out, topic, topic_len, env, &h, &now_ms, &snap);
    }
    if (rc == MQTTSEAL_OK) {
        rc = check_fresh(&snap, &h, flags, &now_ms);
    }
    if (rc == MQTTSEAL_OK) {
        rc = check_replay(ctx, &h, &now_ms);
    }
    if (out_len != NULL) {
        *out_len = rc == MQTTSEAL_OK ? h.payload_len : 0;
    }
    if (rc != MQTTSEAL_OK && out != NULL) {
        sodium_memzero(out, out_cap);
    }
    return rc;
}
