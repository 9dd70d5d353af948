/*
 * Writes the generated seed inputs of fuzz/corpus/<harness>/ (files named
 * gen-*; hand-picked edge cases are made here too, so that every seed can
 * be regenerated). Run from the source root after a build:
 *
 *   build/fuzz/fuzz_mkcorpus fuzz/corpus
 *
 * The fuzz_open seeds are sealed with the keyring fuzz_open.c builds
 * (open_keys.h) and a fixed session id, so they open. With a vectors
 * directory (tests/vectors), every envelope there becomes a seed of
 * fuzz_open (with its topic) and of fuzz_header:
 *
 *   build/fuzz/fuzz_mkcorpus fuzz/corpus tests/vectors
 *
 * (signed.txt's envelopes become seeds of fuzz_signed, whose signers
 * have the vectors' seeds.)
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ctx.h"
#include "mqttseal/mqttseal.h"
#include "open_keys.h"
#include "replay.h"

#define NOW_MS UINT64_C(1700000000000)

static const char *root;

static void put(const char *harness, const char *name, const void *p, size_t n)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s/gen-%s", root, harness, name);
    f = fopen(path, "wb");
    if (f == NULL || (n > 0 && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void make_key(unsigned char key[MQTTSEAL_KEYBYTES], unsigned char tag)
{
    for (unsigned i = 0; i < MQTTSEAL_KEYBYTES; i++) {
        key[i] = (unsigned char)(tag * 37U + i * 11U + 1U);
    }
}

static mqttseal_ctx *open_ctx(void)
{
    mqttseal_keyring *kr = NULL;
    mqttseal_ctx *ctx = NULL;

    if (fuzz_open_keyring(&kr) != MQTTSEAL_OK ||
        mqttseal_ctx_new(&ctx, kr) != MQTTSEAL_OK) {
        exit(1);
    }
    mqttseal_keyring_free(kr);
    return ctx;
}

/* One fuzz_open seed in open mode: options, topic, envelope; and the
 * envelope alone as a fuzz_header seed. */
static void seal_seed(mqttseal_ctx *ctx, const char *name, unsigned opt,
                      const char *topic, uint32_t key_id, uint64_t seq, int ts,
                      const char *msg)
{
    unsigned char in[2 + 255 + MQTTSEAL_SEALED_BYTES(256)];
    mqttseal_header f;
    size_t tlen = strlen(topic), mlen = strlen(msg), env_len = 0;

    memset(&f, 0, sizeof f);
    f.key_id = key_id;
    memset(f.session_id, 0x5e, sizeof f.session_id);
    f.seq = seq;
    f.has_timestamp = ts;
    f.timestamp_ms = NOW_MS - 1500;
    in[0] = (unsigned char)opt;
    in[1] = (unsigned char)tlen;
    memcpy(in + 2, topic, tlen);
    if (ms_test_seal_fields(ctx, in + 2 + tlen, sizeof in - 2 - tlen, &env_len,
                            topic, tlen, (const unsigned char *)msg, mlen,
                            &f) != MQTTSEAL_OK) {
        /* No key for it (the point of the seed): seal under id 1 and
         * put the wanted one-byte key id in. */
        f.key_id = 1;
        if (key_id > 127 ||
            ms_test_seal_fields(
                ctx, in + 2 + tlen, sizeof in - 2 - tlen, &env_len, topic, tlen,
                (const unsigned char *)msg, mlen, &f) != MQTTSEAL_OK) {
            fprintf(stderr, "seal %s failed\n", name);
            exit(1);
        }
        in[2 + tlen + 2] = (unsigned char)key_id;
    }
    put("open", name, in, 2 + tlen + env_len);
    put("header", name, in + 2 + tlen, env_len);
}

