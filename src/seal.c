/* The message path, sealing side (open.c is the other). No allocation
 * (for topics that fit MS_AD_STACK), no derivation for cached topics, no
 * system call. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ctx.h"
#include "envelope.h"
#include "msgpath.h"
#include "sign.h"

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
    if ((rc = ms_ad_make(&ad, header, hlen, topic, tlen)) != MQTTSEAL_OK) {
        return rc;
    }
    ms_ietf_nonce(nonce, h->seq);
    memcpy(out, header, hlen);
    /* XChaCha20-Poly1305 with the session's subkey: section 3. */
    crypto_aead_chacha20poly1305_ietf_encrypt(out + hlen, NULL, msg, msg_len,
                                              ad.p, ad.len, NULL, nonce, sub);
    *out_len = hlen + msg_len + MQTTSEAL_ABYTES;
    ms_ad_done(&ad);
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

    if (rc == MQTTSEAL_OK && !ms_key_usable(req.slot.expires, &now_ms)) {
        rc = MQTTSEAL_E_KEY_EXPIRED;
    }
    if (rc == MQTTSEAL_OK) {
        fill_header(&h, &snap, &claim, msg_len, flags, &now_ms);
        h.key_id = req.key_id;
        ms_ctx_subkey(&req);
        ms_ctx_replay_id(&req); /* cached with the subkey (own echoes) */
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
        rc = ms_check_levels(ctx, topic, topic_len);
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
        rc = ms_check_levels(ctx, topic, topic_len);
    }
    if (rc == MQTTSEAL_OK) {
        rc = ms_ctx_key_lookup(ctx, &req, &snap, NULL);
        if (rc == MQTTSEAL_OK && checks &&
            !ms_key_usable(req.slot.expires, &now_ms)) {
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
