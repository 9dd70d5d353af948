/*
 * Keyrings: root keys, grants, rotation (docs/FORMAT.md sections 6, 8).
 *
 * Key bytes live in one growable sodium_malloc'd array (guard pages,
 * mlock, wiped when freed) rather than one allocation per entry:
 * each sodium_malloc costs three pages and several mappings, which a
 * keyring of thousands of exact-topic grants would exhaust. Lookups
 * only read, so any number of threads may use a keyring at once.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keyring.h"
#include "keyring_internal.h"
#include "secure.h"

int mqttseal_keyring_new(mqttseal_keyring **out)
{
    if (out == NULL)
        return MQTTSEAL_E_INVALID;
    *out = NULL;
    /* sodium_malloc needs the page size that sodium_init records. */
    int rc = mqttseal_init();
    if (rc != MQTTSEAL_OK)
        return rc;
    *out = calloc(1, sizeof **out);
    return *out == NULL ? MQTTSEAL_E_NOMEM : MQTTSEAL_OK;
}

void mqttseal_keyring_free(mqttseal_keyring *kr)
{
    if (kr == NULL)
        return;
    for (size_t i = 0; i < kr->count; i++)
        free(kr->entries[i].filter);
    ms_secure_free(kr->keys, kr->cap * MQTTSEAL_KEYBYTES);
    free(kr->entries);
    free(kr);
}

/* Make room for n entries; moves the keys to a new secure array and
 * wipes the old one. */
static int kr_reserve(mqttseal_keyring *kr, size_t n)
{
    if (n <= kr->cap)
        return MQTTSEAL_OK;
    size_t cap = kr->cap < 8 ? 8 : kr->cap;
    while (cap < n)
        cap *= 2;
    if (cap > SIZE_MAX / MQTTSEAL_KEYBYTES / 2)
        return MQTTSEAL_E_NOMEM;
    ms_entry *e = realloc(kr->entries, cap * sizeof *e);
    if (e == NULL)
        return MQTTSEAL_E_NOMEM;
    kr->entries = e;
    unsigned char *keys = ms_secure_alloc(cap * MQTTSEAL_KEYBYTES);
    if (keys == NULL)
        return MQTTSEAL_E_NOMEM;
    if (kr->keys != NULL) {
        memcpy(keys, kr->keys, kr->count * MQTTSEAL_KEYBYTES);
        ms_secure_free(kr->keys, kr->cap * MQTTSEAL_KEYBYTES);
    }
    kr->keys = keys;
    kr->cap = cap;
    return MQTTSEAL_OK;
}

static int kr_has_id(const mqttseal_keyring *kr, uint32_t key_id)
{
    for (size_t i = 0; i < kr->count; i++)
        if (kr->entries[i].key_id == key_id)
            return 1;
    return 0;
}

static int kr_find(const mqttseal_keyring *kr, uint32_t key_id,
                   const char *filter, size_t len)
{
    for (size_t i = 0; i < kr->count; i++) {
        const ms_entry *e = &kr->entries[i];
        if (e->key_id == key_id && e->filter_len == len &&
            memcmp(e->filter, filter, len) == 0)
            return 1;
    }
    return 0;
}

/* Append an entry for a parsed filter; the caller fills its key slot
 * (ms_entry_key(kr, *index)) right away, so keys never pass through an
 * intermediate copy. */
static int kr_append(mqttseal_keyring *kr, uint32_t key_id, const char *filter,
                     size_t len, int64_t expires, size_t *index)
{
    ms_filter_kind kind;
    size_t prefix_len;
    int rc = ms_filter_parse(filter, len, &kind, &prefix_len);
    if (rc != MQTTSEAL_OK)
        return rc;
    if (expires < 0 || expires > MS_EXPIRES_MAX)
        return MQTTSEAL_E_INVALID;
    if (kr_find(kr, key_id, filter, len))
        return MQTTSEAL_E_DUPLICATE_KEY;
    if ((rc = kr_reserve(kr, kr->count + 1)) != MQTTSEAL_OK)
        return rc;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return MQTTSEAL_E_NOMEM;
    memcpy(copy, filter, len);
    copy[len] = '\0';
    kr->entries[kr->count] =
        (ms_entry){key_id, expires, kind, prefix_len, len, NULL};
    kr->entries[kr->count].filter = copy; /* owned by the entry now */
    *index = kr->count++;
    return MQTTSEAL_OK;
}

