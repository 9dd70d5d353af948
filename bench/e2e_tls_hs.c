/*
 * bench/e2e_tls: what a connection costs. A client process makes n
 * connections one after the other (MQTTClient create, connect, CONNACK,
 * disconnect, destroy: a full handshake each, as Paho keeps no TLS
 * session between clients) after one warm-up connection that pays for
 * library initialisation. Reported per connection: wall time, client
 * CPU, broker CPU and the bytes mosquitto read and wrote.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <MQTTClient.h>

#include "e2e.h"
#include "e2e_tls.h"
#include "tb_client.h"

#define MAX_REPS 31

static const char *const link_names[E2E_LINKS] = {"plain TCP", "TLS 1.2",
                                                  "TLS 1.3"};

typedef struct hs_job {
    const e2e_tls_env *env;
    e2e_link link;
    int n;
    int out_fd;      /* 'w' when warmed up, then the hs_report */
    int go_fd, go_w; /* 'g' to start; go_w: the orchestrator's end */
} hs_job;

typedef struct hs_report {
    int connects;  /* that succeeded, of n */
    int capped;    /* TLS 1.2 only: the TLS 1.3 listener refused us */
    double wall_s; /* create and connect, until each CONNACK */
    double cpu_s;  /* the whole of the n connections */
} hs_report;

/* One quiet connection attempt: 1 if the broker refused it. */
static int refused(const char *uri, const char *ca)
{
    MQTTClient c = NULL;
    MQTTClient_connectOptions o = MQTTClient_connectOptions_initializer;
    MQTTClient_SSLOptions ssl = MQTTClient_SSLOptions_initializer;
    int rc;

    ssl.trustStore = ca;
    ssl.verify = 1;
    o.ssl = &ssl;
    o.connectTimeout = 5;
    rc = MQTTClient_create(&c, uri, "bench-tls-cap",
                           MQTTCLIENT_PERSISTENCE_NONE, NULL);
    if (rc == MQTTCLIENT_SUCCESS &&
        (rc = MQTTClient_connect(c, &o)) == MQTTCLIENT_SUCCESS) {
        MQTTClient_disconnect(c, 100);
    }
    MQTTClient_destroy(&c);
    return rc != MQTTCLIENT_SUCCESS;
}

/* One connection; *wall_s += the time until the CONNACK. */
static int connect_once(const hs_job *j, double *wall_s)
{
    char id[64];
    tb_client c;
    tb_client_opts o = {0};
    double t0;
    int rc;

    tb_client_id(id, sizeof id, "bench-hs");
    o.uri = j->env->uri[j->link];
    o.ca_file = e2e_tls_ca(j->env, j->link);
    o.client_id = id;
    t0 = e2e_now_s();
    rc = tb_client_connect(&c, &o);
    *wall_s += e2e_now_s() - t0;
    tb_client_close(&c);
    return rc;
}

/* The client process. */
static int hs_main(void *arg)
{
    const hs_job *j = arg;
    hs_report r = {0, 0, 0, 0};
    double warm = 0, cpu0;
    char go;

    close(j->go_w);
    if (j->link == E2E_TLS12) {
        r.capped = refused(j->env->uri[E2E_TLS13], j->env->ca_file);
    }
    /* The orchestrator counts mosquitto's work from 'g' on. */
    if (connect_once(j, &warm) == 0 && write(j->out_fd, "w", 1) == 1 &&
        read(j->go_fd, &go, 1) == 1) {
        cpu0 = e2e_cpu_s();
        while (r.connects < j->n && connect_once(j, &r.wall_s) == 0) {
            r.connects++;
        }
        r.cpu_s = e2e_cpu_s() - cpu0;
    }
    return write(j->out_fd, &r, sizeof r) == (ssize_t)sizeof r ? 0 : 1;
}

typedef struct hs_series {
    double v[4][MAX_REPS]; /* wall ms, client µs, broker µs, bytes */
} hs_series;

