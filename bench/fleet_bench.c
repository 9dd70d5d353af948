/*
 * Fleet-scale costs and losses of a receiving context (issue 11):
 *   1. open cost against the number of distinct topics (key cache),
 *   2. legitimate messages lost against the number of senders and under
 *      churn, with and without timestamps (virtual clock),
 *   3. receiver memory after each scenario,
 *   4. the fork check's share of a seal; seal and open against raw
 *      XChaCha20-Poly1305 at 64 bytes,
 *   5. CPU per forged open on a 65,535-byte topic, and a sealing
 *      thread's latency while another thread opens forged messages.
 *
 * The machine is noisy, so per-operation costs are instruction counts:
 * under callgrind (bench/fleet_bench.sh) each measured loop is bracketed
 * by client requests and dumped with a label "fb:NAME:ITERATIONS"; the
 * script divides and prints the ratios. Run natively, those loops still
 * run and check their results, but print nothing (no timings).
 *
 *   fleet_bench [--smoke] [--counts] [--fleet] [--latency]
 * With no part named, every part runs. --smoke uses tiny sizes and
 * exits non-zero if an outcome that is not a timing is wrong (a
 * legitimate message lost with fleet defaults, a forged open accepted).
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "ctx.h"
#include "mqttseal/mqttseal.h"

#ifdef FLEET_BENCH_CALLGRIND
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#endif

#define T0_MS 1767225600000ULL /* 2026-01-01, the virtual clock's start */
#define PERIOD_MS 60000U
#define MSG64 64U
#define TOPIC64 "site/a/line1/press"

static int smoke;
static int failures;
static unsigned char root[MQTTSEAL_KEYBYTES];

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static void die(const char *what, int rc)
{
    fprintf(stderr, "fleet_bench: %s: %s\n", what, mqttseal_strerror(rc));
    exit(2);
}

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fleet_bench: FAILED: %s\n", what);
        failures++;
    }
}

static mqttseal_ctx *make_ctx(void)
{
    mqttseal_keyring *kr = NULL;
    mqttseal_ctx *ctx = NULL;
    int rc = mqttseal_keyring_new(&kr);

    if (rc == MQTTSEAL_OK)
        rc = mqttseal_keyring_add(kr, 1, "#", root, 0);
    if (rc == MQTTSEAL_OK)
        rc = mqttseal_keyring_set_primary(kr, 1);
    if (rc == MQTTSEAL_OK)
        rc = mqttseal_ctx_new(&ctx, kr);
    if (rc != MQTTSEAL_OK)
        die("context", rc);
    mqttseal_keyring_free(kr);
    return ctx;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);

    if (p == NULL)
        die("malloc", MQTTSEAL_E_NOMEM);
    return p;
}

/* Bracket a measured loop: only it is counted, dumped under a label. */
static void count_begin(void)
{
    CALLGRIND_START_INSTRUMENTATION;
    CALLGRIND_ZERO_STATS;
}

static void count_end(const char *name, unsigned long iters)
{
    char label[128];

    snprintf(label, sizeof label, "fb:%s:%lu", name, iters);
    CALLGRIND_DUMP_STATS_AT(label);
    CALLGRIND_STOP_INSTRUMENTATION;
}

static long rss_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* 1. Open cost against the number of distinct topics                  */
/* ------------------------------------------------------------------ */

typedef struct sealed {
    char topic[32];
    size_t tlen;
    unsigned char env[MQTTSEAL_SEALED_BYTES(MSG64)];
    size_t len;
} sealed;

/* Replay protection is off on the receiver, so the one envelope sealed
 * per topic can be opened again on every round: only the key lookup
 * changes with the number of topics. */
