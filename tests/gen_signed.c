/*
 * Signed known-answer vectors (docs/FORMAT.md section 14), for
 * `gen_vectors signed > tests/vectors/signed.txt`.
 *
 * Positive vectors are sealed by the library with a signer set on the
 * context; the inner (signer_id || payload || signature) is also built
 * here from the spec with raw libsodium, and sealing that inner as is
 * must give the same bytes. Negative vectors are what a sender, a
 * holder of the topic key, or the network can produce: an inner built
 * here (possibly malformed, mis-signed, or signed for another header or
 * topic) is sealed as is through ms_test_seal_fields on a context
 * without a signer, then optionally altered on the wire.
 *
 * Signers are deterministic: seed byte i of signer w is 0x80 + 0x20 w +
 * i. A (0) and B (1) appear in trust lists, C (2) never does.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "envelope.h"
#include "gen_vectors.h"
#include "mqttseal/mqttseal.h"

#define NOW 1764000000000ULL /* 2025-11-24T16:00:00Z */
#define PAST "2025-01-01T00:00:00Z"
#define LATER "2030-01-01T00:00:00Z"
#define AT_NOW "2025-11-24T16:00:00Z"
#define BIG 2048U /* largest payload of a vector */

enum { A, B, C };

static const char *const signer_names[] = {"sensor-a", "gateway-b",
                                           "intruder-c"};

typedef struct signer_keys {
    unsigned char seed[32], pk[32], sk[64], id[8];
} signer_keys;

static void keys_of(signer_keys *k, int who)
{
    unsigned char h[32];

    for (unsigned i = 0; i < 32; i++) {
        k->seed[i] = (unsigned char)(0x80U + 0x20U * (unsigned)who + i);
    }
    crypto_sign_seed_keypair(k->pk, k->sk, k->seed);
    crypto_generichash(h, sizeof h, k->pk, sizeof k->pk, NULL, 0);
    memcpy(k->id, h, sizeof k->id);
}

/* A trust list, written compactly: lines separated by ';', a line
 * "A <filters> [expires=...]" (or B, C) becomes "signer <name> <key>
 * <filters> [expires=...]", any other line is copied ("require F"). */
static size_t trust_text(char *text, size_t cap, const char *spec)
{
    size_t n = (size_t)snprintf(text, cap, "mqttseal-trust 1\n");
    char b64[45];

    while (*spec != '\0') {
        size_t l = strcspn(spec, ";");

        if (spec[0] >= 'A' && spec[0] <= 'C' && spec[1] == ' ') {
            signer_keys k;

            keys_of(&k, spec[0] - 'A');
            sodium_bin2base64(b64, sizeof b64, k.pk, 32,
                              sodium_base64_VARIANT_ORIGINAL);
            n += (size_t)snprintf(text + n, cap - n, "signer %s %s %.*s\n",
                                  signer_names[spec[0] - 'A'], b64,
                                  (int)(l - 2), spec + 2);
        } else {
            n += (size_t)snprintf(text + n, cap - n, "%.*s\n", (int)l, spec);
        }
        spec += spec[l] == ';' ? l + 1 : l;
    }
    return n;
}

/* The header of a signed envelope of len payload bytes. */
static size_t signed_header(unsigned char hdr[MQTTSEAL_HEADER_MAX],
                            const mqttseal_header *fields, size_t len)
{
    mqttseal_header h = *fields;

    h.is_signed = 1;
    h.payload_len = len + MQTTSEAL_SIGNED_OVERHEAD;
    return ms_header_encode(hdr, &h);
}

/* inner = id(as) || msg || Ed25519 by who over "mqttseal/sig/v1" ||
 * header || u16be(tlen) || topic || id(as) || msg (section 14). */
static size_t make_inner(unsigned char *inner, int who, int as,
                         const mqttseal_header *fields, const char *topic,
                         const unsigned char *msg, size_t len)
{
    static unsigned char m[15 + MQTTSEAL_HEADER_MAX + 2 + 700 + 8 + BIG];
    unsigned char hdr[MQTTSEAL_HEADER_MAX];
    size_t hlen = signed_header(hdr, fields, len), tlen = strlen(topic);
    size_t n = 0;
    signer_keys ks, ka;

    keys_of(&ks, who);
    keys_of(&ka, as);
    memcpy(m, "mqttseal/sig/v1", 15);
    n += 15;
    memcpy(m + n, hdr, hlen);
    n += hlen;
    m[n++] = (unsigned char)(tlen >> 8);
    m[n++] = (unsigned char)tlen;
    memcpy(m + n, topic, tlen);
    n += tlen;
    memcpy(m + n, ka.id, 8);
    n += 8;
    memcpy(m + n, msg, len);
    n += len;
    memcpy(inner, ka.id, 8);
    memcpy(inner + 8, msg, len);
    crypto_sign_detached(inner + 8 + len, NULL, m, n, ks.sk);
    return len + MQTTSEAL_SIGNED_OVERHEAD;
}

