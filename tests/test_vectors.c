/*
 * Known-answer vectors (tests/vectors/): the library must reproduce every
 * envelope byte for byte and open it; the keys and the AEAD are also
 * recomputed here directly from libsodium, following docs/FORMAT.md rather
 * than our code, so a vector that drifted with the code would fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "clock.h"
#include "ctx.h"
#include "mqttseal/mqttseal.h"
#include "replay.h"

#define MAXV 128
#define FIELD 48

typedef struct field {
    char key[32];
    char *value;
} field;

typedef struct vector {
    field f[FIELD];
    int n;
} vector;

static vector vecs[MAXV];
static int nvecs;

static const char *get(const vector *v, const char *key)
{
    for (int i = 0; i < v->n; i++) {
        if (strcmp(v->f[i].key, key) == 0) {
            return v->f[i].value;
        }
    }
    return NULL;
}

static size_t unhex(unsigned char **out, const char *h)
{
    size_t n = strlen(h) / 2, bin_len = 0;

    *out = malloc(n + 1);
    assert_non_null(*out);
    assert_int_equal(
        sodium_hex2bin(*out, n + 1, h, strlen(h), NULL, &bin_len, NULL), 0);
    assert_int_equal(bin_len, n);
    return n;
}

static void add_line(char *line)
{
    vector *v = &vecs[nvecs - 1];
    char *eq = strstr(line, " = ");

    assert_non_null(eq);
    assert_true(v->n < FIELD);
    *eq = '\0';
    snprintf(v->f[v->n].key, sizeof v->f[v->n].key, "%s", line);
    v->f[v->n].value = strdup(eq + 3);
    v->n++;
}

static void load(const char *file)
{
    char path[512], *line = NULL;
    size_t cap = 0;
    ssize_t len;
    FILE *fp;

    snprintf(path, sizeof path, "%s/%s", MQTTSEAL_VECTORS_DIR, file);
    fp = fopen(path, "r");
    assert_non_null(fp);
    nvecs = 0;
    while ((len = getline(&line, &cap, fp)) >= 0) {
        if (len > 0 && line[len - 1] == '\n') {
            line[--len] = '\0';
        }
        if (len == 0 || line[0] == '#') {
            continue;
        }
        if (strncmp(line, "name = ", 7) == 0) {
            assert_true(nvecs < MAXV);
            vecs[nvecs++].n = 0;
        }
        add_line(line);
    }
    free(line);
    fclose(fp);
    assert_true(nvecs > 0);
}

static void unload(void)
{
    for (int i = 0; i < nvecs; i++) {
        for (int j = 0; j < vecs[i].n; j++) {
            free(vecs[i].f[j].value);
        }
    }
    nvecs = 0;
}

static void kdf(unsigned char out[32], const unsigned char key[32],
                const char *personal, const unsigned char *in, size_t n)
{
    static const unsigned char salt[16];

    assert_int_equal(
        crypto_generichash_blake2b_salt_personal(
            out, 32, in, n, key, 32, salt, (const unsigned char *)personal),
        0);
}

/* Node keys and message key straight from FORMAT.md section 5. */
static void check_keys(const vector *v, const unsigned char *topic, size_t tlen,
                       unsigned char mkey[32])
{
    unsigned char node[32], *root, *want, in[2 + 700];
    const char *nodes = get(v, "node_keys");
    size_t start = 0, lvl = 0;

    assert_int_equal(unhex(&root, get(v, "root_key")), 32);
    memcpy(node, root, 32);
    for (size_t i = 0; i <= tlen; i++) {
        if (i == tlen || topic[i] == '/') {
            size_t l = i - start;

            in[0] = (unsigned char)(l >> 8);
            in[1] = (unsigned char)l;
            memcpy(in + 2, topic + start, l);
            kdf(node, node, "mqttseal-node-v1", in, l + 2);
            assert_true(strlen(nodes) >= (lvl + 1) * 65 - 1);
            {
                char h[65];
                sodium_bin2hex(h, sizeof h, node, 32);
                assert_memory_equal(h, nodes + lvl * 65, 64);
            }
            lvl++;
            start = i + 1;
        }
    }
    kdf(mkey, node, "mqttseal-msgk-v1", (const unsigned char *)"\x01", 1);
    assert_int_equal(unhex(&want, get(v, "message_key")), 32);
    assert_memory_equal(mkey, want, 32);
    free(root);
    free(want);
}

/* Decrypts with raw libsodium XChaCha20-Poly1305, using FORMAT.md's
 * nonce and AD layout: the library's session subkey must give exactly
 * XChaCha20-Poly1305 with the nonce sid || 0^4 || u64le(seq). */
