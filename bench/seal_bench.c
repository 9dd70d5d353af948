/*
 * ns per seal and per open on a cached topic, against raw libsodium
 * XChaCha20-Poly1305 with a counter nonce measured in the same run, and
 * their ratio. The machine is noisy: rounds alternate between the two and
 * the median of each is reported; only the ratios matter.
 *   bench/seal_bench [rounds]
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mqttseal/mqttseal.h"

#define BATCH 4096
#define TOPIC "site/a/line1/press"
#define MAXROUNDS 31

static const size_t sizes[] = {16, 64, 256, 1024, 4096};

typedef struct bufs {
    unsigned char *msg;
    unsigned char *env[BATCH]; /* sealed envelopes, for opening */
    size_t env_len[BATCH];
    unsigned char *out;
    size_t len;
} bufs;

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return v[n / 2];
}

/* One root key for the run: every context can open every other's. */
static unsigned char root[MQTTSEAL_KEYBYTES];

static mqttseal_ctx *make_ctx(int replay)
{
    mqttseal_keyring *kr = NULL;
    mqttseal_ctx *ctx = NULL;

    if (mqttseal_keyring_new(&kr) != MQTTSEAL_OK ||
        mqttseal_keyring_add(kr, 1, "#", root, 0) != MQTTSEAL_OK ||
        mqttseal_keyring_set_primary(kr, 1) != MQTTSEAL_OK ||
        mqttseal_ctx_new(&ctx, kr) != MQTTSEAL_OK ||
        mqttseal_ctx_set_replay(ctx, replay, 64, 1024) != MQTTSEAL_OK) {
        fprintf(stderr, "seal_bench: cannot set up a context\n");
        exit(1);
    }
    mqttseal_keyring_free(kr);
    return ctx;
}

static void die_rc(const char *what, int rc)
{
    fprintf(stderr, "seal_bench: %s: %s\n", what, mqttseal_strerror(rc));
    exit(1);
}

/* ---- one batch of each operation; each returns ns per message ---- */

static double raw_seal(bufs *b, const unsigned char *key, uint64_t *ctr)
{
    unsigned char nonce[24] = {0};
    double t0 = now_ns();

    for (int i = 0; i < BATCH; i++) {
        memcpy(nonce, ctr, sizeof *ctr);
        (*ctr)++;
        crypto_aead_xchacha20poly1305_ietf_encrypt(b->out, NULL, b->msg, b->len,
                                                   NULL, 0, NULL, nonce, key);
    }
    return (now_ns() - t0) / BATCH;
}

static double raw_open(bufs *b, const unsigned char *key,
                       unsigned char (*ct)[4096 + 16])
{
    unsigned char nonce[24] = {0};
    double t0 = now_ns();
    int bad = 0;

    for (int i = 0; i < BATCH; i++) {
        uint64_t ctr = (uint64_t)i;

        memcpy(nonce, &ctr, sizeof ctr);
        bad |= crypto_aead_xchacha20poly1305_ietf_decrypt(
            b->out, NULL, NULL, ct[i], b->len + 16, NULL, 0, nonce, key);
    }
    if (bad) {
        die_rc("raw decrypt", MQTTSEAL_E_AUTH);
    }
    return (now_ns() - t0) / BATCH;
}

static double ms_seal(bufs *b, mqttseal_ctx *ctx, int keep)
{
    double t0 = now_ns();
    size_t n;
    int rc;

    for (int i = 0; i < BATCH; i++) {
        unsigned char *dst = keep ? b->env[i] : b->out;

        rc = mqttseal_seal(ctx, dst, MQTTSEAL_SEALED_BYTES(b->len), &n, TOPIC,
                           sizeof TOPIC - 1, b->msg, b->len);
        if (rc != MQTTSEAL_OK) {
            die_rc("seal", rc);
        }
        b->env_len[i] = n;
    }
    return (now_ns() - t0) / BATCH;
}

