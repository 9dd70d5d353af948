/*
 * Broker features and attacks, through a real mosquitto with the real
 * hooks: a retained sealed message reaches a late subscriber, and a
 * live one an attacker re-publishes with RETAIN set is stale; a sealed
 * will reaches a subscriber when the publisher dies; plaintext, a message
 * moved to another topic, keys the subscriber lacks and flipped bytes are
 * rejected with their reasons and never delivered; a subscriber on
 * P/site/+/temp holding only the grant P/site/# opens every matching
 * topic. A plain `mosquitto_sub -t '#'` listens throughout and must see
 * the ciphertext but no sealed plaintext (it must see the one plaintext
 * sent in the clear on purpose).
 *
 * Run with --will-child URI TOPIC KEYRING MARKER SEED it is the publisher
 * whose connection is cut.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tb.h"
#include "tb_peer.h"

#define WAIT_MS 10000
#define WILL_INDEX 424242U

static struct {
    tb_broker broker;
    tb_eavesdropper eve;
    char prefix[128];
    char marker[64];       /* in every sealed plaintext */
    char clear_marker[64]; /* in the one plaintext sent unsealed */
    uint32_t seed;
    mqttseal_keyring *kr; /* publisher: root key, id 1 */
    tb_client_opts opts;  /* uri; MQTTClient, 3.1.1 */
} g;

static void topic_of(char *out, size_t cap, const char *suffix)
{
    snprintf(out, cap, "%s/%s", g.prefix, suffix);
}

/* A sealed subscriber holding only grant, subscribed to filter. */
static void open_sub(tb_peer *sub, tb_rec *rec, const char *grant,
                     const char *filter, int qos)
{
    char g_full[200], f_full[200];
    mqttseal_keyring *kr;

    topic_of(g_full, sizeof g_full, grant);
    topic_of(f_full, sizeof f_full, filter);
    kr = tb_keyring_grant(g.kr, 1, g_full);
    tb_rec_init(rec);
    assert_int_equal(tb_peer_open(sub, kr, rec, &g.opts, "feat-sub"), 0);
    assert_int_equal(tb_client_subscribe(&sub->client, f_full, qos), 0);
    mqttseal_keyring_free(kr);
}

static void publish_sealed(tb_peer *pub, const char *suffix, uint32_t i,
                           int retained)
{
    char topic[200];
    unsigned char buf[512];
    size_t len = tb_payload(buf, sizeof buf, g.marker, g.seed, i);

    topic_of(topic, sizeof topic, suffix);
    assert_int_equal(
        tb_client_publish(&pub->client, topic, buf, len, 1, retained), 0);
}

static int payload_is(const tb_msg *m, uint32_t i)
{
    return m != NULL &&
           tb_payload_check(m->payload, m->len, g.marker, g.seed) == (long)i;
}

static size_t count_reason(tb_rec *rec, int reason)
{
    size_t n = 0;

    pthread_mutex_lock(&rec->mu);
    for (size_t i = 0; i < rec->rejected; i++)
        n += rec->reasons[i] == reason;
    pthread_mutex_unlock(&rec->mu);
    return n;
}

/* ------------------------------------------------------------------ */

static void retained_reaches_late_subscriber(void **state)
{
    tb_peer pub, sub;
    tb_rec rec;
    tb_plain clear;
    char topic[200], id[64];

    (void)state;
    assert_int_equal(tb_peer_open(&pub, g.kr, NULL, &g.opts, "feat-pub"), 0);
    publish_sealed(&pub, "retained", 7, 1);
    assert_int_equal(tb_client_wait_complete(&pub.client, WAIT_MS), 0);
    tb_peer_close(&pub);

    open_sub(&sub, &rec, "retained", "retained", 1);
    assert_int_equal(tb_rec_wait(&rec, 1, 0, WAIT_MS), 1);
    tb_sleep_ms(100);
    assert_int_equal(rec.count, 1);
    assert_true(rec.msgs[0]->retained);
    assert_true(payload_is(rec.msgs[0], 7));
    assert_int_equal(rec.rejected, 0);
    tb_peer_close(&sub);
    tb_rec_free(&rec);

    /* Clear the retained message (an empty retained publish). */
    topic_of(topic, sizeof topic, "retained");
    tb_client_id(id, sizeof id, "feat-clear");
    assert_int_equal(tb_plain_connect(&clear, g.broker.uri, id), 0);
    assert_int_equal(tb_plain_publish(&clear, topic, "", 0, 1, 1), 0);
    assert_int_equal(tb_plain_flush(&clear, WAIT_MS), 0);
    tb_plain_close(&clear);
}

