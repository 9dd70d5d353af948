/*
 * Broker restart (issue 4, section 6): 5,000 sealed messages at QoS 1
 * over persistent sessions while the private mosquitto is stopped and
 * restarted twice mid-stream on the same port. Paho (MQTTAsync, automatic
 * reconnect, sending while disconnected) re-sends what was not
 * acknowledged; the broker redelivers what the subscriber had not
 * acknowledged. The subscriber's application must receive every message
 * exactly once and in order; the copies the hooks dropped are counted and
 * reported by reason.
 *
 * The broker is stopped with SIGTERM, so that it writes its persistence
 * file: with SIGKILL, mosquitto loses messages it had acknowledged since
 * its last autosave, which no client can recover.
 *
 * Usage: test_broker_restart 311|5   (the MQTT version of both clients)
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tb.h"
#include "tb_peer.h"

#define TOTAL 5000
#define WINDOW 200      /* publishes not yet acknowledged, at most */
#define PUB_INFLIGHT 32 /* Paho's in-flight limit for the publisher */
#define WAIT_MS 60000

static struct {
    int mqtt5;
    tb_broker broker;
    char prefix[128];
    char topic[200];
    char marker[64];
    uint32_t seed;
} g;

/* What the subscribing application saw. Paho's receive thread writes,
 * the test thread reads when the stream is over. */
typedef struct app {
    unsigned char seen[TOTAL];
    atomic_long next;         /* one past the last index delivered */
    atomic_long delivered;    /* distinct indexes */
    atomic_long duplicates;   /* an index delivered a second time */
    atomic_long out_of_order; /* a first delivery other than next */
    atomic_long bad;          /* not a test payload */
} app;

static void on_msg(void *ctx, const char *topic, size_t topic_len,
                   const unsigned char *payload, size_t len, int retained,
                   int dup)
{
    app *a = ctx;
    long i = tb_payload_check(payload, len, g.marker, g.seed);

    (void)topic;
    (void)topic_len;
    (void)retained;
    (void)dup;
    if (i < 0 || i >= TOTAL) {
        atomic_fetch_add(&a->bad, 1);
        return;
    }
    if (a->seen[i]) {
        atomic_fetch_add(&a->duplicates, 1);
        return;
    }
    a->seen[i] = 1;
    if (i != atomic_load(&a->next))
        atomic_fetch_add(&a->out_of_order, 1);
    atomic_store(&a->next, i + 1);
    atomic_fetch_add(&a->delivered, 1);
}

typedef struct publisher {
    tb_client *client;
    atomic_long queued;  /* publish calls that succeeded */
    atomic_long retries; /* publish calls refused and retried */
    atomic_int error;
} publisher;

static void *publish_all(void *arg)
{
    publisher *p = arg;
    unsigned char buf[512];
    int64_t end = tb_now_ms() + WAIT_MS;

    for (uint32_t i = 0; i < TOTAL && tb_now_ms() < end; i++) {
        size_t len = tb_payload(buf, sizeof buf, g.marker, g.seed, i);
        int rc;

        /* Keep the stream going for a few seconds and bounded in memory:
         * at most WINDOW unacknowledged, about 2,500 messages a second. */
        while (atomic_load(&p->client->expected) -
                       atomic_load(&p->client->completed) >=
                   WINDOW &&
               tb_now_ms() < end)
            tb_sleep_ms(1);
        if (i % 2 == 1)
            tb_sleep_ms(1);
        /* A refused call published nothing (the hooks seal, then Paho
         * queues or refuses), so calling again cannot duplicate. */
        while ((rc = tb_client_publish(p->client, g.topic, buf, len, 1, 0)) !=
                   0 &&
               tb_now_ms() < end) {
            atomic_fetch_add(&p->retries, 1);
            tb_sleep_ms(10);
        }
        if (rc != 0) {
            atomic_store(&p->error, rc);
            break;
        }
        atomic_fetch_add(&p->queued, 1);
    }
    return NULL;
}

