/* Context life cycle and options. The message path is in ctx_keys.c
 * and seal.c; replay-state files in ctx_state.c. */
#include "ctx.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "forkgen.h"
#include "keyring.h"

void ms_krref_unref(ms_krref *r)
{
    if (r != NULL && atomic_fetch_sub(&r->refs, 1) == 1) {
        mqttseal_keyring_free(r->kr);
        sodium_memzero(r, sizeof *r);
        free(r);
    }
}

static int krref_new(ms_krref **out, const mqttseal_keyring *kr)
{
    ms_krref *r = calloc(1, sizeof *r);
    int rc;

    if (r == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    if ((rc = ms_keyring_copy(&r->kr, kr)) != MQTTSEAL_OK) {
        free(r);
        return rc;
    }
    atomic_init(&r->refs, 1);
    *out = r;
    return MQTTSEAL_OK;
}

ms_krref *ms_ctx_keyring_ref(mqttseal_ctx *ctx)
{
    ms_krref *r;

    pthread_mutex_lock(&ctx->lock);
    r = ctx->kr;
    atomic_fetch_add(&r->refs, 1);
    pthread_mutex_unlock(&ctx->lock);
    return r;
}

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
    ctx->replay_capacity = MQTTSEAL_REPLAY_REMEMBER_DEFAULT;
    ctx->skew_ms = MQTTSEAL_SKEW_DEFAULT_MS;
    ctx->replay_on = 1;
    atomic_init(&ctx->max_levels, MQTTSEAL_LEVELS_DEFAULT);
    /* Drawn once per session: no random call per message (the nonce is
     * derived from it and the sequence number). */
    randombytes_buf(ctx->sid, sizeof ctx->sid);
    ctx->sess_gen = ms_forkgen_current();
    *out = ctx;
    return MQTTSEAL_OK;
}

static void load_primary(mqttseal_ctx *ctx)
{
    uint32_t id = 0;

    ctx->has_primary =
        mqttseal_keyring_primary(ctx->kr->kr, &id) == MQTTSEAL_OK;
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
    rc = krref_new(&ctx->kr, kr);
    if (rc == MQTTSEAL_OK) {
        rc = ms_keycache_new(&ctx->cache, MQTTSEAL_CACHE_DEFAULT);
    }
    if (rc != MQTTSEAL_OK) {
        mqttseal_ctx_free(ctx);
        return rc;
    }
    load_primary(ctx);
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
    ms_krref_unref(ctx->kr);
    ms_sigref_unref(ctx->signer);
    ms_sigref_unref(ctx->trust);
    ms_keycache_free(ctx->cache);
    ms_replay_free(ctx->replay);
    ms_backend_unref(ctx->backend);
    pthread_mutex_destroy(&ctx->lock);
    sodium_memzero(ctx, sizeof *ctx);
    free(ctx);
}