/* A round-trip seed: options, topic, seq, bit, timestamp, plaintext. */
static void roundtrip_seed(const char *name, unsigned opt, const char *topic,
                           uint64_t seq, unsigned bit, int ts_off,
                           const char *msg)
{
    unsigned char in[512];
    size_t tlen = strlen(topic), mlen = strlen(msg), n = 0;

    in[n++] = (unsigned char)(opt | 0x20U);
    in[n++] = (unsigned char)tlen;
    memcpy(in + n, topic, tlen);
    n += tlen;
    for (int i = 0; i < 8; i++) {
        in[n++] = (unsigned char)(seq >> (8 * i));
    }
    in[n++] = (unsigned char)bit;
    in[n++] = (unsigned char)(bit >> 8);
    in[n++] = (unsigned char)ts_off;
    memcpy(in + n, msg, mlen);
    put("open", name, in, n + mlen);
}

static void open_seeds(void)
{
    mqttseal_ctx *ctx = open_ctx();

    seal_seed(ctx, "root", 0, "sensors/t1", 1, 0, 0, "21.5");
    seal_seed(ctx, "root-replay", 0x04, "sensors/t1", 1, 7, 0, "21.5");
    seal_seed(ctx, "root-ts-fresh", 0x0c, "x", 1, 300, 1, "{\"v\":1}");
    seal_seed(ctx, "root-ts-retained", 0x09, "x", 1, 1, 1, "old");
    seal_seed(ctx, "root-in-place", 0x02, "/lead/slash", 1, 128, 0, "abc");
    seal_seed(ctx, "root-tight", 0x10, "a//b/", 1, 16383, 0, "");
    seal_seed(ctx, "subtree", 0, "a/b/c", 5, 1, 0, "hello");
    seal_seed(ctx, "subtree-self", 0, "a", 5, 2097151, 0, "hello");
    seal_seed(ctx, "subtree-sibling", 0, "ab", 5, 3, 0, "no grant");
    seal_seed(ctx, "unknown-id", 0, "a", 99, 3, 0, "unknown");
    seal_seed(ctx, "exact", 0, "a/b", 3, UINT64_C(0xfffffffffffffffe), 0,
              "payload");
    seal_seed(ctx, "expired", 0, "a/b", 4, 0, 0, "nope");
    seal_seed(ctx, "empty-msg", 0x04, "$SYS/x", 1, 0, 1, "");
    roundtrip_seed("rt-root", 0x00, "t", 0, 3, 0x80, "plain");
    roundtrip_seed("rt-fresh", 0x0c, "a/b", 99, 200, 0xfe, "fresh");
    roundtrip_seed("rt-stale", 0x08, "a/x", 1, 9, 0x81, "stale");
    roundtrip_seed("rt-future", 0x48, "a", 1, 9, 0x7f, "future");
    roundtrip_seed("rt-exact", 0x80, "a/b", 5, 17, 0x80, "exact");
    roundtrip_seed("rt-expired", 0xc0, "q", 5, 17, 0x80, "expired");
    roundtrip_seed("rt-in-place", 0x26, "in/place", 1u << 20, 511, 0, "ip");
    mqttseal_ctx_free(ctx);
}

/* fuzz_signed (its options: 0x02 round trip, signer << 2, 0x10
 * unsigned, 0x20 raw inner, 0x40 replay). Signer seeds as there. */
static mqttseal_ctx *signer_ctx(unsigned char start)
{
    unsigned char seed[MQTTSEAL_SIGN_SEEDBYTES];
    mqttseal_signer *s = NULL;
    mqttseal_ctx *ctx = open_ctx();

    for (unsigned i = 0; i < sizeof seed; i++) {
        seed[i] = (unsigned char)(start + i);
    }
    if (mqttseal_signer_from_seed(&s, seed) != MQTTSEAL_OK ||
        mqttseal_ctx_set_signer(ctx, s) != MQTTSEAL_OK) {
        exit(1);
    }
    mqttseal_signer_free(s);
    return ctx;
}

