/* One client API over MQTTClient/MQTTAsync and 3.1.1/5; see tb_client.h. */
#include "tb_client.h"

#include <stdio.h>
#include <string.h>

#include "tb.h"

#define SESSION_EXPIRY_S 3600
#define OP_TIMEOUT_MS 10000

/* ------------------------------------------------------------------ */
/* Callbacks shared by both APIs                                       */
/* ------------------------------------------------------------------ */

static void deliver(tb_client *c, const char *topic, int topic_len,
                    const void *payload, int len, int retained, int dup)
{
    size_t tl = topic_len > 0 ? (size_t)topic_len : strlen(topic);

    if (c->o.on_msg != NULL)
        c->o.on_msg(c->o.app, topic, tl, payload, len > 0 ? (size_t)len : 0,
                    retained, dup);
    atomic_fetch_add(&c->received, 1);
}

static void on_lost(void *context, char *cause)
{
    tb_client *c = context;

    (void)cause;
    atomic_store(&c->connected, 0);
    atomic_fetch_add(&c->lost, 1);
}

/* ------------------------------------------------------------------ */
/* MQTTClient                                                          */
/* ------------------------------------------------------------------ */

static int sync_arrived(void *context, char *topic, int topic_len,
                        MQTTClient_message *m)
{
    deliver(context, topic, topic_len, m->payload, m->payloadlen, m->retained,
            m->dup);
    MQTTClient_freeMessage(&m);
    MQTTClient_free(topic);
    return 1;
}

static void sync_delivered(void *context, MQTTClient_deliveryToken dt)
{
    tb_client *c = context;

    (void)dt;
    atomic_fetch_add(&c->completed, 1);
}