static void check_raw_aead(const unsigned char *env, size_t n,
                           const unsigned char *topic, size_t tlen,
                           const unsigned char mkey[32],
                           const unsigned char *pt, size_t ptlen)
{
    mqttseal_header h;
    unsigned char nonce[24] = {0}, *ad, *out = malloc(ptlen + 1);
    size_t adlen;

    assert_int_equal(mqttseal_header_parse(&h, env, n), MQTTSEAL_OK);
    memcpy(nonce, h.session_id, 12);
    for (int i = 0; i < 8; i++) {
        nonce[16 + i] = (unsigned char)(h.seq >> (8 * i));
    }
    adlen = 11 + h.header_len + 2 + tlen;
    ad = malloc(adlen);
    memcpy(ad, "mqttseal/v1", 11);
    memcpy(ad + 11, env, h.header_len);
    ad[11 + h.header_len] = (unsigned char)(tlen >> 8);
    ad[12 + h.header_len] = (unsigned char)tlen;
    memcpy(ad + 13 + h.header_len, topic, tlen);
    assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(
                         out, NULL, NULL, env + h.header_len, n - h.header_len,
                         ad, adlen, nonce, mkey),
                     0);
    assert_memory_equal(out, pt, ptlen);
    free(ad);
    free(out);
}

static mqttseal_ctx *ctx_for(const vector *v, uint32_t id)
{
    unsigned char *root;
    mqttseal_keyring *kr = NULL;
    mqttseal_ctx *ctx = NULL;

    assert_int_equal(unhex(&root, get(v, "root_key")), 32);
    assert_int_equal(mqttseal_keyring_new(&kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_add(kr, id, "#", root, 0), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_new(&ctx, kr), MQTTSEAL_OK);
    mqttseal_keyring_free(kr);
    free(root);
    return ctx;
}

/* The session's replay id, straight from FORMAT.md section 9 and from
 * the library. */
static void check_replay_id(const vector *v, const unsigned char mkey[32],
                            const unsigned char sid[12])
{
    static const char dom[] = "mqttseal-rid-v1";
    unsigned char in[sizeof dom - 1 + 12], h[16], lib[12], *want;

    memcpy(in, dom, sizeof dom - 1);
    memcpy(in + sizeof dom - 1, sid, 12);
    crypto_generichash(h, sizeof h, in, sizeof in, mkey, 32);
    ms_replay_id(lib, mkey, sid);
    assert_int_equal(unhex(&want, get(v, "replay_id")), 12);
    assert_memory_equal(h, want, 12);
    assert_memory_equal(lib, want, 12);
    free(want);
}

static void reproduce(const vector *v)
{
    unsigned char *topic, *pt, *env, *sid, *out, mkey[32];
    size_t tlen = unhex(&topic, get(v, "topic"));
    size_t ptlen = unhex(&pt, get(v, "plaintext"));
    size_t elen = unhex(&env, get(v, "envelope")), n = 0, m = 0;
    mqttseal_ctx *ctx =
        ctx_for(v, (uint32_t)strtoul(get(v, "key_id"), NULL, 10));
    mqttseal_header h;

    memset(&h, 0, sizeof h);
    h.key_id = (uint32_t)strtoul(get(v, "key_id"), NULL, 10);
    assert_int_equal(unhex(&sid, get(v, "session_id")), 12);
    memcpy(h.session_id, sid, 12);
    h.seq = strtoull(get(v, "seq"), NULL, 10);
    h.has_timestamp = get(v, "timestamp_ms") != NULL;
    h.timestamp_ms =
        h.has_timestamp ? strtoull(get(v, "timestamp_ms"), NULL, 10) : 0;
    h.sealed_retained = get(v, "sealed_retained") != NULL;
    out = malloc(elen + 8);
    memset(out, 0xCC, elen + 8);
    assert_int_equal(ms_test_seal_fields(ctx, out, elen, &n,
                                         (const char *)topic, tlen, pt, ptlen,
                                         &h),
                     MQTTSEAL_OK);
    assert_int_equal(n, elen);
    assert_memory_equal(out, env, elen);
    assert_int_equal(out[elen], 0xCC);
    check_keys(v, topic, tlen, mkey);
    check_replay_id(v, mkey, sid);
    check_raw_aead(env, elen, topic, tlen, mkey, pt, ptlen);
    assert_int_equal(mqttseal_open(ctx, out, elen, &m, (const char *)topic,
                                   tlen, env, elen, 0, NULL),
                     MQTTSEAL_OK);
    assert_int_equal(m, ptlen);
    assert_memory_equal(out, pt, ptlen);
    assert_int_equal(mqttseal_header_parse(&h, env, elen), MQTTSEAL_OK);
    assert_int_equal(env[1],
                     (h.has_timestamp ? 1 : 0) | (h.sealed_retained ? 2 : 0));
    assert_int_equal(h.sealed_retained, get(v, "sealed_retained") != NULL);
    mqttseal_ctx_free(ctx);
    free(topic), free(pt), free(env), free(sid), free(out);
}

static void envelopes(void **state)
{
    (void)state;
    load("envelopes.txt");
    assert_true(nvecs >= 21);
    for (int i = 0; i < nvecs; i++) {
        print_message("vector %s\n", get(&vecs[i], "name"));
        reproduce(&vecs[i]);
    }
    unload();
}

static int error_code(const char *name)
{
    static const struct {
        const char *name;
        int code;
    } map[] = {{"OK", MQTTSEAL_OK},
               {"E_TRUNCATED", MQTTSEAL_E_TRUNCATED},
               {"E_TRAILING", MQTTSEAL_E_TRAILING},
               {"E_VERSION", MQTTSEAL_E_VERSION},
               {"E_SUITE", MQTTSEAL_E_SUITE},
               {"E_NOT_SEALED", MQTTSEAL_E_NOT_SEALED},
               {"E_RESERVED", MQTTSEAL_E_RESERVED},
               {"E_VARINT", MQTTSEAL_E_VARINT},
               {"E_OVERSIZE", MQTTSEAL_E_OVERSIZE},
               {"E_TOPIC_EMPTY", MQTTSEAL_E_TOPIC_EMPTY},
               {"E_TOPIC_INVALID", MQTTSEAL_E_TOPIC_INVALID},
               {"E_UNKNOWN_KEY", MQTTSEAL_E_UNKNOWN_KEY},
               {"E_NO_GRANT", MQTTSEAL_E_NO_GRANT},
               {"E_KEY_EXPIRED", MQTTSEAL_E_KEY_EXPIRED},
               {"E_AUTH", MQTTSEAL_E_AUTH},
               {"E_SIG_REQUIRED", MQTTSEAL_E_SIG_REQUIRED},
               {"E_SIGNER_UNKNOWN", MQTTSEAL_E_SIGNER_UNKNOWN},
               {"E_SIGNER_NOT_GRANTED", MQTTSEAL_E_SIGNER_NOT_GRANTED},
               {"E_SIGNER_EXPIRED", MQTTSEAL_E_SIGNER_EXPIRED},
               {"E_SIGNATURE", MQTTSEAL_E_SIGNATURE}};

    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(map[i].name, name) == 0) {
            return map[i].code;
        }
    }
    fail_msg("unknown error name %s", name);
    return -1;
}

