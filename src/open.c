/* The message path, opening side: parse, look up the key, verify and
 * decrypt, then the signature, freshness and replay checks, and release
 * nothing before all of them passed. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ctx.h"
#include "envelope.h"
#include "msgpath.h"
#include "sign.h"

/* Skew, then age, on an authenticated timestamp. A timestamp too far
 * ahead is refused whatever else is set: it must never reach the replay
 * state, where it would move a mark. */
static int check_fresh(const ms_snapshot *snap, const mqttseal_header *h,
                       uint64_t *now_ms)
{
    uint64_t max_age = snap->max_age_ms;

    if (h->has_timestamp) {
        if (*now_ms == 0) {
            *now_ms = ms_clock_now_ms();
        }
        if (h->timestamp_ms > *now_ms &&
            h->timestamp_ms - *now_ms > snap->skew_ms) {
            return MQTTSEAL_E_FUTURE;
        }
    }
    if (max_age == 0) {
        return MQTTSEAL_OK;
    }
    if (!h->has_timestamp) {
        return MQTTSEAL_E_NO_TIMESTAMP;
    }
    if (h->sealed_retained && snap->retained_max_age_ms != 0) {
        max_age = snap->retained_max_age_ms;
    }
    if (*now_ms > h->timestamp_ms && *now_ms - h->timestamp_ms > max_age) {
        return MQTTSEAL_E_STALE;
    }
    return MQTTSEAL_OK;
}

/* A store shared with other processes answers outside the lock: a round
 * trip must not stall the threads that seal. */
static int check_backend(ms_backend *b, const mqttseal_header *h,
                         const unsigned char *rid, uint64_t max_age_ms)
{
    int rc = b->b.accept(b->b.state, h->key_id, rid, h->seq, h->has_timestamp,
                         h->has_timestamp ? h->timestamp_ms : 0, max_age_ms);

    ms_backend_unref(b);
    return rc;
}

/* The session is known by its replay id rid (ms_ctx_replay_id), not its
 * bare session id. max_age_ms: the age this message's freshness was
 * checked against (the snapshot's), also the one a shared store's expiry
 * is computed from. */
