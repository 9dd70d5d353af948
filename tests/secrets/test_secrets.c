/*
 * Secrets hygiene (issue 7, item 4).
 *
 * 1. Key memory is wiped when it is released. src/secure.c lets a test
 *    observe every block ms_secure_free wiped, just before it goes back
 *    to libsodium, so the check never reads freed memory: every block
 *    must be all zeros, and the blocks must add up to at least the keys
 *    that were in use.
 * 2. No error string, diag message or output contains key bytes: every
 *    error path reachable with a keyring that holds the test key is
 *    driven, with stdout and stderr captured, and every string is
 *    searched for the key in hex (both cases), in base64 (standard and
 *    URL-safe, with and without padding) and for any 8-character piece
 *    of those.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "mqttseal/mqttseal.h"
#include "secure.h"
#ifdef MQTTSEAL_HAVE_PAHO
#include "mqttseal/paho.h"
#endif

/* A key whose standard base64 has neither '+' nor '/', so that it is
 * also a valid exact filter (the "swapped fields" cases below). */
static unsigned char test_key[MQTTSEAL_KEYBYTES];
static char key_b64[64];

/* ---- 1. Wiping -------------------------------------------------------- */

static size_t wiped_blocks, wiped_bytes, dirty_blocks;

static void observer(const void *p, size_t n)
{
    const unsigned char *b = p;
    unsigned char acc = 0;

    for (size_t i = 0; i < n; i++) {
        acc |= b[i];
    }
    wiped_blocks++;
    wiped_bytes += n;
    dirty_blocks += acc != 0;
}

static void observe_reset(void)
{
    wiped_blocks = wiped_bytes = dirty_blocks = 0;
}

static mqttseal_keyring *keyring_with_test_key(void)
{
    mqttseal_keyring *kr = NULL, *src = NULL;

    assert_int_equal(mqttseal_keyring_new(&src), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_add(src, 1, "#", test_key, 0),
                     MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_new(&kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_add(kr, 1, "#", test_key, 0),
                     MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_grant(kr, src, 1, "a/#"), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_grant(kr, src, 1, "a/b/c"), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_set_primary(kr, 1), MQTTSEAL_OK);
    mqttseal_keyring_free(src);
    return kr;
}

static void seal_some(mqttseal_ctx *ctx)
{
    static const char *const topics[] = {"a/b/c", "a/x", "z", "a"};
    unsigned char env[MQTTSEAL_SEALED_BYTES(5)], out[5];
    size_t env_len, out_len;

    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++) {
        size_t tl = strlen(topics[i]);
        assert_int_equal(mqttseal_seal(ctx, env, sizeof env, &env_len,
                                       topics[i], tl,
                                       (const unsigned char *)"hello", 5),
                         MQTTSEAL_OK);
        assert_int_equal(mqttseal_open(ctx, out, sizeof out, &out_len,
                                       topics[i], tl, env, env_len, 0, NULL),
                         MQTTSEAL_OK);
    }
}

static void wiped_on_free(void **state)
{
    mqttseal_keyring *kr = keyring_with_test_key();
    mqttseal_ctx *ctx = NULL;

    (void)state;
    ms_test_set_wipe_observer(observer);
    assert_int_equal(mqttseal_ctx_new(&ctx, kr), MQTTSEAL_OK);
    seal_some(ctx);

    observe_reset();
    mqttseal_ctx_free(ctx);
    /* The context's keyring copy (3 keys) and its key cache (4 keys). */
    assert_true(wiped_blocks >= 2);
    assert_true(wiped_bytes >= 7 * MQTTSEAL_KEYBYTES);
    assert_int_equal(dirty_blocks, 0);

    observe_reset();
    mqttseal_keyring_free(kr);
    assert_true(wiped_blocks >= 1);
    assert_true(wiped_bytes >= 3 * MQTTSEAL_KEYBYTES);
    assert_int_equal(dirty_blocks, 0);
    ms_test_set_wipe_observer(NULL);
}

/* Blocks replaced while in use: a growing keyring's old array, the old
 * keyring after mqttseal_ctx_set_keyring, the old cache after
 * mqttseal_ctx_set_cache_size. */
