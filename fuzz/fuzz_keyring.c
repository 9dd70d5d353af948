/*
 * Fuzz the keyring text parser (docs/FORMAT.md section 7).
 *
 * Every input: a failure leaves *out NULL and a NUL-terminated diag. A
 * keyring that loads must serialise, reload to the same entries and
 * keys, and serialise again to the same text (a fixed point); and each
 * entry's own filter must look up the key the spec's precedence gives
 * (exact, then the longest subtree, then "#").
 *
 * Input: keyring text, as is.
 */
#include <string.h>

#include "fuzz.h"
#include "keyring.h"
#include "keyring_internal.h"
#include "mqttseal/mqttseal.h"
#include "topic.h"

static char *serialise(const mqttseal_keyring *kr, size_t *len)
{
    size_t need = 0, again = 0;
    char *text;

    FUZZ_ASSERT(mqttseal_keyring_to_string(kr, NULL, 0, &need) ==
                MQTTSEAL_E_BUFFER);
    text = malloc(need + 1);
    FUZZ_ASSERT(text != NULL);
    /* Exactly one byte short (no room for the NUL) is still too small. */
    FUZZ_ASSERT(mqttseal_keyring_to_string(kr, text, need, &again) ==
                MQTTSEAL_E_BUFFER);
    FUZZ_ASSERT(again == need);
    FUZZ_ASSERT(mqttseal_keyring_to_string(kr, text, need + 1, &again) ==
                MQTTSEAL_OK);
    FUZZ_ASSERT(again == need && text[need] == '\0' && strlen(text) == need);
    *len = need;
    return text;
}

static void same_entries(const mqttseal_keyring *a, const mqttseal_keyring *b)
{
    size_t n = mqttseal_keyring_count(a);
    uint32_t pa = 0, pb = 0;
    int ra = mqttseal_keyring_primary(a, &pa);
    int rb = mqttseal_keyring_primary(b, &pb);

    FUZZ_ASSERT(ra == rb && pa == pb);
    FUZZ_ASSERT(mqttseal_keyring_count(b) == n);
    for (size_t i = 0; i < n; i++) {
        mqttseal_key_info x, y;
        FUZZ_ASSERT(mqttseal_keyring_entry(a, i, &x) == MQTTSEAL_OK);
        FUZZ_ASSERT(mqttseal_keyring_entry(b, i, &y) == MQTTSEAL_OK);
        FUZZ_ASSERT(x.key_id == y.key_id && x.expires == y.expires);
        FUZZ_ASSERT(x.is_primary == y.is_primary);
        FUZZ_ASSERT(strcmp(x.filter, y.filter) == 0);
        FUZZ_ASSERT(memcmp(ms_entry_key(a, i), ms_entry_key(b, i),
                           MQTTSEAL_KEYBYTES) == 0);
    }
}

/* Reference lookup: the most specific entry with key_id covering t. */
static int ref_lookup(const mqttseal_keyring *kr, uint32_t key_id,
                      const char *t, size_t tlen, size_t *index)
{
    int found = 0, best_rank = -1;
    size_t best_plen = 0;

    for (size_t i = 0; i < kr->count; i++) {
        const ms_entry *e = &kr->entries[i];
        int rank;
        if (e->key_id != key_id) {
            continue;
        }
        found = 1;
        if (!ms_filter_covers(e->kind, e->filter, e->prefix_len, t, tlen)) {
            continue;
        }
        rank = e->kind == MS_FILTER_EXACT ? 2 : e->kind == MS_FILTER_SUBTREE;
        if (rank > best_rank ||
            (rank == best_rank && rank == 1 && e->prefix_len > best_plen)) {
            best_rank = rank;
            best_plen = e->prefix_len;
            *index = i;
        }
    }
    if (!found) {
        return MQTTSEAL_E_UNKNOWN_KEY;
    }
    return best_rank < 0 ? MQTTSEAL_E_NO_GRANT : MQTTSEAL_OK;
}