/* A vector with a keyring (text, in hex) is opened under it with the
 * clock at now_ms; one without, under root_key granted '#' as key id 1. */
static mqttseal_ctx *ctx_for_malformed(const vector *v)
{
    unsigned char *text;
    size_t n;
    mqttseal_keyring *kr = NULL;
    mqttseal_ctx *ctx = NULL;
    mqttseal_diag diag;

    if (get(v, "keyring") == NULL) {
        ms_clock_set_fake(0);
        return ctx_for(v, 1);
    }
    n = unhex(&text, get(v, "keyring"));
    assert_int_equal(
        mqttseal_keyring_load_string(&kr, (const char *)text, n, &diag),
        MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_new(&ctx, kr), MQTTSEAL_OK);
    assert_non_null(get(v, "now_ms"));
    ms_clock_set_fake(strtoull(get(v, "now_ms"), NULL, 10));
    mqttseal_keyring_free(kr);
    free(text);
    return ctx;
}

static void malformed(void **state)
{
    (void)state;
    load("malformed.txt");
    assert_true(nvecs >= 65);
    for (int i = 0; i < nvecs; i++) {
        const vector *v = &vecs[i];
        unsigned char *topic, *env, out[256];
        size_t tlen = unhex(&topic, get(v, "topic"));
        size_t elen = unhex(&env, get(v, "envelope")), m = 0;
        mqttseal_ctx *ctx = ctx_for_malformed(v);

        print_message("vector %s\n", get(v, "name"));
        assert_int_equal(mqttseal_open(ctx, out, sizeof out, &m,
                                       (const char *)topic, tlen, env, elen, 0,
                                       NULL),
                         error_code(get(v, "error")));
        ms_clock_set_fake(0);
        mqttseal_ctx_free(ctx);
        free(topic);
        free(env);
    }
    unload();
}

