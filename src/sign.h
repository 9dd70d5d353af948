/* Signed envelopes (docs/FORMAT.md section 14): the signed inner
 * signer_id || payload || signature, and what the signature covers. */
#ifndef MQTTSEAL_SIGN_H
#define MQTTSEAL_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "mqttseal/mqttseal.h"

#define MS_SIG_DOMAIN "mqttseal/sig/v1"
#define MS_SIG_DOMAIN_LEN 15U
/* Signed messages that fit on the stack cost no allocation: payloads up
 * to about 1 KiB with short topics. */
#define MS_SIG_STACK 1536U

/* The bytes a signature covers, built once: domain || header ||
 * u16be(topic_len) || topic || signer_id || payload, followed by room
 * for the signature, so that signer_id || payload || signature (the
 * inner) is contiguous at the end. Holds plaintext: wiped when done. */
typedef struct ms_sigbuf {
    unsigned char stack[MS_SIG_STACK];
    unsigned char *p;
    size_t len; /* bytes in use */
} ms_sigbuf;

/**
 * Sign for sealing: *inner (inside b) receives signer_id || msg ||
 * signature, msg_len + 72 bytes. header is the envelope's header, its
 * ct_len already msg_len + 72. Release b with ms_sigbuf_done.
 * @return OK, E_NOMEM.
 */
int ms_sign_inner(ms_sigbuf *b, const unsigned char **inner,
                  const mqttseal_signer *s, const unsigned char *header,
                  size_t hlen, const char *topic, size_t tlen,
                  const unsigned char *msg, size_t msg_len);

/** Wipe b and free what it allocated. */
void ms_sigbuf_done(ms_sigbuf *b);

/** The envelope being checked: its header bytes and its topic. */
typedef struct ms_sigctx {
    const unsigned char *header;
    size_t hlen;
    const char *topic;
    size_t tlen;
    int is_signed;
} ms_sigctx;

/**
 * After the AEAD verified out[0..ct_len): the signature checks in the
 * order of docs/FORMAT.md section 14 (trust may be NULL). On OK the
 * payload is at the start of out (*payload_len bytes, the rest of the
 * inner wiped) and id receives the signer's id (zero when unsigned).
 * @return OK, E_SIGNATURE, E_SIGNER_UNKNOWN, E_SIGNER_EXPIRED,
 *         E_SIGNER_NOT_GRANTED, E_SIG_REQUIRED, E_NOMEM.
 */
int ms_sig_check(const mqttseal_trust *trust, const ms_sigctx *env,
                 unsigned char *out, size_t ct_len, uint64_t *now_ms,
                 unsigned char id[MQTTSEAL_SIGNERIDBYTES], size_t *payload_len);

#endif
