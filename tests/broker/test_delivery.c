/*
 * Delivery through a real mosquitto with the real hooks: 1,000 sealed
 * messages end to end, intact and in order, at QoS 0, 1 and 2, over
 * MQTT 3.1.1 and 5, with MQTTClient or with MQTTAsync (6 runs each; the
 * argument picks the API, see meson.build for why one per process). A
 * plain `mosquitto_sub -t '#'` listens through all of it and must never
 * see a test plaintext.
 *
 * Usage: test_broker_delivery client|async
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tb.h"
#include "tb_client.h"
#include "tb_plain.h"

#define MESSAGES 1000
#define WAIT_MS 60000

static struct {
    tb_broker broker;
    tb_eavesdropper eve;
    char prefix[128];
    char marker[64];
    uint32_t seed;
    long sealed_sent;
} g;

/* What the subscribing application saw. Paho calls back on one thread
 * per client, but the test thread reads these too. */
typedef struct sink {
    atomic_long next;         /* index expected next */
    atomic_long bad;          /* payloads that are not a test payload */
    atomic_long out_of_order; /* index other than the one expected */
    atomic_long retained;     /* deliveries flagged retained */
    atomic_long rejected;     /* hooks' rejection callback calls */
    atomic_int last_reason;
} sink;

static void on_msg(void *app, const char *topic, size_t topic_len,
                   const unsigned char *payload, size_t len, int retained,
                   int dup)
{
    sink *s = app;
    long i = tb_payload_check(payload, len, g.marker, g.seed);

    (void)topic;
    (void)topic_len;
    (void)dup;
    if (retained)
        atomic_fetch_add(&s->retained, 1);
    if (i < 0)
        atomic_fetch_add(&s->bad, 1);
    else if (i != atomic_load(&s->next))
        atomic_fetch_add(&s->out_of_order, 1);
    else
        atomic_fetch_add(&s->next, 1);
}

static void on_reject(void *context, const mqttseal_paho_rejection *r)
{
    sink *s = context;

    atomic_fetch_add(&s->rejected, 1);
    atomic_store(&s->last_reason, r->reason);
}

typedef struct combo {
    int async;
    int mqtt5;
    int qos;
} combo;

static void run(void **state)
{
    const combo *c = *state;
    char topic[200], sub_filter[200], sub_id[64], pub_id[64];
    unsigned char buf[512];
    mqttseal_keyring *kr = tb_keyring_root(1), *sub_kr;
    mqttseal_ctx *pub_ctx, *sub_ctx;
    mqttseal_paho *pub_h = NULL, *sub_h = NULL;
    tb_client pub, sub;
    tb_client_opts po = {0}, so = {0};
    sink s;
    int64_t t0, t1;

    memset(&s, 0, sizeof s);
    snprintf(topic, sizeof topic, "%s/%s-v%s-q%d/data", g.prefix,
             c->async ? "async" : "client", c->mqtt5 ? "5" : "311", c->qos);
    snprintf(sub_filter, sizeof sub_filter, "%s/#", g.prefix);
    sub_kr = tb_keyring_grant(kr, 1, sub_filter);
    pub_ctx = tb_ctx(kr);
    sub_ctx = tb_ctx(sub_kr);
    assert_int_equal(mqttseal_paho_new(&pub_h, pub_ctx), MQTTSEAL_OK);
    assert_int_equal(mqttseal_paho_new(&sub_h, sub_ctx), MQTTSEAL_OK);
    assert_int_equal(mqttseal_paho_set_reject_callback(sub_h, on_reject, &s),
                     MQTTSEAL_OK);

    tb_client_id(sub_id, sizeof sub_id, "delivery-sub");
    tb_client_id(pub_id, sizeof pub_id, "delivery-pub");
    so.uri = po.uri = g.broker.uri;
    so.async = po.async = c->async;
    so.mqtt5 = po.mqtt5 = c->mqtt5;
    so.client_id = sub_id;
    so.hooks = sub_h;
    so.on_msg = on_msg;
    so.app = &s;
    po.client_id = pub_id;
    po.hooks = pub_h;
    assert_int_equal(tb_client_connect(&sub, &so), 0);
    assert_int_equal(tb_client_subscribe(&sub, topic, c->qos), 0);
    assert_int_equal(tb_client_connect(&pub, &po), 0);

    t0 = tb_now_ms();
    for (uint32_t i = 0; i < MESSAGES; i++) {
        size_t len = tb_payload(buf, sizeof buf, g.marker, g.seed, i);
        int rc = tb_client_publish(&pub, topic, buf, len, c->qos, 0);
        if (rc != 0)
            fail_msg("publish %u: %d %s", i, rc, mqttseal_paho_strerror(rc));
    }
    g.sealed_sent += MESSAGES;
    assert_int_equal(tb_client_wait_complete(&pub, WAIT_MS), 0);
    tb_wait_count(&sub.received, MESSAGES, WAIT_MS);
    t1 = tb_now_ms();
    tb_sleep_ms(100); /* anything extra would arrive now */

    printf("# %s: received %ld/%d in %lld ms; hooks delivered %llu, "
           "rejected %llu\n",
           topic + strlen(g.prefix) + 1, atomic_load(&sub.received), MESSAGES,
           (long long)(t1 - t0),
           (unsigned long long)mqttseal_paho_delivered(sub_h),
           (unsigned long long)mqttseal_paho_rejected(
               sub_h, MQTTSEAL_PAHO_ALL_REASONS));
    assert_int_equal(atomic_load(&pub.failed), 0);
    assert_int_equal(atomic_load(&s.rejected), 0);
    assert_int_equal(atomic_load(&s.bad), 0);
    assert_int_equal(atomic_load(&s.out_of_order), 0);
    assert_int_equal(atomic_load(&s.retained), 0);
    /* At QoS 0 a loss would show here as a count below 1,000; with
     * loopback and an unlimited broker queue none is expected. */
    assert_int_equal(atomic_load(&sub.received), MESSAGES);
    assert_int_equal(atomic_load(&s.next), MESSAGES);
    assert_int_equal(mqttseal_paho_delivered(sub_h), MESSAGES);
    assert_int_equal(mqttseal_paho_rejected(sub_h, MQTTSEAL_PAHO_ALL_REASONS),
                     0);

    tb_client_close(&pub);
    tb_client_close(&sub);
    mqttseal_paho_free(pub_h);
    mqttseal_paho_free(sub_h);
    mqttseal_ctx_free(pub_ctx);
    mqttseal_ctx_free(sub_ctx);
    mqttseal_keyring_free(sub_kr);
    mqttseal_keyring_free(kr);
}

