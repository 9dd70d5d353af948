/*
 * Keyrings: entries, grants, lookups, the text format and files
 * (docs/FORMAT.md sections 6 to 8). Expected keys come from a reference
 * KDF written here from the spec, not from the library.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "keyring.h"
#include "keyring_internal.h"
#include "secure.h"
#include "mqttseal/mqttseal.h"

#define KB MQTTSEAL_KEYBYTES
#define HDR "mqttseal-keyring 1\n"
/* The key 00 01 .. 1f in base64 and hex. */
#define K0 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define K0_HEX                                                                 \
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define K1 "Jm2iQkY1bC0oK7TXoIUeH8bOmlG8d6nD1K7Kk0CqQjs="

/* ---- Reference KDF (FORMAT.md section 5) -------------------------------- */

static void ref_kdf(unsigned char out[KB], const unsigned char key[KB],
                    const char *personal, const unsigned char *in, size_t n)
{
    unsigned char salt[16] = {0};
    assert_int_equal(
        crypto_generichash_blake2b_salt_personal(
            out, KB, in, n, key, KB, salt, (const unsigned char *)personal),
        0);
}

/* Walk the levels of s from key k; with msg, add the message step. */
static void ref_derive(unsigned char out[KB], const unsigned char k[KB],
                       const char *s, int msg)
{
    unsigned char cur[KB], in[512];
    memcpy(cur, k, KB);
    while (s != NULL) {
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        assert_true(n + 2 <= sizeof in);
        in[0] = (unsigned char)(n >> 8);
        in[1] = (unsigned char)n;
        memcpy(in + 2, s, n);
        ref_kdf(cur, cur, "mqttseal-node-v1", in, n + 2);
        s = slash ? slash + 1 : NULL;
    }
    if (msg) {
        const unsigned char one = 1;
        ref_kdf(cur, cur, "mqttseal-msgk-v1", &one, 1);
    }
    memcpy(out, cur, KB);
}

static void ref_message(unsigned char out[KB], const unsigned char node[KB])
{
    const unsigned char one = 1;
    ref_kdf(out, node, "mqttseal-msgk-v1", &one, 1);
}

/* ---- Helpers ------------------------------------------------------------ */

static mqttseal_keyring *new_kr(void)
{
    mqttseal_keyring *kr = NULL;
    assert_int_equal(mqttseal_keyring_new(&kr), MQTTSEAL_OK);
    assert_non_null(kr);
    return kr;
}

static mqttseal_keyring *load(const char *text)
{
    mqttseal_keyring *kr = NULL;
    mqttseal_diag d;
    int rc = mqttseal_keyring_load_string(&kr, text, strlen(text), &d);
    if (rc != MQTTSEAL_OK)
        fail_msg("load failed (%d): %s", rc, d.message);
    return kr;
}

static void msg_key(const mqttseal_keyring *kr, uint32_t id, const char *t,
                    unsigned char out[KB])
{
    int64_t exp;
    assert_int_equal(ms_keyring_message_key(kr, id, t, strlen(t), out, &exp),
                     MQTTSEAL_OK);
}

/* Serialise into a fresh heap string. */
static char *to_text(const mqttseal_keyring *kr)
{
    size_t len = 0;
    assert_int_equal(mqttseal_keyring_to_string(kr, NULL, 0, &len),
                     MQTTSEAL_E_BUFFER);
    char *s = malloc(len + 1);
    assert_non_null(s);
    assert_int_equal(mqttseal_keyring_to_string(kr, s, len + 1, &len),
                     MQTTSEAL_OK);
    assert_int_equal(strlen(s), len);
    return s;
}

static void zero_root(unsigned char root[KB])
{
    for (unsigned i = 0; i < KB; i++)
        root[i] = (unsigned char)i; /* the key K0 */
}

/* ---- Entries ------------------------------------------------------------ */

static void test_generate_and_primary(void **state)
{
    mqttseal_keyring *kr = new_kr();
    mqttseal_key_info info;
    uint32_t id = 99;
    (void)state;
    assert_int_equal(mqttseal_keyring_primary(kr, &id), MQTTSEAL_E_NO_PRIMARY);
    assert_int_equal(mqttseal_keyring_generate(kr, 7), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_generate(kr, 8), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_generate(kr, 7),
                     MQTTSEAL_E_DUPLICATE_KEY);
    assert_int_equal(mqttseal_keyring_count(kr), 2);
    assert_int_equal(mqttseal_keyring_primary(kr, &id), MQTTSEAL_OK);
    assert_int_equal(id, 7); /* the first one stays primary */
    assert_int_equal(mqttseal_keyring_entry(kr, 1, &info), MQTTSEAL_OK);
    assert_int_equal(info.key_id, 8);
    assert_string_equal(info.filter, "#");
    assert_int_equal(info.is_primary, 0);
    assert_int_equal(info.expires, 0);
    assert_int_equal(mqttseal_keyring_set_primary(kr, 8), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_set_primary(kr, 9),
                     MQTTSEAL_E_UNKNOWN_KEY);
    assert_int_equal(mqttseal_keyring_entry(kr, 1, &info), MQTTSEAL_OK);
    assert_int_equal(info.is_primary, 1);
    assert_int_equal(mqttseal_keyring_entry(kr, 2, &info), MQTTSEAL_E_INVALID);
    /* Two generated root keys differ. */
    unsigned char a[KB], b[KB];
    msg_key(kr, 7, "t", a);
    msg_key(kr, 8, "t", b);
    assert_memory_not_equal(a, b, KB);
    mqttseal_keyring_free(kr);
    mqttseal_keyring_free(NULL);
    assert_int_equal(mqttseal_keyring_count(NULL), 0);
}