static void signed_seed(mqttseal_ctx *ctx, const char *name, unsigned opt,
                        const char *topic, int is_signed, const char *msg)
{
    unsigned char in[2 + 255 + MQTTSEAL_SEALED_BYTES(256)];
    mqttseal_header f;
    size_t tlen = strlen(topic), env_len = 0;

    memset(&f, 0, sizeof f);
    f.key_id = 1;
    memset(f.session_id, 0x5e, sizeof f.session_id);
    f.seq = 3;
    f.is_signed = is_signed;
    in[0] = (unsigned char)opt;
    in[1] = (unsigned char)tlen;
    memcpy(in + 2, topic, tlen);
    if (ms_test_seal_fields(ctx, in + 2 + tlen, sizeof in - 2 - tlen, &env_len,
                            topic, tlen, (const unsigned char *)msg,
                            strlen(msg), &f) != MQTTSEAL_OK) {
        fprintf(stderr, "seal %s failed\n", name);
        exit(1);
    }
    put("signed", name, in, 2 + tlen + env_len);
}

static void signed_roundtrip_seed(const char *name, unsigned opt,
                                  const char *topic, const char *msg,
                                  size_t mlen)
{
    unsigned char in[512];
    size_t tlen = strlen(topic), n = 0;

    in[n++] = (unsigned char)(opt | 0x02U);
    in[n++] = (unsigned char)tlen;
    memcpy(in + n, topic, tlen);
    n += tlen;
    for (int i = 0; i < 8; i++) {
        in[n++] = (unsigned char)(i == 0 ? 9 : 0);
    }
    in[n++] = 77; /* the bit to flip, in the header */
    in[n++] = 0;
    memcpy(in + n, msg, mlen);
    put("signed", name, in, n + mlen);
}

static void signed_seeds(void)
{
    mqttseal_ctx *a = signer_ctx(0x80), *b = signer_ctx(0xa0);
    mqttseal_ctx *c = signer_ctx(0xc0), *plain = open_ctx();
    char raw[80];

    signed_seed(a, "a-granted", 0, "a/b", 1, "21.5");
    signed_seed(a, "a-granted-replay", 0x40, "s/q/x", 1, "{\"v\":1}");
    signed_seed(a, "a-granted-in-place", 0x01, "site/a/temp", 1, "");
    signed_seed(a, "a-not-granted", 0, "b/x", 1, "nope");
    signed_seed(b, "b-granted", 0, "b/q", 1, "b");
    signed_seed(c, "c-unknown", 0, "a/b", 1, "who");
    signed_seed(plain, "unsigned-required", 0, "r/x/y", 0, "strip");
    signed_seed(plain, "unsigned-free", 0, "free/topic", 0, "ok");
    signed_seed(plain, "raw-short", 0, "a/b", 1, "short inner");
    signed_roundtrip_seed("rt-a", 0x00, "a/x", "hello", 5);
    signed_roundtrip_seed("rt-a-plus", 0x01, "s/k/x", "plus", 4);
    signed_roundtrip_seed("rt-b-not-granted", 0x04, "a/x", "b", 1);
    signed_roundtrip_seed("rt-c-unknown", 0x08, "a", "c", 1);
    signed_roundtrip_seed("rt-e-expired", 0x0c, "z", "e", 1);
    signed_roundtrip_seed("rt-unsigned-required", 0x10, "r/1/2", "u", 1);
    signed_roundtrip_seed("rt-unsigned", 0x10, "q", "u", 1);
    memset(raw, 0x33, sizeof raw);
    signed_roundtrip_seed("rt-raw-71", 0x20, "a/b", raw, 71);
    signed_roundtrip_seed("rt-raw-80", 0x20, "a/b", raw, 80);
    mqttseal_ctx_free(a);
    mqttseal_ctx_free(b);
    mqttseal_ctx_free(c);
    mqttseal_ctx_free(plain);
}

