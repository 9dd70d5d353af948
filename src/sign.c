/* Sign-then-encrypt: the signature sits inside the AEAD, so the broker
 * sees neither who signed nor that a given signer published. */
#include "sign.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "signer.h"
#include "trust.h"

/* Writes domain || header || u16be(tlen) || topic into b, with room for
 * body more bytes; returns the prefix length or 0 (E_NOMEM). */
static size_t sigbuf_prefix(ms_sigbuf *b, const unsigned char *header,
                            size_t hlen, const char *topic, size_t tlen,
                            size_t body)
{
    size_t pl = MS_SIG_DOMAIN_LEN + hlen + 2 + tlen, n = 0;

    b->len = pl + body;
    b->p = b->len <= sizeof b->stack ? b->stack : malloc(b->len);
    if (b->p == NULL) {
        b->len = 0;
        return 0;
    }
    memcpy(b->p, MS_SIG_DOMAIN, MS_SIG_DOMAIN_LEN);
    n += MS_SIG_DOMAIN_LEN;
    memcpy(b->p + n, header, hlen);
    n += hlen;
    b->p[n++] = (unsigned char)(tlen >> 8);
    b->p[n++] = (unsigned char)tlen;
    memcpy(b->p + n, topic, tlen);
    return pl;
}

void ms_sigbuf_done(ms_sigbuf *b)
{
    if (b->p != NULL) {
        sodium_memzero(b->p, b->len);
        if (b->p != b->stack) {
            free(b->p);
        }
    }
    b->p = NULL;
    b->len = 0;
}

int ms_sign_inner(ms_sigbuf *b, const unsigned char **inner,
                  const mqttseal_signer *s, const unsigned char *header,
                  size_t hlen, const char *topic, size_t tlen,
                  const unsigned char *msg, size_t msg_len)
{
    size_t signed_len = MQTTSEAL_SIGNERIDBYTES + msg_len;
    size_t pl = sigbuf_prefix(b, header, hlen, topic, tlen,
                              signed_len + MQTTSEAL_SIGNBYTES);
    unsigned char *p = b->p + pl;

    if (pl == 0) {
        return MQTTSEAL_E_NOMEM;
    }
    memcpy(p, ms_signer_id_ref(s), MQTTSEAL_SIGNERIDBYTES);
    if (msg_len > 0) {
        memcpy(p + MQTTSEAL_SIGNERIDBYTES, msg, msg_len);
    }
    ms_signer_sign(s, p + signed_len, b->p, pl + signed_len);
    *inner = p;
    return MQTTSEAL_OK;
}

static int verify(const ms_sigctx *env, const unsigned char *pk,
                  const unsigned char *inner, size_t signed_len)
{
    ms_sigbuf b;
    size_t pl = sigbuf_prefix(&b, env->header, env->hlen, env->topic, env->tlen,
                              signed_len);
    int ok;

    if (pl == 0) {
        return MQTTSEAL_E_NOMEM;
    }
    memcpy(b.p + pl, inner, signed_len);
    ok = crypto_sign_verify_detached(inner + signed_len, b.p, b.len, pk) == 0;
    ms_sigbuf_done(&b);
    return ok ? MQTTSEAL_OK : MQTTSEAL_E_SIGNATURE;
}

static int64_t now_s(uint64_t *now_ms)
{
    if (*now_ms == 0) {
        *now_ms = ms_clock_now_ms();
    }
    return (int64_t)(*now_ms / 1000U);
}

int ms_sig_check(const mqttseal_trust *trust, const ms_sigctx *env,
                 unsigned char *out, size_t ct_len, uint64_t *now_ms,
                 unsigned char id[MQTTSEAL_SIGNERIDBYTES], size_t *payload_len)
{
    const unsigned char *pk = NULL;
    size_t signed_len;
    int rc;

    memset(id, 0, MQTTSEAL_SIGNERIDBYTES);
    *payload_len = ct_len;
    if (!env->is_signed) {
        return ms_trust_required(trust, env->topic, env->tlen)
                   ? MQTTSEAL_E_SIG_REQUIRED
                   : MQTTSEAL_OK;
    }
    if (ct_len < MQTTSEAL_SIGNED_OVERHEAD) {
        return MQTTSEAL_E_SIGNATURE;
    }
    rc = ms_trust_check(trust, out, env->topic, env->tlen, now_s(now_ms), &pk);
    signed_len = ct_len - MQTTSEAL_SIGNBYTES;
    if (rc == MQTTSEAL_OK) {
        rc = verify(env, pk, out, signed_len);
    }
    if (rc != MQTTSEAL_OK) {
        return rc;
    }
    memcpy(id, out, MQTTSEAL_SIGNERIDBYTES);
    *payload_len = signed_len - MQTTSEAL_SIGNERIDBYTES;
    memmove(out, out + MQTTSEAL_SIGNERIDBYTES, *payload_len);
    sodium_memzero(out + *payload_len, MQTTSEAL_SIGNED_OVERHEAD);
    return MQTTSEAL_OK;
}