/*
 * The retained attack (issue 11). A subscriber with freshness (maximum
 * age 2 s, retained maximum age 60 s) must judge a message by what its
 * publisher sealed, not by the RETAIN bit of the delivery: an attacker
 * who re-publishes a captured live message with RETAIN set 3 s later
 * gets it refused as stale (the old exempt_retained accepted it), while
 * a message the sealed publisher itself published retained reaches a
 * late subscriber after the same 3 s.
 */
#define RA_MAX_AGE_MS 2000U
#define RA_RETAINED_MAX_AGE_MS 60000U
#define RA_WAIT_MS 3000

static void clear_retained(const char *suffix)
{
    tb_plain clear;
    char topic[200], id[64];

    topic_of(topic, sizeof topic, suffix);
    tb_client_id(id, sizeof id, "feat-clear");
    assert_int_equal(tb_plain_connect(&clear, g.broker.uri, id), 0);
    assert_int_equal(tb_plain_publish(&clear, topic, "", 0, 1, 1), 0);
    assert_int_equal(tb_plain_flush(&clear, WAIT_MS), 0);
    tb_plain_close(&clear);
}

/* A subscriber with freshness set before it subscribes to ra/#. */
static void open_fresh_sub(tb_peer *sub, tb_rec *rec)
{
    char filter[200];
    mqttseal_keyring *kr;

    topic_of(filter, sizeof filter, "ra/#");
    kr = tb_keyring_grant(g.kr, 1, filter);
    tb_rec_init(rec);
    assert_int_equal(tb_peer_open(sub, kr, rec, &g.opts, "feat-ra-sub"), 0);
    mqttseal_keyring_free(kr);
    assert_int_equal(mqttseal_paho_set_freshness(sub->hooks, RA_MAX_AGE_MS, 0,
                                                 RA_RETAINED_MAX_AGE_MS),
                     MQTTSEAL_OK);
    assert_int_equal(tb_client_subscribe(&sub->client, filter, 1), 0);
}

static void retained_replay_of_live_message_is_stale(void **state)
{
    tb_peer pub, sub;
    tb_rec rec;
    tb_plain eve;
    char live[200], id[64];
    mqttseal_stats st;

    (void)state;
    topic_of(live, sizeof live, "ra/live");
    tb_client_id(id, sizeof id, "feat-ra-attacker");
    assert_int_equal(tb_plain_connect(&eve, g.broker.uri, id), 0);
    assert_int_equal(tb_plain_subscribe(&eve, live, 1), 0);
    assert_int_equal(tb_peer_open(&pub, g.kr, NULL, &g.opts, "feat-ra-pub"), 0);
    assert_int_equal(mqttseal_ctx_set_timestamps(pub.ctx, 1), MQTTSEAL_OK);
    publish_sealed(&pub, "ra/live", 21, 0); /* live: not retained */
    publish_sealed(&pub, "ra/kept", 22, 1); /* genuinely retained */
    assert_int_equal(tb_client_wait_complete(&pub.client, WAIT_MS), 0);
    tb_peer_close(&pub);
    assert_int_equal(tb_plain_wait(&eve, 1, WAIT_MS), 1);

    /* Older than the maximum age, younger than the retained one. */
    tb_sleep_ms(RA_WAIT_MS);
    assert_int_equal(tb_plain_publish(&eve, live,
                                      tb_plain_msg(&eve, 0)->payload,
                                      tb_plain_msg(&eve, 0)->len, 1, 1),
                     0);
    assert_int_equal(tb_plain_flush(&eve, WAIT_MS), 0);

    open_fresh_sub(&sub, &rec);
    assert_int_equal(tb_rec_wait(&rec, 1, 0, WAIT_MS), 1);
    assert_int_equal(tb_rec_wait(&rec, 1, 1, WAIT_MS), 1);
    tb_sleep_ms(200);
    assert_int_equal(rec.count, 1);
    assert_true(rec.msgs[0]->retained);
    assert_true(payload_is(rec.msgs[0], 22));
    assert_int_equal(rec.rejected, 1);
    assert_int_equal(rec.reasons[0], MQTTSEAL_E_STALE);
    assert_non_null(strstr(rec.reject_topics[0], "/ra/live"));
    assert_int_equal(mqttseal_paho_rejected(sub.hooks, MQTTSEAL_E_STALE), 1);
    assert_int_equal(mqttseal_ctx_stats(sub.ctx, &st), MQTTSEAL_OK);
    assert_int_equal(st.refused_by[MQTTSEAL_E_STALE], 1);
    printf("# after %d ms: the live message re-published with RETAIN set "
           "was refused (E_STALE); the one sealed retained opened\n",
           RA_WAIT_MS);
    tb_peer_close(&sub);
    tb_rec_free(&rec);
    tb_plain_close(&eve);
    clear_retained("ra/live");
    clear_retained("ra/kept");
}

