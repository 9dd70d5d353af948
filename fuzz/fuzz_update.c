/*
 * Fuzz the keyring-update parser and opener (docs/FORMAT.md section 15).
 *
 * Input byte 0 picks the mode:
 *   0x00: the rest is an update; parse it and open it as device seed
 *         0x01.. trusting operator seed 0x0a.. on "plant/#".
 *   0x01: the rest is keyring text; the harness seals it as a valid
 *         update (so the fuzzer reaches the inner keyring parser and the
 *         scope check behind the signature) and opens it.
 * Invariants: parse and open agree on layout; a refusal leaves *out NULL
 * and a NUL-terminated diag; an opened update's version is above 0 and
 * its keyring lies inside "plant/#" (re-sealing and opening it again
 * succeeds with version + 1).
 */
#include <string.h>

#include "fuzz.h"
#include "mqttseal/mqttseal.h"

static mqttseal_device *dev;
static mqttseal_signer *op;
static mqttseal_trust *trust;
static unsigned char dev_pk[MQTTSEAL_DEVICE_PUBLICKEYBYTES];

static void setup(void)
{
    unsigned char seed[32], pk[32];
    const char *f[1] = {"plant/#"};

    if (dev != NULL) {
        return;
    }
    for (unsigned i = 0; i < 32; i++) {
        seed[i] = (unsigned char)(1U + i);
    }
    FUZZ_ASSERT(mqttseal_device_from_seed(&dev, seed) == MQTTSEAL_OK);
    mqttseal_device_public_key(dev, dev_pk);
    for (unsigned i = 0; i < 32; i++) {
        seed[i] = (unsigned char)(0x0aU + i);
    }
    FUZZ_ASSERT(mqttseal_signer_from_seed(&op, seed) == MQTTSEAL_OK);
    mqttseal_signer_public_key(op, pk);
    FUZZ_ASSERT(mqttseal_trust_new(&trust) == MQTTSEAL_OK);
    FUZZ_ASSERT(mqttseal_trust_add(trust, "operator", pk, f, 1, 0) ==
                MQTTSEAL_OK);
}

static int open_one(const uint8_t *u, size_t n, mqttseal_keyring **kr,
                    uint64_t last)
{
    mqttseal_update_info a, b;
    mqttseal_diag d;
    int prc = mqttseal_update_parse(u, n, &a);
    int rc =
        mqttseal_update_open(kr, &b, dev, trust, last, 1764000000, u, n, &d);

    FUZZ_ASSERT(memchr(d.message, '\0', sizeof d.message) != NULL);
    FUZZ_ASSERT((rc == MQTTSEAL_OK) == (*kr != NULL));
    if (prc != MQTTSEAL_OK) {
        FUZZ_ASSERT(rc == prc);
    }
    if (rc == MQTTSEAL_OK) {
        FUZZ_ASSERT(prc == MQTTSEAL_OK && a.version > last);
        FUZZ_ASSERT(memcmp(&a, &b, sizeof a) == 0);
    }
    return rc;
}

static void seal_and_open(const uint8_t *text, size_t n)
{
    mqttseal_keyring *src = NULL, *kr = NULL, *kr2 = NULL;
    unsigned char *u;
    size_t un = 0;

    if (mqttseal_keyring_load_string(&src, (const char *)text, n, NULL) !=
        MQTTSEAL_OK) {
        return;
    }
    if (mqttseal_update_seal(NULL, 0, &un, op, dev_pk, 3, 4102444800, src) ==
            MQTTSEAL_E_BUFFER &&
        (u = malloc(un)) != NULL) {
        FUZZ_ASSERT(mqttseal_update_seal(u, un, &un, op, dev_pk, 3, 4102444800,
                                         src) == MQTTSEAL_OK);
        if (open_one(u, un, &kr, 2) == MQTTSEAL_OK) {
            FUZZ_ASSERT(mqttseal_keyring_count(kr) ==
                        mqttseal_keyring_count(src));
            FUZZ_ASSERT(mqttseal_update_seal(u, un, &un, op, dev_pk, 4,
                                             4102444800, kr) == MQTTSEAL_OK);
            FUZZ_ASSERT(open_one(u, un, &kr2, 3) == MQTTSEAL_OK);
            mqttseal_keyring_free(kr2);
            kr2 = NULL;
            FUZZ_ASSERT(open_one(u, un, &kr2, 9) == MQTTSEAL_E_UPDATE_ROLLBACK);
        }
        free(u);
    }
    mqttseal_keyring_free(kr);
    mqttseal_keyring_free(kr2);
    mqttseal_keyring_free(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mqttseal_keyring *kr = NULL;

    setup();
    if (size == 0) {
        return 0;
    }
    if (data[0] == 0x01) {
        seal_and_open(data + 1, size - 1);
        return 0;
    }
    (void)open_one(data + 1, size - 1, &kr, 0);
    mqttseal_keyring_free(kr);
    return 0;
}
