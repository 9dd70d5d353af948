/* TLS to Redis (suite 'redis'), against a real redis-server with a TLS
 * port and certificates made for this run (mkcerts.sh): options and URLs,
 * replay state over TLS, a sniffer on the wire, every way the server's
 * or the client's certificate can be wrong (each refused, fail closed,
 * with its reason), plaintext and TLS crossed, a restart, certificate
 * files rotated between connections, and a fork. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <mqttseal/redis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "relay.h"
#include "tr.h"

#define PASSWORD "tls-s3cret-pw"

static tr_redis srv; /* TLS port, client certificates required, AUTH */
static char certs[300];

static int group_setup(void **state)
{
    char cmd[700];
    const char *mk = getenv("MQTTSEAL_MKCERTS");

    (void)state;
    if (mqttseal_init() != MQTTSEAL_OK || mk == NULL)
        return -1;
    snprintf(certs, sizeof certs, "%s/mqttseal-certs-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(certs) == NULL)
        return -1;
    snprintf(cmd, sizeof cmd, "sh '%s' '%s'", mk, certs);
    if (system(cmd) != 0)
        return -1;
    return tr_redis_start_tls(&srv, certs, "yes",
                              "requirepass " PASSWORD "\n"
                              "tls-ciphersuites TLS_AES_256_GCM_SHA384:"
                              "TLS_AES_128_GCM_SHA256");
}

static int group_teardown(void **state)
{
    char cmd[400];

    (void)state;
    tr_redis_stop(&srv);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", certs);
    return system(cmd) == 0 ? 0 : -1;
}

/* rediss://:PASSWORD@HOST:TLS_PORT?prefix=...&cacert=...&cert=...&key=...
 * then extra ("&sni=..."). */
static void tls_url(char *url, size_t cap, const char *host, int port,
                    const char *client, const char *extra)
{
    snprintf(url, cap,
             "rediss://:" PASSWORD "@%s:%d/0?prefix=tlsprefix&cacert=%s/"
             "ca.crt&cert=%s/%s.crt&key=%s/%s.key%s",
             host, port, certs, certs, client, certs, client,
             extra != NULL ? extra : "");
}

static void sleep_ms(long ms)
{
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

static mqttseal_redis *backend(const char *url)
{
    mqttseal_redis *r = NULL;
    mqttseal_diag d;

    if (mqttseal_redis_new_url(&r, url, &d) != MQTTSEAL_OK)
        fail_msg("%s: %s", url, d.message);
    return r;
}

static mqttseal_redis *good_backend(const char *extra)
{
    char url[1200];

    tls_url(url, sizeof url, "127.0.0.1", srv.tls_port, "client", extra);
    return backend(url);
}

static mqttseal_keyring *ring;

static mqttseal_ctx *ctx_with(mqttseal_redis *r)
{
    mqttseal_ctx *ctx = NULL;

    if (ring == NULL) {
        assert_int_equal(mqttseal_keyring_new(&ring), MQTTSEAL_OK);
        assert_int_equal(mqttseal_keyring_generate(ring, 3), MQTTSEAL_OK);
    }
    assert_int_equal(mqttseal_ctx_new(&ctx, ring), MQTTSEAL_OK);
    if (r != NULL)
        assert_int_equal(mqttseal_redis_attach(r, ctx), MQTTSEAL_OK);
    return ctx;
}

typedef struct sealed {
    unsigned char b[128];
    size_t n;
} sealed;

static sealed seal_one(mqttseal_ctx *tx, const char *payload)
{
    sealed s;

    assert_int_equal(mqttseal_seal(tx, s.b, sizeof s.b, &s.n, "site/t", 6,
                                   (const unsigned char *)payload,
                                   strlen(payload)),
                     MQTTSEAL_OK);
    return s;
}

/* Open; on any refusal nothing may be delivered. */
static int open_one(mqttseal_ctx *rx, const sealed *s)
{
    unsigned char out[128];
    size_t n = 77;
    int rc = mqttseal_open(rx, out, sizeof out, &n, "site/t", 6, s->b, s->n, 0,
                           NULL);

    if (rc != MQTTSEAL_OK)
        assert_int_equal(n, 0);
    return rc;
}

static void expect_refused(mqttseal_redis *r, const char *why)
{
    mqttseal_ctx *tx = ctx_with(NULL), *rx = ctx_with(r);
    sealed s = seal_one(tx, "must not pass");
    char err[256];

    assert_int_equal(open_one(rx, &s), MQTTSEAL_E_REPLAY_BACKEND);
    mqttseal_redis_last_error(r, err, sizeof err);
    if (getenv("MQTTSEAL_TEST_VERBOSE") != NULL)
        print_message("%s\n", err);
    if (strstr(err, why) == NULL)
        fail_msg("last error \"%s\" does not say \"%s\"", err, why);
    assert_null(strstr(err, PASSWORD));
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
}

/* ---- options and URLs ------------------------------------------------- */

static void tls_options_checked(void **state)
{
    char url[1200], bad[1200];
    static const struct {
        const char *url_tail, *why;
    } cases[] = {
        {"&cacert=/nonexistent/ca.crt", "CA file"},
        {"&cert=/nonexistent/c.crt", "client certificate"},
        {"&ciphers=NO-SUCH-CIPHER", "ciphers"},
        {"&ciphersuites=TLS_NO_SUCH", "ciphersuites"},
        {"&sni=", "empty TLS option"},
    };
    mqttseal_redis *r = NULL;
    mqttseal_diag d;
    mqttseal_redis_options o = {0};

    (void)state;
    tls_url(url, sizeof url, "127.0.0.1", srv.tls_port, "client", NULL);
    mqttseal_redis_free(backend(url));
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(bad, sizeof bad, "%s%s", url, cases[i].url_tail);
        assert_int_equal(mqttseal_redis_new_url(&r, bad, &d),
                         MQTTSEAL_E_INVALID);
        assert_null(r);
        if (getenv("MQTTSEAL_TEST_VERBOSE") != NULL)
            print_message("%s\n", d.message);
        if (strstr(d.message, cases[i].why) == NULL)
            fail_msg("%s: \"%s\" does not say \"%s\"", cases[i].url_tail,
                     d.message, cases[i].why);
    }
    /* A key that is not the certificate's. */
    snprintf(bad, sizeof bad,
             "rediss://127.0.0.1?cacert=%s/ca.crt&cert=%s/client.crt&key=%s/"
             "rogue-client.key",
             certs, certs, certs);
    assert_int_equal(mqttseal_redis_new_url(&r, bad, &d), MQTTSEAL_E_INVALID);
    if (strstr(d.message, "mismatch") == NULL)
        fail_msg("mismatched key: %s", d.message);
    /* TLS options on a plain URL, TLS over a unix socket, a certificate
     * without its key. */
    snprintf(bad, sizeof bad, "redis://127.0.0.1?cacert=%s/ca.crt", certs);
    assert_int_equal(mqttseal_redis_new_url(&r, bad, &d), MQTTSEAL_E_INVALID);
    assert_non_null(strstr(d.message, "rediss://"));
    o.tls = 1;
    o.unix_path = "/tmp/r.sock";
    assert_int_equal(mqttseal_redis_new(&r, &o, &d), MQTTSEAL_E_INVALID);
    assert_non_null(strstr(d.message, "unix socket"));
    o.unix_path = NULL;
    o.tls_cert = bad; /* any path: refused before it is read */
    assert_int_equal(mqttseal_redis_new(&r, &o, &d), MQTTSEAL_E_INVALID);
    assert_non_null(strstr(d.message, "needs its key"));
}

/* ---- replay state over TLS ------------------------------------------- */

/* The server offers AES-GCM suites only (group_setup): a client pinned
 * to ChaCha20 shares none, one pinned to AES-256-GCM connects. */
static void pinned_ciphers_work(void)
{
    mqttseal_redis *r =
        good_backend("&ciphersuites=TLS_CHACHA20_POLY1305_SHA256");

    expect_refused(r, "TLS");
    mqttseal_redis_free(r);
    r = good_backend("&ciphersuites=TLS_AES_256_GCM_SHA384");
    assert_int_equal(mqttseal_redis_ping(r), MQTTSEAL_OK);
    mqttseal_redis_free(r);
}

static void replay_state_over_tls(void **state)
{
    mqttseal_redis *r = good_backend(NULL);
    mqttseal_ctx *tx = ctx_with(NULL), *a = ctx_with(r), *b = ctx_with(r);
    mqttseal_redis_stats st;
    redisContext *c;
    redisReply *rep;
    sealed s[20];

    (void)state;
    assert_int_equal(mqttseal_redis_ping(r), MQTTSEAL_OK);
    for (int i = 0; i < 20; i++)
        s[i] = seal_one(tx, "over tls");
    pinned_ciphers_work();
    for (int i = 0; i < 20; i++)
        assert_int_equal(open_one(i % 2 ? a : b, &s[i]), MQTTSEAL_OK);
    for (int i = 0; i < 20; i++) /* each replay through the other one */
        assert_int_equal(open_one(i % 2 ? b : a, &s[i]), MQTTSEAL_E_REPLAY);
    mqttseal_redis_get_stats(r, &st);
    assert_int_equal(st.connects, 1);
    assert_int_equal(st.checks, 40);
    assert_int_equal(st.replays, 20);
    /* handshake + PING + one per check */
    assert_int_equal(st.round_trips, 2 + 40);
    /* The state is in Redis: one key under the prefix (plain port). */
    c = redisConnect("127.0.0.1", srv.port);
    assert_true(c != NULL && c->err == 0);
    rep = redisCommand(c, "AUTH %s", PASSWORD);
    freeReplyObject(rep);
    rep = redisCommand(c, "KEYS tlsprefix:*");
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_ARRAY);
    assert_int_equal(rep->elements, 1);
    freeReplyObject(rep);
    redisFree(c);
    mqttseal_ctx_free(a);
    mqttseal_ctx_free(b);
    mqttseal_ctx_free(tx);
    mqttseal_redis_free(r);
}

