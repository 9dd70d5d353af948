/*
 * A plain Paho MQTTClient without mqttseal: the eavesdropper and attacker
 * of the broker suite. It records every message it receives.
 */
#ifndef MQTTSEAL_TESTS_TB_PLAIN_H
#define MQTTSEAL_TESTS_TB_PLAIN_H

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include <MQTTClient.h>

typedef struct tb_msg {
    char *topic;
    unsigned char *payload;
    size_t len;
    int retained;
    int dup;
} tb_msg;

typedef struct tb_plain {
    MQTTClient client;
    pthread_mutex_t mu;
    tb_msg **msgs;
    size_t count, cap;
    MQTTClient_deliveryToken last_token;
} tb_plain;

/* Connect (MQTT 3.1.1, clean session). Returns 0 or a Paho code. */
int tb_plain_connect(tb_plain *p, const char *uri, const char *client_id);

/* Subscribe and wait for the SUBACK. Returns 0 or a Paho code. */
int tb_plain_subscribe(tb_plain *p, const char *filter, int qos);

/* Publish raw bytes without waiting for completion. 0 or a Paho code. */
int tb_plain_publish(tb_plain *p, const char *topic, const void *payload,
                     size_t len, int qos, int retained);

/* Wait until every QoS > 0 publish so far completed. 0 or a Paho code. */
int tb_plain_flush(tb_plain *p, int timeout_ms);

/* Wait until at least n messages arrived; returns the count seen. */
size_t tb_plain_wait(tb_plain *p, size_t n, int timeout_ms);

/* Message i, or NULL (owned by p; valid until tb_plain_close). */
const tb_msg *tb_plain_msg(tb_plain *p, size_t i);

/* Disconnect, destroy and free every recorded message. */
void tb_plain_close(tb_plain *p);

/*
 * The eavesdropper: `mosquitto_sub -t '#' -v` as a child process writing
 * to a file, for as long as a test program runs.
 */
typedef struct tb_eavesdropper {
    pid_t pid;
    char path[300];
} tb_eavesdropper;

/*
 * Start it against the broker at port and wait until it has subscribed:
 * a plain probe published on probe_topic (repeatedly, for up to 10 s)
 * must appear in its output. Returns 0 or -1.
 */
int tb_eavesdrop_start(tb_eavesdropper *e, const char *uri, int port,
                       const char *probe_topic);

/* Stop it (SIGTERM, waitpid) and return its whole output (free it). */
unsigned char *tb_eavesdrop_stop(tb_eavesdropper *e, size_t *len);

/* Occurrences of needle in hay. */
size_t tb_count(const unsigned char *hay, size_t hay_len, const char *needle);

#endif /* MQTTSEAL_TESTS_TB_PLAIN_H */
