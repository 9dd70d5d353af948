/*
 * Topic names, grant filters and topic-tree key derivation
 * (docs/FORMAT.md, "Key derivation" and "Grants").
 */
#ifndef MQTTSEAL_TOPIC_H
#define MQTTSEAL_TOPIC_H

#include <stddef.h>

#include "mqttseal/mqttseal.h"

typedef enum ms_filter_kind {
    MS_FILTER_ALL = 0,     /* "#": the root key */
    MS_FILTER_SUBTREE = 1, /* "P/#": node key of P; P may be "" for "/#" */
    MS_FILTER_EXACT = 2    /* "P": message key of the one topic P */
} ms_filter_kind;

/**
 * Parse a grant filter. *prefix_len receives the length of P (the filter
 * without its trailing "/#"; 0 for "#").
 * @return OK, E_FILTER (empty, '#' not a whole last level, NUL, too
 *         long), E_FILTER_PLUS ('+' anywhere).
 */
int ms_filter_parse(const char *filter, size_t len, ms_filter_kind *kind,
                    size_t *prefix_len);

/** 1 if the grant (kind, prefix P) covers topic name t, else 0. */
int ms_filter_covers(ms_filter_kind kind, const char *prefix, size_t prefix_len,
                     const char *t, size_t t_len);

/** Node key of one more level: keyed BLAKE2b, level length-prefixed. */
void ms_kdf_child(unsigned char out[MQTTSEAL_KEYBYTES],
                  const unsigned char parent[MQTTSEAL_KEYBYTES],
                  const unsigned char *level, size_t level_len);

/** Message key of a node: the last one-way step. */
void ms_kdf_message(unsigned char out[MQTTSEAL_KEYBYTES],
                    const unsigned char node[MQTTSEAL_KEYBYTES]);

/**
 * Node key of P (the levels of p[0..p_len), so "" is the one empty level
 * of "/#") from the key of a grant that derives it: "#", or a subtree
 * whose prefix (prefix_len bytes of p) is P itself or a level-prefix of P.
 * Used to derive subtree grants. Intermediate keys are wiped.
 */
void ms_kdf_node(unsigned char out[MQTTSEAL_KEYBYTES],
                 const unsigned char grant_key[MQTTSEAL_KEYBYTES],
                 ms_filter_kind kind, size_t prefix_len, const char *p,
                 size_t p_len);

/**
 * Message key of topic t from the key of a grant that covers it
 * (ms_filter_covers must be 1). Intermediate keys are wiped.
 */
void ms_kdf_topic(unsigned char out[MQTTSEAL_KEYBYTES],
                  const unsigned char grant_key[MQTTSEAL_KEYBYTES],
                  ms_filter_kind kind, size_t prefix_len, const char *t,
                  size_t t_len);

#endif
