/*
 * The hostile grant holder (issue 11), through a real mosquitto. Eve
 * holds only an exact-topic grant, .../site/evil, derived under the same
 * key id as everyone else's, and uses it to attack the receiver's replay
 * memory, which is kept per key id:
 *
 *   flood   5,200 one-message sessions (a new context per message), more
 *           than the old receiver remembered (1,024 tracked + 4,096
 *           compact). Before and after it, a long-lived sender on
 *           .../site/good, and after it a new timestamped sender on
 *           .../site/new, keep publishing; a receiver subscribed to
 *           .../site/# must get every legitimate message (0 lost, no
 *           refusal at all: Eve's messages are authentic too).
 *   future  Eve seals envelopes stamped 6 days ahead, by hand, with her
 *           key (what any key holder can do; the library would stamp the
 *           true time). Each is refused E_FUTURE, even with no maximum age
 *           set, and leaves no trace: after another 5,200-session flood,
 *           the old sender and a new timestamped sender are still
 *           accepted. (A future stamp that reached the replay state would
 *           have become the key id's low-water mark once its session was
 *           dropped, refusing every new session for 6 days.)
 *
 * Each runs twice: a receiver with mqttseal_ctx_use_fleet_defaults (and
 * every sender timestamped), and a receiver with the defaults, where the
 * long-lived sender and Eve send no timestamps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "tb.h"
#include "tb_peer.h"

#define FLOOD 5200
#define BATCH 400
#define LEGIT 20
#define FUTURE 3
#define SIX_DAYS_MS (6ULL * 86400ULL * 1000ULL)
#define WAIT_MS 60000

enum { GOOD, NEW, EVIL, OTHER, TOPICS };

static struct {
    tb_broker broker;
    char prefix[128];
    char topic[TOPICS][200];
    char marker[64];
    uint32_t seed;
    mqttseal_keyring *kr;       /* root, key id 1 */
    mqttseal_keyring *rx_kr;    /* grant prefix/site/# */
    mqttseal_keyring *evil_kr;  /* grant prefix/site/evil only */
    mqttseal_keyring *good_kr;  /* grant prefix/site/good */
    mqttseal_keyring *new_kr;   /* grant prefix/site/new */
    unsigned char evil_key[32]; /* Eve's message key, from her keyring */
} g;

typedef struct counts {
    atomic_long got[TOPICS];
    atomic_long bad;
} counts;

/* ------------------------------------------------------------------ */
/* Set-up                                                              */
/* ------------------------------------------------------------------ */

static mqttseal_keyring *grant(const char *filter)
{
    mqttseal_keyring *kr = tb_keyring_grant(g.kr, 1, filter);

    assert_int_equal(mqttseal_keyring_set_primary(kr, 1), MQTTSEAL_OK);
    return kr;
}

/* The key bytes of Eve's one entry, read back from her keyring text as
 * Eve would read her file: "key 1 <filter> <base64>". */
