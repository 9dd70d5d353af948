/*
 * Writes tests/vectors/envelopes.txt, the known-answer vectors,
 * (with the argument "malformed") tests/vectors/malformed.txt, the
 * negative ones, and (with "signed", gen_signed.c)
 * tests/vectors/signed.txt, the signed ones, from the test-only
 * deterministic entry point ms_test_seal_fields. Run by hand after a
 * deliberate format change:
 *   build/tests/gen_vectors > tests/vectors/envelopes.txt
 *   build/tests/gen_vectors malformed > tests/vectors/malformed.txt
 *   build/tests/gen_vectors signed > tests/vectors/signed.txt
 * test_vectors then checks the library reproduces every byte.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "gen_vectors.h"
#include "mqttseal/mqttseal.h"
#include "replay.h"
#include "topic.h"

typedef struct spec {
    const char *name;
    unsigned root_seed;
    uint32_t key_id;
    const char *topic;
    uint64_t seq;
    int has_ts;
    uint64_t ts;
    size_t len;
    int retained; /* flags bit 1, sealed as retained */
} spec;

static const spec specs[] = {
    {"empty-payload", 0, 1, "a", 0, 0, 0, 0, 0},
    {"basic-64", 0, 1, "site/a/temp", 1, 0, 0, 64, 0},
    {"seq-127", 0, 1, "site/a/temp", 127, 0, 0, 16, 0},
    {"seq-128", 0, 1, "site/a/temp", 128, 0, 0, 16, 0},
    {"seq-2^21-1", 0, 1, "site/a/temp", 2097151, 0, 0, 16, 0},
    {"seq-2^21", 0, 1, "site/a/temp", 2097152, 0, 0, 16, 0},
    {"seq-2^64-2", 0, 1, "site/a/temp", 18446744073709551614ULL, 0, 0, 16, 0},
    {"key-id-0", 1, 0, "site/a/temp", 5, 0, 0, 16, 0},
    {"key-id-300", 1, 300, "site/a/temp", 5, 0, 0, 16, 0},
    {"key-id-max", 1, 4294967295U, "site/a/temp", 5, 0, 0, 16, 0},
    {"empty-level", 2, 7, "a//b", 9, 0, 0, 8, 0},
    {"leading-slash", 2, 7, "/x/y", 9, 0, 0, 8, 0},
    {"trailing-slash", 2, 7, "a/", 9, 0, 0, 8, 0},
    {"sys-topic", 2, 7, "$SYS/broker/load", 9, 0, 0, 8, 0},
    {"utf8-topic", 2, 7, "capteur/temp\xc3\xa9rature/\xe2\x84\x83", 9, 0, 0, 8,
     0},
    {"timestamp", 3, 2, "plant/line1/press", 42, 1, 1764000000000ULL, 32, 0},
    {"long-payload", 3, 2, "plant/line1/press", 43, 0, 0, 1500, 0},
    {"payload-16384", 3, 2, "plant/line1/press", 44, 0, 0, 16384, 0},
    {"long-topic-600", 3, 2, NULL, 45, 0, 0, 20, 0},
    {"retained", 3, 2, "plant/line1/setpoint", 46, 0, 0, 16, 1},
    {"retained-timestamp", 3, 2, "plant/line1/setpoint", 47, 1,
     1764000000000ULL, 16, 1},
};

void gv_hex(const char *label, const unsigned char *p, size_t n)
{
    printf("%s = ", label);
    for (size_t i = 0; i < n; i++) {
        printf("%02x", p[i]);
    }
    printf("\n");
}

void gv_root_key(unsigned char key[32], unsigned seed)
{
    for (unsigned i = 0; i < 32; i++) {
        key[i] = (unsigned char)(i + 0x20U * seed);
    }
}

/* The node key after each level, and the message key. */
void gv_print_keys(const unsigned char root[32], const char *t)
{
    unsigned char node[32], next[32];
    const char *level = t;
    size_t len = strlen(t);

    memcpy(node, root, 32);
    printf("node_keys =");
    for (;;) {
        const char *slash = memchr(level, '/', len - (size_t)(level - t));
        size_t l = slash ? (size_t)(slash - level) : len - (size_t)(level - t);

        ms_kdf_child(next, node, (const unsigned char *)level, l);
        memcpy(node, next, 32);
        printf(" ");
        for (int i = 0; i < 32; i++) {
            printf("%02x", node[i]);
        }
        if (slash == NULL) {
            break;
        }
        level = slash + 1;
    }
    printf("\n");
    ms_kdf_message(next, node);
    gv_hex("message_key", next, 32);
}

