/*
 * Internals shared by replay.c (the live state) and replay_file.c (its
 * serialisation, docs/FORMAT.md section 11). Nothing else includes this.
 */
#ifndef MQTTSEAL_REPLAY_IMPL_H
#define MQTTSEAL_REPLAY_IMPL_H

#include <sodium.h>

#include "replay.h"

/* End of an index-linked list or hash chain; also "not found". */
#define MS_NONE UINT32_MAX

/* Ring words of the widest window (RFC 6479: one spare word). */
#define MS_RING_WORDS_MAX (MQTTSEAL_REPLAY_WINDOW_MAX / 64U + 1U)

/*
 * One slot: a tracked session (index below max_sess; its ring lives in
 * ring[index * words]) or a remembered session, "tombstone" in the code
 * (index from max_sess on). Indices rather than pointers keep a slot at
 * 48 bytes on 32- and 64-bit targets.
 */
typedef struct ms_slot {
    uint64_t highest; /* highest accepted seq */
    uint64_t ts_max;  /* newest timestamp accepted (0: none) */
    uint32_t key_id;
    uint32_t hash;  /* keyed hash of (key_id, sid): rehash needs no SipHash */
    uint32_t hnext; /* next slot in the same hash chain */
    uint32_t prev;  /* LRU list neighbours; next doubles as the */
    uint32_t next;  /* free-list link of an unused slot */
    unsigned char sid[MQTTSEAL_SESSIONIDBYTES];
} ms_slot;

/* A doubly linked LRU list of slots; head is the least recently seen. */
typedef struct ms_list {
    uint32_t head;
    uint32_t tail;
} ms_list;

/* A key id's low-water mark: the newest timestamp any session dropped
 * under it had accepted. Its presence alone refuses unknown sessions
 * that carry no timestamp. */
typedef struct ms_mark {
    uint32_t key_id;
    uint64_t ms;
} ms_mark;

struct ms_replay {
    unsigned window;     /* W, bits */
    uint32_t words;      /* ring words per session: W/64 + 1 */
    uint32_t max_sess;   /* slots [0, max_sess) */
    uint32_t tomb_slots; /* slots [max_sess, max_sess + tomb_slots) */
    uint32_t capacity;   /* the most tomb_slots may grow to */
    uint32_t n_buckets;
    uint64_t max_age_ms; /* freshness: older entries are stale (0: off) */
    uint64_t forgotten;  /* entries dropped once stale */
    uint64_t dropped;    /* entries dropped while fresh */
    ms_list sess;
    ms_list tomb;
    uint32_t free_sess;
    uint32_t free_tomb;
    ms_slot *ent;
    uint64_t *ring;
    uint32_t *bucket;
    uint64_t ts_high; /* newest timestamp ever accepted (0: none) */
    ms_mark *marks;   /* grows only when a tombstone is dropped */
    size_t n_marks;
    size_t cap_marks;
    unsigned char hkey[crypto_shorthash_KEYBYTES];
};

/*
 * Builders for ms_replay_decode. Each leaves the state unchanged when it
 * fails.
 */

/** Raise key_id's mark to ms (never lowers it; creates it if absent).
 *  @return OK, E_NOMEM. */
int ms_replay_put_mark(ms_replay *r, uint32_t key_id, uint64_t ms);

/* A session as the state file records it. */
typedef struct ms_saved {
    uint32_t key_id;
    const unsigned char *sid;
    uint64_t highest;
    uint64_t ts_max;
} ms_saved;

/**
 * Append a tombstone as the most recently seen one; when the table is
 * full (and cannot grow) the least recently seen is dropped, marking its
 * key id with its ts_max. now_ms decides what is stale.
 * @return OK, E_STATE_CORRUPT (already present), E_NOMEM.
 */
int ms_replay_put_tomb(ms_replay *r, const ms_saved *s, uint64_t now_ms);

/**
 * Append a tracked session (most recently seen) with its ring words.
 * @return OK, E_STATE_CORRUPT (already present), E_INVALID (no free
 *         session slot).
 */
int ms_replay_put_sess(ms_replay *r, const ms_saved *s, const uint64_t *ring);

#endif
