/* Sealing and opening through a context: round trips at every length,
 * every flipped byte and truncation, each failure's own error, the canary
 * past the output, sizes, and sequence numbers across threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "ctx.h"
#include "mqttseal/mqttseal.h"

#define TOPIC "site/a/temp"
#define CANARY 0xCC

static const unsigned char root1[32] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
    0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
    0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

static mqttseal_keyring *ring(uint32_t id, const char *filter,
                              const unsigned char key[32], int64_t expires)
{
    mqttseal_keyring *kr = NULL;

    assert_int_equal(mqttseal_keyring_new(&kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_add(kr, id, filter, key, expires),
                     MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_set_primary(kr, id), MQTTSEAL_OK);
    return kr;
}

static mqttseal_ctx *ctx_for(uint32_t id, const char *filter,
                             const unsigned char key[32])
{
    mqttseal_keyring *kr = ring(id, filter, key, 0);
    mqttseal_ctx *ctx = NULL;

    assert_int_equal(mqttseal_ctx_new(&ctx, kr), MQTTSEAL_OK);
    mqttseal_keyring_free(kr);
    return ctx;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (unsigned char)(i * 31U + seed);
    }
}

static size_t seal_ok(mqttseal_ctx *ctx, unsigned char *env, size_t cap,
                      const char *topic, const unsigned char *msg, size_t len)
{
    size_t n = 0;

    assert_int_equal(
        mqttseal_seal(ctx, env, cap, &n, topic, strlen(topic), msg, len),
        MQTTSEAL_OK);
    return n;
}

static int open_rc(mqttseal_ctx *ctx, const char *topic,
                   const unsigned char *env, size_t n)
{
    unsigned char out[4096];
    size_t m = 1;
    int rc = mqttseal_open(ctx, out, sizeof out, &m, topic, strlen(topic), env,
                           n, 0, NULL);

    if (rc != MQTTSEAL_OK) {
        assert_int_equal(m, 0);
    }
    return rc;
}

/* Every length 0..1100: exact size, overhead, canary, and the opened
 * plaintext, with a fresh context so replay state does not interfere. */
static void round_trip_every_length(void **state)
{
    mqttseal_ctx *tx = ctx_for(1, "#", root1), *rx = ctx_for(1, "#", root1);
    unsigned char msg[1100], env[MQTTSEAL_SEALED_BYTES(1100) + 8];
    unsigned char out[1100 + 8];

    (void)state;
    fill(msg, sizeof msg, 7);
    for (size_t len = 0; len <= sizeof msg; len++) {
        size_t n = 0, m = 0, cap = MQTTSEAL_SEALED_BYTES(len);

        memset(env, CANARY, sizeof env);
        memset(out, CANARY, sizeof out);
        n = seal_ok(tx, env, cap, TOPIC, msg, len);
        assert_true(n <= cap && n >= len + MQTTSEAL_OVERHEAD_MIN);
        for (size_t i = n; i < sizeof env; i++) {
            assert_int_equal(env[i], CANARY);
        }
        assert_int_equal(mqttseal_open(rx, out, len, &m, TOPIC, strlen(TOPIC),
                                       env, n, 0, NULL),
                         MQTTSEAL_OK);
        assert_int_equal(m, len);
        assert_memory_equal(out, msg, len);
        for (size_t i = len; i < sizeof out; i++) {
            assert_int_equal(out[i], CANARY);
        }
    }
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
}

static void round_trip_large(void **state)
{
    static const size_t sizes[] = {65535, 65536, 1U << 20, (1U << 24) + 3};
    mqttseal_ctx *ctx = ctx_for(1, "#", root1);

    (void)state;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t len = sizes[k], n = 0, m = 0;
        unsigned char *msg = malloc(len);
        unsigned char *env = malloc(MQTTSEAL_SEALED_BYTES(len));

        assert_non_null(msg);
        assert_non_null(env);
        fill(msg, len, (unsigned)k);
        n = seal_ok(ctx, env, MQTTSEAL_SEALED_BYTES(len), TOPIC, msg, len);
        /* In place, as the Paho hook opens inside Paho's buffer. */
        assert_int_equal(mqttseal_open(ctx, env, n, &m, TOPIC, strlen(TOPIC),
                                       env, n, 0, NULL),
                         MQTTSEAL_OK);
        assert_int_equal(m, len);
        assert_memory_equal(env, msg, len);
        free(msg);
        free(env);
    }
    mqttseal_ctx_free(ctx);
}

