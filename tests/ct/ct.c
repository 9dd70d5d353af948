/*
 * Constant-time check in the style of ctgrind (A. Langley) as Monocypher
 * and libsecp256k1 use it: secrets are marked undefined with valgrind's
 * client requests, and memcheck then reports every conditional jump,
 * and every memory address, computed from them. Our code must produce
 * no such report: run-ct.sh runs this program under valgrind with
 * --error-exitcode, and ct.supp silences libsodium's internals only (by
 * object), never src/.
 *
 * Secret here: root, node and message keys, plaintexts, and the
 * ciphertext and tag handed to open. Public: topics, key ids, lengths,
 * the header, and whether a tag verified (its outcome is what open
 * returns). Every output is marked defined again before it is checked.
 *
 * Run natively (no valgrind) it still checks that every call works, but
 * proves nothing about timing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>

#include "keyring.h"
#include "mqttseal/mqttseal.h"
#include "topic.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);         \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

static void secret(const void *p, size_t n)
{
    (void)VALGRIND_MAKE_MEM_UNDEFINED(p, n);
}

static void public(const void *p, size_t n)
{
    (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
}

static unsigned long wrapped_decrypts, wrapped_rids;

/*
 * The one place where a secret-derived value is published on purpose:
 * whether a tag verified, which mqttseal_open reports (E_AUTH or not).
 * libsodium returns that bit from crypto_verify_16 through its AEAD
 * decryption call (ChaCha20-Poly1305-IETF under the session subkey,
 * docs/FORMAT.md section 3), so its return value is marked defined here, with
 * valgrind's function wrapping (valgrind.h, "Function wrapping"), at the
 * boundary between libsodium and our code. Nothing else is declassified:
 * the plaintext it writes, and everything our code computes from keys,
 * stay secret. (In the library itself this would be a declassify hook
 * after the call, as BoringSSL's CONSTTIME_DECLASSIFY does.)
 */
int I_WRAP_SONAME_FNNAME_ZU(libsodiumZdsoZa,
                            crypto_aead_chacha20poly1305_ietf_decrypt)(
    unsigned char *m, unsigned long long *mlen_p, unsigned char *nsec,
    const unsigned char *c, unsigned long long clen, const unsigned char *ad,
    unsigned long long adlen, const unsigned char *npub,
    const unsigned char *k);

int I_WRAP_SONAME_FNNAME_ZU(libsodiumZdsoZa,
                            crypto_aead_chacha20poly1305_ietf_decrypt)(
    unsigned char *m, unsigned long long *mlen_p, unsigned char *nsec,
    const unsigned char *c, unsigned long long clen, const unsigned char *ad,
    unsigned long long adlen, const unsigned char *npub, const unsigned char *k)
{
    OrigFn fn;
    int verified;

    VALGRIND_GET_ORIG_FN(fn);
    CALL_FN_W_9W(verified, fn, m, mlen_p, nsec, c, clen, ad, adlen, npub, k);
    public(&verified, sizeof verified);
    wrapped_decrypts++;
    return verified;
}

/*
 * The second: a session's replay id (docs/FORMAT.md section 9), a keyed
 * hash of the public session id that the replay state, its files and
 * Redis keep in the clear by design. Publishing it tells nothing of the
 * key (BLAKE2b is a PRF); the replay tables then index by it.
 */
void I_WRAP_SONAME_FNNAME_ZU(NONE, ms_replay_id)(
    unsigned char rid[MQTTSEAL_SESSIONIDBYTES],
    const unsigned char key[MQTTSEAL_KEYBYTES],
    const unsigned char sid[MQTTSEAL_SESSIONIDBYTES]);

void I_WRAP_SONAME_FNNAME_ZU(NONE, ms_replay_id)(
    unsigned char rid[MQTTSEAL_SESSIONIDBYTES],
    const unsigned char key[MQTTSEAL_KEYBYTES],
    const unsigned char sid[MQTTSEAL_SESSIONIDBYTES])
{
    OrigFn fn;

    VALGRIND_GET_ORIG_FN(fn);
    CALL_FN_v_WWW(fn, rid, key, sid);
    public(rid, MQTTSEAL_SESSIONIDBYTES);
    wrapped_rids++;
}

static void kdf(void)
{
    unsigned char root[MQTTSEAL_KEYBYTES], node[MQTTSEAL_KEYBYTES];
    unsigned char a[MQTTSEAL_KEYBYTES], b[MQTTSEAL_KEYBYTES];
    static const char t[] = "site/a//x/$y";

    randombytes_buf(root, sizeof root);
    secret(root, sizeof root);
    ms_kdf_topic(a, root, MS_FILTER_ALL, 0, t, sizeof t - 1);
    ms_kdf_node(node, root, MS_FILTER_ALL, 0, "site/a", 6);
    ms_kdf_topic(b, node, MS_FILTER_SUBTREE, 6, t, sizeof t - 1);
    ms_kdf_child(node, root, (const unsigned char *)"x", 1);
    ms_kdf_message(node, node);
    public(a, sizeof a);
    public(b, sizeof b);
    CHECK(memcmp(a, b, sizeof a) == 0);
}

