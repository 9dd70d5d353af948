/* Keyring internals used by the context (src/ctx.c). */
#ifndef MQTTSEAL_KEYRING_H
#define MQTTSEAL_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#include "mqttseal/mqttseal.h"

/** A deep copy (keys in fresh sodium_malloc'd memory). */
int ms_keyring_copy(mqttseal_keyring **out, const mqttseal_keyring *src);

/**
 * The message key of topic t under key_id, derived from the most specific
 * entry with that id that covers t (exact, then the longest subtree, then
 * "#"). *expires receives that entry's expiry (0 = never).
 * @return OK, E_UNKNOWN_KEY (no entry has key_id), E_NO_GRANT.
 */
int ms_keyring_message_key(const mqttseal_keyring *kr, uint32_t key_id,
                           const char *t, size_t t_len,
                           unsigned char out[MQTTSEAL_KEYBYTES],
                           int64_t *expires);

/**
 * The key that authenticates replay-state files for key_id
 * (docs/FORMAT.md section 11). @return OK, E_UNKNOWN_KEY.
 */
int ms_keyring_state_key(const mqttseal_keyring *kr, uint32_t key_id,
                         unsigned char out[MQTTSEAL_KEYBYTES]);

#endif
