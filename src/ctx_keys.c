/*
 * The message path's share of the context: finding a message key and
 * claiming a place in the sealing session, under the lock for as short a
 * time as possible. Deriving a key and hashing a long topic happen
 * outside the lock, so a flood of forged messages on deep or long topics
 * cannot stall the threads that seal; a derived key enters the cache
 * only after it has authenticated a message (ms_ctx_key_remember).
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "replay.h"
#include "forkgen.h"
#include "keyring.h"

/* After a fork (or on request) the session starts again: a new random id
 * and sequence numbers from 0. Called with the lock held. */
static void session_restart(mqttseal_ctx *ctx, uint64_t gen)
{
    randombytes_buf(ctx->sid, sizeof ctx->sid);
    ctx->next_seq = 0;
    ctx->sess_gen = gen;
    atomic_fetch_add_explicit(&ctx->counters.sessions_new, 1,
                              memory_order_relaxed);
}

static int claim_seq(mqttseal_ctx *ctx, ms_claim *claim)
{
    uint64_t gen = ms_forkgen_current();

    if (gen != ctx->sess_gen) {
        session_restart(ctx, gen);
    }
    if (ctx->next_seq == UINT64_MAX) {
        return MQTTSEAL_E_SEQ_EXHAUSTED;
    }
    memcpy(claim->sid, ctx->sid, sizeof claim->sid);
    claim->seq = ctx->next_seq++;
    return MQTTSEAL_OK;
}

static void snapshot(const mqttseal_ctx *ctx, ms_snapshot *snap, int sealing)
{
    snap->signer = sealing ? ms_sigref_ref(ctx->signer) : NULL;
    snap->trust = sealing ? NULL : ms_sigref_ref(ctx->trust);
    snap->timestamps = ctx->timestamps;
    snap->max_age_ms = ctx->max_age_ms;
    snap->skew_ms = ctx->skew_ms;
    snap->retained_max_age_ms = ctx->retained_max_age_ms;
}

/* Under the lock: options, primary id, session, and a cache hit on the
 * most recent entry. 1 if the key was found. */
static int first_pass(mqttseal_ctx *ctx, ms_keyreq *req, ms_snapshot *snap,
                      ms_claim *claim, int *rc)
{
    snapshot(ctx, snap, claim != NULL);
    *rc = MQTTSEAL_OK;
    req->kr_gen = ctx->kr_gen;
    if (claim != NULL) {
        if (!ctx->has_primary) {
            *rc = MQTTSEAL_E_NO_PRIMARY;
            return 0;
        }
        req->key_id = ctx->primary;
        if ((*rc = claim_seq(ctx, claim)) != MQTTSEAL_OK) {
            return 0;
        }
        req->slot.sid = claim->sid;
    }
    return ms_keycache_get_head(ctx->cache, req->key_id, req->topic,
                                req->topic_len, &req->slot);
}

/* Under the lock again, with the hash computed outside: a cache hit, or
 * a reference to the keyring to derive from. */
static ms_krref *second_pass(mqttseal_ctx *ctx, ms_keyreq *req)
{
    ms_krref *kr = NULL;

    req->kr_gen = ctx->kr_gen;
    if (!ms_keycache_get_hashed(ctx->cache, req->hash, req->key_id, req->topic,
                                req->topic_len, &req->slot)) {
        kr = ctx->kr;
        atomic_fetch_add(&kr->refs, 1);
    }
    return kr;
}

int ms_ctx_key_lookup(mqttseal_ctx *ctx, ms_keyreq *req, ms_snapshot *snap,
                      ms_claim *claim)
{
    ms_krref *kr;
    int rc, hit;

    req->derived = req->sub_new = req->hashed = 0;
    req->slot.has_sub = 0;
    pthread_mutex_lock(&ctx->lock);
    hit = first_pass(ctx, req, snap, claim, &rc);
    pthread_mutex_unlock(&ctx->lock);
    if (hit || rc != MQTTSEAL_OK) {
        return rc;
    }
    /* The cache's hash key never changes: hash without the lock. */
    req->hash =
        ms_keycache_hash(ctx->cache, req->key_id, req->topic, req->topic_len);
    req->hashed = 1;
    pthread_mutex_lock(&ctx->lock);
    kr = second_pass(ctx, req);
    pthread_mutex_unlock(&ctx->lock);
    if (kr == NULL) {
        return MQTTSEAL_OK;
    }
    rc = ms_keyring_message_key(kr->kr, req->key_id, req->topic, req->topic_len,
                                req->slot.key, &req->slot.expires);
    ms_krref_unref(kr);
    req->derived = rc == MQTTSEAL_OK;
    atomic_fetch_add_explicit(&ctx->counters.derived, 1, memory_order_relaxed);
    if (rc != MQTTSEAL_OK) {
        ms_ctx_key_wipe(req);
    }
    return rc;
}