static void open_cost(mqttseal_ctx *sender, size_t topics, size_t iters)
{
    sealed *s = xmalloc(topics * sizeof *s);
    unsigned char msg[MSG64] = {0}, out[MSG64];
    mqttseal_ctx *rx = make_ctx();
    char name[32];
    size_t n;
    int rc, bad = 0;

    if (mqttseal_ctx_set_replay(rx, 0, 64, 1024) != MQTTSEAL_OK)
        die("set_replay", MQTTSEAL_E_INVALID);
    for (size_t i = 0; i < topics; i++) {
        s[i].tlen =
            (size_t)snprintf(s[i].topic, sizeof s[i].topic, "site/%zu/temp", i);
        rc = mqttseal_seal(sender, s[i].env, sizeof s[i].env, &s[i].len,
                           s[i].topic, s[i].tlen, msg, sizeof msg);
        if (rc != MQTTSEAL_OK)
            die("seal", rc);
    }
    for (size_t i = 0; i < topics; i++) /* warm-up: fills the cache */
        bad |= mqttseal_open(rx, out, sizeof out, &n, s[i].topic, s[i].tlen,
                             s[i].env, s[i].len, 0, NULL);
    count_begin();
    for (size_t i = 0, t = 0; i < iters; i++) {
        bad |= mqttseal_open(rx, out, sizeof out, &n, s[t].topic, s[t].tlen,
                             s[t].env, s[t].len, 0, NULL);
        t = t + 1 == topics ? 0 : t + 1;
    }
    snprintf(name, sizeof name, "open_topics_%zu", topics);
    count_end(name, (unsigned long)iters);
    check(bad == 0, "every open of an authentic envelope succeeds");
    mqttseal_ctx_free(rx);
    free(s);
}

static void part_open_cost(void)
{
    static const size_t full[] = {1, 256, 257, 10000, 100000};
    static const size_t tiny[] = {1, 100};
    const size_t *t = smoke ? tiny : full;
    size_t nt = smoke ? 2 : 5, min_iters = smoke ? 200 : 20000;
    mqttseal_ctx *sender = make_ctx();

    for (size_t i = 0; i < nt; i++)
        open_cost(sender, t[i], t[i] > min_iters ? t[i] : min_iters);
    mqttseal_ctx_free(sender);
}

/* ------------------------------------------------------------------ */
/* 2 and 3. Losses and memory: many senders, churn                     */
/* ------------------------------------------------------------------ */

typedef struct fleet {
    mqttseal_ctx *sender; /* seals every simulated sender's messages */
    mqttseal_ctx *rx;
    int timestamps;
    unsigned long sent, lost;
    long rss0;
} fleet;

static void fleet_begin(fleet *f, mqttseal_ctx *sender, int timestamps)
{
    memset(f, 0, sizeof *f);
    f->sender = sender;
    f->timestamps = timestamps;
    f->rss0 = rss_kib();
    f->rx = make_ctx();
    if (timestamps && mqttseal_ctx_use_fleet_defaults(f->rx) != MQTTSEAL_OK)
        die("fleet defaults", MQTTSEAL_E_INVALID);
}

/* Message seq of session (device, run) on device's topic at virtual
 * time t_ms, sealed with explicit fields and opened by the receiver. */
static void fleet_send(fleet *f, uint64_t device, uint32_t run, uint64_t seq,
                       uint64_t t_ms)
{
    unsigned char msg[16] = {0}, env[MQTTSEAL_SEALED_BYTES(16)], out[16];
    mqttseal_header h;
    char topic[32];
    size_t tlen, n;
    int rc;

    memset(&h, 0, sizeof h);
    h.version = 1;
    h.suite = 1;
    h.key_id = 1;
    memcpy(h.session_id, &device, sizeof device);
    memcpy(h.session_id + sizeof device, &run, sizeof run);
    h.seq = seq;
    h.has_timestamp = f->timestamps;
    h.timestamp_ms = f->timestamps ? t_ms : 0;
    tlen = (size_t)snprintf(topic, sizeof topic, "site/%llu/temp",
                            (unsigned long long)device);
    ms_clock_set_fake(t_ms);
    rc = ms_test_seal_fields(f->sender, env, sizeof env, &n, topic, tlen, msg,
                             sizeof msg, &h);
    if (rc != MQTTSEAL_OK)
        die("ms_test_seal_fields", rc);
    f->sent++;
    if (mqttseal_open(f->rx, out, sizeof out, &n, topic, tlen, env, n, 0,
                      NULL) != MQTTSEAL_OK)
        f->lost++;
}