static int sync_connect(tb_client *c)
{
    MQTTClient_createOptions co = MQTTClient_createOptions_initializer;
    MQTTClient_connectOptions v3 = MQTTClient_connectOptions_initializer;
    MQTTClient_connectOptions v5 = MQTTClient_connectOptions_initializer5;
    MQTTClient_connectOptions *opts = c->o.mqtt5 ? &v5 : &v3;
    MQTTClient_SSLOptions ssl = MQTTClient_SSLOptions_initializer;
    MQTTProperties props = MQTTProperties_initializer;
    MQTTProperty expiry = {.identifier =
                               MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL};
    int rc;

    co.MQTTVersion = c->o.mqtt5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
    rc = MQTTClient_createWithOptions(&c->sync, c->o.uri, c->o.client_id,
                                      MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
    if (rc != MQTTCLIENT_SUCCESS)
        return rc;
    if (c->o.hooks != NULL)
        rc = mqttseal_MQTTClient_setCallbacks(c->o.hooks, c->sync, c, on_lost,
                                              sync_arrived, sync_delivered);
    else
        rc = MQTTClient_setCallbacks(c->sync, c, on_lost, sync_arrived,
                                     sync_delivered);
    if (rc != MQTTCLIENT_SUCCESS)
        return rc;
    opts->keepAliveInterval = 20;
    opts->maxInflightMessages = c->o.max_inflight;
    if (c->o.ca_file != NULL) {
        ssl.trustStore = c->o.ca_file;
        ssl.verify = 1; /* the certificate must name the host */
        opts->ssl = &ssl;
    }
    if (!c->o.mqtt5) {
        opts->cleansession = !c->o.persistent;
        rc = MQTTClient_connect(c->sync, opts);
    } else {
        MQTTResponse r;
        opts->cleanstart = !c->o.persistent;
        if (c->o.persistent) {
            expiry.value.integer4 = SESSION_EXPIRY_S;
            MQTTProperties_add(&props, &expiry);
        }
        r = MQTTClient_connect5(c->sync, opts, &props, NULL);
        rc = r.reasonCode;
        MQTTResponse_free(r);
        MQTTProperties_free(&props);
    }
    return rc;
}

static int sync_subscribe(tb_client *c, const char *filter, int qos)
{
    MQTTResponse r;
    int rc;

    if (!c->o.mqtt5)
        return MQTTClient_subscribe(c->sync, filter, qos);
    r = MQTTClient_subscribe5(c->sync, filter, qos, NULL, NULL);
    rc = (int)r.reasonCode;
    rc = rc == qos ? 0 : (rc < 0 ? rc : -1);
    MQTTResponse_free(r);
    return rc;
}

static int sync_publish(tb_client *c, const char *topic, const void *payload,
                        int len, int qos, int retained)
{
    MQTTClient_deliveryToken dt = 0;
    mqttseal_paho *h = c->o.hooks;
    MQTTProperties props = MQTTProperties_initializer;
    MQTTResponse r;

    if (!c->o.mqtt5)
        return h != NULL
                   ? mqttseal_MQTTClient_publish(h, c->sync, topic, len,
                                                 payload, qos, retained, &dt)
                   : MQTTClient_publish(c->sync, topic, len, payload, qos,
                                        retained, &dt);
    if (h != NULL)
        r = mqttseal_MQTTClient_publish5(h, c->sync, topic, len, payload, qos,
                                         retained, &props, &dt);
    else
        r = MQTTClient_publish5(c->sync, topic, len, payload, qos, retained,
                                &props, &dt);
    MQTTResponse_free(r);
    return r.reasonCode;
}

/* ------------------------------------------------------------------ */
/* MQTTAsync                                                           */
/* ------------------------------------------------------------------ */

static int async_arrived(void *context, char *topic, int topic_len,
                         MQTTAsync_message *m)
{
    deliver(context, topic, topic_len, m->payload, m->payloadlen, m->retained,
            m->dup);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

static void async_connected(void *context, char *cause)
{
    tb_client *c = context;

    (void)cause;
    if (atomic_exchange(&c->connected, 1) == 0 && atomic_load(&c->lost) > 0)
        atomic_fetch_add(&c->reconnects, 1);
}

static void op_ok(void *context, MQTTAsync_successData *d)
{
    (void)d;
    atomic_store(&((tb_client *)context)->op_done, 1);
}

static void op_fail(void *context, MQTTAsync_failureData *d)
{
    (void)d;
    atomic_store(&((tb_client *)context)->op_done, -1);
}

static void op_ok5(void *context, MQTTAsync_successData5 *d)
{
    tb_client *c = context;

    /* A SUBACK reason code of 0x80 or more is a refusal. */
    atomic_store(&c->op_done, d->reasonCode >= 0x80 ? -1 : 1);
}

static void op_fail5(void *context, MQTTAsync_failureData5 *d)
{
    (void)d;
    atomic_store(&((tb_client *)context)->op_done, -1);
}

static void pub_ok(void *context, MQTTAsync_successData *d)
{
    (void)d;
    atomic_fetch_add(&((tb_client *)context)->completed, 1);
}

static void pub_fail(void *context, MQTTAsync_failureData *d)
{
    tb_client *c = context;

    (void)d;
    atomic_fetch_add(&c->failed, 1);
    atomic_fetch_add(&c->completed, 1);
}

static void pub_ok5(void *context, MQTTAsync_successData5 *d)
{
    (void)d;
    atomic_fetch_add(&((tb_client *)context)->completed, 1);
}

static void pub_fail5(void *context, MQTTAsync_failureData5 *d)
{
    tb_client *c = context;

    (void)d;
    atomic_fetch_add(&c->failed, 1);
    atomic_fetch_add(&c->completed, 1);
}

static void async_callbacks(tb_client *c, MQTTAsync_responseOptions *ro,
                            int publish)
{
    ro->context = c;
    if (c->o.mqtt5) {
        ro->onSuccess5 = publish ? pub_ok5 : op_ok5;
        ro->onFailure5 = publish ? pub_fail5 : op_fail5;
    } else {
        ro->onSuccess = publish ? pub_ok : op_ok;
        ro->onFailure = publish ? pub_fail : op_fail;
    }
}

static int wait_op(tb_client *c)
{
    int64_t end = tb_now_ms() + OP_TIMEOUT_MS;

    while (atomic_load(&c->op_done) == 0 && tb_now_ms() < end)
        tb_sleep_ms(2);
    return atomic_load(&c->op_done) == 1 ? 0 : -1;
}

static int async_connect(tb_client *c)
{
    MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
    MQTTAsync_connectOptions v3 = MQTTAsync_connectOptions_initializer;
    MQTTAsync_connectOptions v5 = MQTTAsync_connectOptions_initializer5;
    MQTTAsync_connectOptions *opts = c->o.mqtt5 ? &v5 : &v3;
    MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
    MQTTProperties props = MQTTProperties_initializer;
    MQTTProperty expiry = {.identifier =
                               MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL};
    int rc;

    co.MQTTVersion = c->o.mqtt5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
    co.sendWhileDisconnected = c->o.reconnect;
    co.maxBufferedMessages = 100000;
    rc = MQTTAsync_createWithOptions(&c->async, c->o.uri, c->o.client_id,
                                     MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
    if (rc != MQTTASYNC_SUCCESS)
        return rc;
    if (c->o.hooks != NULL)
        rc = mqttseal_MQTTAsync_setCallbacks(c->o.hooks, c->async, c, on_lost,
                                             async_arrived, NULL);
    else
        rc = MQTTAsync_setCallbacks(c->async, c, on_lost, async_arrived, NULL);
    if (rc != MQTTASYNC_SUCCESS)
        return rc;
    MQTTAsync_setConnected(c->async, c, async_connected);
    opts->keepAliveInterval = 20;
    opts->maxInflight = c->o.max_inflight;
    opts->automaticReconnect = c->o.reconnect;
    opts->minRetryInterval = 1;
    opts->maxRetryInterval = 2;
    opts->context = c;
    if (c->o.ca_file != NULL) {
        ssl.trustStore = c->o.ca_file;
        ssl.verify = 1;
        opts->ssl = &ssl;
    }
    if (c->o.mqtt5) {
        opts->cleanstart = !c->o.persistent;
        if (c->o.persistent) {
            expiry.value.integer4 = SESSION_EXPIRY_S;
            MQTTProperties_add(&props, &expiry);
            opts->connectProperties = &props;
        }
        opts->onSuccess5 = op_ok5;
        opts->onFailure5 = op_fail5;
    } else {
        opts->cleansession = !c->o.persistent;
        opts->onSuccess = op_ok;
        opts->onFailure = op_fail;
    }
    atomic_store(&c->op_done, 0);
    rc = MQTTAsync_connect(c->async, opts);
    if (rc == MQTTASYNC_SUCCESS)
        rc = wait_op(c);
    MQTTProperties_free(&props);
    if (rc == 0)
        atomic_store(&c->connected, 1);
    return rc;
}

static int async_subscribe(tb_client *c, const char *filter, int qos)
{
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    int rc;

    async_callbacks(c, &ro, 0);
    atomic_store(&c->op_done, 0);
    rc = MQTTAsync_subscribe(c->async, filter, qos, &ro);
    return rc == MQTTASYNC_SUCCESS ? wait_op(c) : rc;
}

static int async_publish(tb_client *c, const char *topic, const void *payload,
                         int len, int qos, int retained)
{
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;

    async_callbacks(c, &ro, 1);
    if (c->o.hooks != NULL)
        return mqttseal_MQTTAsync_send(c->o.hooks, c->async, topic, len,
                                       payload, qos, retained, &ro);
    return MQTTAsync_send(c->async, topic, len, payload, qos, retained, &ro);
}

/* ------------------------------------------------------------------ */
/* Public                                                              */
/* ------------------------------------------------------------------ */

int tb_client_connect(tb_client *c, const tb_client_opts *o)
{
    int rc;

    memset(c, 0, sizeof *c);
    c->o = *o;
    if (c->o.max_inflight <= 0)
        c->o.max_inflight = 1000;
    rc = c->o.async ? async_connect(c) : sync_connect(c);
    if (rc == 0)
        atomic_store(&c->connected, 1);
    else
        fprintf(stderr, "tb_client_connect %s (%s, v%s): %d %s\n", o->client_id,
                o->async ? "MQTTAsync" : "MQTTClient", o->mqtt5 ? "5" : "3.1.1",
                rc, mqttseal_paho_strerror(rc));
    c->o.client_id = NULL; /* the caller's string need not outlive this */
    return rc;
}

int tb_client_subscribe(tb_client *c, const char *filter, int qos)
{
    return c->o.async ? async_subscribe(c, filter, qos)
                      : sync_subscribe(c, filter, qos);
}

int tb_client_publish(tb_client *c, const char *topic, const void *payload,
                      size_t len, int qos, int retained)
{
    /* MQTTAsync reports every send (QoS 0 once written); MQTTClient
     * reports only QoS 1 and 2. Count before sending: the completion can
     * arrive before the call returns. */
    int counted = c->o.async || qos > 0;
    int rc;

    if (counted)
        atomic_fetch_add(&c->expected, 1);
    if (c->o.async)
        rc = async_publish(c, topic, payload, (int)len, qos, retained);
    else
        rc = sync_publish(c, topic, payload, (int)len, qos, retained);
    if (rc != 0 && counted)
        atomic_fetch_sub(&c->expected, 1);
    return rc;
}

long tb_wait_count(const atomic_long *counter, long target, int timeout_ms)
{
    int64_t end = tb_now_ms() + timeout_ms;
    long v;

    while ((v = atomic_load(counter)) < target && tb_now_ms() < end)
        tb_sleep_ms(2);
    return v;
}

int tb_client_wait_complete(tb_client *c, int timeout_ms)
{
    long want = atomic_load(&c->expected);

    return tb_wait_count(&c->completed, want, timeout_ms) >= want ? 0 : -1;
}

void tb_client_close(tb_client *c)
{
    if (c->sync != NULL) {
        if (MQTTClient_isConnected(c->sync))
            MQTTClient_disconnect(c->sync, 1000);
        MQTTClient_destroy(&c->sync);
    }
    if (c->async != NULL) {
        if (MQTTAsync_isConnected(c->async)) {
            MQTTAsync_disconnectOptions d =
                MQTTAsync_disconnectOptions_initializer;
            d.struct_version = 1;
            d.timeout = 1000;
            d.context = c;
            d.onSuccess = op_ok;
            d.onFailure = op_fail;
            d.onSuccess5 = op_ok5;
            d.onFailure5 = op_fail5;
            atomic_store(&c->op_done, 0);
            if (MQTTAsync_disconnect(c->async, &d) == MQTTASYNC_SUCCESS)
                wait_op(c);
        }
        MQTTAsync_destroy(&c->async);
    }
}
