/*
 * Shared by the fuzz harnesses: the libFuzzer entry point (declared so
 * that -Wmissing-prototypes stays quiet) and an assertion that survives
 * NDEBUG, so a broken invariant is a crash the fuzzer keeps.
 */
#ifndef MQTTSEAL_FUZZ_H
#define MQTTSEAL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                      \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* 1 if n bytes at p are all zero. */
static inline int fuzz_all_zero(const unsigned char *p, size_t n)
{
    unsigned char acc = 0;

    for (size_t i = 0; i < n; i++) {
        acc |= p[i];
    }
    return acc == 0;
}

#endif
