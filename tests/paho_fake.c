/* The fake Paho of tests/test_paho.c: see paho_fake.h. */
#define _GNU_SOURCE
#include "paho_fake.h"

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

struct fake_paho fake;
struct fake_app app;
mqttseal_ctx *sealer, *opener;
mqttseal_paho *hooks;

/* ---- Paho entry points ------------------------------------------------ */

int MQTTClient_setCallbacks(MQTTClient h, void *context,
                            MQTTClient_connectionLost *cl,
                            MQTTClient_messageArrived *ma,
                            MQTTClient_deliveryComplete *dc)
{
    (void)h, (void)cl, (void)dc;
    fake.ctx_c = context;
    fake.ma_c = ma;
    return MQTTCLIENT_SUCCESS;
}

int MQTTAsync_setCallbacks(MQTTAsync h, void *context,
                           MQTTAsync_connectionLost *cl,
                           MQTTAsync_messageArrived *ma,
                           MQTTAsync_deliveryComplete *dc)
{
    (void)h, (void)cl, (void)dc;
    fake.ctx_a = context;
    fake.ma_a = ma;
    return MQTTASYNC_SUCCESS;
}

void MQTTClient_freeMessage(MQTTClient_message **m)
{
    fake.freed_msgs++;
    MQTTProperties_free(&(*m)->properties);
    MQTTAsync_free((*m)->payload);
    MQTTAsync_free(*m);
    *m = NULL;
}

void MQTTClient_free(void *p)
{
    fake.freed_topics++;
    MQTTAsync_free(p);
}

void MQTTAsync_freeMessage(MQTTAsync_message **m)
{
    void (*real)(MQTTAsync_message **) = NULL;
    void *sym = dlsym(RTLD_NEXT, "MQTTAsync_freeMessage");

    fake.freed_msgs++;
    memcpy(&real, &sym, sizeof real);
    real(m);
}

void fake_capture(const char *topic, int len, const void *payload,
                  const MQTTProperties *props)
{
    assert_in_range(len, 0, (int)sizeof fake.payload);
    fake.published++;
    fake.len = len;
    memcpy(fake.payload, payload, (size_t)len);
    snprintf(fake.topic, sizeof fake.topic, "%s", topic);
    MQTTProperties_free(&fake.props);
    if (props != NULL) {
        fake.props = MQTTProperties_copy(props);
    }
}

int MQTTClient_publish(MQTTClient h, const char *topic, int len,
                       const void *payload, int qos, int retained,
                       MQTTClient_deliveryToken *dt)
{
    (void)h, (void)qos;
    fake_capture(topic, len, payload, NULL);
    fake.last_retained = retained;
    *dt = ++fake.token;
    return MQTTCLIENT_SUCCESS;
}

int MQTTClient_publishMessage(MQTTClient h, const char *topic,
                              MQTTClient_message *msg,
                              MQTTClient_deliveryToken *dt)
{
    (void)h;
    fake_capture(topic, msg->payloadlen, msg->payload, NULL);
    fake.last_retained = msg->retained;
    *dt = ++fake.token;
    return MQTTCLIENT_SUCCESS;
}

MQTTResponse MQTTClient_publish5(MQTTClient h, const char *topic, int len,
                                 const void *payload, int qos, int retained,
                                 MQTTProperties *props,
                                 MQTTClient_deliveryToken *dt)
{
    MQTTResponse r = MQTTResponse_initializer;

    (void)h, (void)qos;
    fake_capture(topic, len, payload, props);
    fake.last_retained = retained;
    *dt = ++fake.token;
    return r;
}

int MQTTAsync_send(MQTTAsync h, const char *topic, int len, const void *payload,
                   int qos, int retained, MQTTAsync_responseOptions *response)
{
    (void)h, (void)qos;
    fake_capture(topic, len, payload, &response->properties);
    fake.last_retained = retained;
    response->token = ++fake.token;
    return MQTTASYNC_SUCCESS;
}

int MQTTAsync_sendMessage(MQTTAsync h, const char *topic,
                          const MQTTAsync_message *msg,
                          MQTTAsync_responseOptions *response)
{
    response->properties = msg->properties; /* as Paho 1.3.12 does */
    return MQTTAsync_send(h, topic, msg->payloadlen, msg->payload, msg->qos,
                          msg->retained, response);
}

