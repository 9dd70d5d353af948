/*
 * Sealed wills. The broker publishes a will long after it was sealed, so
 * when the handle holds its keyring each will is sealed in a fresh
 * sealing session: no later message of the client can push the will's
 * sequence number out of a receiver's replay window. That context lives
 * only for the one seal, so a will sealed in a child of fork() has its
 * own session too; a will sealed with the handle's context relies on the
 * core, which starts a new session in a child before its first seal.
 */
#include <stdlib.h>
#include <string.h>

#include "hooks.h"

struct mqttseal_paho_will {
    unsigned char *p;
    size_t len;
};

typedef struct will_in {
    const char *topic;
    const void *data;
    size_t len;
    int retained;
} will_in;

/* A context for one will: a fresh session, stamped if asked to be. */
static int will_ctx(const mqttseal_paho *h, mqttseal_ctx **out)
{
    int rc = mqttseal_ctx_new(out, h->kr);

    if (rc == MQTTSEAL_OK &&
        (atomic_load(&h->options) & MQTTSEAL_PAHO_OPT_WILL_TIMESTAMP) != 0) {
        rc = mqttseal_ctx_set_timestamps(*out, 1);
    }
    if (rc != MQTTSEAL_OK) {
        mqttseal_ctx_free(*out);
        *out = NULL;
    }
    return rc;
}

static int seal_with(mqttseal_paho *h, mqttseal_paho_will *w, const will_in *in)
{
    mqttseal_ctx *ctx = h->ctx;
    size_t cap = MQTTSEAL_SEALED_BYTES(in->len);
    int rc;

    if (in->len > MQTTSEAL_PLAINTEXT_MAX) {
        return MQTTSEAL_E_TOO_LARGE;
    }
    if ((w->p = malloc(cap)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    if (h->kr != NULL && (rc = will_ctx(h, &ctx)) != MQTTSEAL_OK) {
        return rc;
    }
    rc = mqttseal_seal_ex(ctx, w->p, cap, &w->len, in->topic, strlen(in->topic),
                          in->data, in->len,
                          in->retained ? MQTTSEAL_SEAL_RETAINED : 0U);
    if (ctx != h->ctx) {
        mqttseal_ctx_free(ctx);
    }
    return rc;
}

static int will_make(mqttseal_paho *h, const will_in *in,
                     mqttseal_paho_will **out)
{
    mqttseal_paho_will *w;
    int rc;

    if (in->topic == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    if ((w = calloc(1, sizeof *w)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    rc = seal_with(h, w, in);
    if (rc != MQTTSEAL_OK) {
        mqttseal_paho_will_free(w);
        return rc;
    }
    *out = w;
    return MQTTSEAL_OK;
}

void mqttseal_paho_will_free(mqttseal_paho_will *will)
{
    if (will != NULL) {
        free(will->p);
        free(will);
    }
}

/* Both Paho will structs share this layout; the macro reads either. */
#define WILL_INPUT(wo, in)                                                     \
    do {                                                                       \
        (in).topic = (wo)->topicName;                                          \
        (in).retained = (wo)->retained;                                        \
        (in).data = (wo)->message;                                             \
        (in).len = (wo)->message != NULL ? strlen((wo)->message) : 0;          \
        if ((wo)->message == NULL && (wo)->struct_version >= 1 &&              \
            (wo)->payload.data != NULL && (wo)->payload.len > 0) {             \
            (in).data = (wo)->payload.data;                                    \
            (in).len = (size_t)(wo)->payload.len;                              \
        }                                                                      \
    } while (0)

#define WILL_OUTPUT(wo, w)                                                     \
    do {                                                                       \
        (wo)->message = NULL;                                                  \
        (wo)->struct_version = 1;                                              \
        (wo)->payload.data = (w)->p;                                           \
        (wo)->payload.len = (int)(w)->len;                                     \
    } while (0)

static int will_struct_ok(const char id[4], int version)
{
    return memcmp(id, "MQTW", 4) == 0 && version >= 0 && version <= 1;
}

int mqttseal_MQTTClient_sealWill(mqttseal_paho *h,
                                 MQTTClient_connectOptions *options,
                                 mqttseal_paho_will **will)
{
    MQTTClient_willOptions *wo;
    will_in in;
    int rc;

    if (will != NULL) {
        *will = NULL;
    }
    if (h == NULL || will == NULL || options == NULL ||
        memcmp(options->struct_id, "MQTC", 4) != 0 ||
        (wo = options->will) == NULL ||
        !will_struct_ok(wo->struct_id, wo->struct_version)) {
        return MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID);
    }
    WILL_INPUT(wo, in);
    if ((rc = will_make(h, &in, will)) != MQTTSEAL_OK) {
        return MQTTSEAL_PAHO_ERROR(rc);
    }
    WILL_OUTPUT(wo, *will);
    return MQTTCLIENT_SUCCESS;
}

int mqttseal_MQTTAsync_sealWill(mqttseal_paho *h,
                                MQTTAsync_connectOptions *options,
                                mqttseal_paho_will **will)
{
    MQTTAsync_willOptions *wo;
    will_in in;
    int rc;

    if (will != NULL) {
        *will = NULL;
    }
    if (h == NULL || will == NULL || options == NULL ||
        memcmp(options->struct_id, "MQTC", 4) != 0 ||
        (wo = options->will) == NULL ||
        !will_struct_ok(wo->struct_id, wo->struct_version)) {
        return MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID);
    }
    /* Version 6 and later carry MQTT 5 will properties. */
    if (options->struct_version >= 6 &&
        ms_props_has_pfi(options->willProperties)) {
        return MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID);
    }
    WILL_INPUT(wo, in);
    if ((rc = will_make(h, &in, will)) != MQTTSEAL_OK) {
        return MQTTSEAL_PAHO_ERROR(rc);
    }
    WILL_OUTPUT(wo, *will);
    return MQTTASYNC_SUCCESS;
}