int ms_keyring_add_n(mqttseal_keyring *kr, uint32_t key_id, const char *filter,
                     size_t filter_len,
                     const unsigned char key[MQTTSEAL_KEYBYTES],
                     int64_t expires)
{
    size_t i;
    if (kr == NULL || key == NULL)
        return MQTTSEAL_E_INVALID;
    int rc = kr_append(kr, key_id, filter, filter_len, expires, &i);
    if (rc == MQTTSEAL_OK)
        memcpy(ms_entry_key(kr, i), key, MQTTSEAL_KEYBYTES);
    return rc;
}

int mqttseal_keyring_add(mqttseal_keyring *kr, uint32_t key_id,
                         const char *filter,
                         const unsigned char key[MQTTSEAL_KEYBYTES],
                         int64_t expires)
{
    if (filter == NULL)
        return MQTTSEAL_E_INVALID;
    return ms_keyring_add_n(kr, key_id, filter, strlen(filter), key, expires);
}

int mqttseal_keyring_generate(mqttseal_keyring *kr, uint32_t key_id)
{
    size_t i;
    if (kr == NULL)
        return MQTTSEAL_E_INVALID;
    int rc = kr_append(kr, key_id, "#", 1, 0, &i);
    if (rc != MQTTSEAL_OK)
        return rc;
    randombytes_buf(ms_entry_key(kr, i), MQTTSEAL_KEYBYTES);
    if (!kr->has_primary) {
        kr->has_primary = 1;
        kr->primary = key_id;
    }
    return MQTTSEAL_OK;
}

/* How specific a covering entry is: an exact topic beats every subtree,
 * a longer subtree prefix beats a shorter one ("/#" has prefix "" and
 * still beats "#"), and "#" comes last. */
static size_t specificity(const ms_entry *e)
{
    if (e->kind == MS_FILTER_EXACT)
        return SIZE_MAX;
    return e->kind == MS_FILTER_SUBTREE ? e->prefix_len + 1 : 0;
}

/* Can entry e derive the key of target (kind want, name t)? "#" derives
 * everything; a subtree derives its subtree and exact topics below it;
 * an exact key derives only itself. */
static int derives(const ms_entry *e, ms_filter_kind want, const char *t,
                   size_t t_len)
{
    if (e->kind == MS_FILTER_ALL)
        return 1;
    if (want == MS_FILTER_ALL ||
        (want == MS_FILTER_SUBTREE && e->kind == MS_FILTER_EXACT))
        return 0;
    return ms_filter_covers(e->kind, e->filter, e->prefix_len, t, t_len);
}

/* The most specific entry with key_id that derives the target. */
static int find_best(const mqttseal_keyring *kr, uint32_t key_id,
                     ms_filter_kind want, const char *t, size_t t_len,
                     size_t *best)
{
    int seen = 0, found = 0;
    size_t best_score = 0;

    for (size_t i = 0; i < kr->count; i++) {
        const ms_entry *e = &kr->entries[i];
        if (e->key_id != key_id)
            continue;
        seen = 1;
        if (!derives(e, want, t, t_len))
            continue;
        if (!found || specificity(e) > best_score) {
            found = 1;
            best_score = specificity(e);
            *best = i;
        }
    }
    if (!seen)
        return MQTTSEAL_E_UNKNOWN_KEY;
    return found ? MQTTSEAL_OK : MQTTSEAL_E_NO_GRANT;
}

int ms_keyring_message_key(const mqttseal_keyring *kr, uint32_t key_id,
                           const char *t, size_t t_len,
                           unsigned char out[MQTTSEAL_KEYBYTES],
                           int64_t *expires)
{
    size_t i;
    if (kr == NULL || t == NULL || out == NULL)
        return MQTTSEAL_E_INVALID;
    int rc = find_best(kr, key_id, MS_FILTER_EXACT, t, t_len, &i);
    if (rc != MQTTSEAL_OK) {
        sodium_memzero(out, MQTTSEAL_KEYBYTES);
        return rc;
    }
    const ms_entry *e = &kr->entries[i];
    ms_kdf_topic(out, ms_entry_key(kr, i), e->kind, e->prefix_len, t, t_len);
    if (expires != NULL)
        *expires = e->expires;
    return MQTTSEAL_OK;
}