/* Seals msg for topic under root seed / key id with the given fields:
 * signed by who (>= 0) through the library, or msg sealed as is, with
 * the signed flag when raw (the test-only entry point takes msg as the
 * inner when the context has no signer). */
static int seal(unsigned char *env, size_t cap, size_t *n, unsigned seed,
                const mqttseal_header *fields, const char *topic,
                const unsigned char *msg, size_t len, int who, int raw)
{
    unsigned char root[32];
    mqttseal_keyring *kr = NULL;
    mqttseal_signer *s = NULL;
    mqttseal_ctx *ctx = NULL;
    mqttseal_header h = *fields;
    signer_keys k;
    int rc;

    gv_root_key(root, seed);
    h.is_signed = who >= 0 || raw;
    rc = mqttseal_keyring_new(&kr);
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_keyring_add(kr, h.key_id, "#", root, 0);
    }
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_ctx_new(&ctx, kr);
    }
    if (rc == MQTTSEAL_OK && who >= 0) {
        keys_of(&k, who);
        rc = mqttseal_signer_from_seed(&s, k.seed);
        if (rc == MQTTSEAL_OK) {
            rc = mqttseal_ctx_set_signer(ctx, s);
        }
    }
    if (rc == MQTTSEAL_OK) {
        rc = ms_test_seal_fields(ctx, env, cap, n, topic, strlen(topic), msg,
                                 len, &h);
    }
    mqttseal_signer_free(s);
    mqttseal_ctx_free(ctx);
    mqttseal_keyring_free(kr);
    return rc;
}

static void fields_init(mqttseal_header *h, uint32_t key_id, uint64_t seq)
{
    memset(h, 0, sizeof *h);
    h->key_id = key_id;
    for (unsigned i = 0; i < 12; i++) {
        h->session_id[i] = (unsigned char)(0xa0U + i);
    }
    h->seq = seq;
}

static void print_trust(const char *t)
{
    char text[1024];
    size_t n = trust_text(text, sizeof text, t);

    gv_hex("trust", (const unsigned char *)text, n);
}

/* Positive vectors: every one opens to its payload. */
typedef struct sspec {
    const char *name;
    unsigned root_seed;
    uint32_t key_id;
    const char *topic; /* NULL: the 600-byte topic */
    uint64_t seq;
    int has_ts;
    int retained;
    size_t len;
    int who;
    const char *trust;
} sspec;

static const sspec specs[] = {
    {"signed-64", 0, 1, "site/a/temp", 1, 0, 0, 64, A,
     "A site/#;require site/#"},
    {"signed-empty-payload", 0, 1, "a", 0, 0, 0, 0, A, "A a"},
    {"signed-timestamp", 3, 2, "plant/line1/press", 42, 1, 0, 32, A,
     "B #;A plant/+/press expires=" LATER},
    {"signed-retained", 3, 2, "plant/line1/setpoint", 46, 0, 1, 16, B,
     "A plant/#;B plant/+/setpoint site/#;require plant/#"},
    {"signed-retained-timestamp", 3, 2, "plant/line1/setpoint", 47, 1, 1, 16, A,
     "A plant/#"},
    {"signed-long-topic-600", 3, 2, NULL, 45, 0, 0, 20, A,
     "A abcdefghi/#;require #"},
    {"signed-payload-1500", 3, 2, "plant/line1/press", 43, 0, 0, 1500, A,
     "A plant/line1/press"},
};

static void payload(unsigned char *msg, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        msg[i] = (unsigned char)(i * 7U + 3U);
    }
}

