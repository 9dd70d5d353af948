/* The Redis replay backend against a real redis-server (suite 'redis'):
 * URL syntax, the window script against a model, parity with the
 * in-process state, expiry, AUTH and ACL users, unix sockets, failing
 * closed, reconnecting, NOSCRIPT, one round trip per message, threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <mqttseal/redis.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/redis/script.h"
#include "tr.h"

static tr_redis srv; /* plain, no persistence, shared by most tests */

static int group_setup(void **state)
{
    (void)state;
    if (mqttseal_init() != MQTTSEAL_OK)
        return -1;
    return tr_redis_start(&srv, 0, NULL);
}

static int group_teardown(void **state)
{
    (void)state;
    tr_redis_stop(&srv);
    return 0;
}

static mqttseal_ctx *new_ctx(const mqttseal_keyring *kr)
{
    mqttseal_ctx *ctx = NULL;

    assert_int_equal(mqttseal_ctx_new(&ctx, kr), MQTTSEAL_OK);
    return ctx;
}

static mqttseal_keyring *root_ring(void)
{
    mqttseal_keyring *kr = NULL;

    assert_int_equal(mqttseal_keyring_new(&kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_generate(kr, 7), MQTTSEAL_OK);
    return kr;
}

static mqttseal_redis *backend(const char *url)
{
    mqttseal_redis *r = NULL;
    mqttseal_diag d;
    int rc = mqttseal_redis_new_url(&r, url, &d);

    if (rc != MQTTSEAL_OK)
        fail_msg("%s: %s", url, d.message);
    return r;
}

static mqttseal_ctx *redis_ctx(const mqttseal_keyring *kr, mqttseal_redis *r)
{
    mqttseal_ctx *ctx = new_ctx(kr);

    assert_int_equal(mqttseal_redis_attach(r, ctx), MQTTSEAL_OK);
    return ctx;
}

static int open_env(mqttseal_ctx *rx, const unsigned char *env, size_t n)
{
    unsigned char out[256];
    size_t m = 99;
    int rc =
        mqttseal_open(rx, out, sizeof out, &m, "site/a", 6, env, n, 0, NULL);

    if (rc != MQTTSEAL_OK)
        assert_int_equal(m, 0);
    return rc;
}

typedef struct sealed {
    unsigned char env[64][128];
    size_t len[64];
} sealed;

static void seal_n(mqttseal_ctx *tx, unsigned char (*env)[128], size_t *len,
                   int n)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(mqttseal_seal(tx, env[i], 128, &len[i], "site/a", 6,
                                       (const unsigned char *)"21.5 C", 6),
                         MQTTSEAL_OK);
}

/* ---- URLs ------------------------------------------------------------ */

