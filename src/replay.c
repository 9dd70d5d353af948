/*
 * Receive-side replay state (docs/FORMAT.md section 9).
 *
 * Per (key id, the session's replay id): the highest accepted seq and an
 * RFC 6479 ring of W/64 + 1 words, seq s being bit s % 64 of word (s / 64) %
 * words. The spare word lets the window slide by clearing whole words instead
 * of shifting bits, so an accept costs the same at any W. The max_sess most
 * recently seen sessions have a ring; older ones are remembered in a
 * compact slot ("tombstone") that keeps the highest seq and the newest
 * timestamp, so a returning session is accepted only above its highest.
 *
 * Memory is bounded by time where it can be: with a maximum age set,
 * a slot whose newest timestamp is older than that age is stale, since
 * every message it accepted would now be refused as E_STALE, and it is
 * forgotten before the tombstone table grows. The table doubles up to
 * its capacity; only a full table drops a slot that is not yet stale.
 * Every dropped or forgotten slot raises its key id's low-water mark to
 * the slot's newest timestamp, so no message it accepted can return as
 * an unknown session.
 *
 * An accept hashes once (SipHash-2-4 under a random key, so senders
 * cannot aim for collisions), walks a chain whose expected length is at
 * most one, and relinks a few indices: no allocation and no system call,
 * but when the table doubles, or a key id gets its first mark.
 *
 * Memory: a tracked session costs its slot (48 bytes), its ring
 * ((W/64 + 1) * 8 bytes) and a bucket head (4 bytes): 68 bytes at W = 64
 * (ms_replay_session_bytes); a remembered session costs 52 bytes
 * (ms_replay_remembered_bytes). The tombstone table starts at four slots
 * per tracked session (at most the capacity) and doubles as needed.
 */
#include "replay_impl.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"

/* Slot indices are uint32_t and MS_NONE is reserved. */
#define MS_SLOTS_MAX (UINT32_MAX - 1U)
#define MS_SESSIONS_MAX (MS_SLOTS_MAX / 5U)

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
    return sizeof(ms_slot) + (window / 64U + 1U) * sizeof(uint64_t) +
           sizeof(uint32_t);
}

size_t ms_replay_remembered_bytes(void)
{
    return sizeof(ms_slot) + sizeof(uint32_t);
}

/* ---- hash index ---------------------------------------------------- */

