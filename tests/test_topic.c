/*
 * Topic names, grant filters and the topic-tree KDF (docs/FORMAT.md
 * sections 5 and 6). Keys are checked three ways: against vectors
 * computed with PyNaCl (an independent BLAKE2b binding), against a
 * reference written here from the spec with libsodium's one-shot call,
 * and against each other (a subtree grant derives what the root does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "topic.h"

#define KB MQTTSEAL_KEYBYTES
#define UTF8_TOPIC "capteur/temp\xc3\xa9rature"

/* ---- Reference implementation, straight from FORMAT.md section 5 ---- */

static void ref_kdf(unsigned char out[KB], const unsigned char key[KB],
                    const char *personal, const unsigned char *in,
                    size_t in_len)
{
    unsigned char salt[16] = {0};
    assert_int_equal(crypto_generichash_blake2b_salt_personal(
                         out, KB, in, in_len, key, KB, salt,
                         (const unsigned char *)personal),
                     0);
}

static void ref_child(unsigned char out[KB], const unsigned char parent[KB],
                      const char *level, size_t n)
{
    unsigned char *in = malloc(n + 2);
    assert_non_null(in);
    in[0] = (unsigned char)(n >> 8);
    in[1] = (unsigned char)n;
    memcpy(in + 2, level, n);
    ref_kdf(out, parent, "mqttseal-node-v1", in, n + 2);
    free(in);
}

static void ref_message(unsigned char out[KB], const unsigned char node[KB])
{
    const unsigned char one = 1;
    ref_kdf(out, node, "mqttseal-msgk-v1", &one, 1);
}

/* node() of the levels of s, starting at key k (every '/' splits). */
static void ref_node(unsigned char out[KB], const unsigned char k[KB],
                     const char *s)
{
    unsigned char cur[KB];
    memcpy(cur, k, KB);
    for (;;) {
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        ref_child(cur, cur, s, n);
        if (!slash)
            break;
        s = slash + 1;
    }
    memcpy(out, cur, KB);
}

static void ref_topic(unsigned char out[KB], const unsigned char root[KB],
                      const char *t)
{
    unsigned char node[KB];
    ref_node(node, root, t);
    ref_message(out, node);
}

static void fixed_root(unsigned char root[KB])
{
    for (unsigned i = 0; i < KB; i++)
        root[i] = (unsigned char)i;
}

static void hex_to_bin(unsigned char out[KB], const char *hex)
{
    size_t len = 0;
    assert_int_equal(
        sodium_hex2bin(out, KB, hex, strlen(hex), NULL, &len, NULL), 0);
    assert_int_equal(len, KB);
}

/* ms_kdf_topic from the root, with a canary after the output. */
static void kdf_root(unsigned char out[KB], const unsigned char root[KB],
                     const char *t)
{
    unsigned char buf[KB + 16];
    memset(buf, 0xA5, sizeof buf);
    ms_kdf_topic(buf, root, MS_FILTER_ALL, 0, t, strlen(t));
    for (size_t i = KB; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0xA5);
    memcpy(out, buf, KB);
}

/* ---- KDF ---------------------------------------------------------------- */

/* Computed with PyNaCl (nacl.hash.blake2b, key/salt/person) from root
 * key 00 01 .. 1f: message_key(topic). */
static const struct {
    const char *topic, *hex;
} pynacl_vectors[] = {
    {"a", "3e42c147c84203566d5eab080fa7d63ae80e18ab03dcaa9b548d0c9aba2b026c"},
    {"a/b", "8f2cd98bbacaaaadea9aadaf58184dea0b949ccb13d59e5d10764e11665a96f6"},
    {"a/bc",
     "59d5993dc963d16015901930728f76ad75b18bb9da9c77d6b40b976916836d6e"},
    {"ab/c",
     "465b75a97c0428ef71504ee6e38b163990ae764341670d431b229c211e1933f8"},
    {"a//b",
     "5c9d5419d4ec6604c1931d0aebf54eb2cdd8b862233d8ba731ed4c29bd061ace"},
    {"/a", "82b619be0cc4de83b81875c43fb62a9cb80b1e52aab551e0f703e9601d8e28de"},
    {"a/", "415ef3b7c280f9cdc0f82cd3c0ba435091fb0566f6b0a0add295fb94bd9588c4"},
    {"$SYS/x",
     "7ec4317867ae9f9cbf971c273daad5f2596a7c3c4137850e7c1f9a90a9d723dd"},
    {UTF8_TOPIC,
     "37574178d7bd242d03d0fbd73e12c3d287a4e25726f609f50fbe2e530a91108f"},
};

