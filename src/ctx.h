/* The context's layout, shared by ctx.c (life cycle and options),
 * ctx_keys.c (key lookup and the sealing session) and seal.c (the
 * message path). */
#ifndef MQTTSEAL_CTX_H
#define MQTTSEAL_CTX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "keycache.h"
#include "mqttseal/mqttseal.h"
#include "replay.h"

/* A keyring shared by the context and the derivations running outside
 * its lock; freed by whoever drops the last reference. */
typedef struct ms_krref {
    _Atomic unsigned refs;
    mqttseal_keyring *kr;
} ms_krref;

/* A replay backend shared by the context and the opens using it; the
 * last reference calls its free function. */
typedef struct ms_backend {
    _Atomic unsigned refs;
    mqttseal_replay_backend b;
} ms_backend;

/* A signer or a trust list (one of the two is set), immutable once
 * shared: the context swaps in a new one and messages hold a reference
 * to the one they started with; the last reference frees it. */
typedef struct ms_sigref {
    _Atomic unsigned refs;
    mqttseal_signer *signer;
    mqttseal_trust *trust;
} ms_sigref;

/* Counters, updated without the lock (relaxed atomics). */
typedef struct ms_counters {
    _Atomic uint64_t sealed;
    _Atomic uint64_t opened;
    _Atomic uint64_t sessions_new;
    _Atomic uint64_t derived;
    _Atomic uint64_t refused_by[MQTTSEAL_ERR_COUNT];
} ms_counters;

struct mqttseal_ctx {
    /* Guards everything below but the atomics. Never held while a key
     * is derived, a file is written or a message is encrypted. */
    pthread_mutex_t lock;
    ms_krref *kr;
    uint64_t kr_gen; /* bumped whenever the keyring or cache changes */
    ms_keycache *cache;
    ms_replay *replay;   /* allocated on first use; kept while off */
    ms_backend *backend; /* replaces replay when set */
    int replay_on;
    unsigned replay_window;
    size_t replay_sessions;
    size_t replay_capacity;
    int has_primary;
    uint32_t primary;
    int timestamps;
    uint64_t max_age_ms;
    uint64_t skew_ms;
    uint64_t retained_max_age_ms;
    _Atomic unsigned max_levels;
    ms_sigref *signer; /* NULL: seals are not signed */
    ms_sigref *trust;  /* NULL: no signer trusted, nothing required */
    /* The sealing session: sid and next_seq belong to generation gen
     * of ms_forkgen_current(); another generation means a fork. */
    unsigned char sid[MQTTSEAL_SESSIONIDBYTES];
    uint64_t next_seq;
    uint64_t sess_gen;
    ms_counters counters;
};

/* The options one message needs, read under the same lock as its key. */
typedef struct ms_snapshot {
    int timestamps;
    uint64_t max_age_ms;
    uint64_t skew_ms;
    uint64_t retained_max_age_ms;
    ms_sigref *signer; /* sealing: a reference, or NULL */
    ms_sigref *trust;  /* opening: a reference, or NULL */
} ms_snapshot;

/* A message key being looked up, and the session subkey of slot.sid
 * under it (docs/FORMAT.md section 3). A key derived or a subkey
 * computed outside the lock is put in the cache only by
 * ms_ctx_key_remember, after it authenticated. */
typedef struct ms_keyreq {
    uint32_t key_id;
    const char *topic;
    size_t topic_len;
    ms_keyslot slot; /* slot.sid: the sender session (set by the lookup
                        when sealing) */
    int derived;     /* 1: the key is not from the cache */
    int sub_new;     /* 1: the subkey was computed for this message */
    uint64_t kr_gen; /* the keyring generation it was found under */
    uint64_t hash;   /* cache hash, once computed */
    int hashed;
} ms_keyreq;

/* A claimed place in the sealing session. */
typedef struct ms_claim {
    unsigned char sid[MQTTSEAL_SESSIONIDBYTES];
    uint64_t seq;
} ms_claim;