static void url_syntax(void **state)
{
    static const char *const good[] = {
        "redis://127.0.0.1",
        "redis://127.0.0.1:6390/3?prefix=site1&ttl=60&skew=5",
        "redis://alice:s%40cret@127.0.0.1:6379/0?prefix=a%2Fb",
        "redis://:pw@localhost",
        "redis://[::1]:7000/1?timeout=250&retry=10",
        "unix:///run/redis/redis.sock?db=2&prefix=x",
        "unix://bob:pw@/tmp/r.sock",
        "redis://127.0.0.1?ttl=0&retained_max_age=86400",
        "redis://127.0.0.1?window=65536",
        "rediss://127.0.0.1", /* the system's CAs */
        "rediss://u:p@[::1]:6380/2?sni=redis.example&ciphersuites="
        "TLS_AES_256_GCM_SHA384&ciphers=ECDHE-ECDSA-AES256-GCM-SHA384",
    };
    static const char *const bad[] = {
        "redis://127.0.0.1?sni=localhost",
        "unix:///tmp/r.sock?cacert=/etc/ssl/certs/ca-certificates.crt",
        "rediss://127.0.0.1?cacert=/nonexistent.pem",
        "rediss://127.0.0.1?key=/nonexistent.key",
        "rediss://127.0.0.1?ciphers=NONE-SUCH",
        "rediss://127.0.0.1?sni=",
        "http://127.0.0.1",
        "redis://127.0.0.1:0",
        "redis://127.0.0.1:70000",
        "redis://127.0.0.1/x",
        "redis://127.0.0.1?prefix=",
        "redis://h?window=100",
        "redis://h?window=131072",
        "redis://h?window=32",
        "redis://127.0.0.1?ttl=abc",
        "redis://a:%zz@127.0.0.1",
        "unix://relative.sock",
        "redis://[::1",
        "redis://127.0.0.1?timeout=0",
        "redis://h?db=70000",
        NULL,
    };
    mqttseal_redis *r;
    mqttseal_diag d;

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        r = backend(good[i]);
        mqttseal_redis_free(r);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        r = (mqttseal_redis *)&d;
        if (mqttseal_redis_new_url(&r, bad[i], &d) != MQTTSEAL_E_INVALID)
            fail_msg("accepted %s", bad[i]);
        assert_null(r);
        if (d.message[0] == '\0')
            fail_msg("%s: no diagnostic", bad[i] ? bad[i] : "NULL");
    }
    assert_int_equal(mqttseal_redis_new_url(&r, "redis://h?sni=h", &d),
                     MQTTSEAL_E_INVALID);
    assert_non_null(strstr(d.message, "rediss://"));
}

/* ---- the script against a 64-bit model ------------------------------- */

typedef struct model {
    int known;
    uint64_t highest, w;
    unsigned char seen[MQTTSEAL_REDIS_WINDOW_MAX];
} model;

/* The window as a plain array: seen[seq mod w] for seq in (highest-w,
 * highest]. */
static const char *model_step(model *m, uint64_t seq)
{
    if (!m->known) {
        memset(m->seen, 0, sizeof m->seen);
        m->known = 1, m->highest = seq;
    } else if (seq > m->highest) {
        for (uint64_t s = m->highest + 1;
             s > m->highest && s <= seq && s - m->highest <= m->w; s++)
            m->seen[s % m->w] = 0;
        m->highest = seq;
    } else if (m->highest - seq >= m->w) {
        return "TOO_OLD";
    } else if (m->seen[seq % m->w]) {
        return "REPLAY";
    }
    m->seen[seq % m->w] = 1;
    return "OK";
}

static void script_matches_model(void **state)
{
    redisContext *c = redisConnect("127.0.0.1", srv.port);
    static const uint64_t bases[] = {0, 4294967200ULL, (1ULL << 53) - 70,
                                     UINT64_MAX - 300};
    uint64_t rnd = 88172645463325252ULL;

    (void)state;
    assert_true(c != NULL && c->err == 0);
    for (int b = 0; b < 8; b++) {
        static model m;
        char key[32];
        unsigned w = b < 4 ? 64 : b < 6 ? 1024 : MQTTSEAL_REDIS_WINDOW_MAX;

        m.known = 0, m.w = w;
        snprintf(key, sizeof key, "model:%d", b);
        for (int i = 0; i < 3000; i++) {
            uint64_t seq;
            redisReply *rep;
            const char *want;

            rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
            seq = bases[b % 4] + (uint64_t)i * w / 150 + rnd % (w + w / 4);
            if (seq < bases[b % 4]) /* wrapped past UINT64_MAX */
                seq = UINT64_MAX;
            want = model_step(&m, seq);
            rep = redisCommand(c, "EVAL %s 1 %s %lu %lu 0 0 %u",
                               MS_REDIS_SCRIPT, key, (unsigned long)(seq >> 32),
                               (unsigned long)(seq & 0xffffffffU), w);
            assert_non_null(rep);
            if (rep->type != REDIS_REPLY_STRING || strcmp(rep->str, want) != 0)
                fail_msg("base %d step %d seq %llu: want %s, got %s", b, i,
                         (unsigned long long)seq, want,
                         rep->str != NULL ? rep->str : "?");
            freeReplyObject(rep);
        }
    }
    redisFree(c);
}

