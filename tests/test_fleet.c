/*
 * Issue 11 regressions, each an attack or a fleet as the issue measured
 * it, on a virtual clock: fork safety, receivers with 100,000 senders or
 * constant restarts, a hostile grant holder's flood and future stamps,
 * bounded work before authentication, and a key cache that scales.
 * Every scenario failed on the code before the fix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "ctx.h"
#include "mqttseal/mqttseal.h"

#define T0 UINT64_C(1764000000000)
#define MINUTE UINT64_C(60000)
#define DAY (UINT64_C(86400000))

static const unsigned char root[32] = {
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a,
    0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55,
    0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f};

static mqttseal_keyring *root_ring(void)
{
    mqttseal_keyring *kr = NULL;

    assert_int_equal(mqttseal_keyring_new(&kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_add(kr, 1, "#", root, 0), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_set_primary(kr, 1), MQTTSEAL_OK);
    return kr;
}

/* A context holding the root key, or only the grant filter of it. */
static mqttseal_ctx *ctx_granted(const char *filter)
{
    mqttseal_keyring *kr = root_ring(), *dev = NULL;
    mqttseal_ctx *ctx = NULL;

    if (filter != NULL) {
        assert_int_equal(mqttseal_keyring_new(&dev), MQTTSEAL_OK);
        assert_int_equal(mqttseal_keyring_grant(dev, kr, 1, filter),
                         MQTTSEAL_OK);
        assert_int_equal(mqttseal_keyring_set_primary(dev, 1), MQTTSEAL_OK);
        mqttseal_keyring_free(kr);
        kr = dev;
    }
    assert_int_equal(mqttseal_ctx_new(&ctx, kr), MQTTSEAL_OK);
    mqttseal_keyring_free(kr);
    return ctx;
}

static int open_env(mqttseal_ctx *rx, const char *topic,
                    const unsigned char *env, size_t n)
{
    unsigned char out[256];
    size_t m = 0;

    return mqttseal_open(rx, out, sizeof out, &m, topic, strlen(topic), env, n,
                         0, NULL);
}

/* Seal as sender session `sender` (a made-up session id), message seq,
 * on topic, stamped now when ts != 0. */
static size_t seal_as(mqttseal_ctx *tx, unsigned char *env, size_t cap,
                      const char *topic, uint32_t sender, uint64_t seq,
                      uint64_t ts)
{
    static const unsigned char msg[24] = "reading: 21.5 C, ok";
    mqttseal_header f;
    size_t n = 0;

    memset(&f, 0, sizeof f);
    f.key_id = 1;
    memset(f.session_id, 0x5a, sizeof f.session_id);
    memcpy(f.session_id, &sender, sizeof sender);
    f.seq = seq;
    f.has_timestamp = ts != 0;
    f.timestamp_ms = ts;
    assert_int_equal(ms_test_seal_fields(tx, env, cap, &n, topic, strlen(topic),
                                         msg, sizeof msg, &f),
                     MQTTSEAL_OK);
    return n;
}

static uint64_t refused(mqttseal_ctx *rx)
{
    mqttseal_stats st;

    assert_int_equal(mqttseal_ctx_stats(rx, &st), MQTTSEAL_OK);
    return st.refused;
}

/* ---- fork ------------------------------------------------------------ */

static void parse(const unsigned char *env, size_t n, mqttseal_header *h)
{
    assert_int_equal(mqttseal_header_parse(h, env, n), MQTTSEAL_OK);
}

/* Issue 11, problem 1: a child of fork() must never continue its
 * parent's session (same key, sid and seq = the same XChaCha20 nonce). */