static double ms_open(bufs *b, mqttseal_ctx *ctx)
{
    double t0 = now_ns();
    size_t m;
    int rc;

    for (int i = 0; i < BATCH; i++) {
        rc = mqttseal_open(ctx, b->out, b->len, &m, TOPIC, sizeof TOPIC - 1,
                           b->env[i], b->env_len[i], 0, NULL);
        if (rc != MQTTSEAL_OK) {
            die_rc("open", rc);
        }
    }
    return (now_ns() - t0) / BATCH;
}

typedef struct result {
    double raw_seal, raw_open, seal, open, open_replay;
} result;

static unsigned char (*raw_batch(bufs *b, const unsigned char *key))[4096 + 16]
{
    unsigned char(*ct)[4096 + 16] = malloc(sizeof(*ct) * BATCH);
    unsigned char nonce[24] = {0};

    for (int i = 0; i < BATCH && ct != NULL; i++) {
        uint64_t ctr = (uint64_t)i;

        memcpy(nonce, &ctr, sizeof ctr);
        crypto_aead_xchacha20poly1305_ietf_encrypt(ct[i], NULL, b->msg, b->len,
                                                   NULL, 0, NULL, nonce, key);
    }
    return ct;
}

static result measure(bufs *b, int rounds)
{
    double v[5][MAXROUNDS];
    unsigned char key[32];
    uint64_t ctr = 0;
    mqttseal_ctx *tx = make_ctx(1);
    unsigned char(*ct)[4096 + 16];
    result r;

    randombytes_buf(key, sizeof key);
    ct = raw_batch(b, key);
    for (int k = 0; k < rounds; k++) {
        mqttseal_ctx *rx = make_ctx(0), *rxr = make_ctx(1);

        v[0][k] = raw_seal(b, key, &ctr);
        v[1][k] = raw_open(b, key, ct);
        v[2][k] = ms_seal(b, tx, 1);
        v[3][k] = ms_open(b, rx);
        v[4][k] = ms_open(b, rxr);
        mqttseal_ctx_free(rx);
        mqttseal_ctx_free(rxr);
    }
    r.raw_seal = median(v[0], rounds);
    r.raw_open = median(v[1], rounds);
    r.seal = median(v[2], rounds);
    r.open = median(v[3], rounds);
    r.open_replay = median(v[4], rounds);
    free(ct);
    mqttseal_ctx_free(tx);
    return r;
}

/* A never-seen 5-level topic: one derivation (and a cache insert) more
 * than a cached seal. The cache is kept small so every topic is new. */
static double derive_cost(int rounds)
{
    mqttseal_ctx *ctx = make_ctx(0);
    unsigned char msg[64] = {0}, env[MQTTSEAL_SEALED_BYTES(64)];
    double v[MAXROUNDS];
    char topic[64];
    size_t n;
    unsigned id = 0;

    if (mqttseal_ctx_set_cache_size(ctx, 16) != MQTTSEAL_OK) {
        exit(1);
    }
    for (int k = 0; k < rounds; k++) {
        double t0 = now_ns();

        for (int i = 0; i < BATCH; i++) {
            int len = snprintf(topic, sizeof topic, "plant/l%u/cell/m%u/t",
                               id % 1000, id / 1000);
            id++;
            if (mqttseal_seal(ctx, env, sizeof env, &n, topic, (size_t)len, msg,
                              sizeof msg) != MQTTSEAL_OK) {
                exit(1);
            }
        }
        v[k] = (now_ns() - t0) / BATCH;
    }
    mqttseal_ctx_free(ctx);
    return median(v, rounds);
}

static size_t overhead(size_t len, uint64_t seq_target)
{
    mqttseal_ctx *ctx = make_ctx(0);
    unsigned char *msg = calloc(1, len + 1);
    unsigned char *env = malloc(MQTTSEAL_SEALED_BYTES(len));
    size_t n = 0;

    /* The sequence number only grows by sealing: seal up to the target
     * in a throwaway loop (a varint grows at 2^7, 2^14, 2^21). */
    for (uint64_t s = 0; s <= seq_target; s++) {
        if (mqttseal_seal(ctx, env, MQTTSEAL_SEALED_BYTES(len), &n, TOPIC,
                          sizeof TOPIC - 1, msg, len) != MQTTSEAL_OK) {
            exit(1);
        }
    }
    free(msg);
    free(env);
    mqttseal_ctx_free(ctx);
    return n - len;
}

