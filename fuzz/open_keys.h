/*
 * The fixed keyring of fuzz_open, shared with mkcorpus.c so that the
 * generated seeds open. Ids 0, 1, 2, 7, 300 and 4294967295 hold the root
 * keys of tests/vectors/, so the vector envelopes open too.
 */
#ifndef MQTTSEAL_FUZZ_OPEN_KEYS_H
#define MQTTSEAL_FUZZ_OPEN_KEYS_H

#include <stdint.h>

#include "mqttseal/mqttseal.h"

/* Byte i of a key is start + i: the vector keys count up from 00, 20,
 * 40 and 60; the harness's own keys from other starts. */
static const struct fuzz_open_key {
    uint32_t id;
    const char *filter;
    unsigned char start;
    int64_t expires;
} fuzz_open_keys[] = {
    {1, "#", 0x00, 0},           /* vectors; primary */
    {0, "#", 0x20, 0},           /* vectors */
    {300, "#", 0x20, 0},         /* vectors */
    {4294967295U, "#", 0x20, 0}, /* vectors */
    {7, "#", 0x40, 0},           /* vectors */
    {2, "#", 0x60, 0},           /* vectors */
    {3, "a/b", 0x83, 0},         /* exactly a/b */
    {4, "#", 0xa4, 1},           /* expired in 1970 */
    {5, "a/#", 0xc5, 0},         /* a and below */
};

/* The ids a round trip seals under (by two option bits). */
static const uint32_t fuzz_open_seal_ids[4] = {1, 5, 3, 4};

static inline int fuzz_open_keyring(mqttseal_keyring **out)
{
    unsigned char key[MQTTSEAL_KEYBYTES];
    int rc = mqttseal_keyring_new(out);

    for (size_t i = 0; rc == MQTTSEAL_OK &&
                       i < sizeof fuzz_open_keys / sizeof fuzz_open_keys[0];
         i++) {
        for (unsigned b = 0; b < MQTTSEAL_KEYBYTES; b++) {
            key[b] = (unsigned char)(fuzz_open_keys[i].start + b);
        }
        rc = mqttseal_keyring_add(*out, fuzz_open_keys[i].id,
                                  fuzz_open_keys[i].filter, key,
                                  fuzz_open_keys[i].expires);
    }
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_keyring_set_primary(*out, 1);
    }
    return rc;
}

#endif
