/*
 * End-to-end throughput through a real broker: messages per second that
 * one subscriber process fully receives from one publisher process at
 * QoS 0, through one private mosquitto this program starts on a free
 * 127.0.0.1 port, with 64-byte and 1 KiB payloads, in three modes:
 *
 *   plain     the payload as it is: plain Paho on both sides;
 *   raw AEAD  the floor for any sealing with mqttseal's cipher: bare
 *             libsodium XChaCha20-Poly1305 around the same plain Paho
 *             calls (counter nonce, topic as associated data, 8-byte
 *             sequence number in front), with no key lookup, no header
 *             and no replay check;
 *   mqttseal  the Paho hooks on both sides, replay protection on.
 *
 * rate = messages received / (last receipt - first publish). Each
 * repetition runs every mode, in an order that rotates, and the median
 * of each mode is reported with the ratios. CPU per message is that of
 * the publisher process, mosquitto and the subscriber process during the
 * run: on a small machine the three share the CPUs, so sealing's CPU cost
 * shows directly in the rate. The machine may be noisy: only ratios of
 * the same run mean anything. The exit status is 1 when any message was
 * rejected (none should be); QoS 0 loss is reported, not failed.
 *
 *   bench/e2e_throughput [messages per run] [repetitions] [client|async]
 *   (defaults: 50000, 5, client)
 *
 * MQTTClient writes each QoS 0 publish from the calling thread; MQTTAsync
 * queues it for its send thread, and the publisher here keeps at most
 * WINDOW sends unwritten (Paho's command queue gets slow when long).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mqttseal/paho.h>

#include "e2e.h"
#include "tb.h"
#include "tb_client.h"

#define MAX_REPS 31
#define WINDOW 1000 /* MQTTAsync sends not yet written, at most */
#define WINDOW_WAIT_NS 50000L
#define MAX_SIZE 1024

static const size_t sizes[] = {64, MAX_SIZE};
static const char *const mode_names[E2E_MODES] = {"plain", "raw AEAD",
                                                  "mqttseal"};

static struct {
    tb_broker broker;
    long messages;
    int reps;
    e2e_config cfg;
    mqttseal_keyring *kr;
    unsigned char raw_key[E2E_RAW_KEYBYTES];
    uint64_t raw_seq; /* never repeats under raw_key */
    int cmd_fd, reply_fd;
    pid_t sub_pid;
} g;

typedef struct measure {
    double rate;   /* messages per second, fully received */
    double cpu[3]; /* CPU µs per message: publisher, broker, subscriber */
    long lost;     /* published but not received */
    long rejected;
} measure;

/* ------------------------------------------------------------------ */
/* The publisher's side of one run                                     */
/* ------------------------------------------------------------------ */

