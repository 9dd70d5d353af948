/*
 * The subscriber process of bench/e2e_throughput. It is its own process,
 * as a real subscriber is: Paho's MQTTClient runs one receive thread and
 * one lock for all clients of a process, which would otherwise couple
 * the subscriber to the publisher. Each run: a fresh connection and
 * subscription, the messages counted as they reach the application, and
 * the result written back.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mqttseal/paho.h>

#include "e2e.h"
#include "tb.h"
#include "tb_client.h"

#define RUN_TIMEOUT_MS 120000
#define MAX_PLAIN 4096

typedef struct sub_state {
    const e2e_config *cfg;
    const e2e_run *run;
    atomic_long received;
    atomic_long rejected;
    _Atomic double last_s;
} sub_state;

static sub_state state; /* the run being served */

/* Runs on Paho's thread: what the application sees of each message. */
static void on_msg(void *app, const char *topic, size_t topic_len,
                   const unsigned char *payload, size_t len, int retained,
                   int dup)
{
    sub_state *s = app;
    unsigned char plain[MAX_PLAIN];
    size_t plain_len = len;

    (void)retained;
    (void)dup;
    if (s->run->mode == E2E_RAW &&
        (len > sizeof plain + E2E_RAW_OVERHEAD ||
         e2e_raw_open(plain, &plain_len, s->cfg->raw_key, topic, topic_len,
                      payload, len) != 0)) {
        plain_len = 0;
    }
    if (plain_len != s->run->size) {
        atomic_fetch_add(&s->rejected, 1);
        return;
    }
    if (atomic_fetch_add(&s->received, 1) + 1 == s->run->n) {
        atomic_store(&s->last_s, e2e_now_s());
    }
}

/* The hooks refused a message: count it, and say why once per run. */
static void on_reject(void *app, const mqttseal_paho_rejection *r)
{
    sub_state *s = app;

    if (atomic_fetch_add(&s->rejected, 1) == 0) {
        fprintf(stderr, "e2e_throughput: rejected: %s\n",
                mqttseal_strerror(r->reason));
    }
}

/* Until every message arrived or was rejected, or the time is up. */
static void wait_run(sub_state *s)
{
    int64_t end = tb_now_ms() + RUN_TIMEOUT_MS;

    while (atomic_load(&s->received) + atomic_load(&s->rejected) < s->run->n &&
           tb_now_ms() < end) {
        tb_sleep_ms(1);
    }
    if (atomic_load(&s->received) < s->run->n) {
        tb_sleep_ms(200); /* whatever was still coming has come */
    }
}

static int say(int fd, const void *p, size_t len)
{
    return write(fd, p, len) == (ssize_t)len ? 0 : -1;
}

/* Connects, subscribes, says so, and waits for the run's messages. */
static int serve_run(const e2e_config *cfg, const e2e_run *run, int reply_fd,
                     mqttseal_paho *hooks, e2e_result *res)
{
    sub_state *s = &state;
    char id[64];
    tb_client c;
    tb_client_opts o = {0};
    double cpu0 = e2e_cpu_s();
    char ready;

    memset(&c, 0, sizeof c);
    s->cfg = cfg;
    s->run = run;
    atomic_store(&s->received, 0);
    atomic_store(&s->rejected, 0);
    atomic_store(&s->last_s, 0.0);
    tb_client_id(id, sizeof id, "bench-sub");
    o.uri = cfg->uri;
    o.ca_file = cfg->ca_file;
    o.async = cfg->async;
    o.client_id = id;
    o.hooks = hooks;
    o.on_msg = on_msg;
    o.app = s;
    ready = tb_client_connect(&c, &o) == 0 &&
                    tb_client_subscribe(&c, run->topic, 0) == 0
                ? 'r'
                : 'f';
    if (say(reply_fd, &ready, 1) == 0 && ready == 'r') {
        wait_run(s);
    }
    res->received = atomic_load(&s->received);
    res->rejected = atomic_load(&s->rejected);
    res->last_s = atomic_load(&s->last_s);
    res->cpu_s = e2e_cpu_s() - cpu0;
    tb_client_close(&c);
    return ready == 'r' ? 0 : -1;
}

static int serve_sealed(const e2e_config *cfg, const e2e_run *run, int reply_fd,
                        e2e_result *res)
{
    mqttseal_ctx *ctx = tb_ctx(cfg->sub_kr);
    mqttseal_paho *hooks = NULL;
    int rc = -1;

    if (mqttseal_paho_new(&hooks, ctx) == MQTTSEAL_OK &&
        mqttseal_paho_set_reject_callback(hooks, on_reject, &state) ==
            MQTTSEAL_OK) {
        rc = serve_run(cfg, run, reply_fd, hooks, res);
    }
    mqttseal_paho_free(hooks);
    mqttseal_ctx_free(ctx);
    return rc;
}

int e2e_subscriber(const e2e_config *cfg, int cmd_fd, int reply_fd)
{
    e2e_run run;

    while (read(cmd_fd, &run, sizeof run) == (ssize_t)sizeof run) {
        e2e_result res;
        int rc;

        memset(&res, 0, sizeof res);
        rc = run.mode == E2E_SEALED
                 ? serve_sealed(cfg, &run, reply_fd, &res)
                 : serve_run(cfg, &run, reply_fd, NULL, &res);
        if (rc != 0 || say(reply_fd, &res, sizeof res) != 0) {
            return 1;
        }
    }
    return 0;
}