static void fleet_end(fleet *f, const char *scenario)
{
    mqttseal_stats st;
    long rss = rss_kib();

    if (mqttseal_ctx_stats(f->rx, &st) != MQTTSEAL_OK)
        die("stats", MQTTSEAL_E_INVALID);
    printf("fleet\t%s\t%s\tsent=%lu\tlost=%lu\trefused_by=", scenario,
           f->timestamps ? "fleet-defaults" : "no-timestamps", f->sent,
           f->lost);
    int any = 0;
    for (unsigned c = 1; c < MQTTSEAL_ERR_COUNT; c++)
        if (st.refused_by[c] != 0) {
            printf("%s%s:%llu", any ? "," : "", mqttseal_strerror((int)c),
                   (unsigned long long)st.refused_by[c]);
            any = 1;
        }
    printf("%s\ttracked=%llu\tremembered=%llu\tforgotten=%llu\t"
           "dropped=%llu\treplay_bytes=%llu\tcache_entries=%llu\t"
           "cache_bytes=%llu\trss_kib=%ld\trss_delta_kib=%ld\n",
           any ? "" : "none", (unsigned long long)st.replay_tracked,
           (unsigned long long)st.replay_remembered,
           (unsigned long long)st.replay_forgotten,
           (unsigned long long)st.replay_dropped,
           (unsigned long long)st.replay_bytes,
           (unsigned long long)st.cache_entries,
           (unsigned long long)st.cache_bytes, rss, rss - f->rss0);
    if (f->timestamps)
        check(f->lost == 0, "no legitimate message lost with fleet defaults");
    mqttseal_ctx_free(f->rx);
    ms_clock_set_fake(0);
}

/* senders senders, 3 messages each, round robin over a 60 s period. */
static void fleet_senders(mqttseal_ctx *sender, uint64_t senders, int ts)
{
    fleet f;
    char name[64];

    fleet_begin(&f, sender, ts);
    for (uint64_t r = 0; r < 3; r++)
        for (uint64_t i = 0; i < senders; i++)
            fleet_send(&f, i, 0, r,
                       T0_MS + r * PERIOD_MS + i * PERIOD_MS / senders);
    snprintf(name, sizeof name, "senders=%llu", (unsigned long long)senders);
    fleet_end(&f, name);
}

/* devices devices, each restarting restarts times (a new session every
 * 60 s of virtual time), sending 1 to 3 messages per run. */
static void fleet_churn(mqttseal_ctx *sender, uint64_t devices,
                        uint32_t restarts, int ts)
{
    fleet f;
    char name[64];

    fleet_begin(&f, sender, ts);
    for (uint32_t run = 0; run < restarts; run++)
        for (uint64_t d = 0; d < devices; d++) {
            uint64_t t = T0_MS + (uint64_t)run * PERIOD_MS +
                         d * (PERIOD_MS / 2) / devices;
            for (uint64_t k = 0; k < 1 + (d + run) % 3; k++)
                fleet_send(&f, d, run, k, t + k * 1000U);
        }
    snprintf(name, sizeof name, "churn=%llux%u", (unsigned long long)devices,
             restarts);
    fleet_end(&f, name);
}

static void part_fleet(void)
{
    static const uint64_t full[] = {1000, 10000, 50000, 100000};
    static const uint64_t tiny[] = {1000};
    const uint64_t *s = smoke ? tiny : full;
    size_t ns = smoke ? 1 : 4;
    mqttseal_ctx *sender = make_ctx();

    printf("replay_session_bytes_64=%zu\treplay_remembered_bytes=%zu\n",
           mqttseal_replay_session_bytes(64),
           mqttseal_replay_remembered_bytes());
    for (int ts = 1; ts >= 0; ts--) {
        for (size_t i = 0; i < ns; i++)
            fleet_senders(sender, s[i], ts);
        fleet_churn(sender, smoke ? 10 : 100, smoke ? 100 : 1000, ts);
    }
    mqttseal_ctx_free(sender);
}