static void fork_child_draws_new_session(void **state)
{
    mqttseal_ctx *ctx = ctx_granted(NULL);
    unsigned char env[4][128], sid[MQTTSEAL_SESSIONIDBYTES];
    mqttseal_header h[4];
    size_t n[4], got = 0;
    int fds[2], status = 0;
    pid_t pid;

    (void)state;
    mqttseal_ctx_session_id(ctx, sid);
    assert_int_equal(mqttseal_seal(ctx, env[0], sizeof env[0], &n[0], "a/b", 3,
                                   (const unsigned char *)"p0", 2),
                     MQTTSEAL_OK);
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        unsigned char e[128];
        size_t len = 0;
        int ok = mqttseal_seal(ctx, e, sizeof e, &len, "a/b", 3,
                               (const unsigned char *)"c1", 2) == MQTTSEAL_OK;
        ok = ok && write(fds[1], &len, sizeof len) == sizeof len &&
             write(fds[1], e, len) == (ssize_t)len;
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    assert_int_equal(mqttseal_seal(ctx, env[1], sizeof env[1], &n[1], "a/b", 3,
                                   (const unsigned char *)"p1", 2),
                     MQTTSEAL_OK);
    assert_int_equal(read(fds[0], &n[2], sizeof n[2]), sizeof n[2]);
    assert_true(n[2] <= sizeof env[2]);
    while (got < n[2]) {
        ssize_t r = read(fds[0], env[2] + got, n[2] - got);
        assert_true(r > 0);
        got += (size_t)r;
    }
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (int i = 0; i < 3; i++) {
        parse(env[i], n[i], &h[i]);
    }
    /* The parent goes on (seq 0, 1); the child starts a session of its
     * own at seq 0. */
    assert_memory_equal(h[0].session_id, sid, sizeof sid);
    assert_memory_equal(h[1].session_id, sid, sizeof sid);
    assert_int_equal(h[1].seq, 1);
    assert_memory_not_equal(h[2].session_id, sid, sizeof sid);
    assert_int_equal(h[2].seq, 0);
    mqttseal_ctx_free(ctx);
}

/* For clones no detector sees (VM snapshot restore, CRIU). */
static void explicit_new_session(void **state)
{
    mqttseal_ctx *ctx = ctx_granted(NULL);
    unsigned char a[MQTTSEAL_SESSIONIDBYTES], b[MQTTSEAL_SESSIONIDBYTES];
    unsigned char env[128];
    mqttseal_header h;
    mqttseal_stats st;
    size_t n = 0;

    (void)state;
    mqttseal_ctx_session_id(ctx, a);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(mqttseal_seal(ctx, env, sizeof env, &n, "a", 1,
                                       (const unsigned char *)"x", 1),
                         MQTTSEAL_OK);
    }
    assert_int_equal(mqttseal_ctx_new_session(ctx), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_new_session(NULL), MQTTSEAL_E_INVALID);
    mqttseal_ctx_session_id(ctx, b);
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(mqttseal_seal(ctx, env, sizeof env, &n, "a", 1,
                                   (const unsigned char *)"x", 1),
                     MQTTSEAL_OK);
    parse(env, n, &h);
    assert_memory_equal(h.session_id, b, sizeof b);
    assert_int_equal(h.seq, 0);
    assert_int_equal(mqttseal_ctx_stats(ctx, &st), MQTTSEAL_OK);
    assert_int_equal(st.sessions_new, 1);
    assert_int_equal(st.sealed, 6);
    mqttseal_ctx_free(ctx);
}

/* ---- receivers of fleets -------------------------------------------- */

/*
 * n senders on their own topics, msgs messages each, round robin with a
 * 60 s reporting period on the virtual clock; the receiver listens to
 * everything. Returns the legitimate messages refused.
 */
static uint64_t fleet_run(mqttseal_ctx *tx, mqttseal_ctx *rx, uint32_t n,
                          unsigned msgs, int stamped)
{
    unsigned char env[128];
    char topic[32];
    uint64_t lost = 0;

    for (unsigned k = 0; k < msgs; k++) {
        for (uint32_t i = 0; i < n; i++) {
            uint64_t now = T0 + k * MINUTE + (uint64_t)i * MINUTE / n;
            size_t len;

            ms_clock_set_fake(now);
            snprintf(topic, sizeof topic, "site/%u/temp", i);
            len = seal_as(tx, env, sizeof env, topic, i, k, stamped ? now : 0);
            lost += open_env(rx, topic, env, len) != MQTTSEAL_OK;
        }
    }
    ms_clock_set_fake(0);
    return lost;
}

