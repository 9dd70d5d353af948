/*
 * End-to-end throughput against TLS (issue 16): what mqttseal costs next
 * to the transport encryption it is compared with. One publisher process
 * sends QoS 0 messages to one subscriber process through one private
 * mosquitto that this program starts on free 127.0.0.1 ports, with
 * 64-byte and 1 KiB payloads, in five modes:
 *
 *   plain            the payload as it is, plain TCP;
 *   TLS 1.2          the payload as it is, over TLS 1.2;
 *   TLS 1.3          the payload as it is, over TLS 1.3;
 *   mqttseal         the mqttseal Paho hooks on both sides, plain TCP;
 *   mqttseal+TLS1.3  the same hooks over TLS 1.3.
 *
 * All five use MQTTClient (MQTT 3.1.1) from one executable linked with
 * Paho's TLS flavour, paho-mqtt3cs, before libmqttseal-paho and the
 * non-TLS libraries it needs: Paho exports only its API, so every
 * MQTTClient_* call, the hooks' included, binds to paho-mqtt3cs, which
 * serves tcp:// and ssl:// alike. So both mqttseal modes seal through
 * the hooks (mqttseal_MQTTClient_publish, the hooks' arrival callback),
 * not through the core API.
 *
 * TLS: a throwaway P-256 CA and server certificate (openssl command, in
 * a temporary directory); clients check the chain and the IP address.
 * mosquitto's tls_version is a minimum, so the TLS 1.3 listener takes
 * nothing older, and TLS 1.2 clients run with an OPENSSL_CONF that sets
 * MaxProtocol = TLSv1.2 (Paho 1.3.12 ignores sslVersion with OpenSSL
 * 3); the handshake bench checks that the TLS 1.3 listener refuses them.
 * mosquitto runs with set_tcp_nodelay true (else a TLS 1.3 CONNACK waits
 * about 40 ms behind the session tickets).
 *
 * Per mode: rate = messages received / (last receipt - first publish);
 * CPU µs per message of the publisher process, of mosquitto (from
 * /proc/PID/schedstat) and of the subscriber process, each including
 * its connection set-up; wire bytes per message = what mosquitto read
 * plus wrote (/proc/PID/io rchar + wchar; no persistence, no connection
 * log lines, so that is its socket traffic: both directions of both
 * clients, TLS records and handshakes included), less what Debian's
 * libwrap reads of /etc/hosts.allow and .deny per accepted connection
 * (measured at start with connections that send nothing). The
 * connection bench counts only the n timed connections of each client
 * process; its wall time is create + connect until the CONNACK, of
 * which Paho's MQTTClient spends most waiting on its own 100 ms poll
 * (the same for every transport), so the handshake's cost shows in the
 * CPU columns. Each repetition runs
 * every mode in an order that rotates; medians are reported, with
 * ratios to plain and of mqttseal to TLS 1.3 (targets, reported, not
 * asserted: mqttseal over TCP at or above TLS 1.3's rate and at or
 * below its CPU). Then the cost of a connection with each transport.
 * Noisy machines: only ratios within one run mean anything.
 *
 * The exit status is 1 when the broker cannot start, a client cannot
 * connect, any message is rejected, or a mode receives none of its
 * messages; other QoS 0 loss is reported, and timing never fails.
 *
 *   bench/e2e_tls [messages per run] [repetitions] [connections]
 *   (defaults: 20000, 3, 50)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mqttseal/paho.h>

#include "e2e.h"
#include "e2e_tls.h"
#include "tb_client.h"

#define MAX_REPS 31
#define MAX_SIZE 1024
#define NSTAT 5 /* rate, CPU publisher, broker, subscriber, wire bytes */

typedef struct mode_def {
    const char *name;
    int sealed;
    e2e_link link;
} mode_def;

enum { M_PLAIN, M_TLS12, M_TLS13, M_SEALED, M_SEALED_TLS, M_MODES };