/* The largest plaintext MQTT can carry sealed, and one byte more. */
static void size_limits(void **state)
{
    mqttseal_ctx *ctx = ctx_for(1, "#", root1);
    size_t len = MQTTSEAL_PLAINTEXT_MAX, n = 0;
    /* One byte more than the limit of each, for the E_TOO_LARGE call. */
    unsigned char *msg = calloc(1, len + 1), *env;
    mqttseal_header h;

    (void)state;
    env = malloc(MQTTSEAL_SEALED_BYTES(len) + 1);
    assert_non_null(msg);
    assert_non_null(env);
    n = seal_ok(ctx, env, MQTTSEAL_SEALED_BYTES(len), TOPIC, msg, len);
    assert_true(n <= MQTTSEAL_MQTT_PAYLOAD_MAX);
    assert_int_equal(mqttseal_header_parse(&h, env, n), MQTTSEAL_OK);
    assert_int_equal(h.payload_len, len);
    assert_int_equal(mqttseal_seal(ctx, env, MQTTSEAL_SEALED_BYTES(len) + 1, &n,
                                   TOPIC, strlen(TOPIC), msg, len + 1),
                     MQTTSEAL_E_TOO_LARGE);
    free(msg);
    free(env);
    mqttseal_ctx_free(ctx);
}

static size_t sample_env(mqttseal_ctx *ctx, unsigned char *env, size_t cap)
{
    unsigned char msg[64];

    fill(msg, sizeof msg, 3);
    return seal_ok(ctx, env, cap, TOPIC, msg, sizeof msg);
}

/* Every single bit flipped anywhere is rejected, never delivered. */
static void every_bit_flip_rejected(void **state)
{
    mqttseal_ctx *tx = ctx_for(1, "#", root1), *rx = ctx_for(1, "#", root1);
    unsigned char env[200];
    size_t n = sample_env(tx, env, sizeof env);

    (void)state;
    mqttseal_ctx_set_replay(rx, 0, 64, 1);
    for (size_t i = 0; i < n; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            env[i] ^= (unsigned char)(1U << bit);
            assert_int_not_equal(open_rc(rx, TOPIC, env, n), MQTTSEAL_OK);
            env[i] ^= (unsigned char)(1U << bit);
        }
    }
    assert_int_equal(open_rc(rx, TOPIC, env, n), MQTTSEAL_OK);
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
}

static void every_truncation_rejected(void **state)
{
    mqttseal_ctx *ctx = ctx_for(1, "#", root1);
    unsigned char env[200];
    size_t n = sample_env(ctx, env, sizeof env);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        unsigned char *copy = malloc(i ? i : 1);

        assert_non_null(copy);
        memcpy(copy, env, i);
        assert_int_equal(open_rc(ctx, TOPIC, copy, i), MQTTSEAL_E_TRUNCATED);
        free(copy);
    }
    mqttseal_ctx_free(ctx);
}

/* Each cause of failure gives its own documented error. */
static void distinct_errors(void **state)
{
    unsigned char other[32], env[200], copy[201];
    mqttseal_ctx *ctx = ctx_for(1, "#", root1), *wrong, *stranger;
    size_t n = sample_env(ctx, env, sizeof env);

    (void)state;
    memset(other, 0x77, sizeof other);
    wrong = ctx_for(1, "#", other);
    stranger = ctx_for(2, "#", root1);
    assert_int_equal(open_rc(ctx, "site/a/hum", env, n), MQTTSEAL_E_AUTH);
    assert_int_equal(open_rc(wrong, TOPIC, env, n), MQTTSEAL_E_AUTH);
    assert_int_equal(open_rc(stranger, TOPIC, env, n), MQTTSEAL_E_UNKNOWN_KEY);
    memcpy(copy, env, n);
    copy[0] = 0x91;
    assert_int_equal(open_rc(ctx, TOPIC, copy, n), MQTTSEAL_E_VERSION);
    copy[0] = 0x89;
    copy[1] = 0x08;
    assert_int_equal(open_rc(ctx, TOPIC, copy, n), MQTTSEAL_E_RESERVED);
    copy[1] = 0;
    copy[n] = 0;
    assert_int_equal(open_rc(ctx, TOPIC, copy, n + 1), MQTTSEAL_E_TRAILING);
    assert_int_equal(open_rc(ctx, TOPIC, (const unsigned char *)"21.5", 4),
                     MQTTSEAL_E_NOT_SEALED);
    assert_int_equal(open_rc(ctx, "", env, n), MQTTSEAL_E_TOPIC_EMPTY);
    assert_int_equal(open_rc(ctx, "site/+/temp", env, n),
                     MQTTSEAL_E_TOPIC_INVALID);
    /* Non-minimal key id: "01" rewritten as "81 00" shifts the rest. */
    copy[2] = 0x81;
    memcpy(copy + 4, env + 3, n - 3);
    copy[3] = 0x00;
    assert_int_equal(open_rc(ctx, TOPIC, copy, n + 1), MQTTSEAL_E_VARINT);
    assert_int_equal(open_rc(ctx, TOPIC, env, n), MQTTSEAL_OK);
    assert_int_equal(open_rc(ctx, TOPIC, env, n), MQTTSEAL_E_REPLAY);
    mqttseal_ctx_free(ctx);
    mqttseal_ctx_free(wrong);
    mqttseal_ctx_free(stranger);
}