static void fleet_case(uint32_t n, int fleet)
{
    mqttseal_ctx *tx = ctx_granted(NULL), *rx = ctx_granted(NULL);
    mqttseal_stats st;

    if (fleet) {
        assert_int_equal(mqttseal_ctx_use_fleet_defaults(rx), MQTTSEAL_OK);
    }
    assert_int_equal(fleet_run(tx, rx, n, 3, fleet), 0);
    assert_int_equal(mqttseal_ctx_stats(rx, &st), MQTTSEAL_OK);
    assert_int_equal(st.opened, 3 * (uint64_t)n);
    assert_int_equal(st.refused, 0);
    printf("# %u senders x 3, %s: 0 lost; %llu tracked, %llu remembered, "
           "%llu forgotten, replay %llu bytes, cache %llu bytes\n",
           n, fleet ? "fleet defaults" : "no timestamps",
           (unsigned long long)st.replay_tracked,
           (unsigned long long)st.replay_remembered,
           (unsigned long long)st.replay_forgotten,
           (unsigned long long)st.replay_bytes,
           (unsigned long long)st.cache_bytes);
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
}

/* Issue 11, problem 2: the old receiver lost 48.8 % at 10,000 senders
 * and 89.8 % at 50,000, with or without timestamps. */
static void fleet_100000_senders(void **state)
{
    (void)state;
    fleet_case(100000, 1);
}

static void fleet_10000_senders_no_timestamps(void **state)
{
    (void)state;
    fleet_case(10000, 0);
}

/* 100 devices each restarting 1,000 times (a new session per run, one
 * run a minute, three messages a run). */
static void churn_case(int fleet)
{
    mqttseal_ctx *tx = ctx_granted(NULL), *rx = ctx_granted(NULL);
    unsigned char env[128];
    char topic[32];
    uint64_t lost = 0;

    if (fleet) {
        assert_int_equal(mqttseal_ctx_use_fleet_defaults(rx), MQTTSEAL_OK);
    }
    for (uint32_t run = 0; run < 1000; run++) {
        for (uint32_t dev = 0; dev < 100; dev++) {
            for (uint64_t k = 0; k < 3; k++) {
                uint64_t now = T0 + run * MINUTE + dev * 500 + k * 10;
                size_t len;

                ms_clock_set_fake(now);
                snprintf(topic, sizeof topic, "plant/dev%u/state", dev);
                len = seal_as(tx, env, sizeof env, topic, run * 100 + dev, k,
                              fleet ? now : 0);
                lost += open_env(rx, topic, env, len) != MQTTSEAL_OK;
            }
        }
    }
    ms_clock_set_fake(0);
    assert_int_equal(lost, 0);
    assert_int_equal(refused(rx), 0);
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
}

static void churn_fleet(void **state)
{
    (void)state;
    churn_case(1);
}

static void churn_no_timestamps(void **state)
{
    (void)state;
    churn_case(0);
}

/* Without timestamps the limit is explicit: past the capacity a new
 * sender is refused, and every refusal is counted (never silent). */
static void capacity_refusals_counted(void **state)
{
    mqttseal_ctx *tx = ctx_granted(NULL), *rx = ctx_granted(NULL);
    mqttseal_stats st;
    uint64_t lost;

    (void)state;
    assert_int_equal(mqttseal_ctx_set_replay_capacity(rx, 100),
                     MQTTSEAL_E_INVALID); /* below max_sessions */
    assert_int_equal(mqttseal_ctx_set_replay_capacity(rx, 4096), MQTTSEAL_OK);
    lost = fleet_run(tx, rx, 10000, 1, 0);
    assert_int_equal(mqttseal_ctx_stats(rx, &st), MQTTSEAL_OK);
    assert_true(lost > 0);
    assert_int_equal(st.refused, lost);
    assert_int_equal(st.refused_by[MQTTSEAL_E_SESSION_LOST], lost);
    assert_int_equal(st.opened + lost, 10000);
    assert_true(st.replay_dropped > 0);
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
}

/* ---- a hostile grant holder ----------------------------------------- */

static void flood(mqttseal_ctx *evil, mqttseal_ctx *rx, unsigned sessions)
{
    unsigned char env[128];
    size_t n = 0;

    for (unsigned i = 0; i < sessions; i++) {
        assert_int_equal(mqttseal_ctx_new_session(evil), MQTTSEAL_OK);
        assert_int_equal(mqttseal_seal(evil, env, sizeof env, &n, "site/evil",
                                       9, (const unsigned char *)"x", 1),
                         MQTTSEAL_OK);
        assert_int_equal(open_env(rx, "site/evil", env, n), MQTTSEAL_OK);
    }
}