static uint32_t hash_of(const ms_replay *r, uint32_t key_id,
                        const unsigned char sid[MQTTSEAL_SESSIONIDBYTES])
{
    unsigned char in[4 + MQTTSEAL_SESSIONIDBYTES];
    unsigned char h[crypto_shorthash_BYTES];

    in[0] = (unsigned char)key_id;
    in[1] = (unsigned char)(key_id >> 8);
    in[2] = (unsigned char)(key_id >> 16);
    in[3] = (unsigned char)(key_id >> 24);
    memcpy(in + 4, sid, MQTTSEAL_SESSIONIDBYTES);
    crypto_shorthash(h, in, sizeof in, r->hkey);
    return (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 |
           (uint32_t)h[3] << 24;
}

/* Multiply-shift maps 32 hash bits onto [0, n) without a division, so
 * the bucket count need not be a power of two. */
static uint32_t bucket_of(const ms_replay *r, uint32_t h)
{
    return (uint32_t)(((uint64_t)h * r->n_buckets) >> 32);
}

static uint32_t find(const ms_replay *r, uint32_t h, uint32_t key_id,
                     const unsigned char sid[MQTTSEAL_SESSIONIDBYTES])
{
    uint32_t i;

    for (i = r->bucket[bucket_of(r, h)]; i != MS_NONE; i = r->ent[i].hnext) {
        if (r->ent[i].hash == h && r->ent[i].key_id == key_id &&
            memcmp(r->ent[i].sid, sid, MQTTSEAL_SESSIONIDBYTES) == 0) {
            return i;
        }
    }
    return MS_NONE;
}

static void hash_link(ms_replay *r, uint32_t i, uint32_t h)
{
    uint32_t b = bucket_of(r, h);

    r->ent[i].hash = h;
    r->ent[i].hnext = r->bucket[b];
    r->bucket[b] = i;
}

static void hash_unlink(ms_replay *r, uint32_t i)
{
    uint32_t *p = &r->bucket[bucket_of(r, r->ent[i].hash)];

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
    ms_slot *e = &r->ent[i];

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

/* Everything from W below seq up to below_or_at counts as seen. */
static void ring_block_below(const ms_replay *r, uint64_t *ring, uint64_t seq,
                             uint64_t below_or_at)
{
    uint64_t lo = seq >= r->window ? seq - r->window + 1U : 0U;

    if (below_or_at >= lo) {
        ring_set_range(r, ring, lo, below_or_at);
    }
}

static inline int window_update(ms_replay *r, uint32_t i, uint64_t seq)
{
    ms_slot *e = &r->ent[i];
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

/* ---- growth -------------------------------------------------------- */

/* Relink every slot in use after the bucket array changed size. */
static void rehash_all(ms_replay *r)
{
    const ms_list *lists[2] = {&r->sess, &r->tomb};
    uint32_t i;
    int k;

    memset(r->bucket, 0xff, r->n_buckets * sizeof *r->bucket);
    for (k = 0; k < 2; k++) {
        for (i = lists[k]->head; i != MS_NONE; i = r->ent[i].next) {
            hash_link(r, i, r->ent[i].hash);
        }
    }
}

/* Double the tombstone table, up to the capacity. All or nothing. */
static int tomb_grow(ms_replay *r)
{
    uint64_t want = (uint64_t)r->tomb_slots * 2U;
    uint32_t slots, nb, i;
    ms_slot *ent;
    uint32_t *bucket;

    if (want > r->capacity) {
        want = r->capacity;
    }
    if (want <= r->tomb_slots || want + r->max_sess > MS_SLOTS_MAX) {
        return MQTTSEAL_E_NOMEM;
    }
    slots = (uint32_t)want;
    nb = r->max_sess + slots;
    ent = realloc(r->ent, (size_t)nb * sizeof *ent);
    if (ent == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    r->ent = ent;
    if ((bucket = realloc(r->bucket, (size_t)nb * sizeof *bucket)) == NULL) {
        return MQTTSEAL_E_NOMEM; /* the larger ent array is harmless */
    }
    r->bucket = bucket;
    for (i = r->max_sess + r->tomb_slots; i < nb; i++) {
        memset(&r->ent[i], 0, sizeof r->ent[i]);
        slot_give(r, &r->free_tomb, i);
    }
    r->tomb_slots = slots;
    r->n_buckets = nb;
    rehash_all(r);
    return MQTTSEAL_OK;
}

/* ---- sessions and tombstones --------------------------------------- */

/* A lower bound of now: the cheap coarse clock less twice its margin
 * (an earlier time forgets less, so it can only be stricter). */
static uint64_t clock_lower(void)
{
    uint64_t t = ms_clock_upper_ms();

    return t > 2U * MS_CLOCK_COARSE_MARGIN_MS
               ? t - 2U * MS_CLOCK_COARSE_MARGIN_MS
               : 0U;
}

/* now_ms 0: read the clock only here, on the rare path that needs it. */
static int is_stale(const ms_replay *r, const ms_slot *e, uint64_t now_ms)
{
    if (r->max_age_ms == 0 || e->ts_max == 0) {
        return 0;
    }
    if (now_ms == 0) {
        now_ms = clock_lower();
    }
    return now_ms > e->ts_max && now_ms - e->ts_max > r->max_age_ms;
}

/* Forget slot i of list l: its key id's mark rises to its newest
 * timestamp first (all or nothing on E_NOMEM). */
static int slot_drop(ms_replay *r, ms_list *l, uint32_t *free_list, uint32_t i,
                     uint64_t now_ms)
{
    int rc = ms_replay_put_mark(r, r->ent[i].key_id, r->ent[i].ts_max);

    if (rc != MQTTSEAL_OK) {
        return rc;
    }
    if (is_stale(r, &r->ent[i], now_ms)) {
        r->forgotten++;
    } else {
        r->dropped++;
    }
    hash_unlink(r, i);
    list_remove(r, l, i);
    slot_give(r, free_list, i);
    return MQTTSEAL_OK;
}

/* A free tombstone slot: the least recently seen one if it is stale,
 * else a new one if the table may grow, else the least recently seen. */
static int tomb_room(ms_replay *r, uint64_t now_ms)
{
    uint32_t t = r->tomb.head;

    if (r->free_tomb != MS_NONE) {
        return MQTTSEAL_OK;
    }
    if (!is_stale(r, &r->ent[t], now_ms) && r->tomb_slots < r->capacity &&
        tomb_grow(r) == MQTTSEAL_OK) {
        return MQTTSEAL_OK;
    }
    return slot_drop(r, &r->tomb, &r->free_tomb, t, now_ms);
}

/* Move tracked session s to a free tombstone slot, keeping its highest
 * and newest timestamp. */
static void sess_demote(ms_replay *r, uint32_t s)
{
    uint32_t t = slot_take(r, &r->free_tomb);
    ms_slot *from = &r->ent[s], *to = &r->ent[t];

    to->highest = from->highest;
    to->ts_max = from->ts_max;
    to->key_id = from->key_id;
    memcpy(to->sid, from->sid, MQTTSEAL_SESSIONIDBYTES);
    hash_unlink(r, s);
    list_remove(r, &r->sess, s);
    slot_give(r, &r->free_sess, s);
    hash_link(r, t, from->hash);
    list_push(r, &r->tomb, t);
}

/* Ensure a free session slot. All or nothing: on E_NOMEM nothing has
 * changed. A stale session is forgotten rather than remembered. */
static int make_room(ms_replay *r, uint64_t now_ms)
{
    uint32_t s = r->sess.head;
    int rc;

    if (r->free_sess != MS_NONE) {
        return MQTTSEAL_OK;
    }
    if (is_stale(r, &r->ent[s], now_ms)) {
        return slot_drop(r, &r->sess, &r->free_sess, s, now_ms);
    }
    if ((rc = tomb_room(r, now_ms)) != MQTTSEAL_OK) {
        return rc;
    }
    sess_demote(r, r->sess.head);
    return MQTTSEAL_OK;
}

/* Fill a free session slot (make_room has run) with an empty ring. */
static uint32_t sess_start(ms_replay *r, uint32_t h, const ms_saved *m)
{
    uint32_t s = slot_take(r, &r->free_sess);
    ms_slot *e = &r->ent[s];

    e->highest = m->highest;
    e->ts_max = m->ts_max;
    e->key_id = m->key_id;
    memcpy(e->sid, m->sid, MQTTSEAL_SESSIONIDBYTES);
    memset(ring_of(r, s), 0, r->words * sizeof(uint64_t));
    ring_set(r, ring_of(r, s), m->highest);
    hash_link(r, s, h);
    list_push(r, &r->sess, s);
    return s;
}

static int tomb_revive(ms_replay *r, uint32_t t, uint64_t seq, uint64_t ts,
                       uint64_t now_ms)
{
    ms_slot *e = &r->ent[t];
    unsigned char sid[MQTTSEAL_SESSIONIDBYTES];
    ms_saved m = {e->key_id, sid, seq, e->ts_max > ts ? e->ts_max : ts};
    uint64_t old = e->highest;
    uint32_t h = e->hash, s;

    if (seq <= old) {
        return MQTTSEAL_E_TOO_OLD;
    }
    memcpy(sid, e->sid, MQTTSEAL_SESSIONIDBYTES);
    hash_unlink(r, t);
    list_remove(r, &r->tomb, t);
    slot_give(r, &r->free_tomb, t);
    /* A tombstone slot is now free, so no slot is dropped and make_room
     * cannot fail. */
    (void)make_room(r, now_ms);
    s = sess_start(r, h, &m);
    /* The fresh window must still refuse seqs up to the old highest. */
    ring_block_below(r, ring_of(r, s), seq, old);
    return MQTTSEAL_OK;
}

static inline int accept_tracked(ms_replay *r, uint32_t i, uint64_t seq,
                                 uint64_t ts)
{
    int rc = window_update(r, i, seq);

    if (rc == MQTTSEAL_OK && ts > r->ent[i].ts_max) {
        r->ent[i].ts_max = ts;
    }
    if (rc == MQTTSEAL_OK && r->sess.tail != i) {
        list_remove(r, &r->sess, i);
        list_push(r, &r->sess, i);
    }
    return rc;
}

static int accept_new(ms_replay *r, uint32_t h, const ms_saved *m, int has_ts,
                      uint64_t now_ms)
{
    const ms_mark *mk = mark_find(r, m->key_id);
    int marked = mk != NULL, rc;
    uint32_t s;

    if (marked && !(has_ts && m->ts_max > mk->ms)) {
        return MQTTSEAL_E_SESSION_LOST;
    }
    if ((rc = make_room(r, now_ms)) != MQTTSEAL_OK) {
        return rc;
    }
    s = sess_start(r, h, m);
    if (marked && m->highest > 0) {
        /* Admitted by its timestamp alone: this may be a session that was
         * dropped with everything it had accepted, whose older messages
         * carry older timestamps. As for a returning tombstone, nothing
         * below this first seq is accepted again. */
        ring_block_below(r, ring_of(r, s), m->highest, m->highest - 1U);
    }
    return MQTTSEAL_OK;
}

static int accept(ms_replay *r, uint32_t key_id,
                  const unsigned char sid[MQTTSEAL_SESSIONIDBYTES],
                  uint64_t seq, int has_ts, uint64_t ts_ms, uint64_t now_ms)
{
    uint64_t ts = has_ts ? ts_ms : 0;
    uint32_t h, i;

    /* Messages come in bursts from one sender: the session seen last
     * needs neither a hash nor a move in the LRU list. */
    i = r->sess.tail;
    if (i != MS_NONE && r->ent[i].key_id == key_id &&
        memcmp(r->ent[i].sid, sid, MQTTSEAL_SESSIONIDBYTES) == 0) {
        return accept_tracked(r, i, seq, ts);
    }
    h = hash_of(r, key_id, sid);
    i = find(r, h, key_id, sid);
    if (i != MS_NONE && i < r->max_sess) {
        return accept_tracked(r, i, seq, ts);
    }
    if (i != MS_NONE) {
        return tomb_revive(r, i, seq, ts, now_ms);
    }
    {
        ms_saved m = {key_id, sid, seq, ts};
        return accept_new(r, h, &m, has_ts, now_ms);
    }
}

int ms_replay_accept(ms_replay *r, uint32_t key_id,
                     const unsigned char sid[MQTTSEAL_SESSIONIDBYTES],
                     uint64_t seq, int has_ts, uint64_t ts_ms, uint64_t now_ms)
{
    int rc;

    if (r == NULL || sid == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    rc = accept(r, key_id, sid, seq, has_ts, ts_ms, now_ms);
    if (rc == MQTTSEAL_OK && has_ts && ts_ms > r->ts_high) {
        r->ts_high = ts_ms;
    }
    return rc;
}

void ms_replay_set_max_age(ms_replay *r, uint64_t max_age_ms)
{
    r->max_age_ms = max_age_ms;
}

int ms_replay_set_capacity(ms_replay *r, size_t remembered)
{
    if (remembered == 0 || remembered > MS_SLOTS_MAX - r->max_sess) {
        return MQTTSEAL_E_INVALID;
    }
    r->capacity = (uint32_t)remembered;
    return MQTTSEAL_OK;
}

static uint32_t list_count(const ms_replay *r, const ms_list *l)
{
    uint32_t n = 0, i;

    for (i = l->head; i != MS_NONE; i = r->ent[i].next) {
        n++;
    }
    return n;
}

void ms_replay_stats(const ms_replay *r, ms_replay_stat *st)
{
    st->tracked = list_count(r, &r->sess);
    st->remembered = list_count(r, &r->tomb);
    st->forgotten = r->forgotten;
    st->dropped = r->dropped;
    st->bytes = sizeof *r +
                (size_t)(r->max_sess + r->tomb_slots) *
                    (sizeof(ms_slot) + sizeof(uint32_t)) +
                (size_t)r->max_sess * r->words * sizeof(uint64_t) +
                r->cap_marks * sizeof(ms_mark);
}

/* ---- builders for decode ------------------------------------------- */

int ms_replay_put_tomb(ms_replay *r, const ms_saved *s, uint64_t now_ms)
{
    uint32_t h = hash_of(r, s->key_id, s->sid), t;
    int rc;

    if (find(r, h, s->key_id, s->sid) != MS_NONE) {
        return MQTTSEAL_E_STATE_CORRUPT;
    }
    if ((rc = tomb_room(r, now_ms)) != MQTTSEAL_OK) {
        return rc;
    }
    t = slot_take(r, &r->free_tomb);
    r->ent[t].highest = s->highest;
    r->ent[t].ts_max = s->ts_max;
    r->ent[t].key_id = s->key_id;
    memcpy(r->ent[t].sid, s->sid, MQTTSEAL_SESSIONIDBYTES);
    hash_link(r, t, h);
    list_push(r, &r->tomb, t);
    return MQTTSEAL_OK;
}

int ms_replay_put_sess(ms_replay *r, const ms_saved *s, const uint64_t *ring)
{
    uint32_t h = hash_of(r, s->key_id, s->sid), i;

    if (find(r, h, s->key_id, s->sid) != MS_NONE) {
        return MQTTSEAL_E_STATE_CORRUPT;
    }
    if (r->free_sess == MS_NONE) {
        return MQTTSEAL_E_INVALID;
    }
    i = sess_start(r, h, s);
    memcpy(ring_of(r, i), ring, r->words * sizeof(uint64_t));
    /* highest was accepted by definition: a ring that lacks its bit
     * must not readmit it. */
    ring_set(r, ring_of(r, i), s->highest);
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
    return n > 0 ? first : MS_NONE;
}

static int tables_alloc(ms_replay *r)
{
    size_t n_ent = (size_t)r->max_sess + r->tomb_slots;

    r->ent = calloc(n_ent, sizeof *r->ent);
    r->ring = calloc((size_t)r->max_sess, r->words * sizeof *r->ring);
    r->bucket = calloc(r->n_buckets, sizeof *r->bucket);
    if (r->ent == NULL || r->ring == NULL || r->bucket == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    /* MS_NONE is all ones in every byte. */
    memset(r->bucket, 0xff, r->n_buckets * sizeof *r->bucket);
    r->free_sess = free_chain(r, 0, r->max_sess);
    r->free_tomb = free_chain(r, r->max_sess, r->tomb_slots);
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
    r->capacity = MQTTSEAL_REPLAY_REMEMBER_DEFAULT > 4U * r->max_sess
                      ? MQTTSEAL_REPLAY_REMEMBER_DEFAULT
                      : 4U * r->max_sess;
    r->tomb_slots = 4U * r->max_sess;
    r->n_buckets = r->max_sess + r->tomb_slots;
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