/* What a sniffer between consumer and Redis sees: over TLS neither the
 * password nor the key prefix; over the plain port (the control) both. */
static void wire_is_encrypted(void **state)
{
    char url[1200];

    (void)state;
    for (int tls = 1; tls >= 0; tls--) {
        relay rl;
        mqttseal_redis *r;
        mqttseal_ctx *tx = ctx_with(NULL), *rx;
        sealed s;

        assert_int_equal(relay_start(&rl, tls ? srv.tls_port : srv.port), 0);
        if (tls)
            tls_url(url, sizeof url, "127.0.0.1", rl.port, "client", NULL);
        else
            snprintf(url, sizeof url,
                     "redis://:" PASSWORD "@127.0.0.1:%d?prefix=tlsprefix",
                     rl.port);
        r = backend(url);
        rx = ctx_with(r);
        s = seal_one(tx, "sniffed?");
        assert_int_equal(open_one(rx, &s), MQTTSEAL_OK);
        mqttseal_ctx_free(rx);
        mqttseal_redis_free(r); /* closes: the relay ends */
        relay_stop(&rl);
        assert_true(rl.seen_len > 100);
        assert_int_equal(
            relay_saw(&rl, PASSWORD) && relay_saw(&rl, "tlsprefix"), !tls);
        assert_int_equal(relay_saw(&rl, "EVALSHA"), !tls);
        relay_free(&rl);
        mqttseal_ctx_free(tx);
    }
}

