/* A plain (unsealed) Paho client for the broker suite; see tb_plain.h. */
#include "tb_plain.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tb.h"

static int arrived(void *context, char *topic, int topic_len,
                   MQTTClient_message *m)
{
    tb_plain *p = context;
    size_t tl = topic_len > 0 ? (size_t)topic_len : strlen(topic);
    tb_msg *msg = calloc(1, sizeof *msg);

    if (msg != NULL) {
        msg->topic = malloc(tl + 1);
        msg->len = m->payloadlen > 0 ? (size_t)m->payloadlen : 0;
        msg->payload = malloc(msg->len + 1);
    }
    if (msg != NULL && msg->topic != NULL && msg->payload != NULL) {
        memcpy(msg->topic, topic, tl);
        msg->topic[tl] = '\0';
        if (msg->len > 0)
            memcpy(msg->payload, m->payload, msg->len);
        msg->retained = m->retained;
        msg->dup = m->dup;
        pthread_mutex_lock(&p->mu);
        if (p->count == p->cap) {
            size_t cap = p->cap ? p->cap * 2 : 64;
            tb_msg **nm = realloc(p->msgs, cap * sizeof *nm);
            if (nm != NULL) {
                p->msgs = nm;
                p->cap = cap;
            }
        }
        if (p->count < p->cap) {
            p->msgs[p->count++] = msg;
            msg = NULL;
        }
        pthread_mutex_unlock(&p->mu);
    }
    if (msg != NULL) {
        free(msg->topic);
        free(msg->payload);
        free(msg);
    }
    MQTTClient_freeMessage(&m);
    MQTTClient_free(topic);
    return 1;
}

static void lost(void *context, char *cause)
{
    (void)context;
    (void)cause;
}

int tb_plain_connect(tb_plain *p, const char *uri, const char *client_id)
{
    MQTTClient_connectOptions opts = MQTTClient_connectOptions_initializer;
    int rc;

    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    rc = MQTTClient_create(&p->client, uri, client_id,
                           MQTTCLIENT_PERSISTENCE_NONE, NULL);
    if (rc != MQTTCLIENT_SUCCESS)
        return rc;
    rc = MQTTClient_setCallbacks(p->client, p, lost, arrived, NULL);
    if (rc != MQTTCLIENT_SUCCESS)
        return rc;
    opts.keepAliveInterval = 30;
    opts.cleansession = 1;
    opts.maxInflightMessages = 1000;
    return MQTTClient_connect(p->client, &opts);
}

int tb_plain_subscribe(tb_plain *p, const char *filter, int qos)
{
    return MQTTClient_subscribe(p->client, filter, qos);
}

int tb_plain_publish(tb_plain *p, const char *topic, const void *payload,
                     size_t len, int qos, int retained)
{
    MQTTClient_deliveryToken token = 0;
    int rc = MQTTClient_publish(p->client, topic, (int)len, payload, qos,
                                retained, &token);
    if (rc == MQTTCLIENT_SUCCESS && qos > 0)
        p->last_token = token;
    return rc;
}

int tb_plain_flush(tb_plain *p, int timeout_ms)
{
    MQTTClient_deliveryToken *pending = NULL;
    int64_t end = tb_now_ms() + timeout_ms;

    /* One wait on the newest token, then poll the pending list: Paho
     * completes QoS 1/2 in order, so this is usually a single wait. */
    if (p->last_token != 0)
        MQTTClient_waitForCompletion(p->client, p->last_token,
                                     (unsigned long)timeout_ms);
    for (;;) {
        int rc = MQTTClient_getPendingDeliveryTokens(p->client, &pending);
        int none = pending == NULL || pending[0] == -1;
        if (pending != NULL)
            MQTTClient_free(pending);
        pending = NULL;
        if (rc != MQTTCLIENT_SUCCESS)
            return rc;
        if (none)
            return 0;
        if (tb_now_ms() >= end)
            return MQTTCLIENT_FAILURE;
        tb_sleep_ms(10);
    }
}

size_t tb_plain_wait(tb_plain *p, size_t n, int timeout_ms)
{
    int64_t end = tb_now_ms() + timeout_ms;
    size_t count;

    pthread_mutex_lock(&p->mu);
    while (p->count < n && tb_now_ms() < end) {
        pthread_mutex_unlock(&p->mu);
        tb_sleep_ms(5);
        pthread_mutex_lock(&p->mu);
    }
    count = p->count;
    pthread_mutex_unlock(&p->mu);
    return count;
}

const tb_msg *tb_plain_msg(tb_plain *p, size_t i)
{
    const tb_msg *m = NULL;

    pthread_mutex_lock(&p->mu);
    if (i < p->count)
        m = p->msgs[i];
    pthread_mutex_unlock(&p->mu);
    return m;
}

void tb_plain_close(tb_plain *p)
{
    if (p->client != NULL) {
        if (MQTTClient_isConnected(p->client))
            MQTTClient_disconnect(p->client, 1000);
        MQTTClient_destroy(&p->client);
    }
    for (size_t i = 0; i < p->count; i++) {
        free(p->msgs[i]->topic);
        free(p->msgs[i]->payload);
        free(p->msgs[i]);
    }
    free(p->msgs);
    pthread_mutex_destroy(&p->mu);
    memset(p, 0, sizeof *p);
}

int tb_eavesdrop_start(tb_eavesdropper *e, const char *uri, int port,
                       const char *probe_topic)
{
    char port_s[16], probe[128], id[64];
    char *argv[] = {"mosquitto_sub",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    port_s,
                    "-t",
                    "#",
                    "-v",
                    NULL};
    tb_plain p;
    int rc = -1;
    int64_t end;

    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(probe, sizeof probe, "eavesdropper-probe-%ld", (long)getpid());
    tb_temp_path(e->path, sizeof e->path, "eavesdropper.out");
    e->pid = tb_spawn(argv, e->path);
    if (e->pid < 0)
        return -1;
    tb_client_id(id, sizeof id, "probe");
    if (tb_plain_connect(&p, uri, id) != MQTTCLIENT_SUCCESS)
        goto out;
    end = tb_now_ms() + 10000;
    while (rc != 0 && tb_now_ms() < end) {
        size_t len = 0;
        unsigned char *out;

        tb_plain_publish(&p, probe_topic, probe, strlen(probe), 0, 0);
        tb_sleep_ms(100);
        out = tb_read_file(e->path, &len);
        if (out != NULL && tb_memmem(out, len, probe, strlen(probe)) != NULL)
            rc = 0;
        free(out);
    }
out:
    tb_plain_close(&p);
    if (rc != 0)
        fprintf(stderr, "the eavesdropper did not start\n");
    return rc;
}

unsigned char *tb_eavesdrop_stop(tb_eavesdropper *e, size_t *len)
{
    if (e->pid > 0)
        tb_reap(e->pid, SIGTERM);
    e->pid = 0;
    return tb_read_file(e->path, len);
}

size_t tb_count(const unsigned char *hay, size_t hay_len, const char *needle)
{
    size_t n = 0, nl = strlen(needle);
    const unsigned char *at = hay, *end = hay + hay_len;

    while (at < end) {
        const unsigned char *hit =
            tb_memmem(at, (size_t)(end - at), needle, nl);
        if (hit == NULL)
            break;
        n++;
        at = hit + nl;
    }
    return n;
}
