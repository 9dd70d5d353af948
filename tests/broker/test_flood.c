/*
 * Garbage flood through a real mosquitto (issue 4, section 6): 10,000
 * random, truncated and otherwise broken payloads interleaved with 1,000
 * valid sealed ones, all on one topic from one plain client at QoS 1 (so
 * the order is fixed). The 1,000 arrive intact and in order; the hooks'
 * rejection counters match, reason by reason, what was sent in each
 * category; nothing crashes; and the resident memory of this process
 * (publisher, subscriber and hooks) stays flat after a warm-up phase.
 *
 * Categories (expected reason):
 *   not sealed   random bytes, first byte 0xxxxxxx (E_NOT_SEALED)
 *   random       0x89 0x00 then random bytes (whatever the spec's parse
 *                order yields: mqttseal_header_parse decides the header
 *                errors, a header that parses is E_AUTH for key id 1,
 *                E_UNKNOWN_KEY otherwise)
 *   truncated    a valid envelope cut short, 0 bytes included
 *                (E_TRUNCATED)
 *   trailing     a valid envelope plus 1..8 bytes (E_TRAILING)
 *   flipped      one ciphertext or tag bit flipped (E_AUTH)
 *   version, suite, reserved: the first byte or the flags byte altered
 *                (E_VERSION, E_SUITE, E_RESERVED)
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

#define VALID 1000
#define GARBAGE 10000
#define TOTAL (VALID + GARBAGE)
#define WARMUP (TOTAL / 5)
#define RSS_GROWTH_MAX_KIB 1024
#define WAIT_MS 60000
#define REASONS 64

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

enum category {
    NOT_SEALED,
    RANDOM,
    TRUNCATED,
    TRAILING,
    FLIPPED,
    VERSION,
    SUITE,
    RESERVED,
    CATEGORIES
};

static const char *const category_names[CATEGORIES] = {
    "not sealed", "random",  "truncated", "trailing",
    "flipped",    "version", "suite",     "reserved"};

/* How many of each, out of every 20 garbage payloads. */
static const enum category schedule[20] = {
    NOT_SEALED, NOT_SEALED, NOT_SEALED, NOT_SEALED, RANDOM,
    RANDOM,     RANDOM,     RANDOM,     TRUNCATED,  TRUNCATED,
    TRUNCATED,  TRUNCATED,  TRUNCATED,  TRUNCATED,  TRAILING,
    FLIPPED,    FLIPPED,    VERSION,    SUITE,      RESERVED};

static struct {
    tb_broker broker;
    char prefix[128];
    char topic[200];
    char marker[64];
    uint32_t seed;
    uint64_t rng;
    mqttseal_ctx *sealer; /* the valid messages */
    mqttseal_ctx *forger; /* envelopes that are then broken */
    long expected[REASONS];
    long sent[CATEGORIES];
} g;

typedef struct app {
    atomic_long next;
    atomic_long bad;
    atomic_long out_of_order;
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
    if (i < 0)
        atomic_fetch_add(&a->bad, 1);
    else if (i != atomic_load(&a->next))
        atomic_fetch_add(&a->out_of_order, 1);
    else
        atomic_fetch_add(&a->next, 1);
}