/* 600 bytes in 60 levels of 9 letters (the long-topic vectors). */
void gv_long_topic(char t[601])
{
    for (size_t i = 0; i < 600; i++) {
        t[i] = (i % 10 == 9) ? '/' : (char)('a' + i % 26);
    }
    t[600] = '\0';
}

static int emit(const spec *s, const char *topic)
{
    unsigned char root[32], *msg = malloc(s->len + 1);
    unsigned char *env = malloc(MQTTSEAL_SEALED_BYTES(s->len));
    mqttseal_keyring *kr = NULL;
    mqttseal_ctx *ctx = NULL;
    mqttseal_header h;
    size_t n = 0;
    int rc;

    gv_root_key(root, s->root_seed);
    for (size_t i = 0; i < s->len; i++) {
        msg[i] = (unsigned char)(i * 7U + 3U);
    }
    memset(&h, 0, sizeof h);
    h.key_id = s->key_id;
    for (unsigned i = 0; i < 12; i++) {
        h.session_id[i] = (unsigned char)(0xa0U + i);
    }
    h.seq = s->seq;
    h.has_timestamp = s->has_ts;
    h.timestamp_ms = s->ts;
    h.sealed_retained = s->retained;
    rc = mqttseal_keyring_new(&kr);
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_keyring_add(kr, s->key_id, "#", root, 0);
    }
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_ctx_new(&ctx, kr);
    }
    if (rc == MQTTSEAL_OK) {
        rc = ms_test_seal_fields(ctx, env, MQTTSEAL_SEALED_BYTES(s->len), &n,
                                 topic, strlen(topic), msg, s->len, &h);
    }
    if (rc != MQTTSEAL_OK) {
        fprintf(stderr, "%s: %s\n", s->name, mqttseal_strerror(rc));
        return 1;
    }
    printf("\nname = %s\n", s->name);
    gv_hex("root_key", root, 32);
    printf("key_id = %u\n", (unsigned)s->key_id);
    gv_hex("topic", (const unsigned char *)topic, strlen(topic));
    gv_hex("session_id", h.session_id, 12);
    printf("seq = %llu\n", (unsigned long long)s->seq);
    if (s->has_ts) {
        printf("timestamp_ms = %llu\n", (unsigned long long)s->ts);
    }
    if (s->retained) {
        printf("sealed_retained = 1\n");
    }
    gv_hex("plaintext", msg, s->len);
    gv_print_keys(root, topic);
    {
        unsigned char mk[32], rid[12];

        ms_kdf_topic(mk, root, MS_FILTER_ALL, 0, topic, strlen(topic));
        ms_replay_id(rid, mk, h.session_id);
        gv_hex("replay_id", rid, 12);
        sodium_memzero(mk, sizeof mk);
    }
    gv_hex("envelope", env, n);
    mqttseal_ctx_free(ctx);
    mqttseal_keyring_free(kr);
    free(msg);
    free(env);
    return 0;
}

/* Negative vectors. Every envelope is a variation of one sealed message
 * (key id 1 or, for the keyed ones, the key id given; session a0..ab;
 * seq 1; 16 bytes of 0x42; topic site/a/temp), 49 bytes laid out as
 *   0 vs | 1 flags | 2 key_id | 3..14 sid | 15 seq | 16 ct_len |
 *   17..32 ct | 33..48 tag
 * Bytes [at, at + del) are replaced by ins; then, if keep is not 0, only
 * the first keep bytes are kept; flip inverts the last byte (the tag's). */
#define AT_END ((size_t)-1)
#define BYTES(s) s, sizeof s - 1

typedef struct variant {
    const char *name;
    const char *error;
    const char *topic;
    size_t at, del;
    const char *ins;
    size_t ins_len;
    size_t keep;
    int flip;
} variant;