static void test_kdf_pynacl_vectors(void **state)
{
    unsigned char root[KB], want[KB], got[KB];
    (void)state;
    fixed_root(root);
    for (size_t i = 0; i < sizeof pynacl_vectors / sizeof *pynacl_vectors;
         i++) {
        hex_to_bin(want, pynacl_vectors[i].hex);
        kdf_root(got, root, pynacl_vectors[i].topic);
        assert_memory_equal(got, want, KB);
    }
}

static void test_kdf_child_and_message_reference(void **state)
{
    unsigned char parent[KB], got[KB], want[KB];
    char big[300];
    (void)state;
    randombytes_buf(parent, KB);
    memset(big, 'x', sizeof big);
    const char *levels[] = {"", "a", "$SYS", "temp\xc3\xa9rature"};
    for (size_t i = 0; i < 4; i++) {
        size_t n = strlen(levels[i]);
        ms_kdf_child(got, parent, (const unsigned char *)levels[i], n);
        ref_child(want, parent, levels[i], n);
        assert_memory_equal(got, want, KB);
    }
    /* A level over 255 bytes exercises the high byte of the prefix. */
    ms_kdf_child(got, parent, (const unsigned char *)big, sizeof big);
    ref_child(want, parent, big, sizeof big);
    assert_memory_equal(got, want, KB);
    ms_kdf_message(got, parent);
    ref_message(want, parent);
    assert_memory_equal(got, want, KB);
}

static void test_kdf_topic_reference(void **state)
{
    const char *topics[] = {"a",    "a/b", "a/bc",      "ab/c",
                            "a//b", "/a",  "a/",        "$SYS/x",
                            "/",    "//",  "x/y/z/w/v", UTF8_TOPIC};
    unsigned char root[KB], got[KB], want[KB];
    (void)state;
    randombytes_buf(root, KB);
    for (size_t i = 0; i < sizeof topics / sizeof *topics; i++) {
        kdf_root(got, root, topics[i]);
        ref_topic(want, root, topics[i]);
        assert_memory_equal(got, want, KB);
    }
}

/* Level boundaries and empty levels must all give different keys. */
static void test_kdf_distinct(void **state)
{
    const char *topics[] = {"a/bc", "ab/c", "abc", "a/b/c", "a//b", "a/b",
                            "/a",   "a",    "a/",  "/a/",   "//a"};
    enum { N = sizeof topics / sizeof *topics };
    unsigned char keys[N][KB], root[KB];
    (void)state;
    randombytes_buf(root, KB);
    for (size_t i = 0; i < N; i++)
        kdf_root(keys[i], root, topics[i]);
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N; j++)
            assert_memory_not_equal(keys[i], keys[j], KB);
}

static void test_kdf_subtree_equals_root(void **state)
{
    static const struct {
        const char *prefix, *topic;
    } cases[] = {
        {"a", "a"},     {"a", "a/b"},
        {"a", "a/b/c"}, {"a", "a/"},
        {"a/b", "a/b"}, {"a/b", "a/b//"},
        {"", "/x"},     {"", "/"},
        {"", "//y"},    {"$SYS", "$SYS/broker/load"},
    };
    unsigned char root[KB], node[KB], got[KB], want[KB];
    (void)state;
    randombytes_buf(root, KB);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *p = cases[i].prefix, *t = cases[i].topic;
        ref_node(node, root, p); /* node("") is the one empty level */
        ms_kdf_topic(got, node, MS_FILTER_SUBTREE, strlen(p), t, strlen(t));
        ref_topic(want, root, t);
        assert_memory_equal(got, want, KB);
        /* ms_kdf_node from the root agrees with the reference too. */
        ms_kdf_node(got, root, MS_FILTER_ALL, 0, p, strlen(p));
        assert_memory_equal(got, node, KB);
    }
}

static void test_kdf_exact_and_node_from_subtree(void **state)
{
    unsigned char root[KB], node_a[KB], got[KB], want[KB];
    (void)state;
    randombytes_buf(root, KB);
    /* An exact grant is the message key itself. */
    ref_topic(want, root, "a/b");
    ms_kdf_topic(got, want, MS_FILTER_EXACT, 3, "a/b", 3);
    assert_memory_equal(got, want, KB);
    /* node(a/b/c) from node(a), and node(a) from itself. */
    ref_node(node_a, root, "a");
    ms_kdf_node(got, node_a, MS_FILTER_SUBTREE, 1, "a/b/c", 5);
    ref_node(want, root, "a/b/c");
    assert_memory_equal(got, want, KB);
    ms_kdf_node(got, node_a, MS_FILTER_SUBTREE, 1, "a", 1);
    assert_memory_equal(got, node_a, KB);
}

