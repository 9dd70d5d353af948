/* The message path: seal and open. No allocation (for topics that fit
 * MS_AD_STACK), no derivation for cached topics, no system call. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ctx.h"
#include "envelope.h"
#include "sign.h"

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
                   const unsigned char sub[MQTTSEAL_KEYBYTES])
{
    unsigned char nonce[MS_IETF_NONCEBYTES];
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
    ms_ietf_nonce(nonce, h->seq);
    memcpy(out, header, hlen);
    /* XChaCha20-Poly1305 with the session's subkey: section 3. */
    crypto_aead_chacha20poly1305_ietf_encrypt(out + hlen, NULL, msg, msg_len,
                                              ad.p, ad.len, NULL, nonce, sub);
    *out_len = hlen + msg_len + MQTTSEAL_ABYTES;
    ad_done(&ad);
    return MQTTSEAL_OK;
}

/* Seals msg, signed inside the AEAD when signer is set (section 14):
 * the header, its ct_len covering the inner, is what gets signed. */
static int seal_body(unsigned char *out, size_t cap, size_t *out_len,
                     const char *topic, size_t tlen, const unsigned char *msg,
                     size_t msg_len, mqttseal_header *h,
                     const ms_sigref *signer,
                     const unsigned char sub[MQTTSEAL_KEYBYTES])
{
    unsigned char header[MQTTSEAL_HEADER_MAX];
    const unsigned char *inner = NULL;
    ms_sigbuf b;
    size_t hlen;
    int rc;

    if (signer == NULL) {
        return encrypt(out, cap, out_len, topic, tlen, msg, msg_len, h, sub);
    }
    h->is_signed = 1;
    h->payload_len = msg_len + MQTTSEAL_SIGNED_OVERHEAD;
    hlen = ms_header_encode(header, h);
    if (cap < hlen + h->payload_len + MQTTSEAL_ABYTES) {
        return MQTTSEAL_E_BUFFER; /* before the costly signature */
    }
    rc = ms_sign_inner(&b, &inner, signer->signer, header, hlen, topic, tlen,
                       msg, msg_len);
    if (rc == MQTTSEAL_OK) {
        rc = encrypt(out, cap, out_len, topic, tlen, inner, h->payload_len, h,
                     sub);
    }
    ms_sigbuf_done(&b);
    return rc;
}

/* More levels than the context allows: refused before any derivation,
 * so an unauthenticated message cannot make us derive 32,766 keys. */