static void restart_broker(const char *when, const tb_client *pub, const app *a)
{
    long acked = atomic_load(&pub->completed);

    printf("# %s: stopping mosquitto (SIGTERM) with %ld/%d acknowledged, "
           "%ld delivered\n",
           when, acked, TOTAL, atomic_load(&a->delivered));
    assert_true(acked < TOTAL); /* mid-stream */
    tb_broker_kill(&g.broker, SIGTERM);
    tb_sleep_ms(300);
    assert_int_equal(tb_broker_restart(&g.broker), 0);
}

/* Runs of the scenario at most, while Paho's reconnect race strikes. */
#define ATTEMPTS 8

/* One run of the scenario. Returns 1, asserting nothing, when Paho itself
 * reported a publish as failed and attempts remain (see the test below);
 * otherwise asserts every property and returns 0. */
static int attempt_stream(int attempt)
{
    static app a;
    mqttseal_keyring *kr = tb_keyring_root(1), *sub_kr;
    char grant[200];
    tb_peer pub, sub;
    tb_client_opts o = {0};
    publisher p = {0};
    pthread_t thread;
    int64_t t0 = tb_now_ms();
    uint64_t dup, replay, old, all;
    int completed;

    memset(&a, 0, sizeof a);
    snprintf(g.topic, sizeof g.topic, "%s/stream%d", g.prefix, attempt);
    snprintf(grant, sizeof grant, "%s/#", g.prefix);
    sub_kr = tb_keyring_grant(kr, 1, grant);
    o.uri = g.broker.uri;
    o.async = 1;
    o.mqtt5 = g.mqtt5;
    o.persistent = 1;
    o.reconnect = 1;
    o.on_msg = on_msg;
    o.app = &a;
    assert_int_equal(tb_peer_open(&sub, sub_kr, NULL, &o, "restart-sub"), 0);
    assert_int_equal(tb_client_subscribe(&sub.client, g.topic, 1), 0);
    /* The publisher receives nothing. */
    o.on_msg = NULL;
    o.app = NULL;
    o.max_inflight = PUB_INFLIGHT;
    assert_int_equal(tb_peer_open(&pub, kr, NULL, &o, "restart-pub"), 0);

    p.client = &pub.client;
    assert_int_equal(pthread_create(&thread, NULL, publish_all, &p), 0);
    tb_wait_count(&a.delivered, TOTAL * 3 / 10, WAIT_MS);
    restart_broker("restart 1", &pub.client, &a);
    tb_wait_count(&a.delivered, TOTAL * 65 / 100, WAIT_MS);
    restart_broker("restart 2", &pub.client, &a);
    pthread_join(thread, NULL);
    completed = tb_client_wait_complete(&pub.client, WAIT_MS);
    tb_wait_count(&a.delivered, TOTAL - atomic_load(&pub.client.failed),
                  WAIT_MS);
    tb_sleep_ms(500); /* late redeliveries would arrive now */

    dup = mqttseal_paho_rejected(sub.hooks, MQTTSEAL_PAHO_DUPLICATE);
    replay = mqttseal_paho_rejected(sub.hooks, MQTTSEAL_E_REPLAY);
    old = mqttseal_paho_rejected(sub.hooks, MQTTSEAL_E_TOO_OLD);
    all = mqttseal_paho_rejected(sub.hooks, MQTTSEAL_PAHO_ALL_REASONS);
    printf("# MQTT %s: %ld/%d delivered in %lld ms, %ld duplicates and "
           "%ld out of order reached the app; hooks dropped %llu "
           "duplicates (DUP set), %llu replays, %llu too old, %llu other; "
           "publisher: %ld reconnects, %ld failed, %ld calls retried; "
           "subscriber: %d reconnects\n",
           g.mqtt5 ? "5" : "3.1.1", atomic_load(&a.delivered), TOTAL,
           (long long)(tb_now_ms() - t0), atomic_load(&a.duplicates),
           atomic_load(&a.out_of_order), (unsigned long long)dup,
           (unsigned long long)replay, (unsigned long long)old,
           (unsigned long long)(all - dup - replay - old),
           (long)atomic_load(&pub.client.reconnects),
           atomic_load(&pub.client.failed), atomic_load(&p.retries),
           atomic_load(&sub.client.reconnects));

    for (int e = 1; e <= MQTTSEAL_E_CRYPTO; e++) {
        uint64_t n = mqttseal_paho_rejected(sub.hooks, e);

        if (n > 0 && e != MQTTSEAL_E_REPLAY && e != MQTTSEAL_E_TOO_OLD)
            printf("# rejected by the hooks: %llu x %s\n",
                   (unsigned long long)n, mqttseal_strerror(e));
    }
    if (attempt + 1 < ATTEMPTS && atomic_load(&pub.client.failed) > 0) {
        tb_peer_close(&pub);
        tb_peer_close(&sub);
        mqttseal_keyring_free(sub_kr);
        mqttseal_keyring_free(kr);
        return 1;
    }
    assert_int_equal(atomic_load(&p.error), 0);
    assert_int_equal(completed, 0);
    assert_int_equal(atomic_load(&a.bad), 0);
    assert_int_equal(atomic_load(&a.delivered), TOTAL);
    assert_int_equal(atomic_load(&a.duplicates), 0);
    assert_int_equal(atomic_load(&a.out_of_order), 0);
    assert_int_equal(mqttseal_paho_delivered(sub.hooks), TOTAL);
    assert_int_equal(all - dup - replay - old, 0);
    assert_true(atomic_load(&pub.client.lost) >= 2);
    assert_true(atomic_load(&sub.client.lost) >= 2);

    tb_peer_close(&pub);
    tb_peer_close(&sub);
    mqttseal_keyring_free(sub_kr);
    mqttseal_keyring_free(kr);
    return 0;
}