/* fuzz_trust: a saved trust list, and signer-key texts. */
static void trust_seeds(void)
{
    static const char *const fa[] = {"site/#", "a/+/c", "#"};
    static const char *const fb[] = {"$SYS/x", "+"};
    unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES];
    char text[2048], b64[45];
    mqttseal_trust *t = NULL;
    size_t len = 0;

    if (mqttseal_trust_new(&t) != MQTTSEAL_OK) {
        exit(1);
    }
    for (unsigned i = 0; i < sizeof pk; i++) {
        pk[i] = (unsigned char)(i * 3U + 1U);
    }
    (void)mqttseal_trust_add(t, "sensor-a", pk, fa, 3, 0);
    pk[0] ^= 0xff;
    (void)mqttseal_trust_add(t, "gw_b.2", pk, fb, 2, 253402300799);
    (void)mqttseal_trust_require(t, "site/+/temp");
    (void)mqttseal_trust_require(t, "#");
    if (mqttseal_trust_to_string(t, text, sizeof text, &len) != MQTTSEAL_OK) {
        exit(1);
    }
    put("trust", "saved", text, len);
    mqttseal_trust_free(t);
    sodium_bin2base64(b64, sizeof b64, pk, sizeof pk,
                      sodium_base64_VARIANT_ORIGINAL);
    len =
        (size_t)snprintf(text, sizeof text,
                         "# signer\r\nmqttseal-signer 1\r\n\nsecret %s\n", b64);
    put("trust", "signer-key", text, len);
    len = (size_t)snprintf(text, sizeof text, "mqttseal-signer 1\nsecret %s",
                           b64);
    put("trust", "signer-key-no-newline", text, len);
}

/* Hand-made header edge cases, one per row of the parsing table. */
static void header_seeds(void)
{
    static const struct {
        const char *name;
        unsigned char b[48];
        size_t n;
    } cases[] = {
        {"empty", {0}, 0},
        {"plain-json", {'{', '"', 'a', '"', ':', '1', '}'}, 7},
        {"version-2", {0x91, 0x00}, 2},
        {"suite-2", {0x8a, 0x00}, 2},
        {"no-flags", {0x89}, 1},
        {"reserved", {0x89, 0x02}, 2},
        {"keyid-trunc", {0x89, 0x00, 0x80}, 3},
        {"keyid-nonminimal", {0x89, 0x00, 0x81, 0x00}, 4},
        {"keyid-over", {0x89, 0x00, 0xff, 0xff, 0xff, 0xff, 0x1f}, 7},
        {"sid-trunc", {0x89, 0x00, 0x01, 1, 2, 3}, 6},
        {"seq-10-bytes",
         {0x89, 0x00, 0x01, 1,    2,    3,    4,    5,    6,
          7,    8,    9,    10,   11,   12,   0xff, 0xff, 0xff,
          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00},
         26},
        {"seq-11-bytes",
         {0x89, 0x00, 0x01, 1,    2,    3,    4,    5,    6,
          7,    8,    9,    10,   11,   12,   0xff, 0xff, 0xff,
          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00},
         26},
        {"ts-over",
         {0x89, 0x01, 0x01, 1,    2,    3,    4,    5,    6,
          7,    8,    9,    10,   11,   12,   0x00, 0x80, 0x80,
          0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00},
         27},
        {"oversize",
         {0x89, 0x00, 0x01, 1,  2,  3,    4,    5,    6,    7,
          8,    9,    10,   11, 12, 0x00, 0xc5, 0xff, 0xff, 0x7f},
         20},
        {"ct-trunc",
         {0x89, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x00, 0x02,
          0xaa},
         18},
        {"trailing",
         {0x89, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x00, 0x00,
          0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  0,  0,  0,    0x00},
         34},
        {"minimal-empty",
         {0x89, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x00, 0x00,
          0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  0,  0,  0},
         33},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        put("header", cases[i].name, cases[i].b, cases[i].n);
    }
}