static const mode_def modes[M_MODES] = {
    {"plain", 0, E2E_TCP},
    {"TLS 1.2", 0, E2E_TLS12},
    {"TLS 1.3", 0, E2E_TLS13},
    {"mqttseal", 1, E2E_TCP},
    {"mqttseal+TLS1.3", 1, E2E_TLS13},
};

static const size_t sizes[] = {64, MAX_SIZE};

static struct {
    e2e_tls_env env;
    long messages;
    int reps;
    int handshakes;
    mqttseal_keyring *kr;     /* the publisher's root key */
    mqttseal_keyring *sub_kr; /* the subscriber's grant */
} g;

/* What one run measured: NSTAT values, and what went wrong. */
typedef struct measure {
    double v[NSTAT];
    long lost, rejected;
} measure;

/* ------------------------------------------------------------------ */
/* The publisher process                                               */
/* ------------------------------------------------------------------ */

typedef struct pub_job {
    const e2e_run *run;
    const mode_def *md;
    int go_fd, go_w, out_fd; /* go_w: the orchestrator's end, closed */
} pub_job;

typedef struct pub_report {
    int ok;
    double t0;    /* when the first message was published */
    double cpu_s; /* second report only */
} pub_report;

static int publish_all(tb_client *pub, const e2e_run *run, double *t0)
{
    unsigned char payload[MAX_SIZE];
    uint64_t rng = 0x9e3779b97f4a7c15ULL ^ run->size;

    tb_random(payload, sizeof payload, &rng);
    *t0 = e2e_now_s();
    for (long i = 0; i < run->n; i++) {
        int rc;
        /* Vary the bytes a little so no layer can cache anything. */
        payload[(size_t)i % run->size] ^= (unsigned char)i;
        rc = tb_client_publish(pub, run->topic, payload, run->size, 0, 0);
        if (rc != 0) {
            fprintf(stderr, "publish: %d %s\n", rc, mqttseal_paho_strerror(rc));
            return -1;
        }
    }
    return 0;
}

static int connect_pub(tb_client *pub, const mode_def *md, mqttseal_paho *hooks)
{
    char id[64];
    tb_client_opts o = {0};

    tb_client_id(id, sizeof id, "bench-tls-pub");
    o.uri = g.env.uri[md->link];
    o.ca_file = e2e_tls_ca(&g.env, md->link);
    o.client_id = id;
    o.hooks = hooks;
    return tb_client_connect(pub, &o);
}

static int tell(int fd, const pub_report *r)
{
    return write(fd, r, sizeof *r) == (ssize_t)sizeof *r ? 0 : -1;
}

