/*
 * Writes tests/vectors/updates.txt, the keyring-update known-answer
 * vectors of docs/FORMAT.md section 15, and seeds fuzz/corpus/update.
 * crypto_box_seal draws a fresh ephemeral key, so the vectors are kept
 * as data: test_update opens each one and expects its result.
 *
 *     build/tests/gen_updates tests/vectors/updates.txt fuzz/corpus/update
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mqttseal/mqttseal.h"

#define NOW 1764000000
#define EXPIRES 1767225600 /* 2026-01-01T00:00:00Z */

static FILE *out;
static const char *corpus;

static void seed_of(unsigned char s[32], unsigned char start)
{
    for (unsigned i = 0; i < 32; i++) {
        s[i] = (unsigned char)(start + i);
    }
}

static void hex(const char *k, const unsigned char *p, size_t n)
{
    fprintf(out, "%s = ", k);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%02x", p[i]);
    }
    fputc('\n', out);
}

static void emit(const char *name, unsigned char dev, unsigned char opseed,
                 const char *trust, unsigned long long last,
                 const unsigned char *u, size_t n, const char *result,
                 const char *text)
{
    unsigned char s[32];
    char path[512];
    FILE *f;

    fprintf(out, "\nname = %s\n", name);
    seed_of(s, dev);
    hex("device_seed", s, 32);
    seed_of(s, opseed);
    hex("trusted_signer_seed", s, 32);
    fprintf(out, "trusted_filter = %s\nlast_version = %llu\nnow = %d\n", trust,
            last, NOW);
    hex("update", u, n);
    fprintf(out, "result = %s\n", result);
    if (text != NULL) {
        unsigned char h[32];
        char canon[1024];
        size_t cl = 0;
        mqttseal_keyring *kr = NULL;
        if (mqttseal_keyring_load_string(&kr, text, strlen(text), NULL) != 0 ||
            mqttseal_keyring_to_string(kr, canon, sizeof canon, &cl) != 0) {
            exit(1);
        }
        mqttseal_keyring_free(kr);
        /* The sealed text is the keyring's serialisation. */
        fprintf(out, "keyring_sha256 = ");
        crypto_hash_sha256(h, (const unsigned char *)canon, cl);
        for (unsigned i = 0; i < 32; i++) {
            fprintf(out, "%02x", h[i]);
        }
        fputc('\n', out);
    }
    snprintf(path, sizeof path, "%s/vec-%s", corpus, name);
    if ((f = fopen(path, "wb")) != NULL) {
        fputc(0, f);
        fwrite(u, 1, n, f);
        fclose(f);
    }
}

static size_t make(unsigned char *u, size_t cap, unsigned char dev,
                   unsigned long long version, long long expires,
                   const char *text)
{
    unsigned char s[32], pk[32];
    mqttseal_device *d = NULL;
    mqttseal_signer *op = NULL;
    mqttseal_keyring *kr = NULL;
    size_t n = 0;

    seed_of(s, dev);
    if (mqttseal_device_from_seed(&d, s) != 0) {
        exit(1);
    }
    mqttseal_device_public_key(d, pk);
    seed_of(s, 0x0a);
    if (mqttseal_signer_from_seed(&op, s) != 0 ||
        mqttseal_keyring_load_string(&kr, text, strlen(text), NULL) != 0 ||
        mqttseal_update_seal(u, cap, &n, op, pk, version, expires, kr) != 0) {
        exit(1);
    }
    mqttseal_keyring_free(kr);
    mqttseal_signer_free(op);
    mqttseal_device_free(d);
    return n;
}

int main(int argc, char **argv)
{
    static const char kr_plant[] =
        "mqttseal-keyring 1\nprimary 2\n"
        "key 2 plant/# 3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs= "
        "expires=2026-06-01T00:00:00Z\n";
    static const char kr_root[] =
        "mqttseal-keyring 1\nprimary 2\n"
        "key 2 # AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
    unsigned char u[1024];
    size_t n;
    char path[512];

    if (argc != 3 || (out = fopen(argv[1], "w")) == NULL) {
        return 2;
    }
    corpus = argv[2];
    fprintf(out, "# Keyring-update vectors (docs/FORMAT.md section 15), "
                 "written by tests/gen_updates.c.\n# Seeds are 32 bytes "
                 "counting up from the first. The device opens `update`\n"
                 "# trusting the signer on `trusted_filter`, with "
                 "`last_version` applied, at Unix\n# time `now`; "
                 "`keyring_sha256` hashes the sealed keyring text\n# "
                 "(mqttseal_keyring_to_string of the keyring it yields).\n");
    n = make(u, sizeof u, 0x01, 1, EXPIRES, kr_plant);
    emit("ok-plant-v1", 0x01, 0x0a, "plant/#", 0, u, n, "OK", kr_plant);
    emit("other-device", 0x02, 0x0a, "plant/#", 0, u, n, "E_UPDATE_DEVICE",
         NULL);
    emit("untrusted-signer", 0x01, 0x0b, "plant/#", 0, u, n, "E_SIGNER_UNKNOWN",
         NULL);
    emit("rollback-equal", 0x01, 0x0a, "plant/#", 1, u, n, "E_UPDATE_ROLLBACK",
         NULL);
    emit("scope-narrower-trust", 0x01, 0x0a, "plant/line1/#", 0, u, n,
         "E_UPDATE_SCOPE", NULL);
    emit("truncated", 0x01, 0x0a, "plant/#", 0, u, n - 1, "E_TRUNCATED", NULL);
    u[n - 1] ^= 1;
    emit("bad-signature", 0x01, 0x0a, "plant/#", 0, u, n, "E_SIGNATURE", NULL);
    u[n - 1] ^= 1;
    u[14] ^= 1; /* version byte: signed */
    emit("tampered-version", 0x01, 0x0a, "plant/#", 0, u, n, "E_SIGNATURE",
         NULL);
    n = make(u, sizeof u, 0x01, 7, 1700000000, kr_plant);
    emit("expired", 0x01, 0x0a, "plant/#", 0, u, n, "E_UPDATE_EXPIRED", NULL);
    n = make(u, sizeof u, 0x01, 2, EXPIRES, kr_root);
    emit("ok-root-v2", 0x01, 0x0a, "#", 1, u, n, "OK", kr_root);
    emit("scope-root-beyond-plant", 0x01, 0x0a, "plant/#", 1, u, n,
         "E_UPDATE_SCOPE", NULL);
    fclose(out);
    snprintf(path, sizeof path, "%s/gen-keyring-text", corpus);
    if ((out = fopen(path, "wb")) != NULL) {
        fputc(1, out);
        fputs(kr_plant, out);
        fclose(out);
    }
    return 0;
}
