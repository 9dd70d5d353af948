/*
 * Receive-side replay state (docs/FORMAT.md section 9).
 *
 * Per (key id, session id): the highest accepted seq and an RFC 6479 ring
 * of W/64 + 1 words, seq s being bit s % 64 of word (s / 64) % words.
 * The spare word lets the window slide by clearing whole words instead of
 * shifting bits, so an accept costs the same at any W.
 *
 * Every table is allocated by ms_replay_new. An accept hashes once
 * (SipHash-2-4 under a random key, so senders cannot aim for collisions),
 * walks a chain whose expected length is below one, and relinks a few
 * indices: no allocation and no system call. The one table that can grow
 * is the list of low-water marks, only when a tombstone is dropped for a
 * key id that has none yet, which happens at most once per key id.
 *
 * Memory per tracked session (ms_replay_session_bytes): its slot (40
 * bytes) and ring ((W/64 + 1) * 8 bytes), the four tombstone slots the
 * 4 x max_sessions bound reserves for it (160 bytes) and five bucket heads
 * (20 bytes). W = 64: 40 + 16 + 160 + 20 = 236 bytes. W = 1024: 356 bytes.
 * 10,000 sessions at W = 64: 2,360,000 bytes, plus one struct ms_replay
 * and 16 to 32 bytes (the table doubles) per key id that has a mark.
 * The tombstones are counted because ms_replay_new allocates them up
 * front: this is what a session costs, not just what it uses.
 */
#include "replay_impl.h"

#include <stdlib.h>
#include <string.h>

/* Slot indices are uint32_t and MS_NONE is reserved: 5 slots a session. */
#define MS_SESSIONS_MAX ((UINT32_MAX - 1U) / 5U)

static int window_ok(unsigned window)
{
    return window >= 64U && window <= MQTTSEAL_REPLAY_WINDOW_MAX &&
           window % 64U == 0U;
}

size_t ms_replay_session_bytes(unsigned window)
{
    if (!window_ok(window)) {
        return 0;
    }
    return 5U * sizeof(ms_entry) + (window / 64U + 1U) * sizeof(uint64_t) +
           5U * sizeof(uint32_t);
}

/* ---- hash index ---------------------------------------------------- */

static uint32_t bucket_of(const ms_replay *r, uint32_t key_id,
                          const unsigned char sid[MQTTSEAL_SESSIONIDBYTES])
{
    unsigned char in[4 + MQTTSEAL_SESSIONIDBYTES];
    unsigned char h[crypto_shorthash_BYTES];
    uint64_t v;

    in[0] = (unsigned char)key_id;
    in[1] = (unsigned char)(key_id >> 8);
    in[2] = (unsigned char)(key_id >> 16);
    in[3] = (unsigned char)(key_id >> 24);
    memcpy(in + 4, sid, MQTTSEAL_SESSIONIDBYTES);
    crypto_shorthash(h, in, sizeof in, r->hkey);
    v = (uint64_t)h[0] | (uint64_t)h[1] << 8 | (uint64_t)h[2] << 16 |
        (uint64_t)h[3] << 24;
    /* Multiply-shift maps 32 hash bits onto [0, n) without a division,
     * so the bucket count need not be a power of two. */
    return (uint32_t)((v * r->n_buckets) >> 32);
}

static uint32_t find(const ms_replay *r, uint32_t b, uint32_t key_id,
                     const unsigned char sid[MQTTSEAL_SESSIONIDBYTES])
{
    uint32_t i;

    for (i = r->bucket[b]; i != MS_NONE; i = r->ent[i].hnext) {
        if (r->ent[i].key_id == key_id &&
            memcmp(r->ent[i].sid, sid, MQTTSEAL_SESSIONIDBYTES) == 0) {
            return i;
        }
    }
    return MS_NONE;
}

static void hash_link(ms_replay *r, uint32_t i, uint32_t b)
{
    r->ent[i].bucket = b;
    r->ent[i].hnext = r->bucket[b];
    r->bucket[b] = i;
}

