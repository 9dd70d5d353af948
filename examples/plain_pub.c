/*
 * An MQTTClient publisher. plain_pub.c is plain Paho; sealed_pub.c is the
 * same program ported to mqttseal (docs/PORTING.md shows the diff).
 *
 *   sealed_pub -b tcp://127.0.0.1:1883 -t demo/temp -k demo.keyring \
 *              -m "21.5 C" -n 3 [-q 1] [-V 5]
 */
#include <stdint.h>
#include <string.h>

#include <MQTTClient.h>

#include "common.h"

#define WINDOW 8 /* QoS 1/2 messages in flight before waiting */

static MQTTClient connect_client(const ex_opts *o)
{
    MQTTClient_createOptions cre = MQTTClient_createOptions_initializer;
    MQTTClient_connectOptions conn = MQTTClient_connectOptions_initializer;
    MQTTClient_connectOptions conn5 = MQTTClient_connectOptions_initializer5;
    MQTTClient c;
    char id[64];

    /* Paho's default lets one QoS 1/2 message fly and then polls every
     * 100 ms: allow a window of them, as mosquitto_pub does. */
    conn.maxInflightMessages = conn5.maxInflightMessages = 2 * WINDOW;
    cre.MQTTVersion = o->version;
    ex_check(MQTTClient_createWithOptions(
                 &c, o->broker, ex_client_id(o, id, sizeof id),
                 MQTTCLIENT_PERSISTENCE_NONE, NULL, &cre),
             "create");
    if (o->version == MQTTVERSION_5) {
        MQTTResponse r = MQTTClient_connect5(c, &conn5, NULL, NULL);

        MQTTResponse_free(r);
        ex_check(r.reasonCode, "connect");
    } else {
        ex_check(MQTTClient_connect(c, &conn), "connect");
    }
    return c;
}

static int code(MQTTResponse r)
{
    MQTTResponse_free(r);
    return r.reasonCode;
}

/* Before reusing a token slot, wait for the delivery it tracks. */
static void wait_slot(MQTTClient c, MQTTClient_deliveryToken *tokens, long n,
                      int qos)
{
    if (qos > 0 && n >= WINDOW) {
        ex_check(MQTTClient_waitForCompletion(c, tokens[n % WINDOW], 10000),
                 "delivery");
    }
}

static void finish(MQTTClient c, MQTTClient_deliveryToken *tokens, long n,
                   int qos)
{
    for (long i = n > WINDOW ? n - WINDOW : 0; qos > 0 && i < n; i++) {
        ex_check(MQTTClient_waitForCompletion(c, tokens[i % WINDOW], 10000),
                 "delivery");
    }
    MQTTClient_disconnect(c, 10000);
    MQTTClient_destroy(&c);
}

int main(int argc, char **argv)
{
    MQTTClient_message pm = MQTTClient_message_initializer;
    MQTTClient_deliveryToken tokens[WINDOW];
    const char *m;
    ex_opts o;
    long n = 0;
    int rc;

    ex_parse(argc, argv, &o, EX_PUB);
    MQTTClient c = connect_client(&o);
    const char *t = o.topic;
    pm.qos = o.qos;
    pm.retained = o.retained;
    for (; (m = ex_next_message(&o)) != NULL; n++) {
        MQTTClient_deliveryToken *dt = &tokens[n % WINDOW];

        wait_slot(c, tokens, n, o.qos);
        pm.payload = (void *)(uintptr_t)m;
        pm.payloadlen = (int)strlen(m);
        if (o.version == MQTTVERSION_5)
            rc = code(MQTTClient_publishMessage5(c, t, &pm, dt));
        else
            rc = MQTTClient_publishMessage(c, t, &pm, dt);
        ex_check(rc, "publish");
    }
    finish(c, tokens, n, o.qos);
    return 0;
}
