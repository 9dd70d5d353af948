/*
 * Receiving: mqttseal's messageArrived in front of the application's.
 * The payload is opened in place inside Paho's buffer (Paho tracks its
 * own heap, so the buffer is never swapped), payloadlen is fixed, and
 * only then is the application called. Every failure is reported, the
 * message and topic are freed, and 1 is returned so that Paho neither
 * redelivers nor stalls.
 */
#include <stdlib.h>
#include <string.h>

#include "hooks.h"

/* MQTTSEAL_OK when a->payload now holds verified plaintext, else why not. */
int ms_paho_open(mqttseal_paho *h, const arrival *a, origin *org)
{
    mqttseal_header hdr;
    size_t out_len = 0;
    unsigned flags = a->retained ? MQTTSEAL_OPEN_RETAINED : 0U;
    int rc;

    memset(org, 0, sizeof *org);
    if (ms_pending_take(&h->pend, a, org)) {
        return MQTTSEAL_OK; /* the app's own retry of an opened message */
    }
    if (a->topic == NULL || a->topic_len == 0) {
        return MQTTSEAL_E_TOPIC_EMPTY; /* e.g. an unresolved topic alias */
    }
    if (a->payload == NULL || *a->payloadlen <= 0) {
        return *a->payloadlen < 0 ? MQTTSEAL_E_INVALID : MQTTSEAL_E_TRUNCATED;
    }
    rc = mqttseal_open(h->ctx, a->payload, (size_t)*a->payloadlen, &out_len,
                       a->topic, a->topic_len, a->payload,
                       (size_t)*a->payloadlen, flags, &hdr);
    if (rc == MQTTSEAL_E_REPLAY && a->dup) {
        return MQTTSEAL_PAHO_DUPLICATE;
    }
    if (rc != MQTTSEAL_OK) {
        return rc;
    }
    if (hdr.is_signed) {
        org->is_signed = 1;
        memcpy(org->id, hdr.signer_id, sizeof org->id);
    }
    /* The plaintext is shorter than the envelope: room for a NUL. */
    a->payload[out_len] = '\0';
    *a->payloadlen = (int)out_len;
    return MQTTSEAL_OK;
}

/* The application returned 0: Paho will offer the same message again. */
void ms_paho_refused(mqttseal_paho *h, const arrival *a, const origin *org)
{
    ms_pending_put(&h->pend, a, org);
}

static size_t topic_length(const char *topic, int topic_len)
{
    if (topic == NULL) {
        return 0;
    }
    return topic_len > 0 ? (size_t)topic_len : strlen(topic);
}

#define ARRIVAL_OF(b, m, t, tl)                                                \
    {                                                                          \
        (b)->client, (b)->kind, (m), (t), topic_length((t), (tl)),             \
            (unsigned char *)(m)->payload, &(m)->payloadlen, (m)->qos,         \
            (m)->retained, (m)->dup                                            \
    }

static int arrived_client(void *context, char *topic, int topic_len,
                          MQTTClient_message *m)
{
    binding *b = context;
    origin org;
    int rc;

    if (m == NULL) {
        MQTTClient_free(topic);
        return 1;
    }
    arrival a = ARRIVAL_OF(b, m, topic, topic_len);
    rc = ms_paho_open(b->h, &a, &org);
    if (rc != MQTTSEAL_OK) {
        ms_paho_reject(b->h, &a, rc);
        MQTTClient_freeMessage(&m);
        MQTTClient_free(topic);
        return 1;
    }
    atomic_fetch_add_explicit(&b->h->delivered, 1U, memory_order_relaxed);
    ms_origin_enter(b->h, &org);
    rc = b->ma.c(b->app_ctx, topic, topic_len, m);
    ms_origin_leave();
    if (rc == 0) {
        ms_paho_refused(b->h, &a, &org); /* m and topic are still Paho's */
    }
    return rc;
}

static int arrived_async(void *context, char *topic, int topic_len,
                         MQTTAsync_message *m)
{
    binding *b = context;
    origin org;
    int rc;

    if (m == NULL) {
        MQTTAsync_free(topic);
        return 1;
    }
    arrival a = ARRIVAL_OF(b, m, topic, topic_len);
    rc = ms_paho_open(b->h, &a, &org);
    if (rc != MQTTSEAL_OK) {
        ms_paho_reject(b->h, &a, rc);
        MQTTAsync_freeMessage(&m);
        MQTTAsync_free(topic);
        return 1;
    }
    atomic_fetch_add_explicit(&b->h->delivered, 1U, memory_order_relaxed);
    ms_origin_enter(b->h, &org);
    rc = b->ma.a(b->app_ctx, topic, topic_len, m);
    ms_origin_leave();
    if (rc == 0) {
        ms_paho_refused(b->h, &a, &org);
    }
    return rc;
}

