/*
 * Bounded LRU cache of derived message keys, keyed by (key id, topic), so
 * that a known topic costs no derivation. Keys live in one sodium_malloc'd
 * arena. Not thread-safe: the context holds its lock around every call.
 */
#ifndef MQTTSEAL_KEYCACHE_H
#define MQTTSEAL_KEYCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "mqttseal/mqttseal.h"

typedef struct ms_keycache ms_keycache;

/** @return OK, E_INVALID (capacity 0), E_NOMEM. */
int ms_keycache_new(ms_keycache **out, size_t capacity);

/** Wipe every key and free. */
void ms_keycache_free(ms_keycache *c);

/** Copy out the key and expiry of (key_id, topic); 1 if found, else 0. */
int ms_keycache_get(ms_keycache *c, uint32_t key_id, const char *t,
                    size_t t_len, unsigned char key[MQTTSEAL_KEYBYTES],
                    int64_t *expires);

/** Insert, evicting the least recently used. @return OK, E_NOMEM. */
int ms_keycache_put(ms_keycache *c, uint32_t key_id, const char *t,
                    size_t t_len, const unsigned char key[MQTTSEAL_KEYBYTES],
                    int64_t expires);

/** Drop (and wipe) every entry. */
void ms_keycache_clear(ms_keycache *c);

#endif