static void wiped_on_replace(void **state)
{
    mqttseal_keyring *kr = keyring_with_test_key();
    mqttseal_ctx *ctx = NULL;
    char filter[32];

    (void)state;
    ms_test_set_wipe_observer(observer);
    observe_reset();
    for (unsigned i = 0; i < 40; i++) {
        snprintf(filter, sizeof filter, "grow/%u", i);
        assert_int_equal(mqttseal_keyring_add(kr, 2, filter, test_key, 0),
                         MQTTSEAL_OK);
    }
    assert_true(wiped_blocks >= 2); /* 8 -> 16 -> 32 -> 64 entries */
    assert_int_equal(dirty_blocks, 0);

    assert_int_equal(mqttseal_ctx_new(&ctx, kr), MQTTSEAL_OK);
    seal_some(ctx);
    observe_reset();
    assert_int_equal(mqttseal_ctx_set_keyring(ctx, kr), MQTTSEAL_OK);
    assert_true(wiped_blocks >= 1);
    assert_int_equal(dirty_blocks, 0);
    seal_some(ctx);
    observe_reset();
    assert_int_equal(mqttseal_ctx_set_cache_size(ctx, 3), MQTTSEAL_OK);
    assert_true(wiped_blocks >= 1);
    assert_int_equal(dirty_blocks, 0);

    observe_reset();
    assert_int_equal(mqttseal_keyring_remove(kr, 2), MQTTSEAL_OK);
    assert_int_equal(dirty_blocks, 0);
    mqttseal_ctx_free(ctx);
    mqttseal_keyring_free(kr);
    assert_int_equal(dirty_blocks, 0);
    ms_test_set_wipe_observer(NULL);
}

/* The keyring file buffers (read and write) hold every key in base64. */
static void wiped_file_buffers(void **state)
{
    mqttseal_keyring *kr = keyring_with_test_key(), *back = NULL;
    char dir[] = "/tmp/mqttseal-secrets-XXXXXX", path[64];
    mqttseal_diag diag;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/k", dir);
    ms_test_set_wipe_observer(observer);
    observe_reset();
    assert_int_equal(mqttseal_keyring_save_file(kr, path), MQTTSEAL_OK);
    assert_true(wiped_blocks >= 1);
    assert_int_equal(dirty_blocks, 0);
    observe_reset();
    assert_int_equal(mqttseal_keyring_load_file(&back, path, &diag),
                     MQTTSEAL_OK);
    assert_true(wiped_blocks >= 1);
    assert_int_equal(dirty_blocks, 0);
    ms_test_set_wipe_observer(NULL);
    mqttseal_keyring_free(back);
    mqttseal_keyring_free(kr);
    unlink(path);
    rmdir(dir);
}

/* ---- 2. No key bytes in any output ------------------------------------ */

#define NEEDLES_MAX 256
static char needles[NEEDLES_MAX][96];
static size_t n_needles;

static void add_needle(const char *s, size_t n)
{
    assert_true(n_needles < NEEDLES_MAX && n < sizeof needles[0]);
    memcpy(needles[n_needles], s, n);
    needles[n_needles][n] = '\0';
    n_needles++;
}

/* The whole encoding, and every 8-character piece of it (16 for hex,
 * which is 8 bytes). */
static void add_encoding(const char *enc, size_t piece)
{
    size_t n = strlen(enc);

    add_needle(enc, n);
    for (size_t i = 0; i + piece <= n; i++) {
        add_needle(enc + i, piece);
    }
}

