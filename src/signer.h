/* Signer keys (src/signer.c) as the rest of the library uses them. The
 * text and file side is signer_file.c. */
#ifndef MQTTSEAL_SIGNER_H
#define MQTTSEAL_SIGNER_H

#include <stddef.h>

#include "mqttseal/mqttseal.h"

/** A copy of s (its own guarded memory). @return OK, E_NOMEM. */
int ms_signer_copy(mqttseal_signer **out, const mqttseal_signer *s);

/** The 8-byte id, without copying it. */
const unsigned char *ms_signer_id_ref(const mqttseal_signer *s);

/** Ed25519 signature of m (crypto_sign_detached). */
void ms_signer_sign(const mqttseal_signer *s,
                    unsigned char sig[MQTTSEAL_SIGNBYTES],
                    const unsigned char *m, size_t m_len);

/** The seed, for writing the signer-key file only. */
void ms_signer_seed(const mqttseal_signer *s,
                    unsigned char seed[MQTTSEAL_SIGN_SEEDBYTES]);

#endif
