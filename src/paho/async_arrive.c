/*
 * MQTTAsync receiving: as client_arrive.c, on MQTTAsync's threads.
 */
#include <stdlib.h>
#include <string.h>

#include "hooks.h"

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

const char *ms_paho_api_strerror(int code)
{
    return MQTTAsync_strerror(code);
}