static uint32_t rnd(uint32_t below)
{
    unsigned char b[4];

    tb_random(b, sizeof b, &g.rng);
    return (uint32_t)(((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
                       (uint32_t)b[2] << 8 | b[3]) %
                      below);
}

static size_t seal(mqttseal_ctx *ctx, unsigned char *out, size_t cap,
                   uint32_t i)
{
    unsigned char msg[512];
    size_t len = tb_payload(msg, sizeof msg, g.marker, g.seed, i), n = 0;

    assert_int_equal(
        mqttseal_seal(ctx, out, cap, &n, g.topic, strlen(g.topic), msg, len),
        MQTTSEAL_OK);
    return n;
}

/* The reason the spec assigns to an arbitrary payload starting 0x89. */
static int random_reason(const unsigned char *p, size_t len)
{
    mqttseal_header hdr;
    int rc = mqttseal_header_parse(&hdr, p, len);

    if (rc != MQTTSEAL_OK)
        return rc;
    return hdr.key_id == 1 ? MQTTSEAL_E_AUTH : MQTTSEAL_E_UNKNOWN_KEY;
}

/* Garbage payload number k into out; returns its length and counts it. */
static size_t garbage(unsigned char *out, size_t cap, long k)
{
    enum category c = schedule[k % 20];
    size_t len = 0;
    int reason = 0;

    switch (c) {
    case NOT_SEALED:
        len = 1 + rnd(600);
        tb_random(out, len, &g.rng);
        out[0] &= 0x7f;
        reason = MQTTSEAL_E_NOT_SEALED;
        break;
    case RANDOM:
        len = 2 + rnd(600);
        tb_random(out, len, &g.rng);
        out[0] = 0x89;
        out[1] = 0x00;
        reason = random_reason(out, len);
        break;
    case TRUNCATED:
        len = seal(g.forger, out, cap, (uint32_t)k);
        len = rnd((uint32_t)len); /* 0 .. len-1 */
        reason = MQTTSEAL_E_TRUNCATED;
        break;
    case TRAILING: {
        size_t extra = 1 + rnd(8);
        len = seal(g.forger, out, cap - 8, (uint32_t)k);
        tb_random(out + len, extra, &g.rng);
        len += extra;
        reason = MQTTSEAL_E_TRAILING;
        break;
    }
    case FLIPPED: {
        mqttseal_header hdr;
        len = seal(g.forger, out, cap, (uint32_t)k);
        assert_int_equal(mqttseal_header_parse(&hdr, out, len), MQTTSEAL_OK);
        out[hdr.header_len + rnd((uint32_t)(len - hdr.header_len))] ^=
            (unsigned char)(1U << rnd(8));
        reason = MQTTSEAL_E_AUTH;
        break;
    }
    case VERSION:
        len = seal(g.forger, out, cap, (uint32_t)k);
        out[0] = (unsigned char)(0x80 | (2 + rnd(6)) << 3 | 1); /* v2..7 */
        reason = MQTTSEAL_E_VERSION;
        break;
    case SUITE:
        len = seal(g.forger, out, cap, (uint32_t)k);
        out[0] = (unsigned char)(0x88 | (2 + rnd(6))); /* suite 2..7 */
        reason = MQTTSEAL_E_SUITE;
        break;
    case RESERVED:
        len = seal(g.forger, out, cap, (uint32_t)k);
        /* Bits 3..7; bits 1 (sealed as retained) and 2 (signed) are
         * authenticated flags (E_AUTH). */
        out[1] = (unsigned char)(out[1] | 8U << rnd(5));
        reason = MQTTSEAL_E_RESERVED;
        break;
    case CATEGORIES:
        break;
    }
    assert_true(reason > 0 && reason < REASONS);
    g.expected[reason]++;
    g.sent[c]++;
    return len;
}

/* Publish messages [from, to) of the interleaved stream: every 11th is a
 * valid sealed message, the others garbage. */
static void publish_span(tb_plain *p, long from, long to)
{
    unsigned char buf[1024];

    for (long k = from; k < to; k++) {
        size_t len = k % 11 == 10
                         ? seal(g.sealer, buf, sizeof buf, (uint32_t)(k / 11))
                         : garbage(buf, sizeof buf, k - k / 11);
        assert_int_equal(tb_plain_publish(p, g.topic, buf, len, 1, 0), 0);
    }
    assert_int_equal(tb_plain_flush(p, WAIT_MS), 0);
}

static long handled(const tb_peer *sub)
{
    return (
        long)(mqttseal_paho_delivered(sub->hooks) +
              mqttseal_paho_rejected(sub->hooks, MQTTSEAL_PAHO_ALL_REASONS));
}

static void wait_handled(const tb_peer *sub, long n)
{
    int64_t end = tb_now_ms() + WAIT_MS;

    while (handled(sub) < n && tb_now_ms() < end)
        tb_sleep_ms(5);
    assert_int_equal(handled(sub), n);
}

static void flood(void **state)
{
    static app a;
    mqttseal_keyring *kr = tb_keyring_root(1), *sub_kr;
    tb_client_opts o = {0};
    tb_peer sub;
    tb_plain pub;
    char grant[200], id[64];
    long rss0, rss1, total_rejected = 0;
    int64_t t0 = tb_now_ms();

    (void)state;
    snprintf(grant, sizeof grant, "%s/#", g.prefix);
    sub_kr = tb_keyring_grant(kr, 1, grant);
    g.sealer = tb_ctx(kr);
    g.forger = tb_ctx(kr);
    o.uri = g.broker.uri;
    o.on_msg = on_msg;
    o.app = &a;
    assert_int_equal(tb_peer_open(&sub, sub_kr, NULL, &o, "flood-sub"), 0);
    assert_int_equal(tb_client_subscribe(&sub.client, g.topic, 1), 0);
    tb_client_id(id, sizeof id, "flood-pub");
    assert_int_equal(tb_plain_connect(&pub, g.broker.uri, id), 0);

    publish_span(&pub, 0, WARMUP);
    wait_handled(&sub, WARMUP);
    rss0 = tb_rss_kib();
    publish_span(&pub, WARMUP, TOTAL);
    wait_handled(&sub, TOTAL);
    rss1 = tb_rss_kib();
    tb_sleep_ms(100);

    printf("# %d messages in %lld ms; app received %ld valid, %ld bad, "
           "%ld out of order; VmRSS %ld KiB after warm-up, %ld KiB after "
           "the rest (%+ld KiB)%s\n",
           TOTAL, (long long)(tb_now_ms() - t0), atomic_load(&a.next),
           atomic_load(&a.bad), atomic_load(&a.out_of_order), rss0, rss1,
           rss1 - rss0,
           UNDER_SANITIZER ? "; not checked under a sanitizer" : "");
    printf("# sent by category:");
    for (int c = 0; c < CATEGORIES; c++)
        printf(" %s %ld%s", category_names[c], g.sent[c],
               c + 1 < CATEGORIES ? "," : "\n");
    for (int r = 1; r < REASONS; r++) {
        long got = (long)mqttseal_paho_rejected(sub.hooks, r);
        if (g.expected[r] == 0 && got == 0)
            continue;
        printf("#   %-40s expected %5ld, hooks counted %5ld\n",
               mqttseal_strerror(r), g.expected[r], got);
        total_rejected += got;
    }

    assert_int_equal(atomic_load(&a.next), VALID);
    assert_int_equal(atomic_load(&a.bad), 0);
    assert_int_equal(atomic_load(&a.out_of_order), 0);
    assert_int_equal(mqttseal_paho_delivered(sub.hooks), VALID);
    assert_int_equal(
        mqttseal_paho_rejected(sub.hooks, MQTTSEAL_PAHO_ALL_REASONS), GARBAGE);
    for (int r = 1; r < REASONS; r++)
        assert_int_equal(mqttseal_paho_rejected(sub.hooks, r), g.expected[r]);
    assert_int_equal(total_rejected, GARBAGE);
    assert_true(rss0 > 0 && rss1 > 0);
    if (!UNDER_SANITIZER)
        assert_true(rss1 - rss0 < RSS_GROWTH_MAX_KIB);

    tb_plain_close(&pub);
    tb_peer_close(&sub);
    mqttseal_ctx_free(g.sealer);
    mqttseal_ctx_free(g.forger);
    mqttseal_keyring_free(sub_kr);
    mqttseal_keyring_free(kr);
}

static int group_setup(void **state)
{
    (void)state;
    if (mqttseal_init() != MQTTSEAL_OK || tb_broker_open(&g.broker) != 0)
        return -1;
    tb_prefix(g.prefix, sizeof g.prefix, "flood");
    snprintf(g.topic, sizeof g.topic, "%s/stream", g.prefix);
    snprintf(g.marker, sizeof g.marker, "secret-flood-%ld", (long)getpid());
    g.seed = (uint32_t)tb_now_ms();
    g.rng = 0x243f6a8885a308d3ULL ^ g.seed;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tb_broker_stop(&g.broker);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flood),
    };

    return cmocka_run_group_tests_name("broker garbage flood", tests,
                                       group_setup, group_teardown);
}