static int check_levels(mqttseal_ctx *ctx, const char *topic, size_t tlen)
{
    unsigned max = atomic_load_explicit(&ctx->max_levels, memory_order_relaxed);
    unsigned levels = 1;
    const char *p = topic, *end = topic + tlen;

    if (tlen < max) {
        return MQTTSEAL_OK; /* tlen bytes hold at most tlen + 1 levels */
    }
    while ((p = memchr(p, '/', (size_t)(end - p))) != NULL) {
        if (++levels > max) {
            return MQTTSEAL_E_TOPIC_DEPTH;
        }
        p++;
    }
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

/* Fills the header from the snapshot and the claimed place in the
 * session. A number spent on a message that then fails (buffer too
 * small) is only a gap, which receivers accept. */
static void fill_header(mqttseal_header *h, const ms_snapshot *snap,
                        const ms_claim *claim, size_t msg_len, unsigned flags,
                        uint64_t *now_ms)
{
    memset(h, 0, sizeof *h);
    memcpy(h->session_id, claim->sid, sizeof h->session_id);
    h->seq = claim->seq;
    h->payload_len = msg_len;
    h->sealed_retained = (flags & MQTTSEAL_SEAL_RETAINED) != 0;
    if (snap->timestamps) {
        if (*now_ms == 0) {
            *now_ms = ms_clock_now_ms();
        }
        h->has_timestamp = 1;
        h->timestamp_ms = *now_ms;
    }
}

static int seal_primary(mqttseal_ctx *ctx, unsigned char *out, size_t cap,
                        size_t *out_len, const char *topic, size_t tlen,
                        const unsigned char *msg, size_t msg_len,
                        unsigned flags)
{
    ms_keyreq req;
    mqttseal_header h;
    ms_snapshot snap;
    ms_claim claim;
    uint64_t now_ms = 0;
    int rc;

    ms_ctx_keyreq_init(&req, 0, topic, tlen, NULL);
    rc = ms_ctx_key_lookup(ctx, &req, &snap, &claim);

    if (rc == MQTTSEAL_OK && !key_usable(req.slot.expires, &now_ms)) {
        rc = MQTTSEAL_E_KEY_EXPIRED;
    }
    if (rc == MQTTSEAL_OK) {
        fill_header(&h, &snap, &claim, msg_len, flags, &now_ms);
        h.key_id = req.key_id;
        ms_ctx_subkey(&req);
        rc = seal_body(out, cap, out_len, topic, tlen, msg, msg_len, &h,
                       snap.signer, req.slot.sub);
    }
    if (rc == MQTTSEAL_OK) {
        ms_ctx_key_remember(ctx, &req);
        atomic_fetch_add_explicit(&ctx->counters.sealed, 1,
                                  memory_order_relaxed);
    }
    ms_snapshot_release(&snap);
    ms_ctx_key_wipe(&req);
    return rc;
}

int mqttseal_seal_ex(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
                     size_t *out_len, const char *topic, size_t topic_len,
                     const unsigned char *msg, size_t msg_len, unsigned flags)
{
    int rc = check_seal_args(ctx, out, out_len, topic, topic_len, msg, msg_len);

    if (out_len != NULL) {
        *out_len = 0;
    }
    if (rc == MQTTSEAL_OK && (flags & ~MQTTSEAL_SEAL_RETAINED) != 0) {
        rc = MQTTSEAL_E_INVALID;
    }
    if (rc == MQTTSEAL_OK) {
        rc = check_levels(ctx, topic, topic_len);
    }
    if (rc == MQTTSEAL_OK) {
        rc = seal_primary(ctx, out, out_cap, out_len, topic, topic_len, msg,
                          msg_len, flags);
    }
    if (rc != MQTTSEAL_OK && out != NULL) {
        sodium_memzero(out, out_cap);
        *out_len = 0;
    }
    return rc;
}

int mqttseal_seal(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
                  size_t *out_len, const char *topic, size_t topic_len,
                  const unsigned char *msg, size_t msg_len)
{
    return mqttseal_seal_ex(ctx, out, out_cap, out_len, topic, topic_len, msg,
                            msg_len, 0);
}

int ms_seal_fields(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
                   size_t *out_len, const char *topic, size_t topic_len,
                   const unsigned char *msg, size_t msg_len,
                   const mqttseal_header *fields, int checks)
{
    mqttseal_header h = *fields;
    ms_snapshot snap;
    ms_keyreq req;
    uint64_t now_ms = 0;
    int rc = check_seal_args(ctx, out, out_len, topic, topic_len, msg, msg_len);

    h.payload_len = msg_len;
    ms_ctx_keyreq_init(&req, h.key_id, topic, topic_len, h.session_id);
    if (rc == MQTTSEAL_OK && checks) {
        rc = check_levels(ctx, topic, topic_len);
    }
    if (rc == MQTTSEAL_OK) {
        rc = ms_ctx_key_lookup(ctx, &req, &snap, NULL);
        if (rc == MQTTSEAL_OK && checks &&
            !key_usable(req.slot.expires, &now_ms)) {
            rc = MQTTSEAL_E_KEY_EXPIRED;
        }
        ms_snapshot_release(&snap);
    }
    /* With checks (mqttseal_seal_once) signed whenever the context has a
     * signer, as mqttseal_seal_ex signs. Without (tests), signed only if
     * fields asks; otherwise msg is taken as a (possibly malformed) inner
     * for the negative vectors. */
    if (rc == MQTTSEAL_OK) {
        ms_sigref *signer =
            checks || h.is_signed ? ms_ctx_signer_ref(ctx) : NULL;
        ms_ctx_subkey(&req);
        rc = seal_body(out, out_cap, out_len, topic, topic_len, msg, msg_len,
                       &h, signer, req.slot.sub);
        ms_sigref_unref(signer);
    }
    ms_ctx_key_wipe(&req);
    return rc;
}

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
                         uint64_t max_age_ms)
{
    int rc = b->b.accept(b->b.state, h->key_id, h->session_id, h->seq,
                         h->has_timestamp,
                         h->has_timestamp ? h->timestamp_ms : 0, max_age_ms);

    ms_backend_unref(b);
    return rc;
}

static int check_replay(mqttseal_ctx *ctx, const mqttseal_header *h,
                        const uint64_t *now_ms)
{
    int rc = MQTTSEAL_OK;

    pthread_mutex_lock(&ctx->lock);
    if (ctx->replay_on && ctx->backend != NULL) {
        ms_backend *b = ctx->backend;
        uint64_t max_age = ctx->max_age_ms;

        atomic_fetch_add(&b->refs, 1);
        pthread_mutex_unlock(&ctx->lock);
        return check_backend(b, h, max_age);
    }
    if (ctx->replay_on &&
        (ctx->replay != NULL || (rc = ms_ctx_replay_ready(ctx)) == 0)) {
        /* 0: the replay state reads the clock itself if it needs it. */
        rc = ms_replay_accept(ctx->replay, h->key_id, h->session_id, h->seq,
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
                      ms_snapshot *snap)
{
    ms_keyreq req;
    ad_buf ad;
    int rc;

    ms_ctx_keyreq_init(&req, h->key_id, topic, tlen, h->session_id);
    rc = ms_ctx_key_lookup(ctx, &req, snap, NULL);
    if (rc == MQTTSEAL_OK && !key_usable(req.slot.expires, now_ms)) {
        rc = MQTTSEAL_E_KEY_EXPIRED;
    }
    if (rc == MQTTSEAL_OK &&
        (rc = ad_make(&ad, env, h->header_len, topic, tlen)) == MQTTSEAL_OK) {
        ms_ctx_subkey(&req);
        rc = decrypt(out, env, h, &ad, req.slot.sub);
        ad_done(&ad);
    }
    if (rc == MQTTSEAL_OK) {
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
                       uint64_t *now_ms)
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
        rc = check_replay(ctx, h, now_ms);
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
        rc = check_levels(ctx, topic, topic_len);
    }
    if (rc == MQTTSEAL_OK) {
        /* The signature covers the header, which in-place opening
         * overwrites: keep a copy. */
        memcpy(header, env, h.is_signed ? h.header_len : 0);
        rc = open_keyed(ctx, out, topic, topic_len, env, &h, &now_ms, &snap);
    }
    if (rc == MQTTSEAL_OK) {
        rc =
            open_checks(ctx, out, topic, topic_len, header, &h, &snap, &now_ms);
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