static const variant variants[] = {
    {"valid", "OK", "site/a/temp", 0, 0, BYTES(""), 0, 0},
    {"truncated", "E_TRUNCATED", "site/a/temp", 0, 0, BYTES(""), 48, 0},
    {"trailing-byte", "E_TRAILING", "site/a/temp", AT_END, 0, BYTES("\x00"), 0,
     0},
    {"version-2", "E_VERSION", "site/a/temp", 0, 1, BYTES("\x91"), 0, 0},
    {"suite-2", "E_SUITE", "site/a/temp", 0, 1, BYTES("\x8a"), 0, 0},
    {"not-sealed", "E_NOT_SEALED", "site/a/temp", 0, 1, BYTES("\x7b"), 0, 0},
    {"empty", "E_TRUNCATED", "site/a/temp", 0, 49, BYTES(""), 0, 0},
    {"vs-only", "E_TRUNCATED", "site/a/temp", 0, 0, BYTES(""), 1, 0},
    /* Flags: bit 0 timestamp, bit 1 sealed as retained, bit 2 signed,
     * bits 3..7 reserved. The flags byte is decided before any field is
     * read. */
    {"reserved-flag", "E_RESERVED", "site/a/temp", 1, 1, BYTES("\x08"), 0, 0},
    {"reserved-flag-7", "E_RESERVED", "site/a/temp", 1, 1, BYTES("\x83"), 0, 0},
    {"reserved-flag-then-end", "E_RESERVED", "site/a/temp", 1, 1, BYTES("\x08"),
     2, 0},
    {"reserved-flag-bad-varint", "E_RESERVED", "site/a/temp", 1, 2,
     BYTES("\x08\x81\x00"), 0, 0},
    {"retained-flag-added", "E_AUTH", "site/a/temp", 1, 1, BYTES("\x02"), 0, 0},
    /* key_id: at most 2^32 - 1. */
    {"nonminimal-key-id", "E_VARINT", "site/a/temp", 2, 1, BYTES("\x81\x00"), 0,
     0},
    {"key-id-2^32", "E_VARINT", "site/a/temp", 2, 1,
     BYTES("\x80\x80\x80\x80\x10"), 0, 0},
    {"key-id-truncated", "E_TRUNCATED", "site/a/temp", 2, 1, BYTES("\x81"), 3,
     0},
    /* Truncated, and already past the field's maximum: the maximum is
     * only checked on the varint's last byte, so truncation decides. */
    {"key-id-truncated-above-max", "E_TRUNCATED", "site/a/temp", 2, 47,
     BYTES("\xff\xff\xff\xff\xff\xff"), 0, 0},
    /* Ten bytes and the tenth still continues (or carries more than the
     * top bit of a 64-bit value): too long, whatever follows. */
    {"key-id-10-bytes-at-end", "E_VARINT", "site/a/temp", 2, 47,
     BYTES("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"), 0, 0},
    {"key-id-10th-byte-continues-at-end", "E_VARINT", "site/a/temp", 2, 47,
     BYTES("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x81"), 0, 0},
    /* One field at a time: the key id's error wins over the sid's end. */
    {"nonminimal-key-id-then-end", "E_VARINT", "site/a/temp", 2, 1,
     BYTES("\x81\x00"), 10, 0},
    {"sid-truncated", "E_TRUNCATED", "site/a/temp", 0, 0, BYTES(""), 14, 0},
    {"seq-missing", "E_TRUNCATED", "site/a/temp", 0, 0, BYTES(""), 15, 0},
    /* seq: at most 2^64 - 1. */
    {"nonminimal-seq", "E_VARINT", "site/a/temp", 15, 1, BYTES("\x81\x00"), 0,
     0},
    {"seq-2^64", "E_VARINT", "site/a/temp", 15, 1,
     BYTES("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02"), 0, 0},
    {"seq-11-bytes", "E_VARINT", "site/a/temp", 15, 1,
     BYTES("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"), 0, 0},
    {"seq-9-bytes-at-end", "E_TRUNCATED", "site/a/temp", 15, 34,
     BYTES("\x80\x80\x80\x80\x80\x80\x80\x80\x80"), 0, 0},
    {"seq-10th-byte-continues-at-end", "E_VARINT", "site/a/temp", 15, 34,
     BYTES("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x81"), 0, 0},
    {"nonminimal-seq-then-oversize", "E_VARINT", "site/a/temp", 15, 2,
     BYTES("\x81\x00\xff\xff\xff\xff\x0f"), 0, 0},
    /* ts (flags bit 0): at most 2^63 - 1. */
    {"ts-missing", "E_TRUNCATED", "site/a/temp", 1, 1, BYTES("\x01"), 16, 0},
    {"ts-2^63", "E_VARINT", "site/a/temp", 1, 15,
     BYTES("\x01\x01\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab\x01"
           "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"),
     0, 0},
    {"nonminimal-ts", "E_VARINT", "site/a/temp", 1, 15,
     BYTES("\x01\x01\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab\x01"
           "\x81\x00"),
     0, 0},
    /* ct_len: any well-formed varint up to 2^64 - 1; above 268435397 it
     * is E_OVERSIZE, before the bytes after it are counted. */
    {"ct-len-missing", "E_TRUNCATED", "site/a/temp", 0, 0, BYTES(""), 16, 0},
    {"ct-len-max", "E_TRUNCATED", "site/a/temp", 16, 1,
     BYTES("\xc5\xff\xff\x7f"), 0, 0},
    {"ct-len-max-plus-1", "E_OVERSIZE", "site/a/temp", 16, 1,
     BYTES("\xc6\xff\xff\x7f"), 0, 0},
    {"ct-len-2^32", "E_OVERSIZE", "site/a/temp", 16, 1,
     BYTES("\x80\x80\x80\x80\x10"), 0, 0},
    {"ct-len-2^64-1", "E_OVERSIZE", "site/a/temp", 16, 1,
     BYTES("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), 0, 0},
    {"ct-len-2^64", "E_VARINT", "site/a/temp", 16, 1,
     BYTES("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02"), 0, 0},
    {"ct-len-11-bytes", "E_VARINT", "site/a/temp", 16, 1,
     BYTES("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"), 0, 0},
    {"nonminimal-ct-len", "E_VARINT", "site/a/temp", 16, 1, BYTES("\x90\x00"),
     0, 0},
    {"nonminimal-ct-len-above-max", "E_VARINT", "site/a/temp", 16, 1,
     BYTES("\xff\xff\xff\xff\xff\x00"), 0, 0},
    {"ct-len-truncated-above-max", "E_TRUNCATED", "site/a/temp", 16, 33,
     BYTES("\xff\xff\xff\xff"), 0, 0},
    {"ct-len-short-by-one", "E_TRUNCATED", "site/a/temp", 16, 1, BYTES("\x11"),
     0, 0},
    {"ct-len-long-by-one", "E_TRAILING", "site/a/temp", 16, 1, BYTES("\x0f"), 0,
     0},
    /* Topic checks come before the header is parsed. */
    {"empty-topic", "E_TOPIC_EMPTY", "", 0, 1, BYTES("\x7b"), 0, 0},
    {"wildcard-topic", "E_TOPIC_INVALID", "site/+/temp", 0, 1, BYTES("\x7b"), 0,
     0},
    {"flipped-tag", "E_AUTH", "site/a/temp", 0, 0, BYTES(""), 0, 1},
    {"wrong-topic", "E_AUTH", "site/a/hum", 0, 0, BYTES(""), 0, 0},
};

/* Negative vectors opened under a keyring (text in the vector) at a
 * given time: key lookup and expiry. Every envelope here is genuine,
 * sealed under root key 00..1f with key id env_id, unless flip. */
typedef struct kentry {
    uint32_t id;
    const char *filter; /* NULL ends the list */
    const char *expires;
    unsigned seed; /* root key seed the entry's key derives from */
} kentry;

typedef struct kvariant {
    const char *name;
    const char *error;
    uint32_t env_id;
    uint64_t now_ms;
    size_t keep;
    int flip;
    kentry keys[4];
} kvariant;

#define NOW 1764000000000ULL /* 2025-11-24T16:00:00Z */
#define PAST "2025-01-01T00:00:00Z"
#define LATER "2030-01-01T00:00:00Z"
#define AT_NOW "2025-11-24T16:00:00Z"

static const kvariant kvariants[] = {
    {"keyed-valid-root", "OK", 2, NOW, 0, 0, {{2, "#", NULL, 0}}},
    {"keyed-valid-subtree", "OK", 2, NOW, 0, 0, {{2, "site/a/#", LATER, 0}}},
    {"keyed-valid-exact", "OK", 2, NOW, 0, 0, {{2, "site/a/temp", NULL, 0}}},
    {"keyed-wrong-key", "E_AUTH", 2, NOW, 0, 0, {{2, "#", NULL, 1}}},
    {"keyed-bad-tag", "E_AUTH", 2, NOW, 0, 1, {{2, "site/#", NULL, 0}}},
    {"unknown-key", "E_UNKNOWN_KEY", 9, NOW, 0, 0, {{1, "#", NULL, 0}}},
    {"unknown-key-no-grant",
     "E_UNKNOWN_KEY",
     9,
     NOW,
     0,
     0,
     {{1, "plant/#", NULL, 0}}},
    {"unknown-key-bad-tag", "E_UNKNOWN_KEY", 9, NOW, 0, 1, {{1, "#", NULL, 0}}},
    {"unknown-key-truncated",
     "E_TRUNCATED",
     9,
     NOW,
     48,
     0,
     {{1, "#", NULL, 0}}},
    {"no-grant",
     "E_NO_GRANT",
     2,
     NOW,
     0,
     0,
     {{1, "#", NULL, 0}, {2, "plant/#", NULL, 0}, {2, "site/a/hum", NULL, 0}}},
    {"no-grant-whole-levels",
     "E_NO_GRANT",
     2,
     NOW,
     0,
     0,
     {{2, "site/a/te/#", NULL, 0}, {2, "site/a/temp/x", NULL, 0}}},
    {"no-grant-expired", "E_NO_GRANT", 2, NOW, 0, 0, {{2, "plant/#", PAST, 0}}},
    {"key-expired", "E_KEY_EXPIRED", 2, NOW, 0, 0, {{2, "site/#", PAST, 0}}},
    {"key-expired-most-specific",
     "E_KEY_EXPIRED",
     2,
     NOW,
     0,
     0,
     {{2, "site/#", LATER, 0}, {2, "site/a/temp", PAST, 0}}},
    {"key-valid-most-specific",
     "OK",
     2,
     NOW,
     0,
     0,
     {{2, "#", PAST, 0}, {2, "site/a/#", NULL, 0}}},
    {"key-expired-at-its-second",
     "E_KEY_EXPIRED",
     2,
     NOW,
     0,
     0,
     {{2, "#", AT_NOW, 0}}},
    {"key-valid-before-its-second",
     "OK",
     2,
     NOW - 1,
     0,
     0,
     {{2, "#", AT_NOW, 0}}},
    {"key-expired-bad-tag",
     "E_KEY_EXPIRED",
     2,
     NOW,
     0,
     1,
     {{2, "site/#", PAST, 0}}},
};

static size_t mutate(unsigned char *e, size_t n, const variant *v)
{
    size_t at = v->at == AT_END ? n : v->at;

    memmove(e + at + v->ins_len, e + at + v->del, n - at - v->del);
    memcpy(e + at, v->ins, v->ins_len);
    n = n - v->del + v->ins_len;
    if (v->keep != 0) {
        n = v->keep;
    }
    if (v->flip) {
        e[n - 1] = (unsigned char)~e[n - 1];
    }
    return n;
}

/* The key an entry holds: root, node(P) for P/#, or message_key(P). */
static void entry_key(unsigned char out[32], const kentry *k)
{
    unsigned char node[32], next[32];
    const char *f = k->filter;
    size_t len = strlen(f), start = 0;
    int all = strcmp(f, "#") == 0;
    int subtree = !all && len >= 2 && f[len - 1] == '#';

    gv_root_key(node, k->seed);
    len = subtree ? len - 2 : len; /* "P/#" -> the levels of "P" */
    for (size_t i = 0; !all && i <= len; i++) {
        if (i == len || f[i] == '/') {
            ms_kdf_child(next, node, (const unsigned char *)f + start,
                         i - start);
            memcpy(node, next, 32);
            start = i + 1;
        }
    }
    if (all || subtree) {
        memcpy(out, node, 32);
    } else {
        ms_kdf_message(out, node);
    }
}

static void keyring_hex(const kentry *keys)
{
    char text[1024], b64[45];
    unsigned char key[32];
    size_t n = (size_t)snprintf(text, sizeof text, "mqttseal-keyring 1\n");

    for (const kentry *k = keys; k < keys + 4 && k->filter != NULL; k++) {
        entry_key(key, k);
        sodium_bin2base64(b64, sizeof b64, key, 32,
                          sodium_base64_VARIANT_ORIGINAL);
        n += (size_t)snprintf(text + n, sizeof text - n, "key %u %s %s%s%s\n",
                              (unsigned)k->id, k->filter, b64,
                              k->expires ? " expires=" : "",
                              k->expires ? k->expires : "");
    }
    gv_hex("keyring", (const unsigned char *)text, n);
}

static int seal_base(unsigned char env[100], size_t *n, uint32_t key_id)
{
    static const unsigned char sid[12] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                          0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
    unsigned char root[32], msg[16];
    mqttseal_keyring *kr = NULL;
    mqttseal_ctx *ctx = NULL;
    mqttseal_header h;
    int rc;

    gv_root_key(root, 0);
    memset(msg, 0x42, sizeof msg);
    memset(&h, 0, sizeof h);
    h.key_id = key_id;
    memcpy(h.session_id, sid, sizeof sid);
    h.seq = 1;
    rc = mqttseal_keyring_new(&kr);
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_keyring_add(kr, key_id, "#", root, 0);
    }
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_ctx_new(&ctx, kr);
    }
    if (rc == MQTTSEAL_OK) {
        rc = ms_test_seal_fields(ctx, env, 100, n, "site/a/temp", 11, msg,
                                 sizeof msg, &h);
    }
    mqttseal_ctx_free(ctx);
    mqttseal_keyring_free(kr);
    return rc;
}