static void hash_unlink(ms_replay *r, uint32_t i)
{
    uint32_t *p = &r->bucket[r->ent[i].bucket];

    while (*p != i) {
        p = &r->ent[*p].hnext;
    }
    *p = r->ent[i].hnext;
}

/* ---- LRU lists and free lists -------------------------------------- */

static void list_push(ms_replay *r, ms_list *l, uint32_t i)
{
    r->ent[i].prev = l->tail;
    r->ent[i].next = MS_NONE;
    if (l->tail != MS_NONE) {
        r->ent[l->tail].next = i;
    } else {
        l->head = i;
    }
    l->tail = i;
}

static void list_remove(ms_replay *r, ms_list *l, uint32_t i)
{
    ms_entry *e = &r->ent[i];

    if (e->prev != MS_NONE) {
        r->ent[e->prev].next = e->next;
    } else {
        l->head = e->next;
    }
    if (e->next != MS_NONE) {
        r->ent[e->next].prev = e->prev;
    } else {
        l->tail = e->prev;
    }
}

static uint32_t slot_take(ms_replay *r, uint32_t *free_list)
{
    uint32_t i = *free_list;

    *free_list = r->ent[i].next;
    return i;
}

static void slot_give(ms_replay *r, uint32_t *free_list, uint32_t i)
{
    r->ent[i].next = *free_list;
    *free_list = i;
}

/* ---- low-water marks ----------------------------------------------- */

static ms_mark *mark_find(const ms_replay *r, uint32_t key_id)
{
    size_t i;

    /* Linear: one mark per key id, and a keyring holds few key ids. */
    for (i = 0; i < r->n_marks; i++) {
        if (r->marks[i].key_id == key_id) {
            return &r->marks[i];
        }
    }
    return NULL;
}

int ms_replay_put_mark(ms_replay *r, uint32_t key_id, uint64_t ms)
{
    ms_mark *m = mark_find(r, key_id);

    if (m != NULL) {
        /* Never lower: a clock stepping back must not readmit. */
        m->ms = ms > m->ms ? ms : m->ms;
        return MQTTSEAL_OK;
    }
    if (r->n_marks == r->cap_marks) {
        size_t cap = r->cap_marks ? 2U * r->cap_marks : 4U;
        if (cap > SIZE_MAX / sizeof *m) {
            return MQTTSEAL_E_NOMEM;
        }
        m = realloc(r->marks, cap * sizeof *m);
        if (m == NULL) {
            return MQTTSEAL_E_NOMEM;
        }
        r->marks = m;
        r->cap_marks = cap;
    }
    r->marks[r->n_marks].key_id = key_id;
    r->marks[r->n_marks].ms = ms;
    r->n_marks++;
    return MQTTSEAL_OK;
}

/* ---- the ring ------------------------------------------------------ */

static uint64_t *ring_of(const ms_replay *r, uint32_t i)
{
    return r->ring + (size_t)i * r->words;
}

static void ring_set(const ms_replay *r, uint64_t *ring, uint64_t seq)
{
    ring[(seq >> 6) % r->words] |= (uint64_t)1 << (seq & 63U);
}

/* Clear the words that slide in between old_hi and new_hi. */
static void ring_slide(const ms_replay *r, uint64_t *ring, uint64_t old_hi,
                       uint64_t new_hi)
{
    uint64_t diff = (new_hi >> 6) - (old_hi >> 6);
    uint32_t w = (uint32_t)((old_hi >> 6) % r->words);

    if (diff >= r->words) {
        /* Every word is stale; stepping diff times would also wrap. */
        memset(ring, 0, r->words * sizeof *ring);
        return;
    }
    while (diff-- > 0) {
        w = w + 1U == r->words ? 0U : w + 1U;
        ring[w] = 0;
    }
}

/* Mark [lo, hi] as seen (hi - lo < W): used when a session leaves its
 * tombstone, whose seqs up to the old highest may have been accepted. */