/* ---- refusals --------------------------------------------------------- */

static void server_certificate_refused(void **state)
{
    char url[1200];
    mqttseal_redis *r;

    (void)state;
    /* Signed by a CA we do not trust. */
    snprintf(url, sizeof url,
             "rediss://:" PASSWORD "@127.0.0.1:%d?cacert=%s/rogue-ca.crt&"
             "cert=%s/client.crt&key=%s/client.key",
             srv.tls_port, certs, certs, certs);
    r = backend(url);
    expect_refused(r, "certificate refused");
    mqttseal_redis_free(r);
    /* Trusted, but for another name. */
    r = good_backend("&sni=redis.example.org");
    expect_refused(r, "hostname mismatch");
    mqttseal_redis_free(r);
    /* By DNS name: the certificate names localhost. */
    tls_url(url, sizeof url, "localhost", srv.tls_port, "client", NULL);
    r = backend(url);
    assert_int_equal(mqttseal_redis_ping(r), MQTTSEAL_OK);
    mqttseal_redis_free(r);
    /* The CA from a hashed directory instead of a file. */
    snprintf(url, sizeof url,
             "rediss://:" PASSWORD "@127.0.0.1:%d?cacertdir=%s/cadir&cert=%s/"
             "client.crt&key=%s/client.key",
             srv.tls_port, certs, certs, certs);
    r = backend(url);
    assert_int_equal(mqttseal_redis_ping(r), MQTTSEAL_OK);
    mqttseal_redis_free(r);
    /* The system's CAs do not know our test CA. */
    snprintf(url, sizeof url,
             "rediss://:" PASSWORD "@127.0.0.1:%d?cert=%s/client.crt&key=%s/"
             "client.key",
             srv.tls_port, certs, certs);
    r = backend(url);
    expect_refused(r, "certificate refused");
    mqttseal_redis_free(r);
}

