/*
 * Replay protection (docs/FORMAT.md section 9) and the replay-state file
 * (section 11). Streams are generated from a fixed-seed PRNG so that a
 * failure reproduces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "replay.h"

#define OK MQTTSEAL_OK
#define SIDB MQTTSEAL_SESSIONIDBYTES

static const unsigned windows[] = {64, 128, 1024, 4096};
#define N_WINDOWS (sizeof windows / sizeof windows[0])

/* ---- helpers -------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15U);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9U;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebU;
    return z ^ (z >> 31);
}

static void shuffle(uint64_t *v, size_t n)
{
    size_t i, j;
    uint64_t t;

    for (i = n; i > 1; i--) {
        j = (size_t)(rng() % i);
        t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static void sid_of(unsigned char sid[SIDB], uint32_t n)
{
    memset(sid, 0xa5, SIDB);
    sid[0] = (unsigned char)n;
    sid[1] = (unsigned char)(n >> 8);
    sid[2] = (unsigned char)(n >> 16);
    sid[3] = (unsigned char)(n >> 24);
}

/* Accept without a timestamp at a fixed clock. */
static int acc(ms_replay *r, uint32_t key, uint32_t sidn, uint64_t seq)
{
    unsigned char sid[SIDB];

    sid_of(sid, sidn);
    return ms_replay_accept(r, key, sid, seq, 0, 0, 1000);
}

static int acc_ts(ms_replay *r, uint32_t key, uint32_t sidn, uint64_t seq,
                  uint64_t ts, uint64_t now)
{
    unsigned char sid[SIDB];

    sid_of(sid, sidn);
    return ms_replay_accept(r, key, sid, seq, 1, ts, now);
}

static ms_replay *mk(unsigned window, size_t sessions)
{
    ms_replay *r = NULL;

    assert_int_equal(ms_replay_new(&r, window, sessions), OK);
    assert_non_null(r);
    /* Four remembered sessions per tracked one and no more, so that the
     * tests below reach the drops and marks with a few sessions. */
    assert_int_equal(ms_replay_set_capacity(r, 4 * sessions), OK);
    return r;
}

/* ---- geometry ------------------------------------------------------- */

static void test_new_invalid(void **state)
{
    ms_replay *r = (ms_replay *)1;

    (void)state;
    assert_int_equal(ms_replay_new(&r, 0, 4), MQTTSEAL_E_INVALID);
    assert_null(r);
    assert_int_equal(ms_replay_new(&r, 100, 4), MQTTSEAL_E_INVALID);
    assert_int_equal(ms_replay_new(&r, 32, 4), MQTTSEAL_E_INVALID);
    assert_int_equal(ms_replay_new(&r, 4096 + 64, 4), MQTTSEAL_E_INVALID);
    assert_int_equal(ms_replay_new(&r, 64, 0), MQTTSEAL_E_INVALID);
    assert_int_equal(ms_replay_new(NULL, 64, 4), MQTTSEAL_E_INVALID);
    ms_replay_free(NULL);
}

static void test_session_bytes(void **state)
{
    unsigned w;

    (void)state;
    /* The figures documented at the top of src/replay.c. */
    assert_int_equal(ms_replay_session_bytes(64), 68);
    assert_int_equal(ms_replay_session_bytes(1024), 188);
    assert_int_equal(ms_replay_remembered_bytes(), 52);
    assert_int_equal(50000 * ms_replay_remembered_bytes(), 2600000);
    for (w = 128; w <= 4096; w += 64) {
        assert_int_equal(
            ms_replay_session_bytes(w) - ms_replay_session_bytes(w - 64), 8);
    }
    assert_int_equal(ms_replay_session_bytes(0), 0);
    assert_int_equal(ms_replay_session_bytes(96), 0);
    assert_int_equal(ms_replay_session_bytes(4160), 0);
}

/* ---- the window ----------------------------------------------------- */

static void test_in_order_stream(void **state)
{
    ms_replay *r = mk(64, 16);
    uint64_t s;

    (void)state;
    for (s = 0; s < 10000; s++) {
        assert_int_equal(acc(r, 1, 1, s), OK);
        assert_int_equal(acc(r, 1, 1, s), MQTTSEAL_E_REPLAY);
    }
    for (s = 0; s < 10000; s++) {
        assert_int_equal(acc(r, 1, 1, s), s > 9999 - 64 ? MQTTSEAL_E_REPLAY
                                                        : MQTTSEAL_E_TOO_OLD);
    }
    ms_replay_free(r);
}

