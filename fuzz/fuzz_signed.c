/*
 * Fuzz opening signed envelopes (docs/FORMAT.md section 14): a receiver
 * with the keyring of fuzz_open (open_keys.h), a trust list (signers A
 * and B on fixed filters, E expired) and require filters. Two modes:
 *
 * - open: the rest of the input is an envelope. A failure leaves
 *   *out_len 0, out wiped and no signer named; a success of a signed
 *   envelope names A or B, on a topic that signer is granted, and one of
 *   an unsigned envelope is on a topic nothing requires; with replay on,
 *   opening it again is E_REPLAY.
 * - round trip (OPT_ROUNDTRIP): the rest (after 8 bytes of seq and 2 of
 *   bit position) is sealed under key id 1, signed by A, B, C (not
 *   trusted) or E, or unsigned, or taken as a raw inner with the signed
 *   flag; opening must give exactly what section 14 predicts (computed
 *   here with raw libsodium and a separate MQTT matcher), and with any
 *   one bit flipped opening must fail.
 *
 * Input: byte 0 options, byte 1 topic length n, n bytes of topic, rest.
 */
#include <sodium.h>
#include <string.h>

#include "clock.h"
#include "ctx.h"
#include "fuzz.h"
#include "mqttseal/mqttseal.h"
#include "open_keys.h"

#define OPT_IN_PLACE 0x01U
#define OPT_ROUNDTRIP 0x02U
#define OPT_SIGNER_SHIFT 2 /* round trip: signer A, B, C, E (2 bits) */
#define OPT_UNSIGNED 0x10U /* round trip: no signature */
#define OPT_RAW 0x20U      /* round trip: the rest is the inner */
#define OPT_REPLAY 0x40U   /* fresh replay state, 64-bit window */

#define NOW_MS UINT64_C(1700000000000)
#define NSIGNERS 4

/* Seeds count up from 0x80 (A), 0xa0 (B) and 0xc0 (C) as in
 * tests/vectors/signed.txt, so its envelopes open here too. */
static const struct fsigner {
    const char *name;
    unsigned char start;
    const char *filters[6];
    int64_t expires; /* -1: not in the trust list */
} signers[NSIGNERS] = {
    {"a", 0x80, {"a/#", "s/+/x", "site/#", "plant/#", "abcdefghi/#", NULL}, 0},
    {"b", 0xa0, {"plant/#", "b/+", NULL}, 0},
    {"c", 0xc0, {NULL}, -1},
    {"e", 0x11, {"#", NULL}, 1},
};
static const char *const required[] = {"a/#", "r/+/#", "site/a/temp"};

static mqttseal_ctx *rx, *tx[NSIGNERS];
static int verbose; /* FUZZ_SIGNED_VERBOSE=1: print each open's result */
static unsigned char pks[NSIGNERS][32], ids[NSIGNERS][8];

static mqttseal_ctx *new_ctx(void)
{
    mqttseal_keyring *kr = NULL;
    mqttseal_ctx *c = NULL;

    FUZZ_ASSERT(fuzz_open_keyring(&kr) == MQTTSEAL_OK);
    FUZZ_ASSERT(mqttseal_ctx_new(&c, kr) == MQTTSEAL_OK);
    mqttseal_keyring_free(kr);
    return c;
}

static void setup(void)
{
    mqttseal_trust *t = NULL;
    unsigned char seed[32];

    FUZZ_ASSERT(mqttseal_init() == MQTTSEAL_OK);
    ms_clock_set_fake(NOW_MS);
    verbose = getenv("FUZZ_SIGNED_VERBOSE") != NULL;
    FUZZ_ASSERT(mqttseal_trust_new(&t) == MQTTSEAL_OK);
    for (int w = 0; w < NSIGNERS; w++) {
        mqttseal_signer *s = NULL;
        size_t nf = 0;

        for (unsigned i = 0; i < 32; i++) {
            seed[i] = (unsigned char)(signers[w].start + i);
        }
        FUZZ_ASSERT(mqttseal_signer_from_seed(&s, seed) == MQTTSEAL_OK);
        mqttseal_signer_public_key(s, pks[w]);
        mqttseal_signer_id(s, ids[w]);
        tx[w] = new_ctx();
        FUZZ_ASSERT(mqttseal_ctx_set_signer(tx[w], s) == MQTTSEAL_OK);
        mqttseal_signer_free(s);
        while (signers[w].filters[nf] != NULL) {
            nf++;
        }
        if (signers[w].expires >= 0) {
            FUZZ_ASSERT(mqttseal_trust_add(t, signers[w].name, pks[w],
                                           signers[w].filters, nf,
                                           signers[w].expires) == MQTTSEAL_OK);
        }
    }
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        FUZZ_ASSERT(mqttseal_trust_require(t, required[i]) == MQTTSEAL_OK);
    }
    rx = new_ctx();
    FUZZ_ASSERT(mqttseal_ctx_set_trust(rx, t) == MQTTSEAL_OK);
    mqttseal_trust_free(t);
}