/* From the child's 'w' to its report: mosquitto's CPU and bytes. */
static int hs_wait(const e2e_tls_env *env, int out_fd, int go_fd, hs_report *r,
                   double broker[2])
{
    char w = 0;
    int ok = read(out_fd, &w, 1) == 1 && w == 'w';

    broker[0] = e2e_tls_broker_cpu_s(env);
    broker[1] = e2e_tls_broker_io(env);
    ok = ok && write(go_fd, "g", 1) == 1 &&
         read(out_fd, r, sizeof *r) == (ssize_t)sizeof *r;
    broker[0] = e2e_tls_broker_cpu_s(env) - broker[0];
    return ok ? 0 : -1;
}

/* One process's n connections; fills rep of s. */
static int hs_run(const e2e_tls_env *env, e2e_link link, int n, hs_series *s,
                  int rep)
{
    int out[2], go[2];
    hs_job j = {env, link, n, -1, -1, -1};
    hs_report r = {0, 0, 0, 0};
    double broker[2] = {0, 0};
    pid_t pid;
    int ok;

    if (pipe(out) != 0 || pipe(go) != 0) {
        return -1;
    }
    j = (hs_job){env, link, n, out[1], go[0], go[1]};
    pid = e2e_tls_fork(env, link, hs_main, &j);
    close(out[1]);
    close(go[0]);
    ok = pid > 0 && hs_wait(env, out[0], go[1], &r, broker) == 0;
    close(out[0]);
    close(go[1]);
    if (pid <= 0 || e2e_tls_reap(pid) != 0 || !ok || r.connects != n) {
        fprintf(stderr, "e2e_tls: %s connections failed\n", link_names[link]);
        return -1;
    }
    if (link == E2E_TLS12 && !r.capped) {
        fprintf(stderr, "e2e_tls: the TLS 1.2 cap did not hold\n");
        return -1;
    }
    s->v[0][rep] = r.wall_s * 1e3 / n;
    s->v[1][rep] = r.cpu_s * 1e6 / n;
    s->v[2][rep] = broker[0] * 1e6 / n;
    s->v[3][rep] = e2e_tls_wire(env, broker[1], n, n);
    return 0;
}

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

static void hs_print(const hs_series *s, int reps)
{
    double m[E2E_LINKS][4];

    for (int l = 0; l < E2E_LINKS; l++) {
        for (int k = 0; k < 4; k++) {
            m[l][k] = median(s[l].v[k], reps);
        }
    }
    printf("  per connection  wall ms   client CPU µs  broker CPU µs  "
           "wire B   x plain: wall, CPU\n");
    for (int l = 0; l < E2E_LINKS; l++) {
        double cpu = m[l][1] + m[l][2], cpu_p = m[0][1] + m[0][2];
        printf("  %-13s %9.2f %15.0f %14.0f %8.0f   %13.2f, %.2f\n",
               link_names[l], m[l][0], m[l][1], m[l][2], m[l][3],
               m[l][0] / m[0][0], cpu / cpu_p);
    }
    fflush(stdout);
}

int e2e_tls_handshakes(const e2e_tls_env *env, int n, int reps)
{
    hs_series s[E2E_LINKS];

    memset(s, 0, sizeof s);
    printf("# Connections: %d per process, one after another, %d "
           "repetitions in\n# rotating order, medians. wall: MQTTClient "
           "create + connect, until the\n# CONNACK; CPU and wire: the whole "
           "cycle (create, connect, disconnect,\n# destroy).\n",
           n, reps);
    for (int rep = 0; rep < reps; rep++) {
        for (int k = 0; k < E2E_LINKS; k++) {
            e2e_link link = (e2e_link)((rep + k) % E2E_LINKS);
            if (hs_run(env, link, n, &s[link], rep) != 0) {
                return -1;
            }
        }
    }
    printf("# TLS 1.2 clients are capped: the TLS 1.3 listener refused "
           "them.\n");
    hs_print(s, reps);
    return 0;
}