/* A signed vector's receiver: root_key granted '#' as key_id, the trust
 * list 'trust' (text in hex; none without it), the clock at now_ms. */
static mqttseal_ctx *ctx_for_signed(const vector *v)
{
    mqttseal_ctx *ctx =
        ctx_for(v, (uint32_t)strtoul(get(v, "key_id"), NULL, 10));
    mqttseal_trust *t = NULL;
    mqttseal_diag diag;
    unsigned char *text;
    size_t n;

    if (get(v, "trust") != NULL) {
        n = unhex(&text, get(v, "trust"));
        assert_int_equal(
            mqttseal_trust_load_string(&t, (const char *)text, n, &diag),
            MQTTSEAL_OK);
        assert_int_equal(mqttseal_ctx_set_trust(ctx, t), MQTTSEAL_OK);
        mqttseal_trust_free(t);
        free(text);
    }
    ms_clock_set_fake(strtoull(get(v, "now_ms"), NULL, 10));
    return ctx;
}

/* The signer from its seed, checked against the vector's public key and
 * id, which are recomputed from section 14 with raw libsodium. */
static mqttseal_signer *check_signer(const vector *v, unsigned char id[8])
{
    unsigned char *seed, *pk, *want_id, raw_pk[32], sk[64], h[32], got[32];
    mqttseal_signer *s = NULL;

    assert_int_equal(unhex(&seed, get(v, "signer_seed")), 32);
    assert_int_equal(unhex(&pk, get(v, "signer_public_key")), 32);
    assert_int_equal(unhex(&want_id, get(v, "signer_id")), 8);
    crypto_sign_seed_keypair(raw_pk, sk, seed);
    assert_memory_equal(raw_pk, pk, 32);
    crypto_generichash(h, sizeof h, pk, 32, NULL, 0);
    assert_memory_equal(h, want_id, 8);
    assert_int_equal(mqttseal_signer_from_seed(&s, seed), MQTTSEAL_OK);
    mqttseal_signer_public_key(s, got);
    assert_memory_equal(got, pk, 32);
    mqttseal_signer_id(s, id);
    assert_memory_equal(id, want_id, 8);
    sodium_memzero(sk, sizeof sk);
    free(seed), free(pk), free(want_id);
    return s;
}

/* The inner (returned, malloc'd) is signer_id || payload || signature,
 * and the signature verifies over domain || header || u16be(topic_len)
 * || topic || signer_id || payload (section 14), with raw libsodium. */
static unsigned char *signed_inner(const vector *v, const unsigned char *env,
                                   size_t elen, const unsigned char *topic,
                                   size_t tlen, const unsigned char *pt,
                                   size_t ptlen)
{
    unsigned char *sig, *pk, *id, *inner = malloc(ptlen + 72);
    unsigned char *m = malloc(15 + 42 + 2 + tlen + 8 + ptlen);
    mqttseal_header h;
    size_t n = 0;

    assert_int_equal(unhex(&sig, get(v, "signature")), 64);
    assert_int_equal(unhex(&pk, get(v, "signer_public_key")), 32);
    assert_int_equal(unhex(&id, get(v, "signer_id")), 8);
    assert_int_equal(mqttseal_header_parse(&h, env, elen), MQTTSEAL_OK);
    assert_int_equal(elen, h.header_len + ptlen + 72 + 16);
    memcpy(m, "mqttseal/sig/v1", 15);
    memcpy(m + 15, env, h.header_len);
    n = 15 + h.header_len;
    m[n++] = (unsigned char)(tlen >> 8);
    m[n++] = (unsigned char)tlen;
    memcpy(m + n, topic, tlen);
    memcpy(m + n + tlen, id, 8);
    memcpy(m + n + tlen + 8, pt, ptlen);
    n += tlen + 8 + ptlen;
    assert_int_equal(crypto_sign_verify_detached(sig, m, n, pk), 0);
    memcpy(inner, id, 8);
    memcpy(inner + 8, pt, ptlen);
    memcpy(inner + 8 + ptlen, sig, 64);
    free(sig), free(pk), free(id), free(m);
    return inner;
}

/* A positive signed vector: sealed again by the library with the
 * signer of signer_seed, byte for byte; its AEAD plaintext is the inner
 * of section 14; it opens to the payload, naming the signer. */
