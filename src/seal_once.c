/*
 * One message in a one-off sealing session: a session id drawn for this
 * message alone and sequence number 0, under the primary key id. Made for
 * messages a broker publishes long after they were sealed (MQTT wills):
 * no later message of the context can push such a message out of a
 * receiver's replay window, and no context has to be made for it.
 *
 * Nonce uniqueness: (key, session id, 0) repeats only if two 96-bit
 * random session ids collide. The id is drawn in the calling process at
 * every call, so a child of fork() never reuses its parent's, and the
 * context's own session (id and counter) is neither read nor advanced.
 */
#include <sodium.h>
#include <string.h>

#include "clock.h"
#include "ctx.h"

int mqttseal_seal_once(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
                       size_t *out_len, const char *topic, size_t topic_len,
                       const unsigned char *msg, size_t msg_len, unsigned flags)
{
    mqttseal_header h;
    int has_primary, stamp;
    int rc;

    if (out_len != NULL) {
        *out_len = 0;
    }
    if (ctx == NULL ||
        (flags & ~(MQTTSEAL_SEAL_RETAINED | MQTTSEAL_SEAL_TIMESTAMP)) != 0) {
        return MQTTSEAL_E_INVALID;
    }
    memset(&h, 0, sizeof h);
    pthread_mutex_lock(&ctx->lock);
    has_primary = ctx->has_primary;
    h.key_id = ctx->primary;
    stamp = ctx->timestamps || (flags & MQTTSEAL_SEAL_TIMESTAMP) != 0;
    pthread_mutex_unlock(&ctx->lock);
    if (!has_primary) {
        return MQTTSEAL_E_NO_PRIMARY;
    }
    randombytes_buf(h.session_id, sizeof h.session_id);
    h.seq = 0;
    h.sealed_retained = (flags & MQTTSEAL_SEAL_RETAINED) != 0;
    if (stamp) {
        h.has_timestamp = 1;
        h.timestamp_ms = ms_clock_now_ms();
    }
    rc = ms_seal_fields(ctx, out, out_cap, out_len, topic, topic_len, msg,
                        msg_len, &h, 1);
    if (rc != MQTTSEAL_OK && out != NULL) {
        sodium_memzero(out, out_cap);
        if (out_len != NULL) {
            *out_len = 0;
        }
    }
    sodium_memzero(&h, sizeof h);
    return rc;
}