/* ---- the application side ------------------------------------------- */

/* Who signed the message being delivered, as the app can ask. */
static void app_origin(void)
{
    mqttseal_paho_origin o;

    app.origin_rc = mqttseal_paho_message_origin(hooks, &o);
    app.origin_signed = o.is_signed;
    memcpy(app.origin_name, o.signer_name, sizeof app.origin_name);
}

static int app_arrived_c(void *context, char *topic, int topic_len,
                         MQTTClient_message *m)
{
    assert_ptr_equal(context, &app); /* the app's own context */
    app.calls++;
    app_origin();
    assert_true(m->payloadlen < (int)sizeof app.text);
    memcpy(app.text, m->payload, (size_t)m->payloadlen);
    app.text[m->payloadlen] = '\0';
    assert_int_equal(((char *)m->payload)[m->payloadlen], '\0');
    if (app.ret == 1) {
        MQTTClient_freeMessage(&m);
        MQTTClient_free(topic);
    }
    (void)topic_len;
    return app.ret;
}

static int app_arrived_a(void *context, char *topic, int topic_len,
                         MQTTAsync_message *m)
{
    (void)topic_len;
    assert_ptr_equal(context, &app);
    app.calls++;
    app_origin();
    memcpy(app.text, m->payload, (size_t)m->payloadlen);
    app.text[m->payloadlen] = '\0';
    if (app.ret == 1) {
        MQTTAsync_freeMessage(&m);
        MQTTAsync_free(topic);
    }
    return app.ret;
}

static void on_reject(void *context, const mqttseal_paho_rejection *r)
{
    assert_ptr_equal(context, &app);
    app.rejects++;
    app.last_reason = r->reason;
    app.last_dup = r->dup;
    snprintf(app.reject_topic, sizeof app.reject_topic, "%.*s",
             (int)r->topic_len, r->topic);
}

/* ---- building synthetic deliveries ------------------------------------ */

size_t fake_seal(unsigned char *env, size_t cap, const char *topic,
                 const char *text)
{
    size_t n = 0;

    assert_int_equal(mqttseal_seal(sealer, env, cap, &n, topic, strlen(topic),
                                   (const unsigned char *)text, strlen(text)),
                     MQTTSEAL_OK);
    return n;
}

char *fake_topic(const char *t, size_t len)
{
    char *p = MQTTAsync_malloc(len + 1);

    memcpy(p, t, len);
    p[len] = '\0';
    return p;
}

MQTTClient_message *fake_client_msg(const void *payload, size_t len, int dup)
{
    MQTTClient_message init = MQTTClient_message_initializer;
    MQTTClient_message *m = MQTTAsync_malloc(sizeof *m);

    *m = init;
    m->payload = MQTTAsync_malloc(len > 0 ? len : 1);
    memcpy(m->payload, payload, len);
    m->payloadlen = (int)len;
    m->qos = 1;
    m->dup = dup;
    m->retained = fake.retain_next;
    return m;
}

/* Deliver through mqttseal's MQTTClient messageArrived. */
int fake_deliver_c(const char *topic, int topic_len, const void *payload,
                   size_t len, int dup)
{
    size_t tl = topic_len > 0 ? (size_t)topic_len : strlen(topic);

    return fake.ma_c(fake.ctx_c, fake_topic(topic, tl), topic_len,
                     fake_client_msg(payload, len, dup));
}

int fake_deliver_a(const char *topic, const void *payload, size_t len, int dup)
{
    MQTTAsync_message init = MQTTAsync_message_initializer;
    MQTTAsync_message *m = MQTTAsync_malloc(sizeof *m);

    *m = init;
    m->payload = MQTTAsync_malloc(len);
    memcpy(m->payload, payload, len);
    m->payloadlen = (int)len;
    m->dup = dup;
    m->retained = fake.retain_next;
    /* MQTTAsync passes a non-zero topicLen even without a NUL. */
    return fake.ma_a(fake.ctx_a, fake_topic(topic, strlen(topic)),
                     (int)strlen(topic), m);
}

