/*
 * Writes tests/vectors/envelopes.txt, the known-answer vectors, from the
 * test-only deterministic entry point ms_test_seal_fields. Run by hand
 * after a deliberate format change:
 *   build/tests/gen_vectors > tests/vectors/envelopes.txt
 * test_vectors then checks the library reproduces every byte.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "mqttseal/mqttseal.h"
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
} spec;

static const spec specs[] = {
    {"empty-payload", 0, 1, "a", 0, 0, 0, 0},
    {"basic-64", 0, 1, "site/a/temp", 1, 0, 0, 64},
    {"seq-127", 0, 1, "site/a/temp", 127, 0, 0, 16},
    {"seq-128", 0, 1, "site/a/temp", 128, 0, 0, 16},
    {"seq-2^21-1", 0, 1, "site/a/temp", 2097151, 0, 0, 16},
    {"seq-2^21", 0, 1, "site/a/temp", 2097152, 0, 0, 16},
    {"seq-2^64-2", 0, 1, "site/a/temp", 18446744073709551614ULL, 0, 0, 16},
    {"key-id-0", 1, 0, "site/a/temp", 5, 0, 0, 16},
    {"key-id-300", 1, 300, "site/a/temp", 5, 0, 0, 16},
    {"key-id-max", 1, 4294967295U, "site/a/temp", 5, 0, 0, 16},
    {"empty-level", 2, 7, "a//b", 9, 0, 0, 8},
    {"leading-slash", 2, 7, "/x/y", 9, 0, 0, 8},
    {"trailing-slash", 2, 7, "a/", 9, 0, 0, 8},
    {"sys-topic", 2, 7, "$SYS/broker/load", 9, 0, 0, 8},
    {"utf8-topic", 2, 7, "capteur/temp\xc3\xa9rature/\xe2\x84\x83", 9, 0, 0, 8},
    {"timestamp", 3, 2, "plant/line1/press", 42, 1, 1764000000000ULL, 32},
    {"long-payload", 3, 2, "plant/line1/press", 43, 0, 0, 1500},
    {"payload-16384", 3, 2, "plant/line1/press", 44, 0, 0, 16384},
    {"long-topic-600", 3, 2, NULL, 45, 0, 0, 20},
};

static void hex(const char *label, const unsigned char *p, size_t n)
{
    printf("%s = ", label);
    for (size_t i = 0; i < n; i++) {
        printf("%02x", p[i]);
    }
    printf("\n");
}

static void root_key(unsigned char key[32], unsigned seed)
{
    for (unsigned i = 0; i < 32; i++) {
        key[i] = (unsigned char)(i + 0x20U * seed);
    }
}

/* The node key after each level, and the message key. */
static void print_keys(const unsigned char root[32], const char *t)
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
    hex("message_key", next, 32);
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

    root_key(root, s->root_seed);
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
    hex("root_key", root, 32);
    printf("key_id = %u\n", (unsigned)s->key_id);
    hex("topic", (const unsigned char *)topic, strlen(topic));
    hex("session_id", h.session_id, 12);
    printf("seq = %llu\n", (unsigned long long)s->seq);
    if (s->has_ts) {
        printf("timestamp_ms = %llu\n", (unsigned long long)s->ts);
    }
    hex("plaintext", msg, s->len);
    print_keys(root, topic);
    hex("envelope", env, n);
    mqttseal_ctx_free(ctx);
    mqttseal_keyring_free(kr);
    free(msg);
    free(env);
    return 0;
}

/* Negative vectors: variations of one valid envelope, each with the
 * error a conforming parser must report. */
typedef struct variant {
    const char *name;
    const char *error;
    const char *topic;
    int op; /* 0 as is, 1 set byte, 2 drop last, 3 append, 4 insert */
    size_t at;
    unsigned char value;
} variant;

static const variant variants[] = {
    {"valid", "OK", "site/a/temp", 0, 0, 0},
    {"truncated", "E_TRUNCATED", "site/a/temp", 2, 0, 0},
    {"trailing-byte", "E_TRAILING", "site/a/temp", 3, 0, 0},
    {"version-2", "E_VERSION", "site/a/temp", 1, 0, 0x91},
    {"suite-2", "E_SUITE", "site/a/temp", 1, 0, 0x8a},
    {"not-sealed", "E_NOT_SEALED", "site/a/temp", 1, 0, 0x7b},
    {"reserved-flag", "E_RESERVED", "site/a/temp", 1, 1, 0x02},
    {"nonminimal-key-id", "E_VARINT", "site/a/temp", 4, 2, 0},
    {"flipped-tag", "E_AUTH", "site/a/temp", 1, 999, 0},
    {"wrong-topic", "E_AUTH", "site/a/hum", 0, 0, 0},
};

static size_t mutate(unsigned char *e, size_t n, const variant *v)
{
    switch (v->op) {
    case 1:
        e[v->at < n ? v->at : n - 1] =
            v->at < n ? v->value : (unsigned char)~e[n - 1];
        return n;
    case 2:
        return n - 1;
    case 3:
        e[n] = 0;
        return n + 1;
    case 4: /* key id 1 ("01") re-encoded as "81 00" */
        memmove(e + v->at + 1, e + v->at, n - v->at);
        e[v->at] = 0x81;
        e[v->at + 1] = 0x00;
        return n + 1;
    default:
        return n;
    }
}

static int emit_malformed(void)
{
    static const unsigned char sid[12] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                          0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
    unsigned char root[32], msg[16], env[100], e[101];
    mqttseal_keyring *kr = NULL;
    mqttseal_ctx *ctx = NULL;
    mqttseal_header h;
    size_t n = 0;

    root_key(root, 0);
    memset(msg, 0x42, sizeof msg);
    memset(&h, 0, sizeof h);
    h.key_id = 1;
    memcpy(h.session_id, sid, sizeof sid);
    h.seq = 1;
    if (mqttseal_keyring_new(&kr) != MQTTSEAL_OK ||
        mqttseal_keyring_add(kr, 1, "#", root, 0) != MQTTSEAL_OK ||
        mqttseal_ctx_new(&ctx, kr) != MQTTSEAL_OK ||
        ms_test_seal_fields(ctx, env, sizeof env, &n, "site/a/temp", 11, msg,
                            sizeof msg, &h) != MQTTSEAL_OK) {
        return 1;
    }
    printf("# mqttseal v1 negative vectors (docs/FORMAT.md section 2).\n"
           "# Generated by tests/gen_vectors.c; do not edit by hand.\n"
           "# Each envelope is opened under root_key (granted '#', key id "
           "1)\n# for topic; error is what a conforming opener reports.\n");
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        size_t m;

        memcpy(e, env, n);
        m = mutate(e, n, &variants[i]);
        printf("\nname = %s\n", variants[i].name);
        hex("root_key", root, 32);
        hex("topic", (const unsigned char *)variants[i].topic,
            strlen(variants[i].topic));
        hex("envelope", e, m);
        printf("error = %s\n", variants[i].error);
    }
    mqttseal_ctx_free(ctx);
    mqttseal_keyring_free(kr);
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
    for (size_t i = 0; i < 600; i++) {
        long_topic[i] = (i % 10 == 9) ? '/' : (char)('a' + i % 26);
    }
    long_topic[600] = '\0';
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