/* A keyring whose every key is secret: a root key, and a subtree and an
 * exact grant derived from it. */
static mqttseal_keyring *secret_keyring(void)
{
    mqttseal_keyring *kr = NULL, *src = NULL;
    unsigned char root[MQTTSEAL_KEYBYTES];

    randombytes_buf(root, sizeof root);
    secret(root, sizeof root);
    CHECK(mqttseal_keyring_new(&src) == MQTTSEAL_OK);
    CHECK(mqttseal_keyring_add(src, 1, "#", root, 0) == MQTTSEAL_OK);
    CHECK(mqttseal_keyring_new(&kr) == MQTTSEAL_OK);
    CHECK(mqttseal_keyring_add(kr, 1, "#", root, 0) == MQTTSEAL_OK);
    CHECK(mqttseal_keyring_grant(kr, src, 1, "site/#") == MQTTSEAL_OK);
    CHECK(mqttseal_keyring_grant(kr, src, 1, "site/b/exact") == MQTTSEAL_OK);
    CHECK(mqttseal_keyring_set_primary(kr, 1) == MQTTSEAL_OK);
    mqttseal_keyring_free(src);
    sodium_memzero(root, sizeof root);
    return kr;
}

/* Seal a secret plaintext, open it (to a separate buffer and in place),
 * and open tampered copies and the wrong topic. */
static void seal_open(mqttseal_ctx *ctx, const char *topic, size_t len)
{
    size_t tlen = strlen(topic), env_len = 0, out_len = 0, hlen;
    unsigned char *msg = malloc(len + 1), *out = malloc(len + 1);
    unsigned char *env = malloc(MQTTSEAL_SEALED_BYTES(len));
    unsigned char *copy = malloc(MQTTSEAL_SEALED_BYTES(len));
    mqttseal_header h;

    CHECK(msg != NULL && out != NULL && env != NULL && copy != NULL);
    randombytes_buf(msg, len);
    secret(msg, len);
    CHECK(mqttseal_seal(ctx, env, MQTTSEAL_SEALED_BYTES(len), &env_len, topic,
                        tlen, msg, len) == MQTTSEAL_OK);
    CHECK(mqttseal_header_parse(&h, env, env_len) == MQTTSEAL_OK);
    hlen = h.header_len;
    /* What a receiver gets: a public header, secret ciphertext and tag. */
    secret(env + hlen, env_len - hlen);

    CHECK(mqttseal_open(ctx, out, len, &out_len, topic, tlen, env, env_len, 0,
                        NULL) == MQTTSEAL_OK);
    public(out, len);
    public(msg, len);
    CHECK(out_len == len && memcmp(out, msg, len) == 0);

    /* In place; the replay window has seen this one, so turn it off. */
    CHECK(mqttseal_ctx_set_replay(ctx, 0, 64, 1) == MQTTSEAL_OK);
    memcpy(copy, env, env_len);
    CHECK(mqttseal_open(ctx, copy, env_len, &out_len, topic, tlen, copy,
                        env_len, 0, NULL) == MQTTSEAL_OK);
    public(copy, len);
    CHECK(out_len == len && memcmp(copy, msg, len) == 0);

    /* A flipped tag bit and a flipped ciphertext bit: one error code. */
    memcpy(copy, env, env_len);
    copy[env_len - 1] ^= 1;
    CHECK(mqttseal_open(ctx, out, len, &out_len, topic, tlen, copy, env_len, 0,
                        NULL) == MQTTSEAL_E_AUTH);
    if (len > 0) {
        memcpy(copy, env, env_len);
        copy[hlen] ^= 0x80;
        CHECK(mqttseal_open(ctx, out, len, &out_len, topic, tlen, copy, env_len,
                            0, NULL) == MQTTSEAL_E_AUTH);
    }
    /* The right key id but another topic: a different key. */
    CHECK(mqttseal_open(ctx, out, len, &out_len, "site/other", 10, env, env_len,
                        0, NULL) == MQTTSEAL_E_AUTH);
    CHECK(mqttseal_ctx_set_replay(ctx, 1, 64, 16) == MQTTSEAL_OK);
    free(msg);
    free(out);
    free(env);
    free(copy);
}

/* The bits of base64 character c that must stay defined so that the
 * parser's separator tests (NUL, tab, LF, CR, space) are decided by
 * defined bits: everything else about the character is secret. A whole
 * byte cannot be secret: a tokenizer has to find where the key ends. */
static unsigned char public_bits(unsigned char c)
{
    static const unsigned char seps[] = {0x00, 0x09, 0x0a, 0x0d, 0x20};
    unsigned char keep = 0;

    for (size_t i = 0; i < sizeof seps; i++) {
        unsigned char d = (unsigned char)(c ^ seps[i]);
        if ((d & keep) == 0) {
            keep |= (unsigned char)(d & -d); /* lowest differing bit */
        }
    }
    return keep;
}