/* ---- receive and connect --------------------------------------------- */

struct fake_conn fake_conn;
static struct {
    char *topic;
    MQTTClient_message *m;
} queue[FAKE_QUEUE];
static int queued, taken;

void fake_queue_c(const char *topic, const void *payload, size_t len, int dup)
{
    assert_true(queued < FAKE_QUEUE);
    queue[queued].topic = fake_topic(topic, strlen(topic));
    queue[queued].m = fake_client_msg(payload, len, dup);
    queued++;
}

int MQTTClient_receive(MQTTClient h, char **topic, int *topic_len,
                       MQTTClient_message **m, unsigned long timeout)
{
    (void)h;
    (void)timeout;
    fake_conn.receives++;
    *topic_len = 0;
    if (taken == queued) {
        *topic = NULL;
        *m = NULL;
        queued = taken = 0;
        return MQTTCLIENT_SUCCESS; /* a timeout */
    }
    *topic = queue[taken].topic;
    *m = queue[taken].m;
    taken++;
    return MQTTCLIENT_SUCCESS;
}

static void record_will(const char *message, const void *data, int len)
{
    fake_conn.will_set = 1;
    fake_conn.will_message = message;
    fake_conn.will_data = data;
    if (message != NULL) {
        data = message;
        len = (int)strlen(message);
    }
    assert_true(len >= 0 && (size_t)len <= sizeof fake_conn.will);
    memcpy(fake_conn.will, data, (size_t)len);
    fake_conn.will_len = len;
}

int MQTTClient_connect(MQTTClient h, MQTTClient_connectOptions *o)
{
    (void)h;
    fake_conn.connects++;
    fake_conn.will_set = 0;
    if (o->will != NULL) {
        record_will(o->will->message, o->will->payload.data,
                    o->will->payload.len);
    }
    return MQTTCLIENT_SUCCESS;
}

MQTTResponse MQTTClient_connect5(MQTTClient h, MQTTClient_connectOptions *o,
                                 MQTTProperties *cp, MQTTProperties *wp)
{
    MQTTResponse r = MQTTResponse_initializer;

    (void)cp;
    (void)wp;
    r.reasonCode = (enum MQTTReasonCodes)MQTTClient_connect(h, o);
    return r;
}

int MQTTAsync_connect(MQTTAsync h, const MQTTAsync_connectOptions *o)
{
    (void)h;
    fake_conn.connects++;
    fake_conn.will_set = 0;
    if (o->will != NULL) {
        record_will(o->will->message, o->will->payload.data,
                    o->will->payload.len);
    }
    return MQTTASYNC_SUCCESS;
}

/* ---- fixtures --------------------------------------------------------- */

int fake_bind_client(MQTTClient handle)
{
    return mqttseal_MQTTClient_setCallbacks(hooks, handle, &app, NULL,
                                            app_arrived_c, NULL);
}

int fake_setup(void **state)
{
    mqttseal_keyring *kr = NULL;

    (void)state;
    memset(&fake, 0, sizeof fake);
    memset(&app, 0, sizeof app);
    app.ret = 1;
    assert_int_equal(mqttseal_keyring_new(&kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_generate(kr, 1), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_new(&sealer, kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_new(&opener, kr), MQTTSEAL_OK);
    mqttseal_keyring_free(kr);
    assert_int_equal(mqttseal_paho_new(&hooks, opener), MQTTSEAL_OK);
    assert_int_equal(mqttseal_paho_set_reject_callback(hooks, on_reject, &app),
                     MQTTSEAL_OK);
    assert_int_equal(mqttseal_MQTTClient_setCallbacks(hooks, &fake, &app, NULL,
                                                      app_arrived_c, NULL),
                     MQTTCLIENT_SUCCESS);
    assert_int_equal(mqttseal_MQTTAsync_setCallbacks(hooks, &fake, &app, NULL,
                                                     app_arrived_a, NULL),
                     MQTTASYNC_SUCCESS);
    return 0;
}

int fake_teardown(void **state)
{
    (void)state;
    mqttseal_paho_free(hooks);
    mqttseal_ctx_free(opener);
    mqttseal_ctx_free(sealer);
    MQTTProperties_free(&fake.props);
    return 0;
}