static void out_of_order(unsigned w)
{
    ms_replay *r = mk(w, 4);
    size_t block = w / 2 + 7, n = 20 * (size_t)w, i, k;
    uint64_t *v = malloc(n * sizeof *v);

    assert_non_null(v);
    for (i = 0; i < n; i++) {
        v[i] = i;
    }
    for (i = 0; i < n; i += block) {
        k = n - i < block ? n - i : block;
        shuffle(v + i, k);
    }
    for (i = 0; i < n; i++) {
        assert_int_equal(acc(r, 1, 1, v[i]), OK);
        assert_int_equal(acc(r, 1, 1, v[i]), MQTTSEAL_E_REPLAY);
    }
    /* Everything in the window is seen, everything below it too old. */
    for (i = 0; i < n; i++) {
        assert_int_equal(acc(r, 1, 1, i), n - 1 - i < w ? MQTTSEAL_E_REPLAY
                                                        : MQTTSEAL_E_TOO_OLD);
    }
    free(v);
    ms_replay_free(r);
}

static void test_out_of_order(void **state)
{
    size_t i;

    (void)state;
    rng_state = 1;
    for (i = 0; i < N_WINDOWS; i++) {
        out_of_order(windows[i]);
    }
}

static void test_window_edge(void **state)
{
    ms_replay *r;
    uint64_t h;
    size_t i;

    (void)state;
    for (i = 0; i < N_WINDOWS; i++) {
        r = mk(windows[i], 4);
        h = 10 * (uint64_t)windows[i] + 5;
        assert_int_equal(acc(r, 1, 1, h), OK);
        assert_int_equal(acc(r, 1, 1, h - windows[i]), MQTTSEAL_E_TOO_OLD);
        assert_int_equal(acc(r, 1, 1, h - windows[i] + 1), OK);
        assert_int_equal(acc(r, 1, 1, h - windows[i] + 1), MQTTSEAL_E_REPLAY);
        assert_int_equal(acc(r, 1, 1, h - windows[i]), MQTTSEAL_E_TOO_OLD);
        /* Below W nothing is too old: highest - W must not wrap. */
        assert_int_equal(acc(r, 1, 2, windows[i] - 1), OK);
        assert_int_equal(acc(r, 1, 2, 0), OK);
        assert_int_equal(acc(r, 1, 2, 0), MQTTSEAL_E_REPLAY);
        assert_int_equal(acc(r, 1, 2, windows[i]), OK);
        assert_int_equal(acc(r, 1, 2, 0), MQTTSEAL_E_TOO_OLD);
        ms_replay_free(r);
    }
}

/* Fill the whole window below hi, then jump by `by`: nothing of the old
 * pattern may show through at the new positions. */
static void jump(unsigned w, uint64_t by)
{
    ms_replay *r = mk(w, 4);
    uint64_t hi = 3 * (uint64_t)w + 17, s;

    for (s = hi - w + 1; s <= hi; s++) {
        assert_int_equal(acc(r, 1, 1, s), OK);
    }
    assert_int_equal(acc(r, 1, 1, hi + by), OK);
    for (s = hi + by - w + 1; s < hi + by; s++) {
        if (s <= hi) {
            assert_int_equal(acc(r, 1, 1, s), MQTTSEAL_E_REPLAY);
        } else {
            assert_int_equal(acc(r, 1, 1, s), OK);
        }
    }
    assert_int_equal(acc(r, 1, 1, hi + by - w), MQTTSEAL_E_TOO_OLD);
    ms_replay_free(r);
}

static void test_huge_jump(void **state)
{
    uint64_t ring_bits;
    size_t i;

    (void)state;
    for (i = 0; i < N_WINDOWS; i++) {
        ring_bits = windows[i] + 64U; /* W/64 + 1 words */
        jump(windows[i], ring_bits);
        jump(windows[i], 2 * ring_bits);
        jump(windows[i], 1000000);
        jump(windows[i], 64); /* one word slides in, the rest stays */
        jump(windows[i], windows[i] - 1);
        jump(windows[i], 1);
    }
}