/* ------------------------------------------------------------------ */
/* 4. Seal and open at 64 bytes against raw AEAD; the fork check        */
/* ------------------------------------------------------------------ */

static void part_seal_open(void)
{
    size_t iters = smoke ? 200 : 20000, n;
    unsigned char key[32], nonce[24] = {0}, msg[MSG64] = {1}, out[MSG64 + 64];
    unsigned char(*ct)[MSG64 + 16] = xmalloc(iters * sizeof *ct);
    unsigned char(*ct_ad)[MSG64 + 16] = xmalloc(iters * sizeof *ct_ad);
    unsigned char ad[50] = {0};
    sealed *s = xmalloc(iters * sizeof *s);
    mqttseal_ctx *tx = make_ctx(), *rx = make_ctx();
    int bad = 0;

    crypto_aead_xchacha20poly1305_ietf_keygen(key);
    for (uint64_t i = 0; i < iters; i++) {
        memcpy(nonce, &i, sizeof i);
        crypto_aead_xchacha20poly1305_ietf_encrypt(ct[i], NULL, msg, MSG64,
                                                   NULL, 0, NULL, nonce, key);
        crypto_aead_xchacha20poly1305_ietf_encrypt(
            ct_ad[i], NULL, msg, MSG64, ad, sizeof ad, NULL, nonce, key);
    }
    /* Warm-up: the topic's key is cached on both sides. */
    bad |= mqttseal_seal(tx, out, sizeof out, &n, TOPIC64, sizeof TOPIC64 - 1,
                         msg, MSG64);
    bad |= mqttseal_open(rx, out, sizeof out, &n, TOPIC64, sizeof TOPIC64 - 1,
                         out, n, 0, NULL);

    count_begin();
    for (uint64_t i = 0; i < iters; i++) {
        memcpy(nonce, &i, sizeof i);
        crypto_aead_xchacha20poly1305_ietf_encrypt(out, NULL, msg, MSG64, NULL,
                                                   0, NULL, nonce, key);
    }
    count_end("raw_encrypt_64", (unsigned long)iters);

    count_begin();
    for (uint64_t i = 0; i < iters; i++) {
        memcpy(nonce, &i, sizeof i);
        bad |= crypto_aead_xchacha20poly1305_ietf_decrypt(
            out, NULL, NULL, ct[i], MSG64 + 16, NULL, 0, nonce, key);
    }
    count_end("raw_decrypt_64", (unsigned long)iters);

    /* The same with associated data as long as a seal's (11-byte label,
     * 19-byte header, 2-byte length, 18-byte topic): what the AEAD alone
     * costs for what mqttseal authenticates. */
    count_begin();
    for (uint64_t i = 0; i < iters; i++) {
        memcpy(nonce, &i, sizeof i);
        crypto_aead_xchacha20poly1305_ietf_encrypt(out, NULL, msg, MSG64, ad,
                                                   sizeof ad, NULL, nonce, key);
    }
    count_end("raw_encrypt_64_ad50", (unsigned long)iters);

    count_begin();
    for (uint64_t i = 0; i < iters; i++) {
        memcpy(nonce, &i, sizeof i);
        bad |= crypto_aead_xchacha20poly1305_ietf_decrypt(
            out, NULL, NULL, ct_ad[i], MSG64 + 16, ad, sizeof ad, nonce, key);
    }
    count_end("raw_decrypt_64_ad50", (unsigned long)iters);

    count_begin();
    for (size_t i = 0; i < iters; i++)
        bad |= mqttseal_seal(tx, s[i].env, sizeof s[i].env, &s[i].len, TOPIC64,
                             sizeof TOPIC64 - 1, msg, MSG64);
    count_end("seal_64", (unsigned long)iters);

    /* Replay protection on (the default): each envelope is new. */
    count_begin();
    for (size_t i = 0; i < iters; i++)
        bad |= mqttseal_open(rx, out, sizeof out, &n, TOPIC64,
                             sizeof TOPIC64 - 1, s[i].env, s[i].len, 0, NULL);
    count_end("open_64", (unsigned long)iters);

    check(bad == 0, "64-byte seals and opens succeed");
    mqttseal_ctx_free(tx);
    mqttseal_ctx_free(rx);
    free(s);
    free(ct);
    free(ct_ad);
}