/* ---- the backend through mqttseal_open -------------------------------- */

static void same_answers_as_in_process(void **state)
{
    mqttseal_keyring *kr = root_ring();
    mqttseal_ctx *tx = new_ctx(kr), *local = new_ctx(kr);
    char url[400];
    mqttseal_redis *r;
    mqttseal_ctx *shared;
    static unsigned char env[300][128];
    size_t len[300];
    uint64_t rnd = 1234567;
    mqttseal_redis_stats st;
    int n_ok = 0, n_replay = 0, n_old = 0;

    (void)state;
    snprintf(url, sizeof url, "%s?window=64&prefix=parity", srv.url);
    r = backend(url);
    shared = redis_ctx(kr, r);
    for (int i = 0; i < 300; i++)
        assert_int_equal(mqttseal_seal(tx, env[i], 128, &len[i], "site/a", 6,
                                       (const unsigned char *)"x", 1),
                         MQTTSEAL_OK);
    for (int i = 0; i < 2000; i++) {
        int k, a, b;

        rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
        k = (int)((i * 300 / 2000 + rnd % 100) % 300);
        a = open_env(local, env[k], len[k]);
        b = open_env(shared, env[k], len[k]);
        assert_int_equal(a, b);
        n_ok += a == MQTTSEAL_OK;
        n_replay += a == MQTTSEAL_E_REPLAY;
        n_old += a == MQTTSEAL_E_TOO_OLD;
    }
    assert_true(n_ok > 100 && n_replay > 100 && n_old > 100);
    mqttseal_redis_get_stats(r, &st);
    assert_int_equal(st.checks, 2000);
    assert_int_equal(st.accepted, (uint64_t)n_ok);
    assert_int_equal(st.replays, (uint64_t)n_replay);
    assert_int_equal(st.too_old, (uint64_t)n_old);
    /* One round trip per message, plus the pipelined connect. */
    assert_int_equal(st.round_trips, st.checks + st.connects);
    assert_int_equal(st.connects, 1);
    mqttseal_redis_free(r);
    mqttseal_ctx_free(shared);
    mqttseal_ctx_free(local);
    mqttseal_ctx_free(tx);
    mqttseal_keyring_free(kr);
}

/* Two consumers, one store: what one accepted the other refuses. */
static void group_shares_state(void **state)
{
    mqttseal_keyring *kr = root_ring();
    mqttseal_ctx *tx = new_ctx(kr);
    mqttseal_redis *r1 = backend(srv.url), *r2 = backend(srv.url);
    mqttseal_ctx *c1 = redis_ctx(kr, r1), *c2 = redis_ctx(kr, r2);
    sealed s;

    (void)state;
    seal_n(tx, s.env, s.len, 10);
    for (int i = 0; i < 10; i++) {
        mqttseal_ctx *first = i % 2 ? c1 : c2, *second = i % 2 ? c2 : c1;
        assert_int_equal(open_env(first, s.env[i], s.len[i]), MQTTSEAL_OK);
        assert_int_equal(open_env(second, s.env[i], s.len[i]),
                         MQTTSEAL_E_REPLAY);
    }
    mqttseal_redis_free(r1);
    mqttseal_redis_free(r2);
    mqttseal_ctx_free(c1);
    mqttseal_ctx_free(c2);
    mqttseal_ctx_free(tx);
    mqttseal_keyring_free(kr);
}

/* The PTTL of the one session key under prefix (its name holds the
 * session's replay id, which only a key holder can compute), checking
 * its length too. */