static void test_add_checks(void **state)
{
    mqttseal_keyring *kr = new_kr();
    unsigned char k[KB] = {1};
    (void)state;
    assert_int_equal(mqttseal_keyring_add(kr, 1, "a/#", k, 0), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_add(kr, 1, "a/#", k, 0),
                     MQTTSEAL_E_DUPLICATE_KEY);
    assert_int_equal(mqttseal_keyring_add(kr, 2, "a/#", k, 0), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_add(kr, 1, "a/+", k, 0),
                     MQTTSEAL_E_FILTER_PLUS);
    assert_int_equal(mqttseal_keyring_add(kr, 1, "a#", k, 0),
                     MQTTSEAL_E_FILTER);
    assert_int_equal(mqttseal_keyring_add(kr, 1, "", k, 0), MQTTSEAL_E_FILTER);
    assert_int_equal(mqttseal_keyring_add(kr, 1, "b", k, -1),
                     MQTTSEAL_E_INVALID);
    assert_int_equal(mqttseal_keyring_add(kr, 1, NULL, k, 0),
                     MQTTSEAL_E_INVALID);
    assert_int_equal(mqttseal_keyring_add(kr, 1, "b", NULL, 0),
                     MQTTSEAL_E_INVALID);
    assert_int_equal(mqttseal_keyring_add(NULL, 1, "b", k, 0),
                     MQTTSEAL_E_INVALID);
    assert_int_equal(mqttseal_keyring_count(kr), 2);
    /* No primary: add never makes one. */
    uint32_t id;
    assert_int_equal(mqttseal_keyring_primary(kr, &id), MQTTSEAL_E_NO_PRIMARY);
    mqttseal_keyring_free(kr);
}

static void test_entry_long_filter(void **state)
{
    mqttseal_keyring *kr = new_kr();
    unsigned char k[KB] = {0};
    char f[400];
    mqttseal_key_info info;
    (void)state;
    memset(f, 'x', sizeof f - 1);
    f[sizeof f - 1] = '\0';
    /* A two-byte UTF-8 character straddling the cut is not split. */
    memcpy(f + 251, "\xc3\xa9", 2);
    assert_int_equal(mqttseal_keyring_add(kr, 3, f, k, 1234), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_entry(kr, 0, &info), MQTTSEAL_OK);
    assert_int_equal(info.expires, 1234);
    size_t n = strlen(info.filter);
    assert_true(n < sizeof info.filter);
    assert_string_equal(info.filter + n - 3, "...");
    assert_int_equal(n, 251 + 3);
    assert_memory_equal(info.filter, f, 251);
    mqttseal_keyring_free(kr);
}

/* mqttseal_keyring_entry_filter: the whole filter, sized first, with a
 * canary after the terminating NUL; every too-small capacity refused. */
static void test_entry_filter_lossless(void **state)
{
    mqttseal_keyring *kr = new_kr();
    unsigned char k[KB] = {0};
    char f[400], buf[sizeof f + 8];
    size_t len = 0;
    (void)state;
    memset(f, 'x', sizeof f - 1);
    f[sizeof f - 1] = '\0';
    memcpy(f + 251, "\xc3\xa9", 2);
    assert_int_equal(mqttseal_keyring_add(kr, 3, f, k, 0), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_add(kr, 4, "a/b", k, 0), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_entry_filter(kr, 0, NULL, 0, &len),
                     MQTTSEAL_E_BUFFER);
    assert_int_equal(len, sizeof f - 1);
    for (size_t cap = 1; cap <= len; cap++) {
        memset(buf, 0xA5, sizeof buf);
        assert_int_equal(mqttseal_keyring_entry_filter(kr, 0, buf, cap, NULL),
                         MQTTSEAL_E_BUFFER);
        assert_int_equal(buf[0], '\0');
        assert_int_equal((unsigned char)buf[cap], 0xA5);
    }
    memset(buf, 0xA5, sizeof buf);
    assert_int_equal(mqttseal_keyring_entry_filter(kr, 0, buf, len + 1, &len),
                     MQTTSEAL_OK);
    assert_string_equal(buf, f);
    assert_int_equal((unsigned char)buf[len + 1], 0xA5);
    assert_int_equal(mqttseal_keyring_entry_filter(kr, 1, buf, 4, &len),
                     MQTTSEAL_OK);
    assert_string_equal(buf, "a/b");
    assert_int_equal(len, 3);
    assert_int_equal(mqttseal_keyring_entry_filter(kr, 2, buf, 4, &len),
                     MQTTSEAL_E_INVALID);
    assert_int_equal(mqttseal_keyring_entry_filter(NULL, 0, buf, 4, &len),
                     MQTTSEAL_E_INVALID);
    assert_int_equal(mqttseal_keyring_entry_filter(kr, 0, NULL, 4, &len),
                     MQTTSEAL_E_INVALID);
    mqttseal_keyring_free(kr);
}