static void sealed_will_on_cut_connection(void **state)
{
    tb_peer sub;
    tb_rec rec;
    char topic[200], keyring[300], out[300], exe[256], seed[16];
    char *argv[] = {exe,     "--will-child", g.broker.uri, topic,
                    keyring, g.marker,       seed,         NULL};
    unsigned char *text = NULL;
    size_t len = 0;
    ssize_t n;
    pid_t child;
    int64_t end;

    (void)state;
    open_sub(&sub, &rec, "will/#", "will/#", 1);
    topic_of(topic, sizeof topic, "will/publisher");
    tb_temp_path(keyring, sizeof keyring, "will.keyring");
    tb_temp_path(out, sizeof out, "will-child.out");
    assert_int_equal(mqttseal_keyring_save_file(g.kr, keyring), MQTTSEAL_OK);
    snprintf(seed, sizeof seed, "%u", g.seed);
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';

    child = tb_spawn(argv, out);
    assert_true(child > 0);
    end = tb_now_ms() + WAIT_MS;
    while (tb_now_ms() < end) {
        free(text);
        text = tb_read_file(out, &len);
        if (text != NULL && strstr((char *)text, "connected") != NULL)
            break;
        tb_sleep_ms(20);
    }
    assert_non_null(text);
    if (strstr((char *)text, "connected") == NULL)
        fail_msg("will child did not connect: %s", (char *)text);
    free(text);
    /* Cut its connection: the kernel closes the socket, no DISCONNECT. */
    tb_reap(child, SIGKILL);

    assert_int_equal(tb_rec_wait(&rec, 1, 0, WAIT_MS), 1);
    tb_sleep_ms(100);
    assert_int_equal(rec.count, 1);
    assert_string_equal(rec.msgs[0]->topic, topic);
    assert_true(payload_is(rec.msgs[0], WILL_INDEX));
    assert_int_equal(rec.rejected, 0);
    tb_peer_close(&sub);
    tb_rec_free(&rec);
}

static int will_child(char **argv)
{
    mqttseal_diag diag;
    mqttseal_paho *h;
    MQTTClient client;
    MQTTClient_connectOptions opts = MQTTClient_connectOptions_initializer;
    MQTTClient_willOptions will = MQTTClient_willOptions_initializer;
    mqttseal_paho_will *sealed = NULL;
    unsigned char buf[512];
    char id[64];
    size_t len;
    int rc;

    /* As a ported app: no mqttseal_init(), the load initialises. */
    h = mqttseal_paho_load(argv[2], &diag);
    if (h == NULL) {
        printf("keyring: line %u: %s\n", diag.line, diag.message);
        return 2;
    }
    len = tb_payload(buf, sizeof buf, argv[3],
                     (uint32_t)strtoul(argv[4], NULL, 10), WILL_INDEX);
    tb_client_id(id, sizeof id, "feat-will");
    if (MQTTClient_create(&client, argv[0], id, MQTTCLIENT_PERSISTENCE_NONE,
                          NULL) != MQTTCLIENT_SUCCESS)
        return 2;
    will.topicName = argv[1];
    will.struct_version = 1; /* binary payload instead of a C string */
    will.message = NULL;
    will.payload.data = buf;
    will.payload.len = (int)len;
    will.qos = 1;
    opts.will = &will;
    opts.keepAliveInterval = 60;
    rc = mqttseal_MQTTClient_sealWill(h, &opts, &sealed);
    if (rc != MQTTCLIENT_SUCCESS) {
        printf("sealWill: %s\n", mqttseal_paho_strerror(rc));
        return 2;
    }
    rc = MQTTClient_connect(client, &opts);
    mqttseal_paho_will_free(sealed);
    if (rc != MQTTCLIENT_SUCCESS) {
        printf("connect: %d\n", rc);
        return 2;
    }
    printf("connected\n");
    fflush(stdout);
    tb_sleep_ms(60000); /* the test kills us long before this */
    return 3;
}

