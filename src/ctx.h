/* The context's layout, shared by ctx.c (life cycle and options) and
 * seal.c (the message path). */
#ifndef MQTTSEAL_CTX_H
#define MQTTSEAL_CTX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "keycache.h"
#include "mqttseal/mqttseal.h"
#include "replay.h"

struct mqttseal_ctx {
    /* Guards kr, cache, replay, primary and the options below. */
    pthread_mutex_t lock;
    mqttseal_keyring *kr;
    ms_keycache *cache;
    ms_replay *replay; /* always present; kept while replay_on is 0 */
    int replay_on;
    unsigned replay_window;
    size_t replay_sessions;
    int has_primary;
    uint32_t primary;
    int timestamps;
    uint64_t max_age_ms;
    uint64_t skew_ms;
    int exempt_retained;
    unsigned char sid[MQTTSEAL_SESSIONIDBYTES];
    _Atomic uint64_t next_seq; /* next sequence number to seal */
};

/* The options one message needs, read under the same lock as its key. */
typedef struct ms_snapshot {
    int has_primary;
    uint32_t primary;
    int timestamps;
    uint64_t max_age_ms;
    uint64_t skew_ms;
    int exempt_retained;
} ms_snapshot;

/**
 * Under one lock: snapshot the options into *snap, then fetch the message
 * key of (key_id, topic) from the cache, else derive it from the keyring
 * and cache it. With use_primary, key_id is ignored and the primary id
 * is used (E_NO_PRIMARY if there is none).
 * @return OK, E_NO_PRIMARY, E_UNKNOWN_KEY, E_NO_GRANT, E_NOMEM.
 */
int ms_ctx_message_key(mqttseal_ctx *ctx, int use_primary, uint32_t key_id,
                       const char *t, size_t t_len,
                       unsigned char key[MQTTSEAL_KEYBYTES], int64_t *expires,
                       ms_snapshot *snap);

/**
 * Tests only: seal with every header field given (key_id, session id,
 * seq, timestamp), to generate known-answer vectors. The context's own
 * session is untouched.
 */
int ms_test_seal_fields(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
                        size_t *out_len, const char *topic, size_t topic_len,
                        const unsigned char *msg, size_t msg_len,
                        const mqttseal_header *fields);

#endif