static void test_extreme_seqs(void **state)
{
    ms_replay *r = mk(64, 4);
    uint64_t s;

    (void)state;
    assert_int_equal(acc(r, 1, 1, 0), OK);
    assert_int_equal(acc(r, 1, 1, 0), MQTTSEAL_E_REPLAY);
    assert_int_equal(acc(r, 1, 1, 1), OK);

    assert_int_equal(acc(r, 1, 2, UINT64_MAX - 3), OK);
    assert_int_equal(acc(r, 1, 2, UINT64_MAX), OK);
    assert_int_equal(acc(r, 1, 2, UINT64_MAX), MQTTSEAL_E_REPLAY);
    for (s = UINT64_MAX - 63; s < UINT64_MAX; s++) {
        assert_int_equal(acc(r, 1, 2, s),
                         s == UINT64_MAX - 3 ? MQTTSEAL_E_REPLAY : OK);
    }
    assert_int_equal(acc(r, 1, 2, UINT64_MAX - 64), MQTTSEAL_E_TOO_OLD);
    assert_int_equal(acc(r, 1, 2, 0), MQTTSEAL_E_TOO_OLD);

    /* A session may start anywhere; below its start is a normal window. */
    assert_int_equal(acc(r, 1, 3, 5000), OK);
    assert_int_equal(acc(r, 1, 3, 4990), OK);
    assert_int_equal(acc(r, 1, 3, 4990), MQTTSEAL_E_REPLAY);
    assert_int_equal(acc(r, 1, 3, 5000 - 64), MQTTSEAL_E_TOO_OLD);
    assert_int_equal(acc(r, 1, 3, 5000 - 63), OK);
    assert_int_equal(acc(r, 1, 3, 5001), OK);
    ms_replay_free(r);
}

static void test_sessions_independent(void **state)
{
    ms_replay *r = mk(64, 8);
    uint64_t s;

    (void)state;
    for (s = 0; s < 100; s++) {
        assert_int_equal(acc(r, 1, 1, s), OK);
        assert_int_equal(acc(r, 1, 2, s), OK);
        assert_int_equal(acc(r, 2, 1, s), OK); /* same sid, other key */
    }
    for (s = 40; s < 100; s++) {
        assert_int_equal(acc(r, 1, 1, s), MQTTSEAL_E_REPLAY);
        assert_int_equal(acc(r, 1, 2, s), MQTTSEAL_E_REPLAY);
        assert_int_equal(acc(r, 2, 1, s), MQTTSEAL_E_REPLAY);
    }
    assert_int_equal(acc(r, 1, 1, 1000), OK);
    assert_int_equal(acc(r, 1, 2, 99), MQTTSEAL_E_REPLAY);
    assert_int_equal(acc(r, 2, 1, 99), MQTTSEAL_E_REPLAY);
    assert_int_equal(acc(r, 2, 1, 100), OK);
    ms_replay_free(r);
}

/* ---- bounded state -------------------------------------------------- */

static void test_lru_many(void **state)
{
    ms_replay *r = mk(64, 1000);
    uint32_t i;

    (void)state;
    for (i = 0; i < 1000; i++) {
        assert_int_equal(acc(r, 1, i, 10), OK);
    }
    /* All tracked with full windows: a replay is a replay. */
    for (i = 0; i < 1000; i++) {
        assert_int_equal(acc(r, 1, i, 10), MQTTSEAL_E_REPLAY);
    }
    assert_int_equal(acc(r, 1, 0, 11), OK);   /* 0 is now most recent */
    assert_int_equal(acc(r, 1, 5000, 0), OK); /* evicts 1 */
    assert_int_equal(acc(r, 1, 1, 9), MQTTSEAL_E_TOO_OLD);
    assert_int_equal(acc(r, 1, 0, 9), OK); /* still a full window */
    assert_int_equal(acc(r, 1, 2, 10), MQTTSEAL_E_REPLAY);
    ms_replay_free(r);
}