static void send_ok(mqttseal_ctx *tx, mqttseal_ctx *rx, const char *topic,
                    unsigned count)
{
    unsigned char env[128];
    size_t n = 0;

    for (unsigned i = 0; i < count; i++) {
        assert_int_equal(mqttseal_seal(tx, env, sizeof env, &n, topic,
                                       strlen(topic),
                                       (const unsigned char *)"ok", 2),
                         MQTTSEAL_OK);
        assert_int_equal(open_env(rx, topic, env, n), MQTTSEAL_OK);
    }
}

/* Issue 11, problem 3: 5,200 one-message sessions from a holder of the
 * single grant site/evil made the old receiver refuse every sender
 * without timestamps, long-lived ones included. */
static void flood_cannot_lock_out(int fleet)
{
    mqttseal_ctx *evil = ctx_granted("site/evil"), *rx = ctx_granted(NULL);
    mqttseal_ctx *good = ctx_granted("site/good"),
                 *late = ctx_granted("site/#");
    mqttseal_stats st;

    if (fleet) {
        assert_int_equal(mqttseal_ctx_use_fleet_defaults(evil), MQTTSEAL_OK);
        assert_int_equal(mqttseal_ctx_use_fleet_defaults(rx), MQTTSEAL_OK);
        assert_int_equal(mqttseal_ctx_use_fleet_defaults(good), MQTTSEAL_OK);
        assert_int_equal(mqttseal_ctx_use_fleet_defaults(late), MQTTSEAL_OK);
    }
    send_ok(good, rx, "site/good", 10);
    flood(evil, rx, 5200);
    send_ok(good, rx, "site/good", 10);
    send_ok(late, rx, "site/new", 10);
    assert_int_equal(mqttseal_ctx_stats(rx, &st), MQTTSEAL_OK);
    assert_int_equal(st.refused, 0);
    assert_int_equal(st.replay_dropped, 0);
    mqttseal_ctx_free(evil);
    mqttseal_ctx_free(rx);
    mqttseal_ctx_free(good);
    mqttseal_ctx_free(late);
}

static void flood_no_timestamps(void **state)
{
    (void)state;
    flood_cannot_lock_out(0);
}

static void flood_fleet(void **state)
{
    (void)state;
    flood_cannot_lock_out(1);
}

/* Review: a holder of the single grant site/evil who has seen another
 * sender's envelope seals on its own topic under that sender's session
 * id with a huge sequence number. Replay windows are per (session, topic
 * key) (docs/FORMAT.md section 9), so this moves nothing of the other
 * sender's: its next messages open, its replays are still E_REPLAY.
 * Keyed by the bare session id, the next message was E_TOO_OLD. */
static void session_id_hijack_harmless(void **state)
{
    mqttseal_ctx *evil = ctx_granted("site/evil"), *rx = ctx_granted(NULL);
    mqttseal_ctx *good = ctx_granted("site/good");
    static const unsigned char msg[] = "all yours";
    unsigned char seen[128], env[128];
    size_t seen_n = 0, n = 0;
    mqttseal_header f, h;

    (void)state;
    assert_int_equal(mqttseal_ctx_use_fleet_defaults(rx), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_use_fleet_defaults(good), MQTTSEAL_OK);
    assert_int_equal(mqttseal_seal(good, seen, sizeof seen, &seen_n,
                                   "site/good", 9,
                                   (const unsigned char *)"21.5", 4),
                     MQTTSEAL_OK);
    assert_int_equal(open_env(rx, "site/good", seen, seen_n), MQTTSEAL_OK);
    parse(seen, seen_n, &h);
    memset(&f, 0, sizeof f);
    f.key_id = 1;
    memcpy(f.session_id, h.session_id, sizeof f.session_id);
    f.seq = UINT64_C(1) << 40;
    f.has_timestamp = 1;
    f.timestamp_ms = ms_clock_now_ms();
    assert_int_equal(ms_test_seal_fields(evil, env, sizeof env, &n, "site/evil",
                                         9, msg, sizeof msg, &f),
                     MQTTSEAL_OK);
    assert_int_equal(open_env(rx, "site/evil", env, n), MQTTSEAL_OK);
    send_ok(good, rx, "site/good", 10);
    assert_int_equal(open_env(rx, "site/good", seen, seen_n),
                     MQTTSEAL_E_REPLAY);
    assert_int_equal(open_env(rx, "site/evil", env, n), MQTTSEAL_E_REPLAY);
    mqttseal_ctx_free(evil);
    mqttseal_ctx_free(rx);
    mqttseal_ctx_free(good);
}

