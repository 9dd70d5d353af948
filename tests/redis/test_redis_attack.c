/* The Redis replay backend under attack (suite 'redis'), against a real
 * redis-server of its own:
 * - forged, tampered, topic-swapped and truncated envelopes cost no Redis
 *   round trip (only what authenticated reaches the store);
 * - one device holding a single grant opens 100,000 one-message sessions
 *   under the fleet defaults: a long-lived sender on another topic loses
 *   nothing, every flooded session is still known (its replay refused),
 *   and every key expires with the freshness window, so Redis memory is
 *   bounded by the senders of the last max age + skew. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <mqttseal/redis.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tr.h"

#define FLOOD 100000
#define LEGIT_EVERY 1000
#define MAX_EXPIRY_MS (300000 + 30000) /* fleet max age + skew */

static tr_redis srv;

static int group_setup(void **state)
{
    (void)state;
    if (mqttseal_init() != MQTTSEAL_OK)
        return -1;
    return tr_redis_start(&srv, 0, NULL);
}

static int group_teardown(void **state)
{
    (void)state;
    tr_redis_stop(&srv);
    return 0;
}

typedef struct env {
    unsigned char b[160];
    size_t n;
} env;

static mqttseal_keyring *root(void)
{
    mqttseal_keyring *kr = NULL;

    assert_int_equal(mqttseal_keyring_new(&kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_generate(kr, 1), MQTTSEAL_OK);
    return kr;
}

/* A stamping sender holding kr, or only the grant filter of it. */
static mqttseal_ctx *sender(const mqttseal_keyring *kr, const char *filter)
{
    mqttseal_keyring *dev = NULL;
    mqttseal_ctx *ctx = NULL;

    if (filter != NULL) {
        assert_int_equal(mqttseal_keyring_new(&dev), MQTTSEAL_OK);
        assert_int_equal(mqttseal_keyring_grant(dev, kr, 1, filter),
                         MQTTSEAL_OK);
        assert_int_equal(mqttseal_keyring_set_primary(dev, 1), MQTTSEAL_OK);
    }
    assert_int_equal(mqttseal_ctx_new(&ctx, dev != NULL ? dev : kr),
                     MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_set_timestamps(ctx, 1), MQTTSEAL_OK);
    mqttseal_keyring_free(dev);
    return ctx;
}

/* A fleet receiver whose replay state is in Redis under prefix. */
static mqttseal_ctx *receiver(const mqttseal_keyring *kr, const char *query,
                              mqttseal_redis **r)
{
    mqttseal_ctx *ctx = NULL;
    char url[400];
    mqttseal_diag d;

    snprintf(url, sizeof url, "%s%s", srv.url, query);
    assert_int_equal(mqttseal_ctx_new(&ctx, kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_use_fleet_defaults(ctx), MQTTSEAL_OK);
    if (mqttseal_redis_new_url(r, url, &d) != MQTTSEAL_OK)
        fail_msg("%s: %s", url, d.message);
    assert_int_equal(mqttseal_redis_attach(*r, ctx), MQTTSEAL_OK);
    assert_int_equal(mqttseal_redis_ping(*r), MQTTSEAL_OK);
    return ctx;
}

static env seal_on(mqttseal_ctx *tx, const char *topic)
{
    env e;

    assert_int_equal(mqttseal_seal(tx, e.b, sizeof e.b, &e.n, topic,
                                   strlen(topic),
                                   (const unsigned char *)"21.5 C", 6),
                     MQTTSEAL_OK);
    return e;
}

/* Open; a refusal must leave nothing delivered. */
static int open_on(mqttseal_ctx *rx, const char *topic, const unsigned char *b,
                   size_t n)
{
    unsigned char out[160];
    size_t m = 99;
    int rc = mqttseal_open(rx, out, sizeof out, &m, topic, strlen(topic), b, n,
                           0, NULL);

    if (rc != MQTTSEAL_OK)
        assert_int_equal(m, 0);
    return rc;
}

static void forged_messages_cost_no_round_trip(void **state)
{
    mqttseal_keyring *kr = root();
    mqttseal_ctx *tx = sender(kr, NULL), *evil = sender(kr, "site/a/#");
    mqttseal_redis *r = NULL;
    mqttseal_ctx *rx = receiver(kr, "?prefix=forged", &r);
    mqttseal_redis_stats before, after;
    env good = seal_on(tx, "site/b/temp"), mine = seal_on(evil, "site/a/x");
    unsigned char bad[160];
    int refused = 0;

    (void)state;
    mqttseal_redis_get_stats(r, &before);
    /* Every single-bit flip of a genuine envelope. */
    for (size_t i = 0; i < good.n * 8; i++) {
        memcpy(bad, good.b, good.n);
        bad[i / 8] ^= (unsigned char)(1U << (i % 8));
        refused += open_on(rx, "site/b/temp", bad, good.n) != MQTTSEAL_OK;
    }
    /* Truncated, topic-swapped, a grant holder's own envelope moved onto
     * a topic outside its grant, and 1,000 random payloads. */
    for (size_t n = 0; n < good.n; n++)
        refused += open_on(rx, "site/b/temp", good.b, n) != MQTTSEAL_OK;
    refused += open_on(rx, "site/b/hum", good.b, good.n) != MQTTSEAL_OK;
    refused += open_on(rx, "site/b/temp", mine.b, mine.n) != MQTTSEAL_OK;
    for (int i = 0; i < 1000; i++) {
        memcpy(bad, good.b, good.n);
        randombytes_buf(bad + 4, good.n - 4); /* a header's start kept */
        refused += open_on(rx, "site/b/temp", bad, good.n) != MQTTSEAL_OK;
    }
    assert_int_equal(refused, (int)(good.n * 8 + good.n + 2 + 1000));
    mqttseal_redis_get_stats(r, &after);
    assert_int_equal(after.checks, before.checks);
    assert_int_equal(after.round_trips, before.round_trips);
    /* The genuine ones, after all that: one check each. */
    assert_int_equal(open_on(rx, "site/b/temp", good.b, good.n), MQTTSEAL_OK);
    assert_int_equal(open_on(rx, "site/a/x", mine.b, mine.n), MQTTSEAL_OK);
    mqttseal_redis_get_stats(r, &after);
    assert_int_equal(after.checks, before.checks + 2);
    mqttseal_redis_free(r);
    mqttseal_ctx_free(rx);
    mqttseal_ctx_free(evil);
    mqttseal_ctx_free(tx);
    mqttseal_keyring_free(kr);
}

static long long integer(redisContext *c, const char *cmd)
{
    redisReply *rep = redisCommand(c, cmd);
    long long v;

    assert_true(rep != NULL && rep->type == REDIS_REPLY_INTEGER);
    v = rep->integer;
    freeReplyObject(rep);
    return v;
}

/* Every sampled key expires within max age + skew. */
static void keys_expire(redisContext *c)
{
    for (int i = 0; i < 200; i++) {
        redisReply *rep = redisCommand(c, "RANDOMKEY");
        long long ttl;

        assert_true(rep != NULL && rep->type == REDIS_REPLY_STRING);
        redisReply *t = redisCommand(c, "PTTL %b", rep->str, rep->len);
        assert_true(t != NULL && t->type == REDIS_REPLY_INTEGER);
        ttl = t->integer;
        freeReplyObject(t);
        freeReplyObject(rep);
        if (ttl <= 0 || ttl > MAX_EXPIRY_MS)
            fail_msg("a key with PTTL %lld", ttl);
    }
}

static void hostile_session_flood(void **state)
{
    mqttseal_keyring *kr = root();
    mqttseal_ctx *tx = sender(kr, NULL), *evil = sender(kr, "site/a/#");
    mqttseal_redis *r = NULL;
    mqttseal_ctx *rx = receiver(kr, "?prefix=flood&window=64", &r);
    static env kept[FLOOD / LEGIT_EVERY];
    redisContext *c = redisConnect("127.0.0.1", srv.port);
    mqttseal_redis_stats st;
    long long keys0, keys, mem;
    int legit_ok = 0;

    (void)state;
    assert_true(c != NULL && c->err == 0);
    keys0 = integer(c, "DBSIZE");
    for (int i = 0; i < FLOOD; i++) {
        env e;

        assert_int_equal(mqttseal_ctx_new_session(evil), MQTTSEAL_OK);
        e = seal_on(evil, "site/a/x");
        assert_int_equal(open_on(rx, "site/a/x", e.b, e.n), MQTTSEAL_OK);
        if (i % LEGIT_EVERY == 0) {
            env g = seal_on(tx, "site/b/temp");
            kept[i / LEGIT_EVERY] = e;
            legit_ok += open_on(rx, "site/b/temp", g.b, g.n) == MQTTSEAL_OK;
        }
    }
    assert_int_equal(legit_ok, FLOOD / LEGIT_EVERY);
    for (int i = 0; i < FLOOD / LEGIT_EVERY; i++)
        assert_int_equal(open_on(rx, "site/a/x", kept[i].b, kept[i].n),
                         MQTTSEAL_E_REPLAY);
    keys = integer(c, "DBSIZE") - keys0;
    assert_int_equal(keys, FLOOD + 1);
    keys_expire(c);
    {
        redisReply *rep = redisCommand(c, "INFO memory");
        const char *p = rep != NULL && rep->type == REDIS_REPLY_STRING
                            ? strstr(rep->str, "used_memory:")
                            : NULL;
        assert_non_null(p);
        mem = atoll(p + 12);
        freeReplyObject(rep);
    }
    mqttseal_redis_get_stats(r, &st);
    print_message("%d sessions from one grant holder: %lld keys, Redis "
                  "used_memory %lld B (%lld B a session, window 64), %llu "
                  "checks, %llu round trips, 0 of %d legitimate refused\n",
                  FLOOD, keys, mem, mem / keys, (unsigned long long)st.checks,
                  (unsigned long long)st.round_trips, FLOOD / LEGIT_EVERY);
    assert_true(mem / keys < 1024);
    redisFree(c);
    mqttseal_redis_free(r);
    mqttseal_ctx_free(rx);
    mqttseal_ctx_free(evil);
    mqttseal_ctx_free(tx);
    mqttseal_keyring_free(kr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forged_messages_cost_no_round_trip),
        cmocka_unit_test(hostile_session_flood),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