/* Signed seal and open against raw Ed25519 over the bytes a signed seal
 * signs (domain, a 17-byte header, topic, signer id, payload). */
#define SIG_N 64
#define SIG_TOPIC "plant/line1/press"

typedef struct sig_row {
    double sign, seal, verify, open;
} sig_row;

static double time_raw(const unsigned char *m, size_t mlen,
                       const unsigned char *sk, const unsigned char *pk,
                       unsigned char *sig, int verify)
{
    double t0 = now_ns();

    for (int i = 0; i < SIG_N; i++) {
        if (verify ? crypto_sign_verify_detached(sig, m, mlen, pk) != 0
                   : crypto_sign_detached(sig, NULL, m, mlen, sk) != 0) {
            die_rc("raw signature", MQTTSEAL_E_SIGNATURE);
        }
    }
    return (now_ns() - t0) / SIG_N;
}

static double time_signed(mqttseal_ctx *tx, mqttseal_ctx *rx,
                          const unsigned char *msg, size_t len,
                          unsigned char **env, size_t *env_len,
                          unsigned char *out, int open)
{
    const size_t tl = sizeof SIG_TOPIC - 1;
    double t0 = now_ns();
    size_t got = 0;
    int rc = MQTTSEAL_OK;

    for (int i = 0; i < SIG_N && rc == MQTTSEAL_OK; i++) {
        rc = open ? mqttseal_open(rx, out, len + 72, &got, SIG_TOPIC, tl,
                                  env[i], env_len[i], 0, NULL)
                  : mqttseal_seal(tx, env[i], MQTTSEAL_SEALED_BYTES(len),
                                  &env_len[i], SIG_TOPIC, tl, msg, len);
    }
    if (rc != MQTTSEAL_OK) {
        die_rc(open ? "signed open" : "signed seal", rc);
    }
    return (now_ns() - t0) / SIG_N;
}

static sig_row signed_row(size_t len, int rounds)
{
    static const unsigned char seed[32] = {0x11};
    static const char *const all[] = {"#"};
    unsigned char pk[32], sk[64], sig[64], *env[SIG_N], *out, *m, *msg;
    size_t env_len[SIG_N], mlen = 15 + 17 + 2 + sizeof SIG_TOPIC - 1 + 8 + len;
    double v[4][MAXROUNDS];
    mqttseal_signer *s = NULL;
    mqttseal_trust *t = NULL;
    mqttseal_ctx *tx = make_ctx(1), *rx = make_ctx(0);
    sig_row r;

    crypto_sign_seed_keypair(pk, sk, seed);
    if (mqttseal_signer_from_seed(&s, seed) != MQTTSEAL_OK ||
        mqttseal_trust_new(&t) != MQTTSEAL_OK ||
        mqttseal_trust_add(t, "bench", pk, all, 1, 0) != MQTTSEAL_OK ||
        mqttseal_ctx_set_signer(tx, s) != MQTTSEAL_OK ||
        mqttseal_ctx_set_trust(rx, t) != MQTTSEAL_OK) {
        die_rc("signer", MQTTSEAL_E_INVALID);
    }
    m = calloc(1, mlen);
    msg = calloc(1, len + 1);
    out = malloc(len + 72);
    for (int i = 0; i < SIG_N; i++) {
        env[i] = malloc(MQTTSEAL_SEALED_BYTES(len));
    }
    for (int k = 0; k < rounds; k++) {
        v[0][k] = time_raw(m, mlen, sk, pk, sig, 0);
        v[1][k] = time_signed(tx, rx, msg, len, env, env_len, out, 0);
        v[2][k] = time_raw(m, mlen, sk, pk, sig, 1);
        v[3][k] = time_signed(tx, rx, msg, len, env, env_len, out, 1);
    }
    r.sign = median(v[0], rounds);
    r.seal = median(v[1], rounds);
    r.verify = median(v[2], rounds);
    r.open = median(v[3], rounds);
    for (int i = 0; i < SIG_N; i++) {
        free(env[i]);
    }
    free(m);
    free(msg);
    free(out);
    mqttseal_signer_free(s);
    mqttseal_trust_free(t);
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
    return r;
}

