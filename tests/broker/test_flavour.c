/*
 * One Paho flavour end to end through a private mosquitto (issue 12):
 * this program is built once per hooks library (libmqttseal-paho-c, -cs,
 * -a, -as), shared and static, and links that library and its Paho
 * library only. The TLS flavours connect through a TLS listener whose
 * certificates the test makes with the openssl CLI (a throwaway CA and
 * a server certificate for IP 127.0.0.1), verifying the server.
 *
 * MQTT 5 throughout (the properties heap is where a second Paho library
 * would leak): a subscriber with mqttseal's callbacks gets N sealed
 * messages and the will, which a second client sets as plaintext,
 * connects through the sealing connect wrapper and leaves with "disconnect
 * with will message"; the MQTTClient flavours also receive through
 * mqttseal_MQTTClient_receive. A forged plaintext message is refused.
 * Run it under valgrind too (tests/run.sh): no leak, shared or static.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tb.h"

#ifdef FLAVOUR_ASYNC
#include <mqttseal/paho_async.h>
#else
#include <mqttseal/paho_client.h>
#endif

#define N 20
#define TOPIC "flavour/data"
#define WILL_TOPIC "flavour/status"

static atomic_int got, got_will, bad, rejected;
static char uri[128];

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "test_flavour: %s failed\n", what);
        exit(1);
    }
}

static void on_reject(void *c, const mqttseal_paho_rejection *r)
{
    (void)c;
    (void)r;
    atomic_fetch_add(&rejected, 1);
}

static void note(const char *topic, const void *payload, int len)
{
    if (strcmp(topic, WILL_TOPIC) == 0) {
        if (len == 4 && memcmp(payload, "gone", 4) == 0)
            atomic_fetch_add(&got_will, 1);
        else
            atomic_fetch_add(&bad, 1);
    } else if (len >= 4 && memcmp(payload, "msg ", 4) == 0) {
        atomic_fetch_add(&got, 1);
    } else {
        atomic_fetch_add(&bad, 1);
    }
}

static int wait_for(atomic_int *v, int want)
{
    for (int i = 0; i < 1000 && atomic_load(v) < want; i++)
        tb_sleep_ms(10);
    return atomic_load(v) >= want;
}

#ifdef FLAVOUR_TLS
static char ca_path[400];

/* Makes a CA and a server certificate for 127.0.0.1 in dir. */
static void make_certs(const char *dir)
{
    char cmd[2048];

    snprintf(cmd, sizeof cmd,
             "set -e; cd '%s';"
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256"
             " -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca"
             " 2>/dev/null;"
             "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
             " -keyout server.key -out server.csr -subj /CN=127.0.0.1"
             " 2>/dev/null;"
             "printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf;"
             "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key"
             " -CAcreateserial -out server.crt -days 2 -extfile ext.cnf"
             " 2>/dev/null",
             dir);
    check(system(cmd) == 0, "making certificates with openssl");
}
#endif

static void start_broker(tb_broker *b)
{
#ifdef FLAVOUR_TLS
    char dir[256], conf[1400];
    int port = tb_free_port();

    tb_temp_path(dir, sizeof dir, "");
    make_certs(dir);
    snprintf(ca_path, sizeof ca_path, "%sca.crt", dir);
    snprintf(conf, sizeof conf,
             "listener %d 127.0.0.1\ncafile %sca.crt\n"
             "certfile %sserver.crt\nkeyfile %sserver.key\n"
             "set_tcp_nodelay true\n",
             port, dir, dir, dir);
    check(tb_broker_start(b, conf) == 0, "starting mosquitto");
    for (int i = 0; i < 500 && !tb_connectable(port); i++)
        tb_sleep_ms(10);
    snprintf(uri, sizeof uri, "ssl://127.0.0.1:%d", port);
#else
    check(tb_broker_start(b, NULL) == 0, "starting mosquitto");
    snprintf(uri, sizeof uri, "%s", b->uri);
#endif
}

#ifndef FLAVOUR_ASYNC
/* ---- MQTTClient (3c, 3cs) ------------------------------------------ */

static int arrived(void *c, char *topic, int tl, MQTTClient_message *m)
{
    (void)c;
    (void)tl;
    note(topic, m->payload, m->payloadlen);
    MQTTClient_freeMessage(&m);
    MQTTClient_free(topic);
    return 1;
}

static MQTTClient client(mqttseal_paho *ms, const char *id, int with_will,
                         int callbacks)
{
    MQTTClient c;
    MQTTClient_createOptions cr = MQTTClient_createOptions_initializer;
    MQTTClient_connectOptions co = MQTTClient_connectOptions_initializer5;
    MQTTClient_willOptions wo = MQTTClient_willOptions_initializer;
    MQTTClient_SSLOptions ssl = MQTTClient_SSLOptions_initializer;
    MQTTResponse r;

    cr.MQTTVersion = MQTTVERSION_5;
    check(MQTTClient_createWithOptions(&c, uri, id, MQTTCLIENT_PERSISTENCE_NONE,
                                       NULL, &cr) == 0,
          "create");
    if (callbacks)
        check(mqttseal_MQTTClient_setCallbacks(ms, c, NULL, NULL, arrived,
                                               NULL) == 0,
              "set callbacks");
    co.cleanstart = 1;
    if (with_will) {
        wo.topicName = WILL_TOPIC;
        wo.message = "gone";
        co.will = &wo;
    }
#ifdef FLAVOUR_TLS
    ssl.trustStore = ca_path;
    ssl.verify = 1;
    co.ssl = &ssl;
#else
    (void)ssl;
#endif
    r = mqttseal_MQTTClient_connect5(ms, c, &co, NULL, NULL);
    check(r.reasonCode == 0, "connect");
    MQTTResponse_free(r);
    return c;
}