static void ring_set_range(const ms_replay *r, uint64_t *ring, uint64_t lo,
                           uint64_t hi)
{
    for (;;) {
        uint64_t end = (lo | 63U) < hi ? (lo | 63U) : hi;
        ring[(lo >> 6) % r->words] |= (~(uint64_t)0 >> (63U - (end & 63U))) &
                                      (~(uint64_t)0 << (lo & 63U));
        if (end == hi) {
            return;
        }
        lo = end + 1U;
    }
}

static int window_update(ms_replay *r, uint32_t i, uint64_t seq)
{
    ms_entry *e = &r->ent[i];
    uint64_t *ring = ring_of(r, i);
    uint64_t *word, bit;

    if (seq > e->highest) {
        ring_slide(r, ring, e->highest, seq);
        e->highest = seq;
        ring_set(r, ring, seq);
        return MQTTSEAL_OK;
    }
    /* seq <= highest here, so the subtraction cannot wrap. */
    if (e->highest - seq >= r->window) {
        return MQTTSEAL_E_TOO_OLD;
    }
    word = &ring[(seq >> 6) % r->words];
    bit = (uint64_t)1 << (seq & 63U);
    if (*word & bit) {
        return MQTTSEAL_E_REPLAY;
    }
    *word |= bit;
    return MQTTSEAL_OK;
}

/* ---- sessions and tombstones --------------------------------------- */

/* Drop the least recently seen tombstone, marking its key id. The mark
 * is the later of now and the newest timestamp ever accepted: a message
 * stamped ahead of this clock must not re-admit its dropped session. */
static int tomb_drop(ms_replay *r, uint64_t now_ms)
{
    uint32_t t = r->tomb.head;
    uint64_t mark = now_ms > r->ts_high ? now_ms : r->ts_high;
    int rc = ms_replay_put_mark(r, r->ent[t].key_id, mark);

    if (rc != MQTTSEAL_OK) {
        return rc;
    }
    hash_unlink(r, t);
    list_remove(r, &r->tomb, t);
    slot_give(r, &r->free_tomb, t);
    return MQTTSEAL_OK;
}

/* Move tracked session s to a free tombstone slot, keeping its highest. */
static void sess_demote(ms_replay *r, uint32_t s)
{
    uint32_t t = slot_take(r, &r->free_tomb);
    ms_entry *from = &r->ent[s], *to = &r->ent[t];

    to->highest = from->highest;
    to->key_id = from->key_id;
    memcpy(to->sid, from->sid, MQTTSEAL_SESSIONIDBYTES);
    hash_unlink(r, s);
    list_remove(r, &r->sess, s);
    slot_give(r, &r->free_sess, s);
    hash_link(r, t, from->bucket);
    list_push(r, &r->tomb, t);
}

/* Ensure a free session slot. All or nothing: on E_NOMEM (the mark table
 * could not grow) nothing has changed. */
static int make_room(ms_replay *r, uint64_t now_ms)
{
    if (r->free_sess != MS_NONE) {
        return MQTTSEAL_OK;
    }
    if (r->free_tomb == MS_NONE) {
        int rc = tomb_drop(r, now_ms);
        if (rc != MQTTSEAL_OK) {
            return rc;
        }
    }
    sess_demote(r, r->sess.head);
    return MQTTSEAL_OK;
}

/* Fill a free session slot (make_room has run) with an empty ring. */
static uint32_t sess_start(ms_replay *r, uint32_t b, uint32_t key_id,
                           const unsigned char sid[MQTTSEAL_SESSIONIDBYTES],
                           uint64_t seq)
{
    uint32_t s = slot_take(r, &r->free_sess);
    ms_entry *e = &r->ent[s];

    e->highest = seq;
    e->key_id = key_id;
    memcpy(e->sid, sid, MQTTSEAL_SESSIONIDBYTES);
    memset(ring_of(r, s), 0, r->words * sizeof(uint64_t));
    ring_set(r, ring_of(r, s), seq);
    hash_link(r, s, b);
    list_push(r, &r->sess, s);
    return s;
}