int mqttseal_ctx_set_keyring(mqttseal_ctx *ctx, const mqttseal_keyring *kr)
{
    ms_krref *copy = NULL, *old;
    int rc;

    if (ctx == NULL || kr == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    if ((rc = krref_new(&copy, kr)) != MQTTSEAL_OK) {
        return rc;
    }
    pthread_mutex_lock(&ctx->lock);
    old = ctx->kr;
    ctx->kr = copy;
    ctx->kr_gen++;
    ms_keycache_clear(ctx->cache);
    load_primary(ctx);
    pthread_mutex_unlock(&ctx->lock);
    ms_krref_unref(old);
    return MQTTSEAL_OK;
}

int mqttseal_ctx_set_cache_size(mqttseal_ctx *ctx, size_t entries)
{
    int rc;

    if (ctx == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    pthread_mutex_lock(&ctx->lock);
    rc = ms_keycache_resize(ctx->cache, entries);
    ctx->kr_gen++;
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

int mqttseal_ctx_set_max_levels(mqttseal_ctx *ctx, unsigned levels)
{
    if (ctx == NULL || levels == 0 || levels > MQTTSEAL_TOPIC_MAX) {
        return MQTTSEAL_E_INVALID;
    }
    atomic_store(&ctx->max_levels, levels);
    return MQTTSEAL_OK;
}

int ms_ctx_replay_ready(mqttseal_ctx *ctx)
{
    int rc;

    if (ctx->replay != NULL) {
        return MQTTSEAL_OK;
    }
    rc = ms_replay_new(&ctx->replay, ctx->replay_window, ctx->replay_sessions);
    if (rc == MQTTSEAL_OK) {
        rc = ms_replay_set_capacity(ctx->replay, ctx->replay_capacity);
        ms_replay_set_max_age(ctx->replay, ctx->max_age_ms);
    }
    if (rc != MQTTSEAL_OK) {
        ms_replay_free(ctx->replay);
        ctx->replay = NULL;
    }
    return rc;
}

/* The current state in a new geometry: sessions that no longer fit
 * become remembered ones, so the result is never more permissive. */
static int regeometry(mqttseal_ctx *ctx, unsigned window, size_t sessions)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    ms_replay *r = NULL;
    int rc = ms_replay_encode(ctx->replay, &buf, &len);

    if (rc == MQTTSEAL_OK) {
        rc = ms_replay_decode(&r, buf, len, window, sessions,
                              ctx->replay_capacity);
    }
    free(buf);
    if (rc == MQTTSEAL_OK) {
        ms_replay_set_max_age(r, ctx->max_age_ms);
        ms_replay_free(ctx->replay);
        ctx->replay = r;
    }
    return rc;
}

int mqttseal_ctx_set_replay(mqttseal_ctx *ctx, int enabled, unsigned window,
                            size_t max_sessions)
{
    int rc = MQTTSEAL_OK;

    if (ctx == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    if (ms_replay_session_bytes(window) == 0 || max_sessions == 0 ||
        max_sessions > ctx->replay_capacity) {
        return enabled ? MQTTSEAL_E_INVALID : MQTTSEAL_OK;
    }
    pthread_mutex_lock(&ctx->lock);
    if (enabled && ctx->replay != NULL &&
        (window != ctx->replay_window ||
         max_sessions != ctx->replay_sessions)) {
        rc = regeometry(ctx, window, max_sessions);
    }
    if (rc == MQTTSEAL_OK && enabled) {
        ctx->replay_window = window;
        ctx->replay_sessions = max_sessions;
    }
    if (rc == MQTTSEAL_OK) {
        ctx->replay_on = enabled != 0;
    }
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

void ms_backend_unref(ms_backend *b)
{
    if (b != NULL && atomic_fetch_sub(&b->refs, 1) == 1) {
        if (b->b.free != NULL) {
            b->b.free(b->b.state);
        }
        free(b);
    }
}

int mqttseal_ctx_set_replay_backend(mqttseal_ctx *ctx,
                                    const mqttseal_replay_backend *backend)
{
    ms_backend *b = NULL, *old;

    if (ctx == NULL || (backend != NULL && backend->accept == NULL)) {
        return MQTTSEAL_E_INVALID;
    }
    if (backend != NULL) {
        if ((b = calloc(1, sizeof *b)) == NULL) {
            return MQTTSEAL_E_NOMEM;
        }
        b->b = *backend;
        atomic_init(&b->refs, 1);
    }
    pthread_mutex_lock(&ctx->lock);
    old = ctx->backend;
    ctx->backend = b;
    pthread_mutex_unlock(&ctx->lock);
    ms_backend_unref(old);
    return MQTTSEAL_OK;
}

size_t mqttseal_replay_session_bytes(unsigned window)
{
    return ms_replay_session_bytes(window);
}

size_t mqttseal_replay_remembered_bytes(void)
{
    return ms_replay_remembered_bytes();
}

int mqttseal_ctx_set_replay_capacity(mqttseal_ctx *ctx, size_t remembered)
{
    int rc = MQTTSEAL_OK;

    if (ctx == NULL || remembered < ctx->replay_sessions ||
        remembered > UINT32_MAX / 2U) {
        return MQTTSEAL_E_INVALID;
    }
    pthread_mutex_lock(&ctx->lock);
    if (ctx->replay != NULL) {
        rc = ms_replay_set_capacity(ctx->replay, remembered);
    }
    if (rc == MQTTSEAL_OK) {
        ctx->replay_capacity = remembered;
    }
    pthread_mutex_unlock(&ctx->lock);
    return rc;
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
                               uint64_t skew_ms, uint64_t retained_max_age_ms)
{
    if (ctx == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    pthread_mutex_lock(&ctx->lock);
    ctx->max_age_ms = max_age_ms;
    ctx->skew_ms = skew_ms != 0 ? skew_ms : MQTTSEAL_SKEW_DEFAULT_MS;
    ctx->retained_max_age_ms = retained_max_age_ms;
    if (ctx->replay != NULL) {
        ms_replay_set_max_age(ctx->replay, max_age_ms);
    }
    pthread_mutex_unlock(&ctx->lock);
    return MQTTSEAL_OK;
}

int mqttseal_ctx_use_fleet_defaults(mqttseal_ctx *ctx)
{
    int rc = mqttseal_ctx_set_timestamps(ctx, 1);

    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_ctx_set_freshness(ctx, MQTTSEAL_FLEET_MAX_AGE_MS,
                                        MQTTSEAL_SKEW_DEFAULT_MS,
                                        MQTTSEAL_FLEET_RETAINED_MAX_AGE_MS);
    }
    return rc;
}

static uint64_t load(_Atomic uint64_t *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

int mqttseal_ctx_stats(mqttseal_ctx *ctx, mqttseal_stats *out)
{
    ms_replay_stat rs = {0, 0, 0, 0, 0};
    unsigned i;

    if (ctx == NULL || out == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    memset(out, 0, sizeof *out);
    out->sealed = load(&ctx->counters.sealed);
    out->opened = load(&ctx->counters.opened);
    out->sessions_new = load(&ctx->counters.sessions_new);
    out->derived = load(&ctx->counters.derived);
    for (i = 0; i < MQTTSEAL_ERR_COUNT; i++) {
        out->refused_by[i] = load(&ctx->counters.refused_by[i]);
        out->refused += out->refused_by[i];
    }
    pthread_mutex_lock(&ctx->lock);
    if (ctx->replay != NULL) {
        ms_replay_stats(ctx->replay, &rs);
    }
    out->cache_entries = ms_keycache_count(ctx->cache);
    out->cache_bytes = ms_keycache_bytes(ctx->cache);
    pthread_mutex_unlock(&ctx->lock);
    out->replay_tracked = rs.tracked;
    out->replay_remembered = rs.remembered;
    out->replay_forgotten = rs.forgotten;
    out->replay_dropped = rs.dropped;
    out->replay_bytes = rs.bytes;
    return MQTTSEAL_OK;
}