static void client_certificate_required(void **state)
{
    char url[1200];
    mqttseal_redis *r;

    (void)state;
    /* None: the server ends the session (TLS 1.3 tells after the
     * handshake, at the first read). */
    snprintf(url, sizeof url,
             "rediss://:" PASSWORD "@127.0.0.1:%d?cacert=%s/ca.crt",
             srv.tls_port, certs);
    r = backend(url);
    expect_refused(r, "TLS");
    mqttseal_redis_free(r);
    /* One from a CA the server does not trust. */
    tls_url(url, sizeof url, "127.0.0.1", srv.tls_port, "rogue-client", NULL);
    r = backend(url);
    expect_refused(r, "TLS");
    mqttseal_redis_free(r);
}

static void wrong_password_over_tls(void **state)
{
    char url[1200];
    mqttseal_redis *r;

    (void)state;
    snprintf(url, sizeof url,
             "rediss://:wrong@127.0.0.1:%d?cacert=%s/ca.crt&cert=%s/"
             "client.crt&key=%s/client.key",
             srv.tls_port, certs, certs, certs);
    r = backend(url);
    expect_refused(r, "AUTH");
    mqttseal_redis_free(r);
}

static void plaintext_and_tls_crossed(void **state)
{
    char url[1200];
    mqttseal_redis *r;

    (void)state;
    /* Plain RESP to the TLS port. */
    snprintf(url, sizeof url, "redis://:" PASSWORD "@127.0.0.1:%d?timeout=500",
             srv.tls_port);
    r = backend(url);
    expect_refused(r, "");
    mqttseal_redis_free(r);
    /* A TLS hello to the plain port. */
    tls_url(url, sizeof url, "127.0.0.1", srv.port, "client", "&timeout=500");
    r = backend(url);
    expect_refused(r, "TLS");
    mqttseal_redis_free(r);
}

/* ---- recovery, rotation, fork ----------------------------------------- */

static void restart_reconnects_with_tls(void **state)
{
    mqttseal_redis *r = good_backend("&retry=1");
    mqttseal_ctx *tx = ctx_with(NULL), *rx = ctx_with(r);
    mqttseal_redis_stats st;
    sealed s[3];

    (void)state;
    for (int i = 0; i < 3; i++)
        s[i] = seal_one(tx, "restart");
    assert_int_equal(open_one(rx, &s[0]), MQTTSEAL_OK);
    tr_redis_kill(&srv, SIGTERM);
    assert_int_equal(open_one(rx, &s[1]), MQTTSEAL_E_REPLAY_BACKEND);
    assert_int_equal(tr_redis_restart(&srv), 0);
    sleep_ms(5); /* past retry=1 ms */
    assert_int_equal(open_one(rx, &s[1]), MQTTSEAL_OK);
    assert_int_equal(open_one(rx, &s[2]), MQTTSEAL_OK);
    mqttseal_redis_get_stats(r, &st);
    assert_int_equal(st.connects, 2);
    mqttseal_ctx_free(rx);
    mqttseal_ctx_free(tx);
    mqttseal_redis_free(r);
}

