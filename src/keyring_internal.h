/*
 * The keyring object, shared by src/keyring.c (entries, grants, lookups),
 * src/keyring_text.c (the text format: parsing and writing lines) and
 * src/keyring_file.c (files: permissions, loading, atomic saving). Not
 * used elsewhere: the rest of the library goes through src/keyring.h.
 */
#ifndef MQTTSEAL_KEYRING_INTERNAL_H
#define MQTTSEAL_KEYRING_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "mqttseal/mqttseal.h"
#include "topic.h"

/* Latest expiry the keyring text can write: 9999-12-31T23:59:59Z. */
#define MS_EXPIRES_MAX INT64_C(253402300799)

/* One grant. Its key is not here but at keys + index * KEYBYTES in the
 * keyring's secure array, so that no key byte lives in ordinary heap. */
typedef struct ms_entry {
    uint32_t key_id;
    int64_t expires; /* Unix seconds; 0 = never */
    ms_filter_kind kind;
    size_t prefix_len; /* as ms_filter_parse */
    size_t filter_len;
    char *filter; /* malloc'd, NUL-terminated */
} ms_entry;

struct mqttseal_keyring {
    ms_entry *entries;   /* insertion order */
    unsigned char *keys; /* sodium_malloc'd, cap * MQTTSEAL_KEYBYTES */
    size_t count;
    size_t cap;
    int has_primary;
    uint32_t primary;
};

/** The key bytes of entry i. */
static inline unsigned char *ms_entry_key(const mqttseal_keyring *kr, size_t i)
{
    return kr->keys + i * MQTTSEAL_KEYBYTES;
}

/**
 * mqttseal_keyring_add with an explicit filter length (the text parser's
 * fields are not NUL-terminated).
 * @return OK, E_FILTER, E_FILTER_PLUS, E_DUPLICATE_KEY, E_INVALID,
 *         E_NOMEM.
 */
int ms_keyring_add_n(mqttseal_keyring *kr, uint32_t key_id, const char *filter,
                     size_t filter_len,
                     const unsigned char key[MQTTSEAL_KEYBYTES],
                     int64_t expires);

/** Fill diag ("line N: ..." when line > 0) and return rc. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 4, 5)))
#endif
int ms_keyring_fail(mqttseal_diag *diag, int rc, unsigned line,
                    const char *fmt, ...);

#endif
