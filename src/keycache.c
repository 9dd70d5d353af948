/* Chained hash table over a fixed array of entries, with an index-linked
 * LRU list. Lookups hash the topic with SipHash under a random per-cache
 * key, so remote peers choosing topics cannot force long chains. */
#include "keycache.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "secure.h"

#define NIL UINT32_MAX

typedef struct entry {
    uint32_t key_id;
    uint32_t next;     /* hash chain */
    uint32_t prev_lru; /* towards most recently used */
    uint32_t next_lru; /* towards least recently used */
    uint64_t hash;
    int64_t expires;
    char *topic;
    size_t topic_len;
} entry;

struct ms_keycache {
    entry *entries;
    unsigned char *keys; /* capacity * KEYBYTES, guarded */
    uint32_t *buckets;
    size_t capacity;
    size_t nbuckets; /* power of two */
    size_t count;
    uint32_t head; /* most recently used */
    uint32_t tail; /* least recently used */
    unsigned char hkey[crypto_shorthash_KEYBYTES];
};

static uint64_t topic_hash(const ms_keycache *c, uint32_t key_id, const char *t,
                           size_t t_len)
{
    unsigned char h[crypto_shorthash_BYTES];
    uint64_t v = 0;
    size_t i;

    crypto_shorthash(h, (const unsigned char *)t, t_len, c->hkey);
    for (i = 0; i < sizeof h; i++) {
        v |= (uint64_t)h[i] << (8 * i);
    }
    return v ^ ((uint64_t)key_id * 0x9E3779B97F4A7C15ULL);
}

static void reset_lists(ms_keycache *c)
{
    size_t i;

    for (i = 0; i < c->nbuckets; i++) {
        c->buckets[i] = NIL;
    }
    c->head = c->tail = NIL;
    c->count = 0;
}