/* Fill dst's new slot from src entry si. dst may be src: indices, not
 * pointers, are kept across the append that may move the key array. */
static void derive_grant(unsigned char *slot, const mqttseal_keyring *src,
                         size_t si, ms_filter_kind want, const char *f,
                         size_t prefix_len)
{
    const ms_entry *e = &src->entries[si];
    const unsigned char *key = ms_entry_key(src, si);

    if (want == MS_FILTER_ALL)
        memcpy(slot, key, MQTTSEAL_KEYBYTES);
    else if (want == MS_FILTER_SUBTREE)
        ms_kdf_node(slot, key, e->kind, e->prefix_len, f, prefix_len);
    else
        ms_kdf_topic(slot, key, e->kind, e->prefix_len, f, prefix_len);
}

int mqttseal_keyring_grant(mqttseal_keyring *dst, const mqttseal_keyring *src,
                           uint32_t key_id, const char *filter)
{
    ms_filter_kind want;
    size_t plen, si, di;
    if (dst == NULL || src == NULL || filter == NULL)
        return MQTTSEAL_E_INVALID;
    size_t len = strlen(filter);
    int rc = ms_filter_parse(filter, len, &want, &plen);
    if (rc != MQTTSEAL_OK)
        return rc;
    rc = find_best(src, key_id, want, filter, plen, &si);
    if (rc != MQTTSEAL_OK)
        return rc;
    int64_t expires = src->entries[si].expires;
    rc = kr_append(dst, key_id, filter, len, expires, &di);
    if (rc != MQTTSEAL_OK)
        return rc;
    derive_grant(ms_entry_key(dst, di), src, si, want, filter, plen);
    return MQTTSEAL_OK;
}

/* Entries are copied as they are (already parsed and checked), so a
 * context can take a copy of a large keyring in linear time. */
static int copy_entries(mqttseal_keyring *kr, const mqttseal_keyring *src)
{
    int rc = kr_reserve(kr, src->count);
    if (rc != MQTTSEAL_OK)
        return rc;
    for (size_t i = 0; i < src->count; i++) {
        ms_entry e = src->entries[i];
        e.filter = malloc(e.filter_len + 1);
        if (e.filter == NULL)
            return MQTTSEAL_E_NOMEM;
        memcpy(e.filter, src->entries[i].filter, e.filter_len + 1);
        kr->entries[i] = e;
        memcpy(ms_entry_key(kr, i), ms_entry_key(src, i), MQTTSEAL_KEYBYTES);
        kr->count = i + 1;
    }
    return MQTTSEAL_OK;
}

int ms_keyring_copy(mqttseal_keyring **out, const mqttseal_keyring *src)
{
    mqttseal_keyring *kr;
    if (out == NULL || src == NULL)
        return MQTTSEAL_E_INVALID;
    *out = NULL;
    int rc = mqttseal_keyring_new(&kr);
    if (rc != MQTTSEAL_OK)
        return rc;
    if ((rc = copy_entries(kr, src)) != MQTTSEAL_OK) {
        mqttseal_keyring_free(kr);
        return rc;
    }
    kr->has_primary = src->has_primary;
    kr->primary = src->primary;
    *out = kr;
    return MQTTSEAL_OK;
}

int mqttseal_keyring_set_primary(mqttseal_keyring *kr, uint32_t key_id)
{
    if (kr == NULL)
        return MQTTSEAL_E_INVALID;
    if (!kr_has_id(kr, key_id))
        return MQTTSEAL_E_UNKNOWN_KEY;
    kr->has_primary = 1;
    kr->primary = key_id;
    return MQTTSEAL_OK;
}

int mqttseal_keyring_primary(const mqttseal_keyring *kr, uint32_t *key_id)
{
    if (kr == NULL || key_id == NULL)
        return MQTTSEAL_E_INVALID;
    if (!kr->has_primary)
        return MQTTSEAL_E_NO_PRIMARY;
    *key_id = kr->primary;
    return MQTTSEAL_OK;
}

