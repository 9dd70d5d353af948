/* Saving and loading a context's replay state. The state is encoded
 * under the context's lock and written outside it (two fsyncs must not
 * stall seal and open); a loaded file is read and checked outside the
 * lock and swapped in under it. */
#include <stdlib.h>

#include "ctx.h"
#include "state_file.h"

int mqttseal_ctx_save_replay(mqttseal_ctx *ctx, const char *path)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    ms_krref *kr;
    int rc;

    if (ctx == NULL || path == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    pthread_mutex_lock(&ctx->lock);
    rc = ms_ctx_replay_ready(ctx);
    if (rc == MQTTSEAL_OK) {
        rc = ms_replay_encode(ctx->replay, &buf, &len);
    }
    kr = ctx->kr;
    atomic_fetch_add(&kr->refs, 1);
    pthread_mutex_unlock(&ctx->lock);
    if (rc == MQTTSEAL_OK) {
        rc = ms_state_write(kr->kr, path, buf, len);
    }
    ms_krref_unref(kr);
    free(buf);
    return rc;
}

int mqttseal_ctx_load_replay(mqttseal_ctx *ctx, const char *path)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    ms_replay *r = NULL, *old = NULL;
    ms_krref *kr;
    int rc;

    if (ctx == NULL || path == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    kr = ms_ctx_keyring_ref(ctx);
    rc = ms_state_read(kr->kr, path, &buf, &len);
    ms_krref_unref(kr);
    pthread_mutex_lock(&ctx->lock);
    if (rc == MQTTSEAL_OK) {
        rc = ms_replay_decode(&r, buf, len, ctx->replay_window,
                              ctx->replay_sessions, ctx->replay_capacity);
    }
    if (rc == MQTTSEAL_OK) {
        ms_replay_set_max_age(r, ctx->max_age_ms);
        old = ctx->replay;
        ctx->replay = r;
    }
    pthread_mutex_unlock(&ctx->lock);
    ms_replay_free(old);
    free(buf);
    return rc;
}