static void test_expiry_and_remove(void **state)
{
    mqttseal_keyring *kr = new_kr();
    unsigned char k[KB] = {5}, got[KB], want[KB];
    mqttseal_key_info info;
    uint32_t id;
    (void)state;
    assert_int_equal(mqttseal_keyring_generate(kr, 1), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_add(kr, 2, "a/#", k, 0), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_add(kr, 1, "b", k, 0), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_add(kr, 3, "c", k, 0), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_set_expiry(kr, 1, 2000000000),
                     MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_set_expiry(kr, 9, 1),
                     MQTTSEAL_E_UNKNOWN_KEY);
    assert_int_equal(mqttseal_keyring_set_expiry(kr, 1, -5),
                     MQTTSEAL_E_INVALID);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(mqttseal_keyring_entry(kr, i, &info), MQTTSEAL_OK);
        assert_int_equal(info.expires, info.key_id == 1 ? 2000000000 : 0);
    }
    /* Remove the primary id: both its entries go, the primary is gone. */
    assert_int_equal(mqttseal_keyring_remove(kr, 1), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_remove(kr, 1), MQTTSEAL_E_UNKNOWN_KEY);
    assert_int_equal(mqttseal_keyring_count(kr), 2);
    /* The slots the removed entries vacated hold zeros. */
    for (size_t i = 2 * KB; i < 4 * KB; i++)
        assert_int_equal(kr->keys[i], 0);
    assert_int_equal(mqttseal_keyring_primary(kr, &id), MQTTSEAL_E_NO_PRIMARY);
    assert_int_equal(mqttseal_keyring_entry(kr, 0, &info), MQTTSEAL_OK);
    assert_int_equal(info.key_id, 2);
    assert_int_equal(mqttseal_keyring_entry(kr, 1, &info), MQTTSEAL_OK);
    assert_int_equal(info.key_id, 3);
    /* The survivors' keys moved with them. */
    msg_key(kr, 2, "a/x", got);
    ref_derive(want, k, "x", 1);
    assert_memory_equal(got, want, KB);
    msg_key(kr, 3, "c", got);
    assert_memory_equal(got, k, KB);
    mqttseal_keyring_free(kr);
}

/* ---- Lookups ------------------------------------------------------------ */

/* Deliberately unrelated keys per entry, so that which entry was used
 * shows in the result. */
static void check_most_specific(int reversed)
{
    static const char *filters[] = {"#", "a/#", "a/b/#", "a/b/c", "/#"};
    unsigned char k[5][KB], got[KB], want[KB];
    mqttseal_keyring *kr = new_kr();
    for (int i = 0; i < 5; i++) {
        int j = reversed ? 4 - i : i;
        randombytes_buf(k[j], KB);
        assert_int_equal(mqttseal_keyring_add(kr, 1, filters[j], k[j], 0),
                         MQTTSEAL_OK);
    }
    msg_key(kr, 1, "a/b/c", got);
    assert_memory_equal(got, k[3], KB);
    msg_key(kr, 1, "a/b/d", got);
    ref_derive(want, k[2], "d", 1);
    assert_memory_equal(got, want, KB);
    msg_key(kr, 1, "a/b", got);
    ref_message(want, k[2]);
    assert_memory_equal(got, want, KB);
    msg_key(kr, 1, "a/x/y", got);
    ref_derive(want, k[1], "x/y", 1);
    assert_memory_equal(got, want, KB);
    msg_key(kr, 1, "ab/c", got);
    ref_derive(want, k[0], "ab/c", 1);
    assert_memory_equal(got, want, KB);
    msg_key(kr, 1, "/z", got);
    ref_derive(want, k[4], "z", 1);
    assert_memory_equal(got, want, KB);
    mqttseal_keyring_free(kr);
}

static void test_message_key_most_specific(void **state)
{
    (void)state;
    check_most_specific(0);
    check_most_specific(1);
}

static void test_message_key_errors(void **state)
{
    mqttseal_keyring *kr = new_kr();
    unsigned char k[KB] = {9}, out[KB];
    int64_t exp = -1;
    (void)state;
    assert_int_equal(mqttseal_keyring_add(kr, 2, "a/#", k, 1798761600),
                     MQTTSEAL_OK);
    assert_int_equal(ms_keyring_message_key(kr, 2, "a/b", 3, out, &exp),
                     MQTTSEAL_OK);
    assert_int_equal(exp, 1798761600);
    memset(out, 0xEE, KB);
    assert_int_equal(ms_keyring_message_key(kr, 2, "b", 1, out, &exp),
                     MQTTSEAL_E_NO_GRANT);
    for (size_t i = 0; i < KB; i++)
        assert_int_equal(out[i], 0); /* nothing usable left behind */
    assert_int_equal(ms_keyring_message_key(kr, 2, "ab", 2, out, &exp),
                     MQTTSEAL_E_NO_GRANT);
    assert_int_equal(ms_keyring_message_key(kr, 3, "a", 1, out, &exp),
                     MQTTSEAL_E_UNKNOWN_KEY);
    mqttseal_keyring_free(kr);
}

/* ---- Grants ------------------------------------------------------------- */