static void test_eviction_and_marks(void **state)
{
    ms_replay *r = mk(64, 4);
    uint32_t i;
    uint64_t s, mark = 0;

    (void)state;
    for (i = 0; i < 5; i++) {
        for (s = 0; s < 10; s++) {
            assert_int_equal(acc(r, 1, i, s), OK);
        }
    }
    /* Session 0 was least recently seen: now a tombstone at 9. */
    assert_int_equal(acc(r, 1, 0, 5), MQTTSEAL_E_TOO_OLD);
    assert_int_equal(acc(r, 1, 0, 9), MQTTSEAL_E_TOO_OLD);
    assert_int_equal(acc(r, 1, 0, 10), OK); /* back, evicting 1 */
    assert_int_equal(acc(r, 1, 1, 9), MQTTSEAL_E_TOO_OLD);
    assert_int_equal(acc(r, 1, 2, 9), MQTTSEAL_E_REPLAY);

    /* 4 tracked + 16 tombstones; from session 115 on each new session
     * drops one: 1, 2, 3, 4, 0 (no timestamps), then 100 to 109. */
    for (i = 100; i < 130; i++) {
        assert_int_equal(acc_ts(r, 1, i, 0, 5000 + i, 5000 + i), OK);
    }
    mark = 5109; /* the newest timestamp a dropped session accepted */
    assert_int_equal(acc(r, 1, 0, 1000), MQTTSEAL_E_SESSION_LOST);
    assert_int_equal(acc(r, 1, 999, 0), MQTTSEAL_E_SESSION_LOST);
    assert_int_equal(acc_ts(r, 1, 999, 0, mark - 1, 9000),
                     MQTTSEAL_E_SESSION_LOST);
    assert_int_equal(acc_ts(r, 1, 999, 0, mark, 9000), MQTTSEAL_E_SESSION_LOST);
    assert_int_equal(acc_ts(r, 1, 109, 0, mark, 9000), MQTTSEAL_E_SESSION_LOST);
    assert_int_equal(acc_ts(r, 1, 110, 0, mark, 9000), MQTTSEAL_E_TOO_OLD);
    assert_int_equal(acc_ts(r, 1, 999, 0, mark + 1, 9000), OK);
    assert_int_equal(acc(r, 1, 999, 0), MQTTSEAL_E_REPLAY);
    /* Another key id never lost state. */
    assert_int_equal(acc(r, 2, 999, 0), OK);
    assert_int_equal(acc(r, 2, 998, 0), OK);
    ms_replay_free(r);
}

static void test_revive_keeps_old_refused(void **state)
{
    ms_replay *r = mk(64, 1);
    uint64_t s;

    (void)state;
    for (s = 5; s <= 10; s++) {
        assert_int_equal(acc(r, 1, 1, s), OK);
    }
    assert_int_equal(acc(r, 1, 2, 0), OK);  /* 1 becomes a tombstone */
    assert_int_equal(acc(r, 1, 1, 12), OK); /* 1 returns */
    for (s = 0; s <= 10; s++) {
        assert_int_not_equal(acc(r, 1, 1, s), OK);
    }
    assert_int_equal(acc(r, 1, 1, 11), OK);
    assert_int_equal(acc(r, 1, 1, 11), MQTTSEAL_E_REPLAY);
    ms_replay_free(r);
}

/* The mark is the newest timestamp of any dropped session, whatever the
 * order of the drops or the receiver's clock. */
static void test_mark_never_lowered(void **state)
{
    ms_replay *r = mk(64, 1);
    uint32_t i;

    (void)state;
    /* Session 0 stamped 9000, 1 to 4 stamped lower. */
    assert_int_equal(acc_ts(r, 1, 0, 0, 9000, 9000), OK);
    for (i = 1; i < 6; i++) { /* 1 tracked + 4 tombstones: 0 is dropped */
        assert_int_equal(acc_ts(r, 1, i, 0, 100 + i, 9000), OK);
    }
    assert_int_equal(acc_ts(r, 1, 50, 0, 8999, 9000), MQTTSEAL_E_SESSION_LOST);
    /* The clock steps back; dropping 1 (stamped 101) keeps the mark. */
    assert_int_equal(acc_ts(r, 1, 51, 0, 9001, 100), OK);
    assert_int_equal(acc_ts(r, 1, 52, 0, 9000, 100), MQTTSEAL_E_SESSION_LOST);
    assert_int_equal(acc_ts(r, 1, 52, 0, 9001, 100), OK);
    ms_replay_free(r);
}

