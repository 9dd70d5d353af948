/*
 * Replay state (docs/FORMAT.md section 11): encoding and strict decoding
 * of the state body. Authentication and files are state_file.c.
 *
 * Decoding trusts nothing before the checksum and the exact length have
 * been checked, and never yields a state more permissive than the saved
 * one: sessions that do not fit the target geometry become tombstones.
 */
#include "replay_impl.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"

#define MAGIC "MQSRPL04"
/* Version 3 kept sessions under their bare session id, which version 4's
 * replay ids (docs/FORMAT.md section 9) never match: its sessions load as
 * dropped, each raising its key id's mark to its newest timestamp. */
#define MAGIC_V3 "MQSRPL03"
#define MAGIC_BYTES 8U
#define HDR_BYTES 32U /* magic, window, three counts, ts_high */
#define ID_BYTES (4U + MQTTSEAL_SESSIONIDBYTES) /* key_id || sid */
#define TOMB_BYTES (ID_BYTES + 16U)             /* || highest || ts_max */
#define MARK_BYTES 12U
#define CHECK_BYTES crypto_generichash_BYTES /* BLAKE2b-256 */

/* Where each section of a checked file starts. */
typedef struct layout {
    int v3; /* sessions under bare session ids */
    unsigned window;
    uint32_t n_sess, n_tomb, n_marks;
    uint64_t ts_high;
    size_t sess_bytes; /* one session record at the saved window */
    const unsigned char *sess, *tomb, *marks;
} layout;

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* ---- encode -------------------------------------------------------- */

static unsigned char *put_entry(unsigned char *p, const ms_slot *e)
{
    put32(p, e->key_id);
    memcpy(p + 4, e->sid, MQTTSEAL_SESSIONIDBYTES);
    put64(p + ID_BYTES, e->highest);
    put64(p + ID_BYTES + 8U, e->ts_max);
    return p + TOMB_BYTES;
}

/* Bytes of the encoding, or 0 if it cannot be represented in size_t. */
static size_t encoded_len(const ms_replay *r, uint32_t n_sess, uint32_t n_tomb)
{
    uint64_t n = HDR_BYTES + CHECK_BYTES;

    n += (uint64_t)n_sess * (TOMB_BYTES + 8U * (uint64_t)r->words);
    n += (uint64_t)n_tomb * TOMB_BYTES;
    n += (uint64_t)r->n_marks * MARK_BYTES;
    return n <= SIZE_MAX && r->n_marks <= UINT32_MAX ? (size_t)n : 0U;
}

static uint32_t list_len(const ms_replay *r, const ms_list *l)
{
    uint32_t n = 0, i;

    for (i = l->head; i != MS_NONE; i = r->ent[i].next) {
        n++;
    }
    return n;
}

static unsigned char *put_body(const ms_replay *r, unsigned char *p)
{
    uint32_t i, w;
    size_t m;

    for (i = r->sess.head; i != MS_NONE; i = r->ent[i].next) {
        const uint64_t *ring = r->ring + (size_t)i * r->words;
        p = put_entry(p, &r->ent[i]);
        for (w = 0; w < r->words; w++, p += 8) {
            put64(p, ring[w]);
        }
    }
    for (i = r->tomb.head; i != MS_NONE; i = r->ent[i].next) {
        p = put_entry(p, &r->ent[i]);
    }
    for (m = 0; m < r->n_marks; m++, p += MARK_BYTES) {
        put32(p, r->marks[m].key_id);
        put64(p + 4, r->marks[m].ms);
    }
    return p;
}

