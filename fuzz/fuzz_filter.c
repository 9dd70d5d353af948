/*
 * Fuzz the topic-name and grant-filter rules (docs/FORMAT.md sections 5
 * and 6) against an independent reading of the spec, and check that
 * every grant derives the same message key as the root key it came from.
 *
 * Input: byte 0 is the filter length n (clamped to what is there), then
 * n bytes of filter, then the topic name.
 */
#include <string.h>

#include "fuzz.h"
#include "keyring.h"
#include "mqttseal/mqttseal.h"
#include "topic.h"

static const unsigned char root_key[MQTTSEAL_KEYBYTES] = {
    0x52, 0x6f, 0x6f, 0x74, 0x20, 0x6b, 0x65, 0x79, 0x20, 0x66, 0x6f,
    0x72, 0x20, 0x66, 0x75, 0x7a, 0x7a, 0x5f, 0x66, 0x69, 0x6c, 0x74,
    0x65, 0x72, 0x2c, 0x20, 0x6e, 0x6f, 0x74, 0x20, 0x61, 0x20};

static int ref_topic_check(const char *t, size_t len)
{
    if (len == 0) {
        return MQTTSEAL_E_TOPIC_EMPTY;
    }
    if (len > 65535U) {
        return MQTTSEAL_E_TOPIC_INVALID;
    }
    for (size_t i = 0; i < len; i++) {
        if (t[i] == '+' || t[i] == '#' || t[i] == '\0') {
            return MQTTSEAL_E_TOPIC_INVALID;
        }
    }
    return MQTTSEAL_OK;
}

/* Spec: NUL, empty or over 65535 is E_FILTER; '+' is E_FILTER_PLUS;
 * '#' only as the whole last level. The order between a NUL and a '+'
 * is not specified, so a filter with both accepts either code. */
static int ref_filter(const char *f, size_t len, ms_filter_kind *kind,
                      size_t *plen, int *either)
{
    int has_nul = memchr(f, '\0', len) != NULL;
    int has_plus = memchr(f, '+', len) != NULL;
    const char *hash;

    *either = 0;
    if (len == 0 || len > 65535U) {
        return MQTTSEAL_E_FILTER;
    }
    if (has_nul && has_plus) {
        *either = 1;
        return MQTTSEAL_E_FILTER;
    }
    if (has_nul) {
        return MQTTSEAL_E_FILTER;
    }
    if (has_plus) {
        /* A '+' filter whose '#' is also misplaced is E_FILTER or
         * E_FILTER_PLUS: either is a correct refusal. */
        hash = memchr(f, '#', len);
        *either = hash != NULL &&
                  (hash != f + len - 1 || (len > 1 && f[len - 2] != '/'));
        return MQTTSEAL_E_FILTER_PLUS;
    }
    hash = memchr(f, '#', len);
    if (hash == NULL) {
        *kind = MS_FILTER_EXACT;
        *plen = len;
        return MQTTSEAL_OK;
    }
    if (hash != f + len - 1) {
        return MQTTSEAL_E_FILTER;
    }
    if (len == 1) {
        *kind = MS_FILTER_ALL;
        *plen = 0;
        return MQTTSEAL_OK;
    }
    if (f[len - 2] != '/') {
        return MQTTSEAL_E_FILTER;
    }
    *kind = MS_FILTER_SUBTREE;
    *plen = len - 2;
    return MQTTSEAL_OK;
}

static int ref_covers(ms_filter_kind kind, const char *p, size_t plen,
                      const char *t, size_t tlen)
{
    if (kind == MS_FILTER_ALL) {
        return 1;
    }
    if (kind == MS_FILTER_EXACT) {
        return tlen == plen && memcmp(t, p, plen) == 0;
    }
    /* "P/#" covers P and everything below P, by whole levels. */
    if (tlen == plen) {
        return memcmp(t, p, plen) == 0;
    }
    return tlen > plen && memcmp(t, p, plen) == 0 && t[plen] == '/';
}

/* The key a grant for (kind, P) holds, derived from the root. */
static void grant_key(unsigned char out[MQTTSEAL_KEYBYTES], ms_filter_kind kind,
                      const char *p, size_t plen)
{
    if (kind == MS_FILTER_ALL) {
        memcpy(out, root_key, MQTTSEAL_KEYBYTES);
    } else if (kind == MS_FILTER_SUBTREE) {
        ms_kdf_node(out, root_key, MS_FILTER_ALL, 0, p, plen);
    } else {
        ms_kdf_topic(out, root_key, MS_FILTER_ALL, 0, p, plen);
    }
}

