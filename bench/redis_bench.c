/*
 * What the Redis replay backend costs (issue 15), in one run:
 *
 * 1. per opened message, Redis state (plain TCP, and TLS) against
 *    in-process state: CPU of this process (getrusage) and of
 *    redis-server (INFO cpu), wall time, and Redis round trips (the
 *    backend's counters, confirmed by INFO commandstats);
 * 2. group throughput: `mqttseal sub --replay-redis` consumers (1, 2, 3,
 *    and 3 over TLS) on $share/g/site/#, one `mqttseal pub -l` publisher
 *    at QoS 1, in messages per second fully received, with the CPU each
 *    process used, so that the output says what limits them.
 *
 * A private redis-server (a plain and a TLS port, certificates made by
 * tests/redis/mkcerts.sh for the run) and mosquitto on free 127.0.0.1
 * ports, stopped by their pid.
 * Run: build/bench/redis_bench CLI [open_n] [group_n]
 */
#define _DEFAULT_SOURCE /* wait4 */
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mqttseal/redis.h>

#include "tb.h"
#include "tr.h"

#define ENV_CAP 160
#define MAX_CONSUMERS 3

extern char **environ;

/* argv strings for the spawned CLI (posix_spawn wants char *). */
static char cli[512], keyring[300], portbuf[16], url[1200];

static double now_s(void)
{
    return (double)tb_now_ms() / 1000.0;
}

static double rusage_s(const struct rusage *u)
{
    return (double)u->ru_utime.tv_sec + (double)u->ru_utime.tv_usec / 1e6 +
           (double)u->ru_stime.tv_sec + (double)u->ru_stime.tv_usec / 1e6;
}

static double self_cpu_s(void)
{
    struct rusage u;

    getrusage(RUSAGE_SELF, &u);
    return rusage_s(&u);
}

/* A number after "name" in an INFO section (name includes ':' or '='). */
static double info_num(redisContext *c, const char *section, const char *name)
{
    redisReply *rep = redisCommand(c, "INFO %s", section);
    double v = 0;
    const char *p;

    if (rep != NULL && rep->type == REDIS_REPLY_STRING &&
        (p = strstr(rep->str, name)) != NULL)
        v = strtod(p + strlen(name), NULL);
    freeReplyObject(rep);
    return v;
}

static double redis_cpu_s(redisContext *c)
{
    return info_num(c, "cpu", "used_cpu_user:") +
           info_num(c, "cpu", "used_cpu_sys:");
}

static double script_calls(redisContext *c)
{
    return info_num(c, "commandstats", "cmdstat_evalsha:calls=") +
           info_num(c, "commandstats", "cmdstat_eval:calls=");
}