int ms_replay_encode(const ms_replay *r, unsigned char **out, size_t *len)
{
    uint32_t n_sess, n_tomb;
    unsigned char *buf, *p;
    size_t n;

    if (r == NULL || out == NULL || len == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    *out = NULL;
    *len = 0;
    n_sess = list_len(r, &r->sess);
    n_tomb = list_len(r, &r->tomb);
    if ((n = encoded_len(r, n_sess, n_tomb)) == 0 ||
        (buf = malloc(n)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    memcpy(buf, MAGIC, MAGIC_BYTES);
    put32(buf + 8, r->window);
    put32(buf + 12, n_sess);
    put32(buf + 16, n_tomb);
    put32(buf + 20, (uint32_t)r->n_marks);
    put64(buf + 24, r->ts_high);
    p = put_body(r, buf + HDR_BYTES);
    crypto_generichash(p, CHECK_BYTES, buf, (size_t)(p - buf), NULL, 0);
    *out = buf;
    *len = n;
    return MQTTSEAL_OK;
}

/* ---- decode -------------------------------------------------------- */

static int known_magic(const unsigned char *buf)
{
    return memcmp(buf, MAGIC, MAGIC_BYTES) == 0 ||
           memcmp(buf, MAGIC_V3, MAGIC_BYTES) == 0;
}

/* Check magic, checksum, window and exact length; fill in *lay. */
static int parse_layout(layout *lay, const unsigned char *buf, size_t len)
{
    unsigned char check[CHECK_BYTES];
    uint64_t need;

    if (len < HDR_BYTES + CHECK_BYTES || !known_magic(buf)) {
        return MQTTSEAL_E_STATE_CORRUPT;
    }
    lay->v3 = memcmp(buf, MAGIC_V3, MAGIC_BYTES) == 0;
    crypto_generichash(check, sizeof check, buf, len - CHECK_BYTES, NULL, 0);
    if (sodium_memcmp(check, buf + len - CHECK_BYTES, CHECK_BYTES) != 0) {
        return MQTTSEAL_E_STATE_CORRUPT;
    }
    lay->window = get32(buf + 8);
    if (ms_replay_session_bytes(lay->window) == 0) {
        return MQTTSEAL_E_STATE_CORRUPT;
    }
    lay->n_sess = get32(buf + 12);
    lay->n_tomb = get32(buf + 16);
    lay->n_marks = get32(buf + 20);
    lay->ts_high = get64(buf + 24);
    lay->sess_bytes = TOMB_BYTES + 8U * (lay->window / 64U + 1U);
    /* Counts are u32 and records at most 552 bytes: no overflow. */
    need = HDR_BYTES + CHECK_BYTES + (uint64_t)lay->n_sess * lay->sess_bytes +
           (uint64_t)lay->n_tomb * TOMB_BYTES +
           (uint64_t)lay->n_marks * MARK_BYTES;
    if (need != len) {
        return MQTTSEAL_E_STATE_CORRUPT;
    }
    lay->sess = buf + HDR_BYTES;
    lay->tomb = lay->sess + (size_t)lay->n_sess * lay->sess_bytes;
    lay->marks = lay->tomb + (size_t)lay->n_tomb * TOMB_BYTES;
    return MQTTSEAL_OK;
}

int ms_replay_body_len(const unsigned char *buf, size_t len, size_t *body_len)
{
    uint64_t words, need;

    if (buf == NULL || len < HDR_BYTES + CHECK_BYTES || !known_magic(buf) ||
        ms_replay_session_bytes(get32(buf + 8)) == 0) {
        return MQTTSEAL_E_STATE_CORRUPT;
    }
    words = get32(buf + 8) / 64U + 1U;
    need = HDR_BYTES + CHECK_BYTES +
           (uint64_t)get32(buf + 12) * (TOMB_BYTES + 8U * words) +
           (uint64_t)get32(buf + 16) * TOMB_BYTES +
           (uint64_t)get32(buf + 20) * MARK_BYTES;
    if (need > len) {
        return MQTTSEAL_E_STATE_CORRUPT;
    }
    *body_len = (size_t)need;
    return MQTTSEAL_OK;
}

static int cmp_id(const void *a, const void *b)
{
    return memcmp(*(const unsigned char *const *)a,
                  *(const unsigned char *const *)b, ID_BYTES);
}

static int cmp_mark(const void *a, const void *b)
{
    uint32_t x = get32(*(const unsigned char *const *)a);
    uint32_t y = get32(*(const unsigned char *const *)b);

    return (x > y) - (x < y);
}

/* Sort pointers to n records and look for two equal neighbours. */
static int has_dups(const unsigned char **v, size_t n,
                    int (*cmp)(const void *, const void *))
{
    size_t i;

    qsort(v, n, sizeof *v, cmp);
    for (i = 1; i < n; i++) {
        if (cmp(&v[i - 1], &v[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Duplicates are checked up front, because decoding into fewer slots
 * drops records and could otherwise hide them. */
static int check_dups(const layout *lay)
{
    size_t n_id = (size_t)lay->n_sess + lay->n_tomb, i, k = 0;
    size_t n = n_id > lay->n_marks ? n_id : lay->n_marks;
    const unsigned char **v;
    int dup;

    if (n < 2) {
        return MQTTSEAL_OK;
    }
    if ((v = malloc(n * sizeof *v)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    for (i = 0; i < lay->n_sess; i++) {
        v[k++] = lay->sess + i * lay->sess_bytes;
    }
    for (i = 0; i < lay->n_tomb; i++) {
        v[k++] = lay->tomb + i * TOMB_BYTES;
    }
    dup = has_dups(v, n_id, cmp_id);
    for (i = 0; i < lay->n_marks; i++) {
        v[i] = lay->marks + i * MARK_BYTES;
    }
    dup = dup || has_dups(v, lay->n_marks, cmp_mark);
    free(v);
    return dup ? MQTTSEAL_E_STATE_CORRUPT : MQTTSEAL_OK;
}

static void saved_of(ms_saved *s, const unsigned char *p)
{
    s->key_id = get32(p);
    s->sid = p + 4;
    s->highest = get64(p + ID_BYTES);
    s->ts_max = get64(p + ID_BYTES + 8U);
}

/* as_tomb: 0 a session, 1 a tombstone, 2 dropped (only its mark). */
static int load_sess(ms_replay *r, const unsigned char *p, int as_tomb,
                     uint64_t now_ms)
{
    uint64_t ring[MS_RING_WORDS_MAX];
    ms_saved s;
    uint32_t w;

    saved_of(&s, p);
    if (as_tomb == 2) { /* a version 3 session: dropped */
        return ms_replay_put_mark(r, s.key_id, s.ts_max);
    }
    if (as_tomb) {
        return ms_replay_put_tomb(r, &s, now_ms);
    }
    for (w = 0; w < r->words; w++) {
        ring[w] = get64(p + TOMB_BYTES + 8U * w);
    }
    return ms_replay_put_sess(r, &s, ring);
}

/*
 * Marks first, then tombstones, then sessions: every tombstone was seen
 * before every session, so this keeps least-recently-seen order when
 * sessions spill into tombstones and tombstones are dropped. A drop
 * marks its key id with the dropped session's newest timestamp.
 */
static int load_all(ms_replay *r, const layout *lay, size_t max_sessions)
{
    uint64_t now_ms = ms_clock_now_ms();
    size_t keep = 0, i;
    int rc = MQTTSEAL_OK;

    r->ts_high = lay->ts_high;
    if (lay->window == r->window) {
        keep = lay->n_sess < max_sessions ? lay->n_sess : max_sessions;
    }
    for (i = 0; i < lay->n_marks && rc == MQTTSEAL_OK; i++) {
        const unsigned char *p = lay->marks + i * MARK_BYTES;
        rc = ms_replay_put_mark(r, get32(p), get64(p + 4));
    }
    for (i = 0; i < lay->n_tomb && rc == MQTTSEAL_OK; i++) {
        rc = load_sess(r, lay->tomb + i * TOMB_BYTES, lay->v3 ? 2 : 1, now_ms);
    }
    for (i = 0; i < lay->n_sess && rc == MQTTSEAL_OK; i++) {
        rc = load_sess(r, lay->sess + i * lay->sess_bytes,
                       lay->v3 ? 2 : i < lay->n_sess - keep, now_ms);
    }
    return rc;
}

int ms_replay_decode(ms_replay **out, const unsigned char *buf, size_t len,
                     unsigned window, size_t max_sessions, size_t capacity)
{
    ms_replay *r;
    layout lay;
    int rc;

    if (out == NULL || (buf == NULL && len != 0)) {
        return MQTTSEAL_E_INVALID;
    }
    *out = NULL;
    if (ms_replay_session_bytes(window) == 0 || max_sessions == 0) {
        return MQTTSEAL_E_INVALID;
    }
    if ((rc = parse_layout(&lay, buf, len)) != MQTTSEAL_OK ||
        (rc = check_dups(&lay)) != MQTTSEAL_OK ||
        (rc = ms_replay_new(&r, window, max_sessions)) != MQTTSEAL_OK) {
        return rc;
    }
    if (capacity != 0 && (rc = ms_replay_set_capacity(r, capacity)) != 0) {
        ms_replay_free(r);
        return rc;
    }
    if ((rc = load_all(r, &lay, max_sessions)) != MQTTSEAL_OK) {
        ms_replay_free(r);
        return rc;
    }
    *out = r;
    return MQTTSEAL_OK;
}