static void keyring_seeds(void)
{
    mqttseal_keyring *kr = NULL;
    unsigned char key[MQTTSEAL_KEYBYTES];
    char text[4096];
    size_t len = 0;

    if (mqttseal_keyring_new(&kr) != MQTTSEAL_OK) {
        exit(1);
    }
    make_key(key, 1);
    (void)mqttseal_keyring_add(kr, 1, "#", key, 1798761600);
    make_key(key, 2);
    (void)mqttseal_keyring_add(kr, 2, "site/a/#", key, 0);
    make_key(key, 3);
    (void)mqttseal_keyring_add(kr, 2, "site/b/x", key, 0);
    make_key(key, 4);
    (void)mqttseal_keyring_add(kr, 4294967295U, "/#", key, 253402300799);
    if (mqttseal_keyring_set_primary(kr, 2) != MQTTSEAL_OK ||
        mqttseal_keyring_to_string(kr, text, sizeof text, &len) !=
            MQTTSEAL_OK) {
        exit(1);
    }
    put("keyring", "saved", text, len);
    mqttseal_keyring_free(kr);
}

static void replay_seeds(void)
{
    static const unsigned windows[] = {64, 128, 4096};
    unsigned char sid[MQTTSEAL_SESSIONIDBYTES];
    char name[64];

    for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
        ms_replay *r = NULL;
        unsigned char *buf = NULL, *in;
        size_t len = 0;

        if (ms_replay_new(&r, windows[w], 2) != MQTTSEAL_OK) {
            exit(1);
        }
        /* Three sessions into room for two: one becomes a tombstone. */
        for (unsigned s = 0; s < 3; s++) {
            memset(sid, (int)(0x30 + s), sizeof sid);
            for (uint64_t q = 0; q < 200; q += 1 + s) {
                (void)ms_replay_accept(r, s % 2 + 1, sid, q * (s + 1), 0, 0,
                                       NOW_MS);
            }
        }
        if (ms_replay_encode(r, &buf, &len) != MQTTSEAL_OK ||
            (in = malloc(len + 2)) == NULL) {
            exit(1);
        }
        /* Same geometry, checksum as saved; then a smaller receiver
         * that recomputes the checksum. */
        in[0] = (unsigned char)(windows[w] / 64 - 1);
        in[1] = 2 - 1;
        memcpy(in + 2, buf, len);
        snprintf(name, sizeof name, "w%u", windows[w]);
        put("replay_state", name, in, len + 2);
        in[0] = 0;
        in[1] = 0x80;
        snprintf(name, sizeof name, "w%u-to-w64-1", windows[w]);
        put("replay_state", name, in, len + 2);
        free(in);
        free(buf);
        ms_replay_free(r);
    }
}

/* Sequence mode: many senders under two key ids through one or two
 * session slots, so sessions are evicted, tombstones dropped, marks set;
 * with reloads along the way. */
static void replay_sequence_seeds(void)
{
    unsigned char in[2 + 4 * 96];
    size_t n = 2;

    in[0] = 0x80; /* sequence mode, 64-bit window */
    in[1] = 1;    /* two sessions */
    for (unsigned i = 0; i < 96; i++) {
        unsigned sender = i % 8, seq = (i * 7) % 130;
        in[n++] =
            (unsigned char)(sender | (i % 3 == 0 ? 0x08U : 0U) |
                            (i % 2 ? 0x10U : 0U) | (i % 17 == 0 ? 0x20U : 0U) |
                            (i == 60 ? 0x40U : 0U));
        in[n++] = (unsigned char)seq;
        in[n++] = (unsigned char)(seq >> 8);
        in[n++] = (unsigned char)(i % 5 == 0 ? 0xf0U : 3U);
    }
    put("replay_state", "sequence", in, n);
    in[0] = 0x81; /* 128-bit window */
    in[1] = 0;    /* one session */
    put("replay_state", "sequence-one-session", in, n);
}