/* The other callbacks only swap the context back to the app's. */
static void lost_client(void *context, char *cause)
{
    const binding *b = context;

    b->cl.c(b->app_ctx, cause);
}

static void done_client(void *context, MQTTClient_deliveryToken dt)
{
    const binding *b = context;

    b->dc.c(b->app_ctx, dt);
}

static void lost_async(void *context, char *cause)
{
    const binding *b = context;

    b->cl.a(b->app_ctx, cause);
}

static void done_async(void *context, MQTTAsync_token token)
{
    const binding *b = context;

    b->dc.a(b->app_ctx, token);
}

static int same_binding(const binding *x, const binding *y)
{
    if (x->client != y->client || x->kind != y->kind ||
        x->app_ctx != y->app_ctx) {
        return 0;
    }
    if (x->kind == BIND_CLIENT) {
        return x->ma.c == y->ma.c && x->cl.c == y->cl.c && x->dc.c == y->dc.c;
    }
    return x->ma.a == y->ma.a && x->cl.a == y->cl.a && x->dc.a == y->dc.a;
}

/*
 * A binding equal to proto, reused or added. Bindings are never changed
 * or freed before the handle, so a Paho thread may still be using an
 * older one for the same client.
 */
int ms_paho_bind(mqttseal_paho *h, const binding *proto, binding **out)
{
    binding *b;

    pthread_mutex_lock(&h->lock);
    for (b = h->bindings; b != NULL; b = b->next) {
        if (same_binding(b, proto)) {
            break;
        }
    }
    if (b == NULL && (b = malloc(sizeof *b)) != NULL) {
        *b = *proto;
        b->h = h;
        b->next = h->bindings;
        h->bindings = b;
    }
    pthread_mutex_unlock(&h->lock);
    *out = b;
    return b != NULL ? MQTTSEAL_OK : MQTTSEAL_E_NOMEM;
}

int mqttseal_MQTTClient_setCallbacks(mqttseal_paho *h, MQTTClient handle,
                                     void *context,
                                     MQTTClient_connectionLost *cl,
                                     MQTTClient_messageArrived *ma,
                                     MQTTClient_deliveryComplete *dc)
{
    binding proto, *b = NULL;
    int rc;

    if (h == NULL) {
        return MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID);
    }
    if (ma == NULL) {
        return MQTTCLIENT_FAILURE;
    }
    memset(&proto, 0, sizeof proto);
    proto.client = handle;
    proto.kind = BIND_CLIENT;
    proto.app_ctx = context;
    proto.ma.c = ma;
    proto.cl.c = cl;
    proto.dc.c = dc;
    if ((rc = ms_paho_bind(h, &proto, &b)) != MQTTSEAL_OK) {
        return MQTTSEAL_PAHO_ERROR(rc);
    }
    return MQTTClient_setCallbacks(handle, b, cl ? lost_client : NULL,
                                   arrived_client, dc ? done_client : NULL);
}

int mqttseal_MQTTAsync_setCallbacks(mqttseal_paho *h, MQTTAsync handle,
                                    void *context, MQTTAsync_connectionLost *cl,
                                    MQTTAsync_messageArrived *ma,
                                    MQTTAsync_deliveryComplete *dc)
{
    binding proto, *b = NULL;
    int rc;

    if (h == NULL) {
        return MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID);
    }
    if (ma == NULL) {
        return MQTTASYNC_FAILURE;
    }
    memset(&proto, 0, sizeof proto);
    proto.client = handle;
    proto.kind = BIND_ASYNC;
    proto.app_ctx = context;
    proto.ma.a = ma;
    proto.cl.a = cl;
    proto.dc.a = dc;
    if ((rc = ms_paho_bind(h, &proto, &b)) != MQTTSEAL_OK) {
        return MQTTSEAL_PAHO_ERROR(rc);
    }
    return MQTTAsync_setCallbacks(handle, b, cl ? lost_async : NULL,
                                  arrived_async, dc ? done_async : NULL);
}