/* Our own MQTT filter matching (section 14), not the library's. */
static int match(const char *f, const char *t, size_t tlen)
{
    size_t i = 0;

    for (;;) {
        size_t fl = strcspn(f, "/"), tl;
        const char *sl;

        if (fl == 1 && f[0] == '#') {
            return 1;
        }
        if (i > tlen) {
            return 0;
        }
        sl = memchr(t + i, '/', tlen - i);
        tl = sl != NULL ? (size_t)(sl - (t + i)) : tlen - i;
        if (!(fl == 1 && f[0] == '+') &&
            (fl != tl || memcmp(f, t + i, tl) != 0)) {
            return 0;
        }
        i += tl + 1;
        if (f[fl] == '\0') {
            return i == tlen + 1;
        }
        f += fl + 1;
    }
}

static int any_match(const char *const *fs, size_t n, const char *t,
                     size_t tlen)
{
    for (size_t i = 0; i < n && fs[i] != NULL; i++) {
        if (match(fs[i], t, tlen)) {
            return 1;
        }
    }
    return 0;
}

static int signer_of(const unsigned char id[8])
{
    for (int w = 0; w < NSIGNERS; w++) {
        if (memcmp(ids[w], id, 8) == 0) {
            return w;
        }
    }
    return -1;
}

static void reset_replay(int on)
{
    ms_replay *r = NULL;

    FUZZ_ASSERT(ms_replay_new(&r, 64, 4) == MQTTSEAL_OK);
    ms_replay_free(rx->replay);
    rx->replay = r;
    rx->replay_window = 64;
    rx->replay_sessions = 4;
    rx->replay_on = on;
}

/* Opens a private copy of env and checks what every open guarantees. */
static int open_checked(unsigned opt, const char *topic, size_t tlen,
                        const uint8_t *env, size_t n, unsigned char **plain,
                        size_t *plain_len)
{
    unsigned char *copy = malloc(n ? n : 1), *out;
    size_t cap = (opt & OPT_IN_PLACE) ? n : MQTTSEAL_OPENED_BYTES(n) + 3;
    size_t out_len = 777;
    mqttseal_header h;
    int rc, w;

    FUZZ_ASSERT(copy != NULL);
    memcpy(copy, env, n);
    out = (opt & OPT_IN_PLACE) ? copy : malloc(cap ? cap : 1);
    FUZZ_ASSERT(out != NULL);
    memset(&h, 0, sizeof h);
    rc = mqttseal_open(rx, out, cap, &out_len, topic, tlen, copy, n, 0, &h);
    if (verbose) {
        fprintf(stderr, "open: %s\n", mqttseal_strerror(rc));
    }
    if (rc != MQTTSEAL_OK) {
        static const unsigned char zero[8];

        FUZZ_ASSERT(out_len == 0 && fuzz_all_zero(out, cap));
        FUZZ_ASSERT(memcmp(h.signer_id, zero, 8) == 0);
    } else if (h.is_signed) {
        w = signer_of(h.signer_id);
        FUZZ_ASSERT(w == 0 || w == 1);
        FUZZ_ASSERT(any_match(signers[w].filters, 6, topic, tlen));
        FUZZ_ASSERT(h.payload_len == out_len && (env[1] & 0x04U) != 0);
    } else {
        FUZZ_ASSERT(!any_match(required, 3, topic, tlen));
        FUZZ_ASSERT((env[1] & 0x04U) == 0);
    }
    if (rc == MQTTSEAL_OK && plain != NULL) {
        *plain = malloc(out_len ? out_len : 1);
        FUZZ_ASSERT(*plain != NULL);
        memcpy(*plain, out, out_len);
        *plain_len = out_len;
    }
    if (out != copy) {
        free(out);
    }
    free(copy);
    return rc;
}

static unsigned levels_of(const char *t, size_t tlen)
{
    unsigned n = 1;

    for (size_t i = 0; i < tlen; i++) {
        n += t[i] == '/';
    }
    return n;
}

/* Section 14 for an authentic envelope sealed under key id 1: the raw
 * inner is checked here, with raw libsodium for its signature. */
