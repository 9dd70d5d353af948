/* Chained hash table over an array of entries, with an index-linked LRU
 * list. Lookups hash the topic with SipHash under a random per-cache key,
 * so remote peers choosing topics cannot force long chains. The arrays
 * start small and double (indices, and so the LRU links, are kept) until
 * they reach the maximum; only then does the least recently used entry
 * make room. Only authenticated keys are ever put here. */
#include "keycache.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "secure.h"

#define NIL UINT32_MAX
/* A slot of the guarded arena: the message key, then the session subkey
 * of the last sender session seen with it (docs/FORMAT.md section 3). */
#define SLOT_BYTES (2U * MQTTSEAL_KEYBYTES)

typedef struct entry {
    uint32_t key_id;
    uint32_t next;     /* hash chain */
    uint32_t prev_lru; /* towards most recently used */
    uint32_t next_lru; /* towards least recently used */
    uint64_t hash;
    int64_t expires;
    char *topic;
    size_t topic_len;
    unsigned char sub_sid[MQTTSEAL_SESSIONIDBYTES];
    unsigned char sub_rid[MQTTSEAL_SESSIONIDBYTES];
    unsigned char has_sub;
} entry;

#define INITIAL_SLOTS 64U

struct ms_keycache {
    entry *entries;
    unsigned char *keys; /* slots * SLOT_BYTES, guarded */
    uint32_t *buckets;
    size_t capacity; /* the most entries it may grow to */
    size_t slots;    /* entries allocated now */
    size_t nbuckets; /* power of two, at least 2 * slots */
    size_t count;
    size_t topic_bytes;
    uint32_t head; /* most recently used */
    uint32_t tail; /* least recently used */
    unsigned char hkey[crypto_shorthash_KEYBYTES];
};