static void read_evil_key(void)
{
    char text[1024], *line;
    size_t len = 0, n = 0;

    assert_int_equal(
        mqttseal_keyring_to_string(g.evil_kr, text, sizeof text, &len),
        MQTTSEAL_OK);
    line = strstr(text, "\nkey 1 ");
    assert_non_null(line);
    line = strchr(line + 7, ' ');
    assert_non_null(line);
    assert_int_equal(sodium_base642bin(g.evil_key, sizeof g.evil_key, line + 1,
                                       44, NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(n, sizeof g.evil_key);
}

static int group_setup(void **state)
{
    static const char *const names[TOPICS] = {"good", "new", "evil", "other"};
    char filter[256];

    (void)state;
    if (mqttseal_init() != MQTTSEAL_OK || tb_broker_open(&g.broker) != 0)
        return -1;
    tb_prefix(g.prefix, sizeof g.prefix, "hostile");
    for (int t = 0; t < TOPICS; t++)
        snprintf(g.topic[t], sizeof g.topic[t], "%s/site/%s", g.prefix,
                 names[t]);
    snprintf(g.marker, sizeof g.marker, "hostile-%ld", (long)getpid());
    g.seed = (uint32_t)tb_now_ms();
    g.kr = tb_keyring_root(1);
    snprintf(filter, sizeof filter, "%s/site/#", g.prefix);
    g.rx_kr = tb_keyring_grant(g.kr, 1, filter);
    g.evil_kr = grant(g.topic[EVIL]);
    g.good_kr = grant(g.topic[GOOD]);
    g.new_kr = grant(g.topic[NEW]);
    read_evil_key();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    mqttseal_keyring_free(g.kr);
    mqttseal_keyring_free(g.rx_kr);
    mqttseal_keyring_free(g.evil_kr);
    mqttseal_keyring_free(g.good_kr);
    mqttseal_keyring_free(g.new_kr);
    sodium_memzero(g.evil_key, sizeof g.evil_key);
    tb_broker_stop(&g.broker);
    return 0;
}

/* ------------------------------------------------------------------ */
/* The receiver                                                        */
/* ------------------------------------------------------------------ */

static void on_msg(void *app, const char *topic, size_t topic_len,
                   const unsigned char *payload, size_t len, int retained,
                   int dup)
{
    counts *c = app;
    int t = OTHER;

    (void)retained;
    (void)dup;
    for (int i = 0; i < OTHER; i++)
        if (topic_len == strlen(g.topic[i]) &&
            memcmp(topic, g.topic[i], topic_len) == 0)
            t = i;
    if (tb_payload_check(payload, len, g.marker, g.seed) < 0)
        atomic_fetch_add(&c->bad, 1);
    atomic_fetch_add(&c->got[t], 1);
}

static void receiver_open(tb_peer *rx, counts *c, int fleet)
{
    tb_client_opts o = {0};
    char filter[256];

    o.uri = g.broker.uri;
    o.on_msg = on_msg;
    o.app = c;
    assert_int_equal(tb_peer_open(rx, g.rx_kr, NULL, &o, "hostile-rx"), 0);
    if (fleet)
        assert_int_equal(mqttseal_ctx_use_fleet_defaults(rx->ctx), MQTTSEAL_OK);
    snprintf(filter, sizeof filter, "%s/site/#", g.prefix);
    assert_int_equal(tb_client_subscribe(&rx->client, filter, 1), 0);
}

static void wait_got(counts *c, int t, long n)
{
    assert_int_equal(tb_wait_count(&c->got[t], n, WAIT_MS), n);
}

/* Every legitimate message arrived and nothing at all was refused. */
static void check_receiver(tb_peer *rx, counts *c, long good, long fresh,
                           long evil, long refused_future)
{
    mqttseal_stats st;
    long refused = 0;

    wait_got(c, GOOD, good);
    wait_got(c, NEW, fresh);
    wait_got(c, EVIL, evil);
    tb_sleep_ms(200); /* anything late would show up now */
    assert_int_equal(mqttseal_ctx_stats(rx->ctx, &st), MQTTSEAL_OK);
    printf("# received good %ld/%ld, new %ld/%ld, evil %ld/%ld; refused "
           "%llu (E_FUTURE %llu, E_SESSION_LOST %llu); replay: %llu "
           "tracked, %llu remembered, %llu dropped, %llu bytes\n",
           atomic_load(&c->got[GOOD]), good, atomic_load(&c->got[NEW]), fresh,
           atomic_load(&c->got[EVIL]), evil, (unsigned long long)st.refused,
           (unsigned long long)st.refused_by[MQTTSEAL_E_FUTURE],
           (unsigned long long)st.refused_by[MQTTSEAL_E_SESSION_LOST],
           (unsigned long long)st.replay_tracked,
           (unsigned long long)st.replay_remembered,
           (unsigned long long)st.replay_dropped,
           (unsigned long long)st.replay_bytes);
    for (int r = 1; r < (int)MQTTSEAL_ERR_COUNT; r++) {
        long n = (long)mqttseal_paho_rejected(rx->hooks, r);
        if (n != 0)
            printf("#   refused: %s: %ld\n", mqttseal_strerror(r), n);
        refused += n;
    }
    assert_int_equal(atomic_load(&c->got[GOOD]), good);
    assert_int_equal(atomic_load(&c->got[NEW]), fresh);
    assert_int_equal(atomic_load(&c->got[EVIL]), evil);
    assert_int_equal(atomic_load(&c->got[OTHER]), 0);
    assert_int_equal(atomic_load(&c->bad), 0);
    assert_int_equal(refused, refused_future);
    assert_int_equal(mqttseal_paho_rejected(rx->hooks, MQTTSEAL_E_FUTURE),
                     refused_future);
    assert_int_equal(st.refused, (uint64_t)refused_future);
}

/* ------------------------------------------------------------------ */
/* Senders                                                             */
/* ------------------------------------------------------------------ */

static tb_peer *sender_open(tb_peer *p, const mqttseal_keyring *kr, int ts,
                            const char *name)
{
    tb_client_opts o = {0};

    o.uri = g.broker.uri;
    assert_int_equal(tb_peer_open(p, kr, NULL, &o, name), 0);
    assert_int_equal(mqttseal_ctx_set_timestamps(p->ctx, ts), MQTTSEAL_OK);
    return p;
}

static void publish(tb_peer *p, int t, uint32_t from, uint32_t to)
{
    unsigned char buf[512];

    for (uint32_t i = from; i < to; i++) {
        size_t len = tb_payload(buf, sizeof buf, g.marker, g.seed, i);
        assert_int_equal(
            tb_client_publish(&p->client, g.topic[t], buf, len, 1, 0), 0);
    }
    assert_int_equal(tb_client_wait_complete(&p->client, WAIT_MS), 0);
}

/* Eve: FLOOD messages, each from a new context (a new session), sent
 * in batches that the receiver drains before the next (mosquitto queues
 * at most 1,000 QoS 1 messages per client and drops the rest). */
static void flood(tb_plain *eve, counts *c, int ts)
{
    unsigned char msg[512], env[MQTTSEAL_SEALED_BYTES(512)];
    long base = atomic_load(&c->got[EVIL]);
    int64_t t0 = tb_now_ms();

    for (uint32_t i = 0; i < FLOOD; i++) {
        mqttseal_ctx *ctx = tb_ctx(g.evil_kr);
        size_t len = tb_payload(msg, sizeof msg, g.marker, g.seed, i), n = 0;

        assert_int_equal(mqttseal_ctx_set_timestamps(ctx, ts), MQTTSEAL_OK);
        assert_int_equal(mqttseal_seal(ctx, env, sizeof env, &n, g.topic[EVIL],
                                       strlen(g.topic[EVIL]), msg, len),
                         MQTTSEAL_OK);
        mqttseal_ctx_free(ctx);
        assert_int_equal(tb_plain_publish(eve, g.topic[EVIL], env, n, 1, 0), 0);
        if ((i + 1) % BATCH == 0 || i + 1 == FLOOD) {
            assert_int_equal(tb_plain_flush(eve, WAIT_MS), 0);
            wait_got(c, EVIL, base + (long)i + 1);
        }
    }
    printf("# flood: %d one-message sessions in %lld ms\n", FLOOD,
           (long long)(tb_now_ms() - t0));
}

static void eve_connect(tb_plain *eve)
{
    char id[64];

    tb_client_id(id, sizeof id, "hostile-eve");
    assert_int_equal(tb_plain_connect(eve, g.broker.uri, id), 0);
}

/* ------------------------------------------------------------------ */
/* Envelopes stamped by hand (docs/FORMAT.md sections 2 to 4)          */
/* ------------------------------------------------------------------ */

static size_t varint(unsigned char *out, uint64_t x)
{
    size_t n = 0;

    while (x >= 0x80) {
        out[n++] = (unsigned char)(x | 0x80);
        x >>= 7;
    }
    out[n++] = (unsigned char)x;
    return n;
}

/* Eve's envelope for her topic, in a fresh session, stamped ts_ms. */
static size_t stamped(unsigned char *env, size_t cap, uint64_t ts_ms,
                      const unsigned char *msg, size_t len)
{
    static const char label[] = "mqttseal/v1";
    const char *topic = g.topic[EVIL];
    size_t tlen = strlen(topic), h = 0, ad_len;
    unsigned char sid[12], nonce[24] = {0}, *ad;

    assert_true(cap >= MQTTSEAL_SEALED_BYTES(len));
    randombytes_buf(sid, sizeof sid);
    env[h++] = 0x89; /* version 1, suite 1 */
    env[h++] = 0x01; /* timestamp present */
    h += varint(env + h, 1);
    memcpy(env + h, sid, sizeof sid);
    h += sizeof sid;
    h += varint(env + h, 0); /* seq */
    h += varint(env + h, ts_ms);
    h += varint(env + h, len);
    ad_len = sizeof label - 1 + h + 2 + tlen;
    ad = malloc(ad_len);
    assert_non_null(ad);
    memcpy(ad, label, sizeof label - 1);
    memcpy(ad + sizeof label - 1, env, h);
    ad[sizeof label - 1 + h] = (unsigned char)(tlen >> 8);
    ad[sizeof label - 1 + h + 1] = (unsigned char)tlen;
    memcpy(ad + sizeof label - 1 + h + 2, topic, tlen);
    memcpy(nonce, sid, sizeof sid); /* sid || u64le(0) || 0^4 */
    crypto_aead_xchacha20poly1305_ietf_encrypt(env + h, NULL, msg, len, ad,
                                               ad_len, NULL, nonce, g.evil_key);
    free(ad);
    return h + len + MQTTSEAL_ABYTES;
}

static uint64_t unix_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

/* Eve's hand-made envelopes are well formed: stamped now, one opens. */
static void check_stamping(void)
{
    unsigned char msg[512], env[MQTTSEAL_SEALED_BYTES(512)], out[512];
    size_t len = tb_payload(msg, sizeof msg, g.marker, g.seed, 0), n = 0;
    size_t elen = stamped(env, sizeof env, unix_ms(), msg, len);
    mqttseal_ctx *ctx = tb_ctx(g.evil_kr);

    assert_int_equal(mqttseal_open(ctx, out, sizeof out, &n, g.topic[EVIL],
                                   strlen(g.topic[EVIL]), env, elen, 0, NULL),
                     MQTTSEAL_OK);
    assert_int_equal(n, len);
    elen = stamped(env, sizeof env, unix_ms() + SIX_DAYS_MS, msg, len);
    assert_int_equal(mqttseal_open(ctx, out, sizeof out, &n, g.topic[EVIL],
                                   strlen(g.topic[EVIL]), env, elen, 0, NULL),
                     MQTTSEAL_E_FUTURE);
    mqttseal_ctx_free(ctx);
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

static void run_flood(int fleet)
{
    static counts c;
    tb_peer rx, good, fresh;
    tb_plain eve;

    memset(&c, 0, sizeof c);
    receiver_open(&rx, &c, fleet);
    sender_open(&good, g.good_kr, fleet, "hostile-good");
    publish(&good, GOOD, 0, LEGIT);
    wait_got(&c, GOOD, LEGIT);

    eve_connect(&eve);
    flood(&eve, &c, fleet);

    sender_open(&fresh, g.new_kr, 1, "hostile-new");
    publish(&fresh, NEW, 0, LEGIT);
    publish(&good, GOOD, LEGIT, 2 * LEGIT);
    check_receiver(&rx, &c, 2 * LEGIT, LEGIT, FLOOD, 0);

    tb_plain_close(&eve);
    tb_peer_close(&fresh);
    tb_peer_close(&good);
    tb_peer_close(&rx);
}

static void wait_rejected(const tb_peer *rx, int reason, long n)
{
    int64_t end = tb_now_ms() + WAIT_MS;

    while ((long)mqttseal_paho_rejected(rx->hooks, reason) < n &&
           tb_now_ms() < end)
        tb_sleep_ms(5);
    assert_int_equal(mqttseal_paho_rejected(rx->hooks, reason), n);
}

static void run_future(int fleet)
{
    static counts c;
    unsigned char msg[512], env[MQTTSEAL_SEALED_BYTES(512)];
    tb_peer rx, good, fresh;
    tb_plain eve;

    check_stamping();
    memset(&c, 0, sizeof c);
    receiver_open(&rx, &c, fleet);
    sender_open(&good, g.good_kr, 1, "hostile-good");
    publish(&good, GOOD, 0, LEGIT);
    wait_got(&c, GOOD, LEGIT);

    eve_connect(&eve);
    for (uint32_t i = 0; i < FUTURE; i++) {
        size_t len = tb_payload(msg, sizeof msg, g.marker, g.seed, i);
        size_t n = stamped(env, sizeof env, unix_ms() + SIX_DAYS_MS, msg, len);
        assert_int_equal(tb_plain_publish(&eve, g.topic[EVIL], env, n, 1, 0),
                         0);
    }
    assert_int_equal(tb_plain_flush(&eve, WAIT_MS), 0);
    wait_rejected(&rx, MQTTSEAL_E_FUTURE, FUTURE);
    assert_int_equal(atomic_load(&c.got[EVIL]), 0);

    flood(&eve, &c, fleet);
    sender_open(&fresh, g.new_kr, 1, "hostile-new");
    publish(&fresh, NEW, 0, LEGIT);
    publish(&good, GOOD, LEGIT, 2 * LEGIT);
    check_receiver(&rx, &c, 2 * LEGIT, LEGIT, FLOOD, FUTURE);

    tb_plain_close(&eve);
    tb_peer_close(&fresh);
    tb_peer_close(&good);
    tb_peer_close(&rx);
}

static void flood_fleet(void **state)
{
    (void)state;
    run_flood(1);
}

static void flood_plain(void **state)
{
    (void)state;
    run_flood(0);
}

static void future_fleet(void **state)
{
    (void)state;
    run_future(1);
}

static void future_plain(void **state)
{
    (void)state;
    run_future(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flood_fleet),
        cmocka_unit_test(flood_plain),
        cmocka_unit_test(future_fleet),
        cmocka_unit_test(future_plain),
    };

    return cmocka_run_group_tests_name("broker hostile grant holder", tests,
                                       group_setup, group_teardown);
}
