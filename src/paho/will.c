/*
 * Sealed wills. The broker publishes a will long after it was sealed, so
 * when the handle holds its keyring each will is sealed in a fresh
 * sealing session of a context used for wills only: no later message of
 * the client can push the will's sequence number out of a receiver's
 * replay window. A new session is drawn for every will, in a child of
 * fork() too; a will sealed with the handle's context relies on the core,
 * which starts a new session in a child before its first seal. Either
 * context signs when the handle has a signer.
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

/*
 * Seal in the handle's will context, in a fresh session, stamped if asked
 * to be. The will context carries the handle's signer
 * (mqttseal_paho_set_signer), so wills are signed like publishes.
 */
static int seal_own(mqttseal_paho *h, mqttseal_paho_will *w, const will_in *in,
                    size_t cap)
{
    unsigned stamp =
        atomic_load(&h->options) & MQTTSEAL_PAHO_OPT_WILL_TIMESTAMP;
    int rc;

    pthread_mutex_lock(&h->will_lock);
    rc = mqttseal_ctx_new_session(h->will_ctx);
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_ctx_set_timestamps(h->will_ctx, stamp != 0);
    }
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_seal_ex(h->will_ctx, w->p, cap, &w->len, in->topic,
                              strlen(in->topic), in->data, in->len,
                              in->retained ? MQTTSEAL_SEAL_RETAINED : 0U);
    }
    pthread_mutex_unlock(&h->will_lock);
    return rc;
}

static int seal_with(mqttseal_paho *h, mqttseal_paho_will *w, const will_in *in)
{
    size_t cap = MQTTSEAL_SEALED_BYTES(in->len);

    if (in->len > MQTTSEAL_PLAINTEXT_MAX) {
        return MQTTSEAL_E_TOO_LARGE;
    }
    if ((w->p = malloc(cap)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    if (h->will_ctx != NULL) {
        return seal_own(h, w, in, cap);
    }
    return mqttseal_seal_ex(h->ctx, w->p, cap, &w->len, in->topic,
                            strlen(in->topic), in->data, in->len,
                            in->retained ? MQTTSEAL_SEAL_RETAINED : 0U);
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
