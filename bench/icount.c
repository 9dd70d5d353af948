/*
 * Instructions per operation, for valgrind --tool=callgrind (the machine
 * is noisy; instruction counts are not). One run of this program does
 * one operation `n` times inside icount_loop(); bench/icount.sh runs it
 * under callgrind with --toggle-collect=icount_loop for every operation
 * and size, divides by n and prints the ratios.
 *
 *   bench/icount OP SIZE N
 *   OP: raw-x-seal raw-x-open   crypto_aead_xchacha20poly1305_ietf_*
 *       raw-c-seal raw-c-open   crypto_aead_chacha20poly1305_ietf_*
 *       seal open open-noreplay mqttseal on one cached topic
 *       raw-sign raw-verify     crypto_sign_detached / _verify_detached
 *                               over the bytes a signed seal signs
 *       signed-seal signed-open mqttseal with a signer / a trust list
 *
 * Every raw call authenticates the topic name as associated data, the
 * least any scheme that binds the topic must MAC. Opens use envelopes
 * sealed beforehand (distinct sequence numbers, so that replay
 * protection accepts each once); only the loop is counted.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqttseal/mqttseal.h"

#define TOPIC "site/a/line1/press"
#define TLEN (sizeof TOPIC - 1)

enum op {
    RAW_X_SEAL,
    RAW_X_OPEN,
    RAW_C_SEAL,
    RAW_C_OPEN,
    SEAL,
    OPEN,
    RAW_SIGN,
    RAW_VERIFY,
    SIGNED_SEAL,
    SIGNED_OPEN
};

static const char *const op_names[] = {
    "raw-x-seal", "raw-x-open", "raw-c-seal", "raw-c-open",  "seal",
    "open",       "raw-sign",   "raw-verify", "signed-seal", "signed-open"};

typedef struct job {
    enum op op;
    size_t size, n;
    unsigned char key[32];
    unsigned char *msg, *out, **env;
    size_t *env_len;
    mqttseal_ctx *tx, *rx;
    /* Signatures: the Ed25519 key pair, and the message a signed seal
     * of this size signs (domain, a 17-byte header, topic, id, payload). */
    unsigned char pk[32], sk[64], sig[64];
    unsigned char *m;
    size_t m_len;
} job;

static void die(const char *what)
{
    fprintf(stderr, "icount: %s\n", what);
    exit(2);
}

static mqttseal_ctx *make_ctx(const unsigned char key[32])
{
    mqttseal_keyring *kr = NULL;
    mqttseal_ctx *ctx = NULL;

    if (mqttseal_keyring_new(&kr) != MQTTSEAL_OK ||
        mqttseal_keyring_add(kr, 1, "#", key, 0) != MQTTSEAL_OK ||
        mqttseal_keyring_set_primary(kr, 1) != MQTTSEAL_OK ||
        mqttseal_ctx_new(&ctx, kr) != MQTTSEAL_OK) {
        die("context");
    }
    mqttseal_keyring_free(kr);
    return ctx;
}

static void nonce_of(unsigned char *nonce, size_t len, uint64_t i)
{
    memset(nonce, 0, len);
    memcpy(nonce + len - sizeof i, &i, sizeof i);
}

static int raw_x(job *j, size_t i, int seal)
{
    unsigned char nonce[24];
    unsigned long long n = 0;

    nonce_of(nonce, sizeof nonce, i);
    if (seal) {
        return crypto_aead_xchacha20poly1305_ietf_encrypt(
            j->out, &n, j->msg, j->size, (const unsigned char *)TOPIC, TLEN,
            NULL, nonce, j->key);
    }
    return crypto_aead_xchacha20poly1305_ietf_decrypt(
        j->out, &n, NULL, j->env[i], j->env_len[i],
        (const unsigned char *)TOPIC, TLEN, nonce, j->key);
}

static int raw_c(job *j, size_t i, int seal)
{
    unsigned char nonce[12];
    unsigned long long n = 0;

    nonce_of(nonce, sizeof nonce, i);
    if (seal) {
        return crypto_aead_chacha20poly1305_ietf_encrypt(
            j->out, &n, j->msg, j->size, (const unsigned char *)TOPIC, TLEN,
            NULL, nonce, j->key);
    }
    return crypto_aead_chacha20poly1305_ietf_decrypt(
        j->out, &n, NULL, j->env[i], j->env_len[i],
        (const unsigned char *)TOPIC, TLEN, nonce, j->key);
}

static int one(job *j, size_t i)
{
    size_t len = 0;

    switch (j->op) {
    case RAW_SIGN:
        return crypto_sign_detached(j->sig, NULL, j->m, j->m_len, j->sk);
    case RAW_VERIFY:
        return crypto_sign_verify_detached(j->sig, j->m, j->m_len, j->pk);
    case SIGNED_OPEN:
        return mqttseal_open(j->rx, j->out, j->size + 72, &len, TOPIC, TLEN,
                             j->env[i], j->env_len[i], 0, NULL);
    case RAW_X_SEAL:
    case RAW_X_OPEN:
        return raw_x(j, i, j->op == RAW_X_SEAL);
    case RAW_C_SEAL:
    case RAW_C_OPEN:
        return raw_c(j, i, j->op == RAW_C_SEAL);
    case SEAL:
    case SIGNED_SEAL:
        return mqttseal_seal(j->tx, j->out, j->size + MQTTSEAL_OVERHEAD_MAX,
                             &len, TOPIC, TLEN, j->msg, j->size);
    default:
        return mqttseal_open(j->rx, j->out, j->size, &len, TOPIC, TLEN,
                             j->env[i], j->env_len[i], 0, NULL);
    }
}