/* Through the public API: grant the filter from a root keyring, then
 * look the topic up in the granted keyring. */
static void check_keyring_grant(const char *f, size_t flen, const char *t,
                                size_t tlen, int covers,
                                const unsigned char want[MQTTSEAL_KEYBYTES])
{
    static mqttseal_keyring *src;
    mqttseal_keyring *dst = NULL;
    unsigned char got[MQTTSEAL_KEYBYTES];
    char *fz = malloc(flen + 1);
    int64_t expires = -1;
    int rc;

    FUZZ_ASSERT(fz != NULL);
    memcpy(fz, f, flen);
    fz[flen] = '\0';
    if (src == NULL) {
        FUZZ_ASSERT(mqttseal_keyring_new(&src) == MQTTSEAL_OK);
        FUZZ_ASSERT(mqttseal_keyring_add(src, 7, "#", root_key, 0) ==
                    MQTTSEAL_OK);
    }
    FUZZ_ASSERT(mqttseal_keyring_new(&dst) == MQTTSEAL_OK);
    FUZZ_ASSERT(mqttseal_keyring_grant(dst, src, 7, fz) == MQTTSEAL_OK);
    FUZZ_ASSERT(mqttseal_keyring_count(dst) == 1);
    rc = ms_keyring_message_key(dst, 7, t, tlen, got, &expires);
    if (covers) {
        FUZZ_ASSERT(rc == MQTTSEAL_OK && expires == 0);
        FUZZ_ASSERT(memcmp(got, want, MQTTSEAL_KEYBYTES) == 0);
    } else {
        FUZZ_ASSERT(rc == MQTTSEAL_E_NO_GRANT);
    }
    FUZZ_ASSERT(ms_keyring_message_key(dst, 8, t, tlen, got, &expires) ==
                MQTTSEAL_E_UNKNOWN_KEY);
    mqttseal_keyring_free(dst);
    free(fz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *f, *t;
    size_t flen, tlen, plen = 0, got_plen = 7;
    ms_filter_kind kind = MS_FILTER_ALL, got_kind = MS_FILTER_ALL;
    int rc, ref_rc, either, trc, covers;
    unsigned char gk[MQTTSEAL_KEYBYTES], want[MQTTSEAL_KEYBYTES];
    unsigned char via[MQTTSEAL_KEYBYTES];

    if (size < 1) {
        return 0;
    }
    flen = data[0] < size - 1 ? data[0] : size - 1;
    f = (const char *)data + 1;
    t = f + flen;
    tlen = size - 1 - flen;

    trc = mqttseal_topic_check(t, tlen);
    FUZZ_ASSERT(trc == ref_topic_check(t, tlen));

    rc = ms_filter_parse(f, flen, &got_kind, &got_plen);
    ref_rc = ref_filter(f, flen, &kind, &plen, &either);
    FUZZ_ASSERT(mqttseal_filter_check(f, flen) == rc);
    if (either) {
        FUZZ_ASSERT(rc == MQTTSEAL_E_FILTER || rc == MQTTSEAL_E_FILTER_PLUS);
        return 0;
    }
    FUZZ_ASSERT(rc == ref_rc);
    if (rc != MQTTSEAL_OK) {
        return 0;
    }
    FUZZ_ASSERT(got_kind == kind && got_plen == plen);
    /* An exact grant names one sealable topic. */
    if (kind == MS_FILTER_EXACT) {
        FUZZ_ASSERT(mqttseal_topic_check(f, flen) == MQTTSEAL_OK);
    }
    if (trc != MQTTSEAL_OK) {
        return 0;
    }
    covers = ref_covers(kind, f, plen, t, tlen);
    FUZZ_ASSERT(ms_filter_covers(kind, f, plen, t, tlen) == covers);

    /* The message key of t from the root must equal the one from the
     * grant's own key, whichever grant covers t. */
    ms_kdf_topic(want, root_key, MS_FILTER_ALL, 0, t, tlen);
    if (covers) {
        grant_key(gk, kind, f, plen);
        ms_kdf_topic(via, gk, kind, plen, t, tlen);
        FUZZ_ASSERT(memcmp(via, want, sizeof want) == 0);
    }
    check_keyring_grant(f, flen, t, tlen, covers, want);
    return 0;
}
