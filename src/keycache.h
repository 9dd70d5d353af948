/*
 * Self-sizing LRU cache of derived message keys, keyed by (key id,
 * topic), so that a known topic costs no derivation. It starts with 64
 * slots and doubles up to its capacity. Keys live in one sodium_malloc'd
 * arena. Not thread-safe: the context holds its lock around every call
 * but ms_keycache_hash, which reads only the immutable hash key.
 */
#ifndef MQTTSEAL_KEYCACHE_H
#define MQTTSEAL_KEYCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "mqttseal/mqttseal.h"

typedef struct ms_keycache ms_keycache;

/* What a lookup copies out. With sid set, an entry whose session subkey
 * belongs to sid yields the subkey (has_sub = 1) and not the key. */
typedef struct ms_keyslot {
    const unsigned char *sid; /* in: the sender session, or NULL */
    unsigned char key[MQTTSEAL_KEYBYTES];
    unsigned char sub[MQTTSEAL_KEYBYTES]; /* right after key: wiped as one */
    unsigned char rid[MQTTSEAL_SESSIONIDBYTES]; /* sid's replay id, with sub */
    int has_sub;
    int64_t expires;
} ms_keyslot;

/* Topics up to this length are compared with the most recent entry
 * before hashing; longer ones are hashed outside the context's lock. */
#define MS_KEYCACHE_HEAD_MAX 256U

/** capacity: the most entries. @return OK, E_INVALID (0), E_NOMEM. */
int ms_keycache_new(ms_keycache **out, size_t capacity);

/** Empty it and set a new capacity; the hash key stays.
 *  @return OK, E_INVALID, E_NOMEM (nothing changed). */
int ms_keycache_resize(ms_keycache *c, size_t capacity);

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

/** The keyed hash of (key_id, topic); thread-safe (reads the hash key). */
uint64_t ms_keycache_hash(const ms_keycache *c, uint32_t key_id, const char *t,
                          size_t t_len);

/** Hit only if (key_id, topic) is the most recently used entry and the
 *  topic is at most MS_KEYCACHE_HEAD_MAX bytes; nothing moves. */
int ms_keycache_get_head(const ms_keycache *c, uint32_t key_id, const char *t,
                         size_t t_len, ms_keyslot *out);

/** A lookup with h = ms_keycache_hash(...) given; 1 if found. */
int ms_keycache_get_hashed(ms_keycache *c, uint64_t h, uint32_t key_id,
                           const char *t, size_t t_len, ms_keyslot *out);

/** Remember sub and rid as the session subkey and replay id of sid for an
 *  entry present. */
void ms_keycache_set_sub(ms_keycache *c, uint64_t h, uint32_t key_id,
                         const char *t, size_t t_len,
                         const unsigned char sid[MQTTSEAL_SESSIONIDBYTES],
                         const unsigned char sub[MQTTSEAL_KEYBYTES],
                         const unsigned char rid[MQTTSEAL_SESSIONIDBYTES]);

/** ms_keycache_put with h = ms_keycache_hash(...) given. */
int ms_keycache_put_hashed(ms_keycache *c, uint64_t h, uint32_t key_id,
                           const char *t, size_t t_len,
                           const unsigned char key[MQTTSEAL_KEYBYTES],
                           int64_t expires);

/** Drop (and wipe) every entry. */
void ms_keycache_clear(ms_keycache *c);

/** Entries held, and the bytes the cache occupies. */
size_t ms_keycache_count(const ms_keycache *c);
size_t ms_keycache_bytes(const ms_keycache *c);

#endif