/* cp certs/FROM certs/TO */
static void copy_cert(const char *from, const char *to)
{
    char cmd[900];

    snprintf(cmd, sizeof cmd, "cp '%s/%s' '%s/%s'", certs, from, certs, to);
    assert_int_equal(system(cmd), 0);
}

/* The client certificate files are read again at each reconnect. */
static void rotated_files_take_effect(void **state)
{
    char url[1200];
    mqttseal_redis *r;
    redisContext *c;

    (void)state;
    copy_cert("client.crt", "live.crt");
    copy_cert("client.key", "live.key");
    snprintf(url, sizeof url,
             "rediss://:" PASSWORD "@127.0.0.1:%d?cacert=%s/ca.crt&cert=%s/"
             "live.crt&key=%s/live.key&retry=1",
             srv.tls_port, certs, certs, certs);
    r = backend(url);
    assert_int_equal(mqttseal_redis_ping(r), MQTTSEAL_OK);
    /* Swap in a certificate the server does not trust, then cut the
     * connection from the server side: the reconnect presents it. */
    copy_cert("rogue-client.crt", "live.crt");
    copy_cert("rogue-client.key", "live.key");
    c = redisConnect("127.0.0.1", srv.port);
    assert_true(c != NULL && c->err == 0);
    freeReplyObject(redisCommand(c, "AUTH %s", PASSWORD));
    freeReplyObject(redisCommand(c, "CLIENT KILL TYPE normal SKIPME yes"));
    redisFree(c);
    sleep_ms(5);
    expect_refused(r, "TLS");
    /* And back: the next reconnect presents the trusted one again. */
    copy_cert("client.crt", "live.crt");
    copy_cert("client.key", "live.key");
    sleep_ms(5);
    assert_int_equal(mqttseal_redis_ping(r), MQTTSEAL_OK);
    mqttseal_redis_free(r);
}

/* A child of fork() opens its own connection; the parent's stays whole
 * (one connect in the parent, no error, its next open fine). */
static void fork_gets_own_connection(void **state)
{
    mqttseal_redis *r = good_backend(NULL);
    mqttseal_ctx *tx = ctx_with(NULL), *rx = ctx_with(r);
    mqttseal_redis_stats st;
    sealed s[3];
    char err[256];
    pid_t pid;
    int status;

    (void)state;
    for (int i = 0; i < 3; i++)
        s[i] = seal_one(tx, "fork");
    assert_int_equal(open_one(rx, &s[0]), MQTTSEAL_OK);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        mqttseal_redis_stats cst;
        int ok =
            mqttseal_open(rx, (unsigned char[128]){0}, 128, &(size_t){0},
                          "site/t", 6, s[1].b, s[1].n, 0, NULL) == MQTTSEAL_OK;

        mqttseal_redis_get_stats(r, &cst);
        _exit(ok && cst.connects == 2 ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* The child's message is known to the group; the parent's own next
     * one goes through on the connection it always had. */
    assert_int_equal(open_one(rx, &s[1]), MQTTSEAL_E_REPLAY);
    assert_int_equal(open_one(rx, &s[2]), MQTTSEAL_OK);
    mqttseal_redis_get_stats(r, &st);
    assert_int_equal(st.connects, 1);
    mqttseal_redis_last_error(r, err, sizeof err);
    assert_string_equal(err, "");
    mqttseal_ctx_free(rx);
    mqttseal_ctx_free(tx);
    mqttseal_redis_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tls_options_checked),
        cmocka_unit_test(replay_state_over_tls),
        cmocka_unit_test(wire_is_encrypted),
        cmocka_unit_test(server_certificate_refused),
        cmocka_unit_test(client_certificate_required),
        cmocka_unit_test(wrong_password_over_tls),
        cmocka_unit_test(plaintext_and_tls_crossed),
        cmocka_unit_test(restart_reconnects_with_tls),
        cmocka_unit_test(rotated_files_take_effect),
        cmocka_unit_test(fork_gets_own_connection),
    };
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);

    if (ring != NULL)
        mqttseal_keyring_free(ring);
    return rc;
}
