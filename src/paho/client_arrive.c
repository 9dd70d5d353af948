/*
 * MQTTClient receiving: mqttseal's messageArrived in front of the
 * application's (arrive.c opens), and the other callbacks with the
 * application's context swapped back in.
 */
#include <stdlib.h>
#include <string.h>

#include "hooks.h"

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

const char *ms_paho_api_strerror(int code)
{
    return MQTTClient_strerror(code);
}