static void filter_seed(const char *name, const char *filter, const char *topic)
{
    unsigned char in[300];
    size_t fl = strlen(filter), tl = strlen(topic);

    in[0] = (unsigned char)fl;
    memcpy(in + 1, filter, fl);
    memcpy(in + 1 + fl, topic, tl);
    put("filter", name, in, 1 + fl + tl);
}

static void filter_seeds(void)
{
    filter_seed("root", "#", "a/b/c");
    filter_seed("subtree-self", "a/b/#", "a/b");
    filter_seed("subtree-below", "a/b/#", "a/b/c/d");
    filter_seed("subtree-sibling", "a/#", "ab/c");
    filter_seed("slash", "/#", "/x");
    filter_seed("exact", "a/b", "a/b");
    filter_seed("exact-below", "a/b", "a/b/c");
    filter_seed("empty-levels", "a//#", "a///");
    filter_seed("plus", "a/+/c", "a/b/c");
    filter_seed("hash-mid", "a/#/c", "a/b/c");
    filter_seed("hash-glued", "a#", "a");
    filter_seed("topic-wild", "#", "a/+");
    filter_seed("sys", "$SYS/#", "$SYS/broker");
}

static size_t unhex(unsigned char *out, size_t cap, const char *hex)
{
    size_t n = 0;

    while (hex[0] != '\0' && hex[1] != '\0' && n < cap) {
        unsigned v;
        if (sscanf(hex, "%2x", &v) != 1) {
            break;
        }
        out[n++] = (unsigned char)v;
        hex += 2;
    }
    return n;
}

/* "name = ...", "topic = <hex>", "envelope = <hex>" blocks; a seed per
 * envelope, written when its block ends. */
static void vector_seeds(const char *dir, const char *file, const char *harness)
{
    static char line[1 << 16];
    static unsigned char topic[256], env[1 << 15],
        in[sizeof topic + 2 + sizeof env];
    char path[512], name[128] = "", seed[160];
    size_t tlen = 0, elen = 0;
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, file);
    if ((f = fopen(path, "r")) == NULL) {
        perror(path);
        exit(1);
    }
    for (;;) {
        char *ok = fgets(line, sizeof line, f);
        line[strcspn(line, "\r\n")] = '\0';
        if (ok == NULL || line[0] == '\0') {
            if (elen > 0 && tlen < 256) {
                in[0] = 0;
                in[1] = (unsigned char)tlen;
                memcpy(in + 2, topic, tlen);
                memcpy(in + 2 + tlen, env, elen);
                snprintf(seed, sizeof seed, "vec-%s", name);
                put(harness, seed, in, 2 + tlen + elen);
                put("header", seed, env, elen);
            }
            elen = tlen = 0;
            if (ok == NULL) {
                break;
            }
        } else if (strncmp(line, "name = ", 7) == 0) {
            snprintf(name, sizeof name, "%.100s", line + 7);
        } else if (strncmp(line, "topic = ", 8) == 0) {
            tlen = unhex(topic, sizeof topic, line + 8);
        } else if (strncmp(line, "envelope = ", 11) == 0) {
            elen = unhex(env, sizeof env, line + 11);
        }
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: %s CORPUS_DIR [VECTORS_DIR]\n", argv[0]);
        return 2;
    }
    root = argv[1];
    if (mqttseal_init() != MQTTSEAL_OK) {
        return 1;
    }
    ms_clock_set_fake(NOW_MS);
    open_seeds();
    header_seeds();
    keyring_seeds();
    replay_seeds();
    replay_sequence_seeds();
    filter_seeds();
    signed_seeds();
    trust_seeds();
    if (argc == 3) {
        vector_seeds(argv[2], "envelopes.txt", "open");
        vector_seeds(argv[2], "malformed.txt", "open");
        vector_seeds(argv[2], "signed.txt", "signed");
    }
    return 0;
}