static long long pttl_of(const char *prefix)
{
    redisContext *c = redisConnect("127.0.0.1", srv.port);
    redisReply *keys, *rep;
    long long v;

    assert_true(c != NULL && c->err == 0);
    keys = redisCommand(c, "KEYS %s:*", prefix);
    assert_true(keys != NULL && keys->type == REDIS_REPLY_ARRAY);
    assert_int_equal(keys->elements, 1);
    assert_int_equal(keys->element[0]->len,
                     strlen(prefix) + 5 + MQTTSEAL_SESSIONIDBYTES);
    rep = redisCommand(c, "PTTL %b", keys->element[0]->str,
                       keys->element[0]->len);
    assert_true(rep != NULL && rep->type == REDIS_REPLY_INTEGER);
    v = rep->integer;
    freeReplyObject(rep);
    rep = redisCommand(c, "STRLEN %b", keys->element[0]->str,
                       keys->element[0]->len);
    assert_int_equal(rep->integer, 24 + MQTTSEAL_REDIS_WINDOW_DEFAULT / 8);
    freeReplyObject(rep);
    freeReplyObject(keys);
    redisFree(c);
    return v;
}

static void entries_expire(void **state)
{
    mqttseal_keyring *kr = root_ring();
    char url[400];
    struct {
        const char *q;
        int fresh;
        long long lo, hi;
    } cases[] = {
        {"?prefix=e1", 1, 320000, 330000}, /* 300 s + 30 s skew */
        {"?prefix=e2&skew=5", 1, 300000, 305000},
        {"?prefix=e3&retained_max_age=86400", 1, 86400000, 86430000},
        {"?prefix=e4&ttl=60", 0, 59000, 60000},
        {"?prefix=e5", 0, 604700000, 604800000}, /* 7 days */
        {"?prefix=e6&ttl=0", 0, -1, -1},         /* never */
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mqttseal_ctx *tx = new_ctx(kr), *rx;
        mqttseal_redis *r;
        sealed s;
        long long t;

        snprintf(url, sizeof url, "%s%s", srv.url, cases[i].q);
        r = backend(url);
        rx = redis_ctx(kr, r);
        assert_int_equal(mqttseal_ctx_set_timestamps(tx, 1), MQTTSEAL_OK);
        if (cases[i].fresh)
            assert_int_equal(mqttseal_ctx_use_fleet_defaults(rx), MQTTSEAL_OK);
        seal_n(tx, s.env, s.len, 1);
        assert_int_equal(open_env(rx, s.env[0], s.len[0]), MQTTSEAL_OK);
        char pfx[3] = {cases[i].q[8], cases[i].q[9], '\0'};
        t = pttl_of(pfx);
        if (t < cases[i].lo || t > cases[i].hi)
            fail_msg("%s: PTTL %lld not in [%lld, %lld]", cases[i].q, t,
                     cases[i].lo, cases[i].hi);
        mqttseal_redis_free(r);
        mqttseal_ctx_free(rx);
        mqttseal_ctx_free(tx);
    }
    mqttseal_keyring_free(kr);
}

/* AUTH password and ACL users; a refusal fails closed and says why. */
static void auth_and_acl(void **state)
{
    tr_redis a;
    mqttseal_keyring *kr = root_ring();
    mqttseal_ctx *tx = new_ctx(kr);
    char url[400], err[200];
    sealed s;
    struct {
        const char *auth, *prefix;
        int rc;
        const char *why;
    } cases[] = {
        {":topsecret@", "site1", MQTTSEAL_OK, NULL},
        {"", "site1", MQTTSEAL_E_REPLAY_BACKEND, "NOAUTH"},
        {":wrong@", "site1", MQTTSEAL_E_REPLAY_BACKEND, "WRONGPASS"},
        {"alice:al%20ice@", "site1", MQTTSEAL_OK, NULL},
        {"alice:al%20ice@", "site2", MQTTSEAL_E_REPLAY_BACKEND, "NOPERM"},
        {"alice:nope@", "site1", MQTTSEAL_E_REPLAY_BACKEND, "WRONGPASS"},
    };

    (void)state;
    assert_int_equal(
        tr_redis_start(&a, 0,
                       "requirepass topsecret\n"
                       "user alice on \">al ice\" ~site1:* "
                       "+evalsha +eval +script|load +ping +select +getrange "
                       "+setrange +getbit +setbit +strlen +pexpire +persist\n"),
        0);
    seal_n(tx, s.env, s.len, (int)(sizeof cases / sizeof *cases));
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mqttseal_redis *r;
        mqttseal_ctx *rx;

        snprintf(url, sizeof url, "redis://%s127.0.0.1:%d?prefix=%s",
                 cases[i].auth, a.port, cases[i].prefix);
        r = backend(url);
        rx = redis_ctx(kr, r);
        int rc = open_env(rx, s.env[i], s.len[i]);
        mqttseal_redis_last_error(r, err, sizeof err);
        if (rc != cases[i].rc)
            fail_msg("case %zu: %d (%s)", i, rc, err);
        if (cases[i].why != NULL && strstr(err, cases[i].why) == NULL)
            fail_msg("case %zu: '%s' does not name %s", i, err, cases[i].why);
        assert_null(strstr(err, "topsecret"));
        mqttseal_redis_free(r);
        mqttseal_ctx_free(rx);
    }
    tr_redis_stop(&a);
    mqttseal_ctx_free(tx);
    mqttseal_keyring_free(kr);
}