/* mosquitto's user plus system CPU seconds, from /proc. */
static double broker_cpu_s(void)
{
    char path[64], buf[1024], *p;
    unsigned long ut = 0, st = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%ld/stat", (long)g.broker.pid);
    if ((f = fopen(path, "r")) == NULL) {
        return 0;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields 14 and 15, counted after the ")" that ends field 2. */
    if ((p = strrchr(buf, ')')) == NULL ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &ut, &st) != 2) {
        return 0;
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int publish_one(tb_client *pub, const e2e_run *run, size_t topic_len,
                       const unsigned char *payload)
{
    unsigned char frame[MAX_SIZE + E2E_RAW_OVERHEAD];
    size_t len = run->size;
    const unsigned char *p = payload;

    if (run->mode == E2E_RAW) {
        len = e2e_raw_seal(frame, g.raw_key, g.raw_seq++, run->topic, topic_len,
                           payload, run->size);
        p = frame;
    }
    /* MQTTAsync queues every send: keep the queue short, or Paho's
     * command list (searched per command) dominates the run. Sleep, not
     * spin, while it is full: Paho's send thread needs the CPU. */
    while (g.cfg.async &&
           atomic_load(&pub->expected) - atomic_load(&pub->completed) >=
               WINDOW) {
        nanosleep(&(struct timespec){0, WINDOW_WAIT_NS}, NULL);
    }
    return tb_client_publish(pub, run->topic, p, len, 0, 0);
}

/* Publishes run->n messages; *t0 is when the first one was sent. */
static int publish_run(tb_client *pub, const e2e_run *run, double *t0)
{
    unsigned char payload[MAX_SIZE];
    uint64_t rng = 0x9e3779b97f4a7c15ULL ^ run->size;
    size_t topic_len = strlen(run->topic);

    tb_random(payload, sizeof payload, &rng);
    *t0 = e2e_now_s();
    for (long i = 0; i < run->n; i++) {
        int rc;
        /* Vary the bytes a little so no layer can cache anything. */
        payload[(size_t)i % run->size] ^= (unsigned char)i;
        if ((rc = publish_one(pub, run, topic_len, payload)) != 0) {
            fprintf(stderr, "publish: %d %s\n", rc, mqttseal_paho_strerror(rc));
            return -1;
        }
    }
    return 0;
}

static int connect_pub(tb_client *pub, mqttseal_paho *hooks)
{
    char id[64];
    tb_client_opts o = {0};

    tb_client_id(id, sizeof id, "bench-pub");
    o.uri = g.cfg.uri;
    o.async = g.cfg.async;
    o.client_id = id;
    o.hooks = hooks;
    return tb_client_connect(pub, &o);
}

/* Tells the subscriber about the run and waits until it is subscribed. */
static int start_sub(const e2e_run *run)
{
    char ready = 0;

    if (write(g.cmd_fd, run, sizeof *run) != (ssize_t)sizeof *run ||
        read(g.reply_fd, &ready, 1) != 1 || ready != 'r') {
        fprintf(stderr, "e2e_throughput: the subscriber failed\n");
        return -1;
    }
    return 0;
}

static void account(measure *m, const e2e_run *run, const e2e_result *res,
                    double t0, const double cpu0[2])
{
    double n = (double)run->n; /* CPU per message published */

    m->rate = res->received == run->n
                  ? (double)run->n / (res->last_s - t0)
                  : (double)res->received / (e2e_now_s() - t0);
    m->lost = run->n - res->received;
    m->rejected = res->rejected;
    m->cpu[0] = (e2e_cpu_s() - cpu0[0]) * 1e6 / n;
    m->cpu[1] = (broker_cpu_s() - cpu0[1]) * 1e6 / n;
    m->cpu[2] = res->cpu_s * 1e6 / n;
}

static int run_mode(int mode, size_t size, long n, measure *m)
{
    static unsigned run_no;
    mqttseal_ctx *ctx = mode == E2E_SEALED ? tb_ctx(g.kr) : NULL;
    mqttseal_paho *hooks = NULL;
    double cpu0[2] = {e2e_cpu_s(), broker_cpu_s()}, t0 = 0;
    e2e_run run = {mode, n, size, {0}};
    e2e_result res;
    tb_client pub;
    int rc = -1;

    memset(&pub, 0, sizeof pub);
    snprintf(run.topic, sizeof run.topic, "bench/e2e/%u/%d/%zu", run_no++, mode,
             size);
    if ((ctx == NULL || mqttseal_paho_new(&hooks, ctx) == MQTTSEAL_OK) &&
        start_sub(&run) == 0) {
        rc = connect_pub(&pub, hooks) == 0 ? publish_run(&pub, &run, &t0) : -1;
        /* The subscriber answers when it has all, or gives up. */
        if (read(g.reply_fd, &res, sizeof res) != (ssize_t)sizeof res) {
            rc = -1;
        }
    }
    if (rc == 0) {
        account(m, &run, &res, t0, cpu0);
    }
    tb_client_close(&pub);
    mqttseal_paho_free(hooks);
    mqttseal_ctx_free(ctx);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Repetitions and the report                                          */
/* ------------------------------------------------------------------ */

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

typedef struct series {
    double rate[MAX_REPS];
    double cpu[3][MAX_REPS];
    long lost, rejected;
} series;

static void report(size_t size, const series *s)
{
    double rate[E2E_MODES];

    for (int m = 0; m < E2E_MODES; m++) {
        rate[m] = median(s[m].rate, g.reps);
    }
    printf("%4zu B  msg/s: plain %.0f  raw AEAD %.0f  mqttseal %.0f\n", size,
           rate[E2E_PLAIN], rate[E2E_RAW], rate[E2E_SEALED]);
    printf("        sealed/plain %.3f  (raw AEAD/plain %.3f, mqttseal/raw "
           "AEAD %.3f)\n",
           rate[E2E_SEALED] / rate[E2E_PLAIN], rate[E2E_RAW] / rate[E2E_PLAIN],
           rate[E2E_SEALED] / rate[E2E_RAW]);
    printf("        CPU µs per message (publisher + broker + subscriber):");
    for (int m = 0; m < E2E_MODES; m++) {
        double c[3];
        for (int k = 0; k < 3; k++) {
            c[k] = median(s[m].cpu[k], g.reps);
        }
        printf("%s %s %.2f (%.2f + %.2f + %.2f)", m ? "," : "", mode_names[m],
               c[0] + c[1] + c[2], c[0], c[1], c[2]);
    }
    printf("\n");
    for (int m = 0; m < E2E_MODES; m++) {
        if (s[m].lost || s[m].rejected) {
            printf("        %s: %ld not received, %ld rejected\n",
                   mode_names[m], s[m].lost, s[m].rejected);
        }
    }
    fflush(stdout);
}

static int bench_size(size_t size)
{
    series s[E2E_MODES];
    measure m;

    memset(s, 0, sizeof s);
    /* Warm-up of every path (connections, caches, page faults). */
    for (int mode = 0; mode < E2E_MODES; mode++) {
        if (run_mode(mode, size, g.messages / 10, &m) != 0) {
            return -1;
        }
    }
    for (int rep = 0; rep < g.reps; rep++) {
        for (int k = 0; k < E2E_MODES; k++) {
            int mode = (rep + k) % E2E_MODES; /* rotate the order */
            if (run_mode(mode, size, g.messages, &m) != 0) {
                return -1;
            }
            s[mode].rate[rep] = m.rate;
            for (int c = 0; c < 3; c++) {
                s[mode].cpu[c][rep] = m.cpu[c];
            }
            s[mode].lost += m.lost;
            s[mode].rejected += m.rejected;
            printf("#   %4zu B %-8s rep %d: %9.0f msg/s, %5.2f µs CPU%s\n",
                   size, mode_names[mode], rep + 1, m.rate,
                   m.cpu[0] + m.cpu[1] + m.cpu[2],
                   m.lost ? " (not all received)" : "");
            fflush(stdout);
        }
    }
    report(size, s);
    for (int mode = 0; mode < E2E_MODES; mode++) {
        if (s[mode].rejected) {
            return -1; /* every message of every mode must open */
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Set-up: broker, keys, and the subscriber process                    */
/* ------------------------------------------------------------------ */

/* Forks the subscriber before this process makes any Paho call. */
static int fork_sub(const mqttseal_keyring *sub_kr)
{
    int cmd[2], reply[2];

    g.cfg.sub_kr = sub_kr;
    if (pipe(cmd) != 0 || pipe(reply) != 0 || (g.sub_pid = fork()) < 0) {
        perror("e2e_throughput: subscriber");
        return -1;
    }
    if (g.sub_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        close(cmd[1]);
        close(reply[0]);
        _exit(e2e_subscriber(&g.cfg, cmd[0], reply[1]));
    }
    close(cmd[0]);
    close(reply[1]);
    g.cmd_fd = cmd[1];
    g.reply_fd = reply[0];
    return 0;
}

static int stop_sub(void)
{
    int status = 0;

    close(g.cmd_fd);
    close(g.reply_fd);
    if (waitpid(g.sub_pid, &status, 0) != g.sub_pid) {
        return -1;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int parse_args(int argc, char **argv)
{
    g.messages = argc > 1 ? strtol(argv[1], NULL, 10) : 50000;
    g.reps = argc > 2 ? atoi(argv[2]) : 5;
    g.cfg.async = argc > 3 && strcmp(argv[3], "async") == 0;
    if (g.messages < 10 || g.reps < 1 || g.reps > MAX_REPS) {
        fprintf(stderr,
                "usage: %s [messages>=10] [reps 1..%d] [client|async]\n",
                argv[0], MAX_REPS);
        return -1;
    }
    return 0;
}

static void banner(void)
{
    printf("# e2e_throughput: mosquitto on 127.0.0.1:%d, one publisher and "
           "one subscriber\n# process (%s, MQTT 3.1.1), QoS 0, %ld "
           "messages per run, %d repetitions of\n# each mode in rotating "
           "order, median rates; rate = messages fully received\n# / (last "
           "receipt - first publish). Noisy machines: compare ratios only.\n",
           g.broker.port, g.cfg.async ? "MQTTAsync" : "MQTTClient", g.messages,
           g.reps);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    char grant[] = "bench/e2e/#";
    mqttseal_keyring *sub_kr;
    int rc = 0;

    if (parse_args(argc, argv) != 0) {
        return 2;
    }
    if (mqttseal_init() != MQTTSEAL_OK ||
        tb_broker_start(&g.broker, NULL) != 0) {
        return 1;
    }
    g.cfg.uri = g.broker.uri;
    g.cfg.raw_key = g.raw_key;
    crypto_aead_xchacha20poly1305_ietf_keygen(g.raw_key);
    g.kr = tb_keyring_root(1);
    sub_kr = tb_keyring_grant(g.kr, 1, grant);
    if (fork_sub(sub_kr) != 0) {
        rc = -1;
    }
    banner();
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && rc == 0; i++) {
        rc = bench_size(sizes[i]);
    }
    if (g.sub_pid > 0 && stop_sub() != 0) {
        rc = -1;
    }
    mqttseal_keyring_free(sub_kr);
    mqttseal_keyring_free(g.kr);
    tb_broker_stop(&g.broker);
    return rc == 0 ? 0 : 1;
}