/* ---- encode / decode ------------------------------------------------ */

typedef struct rec {
    uint32_t key, sid;
    uint64_t seq;
} rec;

#define MAX_RECS 20000
static rec recs[MAX_RECS];
static size_t n_recs;

/* Accept a shuffled run of seqs for one session, recording what passed. */
static void feed(ms_replay *r, uint32_t key, uint32_t sid, uint64_t base,
                 size_t n, uint64_t now)
{
    uint64_t v[200];
    size_t i;

    assert_true(n <= 200);
    for (i = 0; i < n; i++) {
        v[i] = base + i;
    }
    shuffle(v, n);
    for (i = 0; i < n; i++) {
        if (acc_ts(r, key, sid, v[i], now, now) == OK) {
            assert_true(n_recs < MAX_RECS);
            recs[n_recs++] = (rec){key, sid, v[i]};
        }
    }
}

/*
 * W = 128, 4 sessions: key 9's first sessions are evicted and dropped
 * first, then key 7's; the result has tracked sessions, a full
 * tombstone table and marks for both key ids.
 */
static ms_replay *build_state(void)
{
    ms_replay *r = mk(128, 4);
    uint32_t i;

    rng_state = 42;
    n_recs = 0;
    for (i = 100; i < 103; i++) {
        feed(r, 9, i, 1000 * (uint64_t)i, 150, 1000 + i);
    }
    for (i = 0; i < 30; i++) {
        feed(r, 7, i, 1000 * (uint64_t)i, 150, 2000 + i);
    }
    for (i = 103; i < 105; i++) {
        feed(r, 9, i, 1000 * (uint64_t)i, 150, 3000 + i);
    }
    return r;
}

/* Every accepted message is refused by r (state unchanged by that). */
static void all_refused(ms_replay *r)
{
    size_t i;

    for (i = 0; i < n_recs; i++) {
        assert_int_not_equal(acc(r, recs[i].key, recs[i].sid, recs[i].seq), OK);
    }
}

static void encode(const ms_replay *r, unsigned char **buf, size_t *len)
{
    assert_int_equal(ms_replay_encode(r, buf, len), OK);
    assert_non_null(*buf);
}

static int decode_rc(const unsigned char *buf, size_t len)
{
    ms_replay *d = NULL;
    int rc = ms_replay_decode(&d, buf, len, 128, 4, 16);

    ms_replay_free(d);
    return rc;
}