static int emit_malformed(void)
{
    unsigned char root[32], env[100], e[160];
    size_t n = 0;

    gv_root_key(root, 0);
    if (seal_base(env, &n, 1) != MQTTSEAL_OK) {
        return 1;
    }
    printf("# mqttseal v1 negative vectors (docs/FORMAT.md sections 2, 6, 7)."
           "\n# Generated by tests/gen_vectors.c; do not edit by hand.\n"
           "# Without 'keyring', an envelope is opened under root_key "
           "(granted '#',\n# key id 1) for topic; with it, under that "
           "keyring text (hex) with the\n# receiver's clock at now_ms. "
           "error is what a conforming opener reports.\n");
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        size_t m;

        memcpy(e, env, n);
        m = mutate(e, n, &variants[i]);
        printf("\nname = %s\n", variants[i].name);
        gv_hex("root_key", root, 32);
        gv_hex("topic", (const unsigned char *)variants[i].topic,
               strlen(variants[i].topic));
        gv_hex("envelope", e, m);
        printf("error = %s\n", variants[i].error);
    }
    for (size_t i = 0; i < sizeof kvariants / sizeof kvariants[0]; i++) {
        const kvariant *k = &kvariants[i];
        size_t m = 0;

        if (seal_base(e, &m, k->env_id) != MQTTSEAL_OK) {
            return 1;
        }
        m = k->keep != 0 ? k->keep : m;
        if (k->flip) {
            e[m - 1] = (unsigned char)~e[m - 1];
        }
        printf("\nname = %s\n", k->name);
        keyring_hex(k->keys);
        printf("now_ms = %llu\n", (unsigned long long)k->now_ms);
        gv_hex("topic", (const unsigned char *)"site/a/temp", 11);
        gv_hex("envelope", e, m);
        printf("error = %s\n", k->error);
    }
    return 0;
}

int main(int argc, char **argv)
{
    char long_topic[601];
    int bad = 0;

    if (mqttseal_init() != MQTTSEAL_OK) {
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "malformed") == 0) {
        return emit_malformed();
    }
    if (argc > 1 && strcmp(argv[1], "signed") == 0) {
        return gv_emit_signed();
    }
    gv_long_topic(long_topic);
    printf("# mqttseal v1 known-answer vectors (docs/FORMAT.md).\n"
           "# Generated by tests/gen_vectors.c; do not edit by hand.\n"
           "# Blocks separated by blank lines; 'key = value'; binary "
           "values\n# in lowercase hex; node_keys lists node(L1), "
           "node(L1,L2), ... for\n# the topic's levels; every key is "
           "derived from root_key granted '#'.\n");
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        bad |= emit(&specs[i], specs[i].topic ? specs[i].topic : long_topic);
    }
    return bad;
}