static int pub_main(void *arg)
{
    const pub_job *j = arg;
    mqttseal_ctx *ctx = j->md->sealed ? tb_ctx(g.kr) : NULL;
    mqttseal_paho *hooks = NULL;
    pub_report r = {0, 0, 0};
    tb_client pub;
    char go;

    close(j->go_w);
    memset(&pub, 0, sizeof pub);
    r.ok = (ctx == NULL || mqttseal_paho_new(&hooks, ctx) == MQTTSEAL_OK) &&
           connect_pub(&pub, j->md, hooks) == 0 &&
           publish_all(&pub, j->run, &r.t0) == 0;
    /* Stay connected until the subscriber has had everything: Paho may
     * still be writing what the socket did not take at once. */
    if (tell(j->out_fd, &r) != 0 || (r.ok && read(j->go_fd, &go, 1) != 1)) {
        r.ok = 0;
    }
    r.cpu_s = e2e_cpu_s();
    r.ok = tell(j->out_fd, &r) == 0 && r.ok;
    tb_client_close(&pub);
    mqttseal_paho_free(hooks);
    mqttseal_ctx_free(ctx);
    return r.ok ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* The subscriber process (bench/e2e_sub.c, one run)                   */
/* ------------------------------------------------------------------ */

typedef struct sub_job {
    const mode_def *md;
    int cmd_fd, reply_fd;
} sub_job;

static int sub_main(void *arg)
{
    const sub_job *j = arg;
    e2e_config cfg = {0};

    cfg.uri = g.env.uri[j->md->link];
    cfg.ca_file = e2e_tls_ca(&g.env, j->md->link);
    cfg.sub_kr = g.sub_kr;
    return e2e_subscriber(&cfg, j->cmd_fd, j->reply_fd);
}

/* ------------------------------------------------------------------ */
/* One run                                                             */
/* ------------------------------------------------------------------ */

typedef struct run_procs {
    pid_t sub, pub;
    int reply_fd; /* from the subscriber */
    int go_fd;    /* to the publisher */
    int out_fd;   /* from the publisher */
} run_procs;

/* The subscriber, told the run, subscribed: 0, or -1. */
static int start_sub(run_procs *p, const e2e_run *run, const mode_def *md)
{
    int cmd[2], reply[2];
    sub_job j;
    char ready = 0;

    if (pipe(cmd) != 0 || pipe(reply) != 0) {
        return -1;
    }
    /* The run fits in the pipe; closing after it ends the subscriber. */
    if (write(cmd[1], run, sizeof *run) != (ssize_t)sizeof *run) {
        return -1;
    }
    close(cmd[1]);
    j = (sub_job){md, cmd[0], reply[1]};
    p->sub = e2e_tls_fork(&g.env, md->link, sub_main, &j);
    close(cmd[0]);
    close(reply[1]);
    p->reply_fd = reply[0];
    if (p->sub <= 0 || read(p->reply_fd, &ready, 1) != 1 || ready != 'r') {
        fprintf(stderr, "e2e_tls: the %s subscriber failed\n", md->name);
        return -1;
    }
    return 0;
}

/* The publisher; 0 once it published everything (*t0: when it began). */
static int start_pub(run_procs *p, const e2e_run *run, const mode_def *md,
                     double *t0)
{
    int go[2], out[2];
    pub_job j;
    pub_report r = {0, 0, 0};

    if (pipe(go) != 0 || pipe(out) != 0) {
        return -1;
    }
    j = (pub_job){run, md, go[0], go[1], out[1]};
    p->pub = e2e_tls_fork(&g.env, md->link, pub_main, &j);
    close(go[0]);
    close(out[1]);
    p->go_fd = go[1];
    p->out_fd = out[0];
    if (p->pub <= 0 || read(p->out_fd, &r, sizeof r) != (ssize_t)sizeof r ||
        !r.ok) {
        fprintf(stderr, "e2e_tls: the %s publisher failed\n", md->name);
        return -1;
    }
    *t0 = r.t0;
    return 0;
}

/* The subscriber's result, then the publisher's CPU. */
static int finish(run_procs *p, e2e_result *res, double *pub_cpu)
{
    pub_report r = {0, 0, 0};
    int ok = read(p->reply_fd, res, sizeof *res) == (ssize_t)sizeof *res &&
             write(p->go_fd, "d", 1) == 1 &&
             read(p->out_fd, &r, sizeof r) == (ssize_t)sizeof r && r.ok;

    *pub_cpu = r.cpu_s;
    return ok ? 0 : -1;
}

static void close_run(run_procs *p, int rc)
{
    int fds[] = {p->reply_fd, p->go_fd, p->out_fd};

    for (int i = 0; i < 3; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    /* On failure the subscriber would wait for messages that never
     * come; the publisher sees its go pipe closed and stops. */
    if (p->pub > 0) {
        tb_reap(p->pub, 0);
    }
    if (p->sub > 0) {
        tb_reap(p->sub, rc != 0 ? SIGTERM : 0);
    }
}

static void account(measure *m, const e2e_run *run, const e2e_result *res,
                    double t0, const double before[2], double pub_cpu)
{
    double n = (double)run->n; /* per message published */

    m->v[0] = res->received == run->n
                  ? n / (res->last_s - t0)
                  : (double)res->received / (e2e_now_s() - t0);
    m->v[1] = pub_cpu * 1e6 / n;
    m->v[2] = (e2e_tls_broker_cpu_s(&g.env) - before[0]) * 1e6 / n;
    m->v[3] = res->cpu_s * 1e6 / n;
    m->v[4] = e2e_tls_wire(&g.env, before[1], 2, n);
    m->lost = run->n - res->received;
    m->rejected = res->rejected;
}

static int run_mode(int mode, size_t size, long n, measure *m)
{
    static unsigned run_no;
    const mode_def *md = &modes[mode];
    double before[2] = {e2e_tls_broker_cpu_s(&g.env),
                        e2e_tls_broker_io(&g.env)};
    double t0 = 0, pub_cpu = 0;
    e2e_run run = {md->sealed ? E2E_SEALED : E2E_PLAIN, n, size, {0}};
    e2e_result res;
    run_procs p = {0, 0, -1, -1, -1};
    int rc;

    snprintf(run.topic, sizeof run.topic, "bench/e2e/%u/%d/%zu", run_no++, mode,
             size);
    rc = start_sub(&p, &run, md) == 0 && start_pub(&p, &run, md, &t0) == 0 &&
                 finish(&p, &res, &pub_cpu) == 0
             ? 0
             : -1;
    if (rc == 0) {
        account(m, &run, &res, t0, before, pub_cpu);
    }
    close_run(&p, rc);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Repetitions and the report                                          */
/* ------------------------------------------------------------------ */

typedef struct series {
    double v[NSTAT][MAX_REPS];
    long lost, rejected, received_none;
} series;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double s[MAX_REPS];

    memcpy(s, v, (size_t)n * sizeof v[0]);
    qsort(s, (size_t)n, sizeof s[0], cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Medians: [mode][0] rate, [1..3] CPU, [4] wire, [5] total CPU. */
static void medians(const series *s, double out[M_MODES][NSTAT + 1])
{
    for (int m = 0; m < M_MODES; m++) {
        for (int k = 0; k < NSTAT; k++) {
            out[m][k] = median(s[m].v[k], g.reps);
        }
        out[m][NSTAT] = out[m][1] + out[m][2] + out[m][3];
    }
}

static void report(size_t size, const series *s)
{
    double v[M_MODES][NSTAT + 1];

    medians(s, v);
    printf("%4zu B  mode               msg/s  x plain   CPU µs/msg: pub  "
           "broker    sub   total  x plain   wire B/msg  x plain\n",
           size);
    for (int m = 0; m < M_MODES; m++) {
        printf("        %-15s %9.0f  %7.3f %16.2f %7.2f %6.2f %7.2f  %7.3f  "
               "%11.1f  %7.3f\n",
               modes[m].name, v[m][0], v[m][0] / v[M_PLAIN][0], v[m][1],
               v[m][2], v[m][3], v[m][NSTAT], v[m][NSTAT] / v[M_PLAIN][NSTAT],
               v[m][4], v[m][4] / v[M_PLAIN][4]);
    }
    printf("        mqttseal / TLS 1.3: rate %.3f (target >= 1), CPU %.3f "
           "(target <= 1), wire %.3f\n",
           v[M_SEALED][0] / v[M_TLS13][0],
           v[M_SEALED][NSTAT] / v[M_TLS13][NSTAT],
           v[M_SEALED][4] / v[M_TLS13][4]);
    printf("        mqttseal+TLS1.3 / TLS 1.3: rate %.3f, CPU %.3f, wire "
           "%.3f\n",
           v[M_SEALED_TLS][0] / v[M_TLS13][0],
           v[M_SEALED_TLS][NSTAT] / v[M_TLS13][NSTAT],
           v[M_SEALED_TLS][4] / v[M_TLS13][4]);
    for (int m = 0; m < M_MODES; m++) {
        if (s[m].lost || s[m].rejected) {
            printf("        %s: %ld not received, %ld rejected\n",
                   modes[m].name, s[m].lost, s[m].rejected);
        }
    }
    fflush(stdout);
}

static void record(series *s, int rep, size_t size, int mode, const measure *m)
{
    for (int k = 0; k < NSTAT; k++) {
        s->v[k][rep] = m->v[k];
    }
    s->lost += m->lost;
    s->rejected += m->rejected;
    s->received_none += m->lost == g.messages;
    printf("#   %4zu B %-15s rep %d: %9.0f msg/s, %6.2f µs CPU, %7.1f "
           "B%s\n",
           size, modes[mode].name, rep + 1, m->v[0],
           m->v[1] + m->v[2] + m->v[3], m->v[4],
           m->lost ? " (not all received)" : "");
    fflush(stdout);
}

static int bench_size(size_t size)
{
    series s[M_MODES];
    measure m;

    memset(s, 0, sizeof s);
    for (int mode = 0; mode < M_MODES; mode++) { /* warm-up */
        if (run_mode(mode, size, g.messages / 10, &m) != 0) {
            return -1;
        }
    }
    for (int rep = 0; rep < g.reps; rep++) {
        for (int k = 0; k < M_MODES; k++) {
            int mode = (rep + k) % M_MODES; /* rotate the order */
            if (run_mode(mode, size, g.messages, &m) != 0) {
                return -1;
            }
            record(&s[mode], rep, size, mode, &m);
        }
    }
    report(size, s);
    for (int mode = 0; mode < M_MODES; mode++) {
        if (s[mode].rejected || s[mode].received_none) {
            return -1; /* every message must open; QoS 0 may lose some */
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */
/* ------------------------------------------------------------------ */

static int parse_args(int argc, char **argv)
{
    g.messages = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    g.reps = argc > 2 ? atoi(argv[2]) : 3;
    g.handshakes = argc > 3 ? atoi(argv[3]) : 50;
    if (g.messages < 10 || g.reps < 1 || g.reps > MAX_REPS ||
        g.handshakes < 1) {
        fprintf(stderr,
                "usage: %s [messages>=10] [reps 1..%d] [connections>=1]\n",
                argv[0], MAX_REPS);
        return -1;
    }
    return 0;
}

static void banner(void)
{
    printf("# e2e_tls: mosquitto on 127.0.0.1 (plain :%d, TLS 1.2 :%d, "
           "TLS 1.3 :%d),\n# one publisher and one subscriber process "
           "(MQTTClient, MQTT 3.1.1, paho-mqtt3cs),\n# QoS 0, %ld messages "
           "per run, %d repetitions of each mode in rotating\n# order, "
           "medians. CPU: publisher, mosquitto, subscriber; wire: bytes\n# "
           "mosquitto read + wrote (/proc/PID/io), less the %.0f it reads "
           "per\n# accepted connection (libwrap's /etc/hosts.allow and "
           ".deny).\n# Compare ratios only.\n",
           g.env.port[E2E_TCP], g.env.port[E2E_TLS12], g.env.port[E2E_TLS13],
           g.messages, g.reps, g.env.accept_io);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    char grant[] = "bench/e2e/#";
    int rc = 0;

    if (parse_args(argc, argv) != 0) {
        return 2;
    }
    if (mqttseal_init() != MQTTSEAL_OK || e2e_tls_start(&g.env) != 0) {
        e2e_tls_stop(&g.env);
        return 1;
    }
    g.kr = tb_keyring_root(1);
    g.sub_kr = tb_keyring_grant(g.kr, 1, grant);
    banner();
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && rc == 0; i++) {
        rc = bench_size(sizes[i]);
    }
    if (rc == 0) {
        rc = e2e_tls_handshakes(&g.env, g.handshakes, g.reps);
    }
    mqttseal_keyring_free(g.sub_kr);
    mqttseal_keyring_free(g.kr);
    e2e_tls_stop(&g.env);
    return rc == 0 ? 0 : 1;
}
