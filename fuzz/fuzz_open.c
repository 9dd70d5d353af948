/*
 * Fuzz mqttseal_open with a fixed keyring, the topic and the options
 * taken from the input. Two modes:
 *
 * - open: the rest of the input is an envelope. Every failure must leave
 *   *out_len 0 and out wiped (up to out_cap); a success must agree with
 *   mqttseal_header_parse, and opening it again with replay protection
 *   on must be E_REPLAY.
 * - round trip (OPT_ROUNDTRIP): the rest is sealed with header fields
 *   from the input (ms_test_seal_fields), then opened (it must open to
 *   the same bytes, or fail exactly as the options predict), then one
 *   bit of the envelope is flipped and opening must fail.
 *
 * Input: byte 0 options, byte 1 topic length n, n bytes of topic, then
 * the envelope; in round-trip mode, 8 bytes seq (LE), 2 bytes bit
 * position, 1 byte timestamp offset, then the plaintext.
 *
 * The keyring is fixed (open_keys.h) and so is the clock, so that every
 * input behaves the same every time.
 */
#include <string.h>

#include "clock.h"
#include "ctx.h"
#include "fuzz.h"
#include "mqttseal/mqttseal.h"
#include "open_keys.h"

#define OPT_RETAINED 0x01U  /* sealed as retained, delivered as retained */
#define OPT_IN_PLACE 0x02U  /* out == env */
#define OPT_REPLAY 0x04U    /* fresh replay state, 64-bit window */
#define OPT_FRESH 0x08U     /* max age 60 s, retained max age 1 h */
#define OPT_TIGHT 0x10U     /* out_cap is exactly what the header needs */
#define OPT_ROUNDTRIP 0x20U /* seal the rest first */
#define OPT_KEY_SHIFT 6     /* round trip: fuzz_open_seal_ids[opt >> 6] */

#define NOW_MS UINT64_C(1700000000000)
#define MAX_AGE_MS 60000U
#define SKEW_MS 1000U /* always applied, fresh or not */
#define RETAINED_MAX_AGE_MS 3600000U

static mqttseal_ctx *ctx;
static int verbose; /* FUZZ_OPEN_VERBOSE=1: print each open's result */

static void setup(void)
{
    mqttseal_keyring *kr = NULL;

    ms_clock_set_fake(NOW_MS);
    verbose = getenv("FUZZ_OPEN_VERBOSE") != NULL;
    FUZZ_ASSERT(fuzz_open_keyring(&kr) == MQTTSEAL_OK);
    FUZZ_ASSERT(mqttseal_ctx_new(&ctx, kr) == MQTTSEAL_OK);
    mqttseal_keyring_free(kr);
}

/* A fresh replay state for every input, so that each input behaves the
 * same whatever ran before it. The public API carries replay state over
 * on purpose (mqttseal_ctx_set_replay never reopens old replays), so the
 * harness swaps the table itself (src/ctx.h). */
static void reset_replay(int on)
{
    ms_replay *r = NULL;

    FUZZ_ASSERT(ms_replay_new(&r, 64, 4) == MQTTSEAL_OK);
    FUZZ_ASSERT(ms_replay_set_capacity(r, 16) == MQTTSEAL_OK);
    ms_replay_free(ctx->replay);
    ctx->replay = r;
    ctx->replay_window = 64;
    ctx->replay_sessions = 4;
    ctx->replay_on = on;
}

static void configure(unsigned opt)
{
    reset_replay((opt & OPT_REPLAY) != 0);
    FUZZ_ASSERT(mqttseal_ctx_set_freshness(
                    ctx, (opt & OPT_FRESH) ? MAX_AGE_MS : 0, SKEW_MS,
                    RETAINED_MAX_AGE_MS) == MQTTSEAL_OK);
}

static int known_code(int rc)
{
    return rc >= MQTTSEAL_OK && rc <= MQTTSEAL_E_TOPIC_DEPTH &&
           rc != MQTTSEAL_E_TOO_LARGE && rc != MQTTSEAL_E_FILTER &&
           rc != MQTTSEAL_E_FILTER_PLUS && rc != MQTTSEAL_E_SEQ_EXHAUSTED &&
           rc != MQTTSEAL_E_NO_PRIMARY && rc != MQTTSEAL_E_KEYRING_SYNTAX &&
           rc != MQTTSEAL_E_KEYRING_PERMS && rc != MQTTSEAL_E_IO &&
           rc != MQTTSEAL_E_STATE_CORRUPT && rc != MQTTSEAL_E_DUPLICATE_KEY &&
           rc != MQTTSEAL_E_CRYPTO;
}