static int emit_positive(const sspec *s, const char *topic)
{
    static unsigned char msg[BIG], inner[BIG + 72], env[BIG + 200],
        raw[BIG + 200];
    unsigned char root[32];
    mqttseal_header h;
    size_t n = 0, m = 0, ilen;
    signer_keys k;

    fields_init(&h, s->key_id, s->seq);
    h.has_timestamp = s->has_ts;
    h.timestamp_ms = s->has_ts ? NOW : 0;
    h.sealed_retained = s->retained;
    payload(msg, s->len);
    keys_of(&k, s->who);
    ilen = make_inner(inner, s->who, s->who, &h, topic, msg, s->len);
    if (seal(env, sizeof env, &n, s->root_seed, &h, topic, msg, s->len, s->who,
             0) != MQTTSEAL_OK ||
        seal(raw, sizeof raw, &m, s->root_seed, &h, topic, inner, ilen, -1,
             1) != MQTTSEAL_OK ||
        n != m || memcmp(env, raw, n) != 0) {
        fprintf(stderr, "%s: the library's signed envelope differs\n", s->name);
        return 1;
    }
    gv_root_key(root, s->root_seed);
    printf("\nname = %s\n", s->name);
    gv_hex("root_key", root, 32);
    printf("key_id = %u\n", (unsigned)s->key_id);
    gv_hex("topic", (const unsigned char *)topic, strlen(topic));
    gv_hex("session_id", h.session_id, 12);
    printf("seq = %llu\n", (unsigned long long)s->seq);
    if (s->has_ts) {
        printf("timestamp_ms = %llu\n", NOW);
    }
    if (s->retained) {
        printf("sealed_retained = 1\n");
    }
    gv_hex("plaintext", msg, s->len);
    gv_print_keys(root, topic);
    gv_hex("signer_seed", k.seed, 32);
    gv_hex("signer_public_key", k.pk, 32);
    gv_hex("signer_id", k.id, 8);
    gv_hex("signature", inner + 8 + s->len, 64);
    print_trust(s->trust);
    printf("now_ms = %llu\n", NOW);
    gv_hex("envelope", env, n);
    return 0;
}

/* Negative vectors: 16 bytes of 0x42 sealed under root key 00..1f as key
 * id 1, session a0..ab, seq 1 (unless seq), for seal_topic. */
enum kind {
    SIGNED,   /* signed by who through the library */
    UNSIGNED, /* sealed without a signature */
    GENUINE,  /* inner by who, claiming id(as), for sign_topic/sign_seq */
    SHORT,    /* inner of raw_len bytes: id(who) then 0x5a */
    ZEROSIG,  /* id(who) || payload || 64 zero bytes */
};

typedef struct nspec {
    const char *name;
    const char *error;
    enum kind kind;
    int who, as;
    size_t raw_len;   /* SHORT */
    size_t cut;       /* GENUINE: bytes dropped from the inner's end */
    int flip_sig;     /* GENUINE: the signature's last byte inverted */
    const char *sign; /* GENUINE: topic signed (NULL: seal_topic) */
    uint64_t sign_seq;
    uint64_t seq;
    const char *seal_topic;
    const char *open_topic; /* NULL: seal_topic */
    size_t wire_at;         /* envelope byte xored with wire_mask */
    unsigned wire_mask;
    uint64_t now_ms;
    const char *trust; /* NULL: no trust list */
} nspec;

#define T "site/a/temp"
#define TRUST_A "A site/#;B plant/#"

