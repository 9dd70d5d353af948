/* Context life cycle and options. The message path is in seal.c. */
#include "ctx.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "keyring.h"

static int ctx_alloc(mqttseal_ctx **out)
{
    mqttseal_ctx *ctx = calloc(1, sizeof *ctx);

    if (ctx == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    if (pthread_mutex_init(&ctx->lock, NULL) != 0) {
        free(ctx);
        return MQTTSEAL_E_NOMEM;
    }
    ctx->replay_window = MQTTSEAL_REPLAY_WINDOW_DEFAULT;
    ctx->replay_sessions = MQTTSEAL_REPLAY_SESSIONS_DEFAULT;
    atomic_init(&ctx->next_seq, 0);
    /* Drawn once: no random call per message (the nonce is derived). */
    randombytes_buf(ctx->sid, sizeof ctx->sid);
    *out = ctx;
    return MQTTSEAL_OK;
}

static void load_primary(mqttseal_ctx *ctx)
{
    uint32_t id = 0;

    ctx->has_primary = mqttseal_keyring_primary(ctx->kr, &id) == MQTTSEAL_OK;
    ctx->primary = id;
}

int mqttseal_ctx_new(mqttseal_ctx **out, const mqttseal_keyring *kr)
{
    mqttseal_ctx *ctx = NULL;
    int rc;

    if (out == NULL || kr == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    *out = NULL;
    if (mqttseal_init() != MQTTSEAL_OK) {
        return MQTTSEAL_E_CRYPTO;
    }
    if ((rc = ctx_alloc(&ctx)) != MQTTSEAL_OK) {
        return rc;
    }
    rc = ms_keyring_copy(&ctx->kr, kr);
    if (rc == MQTTSEAL_OK) {
        rc = ms_keycache_new(&ctx->cache, MQTTSEAL_CACHE_DEFAULT);
    }
    if (rc == MQTTSEAL_OK) {
        rc = ms_replay_new(&ctx->replay, ctx->replay_window,
                           ctx->replay_sessions);
    }
    if (rc != MQTTSEAL_OK) {
        mqttseal_ctx_free(ctx);
        return rc;
    }
    load_primary(ctx);
    ctx->replay_on = 1;
    *out = ctx;
    return MQTTSEAL_OK;
}

int mqttseal_ctx_from_file(mqttseal_ctx **out, const char *keyring_path,
                           mqttseal_diag *diag)
{
    mqttseal_keyring *kr = NULL;
    int rc;

    if (out == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    *out = NULL;
    rc = mqttseal_keyring_load_file(&kr, keyring_path, diag);
    if (rc != MQTTSEAL_OK) {
        return rc;
    }
    rc = mqttseal_ctx_new(out, kr);
    mqttseal_keyring_free(kr);
    return rc;
}

void mqttseal_ctx_free(mqttseal_ctx *ctx)
{
    if (ctx == NULL) {
        return;
    }
    mqttseal_keyring_free(ctx->kr);
    ms_keycache_free(ctx->cache);
    ms_replay_free(ctx->replay);
    pthread_mutex_destroy(&ctx->lock);
    sodium_memzero(ctx, sizeof *ctx);
    free(ctx);
}

int mqttseal_ctx_set_keyring(mqttseal_ctx *ctx, const mqttseal_keyring *kr)
{
    mqttseal_keyring *copy = NULL, *old;
    int rc;

    if (ctx == NULL || kr == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    if ((rc = ms_keyring_copy(&copy, kr)) != MQTTSEAL_OK) {
        return rc;
    }
    pthread_mutex_lock(&ctx->lock);
    old = ctx->kr;
    ctx->kr = copy;
    ms_keycache_clear(ctx->cache);
    load_primary(ctx);
    pthread_mutex_unlock(&ctx->lock);
    mqttseal_keyring_free(old);
    return MQTTSEAL_OK;
}

int mqttseal_ctx_set_cache_size(mqttseal_ctx *ctx, size_t entries)
{
    ms_keycache *cache = NULL, *old;
    int rc;

    if (ctx == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    if ((rc = ms_keycache_new(&cache, entries)) != MQTTSEAL_OK) {
        return rc;
    }
    pthread_mutex_lock(&ctx->lock);
    old = ctx->cache;
    ctx->cache = cache;
    pthread_mutex_unlock(&ctx->lock);
    ms_keycache_free(old);
    return MQTTSEAL_OK;
}

/* The current state in a new geometry: sessions that no longer fit
 * become tombstones, so the result is never more permissive. */
static int regeometry(ms_replay **out, const ms_replay *old, unsigned window,
                      size_t max_sessions)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = ms_replay_encode(old, &buf, &len);

    if (rc == MQTTSEAL_OK) {
        rc = ms_replay_decode(out, buf, len, window, max_sessions);
    }
    free(buf);
    return rc;
}

int mqttseal_ctx_set_replay(mqttseal_ctx *ctx, int enabled, unsigned window,
                            size_t max_sessions)
{
    ms_replay *r = NULL;
    int rc = MQTTSEAL_OK;

    if (ctx == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    pthread_mutex_lock(&ctx->lock);
    if (enabled && (window != ctx->replay_window ||
                    max_sessions != ctx->replay_sessions)) {
        rc = regeometry(&r, ctx->replay, window, max_sessions);
    }
    if (rc == MQTTSEAL_OK && r != NULL) {
        ms_replay_free(ctx->replay);
        ctx->replay = r;
        ctx->replay_window = window;
        ctx->replay_sessions = max_sessions;
    }
    if (rc == MQTTSEAL_OK) {
        ctx->replay_on = enabled != 0;
    }
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

size_t mqttseal_replay_session_bytes(unsigned window)
{
    return ms_replay_session_bytes(window);
}

int mqttseal_ctx_set_timestamps(mqttseal_ctx *ctx, int on)
{
    if (ctx == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    pthread_mutex_lock(&ctx->lock);
    ctx->timestamps = on != 0;
    pthread_mutex_unlock(&ctx->lock);
    return MQTTSEAL_OK;
}

int mqttseal_ctx_set_freshness(mqttseal_ctx *ctx, uint64_t max_age_ms,
                               uint64_t skew_ms, int exempt_retained)
{
    if (ctx == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    pthread_mutex_lock(&ctx->lock);
    ctx->max_age_ms = max_age_ms;
    ctx->skew_ms = skew_ms;
    ctx->exempt_retained = exempt_retained != 0;
    pthread_mutex_unlock(&ctx->lock);
    return MQTTSEAL_OK;
}

int mqttseal_ctx_save_replay(mqttseal_ctx *ctx, const char *path)
{
    int rc;

    if (ctx == NULL || path == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    pthread_mutex_lock(&ctx->lock);
    rc = ms_replay_save(ctx->replay, path);
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

int mqttseal_ctx_load_replay(mqttseal_ctx *ctx, const char *path)
{
    ms_replay *r = NULL, *old;
    int rc;

    if (ctx == NULL || path == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    pthread_mutex_lock(&ctx->lock);
    rc = ms_replay_load(&r, path, ctx->replay_window, ctx->replay_sessions);
    old = rc == MQTTSEAL_OK ? ctx->replay : NULL;
    if (rc == MQTTSEAL_OK) {
        ctx->replay = r;
    }
    pthread_mutex_unlock(&ctx->lock);
    ms_replay_free(old);
    return rc;
}

void mqttseal_ctx_session_id(const mqttseal_ctx *ctx,
                             unsigned char sid[MQTTSEAL_SESSIONIDBYTES])
{
    memcpy(sid, ctx->sid, MQTTSEAL_SESSIONIDBYTES);
}

static void snapshot(const mqttseal_ctx *ctx, ms_snapshot *snap)
{
    snap->has_primary = ctx->has_primary;
    snap->primary = ctx->primary;
    snap->timestamps = ctx->timestamps;
    snap->max_age_ms = ctx->max_age_ms;
    snap->skew_ms = ctx->skew_ms;
    snap->exempt_retained = ctx->exempt_retained;
}

int ms_ctx_message_key(mqttseal_ctx *ctx, int use_primary, uint32_t key_id,
                       const char *t, size_t t_len,
                       unsigned char key[MQTTSEAL_KEYBYTES], int64_t *expires,
                       ms_snapshot *snap)
{
    int rc = MQTTSEAL_OK;

    pthread_mutex_lock(&ctx->lock);
    snapshot(ctx, snap);
    if (use_primary) {
        rc = snap->has_primary ? MQTTSEAL_OK : MQTTSEAL_E_NO_PRIMARY;
        key_id = snap->primary;
    }
    if (rc == MQTTSEAL_OK &&
        !ms_keycache_get(ctx->cache, key_id, t, t_len, key, expires)) {
        rc = ms_keyring_message_key(ctx->kr, key_id, t, t_len, key, expires);
        if (rc == MQTTSEAL_OK) {
            rc = ms_keycache_put(ctx->cache, key_id, t, t_len, key, *expires);
        }
    }
    pthread_mutex_unlock(&ctx->lock);
    if (rc != MQTTSEAL_OK) {
        sodium_memzero(key, MQTTSEAL_KEYBYTES);
    }
    return rc;
}