static void test_grant_chain(void **state)
{
    mqttseal_keyring *root =
        load(HDR "key 4 # " K0 " expires=2027-01-01T00:00:00Z\n");
    mqttseal_keyring *sub = new_kr(), *leaf = new_kr();
    unsigned char r[KB], got[KB], want[KB];
    mqttseal_key_info info;
    (void)state;
    zero_root(r);
    assert_int_equal(mqttseal_keyring_grant(sub, root, 4, "a/#"), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_grant(sub, sub, 4, "a/b/#"), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_grant(leaf, sub, 4, "a/b/c"),
                     MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_grant(leaf, sub, 4, "a/x"), MQTTSEAL_OK);
    /* Expiry is copied from the source entry. */
    assert_int_equal(mqttseal_keyring_entry(leaf, 0, &info), MQTTSEAL_OK);
    assert_int_equal(info.expires, 1798761600);
    assert_string_equal(info.filter, "a/b/c");
    const char *topics[] = {"a", "a/b", "a/b/c", "a/b/c/d", "a/", "a/x"};
    for (size_t i = 0; i < 6; i++) {
        ref_derive(want, r, topics[i], 1);
        msg_key(root, 4, topics[i], got);
        assert_memory_equal(got, want, KB);
        msg_key(sub, 4, topics[i], got);
        assert_memory_equal(got, want, KB);
    }
    msg_key(leaf, 4, "a/b/c", got);
    ref_derive(want, r, "a/b/c", 1);
    assert_memory_equal(got, want, KB);
    int64_t exp;
    assert_int_equal(ms_keyring_message_key(leaf, 4, "a/b/c/d", 7, got, &exp),
                     MQTTSEAL_E_NO_GRANT);
    mqttseal_keyring_free(root);
    mqttseal_keyring_free(sub);
    mqttseal_keyring_free(leaf);
}

static void test_grant_refused(void **state)
{
    mqttseal_keyring *src = new_kr(), *dst = new_kr();
    unsigned char k[KB] = {3};
    (void)state;
    assert_int_equal(mqttseal_keyring_add(src, 1, "a/b", k, 0), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_add(src, 2, "a/b/#", k, 0), MQTTSEAL_OK);
    /* A subtree cannot come from an exact key. */
    assert_int_equal(mqttseal_keyring_grant(dst, src, 1, "a/b/#"),
                     MQTTSEAL_E_NO_GRANT);
    assert_int_equal(mqttseal_keyring_grant(dst, src, 1, "a/b/c"),
                     MQTTSEAL_E_NO_GRANT);
    /* Nothing above or beside a subtree. */
    assert_int_equal(mqttseal_keyring_grant(dst, src, 2, "a/#"),
                     MQTTSEAL_E_NO_GRANT);
    assert_int_equal(mqttseal_keyring_grant(dst, src, 2, "#"),
                     MQTTSEAL_E_NO_GRANT);
    assert_int_equal(mqttseal_keyring_grant(dst, src, 2, "a/bc"),
                     MQTTSEAL_E_NO_GRANT);
    assert_int_equal(mqttseal_keyring_grant(dst, src, 9, "a/b"),
                     MQTTSEAL_E_UNKNOWN_KEY);
    assert_int_equal(mqttseal_keyring_grant(dst, src, 2, "a/b/+"),
                     MQTTSEAL_E_FILTER_PLUS);
    assert_int_equal(mqttseal_keyring_grant(dst, src, 2, "a/b/#/c"),
                     MQTTSEAL_E_FILTER);
    assert_int_equal(mqttseal_keyring_grant(dst, src, 2, NULL),
                     MQTTSEAL_E_INVALID);
    assert_int_equal(mqttseal_keyring_count(dst), 0);
    /* Allowed ones, then a duplicate. */
    assert_int_equal(mqttseal_keyring_grant(dst, src, 1, "a/b"), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_grant(dst, src, 2, "a/b/c/#"),
                     MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_grant(dst, src, 2, "a/b/c/#"),
                     MQTTSEAL_E_DUPLICATE_KEY);
    assert_int_equal(mqttseal_keyring_count(dst), 2);
    mqttseal_keyring_free(src);
    mqttseal_keyring_free(dst);
}

static void test_grant_slash_and_same_keyring(void **state)
{
    mqttseal_keyring *kr = load(HDR "key 0 # " K0 "\n");
    unsigned char r[KB], got[KB], want[KB], node[KB];
    char f[32];
    (void)state;
    zero_root(r);
    assert_int_equal(mqttseal_keyring_grant(kr, kr, 0, "/#"), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_grant(kr, kr, 0, "//#"), MQTTSEAL_OK);
    /* Enough grants into the same keyring to move its key array. */
    for (int i = 0; i < 40; i++) {
        snprintf(f, sizeof f, "/t%d", i);
        assert_int_equal(mqttseal_keyring_grant(kr, kr, 0, f), MQTTSEAL_OK);
    }
    ref_derive(node, r, "", 0); /* node([""]) */
    for (int i = 0; i < 40; i++) {
        snprintf(f, sizeof f, "/t%d", i);
        msg_key(kr, 0, f, got);
        ref_derive(want, node, f + 1, 1);
        assert_memory_equal(got, want, KB);
    }
    msg_key(kr, 0, "//q", got);
    ref_derive(want, r, "//q", 1);
    assert_memory_equal(got, want, KB);
    mqttseal_keyring_free(kr);
}

static void test_copy(void **state)
{
    mqttseal_keyring *kr =
        load(HDR "primary 5\nkey 5 # " K0 "\nkey 6 a/# " K1 "\n");
    mqttseal_keyring *cp = NULL;
    unsigned char a[KB], b[KB];
    (void)state;
    assert_int_equal(ms_keyring_copy(&cp, kr), MQTTSEAL_OK);
    char *t1 = to_text(kr), *t2 = to_text(cp);
    assert_string_equal(t1, t2);
    msg_key(kr, 6, "a/z", a);
    mqttseal_keyring_free(kr); /* the copy owns its own keys */
    msg_key(cp, 6, "a/z", b);
    assert_memory_equal(a, b, KB);
    free(t1);
    free(t2);
    mqttseal_keyring_free(cp);
}

/* ---- Text --------------------------------------------------------------- */

