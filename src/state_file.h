/*
 * Replay-state files (docs/FORMAT.md section 11): the encoded state,
 * then one authentication tag per key id of the saving keyring, so that
 * whoever can write the file without holding the keyring can neither
 * forge nor reset it; atomic writes; owner and mode checks on reading.
 */
#ifndef MQTTSEAL_STATE_FILE_H
#define MQTTSEAL_STATE_FILE_H

#include <stddef.h>

#include "mqttseal/mqttseal.h"

/**
 * Append the tags for kr to the encoded state and write it atomically
 * (mode 0600). @return OK, E_IO, E_NOMEM, E_INVALID (kr has no key).
 */
int ms_state_write(const mqttseal_keyring *kr, const char *path,
                   const unsigned char *body, size_t body_len);

/**
 * Read path, refuse it unless owned by the caller or root and writable by
 * no one else, and check its tags with kr: every tag whose key id kr
 * holds must verify, and at least one must. On success *body is a
 * malloc'd copy of the encoded state.
 * @return OK, E_IO, E_FILE_OWNER, E_STATE_CORRUPT, E_NOMEM.
 */
int ms_state_read(const mqttseal_keyring *kr, const char *path,
                  unsigned char **body, size_t *body_len);

#endif