static const nspec nspecs[] = {
    {"signed-valid", "OK", SIGNED, A, A, 0, 0, 0, NULL, 0, 1, T, NULL, 0, 0,
     NOW, TRUST_A},
    {"signed-valid-required", "OK", SIGNED, A, A, 0, 0, 0, NULL, 0, 1, T, NULL,
     0, 0, NOW, "A site/+/temp;require site/#"},
    {"unsigned-valid-not-required", "OK", UNSIGNED, A, A, 0, 0, 0, NULL, 0, 1,
     T, NULL, 0, 0, NOW, "A site/#;require plant/#;require site/b/+"},
    {"signer-unknown", "E_SIGNER_UNKNOWN", SIGNED, C, C, 0, 0, 0, NULL, 0, 1, T,
     NULL, 0, 0, NOW, TRUST_A},
    {"signer-unknown-no-trust-list", "E_SIGNER_UNKNOWN", SIGNED, A, A, 0, 0, 0,
     NULL, 0, 1, T, NULL, 0, 0, NOW, NULL},
    {"signer-not-granted", "E_SIGNER_NOT_GRANTED", SIGNED, A, A, 0, 0, 0, NULL,
     0, 1, T, NULL, 0, 0, NOW,
     "A plant/# site/b/# site/+/hum site/a/temp/+;B site/#"},
    {"signer-expired", "E_SIGNER_EXPIRED", SIGNED, A, A, 0, 0, 0, NULL, 0, 1, T,
     NULL, 0, 0, NOW, "A site/# expires=" PAST},
    {"signer-expired-at-its-second", "E_SIGNER_EXPIRED", SIGNED, A, A, 0, 0, 0,
     NULL, 0, 1, T, NULL, 0, 0, NOW, "A site/# expires=" AT_NOW},
    {"signer-valid-before-its-second", "OK", SIGNED, A, A, 0, 0, 0, NULL, 0, 1,
     T, NULL, 0, 0, NOW - 1, "A site/# expires=" AT_NOW},
    {"signer-expired-and-not-granted", "E_SIGNER_EXPIRED", SIGNED, A, A, 0, 0,
     0, NULL, 0, 1, T, NULL, 0, 0, NOW, "A plant/# expires=" PAST},
    {"sig-required", "E_SIG_REQUIRED", UNSIGNED, A, A, 0, 0, 0, NULL, 0, 1, T,
     NULL, 0, 0, NOW, "A site/#;require plant/#;require site/#"},
    {"sig-required-plus", "E_SIG_REQUIRED", UNSIGNED, A, A, 0, 0, 0, NULL, 0, 1,
     T, NULL, 0, 0, NOW, "require +/+/temp"},
    /* A holder of the topic key decrypted signed-valid and re-sealed its
     * payload unsigned under the same header fields. */
    {"signature-stripped", "E_SIG_REQUIRED", UNSIGNED, A, A, 0, 0, 0, NULL, 0,
     1, T, NULL, 0, 0, NOW, "A site/#;require site/a/temp"},
    {"signature-stripped-not-required", "OK", UNSIGNED, A, A, 0, 0, 0, NULL, 0,
     1, T, NULL, 0, 0, NOW, TRUST_A},
    {"moved-topic", "E_AUTH", SIGNED, A, A, 0, 0, 0, NULL, 0, 1, T,
     "site/a/hum", 0, 0, NOW, TRUST_A},
    {"moved-topic-resealed", "E_SIGNATURE", GENUINE, A, A, 0, 0, 0, T, 1, 1,
     "site/a/hum", NULL, 0, 0, NOW, TRUST_A},
    {"resealed-new-header", "E_SIGNATURE", GENUINE, A, A, 0, 0, 0, NULL, 1, 2,
     T, NULL, 0, 0, NOW, TRUST_A},
    {"tampered-ciphertext", "E_AUTH", SIGNED, A, A, 0, 0, 0, NULL, 0, 1, T,
     NULL, 40, 0x01, NOW, TRUST_A},
    {"signed-flag-cleared", "E_AUTH", SIGNED, A, A, 0, 0, 0, NULL, 0, 1, T,
     NULL, 1, 0x04, NOW, TRUST_A},
    {"signed-flag-set", "E_AUTH", UNSIGNED, A, A, 0, 0, 0, NULL, 0, 1, T, NULL,
     1, 0x04, NOW, TRUST_A},
    {"inner-empty", "E_SIGNATURE", SHORT, A, A, 0, 0, 0, NULL, 0, 1, T, NULL, 0,
     0, NOW, TRUST_A},
    {"inner-71", "E_SIGNATURE", SHORT, A, A, 71, 0, 0, NULL, 0, 1, T, NULL, 0,
     0, NOW, TRUST_A},
    {"inner-71-unknown-signer", "E_SIGNATURE", SHORT, C, C, 71, 0, 0, NULL, 0,
     1, T, NULL, 0, 0, NOW, TRUST_A},
    {"inner-72-zero-signature", "E_SIGNATURE", SHORT, A, A, 72, 0, 0, NULL, 0,
     1, T, NULL, 0, 0, NOW, TRUST_A},
    {"signature-truncated", "E_SIGNATURE", GENUINE, A, A, 0, 1, 0, NULL, 0, 1,
     T, NULL, 0, 0, NOW, TRUST_A},
    {"bad-signature", "E_SIGNATURE", GENUINE, A, A, 0, 0, 1, NULL, 0, 1, T,
     NULL, 0, 0, NOW, TRUST_A},
    {"zero-signature", "E_SIGNATURE", ZEROSIG, A, A, 0, 0, 0, NULL, 0, 1, T,
     NULL, 0, 0, NOW, TRUST_A},
    {"zero-signature-unknown-signer", "E_SIGNER_UNKNOWN", ZEROSIG, C, C, 0, 0,
     0, NULL, 0, 1, T, NULL, 0, 0, NOW, TRUST_A},
    {"zero-signature-not-granted", "E_SIGNER_NOT_GRANTED", ZEROSIG, B, B, 0, 0,
     0, NULL, 0, 1, T, NULL, 0, 0, NOW, TRUST_A},
    /* Signed by A, claiming to be B (trusted on the topic). */
    {"signer-id-swapped", "E_SIGNATURE", GENUINE, A, B, 0, 0, 0, NULL, 0, 1, T,
     NULL, 0, 0, NOW, "A site/#;B site/#"},
};

