/*
 * async_pub: a sealed MQTTAsync publisher, with an optional sealed will.
 *
 *   async_pub -b tcp://127.0.0.1:1883 -t demo/temp -k demo.keyring \
 *             -m "21.5 C" -n 3 [-q 1] [-V 5] [-T] [-L demo/status]
 *
 * -T adds the MQTT 5 content type "application/mqttseal; v=1"; -L sets a
 * will on that topic, sealed like every other message.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <MQTTAsync.h>
#include <mqttseal/paho.h>

#include "common.h"

static MQTTAsync create_client(const ex_opts *o)
{
    MQTTAsync_createOptions cre = MQTTAsync_createOptions_initializer;
    MQTTAsync c;
    char id[64];

    cre.MQTTVersion = o->version;
    ex_check(MQTTAsync_createWithOptions(
                 &c, o->broker, ex_client_id(o, id, sizeof id),
                 MQTTCLIENT_PERSISTENCE_NONE, NULL, &cre),
             "create");
    return c;
}

static void connect_client(mqttseal_paho *ms, MQTTAsync c, const ex_opts *o,
                           ex_latch *l)
{
    MQTTAsync_connectOptions conn = MQTTAsync_connectOptions_initializer;
    MQTTAsync_connectOptions conn5 = MQTTAsync_connectOptions_initializer5;
    MQTTAsync_connectOptions *opts = o->version == 5 ? &conn5 : &conn;
    MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
    mqttseal_paho_will *sealed = NULL;
    char text[128];

    EX_ASYNC_CALLBACKS(*opts, l, o->version);
    if (o->will != NULL) {
        snprintf(text, sizeof text, "%s went away", o->prog);
        will.topicName = o->will;
        will.message = text;
        opts->will = &will;
        ex_check(mqttseal_MQTTAsync_sealWill(ms, opts, &sealed), "seal will");
    }
    ex_check(MQTTAsync_connect(c, opts), "connect");
    mqttseal_paho_will_free(sealed); /* Paho copied the will */
    ex_latch_wait(l, 10, "connect");
}

static MQTTAsync_token send_one(mqttseal_paho *ms, MQTTAsync c,
                                const ex_opts *o, const char *m)
{
    MQTTAsync_responseOptions resp = MQTTAsync_responseOptions_initializer;
    int rc = mqttseal_MQTTAsync_send(ms, c, o->topic, (int)strlen(m), m, o->qos,
                                     o->retained, &resp);

    ex_check(rc, "publish");
    return resp.token;
}

static void disconnect_client(MQTTAsync c, const ex_opts *o, ex_latch *l)
{
    MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
    MQTTAsync_disconnectOptions d5 = MQTTAsync_disconnectOptions_initializer5;
    MQTTAsync_disconnectOptions *opts = o->version == 5 ? &d5 : &d;

    opts->timeout = 10000; /* let queued messages go out first */
    EX_ASYNC_CALLBACKS(*opts, l, o->version);
    ex_check(MQTTAsync_disconnect(c, opts), "disconnect");
    ex_latch_wait(l, 15, "disconnect");
}

int main(int argc, char **argv)
{
    MQTTAsync_token last = 0;
    const char *m;
    ex_latch l;
    ex_opts o;

    ex_parse(argc, argv, &o, EX_PUB);
    mqttseal_paho *ms = ex_keyring(&o);
    MQTTAsync c = create_client(&o);
    ex_latch_init(&l);
    connect_client(ms, c, &o, &l);
    while ((m = ex_next_message(&o)) != NULL) {
        last = send_one(ms, c, &o, m);
    }
    if (o.qos > 0 && o.sent > 0) {
        ex_check(MQTTAsync_waitForCompletion(c, last, 10000), "delivery");
    }
    disconnect_client(c, &o, &l);
    MQTTAsync_destroy(&c);
    ex_latch_destroy(&l);
    mqttseal_paho_free(ms);
    return 0;
}