static void reproduce_signed(const vector *v)
{
    unsigned char *topic, *pt, *env, *sid, *out, *inner, id[8], mkey[32];
    size_t tlen = unhex(&topic, get(v, "topic"));
    size_t ptlen = unhex(&pt, get(v, "plaintext"));
    size_t elen = unhex(&env, get(v, "envelope")), n = 0, m = 0;
    mqttseal_ctx *ctx = ctx_for_signed(v);
    mqttseal_signer *s = check_signer(v, id);
    mqttseal_header h;

    memset(&h, 0, sizeof h);
    h.key_id = (uint32_t)strtoul(get(v, "key_id"), NULL, 10);
    assert_int_equal(unhex(&sid, get(v, "session_id")), 12);
    memcpy(h.session_id, sid, 12);
    h.seq = strtoull(get(v, "seq"), NULL, 10);
    h.has_timestamp = get(v, "timestamp_ms") != NULL;
    h.timestamp_ms =
        h.has_timestamp ? strtoull(get(v, "timestamp_ms"), NULL, 10) : 0;
    h.sealed_retained = get(v, "sealed_retained") != NULL;
    h.is_signed = 1;
    assert_int_equal(mqttseal_ctx_set_signer(ctx, s), MQTTSEAL_OK);
    out = malloc(elen + 8);
    memset(out, 0xCC, elen + 8);
    assert_int_equal(ms_test_seal_fields(ctx, out, elen, &n,
                                         (const char *)topic, tlen, pt, ptlen,
                                         &h),
                     MQTTSEAL_OK);
    assert_int_equal(n, elen);
    assert_memory_equal(out, env, elen);
    assert_int_equal(out[elen], 0xCC);
    check_keys(v, topic, tlen, mkey);
    inner = signed_inner(v, env, elen, topic, tlen, pt, ptlen);
    check_raw_aead(env, elen, topic, tlen, mkey, inner, ptlen + 72);
    memset(out, 0xCC, elen + 8);
    assert_int_equal(mqttseal_open(ctx, out, elen, &m, (const char *)topic,
                                   tlen, env, elen, 0, &h),
                     MQTTSEAL_OK);
    assert_int_equal(m, ptlen);
    assert_memory_equal(out, pt, ptlen);
    assert_true(h.is_signed);
    assert_memory_equal(h.signer_id, id, 8);
    assert_int_equal(h.payload_len, ptlen);
    assert_int_equal(env[1], 4 | (h.has_timestamp ? 1 : 0) |
                                 (h.sealed_retained ? 2 : 0));
    ms_clock_set_fake(0);
    mqttseal_signer_free(s);
    mqttseal_ctx_free(ctx);
    free(topic), free(pt), free(env), free(sid), free(out), free(inner);
}

/* A negative (or control) signed vector: exactly its error; a refusal
 * wipes the output and names no signer. */
static void open_signed(const vector *v)
{
    unsigned char *topic, *env, out[256];
    size_t tlen = unhex(&topic, get(v, "topic"));
    size_t elen = unhex(&env, get(v, "envelope")), m = 99;
    mqttseal_ctx *ctx = ctx_for_signed(v);
    int want = error_code(get(v, "error"));
    mqttseal_header h;

    memset(out, 0xCC, sizeof out);
    assert_int_equal(mqttseal_open(ctx, out, sizeof out, &m,
                                   (const char *)topic, tlen, env, elen, 0, &h),
                     want);
    if (want != MQTTSEAL_OK) {
        unsigned char zero[sizeof out] = {0};

        assert_int_equal(m, 0);
        assert_memory_equal(out, zero, sizeof out);
        assert_memory_equal(h.signer_id, zero, 8);
    } else {
        assert_int_equal(m, 16); /* the payload, 16 bytes of 0x42 */
        assert_int_equal(out[0], 0x42);
        assert_int_equal(h.is_signed, (env[1] & 4) != 0);
    }
    ms_clock_set_fake(0);
    mqttseal_ctx_free(ctx);
    free(topic);
    free(env);
}

static void signed_vectors(void **state)
{
    int good = 0, bad = 0;

    (void)state;
    load("signed.txt");
    for (int i = 0; i < nvecs; i++) {
        print_message("vector %s\n", get(&vecs[i], "name"));
        if (get(&vecs[i], "plaintext") != NULL) {
            reproduce_signed(&vecs[i]);
            good++;
        } else {
            open_signed(&vecs[i]);
            bad++;
        }
    }
    assert_true(good >= 7 && bad >= 30);
    unload();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(envelopes),
        cmocka_unit_test(malformed),
        cmocka_unit_test(signed_vectors),
    };

    if (mqttseal_init() != MQTTSEAL_OK) {
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