/* ---- Topic names -------------------------------------------------------- */

static void test_topic_check(void **state)
{
    char *big = malloc(MQTTSEAL_TOPIC_MAX + 1);
    (void)state;
    assert_non_null(big);
    memset(big, 'a', MQTTSEAL_TOPIC_MAX + 1);
    assert_int_equal(mqttseal_topic_check("", 0), MQTTSEAL_E_TOPIC_EMPTY);
    assert_int_equal(mqttseal_topic_check(NULL, 0), MQTTSEAL_E_TOPIC_EMPTY);
    assert_int_equal(mqttseal_topic_check(NULL, 1), MQTTSEAL_E_TOPIC_INVALID);
    const char *bad[] = {"+", "a/+", "a+b", "#", "a/#", "a#"};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(mqttseal_topic_check(bad[i], strlen(bad[i])),
                         MQTTSEAL_E_TOPIC_INVALID);
    assert_int_equal(mqttseal_topic_check("a\0b", 3), MQTTSEAL_E_TOPIC_INVALID);
    const char *good[] = {"a", "$SYS/x", "/a", "a/", "a//b", "/", UTF8_TOPIC};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(mqttseal_topic_check(good[i], strlen(good[i])),
                         MQTTSEAL_OK);
    assert_int_equal(mqttseal_topic_check(big, MQTTSEAL_TOPIC_MAX),
                     MQTTSEAL_OK);
    assert_int_equal(mqttseal_topic_check(big, MQTTSEAL_TOPIC_MAX + 1),
                     MQTTSEAL_E_TOPIC_INVALID);
    free(big);
}

/* ---- Filters ------------------------------------------------------------ */

static const struct {
    const char *f;
    size_t len; /* 0: strlen */
    int rc;
    ms_filter_kind kind;
    size_t prefix_len;
} filter_cases[] = {
    {"#", 0, MQTTSEAL_OK, MS_FILTER_ALL, 0},
    {"a/#", 0, MQTTSEAL_OK, MS_FILTER_SUBTREE, 1},
    {"a/b/#", 0, MQTTSEAL_OK, MS_FILTER_SUBTREE, 3},
    {"/#", 0, MQTTSEAL_OK, MS_FILTER_SUBTREE, 0},
    {"//#", 0, MQTTSEAL_OK, MS_FILTER_SUBTREE, 1},
    {"$SYS/#", 0, MQTTSEAL_OK, MS_FILTER_SUBTREE, 4},
    {"a", 0, MQTTSEAL_OK, MS_FILTER_EXACT, 1},
    {"a/b", 0, MQTTSEAL_OK, MS_FILTER_EXACT, 3},
    {"a/", 0, MQTTSEAL_OK, MS_FILTER_EXACT, 2},
    {"/", 0, MQTTSEAL_OK, MS_FILTER_EXACT, 1},
    {UTF8_TOPIC, 0, MQTTSEAL_OK, MS_FILTER_EXACT, sizeof UTF8_TOPIC - 1},
    {"+", 0, MQTTSEAL_E_FILTER_PLUS, 0, 0},
    {"a/+", 0, MQTTSEAL_E_FILTER_PLUS, 0, 0},
    {"a/+/b", 0, MQTTSEAL_E_FILTER_PLUS, 0, 0},
    {"+/#", 0, MQTTSEAL_E_FILTER_PLUS, 0, 0},
    {"a+", 0, MQTTSEAL_E_FILTER_PLUS, 0, 0},
    {"", 0, MQTTSEAL_E_FILTER, 0, 0},
    {"a/#/b", 0, MQTTSEAL_E_FILTER, 0, 0},
    {"a#", 0, MQTTSEAL_E_FILTER, 0, 0},
    {"#/a", 0, MQTTSEAL_E_FILTER, 0, 0},
    {"#a", 0, MQTTSEAL_E_FILTER, 0, 0},
    {"##", 0, MQTTSEAL_E_FILTER, 0, 0},
    {"a/#/", 0, MQTTSEAL_E_FILTER, 0, 0},
    {"a/b#", 0, MQTTSEAL_E_FILTER, 0, 0},
    {"#/#", 0, MQTTSEAL_E_FILTER, 0, 0},
    {"a\0/#", 4, MQTTSEAL_E_FILTER, 0, 0},
    {"a\0", 2, MQTTSEAL_E_FILTER, 0, 0},
};