uint64_t ms_keycache_hash(const ms_keycache *c, uint32_t key_id, const char *t,
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

static size_t buckets_for(size_t slots)
{
    size_t n = 1;

    while (n < slots * 2) {
        n <<= 1;
    }
    return n;
}

/* Put every entry in use back into its bucket (after the array grew). */
static void rebucket(ms_keycache *c)
{
    size_t i;

    for (i = 0; i < c->nbuckets; i++) {
        c->buckets[i] = NIL;
    }
    for (i = 0; i < c->count; i++) {
        uint32_t *b = &c->buckets[c->entries[i].hash & (c->nbuckets - 1)];
        c->entries[i].next = *b;
        *b = (uint32_t)i;
    }
}

/* Double the arrays, up to capacity. All or nothing. */
static int grow(ms_keycache *c)
{
    size_t slots = c->slots * 2 < c->capacity ? c->slots * 2 : c->capacity;
    size_t nb = buckets_for(slots);
    entry *e = calloc(slots, sizeof *e);
    uint32_t *b = calloc(nb, sizeof *b);
    unsigned char *k = ms_secure_alloc(slots * SLOT_BYTES);

    if (e == NULL || b == NULL || k == NULL) {
        free(e);
        free(b);
        ms_secure_free(k, slots * SLOT_BYTES);
        return MQTTSEAL_E_NOMEM;
    }
    memcpy(e, c->entries, c->slots * sizeof *e);
    memcpy(k, c->keys, c->slots * SLOT_BYTES);
    ms_secure_free(c->keys, c->slots * SLOT_BYTES);
    free(c->entries);
    free(c->buckets);
    c->entries = e;
    c->keys = k;
    c->buckets = b;
    c->slots = slots;
    c->nbuckets = nb;
    rebucket(c);
    return MQTTSEAL_OK;
}

/* Fresh arrays for capacity; nothing changes on failure. */
static int alloc_arrays(ms_keycache *c, size_t capacity)
{
    size_t slots = capacity < INITIAL_SLOTS ? capacity : INITIAL_SLOTS;
    size_t nb = buckets_for(slots);
    entry *e = calloc(slots, sizeof *e);
    uint32_t *b = calloc(nb, sizeof *b);
    unsigned char *k = ms_secure_alloc(slots * SLOT_BYTES);

    if (e == NULL || b == NULL || k == NULL) {
        free(e);
        free(b);
        ms_secure_free(k, slots * SLOT_BYTES);
        return MQTTSEAL_E_NOMEM;
    }
    c->entries = e;
    c->buckets = b;
    c->keys = k;
    c->slots = slots;
    c->nbuckets = nb;
    c->capacity = capacity;
    c->count = 0;
    c->topic_bytes = 0;
    reset_lists(c);
    return MQTTSEAL_OK;
}

static void free_arrays(ms_keycache *c)
{
    if (c->entries != NULL) {
        for (size_t i = 0; i < c->slots; i++) {
            free(c->entries[i].topic);
        }
    }
    ms_secure_free(c->keys, c->slots * SLOT_BYTES);
    free(c->entries);
    free(c->buckets);
}

int ms_keycache_resize(ms_keycache *c, size_t capacity)
{
    ms_keycache tmp = *c;

    if (capacity == 0 || capacity > (size_t)1 << 24) {
        return MQTTSEAL_E_INVALID;
    }
    if (alloc_arrays(&tmp, capacity) != MQTTSEAL_OK) {
        return MQTTSEAL_E_NOMEM;
    }
    free_arrays(c);
    *c = tmp;
    return MQTTSEAL_OK;
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
    if (alloc_arrays(c, capacity) != MQTTSEAL_OK) {
        free(c);
        return MQTTSEAL_E_NOMEM;
    }
    randombytes_buf(c->hkey, sizeof c->hkey);
    *out = c;
    return MQTTSEAL_OK;
}

void ms_keycache_free(ms_keycache *c)
{
    if (c == NULL) {
        return;
    }
    free_arrays(c);
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

/* The subkey when it belongs to session sid (then the key itself is not
 * needed and not copied), else the key. */
static void copy_out(const ms_keycache *c, uint32_t i, ms_keyslot *out)
{
    const entry *e = &c->entries[i];
    const unsigned char *slot = c->keys + (size_t)i * SLOT_BYTES;

    out->expires = e->expires;
    out->has_sub = out->sid != NULL && e->has_sub &&
                   memcmp(e->sub_sid, out->sid, MQTTSEAL_SESSIONIDBYTES) == 0;
    if (out->has_sub) {
        memcpy(out->sub, slot + MQTTSEAL_KEYBYTES, MQTTSEAL_KEYBYTES);
        memcpy(out->rid, e->sub_rid, MQTTSEAL_SESSIONIDBYTES);
    } else {
        memcpy(out->key, slot, MQTTSEAL_KEYBYTES);
    }
}

int ms_keycache_get_head(const ms_keycache *c, uint32_t key_id, const char *t,
                         size_t t_len, ms_keyslot *out)
{
    const entry *e = c->head == NIL ? NULL : &c->entries[c->head];

    if (e == NULL || e->key_id != key_id || e->topic_len != t_len ||
        t_len > MS_KEYCACHE_HEAD_MAX || memcmp(e->topic, t, t_len) != 0) {
        return 0;
    }
    copy_out(c, c->head, out);
    return 1;
}

int ms_keycache_get(ms_keycache *c, uint32_t key_id, const char *t,
                    size_t t_len, unsigned char key[MQTTSEAL_KEYBYTES],
                    int64_t *expires)
{
    ms_keyslot out = {.sid = NULL};
    int hit;

    /* A publisher or subscriber on one busy topic hits the most recently
     * used entry: compare it before paying for the keyed hash. */
    hit = ms_keycache_get_head(c, key_id, t, t_len, &out) ||
          ms_keycache_get_hashed(c, ms_keycache_hash(c, key_id, t, t_len),
                                 key_id, t, t_len, &out);
    if (hit) {
        memcpy(key, out.key, MQTTSEAL_KEYBYTES);
        *expires = out.expires;
    }
    sodium_memzero(&out, sizeof out);
    return hit;
}

int ms_keycache_get_hashed(ms_keycache *c, uint64_t h, uint32_t key_id,
                           const char *t, size_t t_len, ms_keyslot *out)
{
    uint32_t i = find(c, h, key_id, t, t_len);

    if (i == NIL) {
        return 0;
    }
    if (c->head != i) {
        lru_unlink(c, i);
        lru_push_front(c, i);
    }
    copy_out(c, i, out);
    return 1;
}

void ms_keycache_set_sub(ms_keycache *c, uint64_t h, uint32_t key_id,
                         const char *t, size_t t_len,
                         const unsigned char sid[MQTTSEAL_SESSIONIDBYTES],
                         const unsigned char sub[MQTTSEAL_KEYBYTES],
                         const unsigned char rid[MQTTSEAL_SESSIONIDBYTES])
{
    uint32_t i = find(c, h, key_id, t, t_len);

    if (i != NIL) {
        memcpy(c->keys + (size_t)i * SLOT_BYTES + MQTTSEAL_KEYBYTES, sub,
               MQTTSEAL_KEYBYTES);
        memcpy(c->entries[i].sub_sid, sid, MQTTSEAL_SESSIONIDBYTES);
        memcpy(c->entries[i].sub_rid, rid, MQTTSEAL_SESSIONIDBYTES);
        c->entries[i].has_sub = 1;
    }
}

static void bucket_remove(ms_keycache *c, uint32_t i)
{
    uint32_t *link = &c->buckets[c->entries[i].hash & (c->nbuckets - 1)];

    while (*link != i) {
        link = &c->entries[*link].next;
    }
    *link = c->entries[i].next;
}

/* A free slot (growing the arrays if allowed), or the least recently
 * used one, unlinked and wiped. */
static uint32_t take_slot(ms_keycache *c)
{
    uint32_t i;

    if (c->count == c->slots && c->slots < c->capacity) {
        (void)grow(c); /* out of memory: recycle an entry instead */
    }
    if (c->count < c->slots) {
        return (uint32_t)c->count++;
    }
    i = c->tail;
    lru_unlink(c, i);
    bucket_remove(c, i);
    sodium_memzero(c->keys + (size_t)i * SLOT_BYTES, SLOT_BYTES);
    c->entries[i].has_sub = 0;
    c->topic_bytes -= c->entries[i].topic_len;
    return i;
}

int ms_keycache_put(ms_keycache *c, uint32_t key_id, const char *t,
                    size_t t_len, const unsigned char key[MQTTSEAL_KEYBYTES],
                    int64_t expires)
{
    return ms_keycache_put_hashed(c, ms_keycache_hash(c, key_id, t, t_len),
                                  key_id, t, t_len, key, expires);
}

int ms_keycache_put_hashed(ms_keycache *c, uint64_t h, uint32_t key_id,
                           const char *t, size_t t_len,
                           const unsigned char key[MQTTSEAL_KEYBYTES],
                           int64_t expires)
{
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
        c->topic_bytes += t_len;
    }
    e->key_id = key_id;
    e->hash = h;
    e->expires = expires;
    e->has_sub = 0;
    memcpy(c->keys + (size_t)i * SLOT_BYTES, key, MQTTSEAL_KEYBYTES);
    e->next = c->buckets[h & (c->nbuckets - 1)];
    c->buckets[h & (c->nbuckets - 1)] = i;
    lru_push_front(c, i);
    return MQTTSEAL_OK;
}

void ms_keycache_clear(ms_keycache *c)
{
    size_t i;

    sodium_memzero(c->keys, c->slots * SLOT_BYTES);
    for (i = 0; i < c->slots; i++) {
        free(c->entries[i].topic);
        c->entries[i].topic = NULL;
    }
    c->topic_bytes = 0;
    reset_lists(c);
}

size_t ms_keycache_count(const ms_keycache *c)
{
    return c->count;
}

size_t ms_keycache_bytes(const ms_keycache *c)
{
    return sizeof *c + c->slots * (sizeof(entry) + SLOT_BYTES) +
           c->nbuckets * sizeof(uint32_t) + c->topic_bytes;
}