static int tomb_revive(ms_replay *r, uint32_t t, uint64_t seq, uint64_t now_ms)
{
    ms_entry *e = &r->ent[t];
    uint64_t old = e->highest, lo;
    uint32_t key_id = e->key_id, b = e->bucket, s;
    unsigned char sid[MQTTSEAL_SESSIONIDBYTES];

    if (seq <= old) {
        return MQTTSEAL_E_TOO_OLD;
    }
    memcpy(sid, e->sid, MQTTSEAL_SESSIONIDBYTES);
    hash_unlink(r, t);
    list_remove(r, &r->tomb, t);
    slot_give(r, &r->free_tomb, t);
    /* A tombstone slot is now free, so no tombstone is dropped and
     * make_room cannot fail. */
    (void)make_room(r, now_ms);
    s = sess_start(r, b, key_id, sid, seq);
    /* The fresh window must still refuse seqs up to the old highest. */
    lo = seq >= r->window ? seq - r->window + 1U : 0U;
    if (old >= lo) {
        ring_set_range(r, ring_of(r, s), lo, old);
    }
    return MQTTSEAL_OK;
}

static int accept(ms_replay *r, uint32_t key_id,
                  const unsigned char sid[MQTTSEAL_SESSIONIDBYTES],
                  uint64_t seq, int has_ts, uint64_t ts_ms, uint64_t now_ms)
{
    uint32_t b, i, s;
    const ms_mark *m;
    int rc;

    if (r == NULL || sid == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    /* Messages come in bursts from one sender: the session seen last
     * needs neither a hash nor a move in the LRU list. */
    i = r->sess.tail;
    if (i != MS_NONE && r->ent[i].key_id == key_id &&
        memcmp(r->ent[i].sid, sid, MQTTSEAL_SESSIONIDBYTES) == 0) {
        return window_update(r, i, seq);
    }
    b = bucket_of(r, key_id, sid);
    i = find(r, b, key_id, sid);
    if (i != MS_NONE && i < r->max_sess) {
        rc = window_update(r, i, seq);
        if (rc == MQTTSEAL_OK) {
            list_remove(r, &r->sess, i);
            list_push(r, &r->sess, i);
        }
        return rc;
    }
    if (i != MS_NONE) {
        return tomb_revive(r, i, seq, now_ms);
    }
    m = mark_find(r, key_id);
    if (m != NULL && !(has_ts && ts_ms > m->ms)) {
        return MQTTSEAL_E_SESSION_LOST;
    }
    if ((rc = make_room(r, now_ms)) != MQTTSEAL_OK) {
        return rc;
    }
    s = sess_start(r, b, key_id, sid, seq);
    if (m != NULL) {
        /* Admitted by its timestamp alone: this may be a session that was
         * dropped with everything it had accepted, whose older messages
         * carry older timestamps. As for a returning tombstone, nothing
         * below this first seq is accepted again. (make_room may have
         * moved the marks, so m is only tested, never read, here.) */
        uint64_t lo = seq >= r->window ? seq - r->window + 1U : 0U;
        if (seq > lo) {
            ring_set_range(r, ring_of(r, s), lo, seq - 1U);
        }
    }
    return MQTTSEAL_OK;
}

int ms_replay_accept(ms_replay *r, uint32_t key_id,
                     const unsigned char sid[MQTTSEAL_SESSIONIDBYTES],
                     uint64_t seq, int has_ts, uint64_t ts_ms, uint64_t now_ms)
{
    int rc = accept(r, key_id, sid, seq, has_ts, ts_ms, now_ms);

    if (rc == MQTTSEAL_OK && has_ts && ts_ms > r->ts_high) {
        r->ts_high = ts_ms;
    }
    return rc;
}

/* ---- builders for decode ------------------------------------------- */

int ms_replay_put_tomb(ms_replay *r, uint32_t key_id,
                       const unsigned char sid[MQTTSEAL_SESSIONIDBYTES],
                       uint64_t highest, uint64_t now_ms)
{
    uint32_t b = bucket_of(r, key_id, sid), t;

    if (find(r, b, key_id, sid) != MS_NONE) {
        return MQTTSEAL_E_STATE_CORRUPT;
    }
    if (r->free_tomb == MS_NONE) {
        int rc = tomb_drop(r, now_ms);
        if (rc != MQTTSEAL_OK) {
            return rc;
        }
    }
    t = slot_take(r, &r->free_tomb);
    r->ent[t].highest = highest;
    r->ent[t].key_id = key_id;
    memcpy(r->ent[t].sid, sid, MQTTSEAL_SESSIONIDBYTES);
    hash_link(r, t, b);
    list_push(r, &r->tomb, t);
    return MQTTSEAL_OK;
}

int ms_replay_put_sess(ms_replay *r, uint32_t key_id,
                       const unsigned char sid[MQTTSEAL_SESSIONIDBYTES],
                       uint64_t highest, const uint64_t *ring)
{
    uint32_t b = bucket_of(r, key_id, sid), s;

    if (find(r, b, key_id, sid) != MS_NONE) {
        return MQTTSEAL_E_STATE_CORRUPT;
    }
    if (r->free_sess == MS_NONE) {
        return MQTTSEAL_E_INVALID;
    }
    s = sess_start(r, b, key_id, sid, highest);
    memcpy(ring_of(r, s), ring, r->words * sizeof(uint64_t));
    /* highest was accepted by definition: a ring that lacks its bit
     * must not readmit it. */
    ring_set(r, ring_of(r, s), highest);
    return MQTTSEAL_OK;
}

/* ---- life cycle ---------------------------------------------------- */

/* Chain every slot of [first, first + n) into a free list. */
static uint32_t free_chain(ms_replay *r, uint32_t first, uint32_t n)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        r->ent[first + i].next = i + 1U < n ? first + i + 1U : MS_NONE;
    }
    return first;
}