static void signed_rows(int rounds)
{
    static const size_t lens[] = {64, 1024, 16384};

    printf("signed (Ed25519 inside the AEAD) vs raw crypto_sign_detached / "
           "crypto_sign_verify_detached\nover the same bytes (ns per "
           "message, %d per round):\n",
           SIG_N);
    printf("%6s %9s %11s %6s %9s %11s %6s\n", "bytes", "raw_sign",
           "signed_seal", "ratio", "raw_verif", "signed_open", "ratio");
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        sig_row r = signed_row(lens[i], rounds);
        printf("%6zu %9.1f %11.1f %6.2f %9.1f %11.1f %6.2f\n", lens[i], r.sign,
               r.seal, r.seal / r.sign, r.verify, r.open, r.open / r.verify);
    }
    printf("(signed envelopes are %u bytes larger than unsigned ones)\n\n",
           (unsigned)MQTTSEAL_SIGNED_OVERHEAD);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 11;
    bufs b;

    if (rounds < 1 || rounds > MAXROUNDS || mqttseal_init() != MQTTSEAL_OK) {
        fprintf(stderr, "usage: seal_bench [rounds 1..%d]\n", MAXROUNDS);
        return 1;
    }
    randombytes_buf(root, sizeof root);
    printf("mqttseal %s seal/open on a cached topic vs raw libsodium "
           "XChaCha20-Poly1305\n(median of %d rounds x %d messages; "
           "ratios are what count on a noisy machine)\n\n",
           mqttseal_version(), rounds, BATCH);
    printf("%6s %9s %9s %6s %9s %9s %6s %11s %6s\n", "bytes", "raw_seal",
           "seal", "ratio", "raw_open", "open", "ratio", "open+replay",
           "ratio");
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        result r;

        b.len = sizes[s];
        b.msg = malloc(b.len);
        b.out = malloc(MQTTSEAL_SEALED_BYTES(b.len));
        for (int i = 0; i < BATCH; i++) {
            b.env[i] = malloc(MQTTSEAL_SEALED_BYTES(b.len));
        }
        randombytes_buf(b.msg, b.len);
        r = measure(&b, rounds);
        printf("%6zu %9.1f %9.1f %6.2f %9.1f %9.1f %6.2f %11.1f %6.2f\n", b.len,
               r.raw_seal, r.seal, r.seal / r.raw_seal, r.raw_open, r.open,
               r.open / r.raw_open, r.open_replay, r.open_replay / r.raw_open);
        for (int i = 0; i < BATCH; i++) {
            free(b.env[i]);
        }
        free(b.msg);
        free(b.out);
    }
    printf("\n(ns per message; ratio = mqttseal / raw; target at 64 B: "
           "<= 1.30)\n\n");
    signed_rows(rounds);
    printf("overhead per message, 64-byte payload, key id 1:\n");
    printf("  seq 0: %zu B, seq 2^14: %zu B, seq 2^21-1: %zu B "
           "(target <= 36)\n",
           overhead(64, 0), overhead(64, 1U << 14),
           overhead(64, (1U << 21) - 1));
    printf("  16 KiB payload at seq 0: %zu B\n\n", overhead(16383, 0));
    printf("first seal on a new 5-level topic (derivation + cache insert): "
           "%.1f ns\n",
           derive_cost(rounds));
    printf("replay state: %zu B per tracked session at W=64, %zu B at "
           "W=1024;\n  10,000 sessions at W=64: %.1f KiB\n",
           mqttseal_replay_session_bytes(64),
           mqttseal_replay_session_bytes(1024),
           (double)mqttseal_replay_session_bytes(64) * 10000 / 1024.0);
    return 0;
}