static void test_text_round_trip(void **state)
{
    const char *text = "# a comment before the header\n\n" HDR "primary 2\n"
                       "   # an indented comment\n"
                       "key 1 # " K0 " expires=2027-01-01T00:00:00Z\n"
                       "key\t2  site/a/#\t" K1 "\n"
                       "key 2 "
                       "capteur/temp\xc3\xa9rature " K0 "\n"
                       "key 4294967295 /# " K1 " expires=2024-02-29T12:34:56Z";
    mqttseal_keyring *kr = load(text), *again;
    mqttseal_key_info info;
    uint32_t id;
    (void)state;
    assert_int_equal(mqttseal_keyring_count(kr), 4);
    assert_int_equal(mqttseal_keyring_primary(kr, &id), MQTTSEAL_OK);
    assert_int_equal(id, 2);
    assert_int_equal(mqttseal_keyring_entry(kr, 3, &info), MQTTSEAL_OK);
    assert_int_equal(info.key_id, 4294967295U);
    assert_int_equal(info.expires, 1709210096);
    assert_string_equal(info.filter, "/#");
    char *s = to_text(kr);
    assert_non_null(strstr(s, "key 1 # " K0 " expires=2027-01-01T00:00:00Z\n"));
    assert_int_equal(strncmp(s, HDR "#", strlen(HDR) + 1), 0);
    assert_non_null(strstr(s, "\nprimary 2\nkey 1 "));
    again = load(s);
    char *s2 = to_text(again);
    assert_string_equal(s, s2);
    const char *topics[] = {"x", "site/a/b", "capteur/temp\xc3\xa9rature",
                            "/q"};
    const uint32_t ids[] = {1, 2, 2, 4294967295U};
    for (size_t i = 0; i < 4; i++) {
        unsigned char a[KB], b[KB];
        msg_key(kr, ids[i], topics[i], a);
        msg_key(again, ids[i], topics[i], b);
        assert_memory_equal(a, b, KB);
    }
    free(s);
    free(s2);
    mqttseal_keyring_free(kr);
    mqttseal_keyring_free(again);
}

static void test_to_string_buffer(void **state)
{
    mqttseal_keyring *kr = load(HDR "key 1 # " K0 "\n");
    char buf[512];
    size_t len = 0, need;
    (void)state;
    assert_int_equal(mqttseal_keyring_to_string(kr, NULL, 0, &need),
                     MQTTSEAL_E_BUFFER);
    /* Room for the text but not its NUL: nothing written. */
    memset(buf, '@', sizeof buf);
    assert_int_equal(mqttseal_keyring_to_string(kr, buf, need, &len),
                     MQTTSEAL_E_BUFFER);
    assert_int_equal(len, need);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], '@');
    assert_int_equal(mqttseal_keyring_to_string(kr, buf, need + 1, &len),
                     MQTTSEAL_OK);
    assert_int_equal(buf[need], '\0');
    assert_int_equal(buf[need + 1], '@');
    assert_int_equal(mqttseal_keyring_to_string(NULL, buf, 9, &len),
                     MQTTSEAL_E_INVALID);
    mqttseal_keyring_free(kr);
}

/* A topic with a space is a valid filter but cannot be one text field. */
static void test_to_string_unwritable(void **state)
{
    mqttseal_keyring *kr = new_kr();
    unsigned char k[KB] = {0};
    size_t len;
    (void)state;
    assert_int_equal(mqttseal_keyring_add(kr, 1, "a b", k, 0), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_to_string(kr, NULL, 0, &len),
                     MQTTSEAL_E_INVALID);
    mqttseal_keyring_free(kr);
}

static void expect_error(const char *text, size_t len, int rc, unsigned line,
                         const char *phrase)
{
    mqttseal_keyring *kr = (mqttseal_keyring *)1;
    mqttseal_diag d;
    char want[32];
    int got = mqttseal_keyring_load_string(&kr, text, len, &d);
    if (got != rc || d.line != line || strstr(d.message, phrase) == NULL)
        fail_msg("text [%s]: rc %d line %u \"%s\"; want rc %d line %u "
                 "\"%s\"",
                 text, got, d.line, d.message, rc, line, phrase);
    assert_null(kr);
    snprintf(want, sizeof want, "line %u: ", line);
    if (line > 0)
        assert_int_equal(strncmp(d.message, want, strlen(want)), 0);
}

#define ERR(t, rc, line, phrase)                                               \
    {                                                                          \
        t, sizeof(t) - 1, rc, line, phrase                                     \
    }