/* ------------------------------------------------------------------ */

static void rejects_plaintext(void **state)
{
    tb_peer sub;
    tb_rec rec;
    char topic[200], port[16], text[128];
    char *argv[] = {
        "mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-q", "1", "-t",
        topic,           "-m", text,        NULL};
    pid_t pid;
    int status;

    (void)state;
    open_sub(&sub, &rec, "rej/in/#", "rej/#", 1);
    topic_of(topic, sizeof topic, "rej/in/plain");
    snprintf(port, sizeof port, "%d", g.broker.port);
    snprintf(text, sizeof text, "%s: sent in the clear", g.clear_marker);
    pid = tb_spawn(argv, NULL);
    assert_true(pid > 0);
    status = tb_reap(pid, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    assert_int_equal(tb_rec_wait(&rec, 1, 1, WAIT_MS), 1);
    tb_sleep_ms(100);
    assert_int_equal(rec.count, 0);
    assert_int_equal(rec.rejected, 1);
    assert_int_equal(rec.reasons[0], MQTTSEAL_E_NOT_SEALED);
    assert_string_equal(rec.reject_topics[0], topic);
    assert_int_equal(mqttseal_paho_rejected(sub.hooks, MQTTSEAL_E_NOT_SEALED),
                     1);
    assert_int_equal(mqttseal_paho_delivered(sub.hooks), 0);
    tb_peer_close(&sub);
    tb_rec_free(&rec);
}

/* A plain attacker subscribed to from captures one sealed message. */
static const tb_msg *capture(tb_plain *eve, tb_peer *pub, const char *from,
                             uint32_t i)
{
    char topic[200], id[64];

    topic_of(topic, sizeof topic, from);
    tb_client_id(id, sizeof id, "feat-attacker");
    assert_int_equal(tb_plain_connect(eve, g.broker.uri, id), 0);
    assert_int_equal(tb_plain_subscribe(eve, topic, 1), 0);
    publish_sealed(pub, from, i, 0);
    assert_int_equal(tb_plain_wait(eve, 1, WAIT_MS), 1);
    return tb_plain_msg(eve, 0);
}

static void rejects_message_moved_to_other_topic(void **state)
{
    tb_peer pub, sub;
    tb_rec rec;
    tb_plain eve;
    const tb_msg *m;
    char other[200];

    (void)state;
    open_sub(&sub, &rec, "rej/in/#", "rej/#", 1);
    assert_int_equal(tb_peer_open(&pub, g.kr, NULL, &g.opts, "feat-pub"), 0);
    m = capture(&eve, &pub, "rej/in/a", 11);
    assert_int_equal(tb_rec_wait(&rec, 1, 0, WAIT_MS), 1);
    assert_true(payload_is(rec.msgs[0], 11));

    topic_of(other, sizeof other, "rej/in/b");
    assert_int_equal(tb_plain_publish(&eve, other, m->payload, m->len, 1, 0),
                     0);
    assert_int_equal(tb_rec_wait(&rec, 1, 1, WAIT_MS), 1);
    tb_sleep_ms(100);
    assert_int_equal(rec.count, 1);
    assert_int_equal(rec.rejected, 1);
    assert_int_equal(rec.reasons[0], MQTTSEAL_E_AUTH);
    assert_string_equal(rec.reject_topics[0], other);
    tb_plain_close(&eve);
    tb_peer_close(&pub);
    tb_peer_close(&sub);
    tb_rec_free(&rec);
}

static void rejects_keys_the_subscriber_lacks(void **state)
{
    tb_peer pub, pub7, sub;
    tb_rec rec;
    mqttseal_keyring *kr7 = tb_keyring_root(7);

    (void)state;
    open_sub(&sub, &rec, "rej/in/#", "rej/#", 1);
    assert_int_equal(tb_peer_open(&pub, g.kr, NULL, &g.opts, "feat-pub"), 0);
    assert_int_equal(tb_peer_open(&pub7, kr7, NULL, &g.opts, "feat-pub7"), 0);
    /* Key id 7: the subscriber has no key with that id at all. */
    publish_sealed(&pub7, "rej/in/k", 21, 0);
    assert_int_equal(tb_rec_wait(&rec, 1, 1, WAIT_MS), 1);
    /* Key id 1, but outside the subscriber's grant rej/in/#. */
    publish_sealed(&pub, "rej/out", 22, 0);
    assert_int_equal(tb_rec_wait(&rec, 2, 1, WAIT_MS), 2);
    /* And one it may open, as a control. */
    publish_sealed(&pub, "rej/in/k", 23, 0);
    assert_int_equal(tb_rec_wait(&rec, 1, 0, WAIT_MS), 1);
    tb_sleep_ms(100);
    assert_int_equal(rec.rejected, 2);
    assert_int_equal(rec.reasons[0], MQTTSEAL_E_UNKNOWN_KEY);
    assert_int_equal(rec.reasons[1], MQTTSEAL_E_NO_GRANT);
    assert_int_equal(rec.count, 1);
    assert_true(payload_is(rec.msgs[0], 23));
    tb_peer_close(&pub7);
    tb_peer_close(&pub);
    tb_peer_close(&sub);
    tb_rec_free(&rec);
    mqttseal_keyring_free(kr7);
}

/* Every byte of one captured envelope flipped in turn and re-published
 * on the same topic: all rejected, none delivered, and each flip in the
 * session id, sequence number, ciphertext or tag is E_AUTH. */
static void rejects_flipped_bytes(void **state)
{
    tb_peer pub, sub;
    tb_rec rec;
    tb_plain eve;
    const tb_msg *m;
    mqttseal_header hdr;
    unsigned char env[1024];
    char topic[200];
    size_t auth_min;

    (void)state;
    open_sub(&sub, &rec, "rej/in/#", "rej/#", 1);
    assert_int_equal(tb_peer_open(&pub, g.kr, NULL, &g.opts, "feat-pub"), 0);
    m = capture(&eve, &pub, "rej/in/f", 31);
    assert_int_equal(tb_rec_wait(&rec, 1, 0, WAIT_MS), 1);
    assert_true(m->len <= sizeof env);
    assert_int_equal(mqttseal_header_parse(&hdr, m->payload, m->len),
                     MQTTSEAL_OK);
    topic_of(topic, sizeof topic, "rej/in/f");
    for (size_t i = 0; i < m->len; i++) {
        memcpy(env, m->payload, m->len);
        env[i] ^= 0x01;
        assert_int_equal(tb_plain_publish(&eve, topic, env, m->len, 1, 0), 0);
    }
    assert_int_equal(tb_plain_flush(&eve, WAIT_MS), 0);
    assert_int_equal(tb_rec_wait(&rec, m->len, 1, WAIT_MS), m->len);
    tb_sleep_ms(100);
    assert_int_equal(rec.count, 1);
    assert_int_equal(rec.rejected, m->len);
    /* vs, flags and key id come first; the 12-byte session id, the
     * sequence number and everything after are authenticated. */
    auth_min = m->len - hdr.header_len + MQTTSEAL_SESSIONIDBYTES;
    printf("# %zu flips: %zu E_AUTH, %zu E_SUITE, %zu E_UNKNOWN_KEY, "
           "%zu other\n",
           m->len, count_reason(&rec, MQTTSEAL_E_AUTH),
           count_reason(&rec, MQTTSEAL_E_SUITE),
           count_reason(&rec, MQTTSEAL_E_UNKNOWN_KEY),
           m->len - count_reason(&rec, MQTTSEAL_E_AUTH) -
               count_reason(&rec, MQTTSEAL_E_SUITE) -
               count_reason(&rec, MQTTSEAL_E_UNKNOWN_KEY));
    for (size_t i = hdr.header_len; i < m->len; i++)
        assert_int_equal(rec.reasons[i], MQTTSEAL_E_AUTH);
    assert_true(count_reason(&rec, MQTTSEAL_E_AUTH) >= auth_min);
    assert_int_equal(rec.reasons[0], MQTTSEAL_E_SUITE);
    tb_plain_close(&eve);
    tb_peer_close(&pub);
    tb_peer_close(&sub);
    tb_rec_free(&rec);
}

static void wildcard_subscriber_with_subtree_grant(void **state)
{
    static const char *const sites[] = {"a", "b", "c"};
    tb_peer pub, sub;
    tb_rec rec;
    char suffix[64], expect[200];
    uint32_t i = 100;

    (void)state;
    open_sub(&sub, &rec, "site/#", "site/+/temp", 1);
    assert_int_equal(tb_peer_open(&pub, g.kr, NULL, &g.opts, "feat-pub"), 0);
    for (int round = 0; round < 3; round++) {
        for (size_t s = 0; s < 3; s++) {
            snprintf(suffix, sizeof suffix, "site/%s/temp", sites[s]);
            publish_sealed(&pub, suffix, i++, 0);
            snprintf(suffix, sizeof suffix, "site/%s/humidity", sites[s]);
            publish_sealed(&pub, suffix, 999, 0); /* not subscribed */
        }
    }
    assert_int_equal(tb_client_wait_complete(&pub.client, WAIT_MS), 0);
    assert_int_equal(tb_rec_wait(&rec, 9, 0, WAIT_MS), 9);
    tb_sleep_ms(100);
    assert_int_equal(rec.count, 9);
    assert_int_equal(rec.rejected, 0);
    for (size_t k = 0; k < 9; k++) {
        snprintf(suffix, sizeof suffix, "site/%s/temp", sites[k % 3]);
        topic_of(expect, sizeof expect, suffix);
        assert_string_equal(rec.msgs[k]->topic, expect);
        assert_true(payload_is(rec.msgs[k], 100 + (uint32_t)k));
    }
    tb_peer_close(&pub);
    tb_peer_close(&sub);
    tb_rec_free(&rec);
}

static void eavesdropper_saw_only_ciphertext(void **state)
{
    size_t len = 0, topics;
    unsigned char *out = tb_eavesdrop_stop(&g.eve, &len);

    (void)state;
    assert_non_null(out);
    topics = tb_count(out, len, g.prefix);
    printf("# eavesdropper: %zu bytes, %zu messages under the test prefix, "
           "%zu sealed plaintext markers, %zu clear markers\n",
           len, topics, tb_count(out, len, g.marker),
           tb_count(out, len, g.clear_marker));
    assert_true(topics >= 40);
    /* It did see what was sent in the clear: it would catch a leak. */
    assert_non_null(
        tb_memmem(out, len, g.clear_marker, strlen(g.clear_marker)));
    assert_null(tb_memmem(out, len, g.marker, strlen(g.marker)));
    free(out);
}

static int group_setup(void **state)
{
    char probe[200];

    (void)state;
    if (mqttseal_init() != MQTTSEAL_OK || tb_broker_open(&g.broker) != 0)
        return -1;
    tb_prefix(g.prefix, sizeof g.prefix, "features");
    snprintf(g.marker, sizeof g.marker, "secret-features-%ld-%lx",
             (long)getpid(), (unsigned long)tb_now_ms());
    snprintf(g.clear_marker, sizeof g.clear_marker, "cleartext-%ld-%lx",
             (long)getpid(), (unsigned long)tb_now_ms());
    g.seed = (uint32_t)tb_now_ms() ^ 0x5eedU;
    g.kr = tb_keyring_root(1);
    g.opts.uri = g.broker.uri;
    snprintf(probe, sizeof probe, "%s/probe", g.prefix);
    return tb_eavesdrop_start(&g.eve, g.broker.uri, g.broker.port, probe);
}

static int group_teardown(void **state)
{
    (void)state;
    if (g.eve.pid > 0)
        free(tb_eavesdrop_stop(&g.eve, &(size_t){0}));
    tb_broker_stop(&g.broker);
    mqttseal_keyring_free(g.kr);
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retained_reaches_late_subscriber),
        cmocka_unit_test(retained_replay_of_live_message_is_stale),
        cmocka_unit_test(sealed_will_on_cut_connection),
        cmocka_unit_test(rejects_plaintext),
        cmocka_unit_test(rejects_message_moved_to_other_topic),
        cmocka_unit_test(rejects_keys_the_subscriber_lacks),
        cmocka_unit_test(rejects_flipped_bytes),
        cmocka_unit_test(wildcard_subscriber_with_subtree_grant),
        cmocka_unit_test(eavesdropper_saw_only_ciphertext),
    };

    if (argc == 7 && strcmp(argv[1], "--will-child") == 0)
        return will_child(argv + 2);
    return cmocka_run_group_tests_name("broker features", tests, group_setup,
                                       group_teardown);
}