int ms_keycache_new(ms_keycache **out, size_t capacity)
{
    ms_keycache *c;

    *out = NULL;
    if (capacity == 0 || capacity > (size_t)1 << 24) {
        return MQTTSEAL_E_INVALID;
    }
    if ((c = calloc(1, sizeof *c)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    c->capacity = capacity;
    c->nbuckets = 1;
    while (c->nbuckets < capacity * 2) {
        c->nbuckets <<= 1;
    }
    c->entries = calloc(capacity, sizeof *c->entries);
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    c->keys = ms_secure_alloc(capacity * MQTTSEAL_KEYBYTES);
    if (c->entries == NULL || c->buckets == NULL || c->keys == NULL) {
        ms_keycache_free(c);
        return MQTTSEAL_E_NOMEM;
    }
    randombytes_buf(c->hkey, sizeof c->hkey);
    reset_lists(c);
    *out = c;
    return MQTTSEAL_OK;
}

void ms_keycache_free(ms_keycache *c)
{
    if (c == NULL) {
        return;
    }
    if (c->entries != NULL) {
        for (size_t i = 0; i < c->capacity; i++) {
            free(c->entries[i].topic);
        }
    }
    ms_secure_free(c->keys, c->capacity * MQTTSEAL_KEYBYTES);
    free(c->entries);
    free(c->buckets);
    sodium_memzero(c, sizeof *c);
    free(c);
}

static void lru_unlink(ms_keycache *c, uint32_t i)
{
    entry *e = &c->entries[i];

    if (e->prev_lru != NIL) {
        c->entries[e->prev_lru].next_lru = e->next_lru;
    } else {
        c->head = e->next_lru;
    }
    if (e->next_lru != NIL) {
        c->entries[e->next_lru].prev_lru = e->prev_lru;
    } else {
        c->tail = e->prev_lru;
    }
}

static void lru_push_front(ms_keycache *c, uint32_t i)
{
    entry *e = &c->entries[i];

    e->prev_lru = NIL;
    e->next_lru = c->head;
    if (c->head != NIL) {
        c->entries[c->head].prev_lru = i;
    }
    c->head = i;
    if (c->tail == NIL) {
        c->tail = i;
    }
}

static uint32_t find(const ms_keycache *c, uint64_t h, uint32_t key_id,
                     const char *t, size_t t_len)
{
    uint32_t i = c->buckets[h & (c->nbuckets - 1)];

    while (i != NIL) {
        const entry *e = &c->entries[i];

        if (e->hash == h && e->key_id == key_id && e->topic_len == t_len &&
            memcmp(e->topic, t, t_len) == 0) {
            return i;
        }
        i = e->next;
    }
    return NIL;
}

static int is_head(const ms_keycache *c, uint32_t key_id, const char *t,
                   size_t t_len)
{
    const entry *e = c->head == NIL ? NULL : &c->entries[c->head];

    return e != NULL && e->key_id == key_id && e->topic_len == t_len &&
           memcmp(e->topic, t, t_len) == 0;
}

int ms_keycache_get(ms_keycache *c, uint32_t key_id, const char *t,
                    size_t t_len, unsigned char key[MQTTSEAL_KEYBYTES],
                    int64_t *expires)
{
    /* A publisher or subscriber on one busy topic hits the most recently
     * used entry: compare it before paying for the keyed hash. */
    uint32_t i =
        is_head(c, key_id, t, t_len)
            ? c->head
            : find(c, topic_hash(c, key_id, t, t_len), key_id, t, t_len);

    if (i == NIL) {
        return 0;
    }
    if (c->head != i) {
        lru_unlink(c, i);
        lru_push_front(c, i);
    }
    memcpy(key, c->keys + (size_t)i * MQTTSEAL_KEYBYTES, MQTTSEAL_KEYBYTES);
    *expires = c->entries[i].expires;
    return 1;
}

static void bucket_remove(ms_keycache *c, uint32_t i)
{
    uint32_t *link = &c->buckets[c->entries[i].hash & (c->nbuckets - 1)];

    while (*link != i) {
        link = &c->entries[*link].next;
    }
    *link = c->entries[i].next;
}

/* A free slot, or the least recently used one, unlinked and wiped. */
static uint32_t take_slot(ms_keycache *c)
{
    uint32_t i;

    if (c->count < c->capacity) {
        return (uint32_t)c->count++;
    }
    i = c->tail;
    lru_unlink(c, i);
    bucket_remove(c, i);
    sodium_memzero(c->keys + (size_t)i * MQTTSEAL_KEYBYTES, MQTTSEAL_KEYBYTES);
    return i;
}

int ms_keycache_put(ms_keycache *c, uint32_t key_id, const char *t,
                    size_t t_len, const unsigned char key[MQTTSEAL_KEYBYTES],
                    int64_t expires)
{
    uint64_t h = topic_hash(c, key_id, t, t_len);
    uint32_t i = find(c, h, key_id, t, t_len);
    entry *e;

    if (i != NIL) {
        lru_unlink(c, i);
        bucket_remove(c, i);
        e = &c->entries[i];
    } else {
        /* Copy the topic before evicting, so a failed allocation leaves
         * the cache exactly as it was. */
        char *copy = malloc(t_len ? t_len : 1);

        if (copy == NULL) {
            return MQTTSEAL_E_NOMEM;
        }
        memcpy(copy, t, t_len);
        i = take_slot(c);
        e = &c->entries[i];
        free(e->topic);
        e->topic = copy;
        e->topic_len = t_len;
    }
    e->key_id = key_id;
    e->hash = h;
    e->expires = expires;
    memcpy(c->keys + (size_t)i * MQTTSEAL_KEYBYTES, key, MQTTSEAL_KEYBYTES);
    e->next = c->buckets[h & (c->nbuckets - 1)];
    c->buckets[h & (c->nbuckets - 1)] = i;
    lru_push_front(c, i);
    return MQTTSEAL_OK;
}

void ms_keycache_clear(ms_keycache *c)
{
    size_t i;

    sodium_memzero(c->keys, c->capacity * MQTTSEAL_KEYBYTES);
    for (i = 0; i < c->capacity; i++) {
        free(c->entries[i].topic);
        c->entries[i].topic = NULL;
    }
    reset_lists(c);
}
