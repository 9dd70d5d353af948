/*
 * End-to-end throughput through a real broker: messages per second that
 * one subscriber fully receives from one publisher at QoS 0, sealed
 * (through the Paho hooks on both sides) and plain (the same Paho calls
 * without mqttseal), with 64-byte and 1 KiB payloads, all through one
 * private mosquitto this program starts on a free 127.0.0.1 port.
 *
 * rate = messages received by the subscriber / (last receipt - first
 * publish). Runs alternate plain/sealed (and which goes first) and the
 * median of each is reported with the ratio sealed/plain. The machine may
 * be noisy: only medians and ratios of the same run mean anything. A run
 * in which the subscriber does not receive every message is reported as
 * such (QoS 0 may drop; none is expected over loopback).
 *
 *   bench/e2e_throughput [messages per run] [repetitions] [client|async]
 *   (defaults: 50000, 5, client)
 *
 * MQTTClient writes each QoS 0 publish from the calling thread; MQTTAsync
 * queues it for its send thread, and the publisher here keeps at most
 * WINDOW sends unwritten (Paho's command queue gets slow when long).
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mqttseal/paho.h>

#include "tb.h"
#include "tb_client.h"

#define MAX_REPS 31
#define RUN_TIMEOUT_MS 120000
#define WINDOW 1000 /* MQTTAsync sends not yet written, at most */

static const size_t sizes[] = {64, 1024};

static struct {
    tb_broker broker;
    long messages;
    int reps;
    int async;
    mqttseal_keyring *kr;
    mqttseal_keyring *sub_kr;
} g;

typedef struct counter {
    atomic_long received;
    atomic_long bytes;
    long target;
    _Atomic double last_s; /* when the target was reached */
} counter;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void on_msg(void *app, const char *topic, size_t topic_len,
                   const unsigned char *payload, size_t len, int retained,
                   int dup)
{
    counter *c = app;

    (void)topic;
    (void)topic_len;
    (void)payload;
    (void)retained;
    (void)dup;
    atomic_fetch_add(&c->bytes, (long)len);
    if (atomic_fetch_add(&c->received, 1) + 1 == c->target)
        atomic_store(&c->last_s, now_s());
}

typedef struct result {
    double rate; /* messages per second, fully received */
    long received;
    long rejected;
} result;

static int cleanup(tb_client *pub, tb_client *sub, mqttseal_paho *ph,
                   mqttseal_paho *sh, mqttseal_ctx *pc, mqttseal_ctx *sc)
{
    tb_client_close(pub);
    tb_client_close(sub);
    mqttseal_paho_free(ph);
    mqttseal_paho_free(sh);
    mqttseal_ctx_free(pc);
    mqttseal_ctx_free(sc);
    return 0;
}

