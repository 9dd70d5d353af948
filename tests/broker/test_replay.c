/*
 * Replays through a real mosquitto (issue 4, section 6). A plain attacker
 * client captures sealed messages from the broker and re-publishes them
 * unchanged, later, on the same topic: none reaches the application, each
 * is reported as a replay (E_REPLAY inside the window, E_TOO_OLD once the
 * window has moved past it). A subscriber that saved its replay state
 * (mqttseal_ctx_save_replay) and is recreated from it
 * (mqttseal_ctx_load_replay) still rejects replays of what it accepted
 * before; a recreated subscriber without the state accepts them once,
 * which is what the saved state is for.
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
#include "tb_peer.h"

#define WAIT_MS 10000

static struct {
    tb_broker broker;
    char prefix[128];
    char marker[64];
    uint32_t seed;
    mqttseal_keyring *kr;     /* publisher: root key, id 1 */
    mqttseal_keyring *sub_kr; /* subscribers: grant prefix/# */
    tb_client_opts opts;
} g;

static void publish_range(tb_peer *pub, const char *topic, uint32_t from,
                          uint32_t to)
{
    unsigned char buf[512];

    for (uint32_t i = from; i < to; i++) {
        size_t len = tb_payload(buf, sizeof buf, g.marker, g.seed, i);
        assert_int_equal(tb_client_publish(&pub->client, topic, buf, len, 1, 0),
                         0);
    }
    assert_int_equal(tb_client_wait_complete(&pub->client, WAIT_MS), 0);
}

/* Re-publish the captured messages [from, to) unchanged. */
static void replay(tb_plain *eve, const char *topic, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        const tb_msg *m = tb_plain_msg(eve, i);
        assert_non_null(m);
        assert_int_equal(tb_plain_publish(eve, topic, m->payload, m->len, 1, 0),
                         0);
    }
    assert_int_equal(tb_plain_flush(eve, WAIT_MS), 0);
}

static void check_in_order(tb_rec *rec, size_t n, uint32_t first)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(tb_payload_check(rec->msgs[i]->payload,
                                          rec->msgs[i]->len, g.marker, g.seed),
                         first + i);
}

static void rejections_since(tb_rec *rec, size_t from, size_t to, int reason)
{
    for (size_t i = from; i < to; i++) {
        assert_int_equal(rec->reasons[i], reason);
        assert_int_equal(rec->reject_dup[i], 0);
    }
}

static void open_attacker(tb_plain *eve, const char *topic)
{
    char id[64];

    tb_client_id(id, sizeof id, "replay-attacker");
    assert_int_equal(tb_plain_connect(eve, g.broker.uri, id), 0);
    assert_int_equal(tb_plain_subscribe(eve, topic, 1), 0);
}

static void attacker_replays_are_rejected(void **state)
{
    tb_peer pub, sub;
    tb_rec rec;
    tb_plain eve;
    char topic[200];

    (void)state;
    snprintf(topic, sizeof topic, "%s/attacker", g.prefix);
    tb_rec_init(&rec);
    assert_int_equal(tb_peer_open(&sub, g.sub_kr, &rec, &g.opts, "rp-sub"), 0);
    assert_int_equal(tb_client_subscribe(&sub.client, topic, 1), 0);
    assert_int_equal(tb_peer_open(&pub, g.kr, NULL, &g.opts, "rp-pub"), 0);
    open_attacker(&eve, topic);

    publish_range(&pub, topic, 0, 20);
    assert_int_equal(tb_rec_wait(&rec, 20, 0, WAIT_MS), 20);
    assert_int_equal(tb_plain_wait(&eve, 20, WAIT_MS), 20);
    check_in_order(&rec, 20, 0);

    /* Later, the same 20 envelopes again: inside the 64-message window. */
    tb_sleep_ms(200);
    replay(&eve, topic, 0, 20);
    assert_int_equal(tb_rec_wait(&rec, 20, 1, WAIT_MS), 20);
    rejections_since(&rec, 0, 20, MQTTSEAL_E_REPLAY);

    /* 100 new messages move the window past them; replayed again, they
     * are older than the window. */
    publish_range(&pub, topic, 20, 120);
    assert_int_equal(tb_rec_wait(&rec, 120, 0, WAIT_MS), 120);
    replay(&eve, topic, 0, 20);
    assert_int_equal(tb_rec_wait(&rec, 40, 1, WAIT_MS), 40);
    rejections_since(&rec, 20, 40, MQTTSEAL_E_TOO_OLD);

    tb_sleep_ms(100);
    assert_int_equal(rec.count, 120);
    assert_int_equal(rec.rejected, 40);
    check_in_order(&rec, 120, 0);
    assert_int_equal(mqttseal_paho_rejected(sub.hooks, MQTTSEAL_E_REPLAY), 20);
    assert_int_equal(mqttseal_paho_rejected(sub.hooks, MQTTSEAL_E_TOO_OLD), 20);
    printf("# 40 replays: 20 E_REPLAY (inside the window), 20 E_TOO_OLD "
           "(after 100 newer messages); the app received 120/120\n");
    tb_plain_close(&eve);
    tb_peer_close(&pub);
    tb_peer_close(&sub);
    tb_rec_free(&rec);
}