static void subscribe(MQTTClient c, const char *filter)
{
    MQTTResponse r = MQTTClient_subscribe5(c, filter, 1, NULL, NULL);
    check(r.reasonCode == 1, "subscribe");
    MQTTResponse_free(r);
}

static void publish_all(mqttseal_paho *ms, MQTTClient pub)
{
    MQTTProperties props = MQTTProperties_initializer;
    MQTTClient_deliveryToken dt;
    char text[32];

    /* A forged plaintext message first: refused. */
    MQTTResponse_free(
        MQTTClient_publish5(pub, TOPIC, 6, "forged", 1, 0, &props, &dt));
    check(MQTTClient_waitForCompletion(pub, dt, 5000) == 0, "delivery");
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof text, "msg %d", i);
        MQTTResponse r = mqttseal_MQTTClient_publish5(
            ms, pub, TOPIC, (int)strlen(text), text, 1, 0, &props, &dt);
        check(r.reasonCode == 0, "publish");
        MQTTResponse_free(r);
        check(MQTTClient_waitForCompletion(pub, dt, 5000) == 0, "delivery");
    }
}

static void finish(MQTTClient *c)
{
    if (MQTTClient_isConnected(*c))
        MQTTClient_disconnect(*c, 1000);
    MQTTClient_destroy(c);
}

/*
 * Paho's MQTTClient_receive works only while no client of the process
 * has callbacks (it fails while Paho's callback thread runs), so it is
 * tested first, on its own, then the callbacks and the will.
 */
static void run(mqttseal_paho *ms, mqttseal_paho *ms2)
{
    MQTTClient rcv = client(ms2, "flv-rcv", 0, 0); /* its own replay state */
    MQTTClient pub = client(ms, "flv-pub", 0, 0);
    MQTTClient_message *m;
    char *topic;
    int tl, n = 0;

    subscribe(rcv, TOPIC);
    publish_all(ms, pub);
    while (n < N) {
        int rc = mqttseal_MQTTClient_receive(ms2, rcv, &topic, &tl, &m, 5000);
        if (rc != 0 || m == NULL) {
            fprintf(stderr, "receive: %s, %s\n", mqttseal_paho_strerror(rc),
                    m == NULL ? "no message" : "a message");
            break;
        }
        n += m->payloadlen >= 4 && memcmp(m->payload, "msg ", 4) == 0;
        MQTTClient_freeMessage(&m);
        MQTTClient_free(topic);
    }
    check(n == N && atomic_load(&rejected) == 1,
          "mqttseal_MQTTClient_receive of every message");
    finish(&rcv);

    MQTTClient sub = client(ms, "flv-sub", 0, 1);
    MQTTClient dying = client(ms, "flv-will", 1, 0);
    subscribe(sub, "flavour/#");
    publish_all(ms, pub);
    check(MQTTClient_disconnect5(
              dying, 0, MQTTREASONCODE_DISCONNECT_WITH_WILL_MESSAGE, NULL) == 0,
          "disconnect with will");
    check(wait_for(&got, N), "delivery of every message");
    check(wait_for(&got_will, 1), "delivery of the will");
    finish(&sub);
    finish(&pub);
    finish(&dying);
}
#else
/* ---- MQTTAsync (3a, 3as) ------------------------------------------- */