static void check_lookup(const mqttseal_keyring *kr, uint32_t key_id,
                         const char *t, size_t tlen)
{
    unsigned char got[MQTTSEAL_KEYBYTES], want[MQTTSEAL_KEYBYTES];
    int64_t expires = -1;
    size_t idx = 0;
    int rc, ref_rc;

    if (mqttseal_topic_check(t, tlen) != MQTTSEAL_OK) {
        return;
    }
    rc = ms_keyring_message_key(kr, key_id, t, tlen, got, &expires);
    ref_rc = ref_lookup(kr, key_id, t, tlen, &idx);
    FUZZ_ASSERT(rc == ref_rc);
    if (rc != MQTTSEAL_OK) {
        return;
    }
    ms_kdf_topic(want, ms_entry_key(kr, idx), kr->entries[idx].kind,
                 kr->entries[idx].prefix_len, t, tlen);
    FUZZ_ASSERT(memcmp(got, want, sizeof want) == 0);
    FUZZ_ASSERT(expires == kr->entries[idx].expires);
}

/* Each entry's prefix P, P/x below it and Px beside it. */
static void check_lookups(const mqttseal_keyring *kr)
{
    for (size_t i = 0; i < kr->count && i < 16; i++) {
        const ms_entry *e = &kr->entries[i];
        size_t p = e->prefix_len;
        char *t = malloc(p + 3);

        FUZZ_ASSERT(t != NULL);
        memcpy(t, e->filter, p);
        check_lookup(kr, e->key_id, t, p);
        memcpy(t + p, "/x", 2);
        check_lookup(kr, e->key_id, t, p + 2);
        t[p] = 'x';
        check_lookup(kr, e->key_id, t, p + 1);
        free(t);
    }
    check_lookup(kr, 0, "x", 1);
}

static unsigned count_lines(const uint8_t *data, size_t size)
{
    unsigned n = 1;

    for (size_t i = 0; i < size; i++) {
        n += data[i] == '\n';
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mqttseal_keyring *kr = (mqttseal_keyring *)&kr, *kr2 = NULL;
    mqttseal_diag diag;
    char *text, *text2;
    size_t len, len2;
    int rc;

    memset(&diag, 0x5a, sizeof diag);
    rc = mqttseal_keyring_load_string(&kr, (const char *)data, size, &diag);
    if (rc != MQTTSEAL_OK) {
        FUZZ_ASSERT(kr == NULL);
        FUZZ_ASSERT(memchr(diag.message, '\0', sizeof diag.message) != NULL);
        FUZZ_ASSERT(diag.message[0] != '\0');
        FUZZ_ASSERT(diag.line <= count_lines(data, size));
        FUZZ_ASSERT(rc == MQTTSEAL_E_KEYRING_SYNTAX ||
                    rc == MQTTSEAL_E_DUPLICATE_KEY || rc == MQTTSEAL_E_FILTER ||
                    rc == MQTTSEAL_E_FILTER_PLUS || rc == MQTTSEAL_E_INVALID ||
                    rc == MQTTSEAL_E_NOMEM);
        return 0;
    }
    FUZZ_ASSERT(kr != NULL);
    text = serialise(kr, &len);
    rc = mqttseal_keyring_load_string(&kr2, text, len, &diag);
    if (rc != MQTTSEAL_OK) {
        fprintf(stderr, "reload failed (%d) at line %u: %s\n", rc, diag.line,
                diag.message);
    }
    FUZZ_ASSERT(rc == MQTTSEAL_OK);
    same_entries(kr, kr2);
    text2 = serialise(kr2, &len2);
    FUZZ_ASSERT(len2 == len && memcmp(text, text2, len) == 0);
    check_lookups(kr);
    free(text);
    free(text2);
    mqttseal_keyring_free(kr2);
    mqttseal_keyring_free(kr);
    return 0;
}