int mqttseal_keyring_set_expiry(mqttseal_keyring *kr, uint32_t key_id,
                                int64_t expires)
{
    int found = 0;
    if (kr == NULL || expires < 0 || expires > MS_EXPIRES_MAX)
        return MQTTSEAL_E_INVALID;
    for (size_t i = 0; i < kr->count; i++) {
        if (kr->entries[i].key_id == key_id) {
            kr->entries[i].expires = expires;
            found = 1;
        }
    }
    return found ? MQTTSEAL_OK : MQTTSEAL_E_UNKNOWN_KEY;
}

int mqttseal_keyring_remove(mqttseal_keyring *kr, uint32_t key_id)
{
    size_t kept = 0;
    if (kr == NULL)
        return MQTTSEAL_E_INVALID;
    if (!kr_has_id(kr, key_id))
        return MQTTSEAL_E_UNKNOWN_KEY;
    for (size_t i = 0; i < kr->count; i++) {
        if (kr->entries[i].key_id == key_id) {
            free(kr->entries[i].filter);
            continue;
        }
        if (kept != i) {
            kr->entries[kept] = kr->entries[i];
            memcpy(ms_entry_key(kr, kept), ms_entry_key(kr, i),
                   MQTTSEAL_KEYBYTES);
        }
        kept++;
    }
    /* The slots past the survivors still hold removed or moved keys. */
    sodium_memzero(ms_entry_key(kr, kept),
                   (kr->count - kept) * MQTTSEAL_KEYBYTES);
    kr->count = kept;
    if (kr->has_primary && kr->primary == key_id)
        kr->has_primary = 0;
    return MQTTSEAL_OK;
}

size_t mqttseal_keyring_count(const mqttseal_keyring *kr)
{
    return kr == NULL ? 0 : kr->count;
}

/* Copy a filter into info->filter, ending long ones in "..." without
 * splitting a UTF-8 sequence. */
static void copy_filter(mqttseal_key_info *info, const ms_entry *e)
{
    size_t cut = e->filter_len;

    if (cut < sizeof info->filter) {
        memcpy(info->filter, e->filter, cut + 1);
        return;
    }
    cut = sizeof info->filter - 4;
    while (cut > 0 && ((unsigned char)e->filter[cut] & 0xC0U) == 0x80U)
        cut--;
    memcpy(info->filter, e->filter, cut);
    memcpy(info->filter + cut, "...", 4);
}

int mqttseal_keyring_entry(const mqttseal_keyring *kr, size_t index,
                           mqttseal_key_info *info)
{
    if (kr == NULL || info == NULL || index >= kr->count)
        return MQTTSEAL_E_INVALID;
    const ms_entry *e = &kr->entries[index];
    memset(info, 0, sizeof *info);
    info->key_id = e->key_id;
    info->expires = e->expires;
    info->is_primary = kr->has_primary && kr->primary == e->key_id;
    copy_filter(info, e);
    return MQTTSEAL_OK;
}

/* The entry of key_id that a state key comes from: the shortest filter,
 * ties broken by the bytewise smaller one. */
static int state_entry(const mqttseal_keyring *kr, uint32_t key_id, size_t *at)
{
    int found = 0;

    for (size_t i = 0; i < kr->count; i++) {
        const ms_entry *e = &kr->entries[i], *b;
        if (e->key_id != key_id) {
            continue;
        }
        b = found ? &kr->entries[*at] : NULL;
        if (b == NULL || e->filter_len < b->filter_len ||
            (e->filter_len == b->filter_len &&
             memcmp(e->filter, b->filter, e->filter_len) < 0)) {
            *at = i;
            found = 1;
        }
    }
    return found;
}

int ms_keyring_state_key(const mqttseal_keyring *kr, uint32_t key_id,
                         unsigned char out[MQTTSEAL_KEYBYTES])
{
    static const unsigned char salt[16] = {0};
    unsigned char in[4] = {(unsigned char)key_id, (unsigned char)(key_id >> 8),
                           (unsigned char)(key_id >> 16),
                           (unsigned char)(key_id >> 24)};
    size_t i = 0;

    if (!state_entry(kr, key_id, &i)) {
        return MQTTSEAL_E_UNKNOWN_KEY;
    }
    crypto_generichash_blake2b_salt_personal(
        out, MQTTSEAL_KEYBYTES, in, sizeof in, ms_entry_key(kr, i),
        MQTTSEAL_KEYBYTES, salt, (const unsigned char *)"mqttseal-stat-v1");
    return MQTTSEAL_OK;
}