/* Opens env (a private copy, so in-place opening may destroy it) and
 * checks what every call must guarantee. */
static int open_checked(unsigned opt, const char *topic, size_t tlen,
                        const uint8_t *env, size_t env_len,
                        unsigned char **plain, size_t *plain_len)
{
    mqttseal_header h, parsed;
    unsigned char *copy = malloc(env_len ? env_len : 1);
    unsigned char *out;
    size_t cap, out_len = 12345;
    int prc, rc;

    FUZZ_ASSERT(copy != NULL);
    memcpy(copy, env, env_len);
    prc = mqttseal_header_parse(&parsed, env, env_len);
    if (opt & OPT_IN_PLACE) {
        out = copy;
        cap = env_len;
    } else {
        cap = (opt & OPT_TIGHT) && prc == MQTTSEAL_OK
                  ? parsed.payload_len
                  : MQTTSEAL_OPENED_BYTES(env_len) + 7;
        out = malloc(cap ? cap : 1);
        FUZZ_ASSERT(out != NULL);
        memset(out, 0xa5, cap);
    }
    rc = mqttseal_open(ctx, out, cap, &out_len, topic, tlen, copy, env_len,
                       (opt & OPT_RETAINED) ? MQTTSEAL_OPEN_RETAINED : 0U, &h);
    FUZZ_ASSERT(known_code(rc));
    if (verbose) {
        fprintf(stderr, "open: %s\n", mqttseal_strerror(rc));
    }
    if (rc != MQTTSEAL_OK) {
        FUZZ_ASSERT(out_len == 0);
        FUZZ_ASSERT(fuzz_all_zero(out, cap));
        /* Parsing comes before any key is looked up. */
        if (prc != MQTTSEAL_OK && mqttseal_topic_check(topic, tlen) == 0) {
            FUZZ_ASSERT(rc == prc);
        }
        if (out != copy) {
            free(out);
        }
        free(copy);
        return rc;
    }
    FUZZ_ASSERT(prc == MQTTSEAL_OK);
    FUZZ_ASSERT(out_len == parsed.payload_len && out_len <= cap);
    FUZZ_ASSERT(h.key_id == parsed.key_id && h.seq == parsed.seq);
    FUZZ_ASSERT(h.header_len == parsed.header_len);
    *plain = malloc(out_len ? out_len : 1);
    FUZZ_ASSERT(*plain != NULL);
    memcpy(*plain, out, out_len);
    *plain_len = out_len;
    if (out != copy) {
        free(out);
    }
    free(copy);
    return rc;
}

static void open_mode(unsigned opt, const char *topic, size_t tlen,
                      const uint8_t *env, size_t env_len)
{
    unsigned char *plain = NULL;
    size_t plain_len = 0;

    if (open_checked(opt, topic, tlen, env, env_len, &plain, &plain_len) !=
        MQTTSEAL_OK) {
        return;
    }
    free(plain);
    plain = NULL;
    if (opt & OPT_REPLAY) {
        FUZZ_ASSERT(open_checked(opt, topic, tlen, env, env_len, &plain,
                                 &plain_len) == MQTTSEAL_E_REPLAY);
    }
}

/* What sealing under key_id must give for this topic. */
static int expect_seal(uint32_t key_id, const char *t, size_t tlen)
{
    int trc = mqttseal_topic_check(t, tlen);

    if (trc != MQTTSEAL_OK) {
        return trc;
    }
    switch (key_id) {
    case 5:
        return (tlen == 1 && t[0] == 'a') ||
                       (tlen >= 2 && t[0] == 'a' && t[1] == '/')
                   ? MQTTSEAL_OK
                   : MQTTSEAL_E_NO_GRANT;
    case 3:
        return tlen == 3 && memcmp(t, "a/b", 3) == 0 ? MQTTSEAL_OK
                                                     : MQTTSEAL_E_NO_GRANT;
    default: /* the test-only sealer does not check expiry */
        return MQTTSEAL_OK;
    }
}

static unsigned levels_of(const char *t, size_t tlen)
{
    unsigned n = 1;

    for (size_t i = 0; i < tlen; i++) {
        n += t[i] == '/';
    }
    return n;
}