#define SYN MQTTSEAL_E_KEYRING_SYNTAX
static const struct {
    const char *text;
    size_t len;
    int rc;
    unsigned line;
    const char *phrase;
} errors[] = {
    ERR("", SYN, 0, "missing header"),
    ERR("# only\n\n  \n", SYN, 0, "missing header"),
    ERR("key 1 # " K0 "\n", SYN, 1, "missing header"),
    ERR("\n# c\nmqttseal-keyring\n", SYN, 3, "missing header"),
    ERR("mqttseal-keyring 2\n", SYN, 1, "unsupported keyring version"),
    ERR(HDR "mqttseal-keyring 1\n", SYN, 2, "second 'mqttseal-keyring'"),
    ERR(HDR "\nfoo 1\n", SYN, 3, "unknown keyword 'foo'"),
    ERR(HDR "Key 1 # " K0 "\n", SYN, 2, "unknown keyword"),
    ERR(HDR "primary\n", SYN, 2, "primary line has one key id"),
    ERR(HDR "primary 1 2\n", SYN, 2, "primary line has one key id"),
    ERR(HDR "primary 01\n", SYN, 2, "key id must be a decimal number"),
    ERR(HDR "primary 1\nkey 1 # " K0 "\nprimary 1\n", SYN, 4,
        "second primary line (the first is line 2)"),
    ERR(HDR "primary 9\nkey 1 # " K0 "\n", SYN, 2,
        "primary names key id 9, which no key line has"),
    ERR(HDR "key 1 #\n", SYN, 2, "4 or 5 fields"),
    ERR(HDR "key 1 # " K0 " expires=2027-01-01T00:00:00Z x\n", SYN, 2,
        "4 or 5 fields"),
    ERR(HDR "key x # " K0 "\n", SYN, 2, "key id must be a decimal number"),
    ERR(HDR "key 1 a/+/b " K0 "\n", MQTTSEAL_E_FILTER_PLUS, 2,
        "grant each concrete topic instead"),
    ERR(HDR "key 1 + " K0 "\n", MQTTSEAL_E_FILTER_PLUS, 2, "'+'"),
    ERR(HDR "key 1 a/#/b " K0 "\n", MQTTSEAL_E_FILTER, 2, "malformed filter"),
    ERR(HDR "key 1 a# " K0 "\n", MQTTSEAL_E_FILTER, 2, "malformed filter"),
    ERR(HDR "key 1 # AAECAwQF\n", SYN, 2, "bad base64 key"),
    ERR(HDR "key 1 # " K0 "AAAA\n", SYN, 2, "bad base64 key"),
    ERR(HDR "key 1 # " K0 "=\n", SYN, 2, "bad base64 key"),
    /* Non-zero padding bits, no padding, URL-safe alphabet, 33 bytes. */
    ERR(HDR "key 1 # AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n", SYN, 2,
        "bad base64 key"),
    ERR(HDR "key 1 # AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n", SYN, 2,
        "bad base64 key"),
    ERR(HDR "key 1 # -_ECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", SYN, 2,
        "bad base64 key"),
    ERR(HDR "key 1 # AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n", SYN, 2,
        "bad base64 key"),
    ERR(HDR "key 1 # " K0 " expires=2026-02-30T00:00:00Z\n", SYN, 2,
        "bad expiry 2026-02-30T00:00:00Z"),
    ERR(HDR "key 1 # " K0 " expires=soon\n", SYN, 2, "bad expiry"),
    ERR(HDR "key 1 # " K0 " expiry=2026-01-01T00:00:00Z\n", SYN, 2,
        "must be expires="),
    ERR(HDR "\n\n# c\nkey 3 site/# " K0 "\nkey 3 site/# " K1 "\n",
        MQTTSEAL_E_DUPLICATE_KEY, 6, "duplicate key 3 for filter site/#"),
    ERR(HDR "key 1 #\0 " K0 "\n", SYN, 2, "NUL byte"),
};

static void test_text_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof errors / sizeof *errors; i++)
        expect_error(errors[i].text, errors[i].len, errors[i].rc,
                     errors[i].line, errors[i].phrase);
    mqttseal_keyring *kr;
    assert_int_equal(mqttseal_keyring_load_string(&kr, NULL, 3, NULL),
                     MQTTSEAL_E_INVALID);
    assert_int_equal(mqttseal_keyring_load_string(NULL, HDR, 3, NULL),
                     MQTTSEAL_E_INVALID);
    /* Errors are reported with diag == NULL too. */
    assert_int_equal(mqttseal_keyring_load_string(&kr, "x", 1, NULL), SYN);
}

static void test_text_ids(void **state)
{
    static const char *good[] = {"0", "7", "4294967295"};
    static const char *bad[] = {"4294967296", "007", "00",          "-1",
                                "+1",         "1a",  "99999999999", "0x1"};
    char text[256];
    mqttseal_key_info info;
    (void)state;
    for (size_t i = 0; i < 3; i++) {
        snprintf(text, sizeof text, HDR "primary %s\nkey %s # " K0 "\n",
                 good[i], good[i]);
        mqttseal_keyring *kr = load(text);
        assert_int_equal(mqttseal_keyring_entry(kr, 0, &info), MQTTSEAL_OK);
        assert_int_equal(info.key_id, strtoul(good[i], NULL, 10));
        assert_int_equal(info.is_primary, 1);
        mqttseal_keyring_free(kr);
    }
    for (size_t i = 0; i < 8; i++) {
        snprintf(text, sizeof text, HDR "key %s # " K0 "\n", bad[i]);
        expect_error(text, strlen(text), SYN, 2, "key id must be a decimal");
        snprintf(text, sizeof text, HDR "primary %s\n", bad[i]);
        expect_error(text, strlen(text), SYN, 2, "key id must be a decimal");
    }
}