static int check_replay(mqttseal_ctx *ctx, const mqttseal_header *h,
                        const unsigned char *rid, uint64_t max_age_ms,
                        const uint64_t *now_ms)
{
    int rc = MQTTSEAL_OK;

    pthread_mutex_lock(&ctx->lock);
    if (ctx->replay_on && ctx->backend != NULL) {
        ms_backend *b = ctx->backend;

        atomic_fetch_add(&b->refs, 1);
        pthread_mutex_unlock(&ctx->lock);
        return check_backend(b, h, rid, max_age_ms);
    }
    if (ctx->replay_on &&
        (ctx->replay != NULL || (rc = ms_ctx_replay_ready(ctx)) == 0)) {
        /* 0: the replay state reads the clock itself if it needs it. */
        rc = ms_replay_accept(ctx->replay, h->key_id, rid, h->seq,
                              h->has_timestamp, h->timestamp_ms, *now_ms);
    }
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

/* Verify-then-decrypt; libsodium checks the tag before writing any
 * plaintext. In place, the ciphertext first moves to the front (the
 * header is already copied into the associated data). */
static int decrypt(unsigned char *out, const unsigned char *env,
                   const mqttseal_header *h, const ad_buf *ad,
                   const unsigned char sub[MQTTSEAL_KEYBYTES])
{
    unsigned char nonce[MS_IETF_NONCEBYTES];
    size_t clen = h->payload_len + MQTTSEAL_ABYTES;
    const unsigned char *c = env + h->header_len;

    ms_ietf_nonce(nonce, h->seq);
    if (out == env) {
        memmove(out, c, clen);
        c = out;
    }
    if (crypto_aead_chacha20poly1305_ietf_decrypt(
            out, NULL, NULL, c, clen, ad->p, ad->len, nonce, sub) != 0) {
        return MQTTSEAL_E_AUTH;
    }
    return MQTTSEAL_OK;
}

/* Only a key that has just authenticated a message enters the cache. */
static int open_keyed(mqttseal_ctx *ctx, unsigned char *out, const char *topic,
                      size_t tlen, const unsigned char *env,
                      const mqttseal_header *h, uint64_t *now_ms,
                      ms_snapshot *snap,
                      unsigned char rid[MQTTSEAL_SESSIONIDBYTES])
{
    ms_keyreq req;
    ad_buf ad;
    int rc;

    ms_ctx_keyreq_init(&req, h->key_id, topic, tlen, h->session_id);
    rc = ms_ctx_key_lookup(ctx, &req, snap, NULL);
    if (rc == MQTTSEAL_OK && !ms_key_usable(req.slot.expires, now_ms)) {
        rc = MQTTSEAL_E_KEY_EXPIRED;
    }
    if (rc == MQTTSEAL_OK && (rc = ms_ad_make(&ad, env, h->header_len, topic,
                                              tlen)) == MQTTSEAL_OK) {
        ms_ctx_subkey(&req);
        rc = decrypt(out, env, h, &ad, req.slot.sub);
        ms_ad_done(&ad);
    }
    if (rc == MQTTSEAL_OK) {
        ms_ctx_replay_id(&req);
        memcpy(rid, req.slot.rid, MQTTSEAL_SESSIONIDBYTES);
        ms_ctx_key_remember(ctx, &req);
    }
    ms_ctx_key_wipe(&req);
    return rc;
}

/* After the AEAD: the signature checks, then freshness, then replay,
 * which changes state only once everything else verified. */
static int open_checks(mqttseal_ctx *ctx, unsigned char *out, const char *topic,
                       size_t tlen, const unsigned char *header,
                       mqttseal_header *h, const ms_snapshot *snap,
                       const unsigned char *rid, uint64_t *now_ms)
{
    ms_sigctx sc = {header, h->header_len, topic, tlen, h->is_signed};
    size_t payload_len = 0;
    int rc =
        ms_sig_check(snap->trust != NULL ? snap->trust->trust : NULL, &sc, out,
                     h->payload_len, now_ms, h->signer_id, &payload_len);

    if (rc == MQTTSEAL_OK) {
        rc = check_fresh(snap, h, now_ms);
    }
    if (rc == MQTTSEAL_OK) {
        rc = check_replay(ctx, h, rid, snap->max_age_ms, now_ms);
    }
    if (rc == MQTTSEAL_OK) {
        h->payload_len = payload_len;
    }
    return rc;
}

/* Releases the payload or wipes out, and counts the outcome. */
static int open_done(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
                     size_t *out_len, const mqttseal_header *h, int rc)
{
    if (out_len != NULL) {
        *out_len = rc == MQTTSEAL_OK ? h->payload_len : 0;
    }
    if (rc != MQTTSEAL_OK && out != NULL) {
        sodium_memzero(out, out_cap);
    }
    if (ctx != NULL) {
        ms_ctx_count_open(ctx, rc);
    }
    return rc;
}

static int check_open_args(const mqttseal_ctx *ctx, const unsigned char *out,
                           size_t out_cap, const size_t *out_len,
                           const char *topic, size_t topic_len,
                           const unsigned char *env, size_t env_len)
{
    if (ctx == NULL || out_len == NULL || (out == NULL && out_cap != 0) ||
        (env == NULL && env_len != 0) || (topic == NULL && topic_len != 0)) {
        return MQTTSEAL_E_INVALID;
    }
    return mqttseal_topic_check(topic, topic_len);
}

int mqttseal_open(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
                  size_t *out_len, const char *topic, size_t topic_len,
                  const unsigned char *env, size_t env_len, unsigned flags,
                  mqttseal_header *hdr)
{
    unsigned char header[MQTTSEAL_HEADER_MAX];
    unsigned char rid[MQTTSEAL_SESSIONIDBYTES];
    mqttseal_header h;
    ms_snapshot snap = {0};
    uint64_t now_ms = 0;
    int parsed = 0;
    int rc = check_open_args(ctx, out, out_cap, out_len, topic, topic_len, env,
                             env_len);

    h.payload_len = 0; /* the rest is filled by the parser before use */
    if (rc == MQTTSEAL_OK) {
        rc = ms_header_decode(&h, env, env_len);
        parsed = 1;
    }
    if (rc == MQTTSEAL_OK && (out == NULL || out_cap < h.payload_len)) {
        rc = MQTTSEAL_E_BUFFER; /* payload_len: the whole inner here */
    }
    if (rc == MQTTSEAL_OK) {
        rc = ms_check_levels(ctx, topic, topic_len);
    }
    if (rc == MQTTSEAL_OK) {
        /* The signature covers the header, which in-place opening
         * overwrites: keep a copy. */
        memcpy(header, env, h.is_signed ? h.header_len : 0);
        rc = open_keyed(ctx, out, topic, topic_len, env, &h, &now_ms, &snap,
                        rid);
    }
    if (rc == MQTTSEAL_OK) {
        rc = open_checks(ctx, out, topic, topic_len, header, &h, &snap, rid,
                         &now_ms);
    }
    ms_snapshot_release(&snap);
    if (hdr != NULL && parsed) {
        *hdr = h;
        if (rc != MQTTSEAL_OK) { /* what the header says, nothing more */
            ms_header_public(hdr);
            memset(hdr->signer_id, 0, sizeof hdr->signer_id);
        }
    }
    (void)flags; /* MQTTSEAL_OPEN_RETAINED: the RETAIN bit exempts nothing */
    return open_done(ctx, out, out_cap, out_len, &h, rc);
}
