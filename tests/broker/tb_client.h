/*
 * One client API over Paho's MQTTClient and MQTTAsync, MQTT 3.1.1 and 5,
 * sealed through the mqttseal Paho hooks (or plain, for baselines), so
 * that every broker test and the end-to-end bench can run each
 * combination with the same code.
 *
 * Only the hooks' public API (mqttseal/paho.h) is used: publishing goes
 * through the mqttseal_* wrappers and receiving through the hooks'
 * set-callbacks wrapper, exactly as a ported application would.
 */
#ifndef MQTTSEAL_TESTS_TB_CLIENT_H
#define MQTTSEAL_TESTS_TB_CLIENT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include <mqttseal/paho.h>

/* Called on Paho's thread with each message the application receives. */
typedef void tb_on_msg(void *app, const char *topic, size_t topic_len,
                       const unsigned char *payload, size_t len, int retained,
                       int dup);

typedef struct tb_client_opts {
    const char *uri;
    const char *client_id;
    int async;            /* 0: MQTTClient, 1: MQTTAsync */
    int mqtt5;            /* 0: MQTT 3.1.1, 1: MQTT 5 */
    int persistent;       /* clean session off (v5: clean start off and a
                             session expiry of one hour) */
    int reconnect;        /* MQTTAsync only: automatic reconnect (1..2 s)
                             and sending while disconnected */
    int max_inflight;     /* 0: 1000 */
    const char *ca_file;  /* ssl:// URIs: the CA that signed the broker's
                             certificate (checked, with its name); needs
                             a TLS flavour of Paho (paho-mqtt3cs/3as) */
    mqttseal_paho *hooks; /* NULL: plain Paho, no sealing */
    tb_on_msg *on_msg;    /* may be NULL */
    void *app;
} tb_client_opts;

typedef struct tb_client {
    tb_client_opts o;
    MQTTClient sync;
    MQTTAsync async;
    atomic_long expected;  /* completions we are waiting for */
    atomic_long completed; /* publishes acknowledged (or written, QoS 0
                              on MQTTAsync) */
    atomic_long failed;    /* publishes Paho reported as failed */
    atomic_long received;  /* messages passed to on_msg */
    atomic_int connected;
    atomic_int lost;       /* connection-lost callbacks */
    atomic_int reconnects; /* automatic reconnects completed */
    atomic_int op_done;    /* MQTTAsync connect/subscribe result: 1 ok,
                              -1 failed, 0 pending */
} tb_client;

/* Create and connect. Returns 0, or a Paho (or hooks) error code. */
int tb_client_connect(tb_client *c, const tb_client_opts *o);

/* Subscribe and wait for the SUBACK. Returns 0 or an error code. */
int tb_client_subscribe(tb_client *c, const char *filter, int qos);

/*
 * Publish (sealed when the client has hooks) without waiting for the
 * acknowledgement. Returns 0 or the wrapper's error code.
 */
int tb_client_publish(tb_client *c, const char *topic, const void *payload,
                      size_t len, int qos, int retained);

/* Wait until every publish so far completed. 0, or -1 on timeout. */
int tb_client_wait_complete(tb_client *c, int timeout_ms);

/* Disconnect (if connected) and destroy. */
void tb_client_close(tb_client *c);

/* Wait until *counter >= target, polling. Returns the last value seen. */
long tb_wait_count(const atomic_long *counter, long target, int timeout_ms);

#endif /* MQTTSEAL_TESTS_TB_CLIENT_H */