static void test_text_expiry(void **state)
{
    static const struct {
        const char *t;
        int64_t v;
    } good[] = {
        {"1970-01-01T00:00:01Z", 1},
        {"2026-01-01T00:00:00Z", 1767225600},
        {"2024-02-29T12:34:56Z", 1709210096},
        {"2000-02-29T00:00:00Z", 951782400},
        {"2027-01-01T00:00:00Z", 1798761600},
        {"9999-12-31T23:59:59Z", INT64_C(253402300799)},
    };
    static const char *bad[] = {
        "2026-02-29T00:00:00Z", "2026-02-30T00:00:00Z",  "2100-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",  "2026-00-10T00:00:00Z",
        "2026-01-00T00:00:00Z", "2026-01-01T24:00:00Z",  "2026-01-01T00:60:00Z",
        "2026-01-01T00:00:60Z", "1970-01-01T00:00:00Z",  "1969-12-31T23:59:59Z",
        "2026-01-01T00:00:00z", "2026-01-01T00:00:00",   "2026-1-01T00:00:00Z",
        "2026-01-01t00:00:00Z", "2026-01-01T00:00:00Z0", "+026-01-01T00:00:00Z",
    };
    char text[256];
    mqttseal_key_info info;
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        snprintf(text, sizeof text, HDR "key 1 # " K0 " expires=%s\n",
                 good[i].t);
        mqttseal_keyring *kr = load(text);
        assert_int_equal(mqttseal_keyring_entry(kr, 0, &info), MQTTSEAL_OK);
        assert_int_equal(info.expires, good[i].v);
        char *s = to_text(kr); /* and it is written back the same way */
        assert_non_null(strstr(s, good[i].t));
        free(s);
        mqttseal_keyring_free(kr);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(text, sizeof text, HDR "key 1 # " K0 " expires=%s\n", bad[i]);
        expect_error(text, strlen(text), SYN, 2, "bad expiry");
    }
}

static void test_text_crlf(void **state)
{
    const char *lf = HDR "primary 1\n# c\nkey 1 a/# " K0 "\n\nkey 2 b " K1
                         " expires=2027-01-01T00:00:00Z\n";
    const char *crlf = "mqttseal-keyring 1\r\nprimary 1\r\n# c\r\n"
                       "key 1 a/# " K0 "\r\n\r\nkey 2 b " K1
                       " expires=2027-01-01T00:00:00Z\r\n";
    (void)state;
    mqttseal_keyring *a = load(lf), *b = load(crlf);
    char *sa = to_text(a), *sb = to_text(b);
    assert_string_equal(sa, sb);
    free(sa);
    free(sb);
    mqttseal_keyring_free(a);
    mqttseal_keyring_free(b);
    /* Errors in CRLF text still name the right line. */
    const char *bad = "mqttseal-keyring 1\r\n\r\nkey 1 # x\r\n";
    expect_error(bad, strlen(bad), SYN, 3, "bad base64 key");
}

/* No diag message may carry a key, in base64 or hex, whatever the
 * mistake: swapped fields, a key pasted alone, garbage after a key. */
static void test_diag_no_secrets(void **state)
{
    static const char *texts[] = {
        HDR "key 1 # " K0 "AAAA\n",
        HDR "key 1 # " K0 "xyz\n",
        HDR "key 1 " K0 " #\n",
        HDR "key " K0 " # " K0 "\n",
        HDR K0 "\n",
        HDR "primary " K0 "\n",
        HDR "key 1 # " K0 " " K0 "\n",
        HDR "key 1 # " K0 " expires=" K0 "\n",
        HDR "key 1 " K0 " " K0 "\nkey 1 " K0 " " K0 "\n",
        HDR "key 1 # " K0_HEX "\n",
        HDR "key 1 " K0_HEX " x\n",
        HDR K0_HEX "\n",
        "mqttseal-keyring " K0 "\n",
        K0 "\n",
        HDR "key 1 a/+ " K0 "\n",
        HDR "key 1 # " K0 "\nkey 1 # " K0 "\n",
    };
    (void)state;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        mqttseal_keyring *kr;
        mqttseal_diag d;
        int rc =
            mqttseal_keyring_load_string(&kr, texts[i], strlen(texts[i]), &d);
        assert_int_not_equal(rc, MQTTSEAL_OK);
        assert_true(d.message[0] != '\0');
        /* Any 12-character piece of the key would already be a leak. */
        if (strstr(d.message, "AAECAwQFBgcI") != NULL ||
            strstr(d.message, "000102030405") != NULL)
            fail_msg("text #%zu leaks the key: %s", i, d.message);
    }
}

/* Every guarded block the keyring code frees must be wiped first. */
static size_t wiped_blocks, dirty_blocks;

static void observe_wipe(const void *p, size_t n)
{
    const unsigned char *b = p;
    wiped_blocks++;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != 0) {
            dirty_blocks++;
            break;
        }
    }
}

static void test_keys_wiped_on_free(void **state)
{
    (void)state;
    wiped_blocks = dirty_blocks = 0;
    ms_test_set_wipe_observer(observe_wipe);
    mqttseal_keyring *kr = load(HDR "key 1 # " K0 "\n");
    for (uint32_t id = 2; id < 40; id++) /* grows (moves) the key array */
        assert_int_equal(mqttseal_keyring_generate(kr, id), MQTTSEAL_OK);
    size_t moved = wiped_blocks;
    assert_true(moved >= 2);
    assert_int_equal(mqttseal_keyring_remove(kr, 1), MQTTSEAL_OK);
    mqttseal_keyring_free(kr);
    ms_test_set_wipe_observer(NULL);
    assert_int_equal(wiped_blocks, moved + 1);
    assert_int_equal(dirty_blocks, 0);
}

/* ---- Files -------------------------------------------------------------- */

typedef struct tmpdir {
    char dir[64];
    char path[128];
} tmpdir;

static int setup_dir(void **state)
{
    tmpdir *t = calloc(1, sizeof *t);
    if (t == NULL)
        return -1;
    strcpy(t->dir, "/tmp/mqttseal-kr-XXXXXX");
    if (mkdtemp(t->dir) == NULL)
        return -1;
    snprintf(t->path, sizeof t->path, "%s/keyring", t->dir);
    *state = t;
    return 0;
}

