/* The trust-list object, shared by src/trust.c (entries, lookups) and
 * src/trust_text.c (text and files) only. */
#ifndef MQTTSEAL_TRUST_INTERNAL_H
#define MQTTSEAL_TRUST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "mqttseal/mqttseal.h"

#define MS_TRUST_NAME_MAX 64U

typedef struct ms_filter {
    char *s; /* malloc'd, NUL-terminated */
    size_t n;
} ms_filter;

typedef struct ms_tsigner {
    unsigned char id[MQTTSEAL_SIGNERIDBYTES];
    unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES];
    char name[MS_TRUST_NAME_MAX + 1];
    int64_t expires; /* Unix seconds; 0 = never */
    ms_filter *filters;
    size_t nfilters;
} ms_tsigner;

struct mqttseal_trust {
    ms_tsigner *signers; /* insertion order */
    size_t count, cap;
    ms_filter *require;
    size_t nrequire, require_cap;
};

/** mqttseal_trust_add with counted strings (the parser's fields).
 *  @return OK, E_INVALID, E_FILTER, E_DUPLICATE_KEY, E_NOMEM. */
int ms_trust_add_n(mqttseal_trust *t, const char *name, size_t name_len,
                   const unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES],
                   const ms_filter *filters, size_t n_filters, int64_t expires);

/** mqttseal_trust_require with a counted filter. */
int ms_trust_require_n(mqttseal_trust *t, const char *filter, size_t n);

/** 1 if name is 1..64 of [A-Za-z0-9._-]. */
int ms_trust_name_ok(const char *name, size_t n);

/** The unexpired entry of signer id (for keyring updates).
 *  @return OK, E_SIGNER_UNKNOWN, E_SIGNER_EXPIRED. */
int ms_trust_lookup(const mqttseal_trust *t,
                    const unsigned char id[MQTTSEAL_SIGNERIDBYTES],
                    int64_t now_s, const ms_tsigner **out);

#endif