static void test_filter_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof filter_cases / sizeof *filter_cases; i++) {
        const char *f = filter_cases[i].f;
        size_t len = filter_cases[i].len ? filter_cases[i].len : strlen(f);
        ms_filter_kind kind = (ms_filter_kind)-1;
        size_t plen = 12345;
        int rc = ms_filter_parse(f, len, &kind, &plen);
        if (rc != filter_cases[i].rc)
            fail_msg("filter #%zu \"%s\": rc %d, want %d", i, f, rc,
                     filter_cases[i].rc);
        assert_int_equal(mqttseal_filter_check(f, len), rc);
        if (rc != MQTTSEAL_OK)
            continue;
        assert_int_equal(kind, filter_cases[i].kind);
        assert_int_equal(plen, filter_cases[i].prefix_len);
    }
    assert_int_equal(mqttseal_filter_check(NULL, 1), MQTTSEAL_E_FILTER);
}

static void test_filter_length_limit(void **state)
{
    char *big = malloc(MQTTSEAL_TOPIC_MAX + 1);
    ms_filter_kind kind;
    size_t plen;
    (void)state;
    assert_non_null(big);
    memset(big, 'a', MQTTSEAL_TOPIC_MAX + 1);
    assert_int_equal(ms_filter_parse(big, MQTTSEAL_TOPIC_MAX, &kind, &plen),
                     MQTTSEAL_OK);
    assert_int_equal(kind, MS_FILTER_EXACT);
    assert_int_equal(mqttseal_filter_check(big, MQTTSEAL_TOPIC_MAX + 1),
                     MQTTSEAL_E_FILTER);
    big[MQTTSEAL_TOPIC_MAX - 2] = '/';
    big[MQTTSEAL_TOPIC_MAX - 1] = '#';
    assert_int_equal(ms_filter_parse(big, MQTTSEAL_TOPIC_MAX, &kind, &plen),
                     MQTTSEAL_OK);
    assert_int_equal(kind, MS_FILTER_SUBTREE);
    assert_int_equal(plen, MQTTSEAL_TOPIC_MAX - 2);
    free(big);
}

static int covers(const char *filter, const char *topic)
{
    ms_filter_kind kind;
    size_t plen;
    assert_int_equal(ms_filter_parse(filter, strlen(filter), &kind, &plen),
                     MQTTSEAL_OK);
    return ms_filter_covers(kind, filter, plen, topic, strlen(topic));
}

static const struct {
    const char *filter, *topic;
    int want;
} cover_cases[] = {
    {"#", "a", 1},          {"#", "a/b/c", 1},  {"#", "$SYS/x", 1},
    {"#", "/a", 1},         {"a/#", "a", 1},    {"a/#", "a/b", 1},
    {"a/#", "a/b/c", 1},    {"a/#", "a/", 1},   {"a/#", "a//b", 1},
    {"a/#", "ab/c", 0},     {"a/#", "ab", 0},   {"a/#", "b", 0},
    {"a/#", "b/a", 0},      {"a/#", "/a", 0},   {"a/b/#", "a/b", 1},
    {"a/b/#", "a/bc", 0},   {"a/b/#", "a", 0},  {"a/b", "a/b", 1},
    {"a/b", "a/b/c", 0},    {"a/b", "a", 0},    {"a/b", "a/bc", 0},
    {"a/b", "a/b/", 0},     {"/#", "/a", 1},    {"/#", "/", 1},
    {"/#", "//a", 1},       {"/#", "a", 0},     {"/#", "a/b", 0},
    {"a//#", "a//b", 1},    {"a//#", "a/b", 0}, {"$SYS/#", "$SYS/x", 1},
    {"$SYS/#", "$SYSx", 0},
};

static void test_filter_covers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cover_cases / sizeof *cover_cases; i++) {
        int got = covers(cover_cases[i].filter, cover_cases[i].topic);
        if (got != cover_cases[i].want)
            fail_msg("filter %s topic %s: covers %d, want %d",
                     cover_cases[i].filter, cover_cases[i].topic, got,
                     cover_cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kdf_pynacl_vectors),
        cmocka_unit_test(test_kdf_child_and_message_reference),
        cmocka_unit_test(test_kdf_topic_reference),
        cmocka_unit_test(test_kdf_distinct),
        cmocka_unit_test(test_kdf_subtree_equals_root),
        cmocka_unit_test(test_kdf_exact_and_node_from_subtree),
        cmocka_unit_test(test_topic_check),
        cmocka_unit_test(test_filter_parse),
        cmocka_unit_test(test_filter_length_limit),
        cmocka_unit_test(test_filter_covers),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