static void make_needles(void)
{
    char hex[2 * MQTTSEAL_KEYBYTES + 1], b64[64];

    n_needles = 0;
    sodium_bin2hex(hex, sizeof hex, test_key, sizeof test_key);
    add_encoding(hex, 16);
    for (char *c = hex; *c; c++) {
        if (*c >= 'a' && *c <= 'f') {
            *c = (char)(*c - 'a' + 'A');
        }
    }
    add_encoding(hex, 16);
    add_encoding(key_b64, 8);
    sodium_bin2base64(b64, sizeof b64, test_key, sizeof test_key,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    add_encoding(b64, 8);
}

/* The first needle found in s[0..n), or NULL. */
static const char *find_key(const char *s, size_t n)
{
    for (size_t i = 0; i < n_needles; i++) {
        size_t nl = strlen(needles[i]);
        for (size_t j = 0; j + nl <= n; j++) {
            if (memcmp(s + j, needles[i], nl) == 0) {
                return needles[i];
            }
        }
    }
    return NULL;
}

static void assert_no_key(const char *what, const char *s, size_t n)
{
    const char *found = find_key(s, n);

    if (found != NULL) {
        fail_msg("%s contains key material '%s': %.*s", what, found, (int)n, s);
    }
}

/* The search itself finds a quoted piece of the key in every encoding. */
static void search_finds_key(void **state)
{
    char hex[2 * MQTTSEAL_KEYBYTES + 1], msg[128];

    (void)state;
    sodium_bin2hex(hex, sizeof hex, test_key, sizeof test_key);
    snprintf(msg, sizeof msg, "bad key '%.16s'", hex + 10);
    assert_non_null(find_key(msg, strlen(msg)));
    for (char *c = msg; *c; c++) {
        if (*c >= 'a' && *c <= 'f') {
            *c = (char)(*c - 'a' + 'A');
        }
    }
    assert_non_null(find_key(msg, strlen(msg)));
    snprintf(msg, sizeof msg, "line 3: '%.9s...'", key_b64 + 30);
    assert_non_null(find_key(msg, strlen(msg)));
    snprintf(msg, sizeof msg, "line 3: bad key");
    assert_null(find_key(msg, strlen(msg)));
}

/* stdout and stderr go to a file while the error paths run. */
static FILE *capture;
static int saved_out = -1, saved_err = -1;

static void capture_start(void)
{
    capture = tmpfile();
    assert_non_null(capture);
    fflush(stdout);
    fflush(stderr);
    saved_out = dup(1);
    saved_err = dup(2);
    assert_true(saved_out >= 0 && saved_err >= 0);
    assert_true(dup2(fileno(capture), 1) >= 0);
    assert_true(dup2(fileno(capture), 2) >= 0);
}

static void capture_check(void)
{
    char buf[65536];
    size_t n;

    fflush(stdout);
    fflush(stderr);
    assert_true(dup2(saved_out, 1) >= 0);
    assert_true(dup2(saved_err, 2) >= 0);
    close(saved_out);
    close(saved_err);
    rewind(capture);
    n = fread(buf, 1, sizeof buf, capture);
    fclose(capture);
    assert_no_key("stdout/stderr", buf, n);
}

static void no_key_in_strerror(void **state)
{
    (void)state;
    capture_start();
    for (int code = -3; code <= 64; code++) {
        const char *s = mqttseal_strerror(code);
        assert_non_null(s);
        assert_no_key("mqttseal_strerror", s, strlen(s));
#ifdef MQTTSEAL_HAVE_PAHO
        s = mqttseal_paho_strerror(MQTTSEAL_PAHO_ERROR(code));
        assert_non_null(s);
        assert_no_key("mqttseal_paho_strerror", s, strlen(s));
        s = mqttseal_paho_strerror(code);
        assert_non_null(s);
        assert_no_key("mqttseal_paho_strerror", s, strlen(s));
#endif
    }
    capture_check();
}

/* Keyring texts that fail, each holding the test key (written K). */
static const char *const bad_keyrings[] = {
    "mqttseal-keyring 1\nkey 1 # K extra\n",
    "mqttseal-keyring 1\nkey 1 # K expires=K\n",
    "mqttseal-keyring 1\nkey 1 # K expires=2027-13-01T00:00:00Z\n",
    "mqttseal-keyring 1\nkey 1 # K expires=2027-02-30T00:00:00Z\n",
    "mqttseal-keyring 1\nkey 1 # K expires=1969-12-31T23:59:59Z\n",
    "mqttseal-keyring 1\nkey x1 # K\n",
    "mqttseal-keyring 1\nkey 01 # K\n",
    "mqttseal-keyring 1\nkey 4294967296 # K\n",
    "mqttseal-keyring 1\nkey 1 a/+/b K\n",
    "mqttseal-keyring 1\nkey 1 a/#/b K\n",
    "mqttseal-keyring 1\nkey 1 a# K\n",
    "mqttseal-keyring 1\nkey 1 K\n",
    "mqttseal-keyring 1\nkey 1 K #\n",
    "mqttseal-keyring 1\nkey 1 K site/#\n",
    "mqttseal-keyring 1\nkey 1 K K\nkey 1 K K\n",
    "mqttseal-keyring 1\nkey 1 # K\nkey 1 # K\n",
    "mqttseal-keyring 1\nkey 1 # Kx\n",
    "mqttseal-keyring 1\nkey 1 # xK\n",
    "mqttseal-keyring 1\nkey 1 # K=\n",
    "mqttseal-keyring 1\nK\n",
    "mqttseal-keyring 1\nK 1 # K\n",
    "mqttseal-keyring 1\nkeyK\n",
    "mqttseal-keyring 1\nprimary K\n",
    "mqttseal-keyring 1\nprimary 1 K\n",
    "mqttseal-keyring 1\nprimary 7\nkey 1 # K\n",
    "mqttseal-keyring 1\nprimary 1\nprimary 1\nkey 1 # K\n",
    "mqttseal-keyring 1\nkey 1 # K\nmqttseal-keyring 1\n",
    "mqttseal-keyring K\n",
    "mqttseal-keyring 2\nkey 1 # K\n",
    "K\nmqttseal-keyring 1\n",
    "key 1 # K\n",
    "# K\n",
    "",
};

/* The text with K replaced by the test key in base64; "Kx", "xK" and
 * "K=" damage it. The NUL case is made by the caller. */
static size_t expand(char *out, size_t cap, const char *tmpl)
{
    size_t n = 0, kl = strlen(key_b64);

    for (const char *c = tmpl; *c; c++) {
        assert_true(n + kl + 1 < cap);
        if (*c == 'K') {
            memcpy(out + n, key_b64, kl);
            n += kl;
        } else {
            out[n++] = *c;
        }
    }
    out[n] = '\0';
    return n;
}

static void check_diag(const char *what, int rc, const mqttseal_diag *d)
{
    const char *s = mqttseal_strerror(rc);

    assert_int_not_equal(rc, MQTTSEAL_OK);
    assert_non_null(memchr(d->message, '\0', sizeof d->message));
    assert_no_key(what, d->message, strlen(d->message));
    assert_no_key("mqttseal_strerror", s, strlen(s));
}

static void no_key_in_keyring_errors(void **state)
{
    char text[1024];
    mqttseal_diag diag;

    (void)state;
    capture_start();
    for (size_t i = 0; i < sizeof bad_keyrings / sizeof bad_keyrings[0]; i++) {
        mqttseal_keyring *kr = NULL;
        size_t n = expand(text, sizeof text, bad_keyrings[i]);
        int rc = mqttseal_keyring_load_string(&kr, text, n, &diag);
        if (rc == MQTTSEAL_OK) {
            mqttseal_keyring_free(kr); /* comments only: not an error */
            continue;
        }
        check_diag(bad_keyrings[i], rc, &diag);
        /* The same line with a NUL in the middle of the key. */
        if (strstr(bad_keyrings[i], " K\n") != NULL) {
            char *k = strstr(text, key_b64);
            k[20] = '\0';
            rc = mqttseal_keyring_load_string(&kr, text, n, &diag);
            check_diag("keyring with NUL", rc, &diag);
        }
    }
    capture_check();
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static void no_key_in_file_errors(void **state)
{
    char dir[] = "/tmp/mqttseal-secrets-XXXXXX", path[64], text[1024];
    mqttseal_keyring *kr = NULL;
    mqttseal_ctx *ctx = NULL;
    mqttseal_diag diag;
    int rc;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/k", dir);
    capture_start();
    expand(text, sizeof text, "mqttseal-keyring 1\nprimary 1\nkey 1 # K\n");
    /* Readable by others; then by group only; then a syntax error. */
    write_file(path, text, 0644);
    rc = mqttseal_keyring_load_file(&kr, path, &diag);
    assert_int_equal(rc, MQTTSEAL_E_KEYRING_PERMS);
    check_diag("keyring mode 0644", rc, &diag);
    rc = mqttseal_ctx_from_file(&ctx, path, &diag);
    check_diag("ctx_from_file mode 0644", rc, &diag);
    write_file(path, text, 0640);
    rc = mqttseal_keyring_load_file(&kr, path, &diag);
    check_diag("keyring mode 0640", rc, &diag);
    expand(text, sizeof text, "mqttseal-keyring 1\nkey 1 # K junk\n");
    write_file(path, text, 0600);
    rc = mqttseal_ctx_from_file(&ctx, path, &diag);
    check_diag("ctx_from_file syntax", rc, &diag);
#ifdef MQTTSEAL_HAVE_PAHO
    assert_null(mqttseal_paho_load(path, &diag));
    check_diag("mqttseal_paho_load syntax", MQTTSEAL_E_KEYRING_SYNTAX, &diag);
#endif
    unlink(path);
    rc = mqttseal_keyring_load_file(&kr, path, &diag);
    check_diag("missing keyring", rc, &diag);
    rc = mqttseal_keyring_load_file(&kr, dir, &diag);
    check_diag("directory as keyring", rc, &diag);
    capture_check();
    rmdir(dir);
}

/* Every call that takes a key or a keyring with the test key, failing. */
static void no_key_in_api_errors(void **state)
{
    mqttseal_keyring *kr = keyring_with_test_key(), *dst = NULL;
    mqttseal_ctx *ctx = NULL;
    unsigned char env[MQTTSEAL_SEALED_BYTES(4)], out[4];
    size_t env_len = 0, out_len = 0;
    int rcs[16], n = 0;

    (void)state;
    capture_start();
    assert_int_equal(mqttseal_ctx_new(&ctx, kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_new(&dst), MQTTSEAL_OK);
    rcs[n++] = mqttseal_keyring_add(kr, 1, "#", test_key, 0);
    rcs[n++] = mqttseal_keyring_add(kr, 1, "a/+", test_key, 0);
    rcs[n++] = mqttseal_keyring_grant(dst, kr, 1, "+/x");
    rcs[n++] = mqttseal_keyring_grant(dst, kr, 9, "x");
    rcs[n++] = mqttseal_seal(ctx, env, sizeof env, &env_len, "a/+", 3,
                             (const unsigned char *)"data", 4);
    rcs[n++] = mqttseal_seal(ctx, env, 3, &env_len, "a", 1,
                             (const unsigned char *)"data", 4);
    assert_int_equal(mqttseal_seal(ctx, env, sizeof env, &env_len, "a", 1,
                                   (const unsigned char *)"data", 4),
                     MQTTSEAL_OK);
    rcs[n++] = mqttseal_open(ctx, out, sizeof out, &out_len, "b", 1, env,
                             env_len, 0, NULL);
    env[env_len - 1] ^= 1;
    rcs[n++] = mqttseal_open(ctx, out, sizeof out, &out_len, "a", 1, env,
                             env_len, 0, NULL);
    for (int i = 0; i < n; i++) {
        const char *s = mqttseal_strerror(rcs[i]);
        assert_int_not_equal(rcs[i], MQTTSEAL_OK);
        assert_no_key("mqttseal_strerror", s, strlen(s));
    }
    mqttseal_keyring_free(dst);
    mqttseal_ctx_free(ctx);
    mqttseal_keyring_free(kr);
    capture_check();
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(mqttseal_init(), MQTTSEAL_OK);
    /* Draw until the base64 has no '+' or '/' (about 1 in 60 draws). */
    do {
        randombytes_buf(test_key, sizeof test_key);
        sodium_bin2base64(key_b64, sizeof key_b64, test_key, sizeof test_key,
                          sodium_base64_VARIANT_ORIGINAL);
    } while (strpbrk(key_b64, "+/") != NULL);
    make_needles();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(search_finds_key),
        cmocka_unit_test(wiped_on_free),
        cmocka_unit_test(wiped_on_replace),
        cmocka_unit_test(wiped_file_buffers),
        cmocka_unit_test(no_key_in_strerror),
        cmocka_unit_test(no_key_in_keyring_errors),
        cmocka_unit_test(no_key_in_file_errors),
        cmocka_unit_test(no_key_in_api_errors),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
