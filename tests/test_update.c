/*
 * Keyring updates (issue 14, docs/FORMAT.md section 15): round trip,
 * every refusal (other device, untrusted signer, rollback, expiry,
 * truncation, every flipped byte, scope), apply leaving files untouched
 * on failure, device-key files, and the known-answer vectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "mqttseal/mqttseal.h"

#define NOW 1764000000
#define LATER (NOW + 86400)

static char dir[] = "/tmp/mqttseal-update-XXXXXX";

static mqttseal_signer *signer_of(unsigned char tag)
{
    unsigned char seed[32];
    mqttseal_signer *s = NULL;

    memset(seed, tag, sizeof seed);
    assert_int_equal(mqttseal_signer_from_seed(&s, seed), MQTTSEAL_OK);
    return s;
}

static mqttseal_device *device_of(unsigned char tag)
{
    unsigned char seed[32];
    mqttseal_device *d = NULL;

    memset(seed, tag, sizeof seed);
    assert_int_equal(mqttseal_device_from_seed(&d, seed), MQTTSEAL_OK);
    return d;
}

/* Trusts the operator (seed 0x0p) on filters. */
static mqttseal_trust *trust_for(unsigned char tag, const char *filter)
{
    unsigned char pk[32];
    mqttseal_signer *s = signer_of(tag);
    mqttseal_trust *t = NULL;
    const char *f[1] = {filter};

    mqttseal_signer_public_key(s, pk);
    assert_int_equal(mqttseal_trust_new(&t), MQTTSEAL_OK);
    assert_int_equal(mqttseal_trust_add(t, "operator", pk, f, 1, 0),
                     MQTTSEAL_OK);
    mqttseal_signer_free(s);
    return t;
}