/* CPU seconds of another process (utime + stime from /proc). */
static double proc_cpu_s(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long ut = 0, st = 0;
    size_t n;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    if ((p = strrchr(buf, ')')) == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- 1. cost per opened message --------------------------------------- */

typedef struct open_cost {
    double cpu_us, wall_us, server_us, trips, calls;
} open_cost;

/* A context whose replay state is in Redis at rurl (pinged). */
static mqttseal_ctx *redis_ctx(mqttseal_keyring *kr, const char *rurl,
                               mqttseal_redis **r)
{
    mqttseal_ctx *ctx = tb_ctx(kr);
    mqttseal_diag d;

    if (mqttseal_redis_new_url(r, rurl, &d) != MQTTSEAL_OK ||
        mqttseal_redis_attach(*r, ctx) != MQTTSEAL_OK ||
        mqttseal_redis_ping(*r) != MQTTSEAL_OK) {
        fprintf(stderr, "redis_bench: %s: %s\n", rurl, d.message);
        exit(1);
    }
    return ctx;
}

static void print_redis_cost(const char *what, const open_cost *a,
                             const open_cost *b, mqttseal_redis *r, int n)
{
    mqttseal_redis_stats st;

    mqttseal_redis_get_stats(r, &st);
    printf("   %-17s %7.2f us CPU here + %.2f us in redis-server, "
           "%7.2f us wall\n",
           what, b->cpu_us, b->server_us, b->wall_us);
    printf("                     %.3f round trips/message (backend counters: "
           "%llu round trips after %llu connect(s) for %llu checks)\n",
           (double)(st.round_trips - st.connects) / n,
           (unsigned long long)(st.round_trips - st.connects),
           (unsigned long long)st.connects, (unsigned long long)st.checks);
    printf("                     %.3f EVALSHA/EVAL calls/message (INFO "
           "commandstats), %llu NOSCRIPT\n",
           b->calls, (unsigned long long)st.noscript);
    printf("                     ratio to in-process: %.1fx CPU here, %.1fx "
           "CPU in all, %.1fx wall\n",
           b->cpu_us / a->cpu_us, (b->cpu_us + b->server_us) / a->cpu_us,
           b->wall_us / a->wall_us);
}

static open_cost open_all(mqttseal_ctx *rx, unsigned char (*env)[ENV_CAP],
                          const size_t *len, int n, redisContext *info)
{
    open_cost k;
    double w0 = now_s(), c0 = self_cpu_s(), s0 = redis_cpu_s(info);
    double calls0 = script_calls(info);

    for (int i = 0; i < n; i++) {
        unsigned char out[ENV_CAP];
        size_t m;

        if (mqttseal_open(rx, out, sizeof out, &m, "site/t", 6, env[i], len[i],
                          0, NULL) != MQTTSEAL_OK) {
            fprintf(stderr, "redis_bench: open %d failed\n", i);
            exit(1);
        }
    }
    k.cpu_us = (self_cpu_s() - c0) * 1e6 / n;
    k.wall_us = (now_s() - w0) * 1e6 / n;
    k.server_us = (redis_cpu_s(info) - s0) * 1e6 / n;
    k.calls = (script_calls(info) - calls0) / n;
    k.trips = 0;
    return k;
}

static void bench_open(const tr_redis *srv, const char *tls_base, int n)
{
    mqttseal_keyring *kr = tb_keyring_root(1);
    mqttseal_ctx *tx = tb_ctx(kr), *local = tb_ctx(kr), *shared, *over_tls;
    unsigned char(*env)[ENV_CAP] = malloc((size_t)n * ENV_CAP);
    size_t *len = malloc((size_t)n * sizeof *len);
    redisContext *info = redisConnect("127.0.0.1", srv->port);
    mqttseal_redis *r = NULL, *rt = NULL;
    char rurl[1200];
    open_cost a, b, t;

    if (env == NULL || len == NULL || info == NULL || info->err != 0) {
        fprintf(stderr, "redis_bench: setup failed\n");
        exit(1);
    }
    snprintf(rurl, sizeof rurl, "%s?prefix=bench-open", srv->url);
    shared = redis_ctx(kr, rurl, &r);
    snprintf(rurl, sizeof rurl, "%s&prefix=bench-open-tls", tls_base);
    over_tls = redis_ctx(kr, rurl, &rt);
    for (int i = 0; i < n; i++)
        if (mqttseal_seal(tx, env[i], ENV_CAP, &len[i], "site/t", 6,
                          (const unsigned char *)"0123456789abcdef0123456789"
                                                 "abcdef0123456789abcdef01"
                                                 "23456789abcdef",
                          64) != MQTTSEAL_OK)
            exit(1);
    a = open_all(local, env, len, n, info);
    b = open_all(shared, env, len, n, info);
    t = open_all(over_tls, env, len, n, info);
    printf("1. Cost per opened message (%d messages, 64-byte payload, one "
           "process, Redis on 127.0.0.1)\n",
           n);
    printf("   in-process state: %7.2f us CPU, %7.2f us wall, 0 round trips\n",
           a.cpu_us, a.wall_us);
    print_redis_cost("Redis, TCP:", &a, &b, r, n);
    print_redis_cost("Redis, TLS 1.3:", &a, &t, rt, n);
    printf("   TLS/TCP: %.2fx CPU here, %.2fx CPU in redis-server, %.2fx "
           "wall\n",
           t.cpu_us / b.cpu_us, t.server_us / b.server_us,
           t.wall_us / b.wall_us);
    printf("   (the wall time is the round trip: the open waits for the "
           "script's answer\n    on one connection, so one thread opens "
           "at most 1 / wall messages per second)\n\n");
    mqttseal_redis_free(r);
    mqttseal_redis_free(rt);
    redisFree(info);
    free(env);
    free(len);
    mqttseal_ctx_free(over_tls);
    mqttseal_ctx_free(shared);
    mqttseal_ctx_free(local);
    mqttseal_ctx_free(tx);
    mqttseal_keyring_free(kr);
}

/* ---- 2. group throughput ------------------------------------------------ */

typedef struct consumer {
    pid_t pid;
    char out[300];
    long off, lines;
    int bol;      /* at the start of a line */
    size_t k;     /* bytes of this line seen (a line can arrive in two */
    char head[5]; /* reads: both persist between polls) */
} consumer;

static pid_t spawn(char *const argv[], const char *in, const char *out)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int rc;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in != NULL ? in : "/dev/null",
                                     O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
}

/* Count the new lines "site/..." (messages) in c->out; 1 once the
 * consumer has said it subscribed. */
static int poll_consumer(consumer *c)
{
    FILE *f = fopen(c->out, "r");
    int ch, subscribed = 0;

    if (f == NULL)
        return 0;
    fseek(f, c->off, SEEK_SET);
    while ((ch = getc(f)) != EOF) {
        c->off++;
        if (c->bol)
            c->k = 0;
        if (c->k < sizeof c->head) {
            c->head[c->k++] = (char)ch;
            if (c->k == 5 && memcmp(c->head, "site/", 5) == 0)
                c->lines++;
        }
        c->bol = ch == '\n';
    }
    fclose(f);
    if (c->lines == 0 && c->off > 0) {
        size_t n;
        unsigned char *all = tb_read_file(c->out, &n);
        subscribed = all != NULL && strstr((char *)all, "subscribed to");
        free(all);
    }
    return subscribed || c->lines > 0;
}

typedef struct group_run {
    double rate, wall, pub_wall, cpu_pub, cpu_cons[MAX_CONSUMERS], cpu_broker,
        cpu_redis;
    long got;
} group_run;

static int start_consumers(consumer *cs, int k, int redis, const char *dir)
{
    for (int i = 0; i < k; i++) {
        char *argv[] = {cli,
                        "sub",
                        "--keyring",
                        keyring,
                        "-h",
                        "127.0.0.1",
                        "-p",
                        portbuf,
                        "-q",
                        "1",
                        "-v",
                        "-d",
                        "-t",
                        "$share/g/site/#",
                        "--replay-redis",
                        url,
                        NULL};
        if (!redis)
            argv[14] = NULL;
        memset(&cs[i], 0, sizeof cs[i]);
        cs[i].bol = 1;
        snprintf(cs[i].out, sizeof cs[i].out, "%s/c%d.out", dir, i);
        if ((cs[i].pid = spawn(argv, NULL, cs[i].out)) < 0)
            return -1;
    }
    for (int i = 0; i < k; i++) {
        int64_t end = tb_now_ms() + 10000;
        while (!poll_consumer(&cs[i]) && tb_now_ms() < end)
            tb_sleep_ms(10);
    }
    return 0;
}

static group_run group(int k, int redis, const tb_broker *b, redisContext *info,
                       const char *lines, int n, const char *dir)
{
    consumer cs[MAX_CONSUMERS];
    group_run g = {0};
    char log[300];
    char *pub[] = {cli,         "pub",    "--keyring", keyring, "-h",
                   "127.0.0.1", "-p",     portbuf,     "-q",    "1",
                   "-t",        "site/t", "-l",        NULL};
    double t0, b0, r0;
    struct rusage u;
    pid_t pp;
    int status;

    snprintf(log, sizeof log, "%s/pub.out", dir);
    if (start_consumers(cs, k, redis, dir) != 0)
        exit(1);
    b0 = proc_cpu_s(b->pid);
    r0 = redis_cpu_s(info);
    t0 = now_s();
    if ((pp = spawn(pub, lines, log)) < 0)
        exit(1);
    for (int64_t end = tb_now_ms() + 120000; g.got < n && tb_now_ms() < end;) {
        g.got = 0;
        for (int i = 0; i < k; i++) {
            poll_consumer(&cs[i]);
            g.got += cs[i].lines;
        }
        if (pp > 0 && wait4(pp, &status, WNOHANG, &u) == pp) {
            g.pub_wall = now_s() - t0, g.cpu_pub = rusage_s(&u), pp = 0;
        }
        if (g.got < n)
            tb_sleep_ms(2);
    }
    g.wall = now_s() - t0;
    g.rate = (double)g.got / g.wall;
    if (pp > 0 && wait4(pp, &status, 0, &u) == pp)
        g.pub_wall = now_s() - t0, g.cpu_pub = rusage_s(&u);
    g.cpu_broker = proc_cpu_s(b->pid) - b0;
    g.cpu_redis = redis_cpu_s(info) - r0;
    for (int i = 0; i < k; i++) {
        kill(cs[i].pid, SIGTERM);
        if (wait4(cs[i].pid, &status, 0, &u) == cs[i].pid)
            g.cpu_cons[i] = rusage_s(&u);
    }
    return g;
}

static void print_run(const char *what, int k, const group_run *g, int n)
{
    double cons = 0, total;
    const char *top = "the publisher";
    double topv = g->cpu_pub;

    for (int i = 0; i < k; i++)
        cons += g->cpu_cons[i];
    total = g->cpu_pub + cons + g->cpu_broker + g->cpu_redis;
    if (cons > topv)
        top = "the consumers", topv = cons;
    if (g->cpu_broker > topv)
        top = "mosquitto", topv = g->cpu_broker;
    if (g->cpu_redis > topv)
        top = "redis-server", topv = g->cpu_redis;
    printf("   %d consumer%s, %-17s %8.0f msg/s (%ld of %d in %.2f s; "
           "publisher done after %.2f s)\n",
           k, k > 1 ? "s" : " ", what, g->rate, g->got, n, g->wall,
           g->pub_wall);
    printf("      CPU s: publisher %.2f, consumers %.2f, mosquitto %.2f, "
           "redis-server %.2f = %.2f of %.2f available (2 cores): %.0f %% "
           "busy, most in %s\n",
           g->cpu_pub, cons, g->cpu_broker, g->cpu_redis, total, 2 * g->wall,
           100 * total / (2 * g->wall), top);
    if (total > 0.85 * 2 * g->wall)
        printf("      limit: CPU (both cores busy, most in %s)\n", top);
    else if (g->pub_wall > 0.85 * g->wall)
        printf("      limit: the one publisher (the group received as fast "
               "as it sent; cores %.0f %% idle)\n",
               100 - 100 * total / (2 * g->wall));
    else
        printf("      limit: the consumers' latency per message (one "
               "Redis round trip each), not CPU\n");
}

static void bench_group(const tr_redis *srv, const char *tls_base, int n)
{
    char dir[] = "/tmp/mqttseal-redis-bench-XXXXXX", lines[300];
    redisContext *info = redisConnect("127.0.0.1", srv->port);
    tb_broker b;
    FILE *f;

    if (mkdtemp(dir) == NULL || info == NULL || info->err != 0 ||
        tb_broker_start(&b, NULL) != 0)
        exit(1);
    snprintf(portbuf, sizeof portbuf, "%d", b.port);
    snprintf(keyring, sizeof keyring, "%s/site.keyring", dir);
    snprintf(lines, sizeof lines, "%s/lines", dir);
    {
        char *argv[] = {cli, "keygen", "--id", "1", keyring, NULL};
        char out[320];
        int st;
        snprintf(out, sizeof out, "%s/keygen.out", dir);
        if (waitpid(spawn(argv, NULL, out), &st, 0) < 0 || st != 0)
            exit(1);
    }
    if ((f = fopen(lines, "w")) == NULL)
        exit(1);
    for (int i = 0; i < n; i++)
        fprintf(f, "m%07d-0123456789abcdef0123456789abcdef0123456789ab\n", i);
    fclose(f);
    printf("2. Group throughput: one `mqttseal pub -l` (QoS 1, 56-byte "
           "lines) to $share/g/site/#,\n   `mqttseal sub -v` consumers, "
           "messages per second fully received (%d messages)\n",
           n);
    /* 1, 2, 3 consumers on Redis, 3 on Redis over TLS, 1 in-process */
    for (int k = 1; k <= MAX_CONSUMERS + 2; k++) {
        int kk = k <= MAX_CONSUMERS + 1 ? (k <= MAX_CONSUMERS ? k : 3) : 1;
        int tls = k == MAX_CONSUMERS + 1;
        group_run g;

        if (tls)
            snprintf(url, sizeof url, "%s&prefix=bench-group-%d", tls_base, k);
        else
            snprintf(url, sizeof url, "%s?prefix=bench-group-%d", srv->url, k);
        g = group(kk, k <= MAX_CONSUMERS + 1, &b, info, lines, n, dir);
        print_run(tls                  ? "Redis over TLS:"
                  : k <= MAX_CONSUMERS ? "Redis state:"
                                       : "in-process state:",
                  kk, &g, n);
        if (g.got != n) {
            fprintf(stderr, "redis_bench: only %ld of %d received\n", g.got, n);
            exit(1);
        }
    }
    printf("   What limits them: on this 2-core machine the publisher, "
           "mosquitto, redis-server and the consumers\n"
           "   share two cores, so once their CPU fills both, more consumers "
           "add context switches, not capacity;\n"
           "   below that, one QoS 1 publisher's rate bounds the group "
           "from above, and each consumer opens\n"
           "   one message per Redis round trip (part 1: its wall time).\n");
    tb_broker_stop(&b);
    redisFree(info);
}

int main(int argc, char **argv)
{
    int open_n = argc > 2 ? atoi(argv[2]) : 20000;
    int group_n = argc > 3 ? atoi(argv[3]) : 20000;
    char certs[] = "/tmp/mqttseal-bench-certs-XXXXXX", cmd[600], tls_base[1000];
    tr_redis srv;

    if (argc < 2 || open_n <= 0 || group_n <= 0) {
        fprintf(stderr, "usage: redis_bench CLI [open_n] [group_n]\n");
        return 2;
    }
    if (mkdtemp(certs) == NULL)
        return 1;
    snprintf(cmd, sizeof cmd, "sh '%s' '%s'", MQTTSEAL_MKCERTS, certs);
    if (mqttseal_init() != MQTTSEAL_OK || system(cmd) != 0 ||
        tr_redis_start_tls(&srv, certs, "yes", NULL) != 0)
        return 1;
    /* rediss:// with client certificates, as the TLS port demands */
    snprintf(tls_base, sizeof tls_base,
             "rediss://127.0.0.1:%d/0?cacert=%s/ca.crt&cert=%s/client.crt&"
             "key=%s/client.key",
             srv.tls_port, certs, certs, certs);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    bench_open(&srv, tls_base, open_n);
    snprintf(cli, sizeof cli, "%s", argv[1]);
    bench_group(&srv, tls_base, group_n);
    tr_redis_stop(&srv);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", certs);
    return system(cmd) == 0 ? 0 : 1;
}