/* Runs last: the plain subscriber on '#' saw the traffic, never the
 * plaintext. */
static void eavesdropper_saw_only_ciphertext(void **state)
{
    size_t len = 0, topics;
    unsigned char *out = tb_eavesdrop_stop(&g.eve, &len);

    (void)state;
    assert_non_null(out);
    topics = tb_count(out, len, g.prefix);
    printf("# eavesdropper: %zu bytes, %zu messages under the test prefix "
           "(%ld sealed sent), %zu plaintext markers\n",
           len, topics, g.sealed_sent, tb_count(out, len, g.marker));
    assert_true(topics >= (size_t)g.sealed_sent);
    assert_null(tb_memmem(out, len, g.marker, strlen(g.marker)));
    free(out);
}

static int group_setup(void **state)
{
    char probe[200];

    (void)state;
    if (mqttseal_init() != MQTTSEAL_OK || tb_broker_open(&g.broker) != 0)
        return -1;
    tb_prefix(g.prefix, sizeof g.prefix, "delivery");
    snprintf(g.marker, sizeof g.marker, "secret-delivery-%ld-%lx",
             (long)getpid(), (unsigned long)tb_now_ms());
    g.seed = (uint32_t)tb_now_ms();
    snprintf(probe, sizeof probe, "%s/probe", g.prefix);
    return tb_eavesdrop_start(&g.eve, g.broker.uri, g.broker.port, probe);
}

static int group_teardown(void **state)
{
    (void)state;
    if (g.eve.pid > 0)
        free(tb_eavesdrop_stop(&g.eve, &(size_t){0}));
    tb_broker_stop(&g.broker);
    return 0;
}

int main(int argc, char **argv)
{
    static combo combos[6];
    static char names[6][64];
    struct CMUnitTest tests[7];
    size_t n = 0;
    int async;

    if (argc != 2 || (strcmp(argv[1], "client") && strcmp(argv[1], "async")))
        return fprintf(stderr, "usage: %s client|async\n", argv[0]), 2;
    async = strcmp(argv[1], "async") == 0;
    for (int v5 = 0; v5 < 2; v5++) {
        for (int qos = 0; qos < 3; qos++) {
            combos[n] = (combo){async, v5, qos};
            snprintf(names[n], sizeof names[n], "%s MQTT %s QoS %d x %d",
                     async ? "MQTTAsync" : "MQTTClient", v5 ? "5" : "3.1.1",
                     qos, MESSAGES);
            tests[n] =
                (struct CMUnitTest){names[n], run, NULL, NULL, &combos[n]};
            n++;
        }
    }
    tests[n++] =
        (struct CMUnitTest){"eavesdropper saw only ciphertext",
                            eavesdropper_saw_only_ciphertext, NULL, NULL, NULL};
    return _cmocka_run_group_tests(async ? "broker delivery, MQTTAsync"
                                         : "broker delivery, MQTTClient",
                                   tests, n, group_setup, group_teardown);
}