/* Mark the key field of every "key" line secret, bit by bit. */
static void secret_key_fields(char *text, size_t len)
{
    char *line = text;

    while (line < text + len) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        char *end = nl != NULL ? nl : text + len;
        if (strncmp(line, "key ", 4) == 0) {
            char *k = line + 4;
            for (int f = 0; f < 2; f++) { /* skip id and filter */
                k = memchr(k, ' ', (size_t)(end - k));
                CHECK(k != NULL);
                k++;
            }
            for (size_t i = 0; i < 44; i++) {
                unsigned char vbits =
                    (unsigned char)~public_bits((unsigned char)k[i]);
                /* memcheck: a V bit of 1 means undefined. */
                /* 1: done; 0: not running under valgrind. */
                CHECK(VALGRIND_SET_VBITS(k + i, &vbits, 1) ==
                      (RUNNING_ON_VALGRIND ? 1 : 0));
            }
        }
        line = end + 1;
    }
}

/* Keyring text: base64 encoding of secret keys (to_string) and decoding
 * of secret base64 (load_string). */
static void keyring_text(const mqttseal_keyring *kr)
{
    char text[1024];
    size_t len = 0, len2 = 0;
    mqttseal_keyring *back = NULL;
    char *again = malloc(sizeof text);
    mqttseal_diag diag;

    CHECK(again != NULL);
    CHECK(mqttseal_keyring_to_string(kr, text, sizeof text, &len) ==
          MQTTSEAL_OK);
    public(text, len);
    secret_key_fields(text, len);
    CHECK(mqttseal_keyring_load_string(&back, text, len, &diag) == MQTTSEAL_OK);
    CHECK(mqttseal_keyring_count(back) == mqttseal_keyring_count(kr));
    CHECK(mqttseal_keyring_to_string(back, again, sizeof text, &len2) ==
          MQTTSEAL_OK);
    public(text, len);
    public(again, len2);
    CHECK(len == len2 && memcmp(text, again, len) == 0);
    mqttseal_keyring_free(back);
    sodium_memzero(text, sizeof text);
    sodium_memzero(again, sizeof text);
    free(again);
}

/* A forged message from a session this receiver has not seen costs the
 * subkey and the AEAD, and no replay id: that hash runs only after the
 * tag verified (counted by the wrapper, so only under valgrind). */
static void forged_costs_no_replay_id(const mqttseal_keyring *kr)
{
    mqttseal_ctx *tx = NULL, *rx = NULL;
    unsigned char env[128], out[64];
    size_t n = 0, m = 0;
    unsigned long before;

    CHECK(mqttseal_ctx_new(&tx, kr) == MQTTSEAL_OK);
    CHECK(mqttseal_ctx_new(&rx, kr) == MQTTSEAL_OK);
    CHECK(mqttseal_seal(tx, env, sizeof env, &n, "site/a/t", 8,
                        (const unsigned char *)"21.5", 4) == MQTTSEAL_OK);
    secret(env + n - 20, 20);
    env[n - 1] ^= 1;
    before = wrapped_rids;
    CHECK(mqttseal_open(rx, out, sizeof out, &m, "site/a/t", 8, env, n, 0,
                        NULL) == MQTTSEAL_E_AUTH);
    CHECK(wrapped_rids == before);
    env[n - 1] ^= 1;
    CHECK(mqttseal_open(rx, out, sizeof out, &m, "site/a/t", 8, env, n, 0,
                        NULL) == MQTTSEAL_OK);
    CHECK(!RUNNING_ON_VALGRIND || wrapped_rids == before + 1);
    mqttseal_ctx_free(rx);
    mqttseal_ctx_free(tx);
}

int main(void)
{
    static const size_t lens[] = {0, 1, 15, 16, 17, 63, 64, 65, 1000};
    mqttseal_keyring *kr;
    mqttseal_ctx *ctx = NULL;

    CHECK(mqttseal_init() == MQTTSEAL_OK);
    kdf();
    kr = secret_keyring();
    CHECK(mqttseal_ctx_new(&ctx, kr) == MQTTSEAL_OK);
    CHECK(mqttseal_ctx_set_timestamps(ctx, 1) == MQTTSEAL_OK);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        seal_open(ctx, "site/a/temp", lens[i]);  /* under site/# */
        seal_open(ctx, "site/b/exact", lens[i]); /* exact grant */
        seal_open(ctx, "elsewhere/x", lens[i]);  /* root key */
    }
    keyring_text(kr);
    forged_costs_no_replay_id(kr);
    mqttseal_ctx_free(ctx);
    mqttseal_keyring_free(kr);
    /* Under valgrind every open must have gone through the wrapper, or
     * the check above proved less than it claims. */
    CHECK(!RUNNING_ON_VALGRIND || wrapped_decrypts > 0);
    CHECK(!RUNNING_ON_VALGRIND || wrapped_rids > 0);
    printf("ct: %s\n", RUNNING_ON_VALGRIND ? "ran under valgrind"
                                           : "ran natively (no timing check)");
    return 0;
}