static int arrived(void *c, char *topic, int tl, MQTTAsync_message *m)
{
    (void)c;
    (void)tl;
    note(topic, m->payload, m->payloadlen);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

/* Each operation waits on its own outcome: 1 done, -1 failed. They are
 * static: Paho may call back after the wait (a second time). */
static atomic_int outcomes[8];
static int next_outcome;
static void ok5(void *c, MQTTAsync_successData5 *r)
{
    (void)r;
    atomic_store((atomic_int *)c, 1);
}

static void fail5(void *c, MQTTAsync_failureData5 *r)
{
    (void)r;
    atomic_store((atomic_int *)c, -1);
}

static void step(int rc, atomic_int *outcome, const char *what)
{
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", what, mqttseal_paho_strerror(rc));
    check(rc == 0, what);
    for (int i = 0; i < 1000 && atomic_load(outcome) == 0; i++)
        tb_sleep_ms(10);
    if (atomic_load(outcome) != 1)
        fprintf(stderr, "%s: outcome %d\n", what, atomic_load(outcome));
    check(atomic_load(outcome) == 1, what);
}

/* Sends without callbacks: wait for the token Paho wrote back. */
static void sent(MQTTAsync c, int rc, MQTTAsync_responseOptions *ro)
{
    if (rc != 0)
        fprintf(stderr, "send: %s\n", mqttseal_paho_strerror(rc));
    check(rc == 0, "send");
    check(MQTTAsync_waitForCompletion(c, ro->token, 5000) == 0, "delivery");
}

static MQTTAsync client(mqttseal_paho *ms, const char *id, int with_will)
{
    MQTTAsync c;
    MQTTAsync_createOptions cr = MQTTAsync_createOptions_initializer5;
    MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer5;
    MQTTAsync_willOptions wo = MQTTAsync_willOptions_initializer;
    MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;

    check(MQTTAsync_createWithOptions(&c, uri, id, MQTTCLIENT_PERSISTENCE_NONE,
                                      NULL, &cr) == 0,
          "create");
    check(mqttseal_MQTTAsync_setCallbacks(ms, c, NULL, NULL, arrived, NULL) ==
              0,
          "set callbacks");
    co.cleanstart = 1;
    atomic_int *outcome = &outcomes[next_outcome++];
    co.onSuccess5 = ok5;
    co.onFailure5 = fail5;
    co.context = outcome;
    if (with_will) {
        wo.topicName = WILL_TOPIC;
        wo.message = "gone";
        co.will = &wo;
    }
#ifdef FLAVOUR_TLS
    ssl.trustStore = ca_path;
    ssl.verify = 1;
    co.ssl = &ssl;
#else
    (void)ssl;
#endif
    step(mqttseal_MQTTAsync_connect(ms, c, &co), outcome, "connect");
    return c;
}

static void run(mqttseal_paho *ms, mqttseal_paho *ms2)
{
    MQTTAsync sub = client(ms, "flv-asub", 0);
    MQTTAsync pub = client(ms, "flv-apub", 0);
    MQTTAsync dying = client(ms, "flv-awill", 1);
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    MQTTAsync_disconnectOptions dis = MQTTAsync_disconnectOptions_initializer5;
    char text[32];

    (void)ms2;
    atomic_int *outcome = &outcomes[next_outcome++];
    ro.onSuccess5 = ok5;
    ro.onFailure5 = fail5;
    ro.context = outcome;
    step(MQTTAsync_subscribe(sub, "flavour/#", 1, &ro), outcome, "subscribe");
    MQTTAsync_responseOptions so = MQTTAsync_responseOptions_initializer;
    sent(pub, MQTTAsync_send(pub, TOPIC, 6, "forged", 1, 0, &so), &so);
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof text, "msg %d", i);
        sent(pub,
             mqttseal_MQTTAsync_send(ms, pub, TOPIC, (int)strlen(text), text, 1,
                                     0, &so),
             &so);
    }
    dis.reasonCode = MQTTREASONCODE_DISCONNECT_WITH_WILL_MESSAGE;
    check(MQTTAsync_disconnect(dying, &dis) == 0, "disconnect with will");
    check(wait_for(&got, N), "delivery of every message");
    check(wait_for(&got_will, 1), "delivery of the will");
    MQTTAsync *all[] = {&sub, &pub, &dying};
    for (size_t i = 0; i < 3; i++) {
        MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
        d.timeout = 1000;
        if (MQTTAsync_isConnected(*all[i]))
            MQTTAsync_disconnect(*all[i], &d);
        for (int w = 0; w < 200 && MQTTAsync_isConnected(*all[i]); w++)
            tb_sleep_ms(10);
        MQTTAsync_destroy(all[i]);
    }
}
#endif

int main(void)
{
    mqttseal_keyring *kr = tb_keyring_root(1);
    mqttseal_paho *ms = NULL, *ms2 = NULL;
    tb_broker b;
    char path[300];
    mqttseal_diag diag;

    tb_temp_path(path, sizeof path, "flavour.keyring");
    check(mqttseal_keyring_save_file(kr, path) == 0, "keyring save");
    mqttseal_keyring_free(kr);
    check(mqttseal_paho_from_file(&ms, path, &diag) == 0, diag.message);
    check(mqttseal_paho_from_file(&ms2, path, &diag) == 0, diag.message);
    mqttseal_paho_use_fleet_defaults(ms);
    mqttseal_paho_use_fleet_defaults(ms2);
    mqttseal_paho_set_reject_callback(ms2, on_reject, NULL);
    mqttseal_paho_set_reject_callback(ms, on_reject, NULL);
    start_broker(&b);
    run(ms, ms2);
    tb_broker_stop(&b);
    check(atomic_load(&bad) == 0, "no unexpected payload");
#ifdef FLAVOUR_ASYNC
    check(atomic_load(&rejected) == 1, "the forged message refused");
#else
    check(atomic_load(&rejected) == 2, "the forged message refused twice");
#endif
    printf("test_flavour: %d messages and the will, sealed and opened over "
           "%s; forged plaintext refused\n",
           atomic_load(&got), uri);
    mqttseal_paho_free(ms);
    mqttseal_paho_free(ms2);
    return 0;
}