static void restarted_subscriber_keeps_rejecting(void **state)
{
    tb_peer pub, sub;
    tb_rec rec;
    tb_plain eve;
    char topic[200], path[300];

    (void)state;
    snprintf(topic, sizeof topic, "%s/restart", g.prefix);
    tb_temp_path(path, sizeof path, "replay.state");

    /* First life: 30 messages accepted, then the state is saved. */
    tb_rec_init(&rec);
    assert_int_equal(tb_peer_open(&sub, g.sub_kr, &rec, &g.opts, "rs-sub"), 0);
    assert_int_equal(tb_client_subscribe(&sub.client, topic, 1), 0);
    assert_int_equal(tb_peer_open(&pub, g.kr, NULL, &g.opts, "rs-pub"), 0);
    open_attacker(&eve, topic);
    publish_range(&pub, topic, 0, 30);
    assert_int_equal(tb_rec_wait(&rec, 30, 0, WAIT_MS), 30);
    assert_int_equal(tb_plain_wait(&eve, 30, WAIT_MS), 30);
    assert_int_equal(mqttseal_ctx_save_replay(sub.ctx, path), MQTTSEAL_OK);
    tb_peer_close(&sub);
    tb_rec_free(&rec);

    /* Second life: a new context loads the state before subscribing. */
    tb_rec_init(&rec);
    assert_int_equal(tb_peer_open(&sub, g.sub_kr, &rec, &g.opts, "rs-sub2"), 0);
    assert_int_equal(mqttseal_ctx_load_replay(sub.ctx, path), MQTTSEAL_OK);
    assert_int_equal(tb_client_subscribe(&sub.client, topic, 1), 0);
    replay(&eve, topic, 0, 30);
    assert_int_equal(tb_rec_wait(&rec, 30, 1, WAIT_MS), 30);
    rejections_since(&rec, 0, 30, MQTTSEAL_E_REPLAY);
    assert_int_equal(rec.count, 0);
    /* New messages from the same publisher still open. */
    publish_range(&pub, topic, 30, 35);
    assert_int_equal(tb_rec_wait(&rec, 5, 0, WAIT_MS), 5);
    check_in_order(&rec, 5, 30);
    tb_sleep_ms(100);
    assert_int_equal(rec.rejected, 30);
    tb_peer_close(&sub);
    tb_rec_free(&rec);

    /* Control: recreated without the saved state, it accepts them once. */
    tb_rec_init(&rec);
    assert_int_equal(tb_peer_open(&sub, g.sub_kr, &rec, &g.opts, "rs-sub3"), 0);
    assert_int_equal(tb_client_subscribe(&sub.client, topic, 1), 0);
    replay(&eve, topic, 0, 30);
    assert_int_equal(tb_rec_wait(&rec, 30, 0, WAIT_MS), 30);
    check_in_order(&rec, 30, 0);
    printf("# restarted with saved state: 30/30 replays rejected "
           "(E_REPLAY), 5/5 new messages accepted; restarted without it: "
           "30/30 replays accepted\n");
    tb_plain_close(&eve);
    tb_peer_close(&pub);
    tb_peer_close(&sub);
    tb_rec_free(&rec);
}

static int group_setup(void **state)
{
    char grant[200];

    (void)state;
    if (mqttseal_init() != MQTTSEAL_OK || tb_broker_open(&g.broker) != 0)
        return -1;
    tb_prefix(g.prefix, sizeof g.prefix, "replay");
    snprintf(g.marker, sizeof g.marker, "secret-replay-%ld", (long)getpid());
    g.seed = (uint32_t)tb_now_ms();
    g.kr = tb_keyring_root(1);
    snprintf(grant, sizeof grant, "%s/#", g.prefix);
    g.sub_kr = tb_keyring_grant(g.kr, 1, grant);
    g.opts.uri = g.broker.uri;
    g.opts.async = 1; /* MQTTAsync here; test_features uses MQTTClient */
    g.opts.mqtt5 = 1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tb_broker_stop(&g.broker);
    mqttseal_keyring_free(g.sub_kr);
    mqttseal_keyring_free(g.kr);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(attacker_replays_are_rejected),
        cmocka_unit_test(restarted_subscriber_keeps_rejecting),
    };

    return cmocka_run_group_tests_name("broker replay", tests, group_setup,
                                       group_teardown);
}