/* One envelope stamped 6 days ahead used to raise the low-water mark and
 * lock out timestamped senders; now it is E_FUTURE even with no maximum
 * age, and changes nothing. */
static void future_stamp_refused(void **state)
{
    mqttseal_ctx *evil = ctx_granted("site/evil"), *rx = ctx_granted(NULL);
    mqttseal_ctx *late = ctx_granted("site/#");
    unsigned char env[128];
    mqttseal_stats st;
    size_t n;

    (void)state;
    ms_clock_set_fake(T0);
    n = seal_as(evil, env, sizeof env, "site/evil", 7, 0, T0 + 6 * DAY);
    assert_int_equal(open_env(rx, "site/evil", env, n), MQTTSEAL_E_FUTURE);
    n = seal_as(evil, env, sizeof env, "site/evil", 8, 0, T0 + 31000);
    assert_int_equal(open_env(rx, "site/evil", env, n), MQTTSEAL_E_FUTURE);
    n = seal_as(evil, env, sizeof env, "site/evil", 9, 0, T0 + 29000);
    assert_int_equal(open_env(rx, "site/evil", env, n), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_set_timestamps(late, 1), MQTTSEAL_OK);
    send_ok(late, rx, "site/new", 3);
    assert_int_equal(mqttseal_ctx_stats(rx, &st), MQTTSEAL_OK);
    assert_int_equal(st.refused_by[MQTTSEAL_E_FUTURE], 2);
    assert_int_equal(st.refused, 2);
    assert_int_equal(st.replay_dropped, 0);
    ms_clock_set_fake(0);
    mqttseal_ctx_free(evil);
    mqttseal_ctx_free(rx);
    mqttseal_ctx_free(late);
}

/* ---- work before authentication ------------------------------------- */

static char *deep_topic(unsigned levels, size_t *len)
{
    char *t = malloc(2 * levels);

    assert_non_null(t);
    for (unsigned i = 0; i < levels; i++) {
        t[2 * i] = 'x';
        t[2 * i + 1] = '/';
    }
    *len = 2 * (size_t)levels - 1;
    return t;
}

/* Issue 11, problem 4: a forged message on a topic of 32,766 levels cost
 * 11.5 ms of derivation. Now more levels than allowed are refused before
 * any key is derived, on both sides. */
static void topic_depth_bounded(void **state)
{
    mqttseal_ctx *ctx = ctx_granted(NULL);
    unsigned char env[256], out[256];
    mqttseal_stats st;
    size_t tlen, n = 0, m = 0;
    char *t = deep_topic(32766, &tlen);

    (void)state;
    assert_int_equal(tlen, 65531);
    assert_int_equal(mqttseal_seal(ctx, env, sizeof env, &n, t, tlen,
                                   (const unsigned char *)"x", 1),
                     MQTTSEAL_E_TOPIC_DEPTH);
    assert_int_equal(mqttseal_seal(ctx, env, sizeof env, &n, "a", 1,
                                   (const unsigned char *)"x", 1),
                     MQTTSEAL_OK);
    assert_int_equal(
        mqttseal_open(ctx, out, sizeof out, &m, t, tlen, env, n, 0, NULL),
        MQTTSEAL_E_TOPIC_DEPTH);
    /* 128 levels pass (then fail the tag: it was sealed for "a"). */
    assert_int_equal(
        mqttseal_open(ctx, out, sizeof out, &m, t, 255, env, n, 0, NULL),
        MQTTSEAL_E_AUTH);
    assert_int_equal(
        mqttseal_open(ctx, out, sizeof out, &m, t, 257, env, n, 0, NULL),
        MQTTSEAL_E_TOPIC_DEPTH);
    assert_int_equal(mqttseal_ctx_set_max_levels(ctx, 8), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_set_max_levels(ctx, 0), MQTTSEAL_E_INVALID);
    assert_int_equal(
        mqttseal_open(ctx, out, sizeof out, &m, t, 17, env, n, 0, NULL),
        MQTTSEAL_E_TOPIC_DEPTH);
    assert_int_equal(mqttseal_ctx_stats(ctx, &st), MQTTSEAL_OK);
    /* One derivation: "a" for the seal; the 128-level open derived once,
     * outside the lock, and cached nothing. */
    assert_int_equal(st.derived, 2);
    assert_int_equal(st.cache_entries, 1);
    assert_int_equal(st.refused_by[MQTTSEAL_E_TOPIC_DEPTH], 3);
    free(t);
    mqttseal_ctx_free(ctx);
}