static void unix_socket(void **state)
{
    mqttseal_keyring *kr = root_ring();
    mqttseal_ctx *tx = new_ctx(kr), *rx;
    char url[400];
    mqttseal_redis *r;
    sealed s;

    (void)state;
    snprintf(url, sizeof url, "unix://%s?db=3&prefix=u", srv.sock);
    r = backend(url);
    rx = redis_ctx(kr, r);
    assert_int_equal(mqttseal_redis_ping(r), MQTTSEAL_OK);
    seal_n(tx, s.env, s.len, 2);
    assert_int_equal(open_env(rx, s.env[1], s.len[1]), MQTTSEAL_OK);
    assert_int_equal(open_env(rx, s.env[0], s.len[0]), MQTTSEAL_OK);
    assert_int_equal(open_env(rx, s.env[1], s.len[1]), MQTTSEAL_E_REPLAY);
    mqttseal_redis_free(r);
    mqttseal_ctx_free(rx);
    mqttseal_ctx_free(tx);
    mqttseal_keyring_free(kr);
}

/* Redis stops: refused, never delivered; it returns (with its state,
 * AOF): accepted again, and old messages are still replays. */
static void down_then_back(void **state)
{
    tr_redis p;
    mqttseal_keyring *kr = root_ring();
    mqttseal_ctx *tx = new_ctx(kr), *rx;
    mqttseal_redis *r;
    mqttseal_redis_stats st;
    char url[400];
    sealed s;

    (void)state;
    assert_int_equal(tr_redis_start(&p, 1, NULL), 0);
    snprintf(url, sizeof url, "%s?retry=20", p.url);
    r = backend(url);
    rx = redis_ctx(kr, r);
    seal_n(tx, s.env, s.len, 6);
    assert_int_equal(open_env(rx, s.env[0], s.len[0]), MQTTSEAL_OK);
    assert_int_equal(open_env(rx, s.env[1], s.len[1]), MQTTSEAL_OK);
    tr_redis_kill(&p, SIGKILL);
    assert_int_equal(open_env(rx, s.env[2], s.len[2]),
                     MQTTSEAL_E_REPLAY_BACKEND);
    assert_int_equal(open_env(rx, s.env[3], s.len[3]),
                     MQTTSEAL_E_REPLAY_BACKEND);
    assert_int_equal(mqttseal_redis_ping(r), MQTTSEAL_E_REPLAY_BACKEND);
    assert_int_equal(tr_redis_restart(&p), 0);
    /* No call needed to reconnect: the next open does (after retry). */
    nanosleep(&(struct timespec){0, 30000000L}, NULL);
    if (open_env(rx, s.env[4], s.len[4]) != MQTTSEAL_OK) {
        char err[200];
        mqttseal_redis_last_error(r, err, sizeof err);
        fail_msg("after restart: %s", err);
    }
    assert_int_equal(open_env(rx, s.env[1], s.len[1]), MQTTSEAL_E_REPLAY);
    assert_int_equal(open_env(rx, s.env[2], s.len[2]), MQTTSEAL_OK);
    mqttseal_redis_get_stats(r, &st);
    assert_int_equal(st.failures, 2);
    assert_int_equal(st.connects, 2);
    /* A restart behind an idle connection: one transparent retry. */
    assert_int_equal(tr_redis_restart(&p), 0);
    if (open_env(rx, s.env[5], s.len[5]) != MQTTSEAL_OK) {
        char err[200];
        mqttseal_redis_last_error(r, err, sizeof err);
        fail_msg("after a restart behind an idle connection: %s", err);
    }
    assert_int_equal(open_env(rx, s.env[0], s.len[0]), MQTTSEAL_E_REPLAY);
    mqttseal_redis_free(r);
    mqttseal_ctx_free(rx);
    tr_redis_stop(&p);
    mqttseal_ctx_free(tx);
    mqttseal_keyring_free(kr);
}