/*
 * Paho 1.3.12 has a race between its own threads during automatic
 * reconnect (ASan reports a heap-use-after-free with every frame in
 * libpaho-mqtt3a, on memory MQTTAsync_send allocated). When it strikes,
 * Paho reports a publish as failed (onFailure) and may corrupt it, which
 * mqttseal then rejects; no client library could deliver that message
 * exactly once. Only then is the scenario run again, on a fresh topic and
 * sessions, up to ATTEMPTS times in all (the race struck in about half of
 * the runs here); an attempt without a failure Paho reported must pass
 * every assertion, and so must the last attempt.
 */
static void exactly_once_in_order_across_two_restarts(void **state)
{
    int attempt = 0;

    (void)state;
    while (attempt_stream(attempt) == 1) {
        printf("# Paho reported a publish as failed during reconnect "
               "(its own race, see above): running the scenario again\n");
        attempt++;
    }
}

static int group_setup(void **state)
{
    (void)state;
    /* Always a private broker: this test kills it. */
    if (mqttseal_init() != MQTTSEAL_OK || tb_broker_start(&g.broker, NULL) != 0)
        return -1;
    tb_prefix(g.prefix, sizeof g.prefix, g.mqtt5 ? "restart5" : "restart");
    snprintf(g.topic, sizeof g.topic, "%s/stream", g.prefix);
    snprintf(g.marker, sizeof g.marker, "secret-restart-%ld", (long)getpid());
    g.seed = (uint32_t)tb_now_ms();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tb_broker_stop(&g.broker);
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exactly_once_in_order_across_two_restarts),
    };

    if (argc != 2 || (strcmp(argv[1], "311") != 0 && strcmp(argv[1], "5")))
        return fprintf(stderr, "usage: %s 311|5\n", argv[0]), 2;
    g.mqtt5 = strcmp(argv[1], "5") == 0;
    return cmocka_run_group_tests_name(g.mqtt5 ? "broker restart, MQTT 5"
                                               : "broker restart, MQTT 3.1.1",
                                       tests, group_setup, group_teardown);
}