static void seal_errors(void **state)
{
    mqttseal_ctx *ctx = ctx_for(1, "site/a/#", root1);
    unsigned char env[200], msg[4] = {1, 2, 3, 4};
    size_t n = 9;

    (void)state;
    assert_int_equal(mqttseal_seal(ctx, env, sizeof env, &n, "", 0, msg, 4),
                     MQTTSEAL_E_TOPIC_EMPTY);
    assert_int_equal(n, 0);
    assert_int_equal(
        mqttseal_seal(ctx, env, sizeof env, &n, "site/a/#", 8, msg, 4),
        MQTTSEAL_E_TOPIC_INVALID);
    assert_int_equal(
        mqttseal_seal(ctx, env, sizeof env, &n, "site/b", 6, msg, 4),
        MQTTSEAL_E_NO_GRANT);
    assert_int_equal(mqttseal_seal(ctx, env, 10, &n, "site/a", 6, msg, 4),
                     MQTTSEAL_E_BUFFER);
    assert_int_equal(mqttseal_seal(NULL, env, sizeof env, &n, "a", 1, msg, 4),
                     MQTTSEAL_E_INVALID);
    mqttseal_ctx_free(ctx);
}

static void no_primary(void **state)
{
    mqttseal_keyring *kr = NULL;
    mqttseal_ctx *ctx = NULL;
    unsigned char env[100];
    size_t n;

    (void)state;
    assert_int_equal(mqttseal_keyring_new(&kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_add(kr, 1, "#", root1, 0), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_new(&ctx, kr), MQTTSEAL_OK);
    mqttseal_keyring_free(kr);
    assert_int_equal(mqttseal_seal(ctx, env, sizeof env, &n, "a", 1, NULL, 0),
                     MQTTSEAL_E_NO_PRIMARY);
    mqttseal_ctx_free(ctx);
}

static void expired_key(void **state)
{
    mqttseal_keyring *kr = ring(1, "#", root1, 2000000000);
    mqttseal_ctx *ctx = NULL;
    unsigned char env[200];
    size_t n = 0;

    (void)state;
    assert_int_equal(mqttseal_ctx_new(&ctx, kr), MQTTSEAL_OK);
    ms_clock_set_fake(1999999999000ULL);
    n = sample_env(ctx, env, sizeof env);
    ms_clock_set_fake(2000000000000ULL);
    assert_int_equal(open_rc(ctx, TOPIC, env, n), MQTTSEAL_E_KEY_EXPIRED);
    assert_int_equal(
        mqttseal_seal(ctx, env, sizeof env, &n, TOPIC, strlen(TOPIC), NULL, 0),
        MQTTSEAL_E_KEY_EXPIRED);
    ms_clock_set_fake(0);
    mqttseal_keyring_free(kr);
    mqttseal_ctx_free(ctx);
}

/* Grants through a context: a/# opens a and below, never ab/c. */
static void grant_semantics(void **state)
{
    mqttseal_keyring *root = ring(1, "#", root1, 0), *dev = NULL;
    mqttseal_ctx *tx = NULL, *rx = NULL;
    unsigned char env[200];
    size_t n;

    (void)state;
    assert_int_equal(mqttseal_keyring_new(&dev), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_grant(dev, root, 1, "a/#"), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_new(&tx, root), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_new(&rx, dev), MQTTSEAL_OK);
    n = seal_ok(tx, env, sizeof env, "a", NULL, 0);
    assert_int_equal(open_rc(rx, "a", env, n), MQTTSEAL_OK);
    n = seal_ok(tx, env, sizeof env, "a/b/c", NULL, 0);
    assert_int_equal(open_rc(rx, "a/b/c", env, n), MQTTSEAL_OK);
    n = seal_ok(tx, env, sizeof env, "ab/c", NULL, 0);
    assert_int_equal(open_rc(rx, "ab/c", env, n), MQTTSEAL_E_NO_GRANT);
    n = seal_ok(tx, env, sizeof env, "b", NULL, 0);
    assert_int_equal(open_rc(rx, "b", env, n), MQTTSEAL_E_NO_GRANT);
    mqttseal_keyring_free(root);
    mqttseal_keyring_free(dev);
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
}

static void sizes_agree(void **state)
{
    (void)state;
    assert_int_equal(mqttseal_keybytes(), MQTTSEAL_KEYBYTES);
    assert_int_equal(mqttseal_sessionidbytes(), MQTTSEAL_SESSIONIDBYTES);
    assert_int_equal(mqttseal_abytes(), MQTTSEAL_ABYTES);
    assert_int_equal(mqttseal_overhead_min(), MQTTSEAL_OVERHEAD_MIN);
    assert_int_equal(mqttseal_overhead_max(), MQTTSEAL_OVERHEAD_MAX);
    assert_int_equal(mqttseal_plaintext_max(), MQTTSEAL_PLAINTEXT_MAX);
    for (size_t n = 0; n < 100; n++) {
        assert_int_equal(mqttseal_sealed_bytes(n), MQTTSEAL_SEALED_BYTES(n));
        assert_int_equal(mqttseal_opened_bytes(n), MQTTSEAL_OPENED_BYTES(n));
    }
    assert_int_equal(MQTTSEAL_OVERHEAD_MIN, 33);
    /* 42-byte header, tag, and a signed inner's id and signature. */
    assert_int_equal(MQTTSEAL_OVERHEAD_MAX, 130);
    assert_int_equal(MQTTSEAL_PLAINTEXT_MAX, 268435325);
    assert_int_equal(mqttseal_signeridbytes(), MQTTSEAL_SIGNERIDBYTES);
    assert_int_equal(mqttseal_signbytes(), MQTTSEAL_SIGNBYTES);
    assert_int_equal(mqttseal_sign_publickeybytes(),
                     MQTTSEAL_SIGN_PUBLICKEYBYTES);
    assert_int_equal(mqttseal_sign_seedbytes(), MQTTSEAL_SIGN_SEEDBYTES);
    assert_int_equal(mqttseal_signed_overhead(), MQTTSEAL_SIGNED_OVERHEAD);
    assert_int_equal(MQTTSEAL_SIGNED_OVERHEAD, 72);
    assert_int_equal(MQTTSEAL_PLAINTEXT_MAX + MQTTSEAL_OVERHEAD_MAX,
                     MQTTSEAL_MQTT_PAYLOAD_MAX);
    assert_string_equal(mqttseal_version(), MQTTSEAL_VERSION_STRING);
    assert_string_equal(mqttseal_strerror(9999), "unknown mqttseal error");
    for (int e = 0; e < (int)MQTTSEAL_ERR_COUNT; e++) {
        assert_string_not_equal(mqttseal_strerror(e), "unknown mqttseal error");
    }
}

/* Reconfiguring or pausing replay protection never reopens old replays. */
static void replay_settings_keep_state(void **state)
{
    mqttseal_ctx *tx = ctx_for(1, "#", root1), *rx = ctx_for(1, "#", root1);
    unsigned char env[200];
    size_t n = sample_env(tx, env, sizeof env);

    (void)state;
    assert_int_equal(open_rc(rx, TOPIC, env, n), MQTTSEAL_OK);
    assert_int_equal(open_rc(rx, TOPIC, env, n), MQTTSEAL_E_REPLAY);
    assert_int_equal(mqttseal_ctx_set_replay(rx, 0, 64, 1024), MQTTSEAL_OK);
    assert_int_equal(open_rc(rx, TOPIC, env, n), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_set_replay(rx, 1, 64, 1024), MQTTSEAL_OK);
    assert_int_equal(open_rc(rx, TOPIC, env, n), MQTTSEAL_E_REPLAY);
    assert_int_equal(mqttseal_ctx_set_replay(rx, 1, 1024, 8), MQTTSEAL_OK);
    assert_int_not_equal(open_rc(rx, TOPIC, env, n), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_set_replay(rx, 1, 100, 8),
                     MQTTSEAL_E_INVALID);
    assert_int_not_equal(open_rc(rx, TOPIC, env, n), MQTTSEAL_OK);
    n = sample_env(tx, env, sizeof env);
    assert_int_equal(open_rc(rx, TOPIC, env, n), MQTTSEAL_OK);
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
}

static int open_flags(mqttseal_ctx *ctx, const unsigned char *env, size_t n,
                      unsigned flags)
{
    unsigned char out[256];
    size_t m = 0;

    return mqttseal_open(ctx, out, sizeof out, &m, TOPIC, strlen(TOPIC), env, n,
                         flags, NULL);
}

/* Timestamps: authenticated, and checked against a maximum age and a
 * skew; the future check applies even with no maximum age. */
static void freshness(void **state)
{
    mqttseal_ctx *tx = ctx_for(1, "#", root1), *rx = ctx_for(1, "#", root1);
    unsigned char plain[200], stamped[200], future[200], near[200], env[200];
    size_t np, ns, nf, nn;
    mqttseal_header h;

    (void)state;
    mqttseal_ctx_set_replay(rx, 0, 64, 1);
    np = sample_env(tx, plain, sizeof plain);
    mqttseal_ctx_set_timestamps(tx, 1);
    ms_clock_set_fake(1764000000000ULL);
    ns = sample_env(tx, stamped, sizeof stamped);
    assert_int_equal(mqttseal_header_parse(&h, stamped, ns), MQTTSEAL_OK);
    assert_true(h.has_timestamp && h.timestamp_ms == 1764000000000ULL);
    assert_false(h.sealed_retained);
    ms_clock_set_fake(1764000060000ULL);
    nf = sample_env(tx, future, sizeof future);
    ms_clock_set_fake(1764000025000ULL);
    nn = sample_env(tx, near, sizeof near);
    ms_clock_set_fake(1764000005000ULL);
    /* No maximum age: all open but the one a minute ahead, beyond the
     * default skew of 30 s. */
    assert_int_equal(open_flags(rx, plain, np, 0), MQTTSEAL_OK);
    assert_int_equal(open_flags(rx, stamped, ns, 0), MQTTSEAL_OK);
    assert_int_equal(open_flags(rx, near, nn, 0), MQTTSEAL_OK);
    assert_int_equal(open_flags(rx, future, nf, 0), MQTTSEAL_E_FUTURE);
    assert_int_equal(mqttseal_ctx_set_freshness(rx, 2000, 1000, 0),
                     MQTTSEAL_OK);
    assert_int_equal(open_flags(rx, plain, np, 0), MQTTSEAL_E_NO_TIMESTAMP);
    assert_int_equal(open_flags(rx, stamped, ns, 0), MQTTSEAL_E_STALE);
    assert_int_equal(open_flags(rx, near, nn, 0), MQTTSEAL_E_FUTURE);
    assert_int_equal(open_flags(rx, future, nf, 0), MQTTSEAL_E_FUTURE);
    ms_clock_set_fake(1764000001500ULL);
    assert_int_equal(open_flags(rx, stamped, ns, 0), MQTTSEAL_OK);
    /* The timestamp is authenticated: editing it breaks the tag. */
    memcpy(env, stamped, ns);
    env[h.header_len - 3] ^= 1;
    assert_int_equal(open_flags(rx, env, ns, 0), MQTTSEAL_E_AUTH);
    ms_clock_set_fake(0);
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
}

/* Issue 11, problem 6: the RETAIN bit of a delivery is not authenticated,
 * so it must exempt nothing. Only the publisher's own authenticated
 * "sealed as retained" flag selects the (separate) retained maximum age. */
static void retained_flag_is_authenticated(void **state)
{
    mqttseal_ctx *tx = ctx_for(1, "#", root1), *rx = ctx_for(1, "#", root1);
    unsigned char live[200], kept[200], env[200], msg[64];
    size_t nl, nk = 0;
    mqttseal_header h;

    (void)state;
    fill(msg, sizeof msg, 3);
    mqttseal_ctx_set_replay(rx, 0, 64, 1);
    mqttseal_ctx_set_timestamps(tx, 1);
    ms_clock_set_fake(1764000000000ULL);
    nl = sample_env(tx, live, sizeof live);
    assert_int_equal(mqttseal_seal_ex(tx, kept, sizeof kept, &nk, TOPIC,
                                      strlen(TOPIC), msg, sizeof msg,
                                      MQTTSEAL_SEAL_RETAINED),
                     MQTTSEAL_OK);
    assert_int_equal(mqttseal_header_parse(&h, kept, nk), MQTTSEAL_OK);
    assert_true(h.sealed_retained && h.flags == 0x03);
    assert_int_equal(mqttseal_seal_ex(tx, env, sizeof env, &nk, TOPIC,
                                      strlen(TOPIC), msg, sizeof msg, 0x4),
                     MQTTSEAL_E_INVALID);
    nk = nl;
    assert_int_equal(mqttseal_ctx_set_freshness(rx, 5000, 1000, 3600000),
                     MQTTSEAL_OK);
    /* Seven seconds later: the live envelope is stale, however it is
     * delivered; the one sealed as retained is within its own age. */
    ms_clock_set_fake(1764000007000ULL);
    assert_int_equal(open_flags(rx, live, nl, 0), MQTTSEAL_E_STALE);
    assert_int_equal(open_flags(rx, live, nl, MQTTSEAL_OPEN_RETAINED),
                     MQTTSEAL_E_STALE);
    assert_int_equal(open_flags(rx, kept, nk, 0), MQTTSEAL_OK);
    assert_int_equal(open_flags(rx, kept, nk, MQTTSEAL_OPEN_RETAINED),
                     MQTTSEAL_OK);
    /* Clearing the flag on the wire breaks the tag. */
    memcpy(env, kept, nk);
    env[1] = 0x01;
    assert_int_equal(open_flags(rx, env, nk, MQTTSEAL_OPEN_RETAINED),
                     MQTTSEAL_E_AUTH);
    /* The retained maximum age holds too; 0 gives no exemption. */
    ms_clock_set_fake(1764003600001ULL);
    assert_int_equal(open_flags(rx, kept, nk, 0), MQTTSEAL_E_STALE);
    ms_clock_set_fake(1764000007000ULL);
    assert_int_equal(mqttseal_ctx_set_freshness(rx, 5000, 1000, 0),
                     MQTTSEAL_OK);
    assert_int_equal(open_flags(rx, kept, nk, 0), MQTTSEAL_E_STALE);
    ms_clock_set_fake(0);
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
}

/* Rotation at run time: the subscriber holds both ids, the publisher
 * moves to the new one mid-stream, nothing is lost; after the old id
 * expires its messages get their own error. */
static void rotation(void **state)
{
    unsigned char root2[32], env_old[200], env_new[200];
    mqttseal_keyring *both = ring(1, "#", root1, 0);
    mqttseal_ctx *tx = ctx_for(1, "#", root1), *rx = NULL, *old_tx;
    mqttseal_header h;
    size_t no, nn;

    (void)state;
    memset(root2, 0x22, sizeof root2);
    assert_int_equal(mqttseal_keyring_add(both, 2, "#", root2, 0), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_new(&rx, both), MQTTSEAL_OK);
    no = sample_env(tx, env_old, sizeof env_old);
    assert_int_equal(mqttseal_keyring_set_primary(both, 2), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_set_keyring(tx, both), MQTTSEAL_OK);
    nn = sample_env(tx, env_new, sizeof env_new);
    assert_int_equal(mqttseal_header_parse(&h, env_new, nn), MQTTSEAL_OK);
    assert_int_equal(h.key_id, 2);
    assert_int_equal(open_rc(rx, TOPIC, env_new, nn), MQTTSEAL_OK);
    assert_int_equal(open_rc(rx, TOPIC, env_old, no), MQTTSEAL_OK);
    /* A device that has not rotated yet still seals under id 1. */
    old_tx = ctx_for(1, "#", root1);
    no = sample_env(old_tx, env_old, sizeof env_old);
    mqttseal_ctx_free(old_tx);
    assert_int_equal(mqttseal_keyring_set_expiry(both, 1, 1900000000),
                     MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_set_keyring(rx, both), MQTTSEAL_OK);
    ms_clock_set_fake(1900000000000ULL);
    assert_int_equal(open_rc(rx, TOPIC, env_old, no), MQTTSEAL_E_KEY_EXPIRED);
    ms_clock_set_fake(0);
    mqttseal_keyring_free(both);
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
}

/* A stream of 1000 messages; the publisher switches its primary to id 2
 * at message 500 while the subscriber holds both: every message opens,
 * in order, once. */
static void rotation_mid_stream(void **state)
{
    unsigned char root2[32], msg[8], env[100], out[8];
    mqttseal_keyring *both = ring(1, "#", root1, 0);
    mqttseal_ctx *tx = NULL, *rx = NULL;
    unsigned opened = 0, by_id[3] = {0, 0, 0};

    (void)state;
    memset(root2, 0x22, sizeof root2);
    assert_int_equal(mqttseal_keyring_add(both, 2, "#", root2, 0), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_new(&tx, both), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_new(&rx, both), MQTTSEAL_OK);
    for (unsigned i = 0; i < 1000; i++) {
        mqttseal_header h;
        size_t n = 0, m = 0;

        if (i == 500) {
            assert_int_equal(mqttseal_keyring_set_primary(both, 2),
                             MQTTSEAL_OK);
            assert_int_equal(mqttseal_ctx_set_keyring(tx, both), MQTTSEAL_OK);
        }
        memcpy(msg, &i, sizeof i);
        memset(msg + sizeof i, 0x5a, sizeof msg - sizeof i);
        assert_int_equal(mqttseal_seal(tx, env, sizeof env, &n, TOPIC,
                                       strlen(TOPIC), msg, sizeof msg),
                         MQTTSEAL_OK);
        assert_int_equal(mqttseal_open(rx, out, sizeof out, &m, TOPIC,
                                       strlen(TOPIC), env, n, 0, &h),
                         MQTTSEAL_OK);
        assert_memory_equal(out, msg, sizeof msg);
        by_id[h.key_id]++;
        opened++;
    }
    assert_int_equal(opened, 1000);
    assert_int_equal(by_id[1], 500);
    assert_int_equal(by_id[2], 500);
    mqttseal_keyring_free(both);
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
}

/* ---- threads: sequence numbers never repeat ---- */

#define THREADS 4
#define PER_THREAD 5000

typedef struct worker {
    mqttseal_ctx *ctx;
    uint64_t seqs[PER_THREAD];
} worker;

static void *seal_many(void *arg)
{
    worker *w = arg;
    unsigned char env[100];
    mqttseal_header h;
    size_t n;

    for (int i = 0; i < PER_THREAD; i++) {
        if (mqttseal_seal(w->ctx, env, sizeof env, &n, TOPIC, strlen(TOPIC),
                          env, 8) != MQTTSEAL_OK ||
            mqttseal_header_parse(&h, env, n) != MQTTSEAL_OK) {
            w->seqs[i] = UINT64_MAX;
            continue;
        }
        w->seqs[i] = h.seq;
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

static void threads_never_repeat_seq(void **state)
{
    static worker w[THREADS];
    static uint64_t all[THREADS * PER_THREAD];
    pthread_t t[THREADS];
    mqttseal_ctx *ctx = ctx_for(1, "#", root1);

    (void)state;
    for (int i = 0; i < THREADS; i++) {
        w[i].ctx = ctx;
        assert_int_equal(pthread_create(&t[i], NULL, seal_many, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        memcpy(all + i * PER_THREAD, w[i].seqs, sizeof w[i].seqs);
    }
    qsort(all, THREADS * PER_THREAD, sizeof all[0], cmp_u64);
    /* Exactly 0 .. N-1: none lost, none repeated. */
    for (uint64_t i = 0; i < THREADS * PER_THREAD; i++) {
        assert_true(all[i] == i);
    }
    mqttseal_ctx_free(ctx);
}

/* mqttseal_seal_once: a fresh session id per call, sequence number 0,
 * the context's own session untouched; opens like any message; refuses
 * what mqttseal_seal refuses. */
static void seal_once_sessions(void **state)
{
    mqttseal_ctx *ctx = ctx_for(7, "site/#", root1);
    mqttseal_ctx *rx = ctx_for(7, "site/#", root1);
    unsigned char sid0[MQTTSEAL_SESSIONIDBYTES], sid1[MQTTSEAL_SESSIONIDBYTES];
    unsigned char env[2][MQTTSEAL_SEALED_BYTES(4)], out[4];
    mqttseal_header h[2];
    size_t n[2], m = 0;

    (void)state;
    mqttseal_ctx_session_id(ctx, sid0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(mqttseal_seal_once(ctx, env[i], sizeof env[i], &n[i],
                                            TOPIC, strlen(TOPIC),
                                            (const unsigned char *)"gone", 4,
                                            i ? MQTTSEAL_SEAL_RETAINED : 0U),
                         MQTTSEAL_OK);
        assert_int_equal(mqttseal_header_parse(&h[i], env[i], n[i]),
                         MQTTSEAL_OK);
        assert_int_equal(h[i].seq, 0);
        assert_int_equal(h[i].key_id, 7);
        assert_int_equal(h[i].sealed_retained, i);
        assert_int_equal(h[i].has_timestamp, 0);
        assert_int_equal(mqttseal_open(rx, out, sizeof out, &m, TOPIC,
                                       strlen(TOPIC), env[i], n[i], 0, NULL),
                         MQTTSEAL_OK);
        assert_memory_equal(out, "gone", 4);
        assert_memory_not_equal(h[i].session_id, sid0, sizeof sid0);
    }
    assert_memory_not_equal(h[0].session_id, h[1].session_id, sizeof sid0);
    mqttseal_ctx_session_id(ctx, sid1);
    assert_memory_equal(sid0, sid1, sizeof sid0);
    /* The context's own sequence did not move: its next seal is seq 0. */
    assert_int_equal(mqttseal_seal(ctx, env[0], sizeof env[0], &n[0], TOPIC,
                                   strlen(TOPIC), (const unsigned char *)"next",
                                   4),
                     MQTTSEAL_OK);
    assert_int_equal(mqttseal_header_parse(&h[0], env[0], n[0]), MQTTSEAL_OK);
    assert_int_equal(h[0].seq, 0);
    assert_int_equal(mqttseal_seal_once(ctx, env[0], sizeof env[0], &n[0],
                                        TOPIC, strlen(TOPIC),
                                        (const unsigned char *)"t", 1,
                                        MQTTSEAL_SEAL_TIMESTAMP),
                     MQTTSEAL_OK);
    assert_int_equal(mqttseal_header_parse(&h[0], env[0], n[0]), MQTTSEAL_OK);
    assert_int_equal(h[0].has_timestamp, 1);
    assert_int_equal(mqttseal_seal_once(ctx, env[0], sizeof env[0], &n[0],
                                        "other/t", 7,
                                        (const unsigned char *)"x", 1, 0U),
                     MQTTSEAL_E_NO_GRANT);
    assert_int_equal(n[0], 0);
    assert_int_equal(mqttseal_seal_once(ctx, env[0], sizeof env[0], &n[0],
                                        TOPIC, strlen(TOPIC),
                                        (const unsigned char *)"x", 1, 0x80U),
                     MQTTSEAL_E_INVALID);
    assert_int_equal(mqttseal_seal_once(NULL, env[0], sizeof env[0], &n[0],
                                        TOPIC, strlen(TOPIC),
                                        (const unsigned char *)"x", 1, 0U),
                     MQTTSEAL_E_INVALID);
    mqttseal_ctx_free(ctx);
    mqttseal_ctx_free(rx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_every_length),
        cmocka_unit_test(round_trip_large),
        cmocka_unit_test(size_limits),
        cmocka_unit_test(every_bit_flip_rejected),
        cmocka_unit_test(every_truncation_rejected),
        cmocka_unit_test(distinct_errors),
        cmocka_unit_test(seal_errors),
        cmocka_unit_test(no_primary),
        cmocka_unit_test(expired_key),
        cmocka_unit_test(seal_once_sessions),
        cmocka_unit_test(grant_semantics),
        cmocka_unit_test(sizes_agree),
        cmocka_unit_test(replay_settings_keep_state),
        cmocka_unit_test(freshness),
        cmocka_unit_test(retained_flag_is_authenticated),
        cmocka_unit_test(rotation),
        cmocka_unit_test(rotation_mid_stream),
        cmocka_unit_test(threads_never_repeat_seq),
    };

    if (mqttseal_init() != MQTTSEAL_OK) {
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