/** Fill in a key request (sid: the sender session, NULL when sealing). */
static inline void ms_ctx_keyreq_init(ms_keyreq *req, uint32_t key_id,
                                      const char *topic, size_t topic_len,
                                      const unsigned char *sid)
{
    req->key_id = key_id;
    req->topic = topic;
    req->topic_len = topic_len;
    req->slot.sid = sid;
}

/** Drop a reference; the last one frees it. NULL is ignored. */
void ms_sigref_unref(ms_sigref *r);

/** Take a reference to r (NULL is returned as NULL). */
ms_sigref *ms_sigref_ref(ms_sigref *r);

/** A reference to the context's signer, or NULL (ms_seal_fields). */
ms_sigref *ms_ctx_signer_ref(mqttseal_ctx *ctx);

/** Drop the references a snapshot holds (after ms_ctx_key_lookup). */
void ms_snapshot_release(ms_snapshot *snap);

/** Take a reference to the context's keyring (under its lock). */
ms_krref *ms_ctx_keyring_ref(mqttseal_ctx *ctx);

/** Drop a reference; the last one frees the keyring. NULL is ignored. */
void ms_krref_unref(ms_krref *r);

/** Drop a reference to a backend. NULL is ignored. */
void ms_backend_unref(ms_backend *b);

/** With the lock held: the replay state, created on first use.
 *  @return OK, E_NOMEM, E_CRYPTO. */
int ms_ctx_replay_ready(mqttseal_ctx *ctx);

/**
 * Find the message key of (req->key_id, req->topic): from the cache, else
 * derived from the keyring outside the lock. Snapshots the options into
 * *snap, with a reference to the signer (sealing) or the trust list
 * (opening), even on failure: release it with ms_snapshot_release. With claim
 * != NULL (sealing), the primary id is used instead of req->key_id
 * (E_NO_PRIMARY if none) and a sequence number of the current session is
 * claimed (a new session first, after a fork).
 * @return OK, E_NO_PRIMARY, E_UNKNOWN_KEY, E_NO_GRANT, E_SEQ_EXHAUSTED,
 *         E_NOMEM. On failure req's key material is wiped.
 */
int ms_ctx_key_lookup(mqttseal_ctx *ctx, ms_keyreq *req, ms_snapshot *snap,
                      ms_claim *claim);

/** Compute the session subkey unless the cache had it. */
void ms_ctx_subkey(ms_keyreq *req);

/** The session's replay id (docs/FORMAT.md section 9), unless the cache
 *  had it with the subkey. Opening calls it only once the message
 *  authenticated: a forged message costs no hash for it. It must run
 *  before ms_ctx_key_remember, which caches it with a new subkey. */
void ms_ctx_replay_id(ms_keyreq *req);

/** Cache a derived key and a new subkey once they authenticated
 *  something (the caller wipes req afterwards). */
void ms_ctx_key_remember(mqttseal_ctx *ctx, ms_keyreq *req);

/** Wipe the key material of req. */
void ms_ctx_key_wipe(ms_keyreq *req);

/** Count an open's outcome (OK or the refusal's code). */
void ms_ctx_count_open(mqttseal_ctx *ctx, int rc);

/**
 * Seal with every header field given (key_id, session id, seq, timestamp,
 * retained flag); the context's own session is untouched. checks != 0
 * refuses what mqttseal_seal refuses (topic depth, an expired key) and
 * signs with the context's signer if it has one; checks == 0 signs only if
 * fields->is_signed. The caller
 * owns the uniqueness of (key, session id, seq): mqttseal_seal_once
 * (seal_once.c) draws a fresh session id for each call.
 */
int ms_seal_fields(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
                   size_t *out_len, const char *topic, size_t topic_len,
                   const unsigned char *msg, size_t msg_len,
                   const mqttseal_header *fields, int checks);

#ifdef MQTTSEAL_PRIVATE_APIS
/**
 * Tests only (the internal build, test_seams.c): ms_seal_fields, to
 * generate known-answer vectors.
 */
int ms_test_seal_fields(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
                        size_t *out_len, const char *topic, size_t topic_len,
                        const unsigned char *msg, size_t msg_len,
                        const mqttseal_header *fields);
#endif

#endif