/* One run: n messages of size bytes, sealed or plain. */
static int run(int sealed, size_t size, long n, result *r)
{
    static counter c;
    static unsigned run_no;
    char topic[128], pub_id[64], sub_id[64];
    unsigned char payload[1024];
    uint64_t rng = 0x9e3779b97f4a7c15ULL ^ size;
    mqttseal_ctx *pc = NULL, *sc = NULL;
    mqttseal_paho *ph = NULL, *sh = NULL;
    tb_client pub, sub;
    tb_client_opts po = {0}, so = {0};
    double t0;

    memset(&pub, 0, sizeof pub);
    memset(&sub, 0, sizeof sub);
    memset(r, 0, sizeof *r);
    atomic_store(&c.received, 0);
    atomic_store(&c.bytes, 0);
    atomic_store(&c.last_s, 0.0);
    c.target = n;
    tb_random(payload, sizeof payload, &rng);
    snprintf(topic, sizeof topic, "bench/e2e/%u/%s/%zu", run_no++,
             sealed ? "sealed" : "plain", size);
    if (sealed) {
        pc = tb_ctx(g.kr);
        sc = tb_ctx(g.sub_kr);
        if (mqttseal_paho_new(&ph, pc) != MQTTSEAL_OK ||
            mqttseal_paho_new(&sh, sc) != MQTTSEAL_OK)
            return -1;
    }
    tb_client_id(pub_id, sizeof pub_id, "bench-pub");
    tb_client_id(sub_id, sizeof sub_id, "bench-sub");
    po.uri = so.uri = g.broker.uri;
    po.async = so.async = g.async;
    po.client_id = pub_id;
    po.hooks = ph;
    so.client_id = sub_id;
    so.hooks = sh;
    so.on_msg = on_msg;
    so.app = &c;
    if (tb_client_connect(&sub, &so) != 0 ||
        tb_client_subscribe(&sub, topic, 0) != 0 ||
        tb_client_connect(&pub, &po) != 0)
        return cleanup(&pub, &sub, ph, sh, pc, sc), -1;

    t0 = now_s();
    for (long i = 0; i < n; i++) {
        int rc;
        /* Vary the bytes a little so no layer can cache anything. */
        payload[i % size] ^= (unsigned char)i;
        /* MQTTAsync queues every send: keep the queue short, or Paho's
         * command list (searched per command) dominates the run. */
        while (g.async &&
               atomic_load(&pub.expected) - atomic_load(&pub.completed) >=
                   WINDOW)
            sched_yield();
        rc = tb_client_publish(&pub, topic, payload, size, 0, 0);
        if (rc != 0) {
            fprintf(stderr, "publish: %d %s\n", rc, mqttseal_paho_strerror(rc));
            return cleanup(&pub, &sub, ph, sh, pc, sc), -1;
        }
    }
    tb_wait_count(&c.received, n, RUN_TIMEOUT_MS);
    r->received = atomic_load(&c.received);
    if (r->received == n) {
        r->rate = (double)n / (atomic_load(&c.last_s) - t0);
    } else {
        tb_sleep_ms(200); /* whatever was coming has come */
        r->received = atomic_load(&c.received);
        r->rate = (double)r->received / (now_s() - t0);
    }
    if (sh != NULL)
        r->rejected =
            (long)mqttseal_paho_rejected(sh, MQTTSEAL_PAHO_ALL_REASONS);
    return cleanup(&pub, &sub, ph, sh, pc, sc);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int bench_size(size_t size)
{
    double rates[2][MAX_REPS];
    long lost[2] = {0, 0}, rejected = 0;
    result r;

    /* Warm-up of both paths (connections, caches, page faults). */
    if (run(0, size, g.messages / 10, &r) != 0 ||
        run(1, size, g.messages / 10, &r) != 0)
        return -1;
    for (int rep = 0; rep < g.reps; rep++) {
        for (int k = 0; k < 2; k++) {
            int sealed = (rep + k) % 2; /* alternate which goes first */
            if (run(sealed, size, g.messages, &r) != 0)
                return -1;
            rates[sealed][rep] = r.rate;
            lost[sealed] += g.messages - r.received;
            rejected += r.rejected;
            printf("#   %4zu B %-6s rep %d: %9.0f msg/s%s\n", size,
                   sealed ? "sealed" : "plain", rep + 1, r.rate,
                   r.received < g.messages ? " (not all received)" : "");
            fflush(stdout);
        }
    }
    double plain = median(rates[0], g.reps);
    double sealed = median(rates[1], g.reps);
    printf("%4zu B  plain %9.0f msg/s  sealed %9.0f msg/s  "
           "sealed/plain %.3f\n",
           size, plain, sealed, sealed / plain);
    if (lost[0] || lost[1] || rejected)
        printf("        not received: plain %ld, sealed %ld; rejected by "
               "the hooks: %ld\n",
               lost[0], lost[1], rejected);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    char grant[] = "bench/e2e/#";
    int rc = 0;

    g.messages = argc > 1 ? strtol(argv[1], NULL, 10) : 50000;
    g.reps = argc > 2 ? atoi(argv[2]) : 5;
    g.async = argc > 3 && strcmp(argv[3], "async") == 0;
    if (g.messages < 10 || g.reps < 1 || g.reps > MAX_REPS) {
        fprintf(stderr,
                "usage: %s [messages>=10] [reps 1..%d] "
                "[client|async]\n",
                argv[0], MAX_REPS);
        return 2;
    }
    if (mqttseal_init() != MQTTSEAL_OK || tb_broker_start(&g.broker, NULL) != 0)
        return 1;
    g.kr = tb_keyring_root(1);
    g.sub_kr = tb_keyring_grant(g.kr, 1, grant);
    printf("# e2e_throughput: mosquitto on 127.0.0.1:%d, one publisher, one "
           "subscriber (%s, MQTT 3.1.1), QoS 0,\n# %ld messages per run, "
           "%d alternating repetitions, median rates; rate = messages\n"
           "# fully received / (last receipt - first publish). Noisy "
           "machines: compare ratios only.\n",
           g.broker.port, g.async ? "MQTTAsync" : "MQTTClient", g.messages,
           g.reps);
    fflush(stdout);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && rc == 0; i++)
        rc = bench_size(sizes[i]);
    mqttseal_keyring_free(g.sub_kr);
    mqttseal_keyring_free(g.kr);
    tb_broker_stop(&g.broker);
    return rc == 0 ? 0 : 1;
}
