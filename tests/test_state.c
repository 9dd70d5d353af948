/*
 * Replay-state files through the context (docs/FORMAT.md section 11):
 * a restarted receiver still refuses what it accepted; the file is
 * authenticated by the keyring, so whoever can only write it cannot
 * forge or reset it; another user's file is refused; rotation keeps a
 * file usable while one key id is shared. Runs as any user; the owner
 * checks that need chown run only as root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mqttseal/mqttseal.h"

static char dir[] = "/tmp/mqttseal-state-XXXXXX";
static char path[96];

static mqttseal_keyring *ring_of(const uint32_t *ids, size_t n)
{
    mqttseal_keyring *kr = NULL;
    unsigned char key[32];

    assert_int_equal(mqttseal_keyring_new(&kr), MQTTSEAL_OK);
    for (size_t i = 0; i < n; i++) {
        memset(key, (int)(0x10 + ids[i]), sizeof key);
        assert_int_equal(mqttseal_keyring_add(kr, ids[i], "#", key, 0),
                         MQTTSEAL_OK);
    }
    assert_int_equal(mqttseal_keyring_set_primary(kr, ids[n - 1]), MQTTSEAL_OK);
    return kr;
}

static mqttseal_ctx *ctx_of(const uint32_t *ids, size_t n)
{
    mqttseal_keyring *kr = ring_of(ids, n);
    mqttseal_ctx *ctx = NULL;

    assert_int_equal(mqttseal_ctx_new(&ctx, kr), MQTTSEAL_OK);
    mqttseal_keyring_free(kr);
    return ctx;
}

static size_t seal(mqttseal_ctx *tx, unsigned char *env, size_t cap)
{
    size_t n = 0;

    assert_int_equal(mqttseal_seal(tx, env, cap, &n, "pay/eur", 7,
                                   (const unsigned char *)"pay 100 EUR", 11),
                     MQTTSEAL_OK);
    return n;
}

static int open_rc(mqttseal_ctx *rx, const unsigned char *env, size_t n)
{
    unsigned char out[64];
    size_t m = 0;

    return mqttseal_open(rx, out, sizeof out, &m, "pay/eur", 7, env, n, 0,
                         NULL);
}

static size_t dir_entries(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t k = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        k += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return k;
}

static unsigned char *slurp(size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = malloc(1 << 20);

    assert_non_null(f);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void spit(const unsigned char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0600), 0);
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/state", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

/* Issue 11, problem 8: a restart must not accept a captured envelope
 * again. */