/* The inner a negative vector seals (raw), or 0 bytes for SIGNED and
 * UNSIGNED, which seal msg. */
static size_t negative_inner(unsigned char *inner, const nspec *v,
                             const unsigned char *msg, size_t len)
{
    mqttseal_header f;
    signer_keys k;
    size_t n;

    keys_of(&k, v->who);
    switch (v->kind) {
    case SHORT:
        memset(inner, 0x5a, v->raw_len);
        memcpy(inner, k.id, v->raw_len < 8 ? v->raw_len : 8);
        return v->raw_len;
    case ZEROSIG:
        memcpy(inner, k.id, 8);
        memcpy(inner + 8, msg, len);
        memset(inner + 8 + len, 0, 64);
        return len + 72;
    case GENUINE:
        fields_init(&f, 1, v->sign_seq ? v->sign_seq : v->seq);
        n = make_inner(inner, v->who, v->as, &f,
                       v->sign ? v->sign : v->seal_topic, msg, len);
        inner[n - 1] ^= v->flip_sig ? 0xffU : 0U;
        return n - v->cut;
    default:
        return 0;
    }
}

static int emit_negative(const nspec *v)
{
    unsigned char root[32], msg[16], inner[128], env[256];
    const char *open_topic = v->open_topic ? v->open_topic : v->seal_topic;
    mqttseal_header f;
    size_t ilen, n = 0;
    int rc;

    memset(msg, 0x42, sizeof msg);
    fields_init(&f, 1, v->seq);
    ilen = negative_inner(inner, v, msg, sizeof msg);
    if (v->kind == SIGNED || v->kind == UNSIGNED) {
        rc = seal(env, sizeof env, &n, 0, &f, v->seal_topic, msg, sizeof msg,
                  v->kind == SIGNED ? v->who : -1, 0);
    } else {
        rc =
            seal(env, sizeof env, &n, 0, &f, v->seal_topic, inner, ilen, -1, 1);
    }
    if (rc != MQTTSEAL_OK) {
        fprintf(stderr, "%s: %s\n", v->name, mqttseal_strerror(rc));
        return 1;
    }
    env[v->wire_at] ^= (unsigned char)v->wire_mask;
    gv_root_key(root, 0);
    printf("\nname = %s\n", v->name);
    gv_hex("root_key", root, 32);
    printf("key_id = 1\n");
    gv_hex("topic", (const unsigned char *)open_topic, strlen(open_topic));
    if (v->trust != NULL) {
        print_trust(v->trust);
    }
    printf("now_ms = %llu\n", (unsigned long long)v->now_ms);
    gv_hex("envelope", env, n);
    printf("error = %s\n", v->error);
    return 0;
}

int gv_emit_signed(void)
{
    char long_topic[601];
    int bad = 0;

    gv_long_topic(long_topic);
    printf(
        "# mqttseal v1 signed-envelope vectors (docs/FORMAT.md section 14).\n"
        "# Generated by tests/gen_vectors.c (gen_signed.c); do not edit by\n"
        "# hand. Each vector is opened under root_key granted '#' as key_id,\n"
        "# with the trust list 'trust' (trust-list text, hex; absent: no\n"
        "# trust list) and the receiver's clock at now_ms. A vector with\n"
        "# 'plaintext' is positive: sealed by the signer of signer_seed, it\n"
        "# opens to plaintext; one with 'error' gives that error.\n");
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        bad |= emit_positive(&specs[i],
                             specs[i].topic ? specs[i].topic : long_topic);
    }
    for (size_t i = 0; i < sizeof nspecs / sizeof nspecs[0]; i++) {
        bad |= emit_negative(&nspecs[i]);
    }
    return bad;
}