/* XChaCha20's subkey: HChaCha20 of the first 16 nonce bytes, sid || 0^4,
 * which stay the same for a whole session (docs/FORMAT.md section 3). */
void ms_ctx_subkey(ms_keyreq *req)
{
    unsigned char in[crypto_core_hchacha20_INPUTBYTES] = {0};

    if (req->slot.has_sub) {
        return;
    }
    memcpy(in, req->slot.sid, MQTTSEAL_SESSIONIDBYTES);
    crypto_core_hchacha20(req->slot.sub, in, req->slot.key, NULL);
    req->slot.has_sub = 1;
    req->sub_new = 1;
}

void ms_ctx_replay_id(ms_keyreq *req)
{
    if (req->sub_new) { /* else the cache had it, with the subkey */
        ms_replay_id(req->slot.rid, req->slot.key, req->slot.sid);
    }
}

void ms_ctx_key_wipe(ms_keyreq *req)
{
    /* key and sub are adjacent: one call wipes both. */
    sodium_memzero(req->slot.key, sizeof req->slot.key + sizeof req->slot.sub);
}

void ms_ctx_key_remember(mqttseal_ctx *ctx, ms_keyreq *req)
{
    if (!req->derived && !req->sub_new) {
        return;
    }
    if (!req->hashed) {
        req->hash = ms_keycache_hash(ctx->cache, req->key_id, req->topic,
                                     req->topic_len);
    }
    pthread_mutex_lock(&ctx->lock);
    /* Nothing found under a keyring since replaced is cached. Out of
     * memory only costs a later derivation. */
    if (req->kr_gen == ctx->kr_gen && req->derived) {
        (void)ms_keycache_put_hashed(ctx->cache, req->hash, req->key_id,
                                     req->topic, req->topic_len, req->slot.key,
                                     req->slot.expires);
    }
    if (req->kr_gen == ctx->kr_gen && req->sub_new) {
        ms_keycache_set_sub(ctx->cache, req->hash, req->key_id, req->topic,
                            req->topic_len, req->slot.sid, req->slot.sub,
                            req->slot.rid);
    }
    pthread_mutex_unlock(&ctx->lock);
}

void ms_ctx_count_open(mqttseal_ctx *ctx, int rc)
{
    if (rc == MQTTSEAL_OK) {
        atomic_fetch_add_explicit(&ctx->counters.opened, 1,
                                  memory_order_relaxed);
    } else if (rc > 0 && (unsigned)rc < MQTTSEAL_ERR_COUNT) {
        atomic_fetch_add_explicit(&ctx->counters.refused_by[rc], 1,
                                  memory_order_relaxed);
    }
}

int mqttseal_ctx_new_session(mqttseal_ctx *ctx)
{
    if (ctx == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    pthread_mutex_lock(&ctx->lock);
    session_restart(ctx, ms_forkgen_current());
    pthread_mutex_unlock(&ctx->lock);
    return MQTTSEAL_OK;
}

/* The id the next seal will use: in a child of fork() that is a new
 * one, so the session restarts here already. */
void mqttseal_ctx_session_id(const mqttseal_ctx *ctx,
                             unsigned char sid[MQTTSEAL_SESSIONIDBYTES])
{
    mqttseal_ctx *c = (mqttseal_ctx *)(uintptr_t)ctx;
    uint64_t gen = ms_forkgen_current();

    pthread_mutex_lock(&c->lock);
    if (gen != c->sess_gen) {
        session_restart(c, gen);
    }
    memcpy(sid, c->sid, MQTTSEAL_SESSIONIDBYTES);
    pthread_mutex_unlock(&c->lock);
}