static int teardown_dir(void **state)
{
    tmpdir *t = *state;
    DIR *d = opendir(t->dir);
    struct dirent *e;
    char p[512];
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(p, sizeof p, "%s/%s", t->dir, e->d_name);
            unlink(p);
        }
    }
    if (d != NULL)
        closedir(d);
    rmdir(t->dir);
    free(t);
    return 0;
}

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_file_round_trip(void **state)
{
    tmpdir *t = *state;
    mqttseal_keyring *kr = load(HDR "primary 2\nkey 2 # " K0 "\nkey 3 a/b " K1
                                    " expires=2027-01-01T00:00:00Z\n");
    mqttseal_keyring *back = NULL;
    mqttseal_diag d;
    struct stat st;
    wiped_blocks = dirty_blocks = 0;
    ms_test_set_wipe_observer(observe_wipe);
    assert_int_equal(mqttseal_keyring_save_file(kr, t->path), MQTTSEAL_OK);
    assert_int_equal(stat(t->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(dir_entries(t->dir), 1); /* no temp file left */
    assert_int_equal(mqttseal_keyring_load_file(&back, t->path, &d),
                     MQTTSEAL_OK);
    ms_test_set_wipe_observer(NULL);
    /* The text buffers of save and load were wiped and freed. */
    assert_int_equal(wiped_blocks, 2);
    assert_int_equal(dirty_blocks, 0);
    char *a = to_text(kr), *b = to_text(back);
    assert_string_equal(a, b);
    free(a);
    free(b);
    mqttseal_keyring_free(back);
    /* Saving over a file readable by others leaves a 0600 file. */
    assert_int_equal(chmod(t->path, 0644), 0);
    assert_int_equal(mqttseal_keyring_save_file(kr, t->path), MQTTSEAL_OK);
    assert_int_equal(stat(t->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    mqttseal_keyring_free(kr);
}

static void test_file_perms(void **state)
{
    tmpdir *t = *state;
    mqttseal_keyring *kr = load(HDR "key 2 # " K0 "\n"), *back;
    mqttseal_diag d;
    static const mode_t refused[] = {0644, 0640, 0604, 0660, 0602, 0620};
    assert_int_equal(mqttseal_keyring_save_file(kr, t->path), MQTTSEAL_OK);
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        assert_int_equal(chmod(t->path, refused[i]), 0);
        back = (mqttseal_keyring *)1;
        assert_int_equal(mqttseal_keyring_load_file(&back, t->path, &d),
                         MQTTSEAL_E_KEYRING_PERMS);
        assert_null(back);
        assert_int_equal(d.line, 0);
        assert_non_null(strstr(d.message, "chmod 600"));
        assert_non_null(strstr(d.message, t->path));
    }
    assert_int_equal(chmod(t->path, 0400), 0);
    assert_int_equal(mqttseal_keyring_load_file(&back, t->path, &d),
                     MQTTSEAL_OK);
    mqttseal_keyring_free(back);
    mqttseal_keyring_free(kr);
}

static void test_file_errors(void **state)
{
    tmpdir *t = *state;
    mqttseal_keyring *kr = NULL;
    mqttseal_diag d;
    char path[192];
    snprintf(path, sizeof path, "%s/missing", t->dir);
    assert_int_equal(mqttseal_keyring_load_file(&kr, path, &d), MQTTSEAL_E_IO);
    assert_null(kr);
    assert_int_equal(d.line, 0);
    assert_non_null(strstr(d.message, path));
    /* A directory is not a keyring. */
    assert_int_equal(mqttseal_keyring_load_file(&kr, t->dir, &d),
                     MQTTSEAL_E_IO);
    assert_non_null(strstr(d.message, t->dir));
    /* A syntax error in a file names its line. */
    FILE *f = fopen(t->path, "w");
    assert_non_null(f);
    fputs(HDR "\nkey 1 # nope\n", f);
    fclose(f);
    assert_int_equal(chmod(t->path, 0600), 0);
    assert_int_equal(mqttseal_keyring_load_file(&kr, t->path, &d), SYN);
    assert_int_equal(d.line, 3);
    /* Saving into a missing directory fails cleanly. */
    kr = load(HDR "key 1 # " K0 "\n");
    snprintf(path, sizeof path, "%s/no/such/dir", t->dir);
    assert_int_equal(mqttseal_keyring_save_file(kr, path), MQTTSEAL_E_IO);
    mqttseal_keyring_free(kr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_and_primary),
        cmocka_unit_test(test_add_checks),
        cmocka_unit_test(test_entry_long_filter),
        cmocka_unit_test(test_entry_filter_lossless),
        cmocka_unit_test(test_expiry_and_remove),
        cmocka_unit_test(test_message_key_most_specific),
        cmocka_unit_test(test_message_key_errors),
        cmocka_unit_test(test_grant_chain),
        cmocka_unit_test(test_grant_refused),
        cmocka_unit_test(test_grant_slash_and_same_keyring),
        cmocka_unit_test(test_copy),
        cmocka_unit_test(test_text_round_trip),
        cmocka_unit_test(test_to_string_buffer),
        cmocka_unit_test(test_to_string_unwritable),
        cmocka_unit_test(test_text_errors),
        cmocka_unit_test(test_text_ids),
        cmocka_unit_test(test_text_expiry),
        cmocka_unit_test(test_text_crlf),
        cmocka_unit_test(test_diag_no_secrets),
        cmocka_unit_test(test_keys_wiped_on_free),
        cmocka_unit_test_setup_teardown(test_file_round_trip, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_file_perms, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_file_errors, setup_dir,
                                        teardown_dir),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
