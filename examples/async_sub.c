/*
 * async_sub: a sealed MQTTAsync subscriber. Messages arrive on Paho's
 * threads; only verified plaintext reaches arrived(), and every refused
 * message is reported on stderr with its reason.
 *
 *   async_sub -b tcp://127.0.0.1:1883 -t demo/temp -k demo.keyring \
 *             [-C 3] [-W 10] [-q 1] [-V 5] [-v]
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <MQTTAsync.h>
#include <mqttseal/paho.h>

#include "common.h"

static int arrived(void *context, char *topic, int topic_len,
                   MQTTAsync_message *m)
{
    ex_sub_print(context, topic, topic_len, m->payload, m->payloadlen);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

static void lost(void *context, char *cause)
{
    ex_sub_lost(context, cause);
}

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

static void connect_and_subscribe(MQTTAsync c, const ex_opts *o, ex_latch *l)
{
    MQTTAsync_connectOptions conn = MQTTAsync_connectOptions_initializer;
    MQTTAsync_connectOptions conn5 = MQTTAsync_connectOptions_initializer5;
    MQTTAsync_connectOptions *opts = o->version == 5 ? &conn5 : &conn;
    MQTTAsync_responseOptions sub = MQTTAsync_responseOptions_initializer;

    EX_ASYNC_CALLBACKS(*opts, l, o->version);
    ex_check(MQTTAsync_connect(c, opts), "connect");
    ex_latch_wait(l, 10, "connect");
    EX_ASYNC_CALLBACKS(sub, l, o->version);
    ex_check(MQTTAsync_subscribe(c, o->topic, o->qos, &sub), "subscribe");
    ex_latch_wait(l, 10, "subscribe");
    ex_sub_ready(o);
}

static void disconnect_client(MQTTAsync c, const ex_opts *o, ex_latch *l)
{
    MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
    MQTTAsync_disconnectOptions d5 = MQTTAsync_disconnectOptions_initializer5;
    MQTTAsync_disconnectOptions *opts = o->version == 5 ? &d5 : &d;

    opts->timeout = 1000;
    EX_ASYNC_CALLBACKS(*opts, l, o->version);
    if (MQTTAsync_disconnect(c, opts) == MQTTASYNC_SUCCESS) {
        ex_latch_wait(l, 5, "disconnect");
    }
}

int main(int argc, char **argv)
{
    ex_latch l;
    ex_sub sub;
    ex_opts o;
    int rc;

    ex_parse(argc, argv, &o, EX_SUB);
    mqttseal_paho *ms = ex_keyring(&o);
    ex_sub_init(&sub, &o);
    ex_latch_init(&l);
    MQTTAsync c = create_client(&o);
    rc = mqttseal_MQTTAsync_setCallbacks(ms, c, &sub, lost, arrived, NULL);
    ex_check(rc, "set callbacks");
    connect_and_subscribe(c, &o, &l);
    rc = ex_sub_wait(&sub);
    if (!atomic_load(&sub.lost)) {
        disconnect_client(c, &o, &l);
    }
    MQTTAsync_destroy(&c);
    ex_latch_destroy(&l);
    ex_sub_destroy(&sub);
    mqttseal_paho_free(ms);
    return rc;
}