static int tables_alloc(ms_replay *r)
{
    size_t n_ent = (size_t)r->max_sess + r->max_tomb;

    r->ent = calloc(n_ent, sizeof *r->ent);
    r->ring = calloc((size_t)r->max_sess, r->words * sizeof *r->ring);
    r->bucket = calloc(r->n_buckets, sizeof *r->bucket);
    if (r->ent == NULL || r->ring == NULL || r->bucket == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    /* MS_NONE is all ones in every byte. */
    memset(r->bucket, 0xff, r->n_buckets * sizeof *r->bucket);
    r->free_sess = free_chain(r, 0, r->max_sess);
    r->free_tomb = free_chain(r, r->max_sess, r->max_tomb);
    return MQTTSEAL_OK;
}

int ms_replay_new(ms_replay **out, unsigned window, size_t max_sessions)
{
    ms_replay *r;

    if (out == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    *out = NULL;
    if (!window_ok(window) || max_sessions == 0 ||
        max_sessions > MS_SESSIONS_MAX) {
        return MQTTSEAL_E_INVALID;
    }
    /* The hash key below must come from an initialised generator. */
    if (sodium_init() < 0) {
        return MQTTSEAL_E_CRYPTO;
    }
    if ((r = calloc(1, sizeof *r)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    r->window = window;
    r->words = window / 64U + 1U;
    r->max_sess = (uint32_t)max_sessions;
    r->max_tomb = 4U * r->max_sess;
    r->n_buckets = 5U * r->max_sess;
    r->sess.head = r->sess.tail = MS_NONE;
    r->tomb.head = r->tomb.tail = MS_NONE;
    if (tables_alloc(r) != MQTTSEAL_OK) {
        ms_replay_free(r);
        return MQTTSEAL_E_NOMEM;
    }
    randombytes_buf(r->hkey, sizeof r->hkey);
    *out = r;
    return MQTTSEAL_OK;
}

void ms_replay_free(ms_replay *r)
{
    if (r == NULL) {
        return;
    }
    free(r->ent);
    free(r->ring);
    free(r->bucket);
    free(r->marks);
    sodium_memzero(r, sizeof *r);
    free(r);
}