/* ------------------------------------------------------------------ */
/* 5. Forged opens on long topics; a sealer's latency meanwhile         */
/* ------------------------------------------------------------------ */

typedef struct forged {
    char *topic;
    size_t tlen;
    unsigned char env[MQTTSEAL_OVERHEAD_MIN];
    size_t len;
} forged;

/* levels levels: the first levels-1 of short_len bytes, the last filling
 * the topic up to total bytes. */
static char *long_topic(unsigned levels, size_t short_len, size_t total,
                        size_t *tlen)
{
    char *t = xmalloc(total + 1);
    size_t p = 0;

    for (unsigned l = 0; l + 1 < levels; l++) {
        memset(t + p, 'a' + (int)(l % 26), short_len);
        p += short_len;
        t[p++] = '/';
    }
    memset(t + p, 'z', total - p);
    t[total] = '\0';
    *tlen = total;
    return t;
}

/* A valid 33-byte header and a tag that is not the topic's: an empty
 * message sealed for another topic, offered on this one. */
static void forge(forged *f, mqttseal_ctx *tx, char *topic, size_t tlen)
{
    int rc =
        mqttseal_seal(tx, f->env, sizeof f->env, &f->len, "other", 5, NULL, 0);

    if (rc != MQTTSEAL_OK)
        die("seal", rc);
    f->topic = topic;
    f->tlen = tlen;
}

static int forged_open(mqttseal_ctx *rx, const forged *f)
{
    unsigned char out[16];
    size_t n;

    return mqttseal_open(rx, out, sizeof out, &n, f->topic, f->tlen, f->env,
                         f->len, 0, NULL);
}

static void forged_cost(mqttseal_ctx *rx, const forged *f, const char *name,
                        unsigned long iters, int want)
{
    int wrong = 0;

    (void)forged_open(rx, f); /* warm-up */
    count_begin();
    for (unsigned long i = 0; i < iters; i++)
        wrong |= forged_open(rx, f) != want;
    count_end(name, iters);
    check(!wrong, "each forged open is refused with the expected code");
}

static forged wide, deep, over, shortf;

static void make_forgeries(mqttseal_ctx *tx)
{
    size_t len;
    char *t;

    /* 128 levels of 511 bytes: 128 * 511 + 127 = 65535. */
    t = long_topic(128, 511, MQTTSEAL_TOPIC_MAX, &len);
    forge(&wide, tx, t, len);
    /* 127 one-byte levels and one of 65,281 bytes. */
    t = long_topic(128, 1, MQTTSEAL_TOPIC_MAX, &len);
    forge(&deep, tx, t, len);
    /* 129 levels: over the default limit. */
    t = long_topic(129, 1, MQTTSEAL_TOPIC_MAX, &len);
    forge(&over, tx, t, len);
    t = strdup(TOPIC64);
    if (t == NULL)
        die("strdup", MQTTSEAL_E_NOMEM);
    forge(&shortf, tx, t, sizeof TOPIC64 - 1);
}

static void part_forged_cost(void)
{
    unsigned long iters = smoke ? 5 : 200;
    mqttseal_ctx *rx = make_ctx();

    forged_cost(rx, &shortf, "forged_short_topic", iters * 10, MQTTSEAL_E_AUTH);
    forged_cost(rx, &wide, "forged_65535_128x511", iters, MQTTSEAL_E_AUTH);
    forged_cost(rx, &deep, "forged_65535_127x1_1x65281", iters,
                MQTTSEAL_E_AUTH);
    forged_cost(rx, &over, "forged_65535_129_levels", iters * 10,
                MQTTSEAL_E_TOPIC_DEPTH);
    mqttseal_ctx_free(rx);
}