/* What opening an authentic envelope must give under these options. */
static int expect_open(unsigned opt, const mqttseal_header *f, const char *t,
                       size_t tlen)
{
    uint64_t ts = f->timestamp_ms;
    uint64_t age = f->sealed_retained ? RETAINED_MAX_AGE_MS : MAX_AGE_MS;

    if (levels_of(t, tlen) > MQTTSEAL_LEVELS_DEFAULT) {
        return MQTTSEAL_E_TOPIC_DEPTH; /* before any key is looked up */
    }
    if (f->key_id == 4) {
        return MQTTSEAL_E_KEY_EXPIRED; /* checked before the tag */
    }
    if (f->has_timestamp && ts > NOW_MS && ts - NOW_MS > SKEW_MS) {
        return MQTTSEAL_E_FUTURE;
    }
    if (!(opt & OPT_FRESH)) {
        return MQTTSEAL_OK;
    }
    if (!f->has_timestamp) {
        return MQTTSEAL_E_NO_TIMESTAMP;
    }
    if (NOW_MS > ts && NOW_MS - ts > age) {
        return MQTTSEAL_E_STALE;
    }
    return MQTTSEAL_OK;
}

static void roundtrip_mode(unsigned opt, const char *topic, size_t tlen,
                           const uint8_t *rest, size_t len)
{
    mqttseal_header f;
    unsigned char *env, *plain = NULL;
    size_t env_len = 0, cap, plain_len = 0, bit;
    int rc, want;

    if (len < 11) {
        return;
    }
    memset(&f, 0, sizeof f);
    f.key_id = fuzz_open_seal_ids[opt >> OPT_KEY_SHIFT];
    memset(f.session_id, 0x5e, sizeof f.session_id);
    for (int i = 0; i < 8; i++) {
        f.seq |= (uint64_t)rest[i] << (8 * i);
    }
    bit = (size_t)rest[8] | (size_t)rest[9] << 8;
    /* Timestamp offsets of -64..+63 s in 500 ms steps; 0x80 = none. */
    f.has_timestamp = rest[10] != 0x80;
    f.timestamp_ms = NOW_MS + (uint64_t)((int8_t)rest[10] * 500);
    f.sealed_retained = (opt & OPT_RETAINED) != 0;
    rest += 11;
    len -= 11;

    cap = MQTTSEAL_SEALED_BYTES(len);
    env = malloc(cap);
    FUZZ_ASSERT(env != NULL);
    want = expect_seal(f.key_id, topic, tlen);
    rc = ms_test_seal_fields(ctx, env, cap, &env_len, topic, tlen, rest, len,
                             &f);
    FUZZ_ASSERT(rc == want);
    if (rc != MQTTSEAL_OK) {
        free(env);
        return;
    }
    FUZZ_ASSERT(env_len <= cap && env_len >= len + MQTTSEAL_OVERHEAD_MIN);
    want = expect_open(opt, &f, topic, tlen);
    rc = open_checked(opt, topic, tlen, env, env_len, &plain, &plain_len);
    FUZZ_ASSERT(rc == want);
    if (rc == MQTTSEAL_OK) {
        FUZZ_ASSERT(plain_len == len && memcmp(plain, rest, len) == 0);
        free(plain);
        plain = NULL;
    }
    /* Any one flipped bit must be refused, whatever field it lands in. */
    bit %= env_len * 8;
    env[bit / 8] ^= (unsigned char)(1U << (bit % 8));
    reset_replay(0);
    FUZZ_ASSERT(open_checked(opt & ~OPT_REPLAY, topic, tlen, env, env_len,
                             &plain, &plain_len) != MQTTSEAL_OK);
    free(env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned opt;
    size_t tlen;
    char *topic;

    if (ctx == NULL) {
        setup();
    }
    if (size < 2) {
        return 0;
    }
    opt = data[0];
    tlen = data[1];
    if (tlen > size - 2) {
        return 0;
    }
    /* A private copy of exactly the topic, so an over-read is caught. */
    topic = malloc(tlen ? tlen : 1);
    FUZZ_ASSERT(topic != NULL);
    memcpy(topic, data + 2, tlen);
    configure(opt);
    if (opt & OPT_ROUNDTRIP) {
        roundtrip_mode(opt, topic, tlen, data + 2 + tlen, size - 2 - tlen);
    } else {
        open_mode(opt, topic, tlen, data + 2 + tlen, size - 2 - tlen);
    }
    free(topic);
    return 0;
}