static mqttseal_keyring *grant_of(const char *filter)
{
    unsigned char root[32];
    mqttseal_keyring *src = NULL, *kr = NULL;

    memset(root, 0x42, sizeof root);
    assert_int_equal(mqttseal_keyring_new(&src), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_add(src, 7, "#", root, 0), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_new(&kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_grant(kr, src, 7, filter), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_set_primary(kr, 7), MQTTSEAL_OK);
    mqttseal_keyring_free(src);
    return kr;
}

/* An update from operator 0x0a to device tag granting filter. */
static size_t make(unsigned char *out, size_t cap, unsigned char dev,
                   uint64_t version, int64_t expires, const char *filter)
{
    mqttseal_signer *op = signer_of(0x0a);
    mqttseal_device *d = device_of(dev);
    mqttseal_keyring *kr = grant_of(filter);
    unsigned char pk[32];
    size_t n = 0;

    mqttseal_device_public_key(d, pk);
    assert_int_equal(
        mqttseal_update_seal(out, cap, &n, op, pk, version, expires, kr),
        MQTTSEAL_OK);
    mqttseal_keyring_free(kr);
    mqttseal_device_free(d);
    mqttseal_signer_free(op);
    return n;
}

static int open_rc(const unsigned char *u, size_t n, unsigned char dev,
                   const char *trusted, uint64_t last, int64_t now)
{
    mqttseal_device *d = device_of(dev);
    mqttseal_trust *t = trust_for(0x0a, trusted);
    mqttseal_keyring *kr = (mqttseal_keyring *)&kr;
    mqttseal_diag diag;
    int rc = mqttseal_update_open(&kr, NULL, d, t, last, now, u, n, &diag);

    if (rc != MQTTSEAL_OK) {
        assert_null(kr);
        assert_true(diag.message[0] != '\0');
    }
    mqttseal_keyring_free(kr);
    mqttseal_trust_free(t);
    mqttseal_device_free(d);
    return rc;
}

static void round_trip(void **state)
{
    unsigned char u[2048];
    size_t n = make(u, sizeof u, 1, 5, LATER, "plant/#");
    mqttseal_device *d = device_of(1);
    mqttseal_trust *t = trust_for(0x0a, "plant/#");
    mqttseal_keyring *kr = NULL;
    mqttseal_update_info info;
    mqttseal_key_info ki;
    unsigned char pk[32], id[8];

    (void)state;
    assert_int_equal(mqttseal_update_open(&kr, &info, d, t, 4, NOW, u, n, NULL),
                     MQTTSEAL_OK);
    assert_int_equal(info.version, 5);
    assert_int_equal(info.expires, LATER);
    mqttseal_device_public_key(d, pk);
    mqttseal_device_id_of(id, pk);
    assert_memory_equal(info.device_id, id, 8);
    assert_int_equal(mqttseal_keyring_count(kr), 1);
    assert_int_equal(mqttseal_keyring_entry(kr, 0, &ki), MQTTSEAL_OK);
    assert_string_equal(ki.filter, "plant/#");
    assert_int_equal(ki.key_id, 7);
    mqttseal_keyring_free(kr);
    mqttseal_trust_free(t);
    mqttseal_device_free(d);
}

static void refusals(void **state)
{
    unsigned char u[2048];
    size_t n = make(u, sizeof u, 1, 5, LATER, "plant/line1/#");

    (void)state;
    assert_int_equal(open_rc(u, n, 2, "#", 0, NOW), MQTTSEAL_E_UPDATE_DEVICE);
    {
        mqttseal_device *d = device_of(1);
        mqttseal_trust *t = trust_for(0x0b, "#"); /* not the operator */
        mqttseal_keyring *kr = NULL;
        assert_int_equal(
            mqttseal_update_open(&kr, NULL, d, t, 0, NOW, u, n, NULL),
            MQTTSEAL_E_SIGNER_UNKNOWN);
        mqttseal_trust_free(t);
        mqttseal_device_free(d);
    }
    assert_int_equal(open_rc(u, n, 1, "#", 5, NOW), MQTTSEAL_E_UPDATE_ROLLBACK);
    assert_int_equal(open_rc(u, n, 1, "#", 9, NOW), MQTTSEAL_E_UPDATE_ROLLBACK);
    assert_int_equal(open_rc(u, n, 1, "#", 4, LATER),
                     MQTTSEAL_E_UPDATE_EXPIRED);
    /* Scope: the trust entry bounds what the operator may grant. */
    assert_int_equal(open_rc(u, n, 1, "plant/#", 0, NOW), MQTTSEAL_OK);
    assert_int_equal(open_rc(u, n, 1, "plant/+/#", 0, NOW), MQTTSEAL_OK);
    assert_int_equal(open_rc(u, n, 1, "plant/line1/#", 0, NOW), MQTTSEAL_OK);
    assert_int_equal(open_rc(u, n, 1, "plant/line1", 0, NOW),
                     MQTTSEAL_E_UPDATE_SCOPE);
    assert_int_equal(open_rc(u, n, 1, "plant/line2/#", 0, NOW),
                     MQTTSEAL_E_UPDATE_SCOPE);
    assert_int_equal(open_rc(u, n, 1, "plant/+", 0, NOW),
                     MQTTSEAL_E_UPDATE_SCOPE);
    n = make(u, sizeof u, 1, 5, LATER, "#");
    assert_int_equal(open_rc(u, n, 1, "plant/#", 0, NOW),
                     MQTTSEAL_E_UPDATE_SCOPE);
    n = make(u, sizeof u, 1, 5, LATER, "plant/a/b");
    assert_int_equal(open_rc(u, n, 1, "plant/+/b", 0, NOW), MQTTSEAL_OK);
    assert_int_equal(open_rc(u, n, 1, "plant/+/c", 0, NOW),
                     MQTTSEAL_E_UPDATE_SCOPE);
}

static void truncations_and_flips(void **state)
{
    unsigned char u[2048], v[2048];
    size_t n = make(u, sizeof u, 1, 5, LATER, "plant/#");

    (void)state;
    for (size_t k = 0; k < n; k++) {
        assert_int_not_equal(open_rc(u, k, 1, "#", 0, NOW), MQTTSEAL_OK);
    }
    memcpy(v, u, n);
    v[n] = 0;
    assert_int_equal(open_rc(v, n + 1, 1, "#", 0, NOW), MQTTSEAL_E_TRAILING);
    for (size_t k = 0; k < n; k++) {
        for (unsigned bit = 0; bit < 8; bit += 7) {
            memcpy(v, u, n);
            v[k] ^= (unsigned char)(1U << bit);
            assert_int_not_equal(open_rc(v, n, 1, "#", 0, NOW), MQTTSEAL_OK);
        }
    }
}

static void sizes_and_args(void **state)
{
    unsigned char u[2048];
    mqttseal_signer *op = signer_of(0x0a);
    mqttseal_keyring *kr = grant_of("plant/#");
    unsigned char pk[32] = {9};
    size_t need = 0, tl = 0, n = 0;
    mqttseal_update_info info;

    (void)state;
    assert_int_equal(mqttseal_update_overhead(), MQTTSEAL_UPDATE_OVERHEAD);
    assert_int_equal(mqttseal_update_overhead(), 153);
    assert_int_equal(mqttseal_deviceidbytes(), MQTTSEAL_DEVICEIDBYTES);
    assert_int_equal(mqttseal_keyring_to_string(kr, NULL, 0, &tl),
                     MQTTSEAL_E_BUFFER);
    assert_int_equal(mqttseal_update_seal(NULL, 0, &need, op, pk, 1, LATER, kr),
                     MQTTSEAL_E_BUFFER);
    assert_int_equal(need, MQTTSEAL_UPDATE_BYTES(tl));
    memset(u, 0xee, sizeof u);
    assert_int_equal(
        mqttseal_update_seal(u, need - 1, &n, op, pk, 1, LATER, kr),
        MQTTSEAL_E_BUFFER);
    assert_int_equal(u[0], 0xee);
    assert_int_equal(mqttseal_update_seal(u, need, &n, op, pk, 1, LATER, kr),
                     MQTTSEAL_OK);
    assert_int_equal(u[need], 0xee); /* canary */
    assert_int_equal(mqttseal_update_parse(u, n, &info), MQTTSEAL_OK);
    assert_int_equal(info.sealed_len, tl + 48);
    assert_int_equal(mqttseal_update_seal(u, need, &n, op, pk, 0, LATER, kr),
                     MQTTSEAL_E_INVALID);
    assert_int_equal(mqttseal_update_seal(u, need, &n, op, pk, 1, 0, kr),
                     MQTTSEAL_E_INVALID);
    assert_int_equal(
        mqttseal_update_parse((const unsigned char *)"xyzw", 4, &info),
        MQTTSEAL_E_NOT_SEALED);
    u[4] = 2;
    assert_int_equal(mqttseal_update_parse(u, n, &info), MQTTSEAL_E_VERSION);
    mqttseal_keyring_free(kr);
    mqttseal_signer_free(op);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    static char buf[8192];

    if (f == NULL) {
        *len = 0;
        return NULL;
    }
    *len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

static void apply_files(void **state)
{
    char kpath[256], vpath[300], before[8192];
    unsigned char u5[2048], u6[2048], bad[2048];
    size_t n5 = make(u5, sizeof u5, 1, 5, 4102444800, "plant/#");
    size_t n6 = make(u6, sizeof u6, 1, 6, 4102444800, "plant/a/#");
    size_t nb = make(bad, sizeof bad, 2, 7, 4102444800, "plant/#");
    mqttseal_device *d = device_of(1);
    mqttseal_trust *t = trust_for(0x0a, "plant/#");
    mqttseal_keyring *kr = grant_of("plant/#");
    mqttseal_ctx *ctx = NULL;
    uint64_t v = 0;
    size_t len, blen;
    char *p;
    struct stat st;

    (void)state;
    snprintf(kpath, sizeof kpath, "%s/dev.keyring", dir);
    snprintf(vpath, sizeof vpath, "%s.version", kpath);
    assert_int_equal(mqttseal_ctx_new(&ctx, kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_update_apply(ctx, kpath, d, t, u5, n5, &v, NULL),
                     MQTTSEAL_OK);
    assert_int_equal(v, 5);
    assert_int_equal(stat(kpath, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    p = slurp(vpath, &len);
    assert_non_null(p);
    assert_memory_equal(p, "5\n", 2);
    assert_int_equal(mqttseal_update_apply(ctx, kpath, d, t, u6, n6, &v, NULL),
                     MQTTSEAL_OK);
    assert_int_equal(v, 6);
    p = slurp(kpath, &blen);
    memcpy(before, p, blen);
    /* Replaying 5, another device's update: nothing changes. */
    assert_int_equal(mqttseal_update_apply(ctx, kpath, d, t, u5, n5, &v, NULL),
                     MQTTSEAL_E_UPDATE_ROLLBACK);
    assert_int_equal(mqttseal_update_apply(ctx, kpath, d, t, bad, nb, &v, NULL),
                     MQTTSEAL_E_UPDATE_DEVICE);
    p = slurp(kpath, &len);
    assert_int_equal(len, blen);
    assert_memory_equal(p, before, blen);
    p = slurp(vpath, &len);
    assert_memory_equal(p, "6\n", 2);
    unlink(kpath);
    unlink(vpath);
    mqttseal_ctx_free(ctx);
    mqttseal_keyring_free(kr);
    mqttseal_trust_free(t);
    mqttseal_device_free(d);
}

static void device_files(void **state)
{
    char path[256];
    mqttseal_device *d = NULL, *e = NULL;
    unsigned char a[32], b[32];
    mqttseal_diag diag;

    (void)state;
    snprintf(path, sizeof path, "%s/dev.key", dir);
    assert_int_equal(mqttseal_device_generate(&d), MQTTSEAL_OK);
    assert_int_equal(mqttseal_device_save_file(d, path), MQTTSEAL_OK);
    assert_int_equal(mqttseal_device_load_file(&e, path, &diag), MQTTSEAL_OK);
    mqttseal_device_public_key(d, a);
    mqttseal_device_public_key(e, b);
    assert_memory_equal(a, b, 32);
    mqttseal_device_free(e);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(mqttseal_device_load_file(&e, path, &diag),
                     MQTTSEAL_E_KEYRING_PERMS);
    assert_null(e);
    unlink(path);
    mqttseal_device_free(d);
}

static void unhex(unsigned char *out, size_t cap, size_t *n, const char *h)
{
    assert_int_equal(sodium_hex2bin(out, cap, h, strlen(h), NULL, n, NULL), 0);
}

static int code_of(const char *name)
{
    for (int e = 0; e < (int)MQTTSEAL_ERR_COUNT; e++) {
        static const char *const names[] = {
            [MQTTSEAL_OK] = "OK",
            [MQTTSEAL_E_TRUNCATED] = "E_TRUNCATED",
            [MQTTSEAL_E_SIGNER_UNKNOWN] = "E_SIGNER_UNKNOWN",
            [MQTTSEAL_E_SIGNATURE] = "E_SIGNATURE",
            [MQTTSEAL_E_UPDATE_DEVICE] = "E_UPDATE_DEVICE",
            [MQTTSEAL_E_UPDATE_ROLLBACK] = "E_UPDATE_ROLLBACK",
            [MQTTSEAL_E_UPDATE_EXPIRED] = "E_UPDATE_EXPIRED",
            [MQTTSEAL_E_UPDATE_SCOPE] = "E_UPDATE_SCOPE",
        };
        if (names[e] != NULL && strcmp(names[e], name) == 0) {
            return e;
        }
    }
    fail_msg("unknown result %s", name);
    return -1;
}

/* One vector (from 'name = ') of tests/vectors/updates.txt. */
static void check_vector(char kv[][2][4096], int nkv)
{
    unsigned char dseed[32], sseed[32], pk[32], u[1024], h[32], want[32];
    char filter[256] = "", text[2048];
    unsigned long long last = 0;
    long long now = 0;
    int result = -1;
    size_t n = 0, len = 0;
    mqttseal_device *d = NULL;
    mqttseal_signer *s = NULL;
    mqttseal_trust *t = NULL;
    mqttseal_keyring *kr = NULL;
    const char *f[1] = {filter};
    int have_hash = 0;

    for (int i = 0; i < nkv; i++) {
        const char *k = kv[i][0], *v = kv[i][1];
        if (strcmp(k, "device_seed") == 0) {
            unhex(dseed, 32, &n, v);
        } else if (strcmp(k, "trusted_signer_seed") == 0) {
            unhex(sseed, 32, &n, v);
        } else if (strcmp(k, "trusted_filter") == 0) {
            assert_true(strlen(v) < sizeof filter);
            memcpy(filter, v, strlen(v) + 1);
        } else if (strcmp(k, "last_version") == 0) {
            last = strtoull(v, NULL, 10);
        } else if (strcmp(k, "now") == 0) {
            now = strtoll(v, NULL, 10);
        } else if (strcmp(k, "update") == 0) {
            unhex(u, sizeof u, &len, v);
        } else if (strcmp(k, "result") == 0) {
            result = code_of(v);
        } else if (strcmp(k, "keyring_sha256") == 0) {
            unhex(want, 32, &n, v);
            have_hash = 1;
        }
    }
    assert_int_equal(mqttseal_device_from_seed(&d, dseed), MQTTSEAL_OK);
    assert_int_equal(mqttseal_signer_from_seed(&s, sseed), MQTTSEAL_OK);
    mqttseal_signer_public_key(s, pk);
    assert_int_equal(mqttseal_trust_new(&t), MQTTSEAL_OK);
    assert_int_equal(mqttseal_trust_add(t, "op", pk, f, 1, 0), MQTTSEAL_OK);
    assert_int_equal(
        mqttseal_update_open(&kr, NULL, d, t, last, now, u, len, NULL), result);
    if (result == MQTTSEAL_OK) {
        assert_true(have_hash);
        assert_int_equal(mqttseal_keyring_to_string(kr, text, sizeof text, &n),
                         MQTTSEAL_OK);
        crypto_hash_sha256(h, (const unsigned char *)text, n);
        assert_memory_equal(h, want, 32);
    }
    mqttseal_keyring_free(kr);
    mqttseal_trust_free(t);
    mqttseal_signer_free(s);
    mqttseal_device_free(d);
}

static void vectors(void **state)
{
    static char kv[16][2][4096];
    char line[4096];
    FILE *f = fopen(MQTTSEAL_VECTORS_DIR "/updates.txt", "r");
    int nkv = 0, sections = 0;

    (void)state;
    assert_non_null(f);
    while (fgets(line, sizeof line, f) != NULL) {
        char *eq = strstr(line, " = ");
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "name = ", 7) == 0) {
            if (sections++ > 0) {
                check_vector(kv, nkv);
            }
            nkv = 0;
        }
        if (eq != NULL && nkv < 16) {
            *eq = '\0';
            snprintf(kv[nkv][0], sizeof kv[nkv][0], "%s", line);
            snprintf(kv[nkv][1], sizeof kv[nkv][1], "%s", eq + 3);
            nkv++;
        }
    }
    fclose(f);
    assert_true(sections >= 10);
    check_vector(kv, nkv);
}

static void strerrors(void **state)
{
    (void)state;
    for (int e = MQTTSEAL_E_UPDATE_DEVICE; e <= MQTTSEAL_E_UPDATE_SCOPE; e++) {
        assert_string_not_equal(mqttseal_strerror(e), "unknown mqttseal error");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(refusals),
        cmocka_unit_test(truncations_and_flips),
        cmocka_unit_test(sizes_and_args),
        cmocka_unit_test(apply_files),
        cmocka_unit_test(device_files),
        cmocka_unit_test(strerrors),
        cmocka_unit_test(vectors),
    };
    int rc;

    if (mkdtemp(dir) == NULL) {
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(dir);
    return rc;
}