static void noscript_falls_back(void **state)
{
    mqttseal_keyring *kr = root_ring();
    mqttseal_ctx *tx = new_ctx(kr), *rx;
    mqttseal_redis *r = backend(srv.url);
    redisContext *c = redisConnect("127.0.0.1", srv.port);
    mqttseal_redis_stats st;
    sealed s;

    (void)state;
    rx = redis_ctx(kr, r);
    seal_n(tx, s.env, s.len, 3);
    assert_int_equal(open_env(rx, s.env[0], s.len[0]), MQTTSEAL_OK);
    freeReplyObject(redisCommand(c, "SCRIPT FLUSH"));
    assert_int_equal(open_env(rx, s.env[1], s.len[1]), MQTTSEAL_OK);
    assert_int_equal(open_env(rx, s.env[1], s.len[1]), MQTTSEAL_E_REPLAY);
    mqttseal_redis_get_stats(r, &st);
    assert_int_equal(st.noscript, 1); /* EVAL cached it again */
    redisFree(c);
    mqttseal_redis_free(r);
    mqttseal_ctx_free(rx);
    mqttseal_ctx_free(tx);
    mqttseal_keyring_free(kr);
}

/* Four threads, four contexts, one handle: each envelope once. */
typedef struct thr {
    mqttseal_ctx *rx;
    unsigned char (*env)[128];
    size_t *len;
    int n, ok;
} thr;

static void *thr_main(void *arg)
{
    thr *t = arg;

    for (int i = 0; i < t->n; i++)
        t->ok += open_env(t->rx, t->env[i], t->len[i]) == MQTTSEAL_OK;
    return NULL;
}

static void threads_share_one_handle(void **state)
{
    mqttseal_keyring *kr = root_ring();
    mqttseal_ctx *tx = new_ctx(kr);
    mqttseal_redis *r = backend(srv.url);
    static unsigned char env[500][128];
    size_t len[500];
    pthread_t th[4];
    thr t[4];
    int total = 0;

    (void)state;
    seal_n(tx, env, len, 500);
    for (int i = 0; i < 4; i++) {
        t[i] = (thr){redis_ctx(kr, r), env, len, 500, 0};
        pthread_create(&th[i], NULL, thr_main, &t[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        total += t[i].ok;
        mqttseal_ctx_free(t[i].rx);
    }
    assert_int_equal(total, 500);
    mqttseal_redis_free(r);
    mqttseal_ctx_free(tx);
    mqttseal_keyring_free(kr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(url_syntax),
        cmocka_unit_test(script_matches_model),
        cmocka_unit_test(same_answers_as_in_process),
        cmocka_unit_test(group_shares_state),
        cmocka_unit_test(entries_expire),
        cmocka_unit_test(auth_and_acl),
        cmocka_unit_test(unix_socket),
        cmocka_unit_test(down_then_back),
        cmocka_unit_test(noscript_falls_back),
        cmocka_unit_test(threads_share_one_handle),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