static void restart_still_refuses(void **state)
{
    static const uint32_t ids[] = {1};
    mqttseal_ctx *tx = ctx_of(ids, 1), *rx = ctx_of(ids, 1);
    unsigned char env[128];
    struct stat st;
    size_t n = seal(tx, env, sizeof env);

    (void)state;
    assert_int_equal(open_rc(rx, env, n), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_save_replay(rx, path), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_save_replay(rx, path), MQTTSEAL_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(dir_entries(), 1);
    mqttseal_ctx_free(rx);
    rx = ctx_of(ids, 1);
    assert_int_equal(mqttseal_ctx_load_replay(rx, path), MQTTSEAL_OK);
    assert_int_equal(open_rc(rx, env, n), MQTTSEAL_E_REPLAY);
    mqttseal_ctx_free(rx);
    /* Without the file, the replay would go through: the baseline. */
    rx = ctx_of(ids, 1);
    assert_int_equal(open_rc(rx, env, n), MQTTSEAL_OK);
    mqttseal_ctx_free(rx);
    mqttseal_ctx_free(tx);
}

/* Whoever can write the file but holds no key cannot forge it: the old
 * file's checksum was unkeyed, so a reset file with a fresh checksum
 * loaded. */
static void forged_or_reset_refused(void **state)
{
    static const uint32_t ids[] = {1}, other[] = {1};
    mqttseal_ctx *tx = ctx_of(ids, 1), *rx = ctx_of(ids, 1), *empty;
    mqttseal_keyring *kr;
    unsigned char env[128], *buf, *reset;
    size_t n = seal(tx, env, sizeof env), len, rlen;

    (void)state;
    assert_int_equal(open_rc(rx, env, n), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_save_replay(rx, path), MQTTSEAL_OK);
    buf = slurp(&len);
    /* 1. A body edited and its unkeyed checksum recomputed. */
    {
        unsigned char *copy = malloc(len);
        size_t body = len - 4 - 36; /* one tag */
        assert_non_null(copy);
        memcpy(copy, buf, len);
        copy[32 + 20] ^= 0x01; /* inside the session's highest seq */
        crypto_generichash(copy + body - 32, 32, copy, body - 32, NULL, 0);
        spit(copy, len);
        assert_int_equal(mqttseal_ctx_load_replay(rx, path),
                         MQTTSEAL_E_STATE_CORRUPT);
        free(copy);
    }
    /* 2. An empty state saved by someone else's keyring (same key id). */
    kr = ring_of(other, 1);
    assert_int_equal(mqttseal_keyring_remove(kr, 1), MQTTSEAL_OK);
    {
        unsigned char key[32];
        memset(key, 0x77, sizeof key);
        assert_int_equal(mqttseal_keyring_add(kr, 1, "#", key, 0), MQTTSEAL_OK);
    }
    assert_int_equal(mqttseal_ctx_new(&empty, kr), MQTTSEAL_OK);
    mqttseal_keyring_free(kr);
    assert_int_equal(mqttseal_ctx_save_replay(empty, path), MQTTSEAL_OK);
    reset = slurp(&rlen);
    assert_int_equal(mqttseal_ctx_load_replay(rx, path),
                     MQTTSEAL_E_STATE_CORRUPT);
    /* 3. The same empty state with its tags stripped. */
    reset[rlen - 40] = 0;
    reset[rlen - 39] = reset[rlen - 38] = reset[rlen - 37] = 0;
    spit(reset, rlen - 36);
    assert_int_equal(mqttseal_ctx_load_replay(rx, path),
                     MQTTSEAL_E_STATE_CORRUPT);
    /* The refused loads left the state as it was. */
    assert_int_equal(open_rc(rx, env, n), MQTTSEAL_E_REPLAY);
    /* The untouched file still loads. */
    spit(buf, len);
    mqttseal_ctx_free(rx);
    rx = ctx_of(ids, 1);
    assert_int_equal(mqttseal_ctx_load_replay(rx, path), MQTTSEAL_OK);
    assert_int_equal(open_rc(rx, env, n), MQTTSEAL_E_REPLAY);
    free(buf);
    free(reset);
    mqttseal_ctx_free(empty);
    mqttseal_ctx_free(rx);
    mqttseal_ctx_free(tx);
}

/* A file saved during a rotation (ids 1 and 2) loads once id 1 is gone;
 * one that shares no key id with the keyring is refused. */
static void rotation_keeps_state(void **state)
{
    static const uint32_t both[] = {1, 2}, two[] = {2}, three[] = {3};
    mqttseal_ctx *tx = ctx_of(both, 2), *rx = ctx_of(both, 2);
    unsigned char env[128];
    size_t n = seal(tx, env, sizeof env);

    (void)state;
    assert_int_equal(open_rc(rx, env, n), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_save_replay(rx, path), MQTTSEAL_OK);
    mqttseal_ctx_free(rx);
    rx = ctx_of(two, 1);
    assert_int_equal(mqttseal_ctx_load_replay(rx, path), MQTTSEAL_OK);
    assert_int_equal(open_rc(rx, env, n), MQTTSEAL_E_REPLAY);
    mqttseal_ctx_free(rx);
    rx = ctx_of(three, 1);
    assert_int_equal(mqttseal_ctx_load_replay(rx, path),
                     MQTTSEAL_E_STATE_CORRUPT);
    mqttseal_ctx_free(rx);
    mqttseal_ctx_free(tx);
}

/* Files another user owns, or that others may write, are refused: as
 * ssh refuses another user's private key. */
static void owner_checked(void **state)
{
    static const uint32_t ids[] = {1};
    mqttseal_ctx *rx = ctx_of(ids, 1);
    mqttseal_keyring *kr = ring_of(ids, 1), *back = NULL;
    mqttseal_diag diag;

    (void)state;
    assert_int_equal(mqttseal_ctx_save_replay(rx, path), MQTTSEAL_OK);
    assert_int_equal(chmod(path, 0620), 0);
    assert_int_equal(mqttseal_ctx_load_replay(rx, path), MQTTSEAL_E_FILE_OWNER);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(mqttseal_ctx_load_replay(rx, path), MQTTSEAL_OK);
    if (geteuid() == 0) {
        assert_int_equal(chown(path, 65534, 65534), 0);
        assert_int_equal(mqttseal_ctx_load_replay(rx, path),
                         MQTTSEAL_E_FILE_OWNER);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(mqttseal_keyring_save_file(kr, path), MQTTSEAL_OK);
        assert_int_equal(chown(path, 65534, 65534), 0);
        assert_int_equal(mqttseal_keyring_load_file(&back, path, &diag),
                         MQTTSEAL_E_FILE_OWNER);
        assert_non_null(strstr(diag.message, "owned by uid 65534"));
        assert_null(back);
    } else {
        printf("# not root: chown cases skipped\n");
    }
    mqttseal_keyring_free(kr);
    mqttseal_ctx_free(rx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(restart_still_refuses),
        cmocka_unit_test(forged_or_reset_refused),
        cmocka_unit_test(rotation_keeps_state),
        cmocka_unit_test(owner_checked),
    };

    if (sodium_init() < 0) {
        return 1;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