/* Forged messages never enter the cache: 300 of them on 300 topics used
 * to evict a legitimate key from the 256-entry cache. */
static void forged_never_cached(void **state)
{
    mqttseal_ctx *tx = ctx_granted(NULL), *rx = ctx_granted(NULL);
    unsigned char env[128];
    mqttseal_stats st;
    char topic[32];
    size_t n = 0;

    (void)state;
    assert_int_equal(mqttseal_ctx_set_replay(rx, 0, 64, 1), MQTTSEAL_OK);
    assert_int_equal(mqttseal_seal(tx, env, sizeof env, &n, "site/a", 6,
                                   (const unsigned char *)"x", 1),
                     MQTTSEAL_OK);
    assert_int_equal(open_env(rx, "site/a", env, n), MQTTSEAL_OK);
    for (unsigned i = 0; i < 300; i++) {
        snprintf(topic, sizeof topic, "forged/%u", i);
        assert_int_equal(open_env(rx, topic, env, n), MQTTSEAL_E_AUTH);
    }
    assert_int_equal(mqttseal_ctx_stats(rx, &st), MQTTSEAL_OK);
    assert_int_equal(st.cache_entries, 1);
    assert_int_equal(st.derived, 301);
    assert_int_equal(open_env(rx, "site/a", env, n), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_stats(rx, &st), MQTTSEAL_OK);
    assert_int_equal(st.derived, 301); /* still cached */
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
}

/* Issue 11, problem 5: at 257 topics cycled the old 256-entry LRU cache
 * hit nothing. The cache now grows: a second pass over 10,000 topics
 * derives nothing. */
static void cache_scales_with_topics(void **state)
{
    mqttseal_ctx *tx = ctx_granted(NULL), *rx = ctx_granted(NULL);
    unsigned char env[128];
    mqttseal_stats st;
    char topic[32];

    (void)state;
    assert_int_equal(mqttseal_ctx_set_replay(rx, 0, 64, 1), MQTTSEAL_OK);
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < 10000; i++) {
            size_t n;
            snprintf(topic, sizeof topic, "site/%u/temp", i);
            n = seal_as(tx, env, sizeof env, topic, 1, i, 0);
            assert_int_equal(open_env(rx, topic, env, n), MQTTSEAL_OK);
        }
    }
    assert_int_equal(mqttseal_ctx_stats(rx, &st), MQTTSEAL_OK);
    assert_int_equal(st.derived, 10000);
    assert_int_equal(st.cache_entries, 10000);
    printf("# key cache at 10,000 topics: %llu bytes\n",
           (unsigned long long)st.cache_bytes);
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
}

/* ---- a replay store shared by a consumer group ------------------------ */

typedef struct fake_store {
    int calls, freed, answer;
    uint64_t last_seq, max_age;
    unsigned char last_id[MQTTSEAL_SESSIONIDBYTES];
} fake_store;

static int store_accept(void *state, uint32_t key_id,
                        const unsigned char sid[MQTTSEAL_SESSIONIDBYTES],
                        uint64_t seq, int has_ts, uint64_t ts_ms,
                        uint64_t max_age_ms)
{
    fake_store *f = state;

    (void)key_id;
    memcpy(f->last_id, sid, sizeof f->last_id);
    (void)has_ts;
    (void)ts_ms;
    f->calls++;
    f->last_seq = seq;
    f->max_age = max_age_ms;
    return f->answer;
}