/* What callgrind counts (--toggle-collect=icount_loop). */
__attribute__((noinline)) int icount_loop(job *j);
__attribute__((noinline)) int icount_loop(job *j)
{
    int bad = 0;

    for (size_t i = 0; i < j->n; i++) {
        bad |= one(j, i);
    }
    return bad;
}

/* Envelopes for the open operations, sealed before counting starts. */
static void prepare(job *j)
{
    int raw = j->op != OPEN && j->op != SIGNED_OPEN;

    j->env = calloc(j->n, sizeof *j->env);
    j->env_len = calloc(j->n, sizeof *j->env_len);
    if (j->env == NULL || j->env_len == NULL) {
        die("memory");
    }
    for (size_t i = 0; i < j->n; i++) {
        unsigned long long n = 0;
        unsigned char nonce[24];
        j->env[i] = malloc(j->size + MQTTSEAL_OVERHEAD_MAX);
        if (j->env[i] == NULL) {
            die("memory");
        }
        if (j->op == RAW_X_OPEN) {
            nonce_of(nonce, 24, i);
            crypto_aead_xchacha20poly1305_ietf_encrypt(
                j->env[i], &n, j->msg, j->size, (const unsigned char *)TOPIC,
                TLEN, NULL, nonce, j->key);
        } else if (raw) {
            nonce_of(nonce, 12, i);
            crypto_aead_chacha20poly1305_ietf_encrypt(
                j->env[i], &n, j->msg, j->size, (const unsigned char *)TOPIC,
                TLEN, NULL, nonce, j->key);
        } else if (mqttseal_seal(j->tx, j->env[i],
                                 j->size + MQTTSEAL_OVERHEAD_MAX,
                                 &j->env_len[i], TOPIC, TLEN, j->msg,
                                 j->size) != MQTTSEAL_OK) {
            die("seal");
        }
        if (raw) {
            j->env_len[i] = (size_t)n;
        }
    }
}

/* One open first, so that the receiver's key cache is warm. */
static void warm_up(job *j)
{
    unsigned char e[MQTTSEAL_OVERHEAD_MAX], o[MQTTSEAL_OVERHEAD_MAX];
    size_t el = 0, ol = 0;

    if (mqttseal_seal(j->tx, e, sizeof e, &el, TOPIC, TLEN, j->msg, 0) ||
        mqttseal_open(j->rx, o, sizeof o, &ol, TOPIC, TLEN, e, el, 0, NULL)) {
        die("warm-up");
    }
}

static int parse_op(job *j, const char *name)
{
    for (size_t k = 0; k < sizeof op_names / sizeof op_names[0]; k++) {
        if (strcmp(name, op_names[k]) == 0) {
            j->op = (enum op)k;
            return 0;
        }
    }
    if (strcmp(name, "open-noreplay") == 0) {
        j->op = OPEN;
        return mqttseal_ctx_set_replay(j->rx, 0, 64, 1);
    }
    return -1;
}

/* The signer on the sealing side, the trust list on the opening side,
 * and the message and signature the raw operations use. */
static void signing(job *j)
{
    static const unsigned char seed[32] = {0x11};
    static const char *const all[] = {"#"};
    mqttseal_signer *s = NULL;
    mqttseal_trust *t = NULL;

    crypto_sign_seed_keypair(j->pk, j->sk, seed);
    if (mqttseal_signer_from_seed(&s, seed) != MQTTSEAL_OK ||
        mqttseal_trust_new(&t) != MQTTSEAL_OK ||
        mqttseal_trust_add(t, "bench", j->pk, all, 1, 0) != MQTTSEAL_OK ||
        mqttseal_ctx_set_signer(j->tx, s) != MQTTSEAL_OK ||
        mqttseal_ctx_set_trust(j->rx, t) != MQTTSEAL_OK) {
        die("signer");
    }
    mqttseal_signer_free(s);
    mqttseal_trust_free(t);
    j->m_len = 15 + 17 + 2 + TLEN + 8 + j->size;
    if ((j->m = calloc(1, j->m_len)) == NULL) {
        die("memory");
    }
    memcpy(j->m, "mqttseal/sig/v1", 15);
    memcpy(j->m + 34, TOPIC, TLEN);
    crypto_sign_detached(j->sig, NULL, j->m, j->m_len, j->sk);
}

int main(int argc, char **argv)
{
    job j;

    if (argc != 4 || sodium_init() < 0) {
        fprintf(stderr, "usage: icount OP SIZE N\n");
        return 2;
    }
    memset(&j, 0, sizeof j);
    j.size = strtoul(argv[2], NULL, 10);
    j.n = strtoul(argv[3], NULL, 10);
    memset(j.key, 0x42, sizeof j.key);
    j.msg = calloc(1, j.size + 1);
    j.out = malloc(j.size + MQTTSEAL_OVERHEAD_MAX);
    if (j.msg == NULL || j.out == NULL || j.n == 0) {
        die("memory or n");
    }
    j.tx = make_ctx(j.key);
    j.rx = make_ctx(j.key);
    if (parse_op(&j, argv[1]) != 0) {
        die("unknown operation");
    }
    signing(&j);
    if (j.op != SIGNED_SEAL && j.op != SIGNED_OPEN) {
        mqttseal_ctx_set_signer(j.tx, NULL);
    }
    warm_up(&j);
    if (j.op == RAW_X_OPEN || j.op == RAW_C_OPEN || j.op == OPEN ||
        j.op == SIGNED_OPEN) {
        prepare(&j);
    }
    if (icount_loop(&j) != 0) {
        die("an operation failed");
    }
    return 0;
}