static void test_roundtrip(void **state)
{
    ms_replay *r = build_state(), *d = NULL;
    unsigned char *a, *b;
    size_t la, lb, i;
    uint64_t s;
    uint32_t key, sid;

    (void)state;
    encode(r, &a, &la);
    assert_int_equal(ms_replay_decode(&d, a, la, 128, 4, 16), OK);
    encode(d, &b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    all_refused(d);
    /* Identical probes give identical answers (and state changes). */
    for (i = 0; i < 2 * 35; i++) {
        key = i % 35 < 30 ? 7 : 9;
        sid = i % 35 < 30 ? (uint32_t)(i % 35) : (uint32_t)(i % 35) + 70;
        for (s = 0; s < 300; s += 7) {
            assert_int_equal(acc(d, key, sid, 1000 * (uint64_t)sid + s),
                             acc(r, key, sid, 1000 * (uint64_t)sid + s));
        }
        assert_int_equal(acc_ts(d, key, 500, 0, 2100 + i, 9000),
                         acc_ts(r, key, 500, 0, 2100 + i, 9000));
    }
    free(a);
    free(b);
    ms_replay_free(d);
    ms_replay_free(r);
}

static void test_corrupt_sweeps(void **state)
{
    ms_replay *r = build_state();
    unsigned char *a, *c;
    size_t la, i;

    (void)state;
    encode(r, &a, &la);
    assert_int_equal(decode_rc(a, la), OK);
    for (i = 0; i < la; i++) {
        assert_int_equal(decode_rc(a, i), MQTTSEAL_E_STATE_CORRUPT);
    }
    for (i = 0; i < la; i++) {
        a[i] ^= 0x01;
        assert_int_equal(decode_rc(a, la), MQTTSEAL_E_STATE_CORRUPT);
        a[i] ^= 0xff;
        assert_int_equal(decode_rc(a, la), MQTTSEAL_E_STATE_CORRUPT);
        a[i] ^= 0xfe;
    }
    c = malloc(la + 1);
    assert_non_null(c);
    memcpy(c, a, la);
    c[la] = 0;
    assert_int_equal(decode_rc(c, la + 1), MQTTSEAL_E_STATE_CORRUPT);
    free(c);
    free(a);
    ms_replay_free(r);
}

/* Rewrite the trailing checksum so only the structure is wrong. */
static void reseal(unsigned char *buf, size_t len)
{
    crypto_generichash(buf + len - 32, 32, buf, len - 32, NULL, 0);
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static int patched_rc(const unsigned char *a, size_t la, size_t at,
                      const unsigned char *with, size_t n)
{
    unsigned char *c = malloc(la);
    int rc;

    assert_non_null(c);
    memcpy(c, a, la);
    memcpy(c + at, with, n);
    reseal(c, la);
    rc = decode_rc(c, la);
    free(c);
    return rc;
}

/* A version 3 file kept sessions under bare session ids, which replay
 * ids never match: each of its sessions loads as dropped, raising its key
 * id's mark, so none of the messages it had seen can be replayed. */
static void test_v3_file_loads_as_marks(void **state)
{
    ms_replay *r = build_state(), *d = NULL;
    unsigned char *a;
    size_t la;

    (void)state;
    encode(r, &a, &la);
    memcpy(a, "MQSRPL03", 8);
    reseal(a, la);
    assert_int_equal(ms_replay_decode(&d, a, la, 128, 4, 16), OK);
    all_refused(d);
    /* Not even a newer message of a saved session: none was loaded. */
    assert_int_equal(
        acc(d, recs[n_recs - 1].key, recs[n_recs - 1].sid, 1000000),
        MQTTSEAL_E_SESSION_LOST);
    /* A session stamped after the marks starts as usual. */
    assert_int_equal(acc_ts(d, 7, 999, 1, 100000, 100000), OK);
    free(a);
    ms_replay_free(d);
    ms_replay_free(r);
}

/* The state file's header: magic, window, three counts, ts_high. */
#define HDR 32U

static void test_corrupt_structure(void **state)
{
    ms_replay *r = build_state();
    unsigned char *a, v[4];
    size_t la, sess = HDR, tomb = HDR + 4 * (32 + 8 * 3),
               marks = tomb + 16 * 32;

    (void)state;
    encode(r, &a, &la);
    /* The layout this test assumes: 4 sessions, 16 tombstones, 2 marks. */
    assert_int_equal(la, marks + 2 * 12 + 32);
    assert_int_equal(patched_rc(a, la, 0, a, 4), OK); /* reseal is right */
    assert_int_equal(patched_rc(a, la, 0, (const unsigned char *)"MQSRPL01", 8),
                     MQTTSEAL_E_STATE_CORRUPT);
    put32(v, 96);
    assert_int_equal(patched_rc(a, la, 8, v, 4), MQTTSEAL_E_STATE_CORRUPT);
    put32(v, 0);
    assert_int_equal(patched_rc(a, la, 8, v, 4), MQTTSEAL_E_STATE_CORRUPT);
    put32(v, 4096 + 64);
    assert_int_equal(patched_rc(a, la, 8, v, 4), MQTTSEAL_E_STATE_CORRUPT);
    put32(v, 64); /* valid, but the records no longer fit the length */
    assert_int_equal(patched_rc(a, la, 8, v, 4), MQTTSEAL_E_STATE_CORRUPT);
    put32(v, 5);
    assert_int_equal(patched_rc(a, la, 12, v, 4), MQTTSEAL_E_STATE_CORRUPT);
    put32(v, 0xffffffffU);
    assert_int_equal(patched_rc(a, la, 16, v, 4), MQTTSEAL_E_STATE_CORRUPT);
    put32(v, 3);
    assert_int_equal(patched_rc(a, la, 20, v, 4), MQTTSEAL_E_STATE_CORRUPT);
    /* Duplicates: session/session, session/tombstone, tombstone/tombstone,
     * mark/mark. */
    assert_int_equal(patched_rc(a, la, sess + 56, a + sess, 16),
                     MQTTSEAL_E_STATE_CORRUPT);
    assert_int_equal(patched_rc(a, la, tomb + 32 * 15, a + sess, 16),
                     MQTTSEAL_E_STATE_CORRUPT);
    assert_int_equal(patched_rc(a, la, tomb + 32, a + tomb, 16),
                     MQTTSEAL_E_STATE_CORRUPT);
    assert_int_equal(patched_rc(a, la, marks + 12, a + marks, 4),
                     MQTTSEAL_E_STATE_CORRUPT);
    free(a);
    ms_replay_free(r);
}

/* A ring that does not mark its own highest (a hand-made file) still
 * refuses that seq after loading. */
static void test_decode_ring_without_highest(void **state)
{
    ms_replay *r = mk(64, 4), *d = NULL;
    unsigned char *a, *c, zero[16] = {0};
    size_t la;

    (void)state;
    assert_int_equal(acc(r, 3, 1, 70), OK);
    encode(r, &a, &la);
    assert_int_equal(la, HDR + 48 + 32);
    c = malloc(la);
    assert_non_null(c);
    memcpy(c, a, la);
    memcpy(c + HDR + 32, zero, sizeof zero);
    reseal(c, la);
    assert_int_equal(ms_replay_decode(&d, c, la, 64, 4, 16), OK);
    assert_int_equal(acc(d, 3, 1, 70), MQTTSEAL_E_REPLAY);
    assert_int_equal(acc(d, 3, 1, 69), OK);
    free(c);
    free(a);
    ms_replay_free(d);
    ms_replay_free(r);
}

/* With no sessions the window does not change the length: a bad window
 * must be refused on its own. */
static void test_corrupt_window(void **state)
{
    static const uint32_t bad[] = {0, 32, 96, 4096 + 64, 8192, 0xffffffc0U};
    ms_replay *r = mk(128, 4);
    unsigned char *a, v[4];
    size_t la, i;

    (void)state;
    encode(r, &a, &la);
    assert_int_equal(la, HDR + 32);
    put32(v, 64);
    assert_int_equal(patched_rc(a, la, 8, v, 4), OK);
    put32(v, 4096);
    assert_int_equal(patched_rc(a, la, 8, v, 4), OK);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put32(v, bad[i]);
        assert_int_equal(patched_rc(a, la, 8, v, 4), MQTTSEAL_E_STATE_CORRUPT);
    }
    free(a);
    ms_replay_free(r);
}

static void test_decode_smaller(void **state)
{
    static const struct {
        unsigned w;
        size_t s;
    } geo[] = {{64, 4}, {128, 2}, {64, 1}, {128, 1}, {256, 4}, {4096, 8}};
    ms_replay *r = build_state(), *d;
    unsigned char *a;
    size_t la, i;

    (void)state;
    encode(r, &a, &la);
    for (i = 0; i < sizeof geo / sizeof geo[0]; i++) {
        d = NULL;
        assert_int_equal(
            ms_replay_decode(&d, a, la, geo[i].w, geo[i].s, 4 * geo[i].s), OK);
        all_refused(d);
        ms_replay_free(d);
    }
    free(a);
    ms_replay_free(r);
}

static void test_decode_drop_marks(void **state)
{
    ms_replay *r = build_state(), *d = NULL;
    unsigned char *a;
    size_t la;

    (void)state;
    encode(r, &a, &la);
    /* 16 tombstones (key 7, sessions 12 to 27, stamped 2012 to 2027) and
     * 3 spilled sessions into room for 4: 7/12 to 7/26 are dropped at
     * load, and key 7's mark rises from 2011 to 2026. */
    assert_int_equal(ms_replay_decode(&d, a, la, 128, 1, 4), OK);
    assert_int_equal(acc_ts(r, 7, 777, 0, 2011, 4000000),
                     MQTTSEAL_E_SESSION_LOST);
    assert_int_equal(acc_ts(r, 7, 778, 0, 2012, 4000000), OK);
    assert_int_equal(acc_ts(d, 7, 777, 0, 2026, 4000000),
                     MQTTSEAL_E_SESSION_LOST);
    assert_int_equal(acc_ts(d, 7, 27, 0, 2027, 4000000), MQTTSEAL_E_TOO_OLD);
    assert_int_equal(acc_ts(d, 7, 777, 0, 2027, 4000000), OK);
    free(a);
    ms_replay_free(d);
    ms_replay_free(r);
}

static void test_decode_args(void **state)
{
    ms_replay *r = build_state(), *d = (ms_replay *)1;
    unsigned char *a;
    size_t la;

    (void)state;
    encode(r, &a, &la);
    assert_int_equal(ms_replay_decode(&d, a, la, 100, 4, 16),
                     MQTTSEAL_E_INVALID);
    assert_null(d);
    assert_int_equal(ms_replay_decode(&d, a, la, 128, 0, 0),
                     MQTTSEAL_E_INVALID);
    assert_int_equal(ms_replay_decode(&d, NULL, 0, 128, 4, 16),
                     MQTTSEAL_E_STATE_CORRUPT);
    assert_int_equal(ms_replay_decode(NULL, a, la, 128, 4, 16),
                     MQTTSEAL_E_INVALID);
    free(a);
    ms_replay_free(r);
}

/* A message stamped an hour ahead of the receiver's clock, accepted, its
 * session then dropped: replaying it must not re-admit the session (the
 * key id's mark is at least the newest timestamp accepted). The same
 * holds after the state went through a file. */
static void future_stamp_cannot_readmit(ms_replay *r)
{
    const uint64_t now = 1000000, ahead = now + 3600000;

    assert_int_equal(acc_ts(r, 1, 77, 5, ahead, now), OK);
    /* Six senders under key id 2 push sid 77 out: session, then a
     * tombstone, then dropped (one session, four tombstones). */
    for (uint32_t n = 1; n <= 6; n++) {
        assert_int_equal(acc_ts(r, 2, n, 1, now + n, now + n), OK);
    }
    assert_int_equal(acc_ts(r, 1, 77, 5, ahead, now + 10),
                     MQTTSEAL_E_SESSION_LOST);
    assert_int_equal(acc_ts(r, 1, 78, 0, ahead, now + 10),
                     MQTTSEAL_E_SESSION_LOST);
    assert_int_equal(acc_ts(r, 1, 78, 0, ahead + 1, now + 10), OK);
}

static void test_future_stamp_mark(void **state)
{
    ms_replay *r = mk(64, 1), *copy = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;

    (void)state;
    future_stamp_cannot_readmit(r);
    ms_replay_free(r);
    /* Accept the stamped message, save, load, then drop it. */
    r = mk(64, 1);
    assert_int_equal(acc_ts(r, 1, 77, 5, 4600000, 1000000), OK);
    assert_int_equal(ms_replay_encode(r, &buf, &len), OK);
    assert_int_equal(ms_replay_decode(&copy, buf, len, 64, 1, 4), OK);
    for (uint32_t n = 1; n <= 6; n++) {
        assert_int_equal(acc_ts(copy, 2, n, 1, 1000000 + n, 1000000 + n), OK);
    }
    assert_int_equal(acc_ts(copy, 1, 77, 5, 4600000, 1000010),
                     MQTTSEAL_E_SESSION_LOST);
    free(buf);
    ms_replay_free(r);
    ms_replay_free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_invalid),
        cmocka_unit_test(test_session_bytes),
        cmocka_unit_test(test_in_order_stream),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_window_edge),
        cmocka_unit_test(test_huge_jump),
        cmocka_unit_test(test_extreme_seqs),
        cmocka_unit_test(test_sessions_independent),
        cmocka_unit_test(test_lru_many),
        cmocka_unit_test(test_eviction_and_marks),
        cmocka_unit_test(test_revive_keeps_old_refused),
        cmocka_unit_test(test_mark_never_lowered),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_corrupt_sweeps),
        cmocka_unit_test(test_corrupt_structure),
        cmocka_unit_test(test_v3_file_loads_as_marks),
        cmocka_unit_test(test_corrupt_window),
        cmocka_unit_test(test_decode_ring_without_highest),
        cmocka_unit_test(test_decode_smaller),
        cmocka_unit_test(test_decode_drop_marks),
        cmocka_unit_test(test_decode_args),
        cmocka_unit_test(test_future_stamp_mark),
    };

    if (sodium_init() < 0) {
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
