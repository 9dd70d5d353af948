/* Envelope header, nonce and associated data (docs/FORMAT.md 2-4). */
#ifndef MQTTSEAL_ENVELOPE_H
#define MQTTSEAL_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "mqttseal/mqttseal.h"

#define MS_VS_V1 0x89U /* marker 10, version 1, suite 1 */
#define MS_FLAG_TIMESTAMP 0x01U
#define MS_FLAG_RETAINED 0x02U /* sealed to be published as retained */
#define MS_FLAG_SIGNED 0x04U   /* inner = signer_id || payload || sig */
#define MS_FLAGS_KNOWN (MS_FLAG_TIMESTAMP | MS_FLAG_RETAINED | MS_FLAG_SIGNED)
/* The largest ct_len (the AEAD plaintext, payload + 72 when signed). */
#define MS_CT_LEN_MAX 268435397U
#define MS_NONCEBYTES 24U      /* XChaCha20 nonce */
#define MS_IETF_NONCEBYTES 12U /* ChaCha20-IETF nonce under the subkey */
#define MS_AD_DOMAIN "mqttseal/v1"
#define MS_AD_DOMAIN_LEN 11U
/* Associated data that fits on the stack: topics up to about 450 bytes
 * cost no allocation; longer ones cost one per message. */
#define MS_AD_STACK 512U

/** Write the header for these fields; returns its length (<= 42). */
size_t ms_header_encode(unsigned char out[MQTTSEAL_HEADER_MAX],
                        const mqttseal_header *h);

/**
 * mqttseal_header_parse as the library uses it: payload_len is ct_len,
 * the AEAD plaintext's length (the signed inner for a signed envelope).
 */
int ms_header_decode(mqttseal_header *h, const unsigned char *env,
                     size_t env_len);

/** Turn a decoded header into the public view (payload_len = what open
 *  releases). */
void ms_header_public(mqttseal_header *h);

/** nonce = sid || u64le(seq) || 4 zero bytes. */
/** The last 12 bytes of the nonce, which the session subkey encrypts
 *  with: 0^4 || u64le(seq). */
void ms_ietf_nonce(unsigned char nonce[MS_IETF_NONCEBYTES], uint64_t seq);

void ms_nonce(unsigned char nonce[MS_NONCEBYTES],
              const unsigned char sid[MQTTSEAL_SESSIONIDBYTES], uint64_t seq);

/** Length of the associated data for this header and topic. */
size_t ms_ad_len(size_t header_len, size_t topic_len);

/** ad = domain || header || u16be(topic_len) || topic. */
void ms_ad_build(unsigned char *ad, const unsigned char *header,
                 size_t header_len, const char *topic, size_t topic_len);

#endif