static void store_free(void *state)
{
    ((fake_store *)state)->freed++;
}

/* The backend decides, after authentication; its refusal (E_REPLAY or
 * "unreachable") is a refusal: nothing is released. */
static void replay_backend_decides(void **state)
{
    mqttseal_ctx *tx = ctx_granted(NULL), *rx = ctx_granted(NULL);
    fake_store f = {0, 0, MQTTSEAL_OK, 0, 0, {0}};
    unsigned char id_a[MQTTSEAL_SESSIONIDBYTES];
    mqttseal_header h;
    mqttseal_replay_backend b = {store_accept, store_free, &f};
    unsigned char env[128], out[64];
    size_t n = 0, m = 9;

    (void)state;
    assert_int_equal(mqttseal_ctx_set_replay_backend(rx, &b), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_use_fleet_defaults(rx), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_set_timestamps(tx, 1), MQTTSEAL_OK);
    assert_int_equal(mqttseal_seal(tx, env, sizeof env, &n, "a", 1,
                                   (const unsigned char *)"x", 1),
                     MQTTSEAL_OK);
    assert_int_equal(open_env(rx, "a", env, n), MQTTSEAL_OK);
    /* The store is told the session's replay id for topic a's key, not
     * the session id from the clear header. */
    parse(env, n, &h);
    memcpy(id_a, f.last_id, sizeof id_a);
    assert_memory_not_equal(id_a, h.session_id, sizeof id_a);
    /* The in-process window is not consulted: the store said yes. */
    assert_int_equal(open_env(rx, "a", env, n), MQTTSEAL_OK);
    assert_int_equal(f.calls, 2);
    assert_memory_equal(f.last_id, id_a, sizeof id_a); /* same session */
    assert_int_equal(f.max_age, MQTTSEAL_FLEET_MAX_AGE_MS);
    assert_int_equal(open_env(rx, "b", env, n), MQTTSEAL_E_AUTH);
    assert_int_equal(f.calls, 2); /* forged: never reaches the store */
    assert_int_equal(mqttseal_seal(tx, env, sizeof env, &n, "b", 1,
                                   (const unsigned char *)"y", 1),
                     MQTTSEAL_OK);
    assert_int_equal(open_env(rx, "b", env, n), MQTTSEAL_OK);
    assert_memory_not_equal(f.last_id, id_a, sizeof id_a); /* topic b */
    assert_int_equal(mqttseal_seal(tx, env, sizeof env, &n, "a", 1,
                                   (const unsigned char *)"z", 1),
                     MQTTSEAL_OK);
    f.answer = MQTTSEAL_E_REPLAY_BACKEND;
    assert_int_equal(
        mqttseal_open(rx, out, sizeof out, &m, "a", 1, env, n, 0, NULL),
        MQTTSEAL_E_REPLAY_BACKEND);
    assert_int_equal(m, 0);
    assert_int_equal(out[0], 0);
    assert_int_equal(mqttseal_ctx_set_replay_backend(rx, NULL), MQTTSEAL_OK);
    assert_int_equal(f.freed, 1);
    b.accept = NULL;
    assert_int_equal(mqttseal_ctx_set_replay_backend(rx, &b),
                     MQTTSEAL_E_INVALID);
    assert_int_equal(open_env(rx, "a", env, n), MQTTSEAL_OK); /* in-process */
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fork_child_draws_new_session),
        cmocka_unit_test(explicit_new_session),
        cmocka_unit_test(fleet_100000_senders),
        cmocka_unit_test(fleet_10000_senders_no_timestamps),
        cmocka_unit_test(churn_fleet),
        cmocka_unit_test(churn_no_timestamps),
        cmocka_unit_test(capacity_refusals_counted),
        cmocka_unit_test(flood_no_timestamps),
        cmocka_unit_test(flood_fleet),
        cmocka_unit_test(session_id_hijack_harmless),
        cmocka_unit_test(future_stamp_refused),
        cmocka_unit_test(topic_depth_bounded),
        cmocka_unit_test(forged_never_cached),
        cmocka_unit_test(cache_scales_with_topics),
        cmocka_unit_test(replay_backend_decides),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