static int expect(unsigned opt, int w, const unsigned char *env, size_t hlen,
                  const char *t, size_t tlen, const uint8_t *in, size_t len)
{
    unsigned char *m;
    int ok;

    if (levels_of(t, tlen) > MQTTSEAL_LEVELS_DEFAULT) {
        return MQTTSEAL_E_TOPIC_DEPTH;
    }
    if (opt & OPT_UNSIGNED) {
        return any_match(required, 3, t, tlen) ? MQTTSEAL_E_SIG_REQUIRED
                                               : MQTTSEAL_OK;
    }
    if (opt & OPT_RAW) {
        if (len < 72) {
            return MQTTSEAL_E_SIGNATURE;
        }
        w = signer_of(in);
    }
    if (w < 0 || signers[w].expires < 0) {
        return MQTTSEAL_E_SIGNER_UNKNOWN;
    }
    if (signers[w].expires > 0) {
        return MQTTSEAL_E_SIGNER_EXPIRED;
    }
    if (!any_match(signers[w].filters, 6, t, tlen)) {
        return MQTTSEAL_E_SIGNER_NOT_GRANTED;
    }
    if (!(opt & OPT_RAW)) {
        return MQTTSEAL_OK;
    }
    m = malloc(15 + hlen + 2 + tlen + len - 64);
    FUZZ_ASSERT(m != NULL);
    memcpy(m, "mqttseal/sig/v1", 15);
    memcpy(m + 15, env, hlen);
    m[15 + hlen] = (unsigned char)(tlen >> 8);
    m[16 + hlen] = (unsigned char)tlen;
    memcpy(m + 17 + hlen, t, tlen);
    memcpy(m + 17 + hlen + tlen, in, len - 64);
    ok = crypto_sign_verify_detached(in + len - 64, m,
                                     17 + hlen + tlen + len - 64, pks[w]) == 0;
    free(m);
    return ok ? MQTTSEAL_OK : MQTTSEAL_E_SIGNATURE;
}

static void roundtrip(unsigned opt, const char *topic, size_t tlen,
                      const uint8_t *rest, size_t len)
{
    int w = (int)((opt >> OPT_SIGNER_SHIFT) & 3U);
    mqttseal_ctx *c = (opt & (OPT_UNSIGNED | OPT_RAW)) ? rx : tx[w];
    size_t cap, n = 0, bit, plain_len = 0;
    unsigned char *env, *plain = NULL;
    mqttseal_header f, p;
    int rc, want;

    if (len < 10) {
        return;
    }
    memset(&f, 0, sizeof f);
    f.key_id = 1;
    memset(f.session_id, 0x5e, sizeof f.session_id);
    for (int i = 0; i < 8; i++) {
        f.seq |= (uint64_t)rest[i] << (8 * i);
    }
    bit = (size_t)rest[8] | (size_t)rest[9] << 8;
    f.is_signed = !(opt & OPT_UNSIGNED);
    rest += 10;
    len -= 10;
    cap = MQTTSEAL_SEALED_BYTES(len);
    env = malloc(cap);
    FUZZ_ASSERT(env != NULL);
    rc = ms_test_seal_fields(c, env, cap, &n, topic, tlen, rest, len, &f);
    FUZZ_ASSERT(rc == mqttseal_topic_check(topic, tlen));
    if (rc == MQTTSEAL_OK) {
        FUZZ_ASSERT(mqttseal_header_parse(&p, env, n) == MQTTSEAL_OK);
        want = expect(opt, w, env, p.header_len, topic, tlen, rest, len);
        rc = open_checked(opt, topic, tlen, env, n, &plain, &plain_len);
        FUZZ_ASSERT(rc == want);
        if (rc == MQTTSEAL_OK && !(opt & OPT_RAW)) {
            FUZZ_ASSERT(plain_len == len && memcmp(plain, rest, len) == 0);
        }
        free(plain);
        bit %= n * 8;
        env[bit / 8] ^= (unsigned char)(1U << (bit % 8));
        FUZZ_ASSERT(open_checked(opt, topic, tlen, env, n, NULL, NULL) !=
                    MQTTSEAL_OK);
    }
    free(env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *plain = NULL;
    size_t tlen, plain_len;
    unsigned opt;
    char *topic;

    if (rx == NULL) {
        setup();
    }
    if (size < 2 || data[1] > size - 2) {
        return 0;
    }
    opt = data[0];
    tlen = data[1];
    topic = malloc(tlen ? tlen : 1);
    FUZZ_ASSERT(topic != NULL);
    memcpy(topic, data + 2, tlen);
    reset_replay((opt & OPT_REPLAY) != 0 && !(opt & OPT_ROUNDTRIP));
    if (opt & OPT_ROUNDTRIP) {
        roundtrip(opt, topic, tlen, data + 2 + tlen, size - 2 - tlen);
    } else if (open_checked(opt, topic, tlen, data + 2 + tlen, size - 2 - tlen,
                            &plain, &plain_len) == MQTTSEAL_OK) {
        free(plain);
        if (opt & OPT_REPLAY) {
            FUZZ_ASSERT(open_checked(opt, topic, tlen, data + 2 + tlen,
                                     size - 2 - tlen, NULL,
                                     NULL) == MQTTSEAL_E_REPLAY);
        }
    }
    free(topic);
    return 0;
}