typedef struct forger_arg {
    mqttseal_ctx *ctx;
    const forged *f;
    _Atomic int stop;
    _Atomic int started;
    unsigned long opens, accepted;
} forger_arg;

static void *forger(void *p)
{
    forger_arg *a = p;

    atomic_store(&a->started, 1);
    while (!atomic_load(&a->stop)) {
        a->accepted += forged_open(a->ctx, a->f) == MQTTSEAL_OK;
        a->opens++;
    }
    return NULL;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;

    return (a > b) - (a < b);
}

/* A sealing thread (this one) on the context a forger may be hammering. */
static void seal_latency(mqttseal_ctx *ctx, const forged *f, int with_forger,
                         int rep)
{
    size_t n = smoke ? 2000 : 200000, len;
    double *lat = xmalloc(n * sizeof *lat), t_start, secs;
    unsigned char msg[MSG64] = {2}, out[MQTTSEAL_SEALED_BYTES(MSG64)];
    forger_arg a = {.ctx = ctx, .f = f};
    pthread_t th;
    int bad = 0;

    if (with_forger) {
        if (pthread_create(&th, NULL, forger, &a) != 0)
            die("pthread_create", MQTTSEAL_E_NOMEM);
        while (!atomic_load(&a.started))
            ;
    }
    t_start = now_ns();
    for (size_t i = 0; i < n; i++) {
        double t0 = now_ns();

        bad |= mqttseal_seal(ctx, out, sizeof out, &len, "site/a/temp", 11, msg,
                             sizeof msg);
        lat[i] = now_ns() - t0;
    }
    secs = (now_ns() - t_start) / 1e9;
    if (with_forger) {
        atomic_store(&a.stop, 1);
        pthread_join(th, NULL);
    }
    qsort(lat, n, sizeof *lat, cmp_double);
    printf("latency\trep=%d\tforger=%s\tseals=%zu\tp50_ns=%.0f\tp99_ns=%.0f\t"
           "forged_opens=%lu\tforged_per_s=%.0f\n",
           rep, with_forger ? "on" : "off", n, lat[n / 2], lat[n * 99 / 100],
           a.opens, (double)a.opens / secs);
    check(!bad, "seals succeed while forged opens run");
    check(a.accepted == 0, "no forged open is accepted");
    check(!with_forger || a.opens > 0, "the forger ran");
    free(lat);
}

static void part_latency(void)
{
    mqttseal_ctx *ctx = make_ctx();

    for (int rep = 1; rep <= 3; rep++) {
        seal_latency(ctx, &wide, 0, rep);
        seal_latency(ctx, &wide, 1, rep);
    }
    mqttseal_ctx_free(ctx);
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    int counts = 0, fleet_part = 0, latency = 0;
    mqttseal_ctx *tx;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--smoke") == 0)
            smoke = 1;
        else if (strcmp(argv[i], "--counts") == 0)
            counts = 1;
        else if (strcmp(argv[i], "--fleet") == 0)
            fleet_part = 1;
        else if (strcmp(argv[i], "--latency") == 0)
            latency = 1;
        else {
            fprintf(stderr, "usage: fleet_bench [--smoke] [--counts] "
                            "[--fleet] [--latency]\n");
            return 2;
        }
    }
    if (!counts && !fleet_part && !latency)
        counts = fleet_part = latency = 1;
    if (mqttseal_init() != MQTTSEAL_OK)
        die("init", MQTTSEAL_E_CRYPTO);
    randombytes_buf(root, sizeof root);
    tx = make_ctx();
    make_forgeries(tx);
    if (counts) {
        part_open_cost();
        part_seal_open();
        part_forged_cost();
    }
    if (fleet_part)
        part_fleet();
    if (latency)
        part_latency();
    mqttseal_ctx_free(tx);
    free(wide.topic);
    free(deep.topic);
    free(over.topic);
    free(shortf.topic);
    if (failures) {
        fprintf(stderr, "fleet_bench: %d check(s) failed\n", failures);
        return 1;
    }
    printf("fleet_bench: all checks passed\n");
    return 0;
}
