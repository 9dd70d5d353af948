/*
 * An MQTTClient subscriber. plain_sub.c is plain Paho; sealed_sub.c is the
 * same program ported to mqttseal (docs/PORTING.md shows the diff).
 *
 *   sealed_sub -b tcp://127.0.0.1:1883 -t demo/temp -k demo.keyring \
 *              [-C 3] [-W 10] [-q 1] [-V 5] [-v]
 */
#include <string.h>

#include <MQTTClient.h>

#include "common.h"

static int arrived(void *context, char *topic, int topic_len,
                   MQTTClient_message *m)
{
    ex_sub_print(context, topic, topic_len, m->payload, m->payloadlen);
    MQTTClient_freeMessage(&m);
    MQTTClient_free(topic);
    return 1;
}

static void lost(void *context, char *cause)
{
    ex_sub_lost(context, cause);
}

static MQTTClient create_client(const ex_opts *o)
{
    MQTTClient_createOptions cre = MQTTClient_createOptions_initializer;
    MQTTClient c;
    char id[64];

    cre.MQTTVersion = o->version;
    ex_check(MQTTClient_createWithOptions(
                 &c, o->broker, ex_client_id(o, id, sizeof id),
                 MQTTCLIENT_PERSISTENCE_NONE, NULL, &cre),
             "create");
    return c;
}

/* A SUBACK carries the granted QoS (0..2) or a failure code. */
static void check_granted(int rc)
{
    if (rc >= 0x80) {
        ex_die("subscribe", "refused by the broker");
    }
    ex_check(rc >= 0 && rc <= 2 ? 0 : rc, "subscribe");
}

static void connect_and_subscribe(MQTTClient c, const ex_opts *o)
{
    MQTTClient_connectOptions conn = MQTTClient_connectOptions_initializer;
    MQTTClient_connectOptions conn5 = MQTTClient_connectOptions_initializer5;
    MQTTResponse r;

    if (o->version == MQTTVERSION_5) {
        r = MQTTClient_connect5(c, &conn5, NULL, NULL);
        MQTTResponse_free(r);
        ex_check(r.reasonCode, "connect");
        r = MQTTClient_subscribe5(c, o->topic, o->qos, NULL, NULL);
        MQTTResponse_free(r);
        check_granted(r.reasonCode);
    } else {
        ex_check(MQTTClient_connect(c, &conn), "connect");
        check_granted(MQTTClient_subscribe(c, o->topic, o->qos));
    }
    ex_sub_ready(o);
}

int main(int argc, char **argv)
{
    ex_sub sub;
    ex_opts o;
    int rc;

    ex_parse(argc, argv, &o, EX_SUB);
    ex_sub_init(&sub, &o);
    MQTTClient c = create_client(&o);
    rc = MQTTClient_setCallbacks(c, &sub, lost, arrived, NULL);
    ex_check(rc, "set callbacks");
    connect_and_subscribe(c, &o);
    rc = ex_sub_wait(&sub);
    if (!atomic_load(&sub.lost)) {
        MQTTClient_disconnect(c, 1000);
    }
    MQTTClient_destroy(&c);
    ex_sub_destroy(&sub);
    return rc;
}
