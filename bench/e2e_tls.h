/*
 * Shared by the files of bench/e2e_tls: the throwaway PKI, the broker
 * with its TLS listeners and its /proc counters (e2e_tls_broker.c), the
 * handshake bench (e2e_tls_hs.c) and the throughput runs (e2e_tls.c).
 *
 * Every MQTT client of the bench runs in a child process that the
 * orchestrator forks before it makes any Paho call itself (it makes
 * none). That is how a client is capped at TLS 1.2: Paho 1.3.12 with
 * OpenSSL 3 ignores MQTTClient_SSLOptions.sslVersion, and OpenSSL reads
 * OPENSSL_CONF once, when Paho first initialises it in the process.
 */
#ifndef MQTTSEAL_BENCH_E2E_TLS_H
#define MQTTSEAL_BENCH_E2E_TLS_H

#include <sys/types.h>

#include "tb.h"

/* How a client process reaches the broker. */
typedef enum e2e_link {
    E2E_TCP,   /* the plain listener */
    E2E_TLS12, /* listener with tls_version tlsv1.2 (a minimum); the
                  client's OPENSSL_CONF sets MaxProtocol = TLSv1.2 */
    E2E_TLS13, /* listener with tls_version tlsv1.3: nothing older */
    E2E_LINKS
} e2e_link;

typedef struct e2e_tls_env {
    tb_broker broker;     /* mosquitto; broker.uri is the plain listener */
    char ca_file[300];    /* throwaway CA (P-256) that signed the broker */
    char tls12_conf[300]; /* OPENSSL_CONF capping a client at TLS 1.2 */
    int port[E2E_LINKS];
    char uri[E2E_LINKS][64];
    double accept_io; /* bytes mosquitto reads per accepted connection
                         that are not network traffic: Debian builds it
                         with libwrap, which reads /etc/hosts.allow and
                         /etc/hosts.deny on every accept */
} e2e_tls_env;

/*
 * Make the CA and the broker's certificate with the openssl command in
 * a temporary directory, then start mosquitto with the plain and both
 * TLS listeners on free 127.0.0.1 ports (set_tcp_nodelay, no
 * persistence, no connection log lines). 0, or -1 after saying why.
 */
int e2e_tls_start(e2e_tls_env *env);

/* Stop mosquitto by its pid and remove its directory. */
void e2e_tls_stop(e2e_tls_env *env);

/* The CA file for a TLS link, NULL for plain TCP. */
const char *e2e_tls_ca(const e2e_tls_env *env, e2e_link link);

/*
 * mosquitto's CPU seconds: /proc/PID/schedstat (nanoseconds; mosquitto
 * 2.0 has one thread), else user plus system from /proc/PID/stat.
 */
double e2e_tls_broker_cpu_s(const e2e_tls_env *env);

/*
 * Bytes mosquitto has read plus written (/proc/PID/io rchar + wchar):
 * with no persistence and no connection log lines, that is its socket
 * traffic plus accept_io per connection it accepted.
 */
double e2e_tls_broker_io(const e2e_tls_env *env);

/* Socket bytes per unit: the io delta less accept_io per accept. */
double e2e_tls_wire(const e2e_tls_env *env, double io0, int accepts,
                    double per);

/*
 * Fork a client process for link that runs fn(arg) and exits with its
 * result. The child sets OPENSSL_CONF for E2E_TLS12 before anything
 * else, and dies with the orchestrator. Returns the pid, or -1.
 */
pid_t e2e_tls_fork(const e2e_tls_env *env, e2e_link link, int (*fn)(void *),
                   void *arg);

/* Wait for a client process; 0 if it exited with status 0. */
int e2e_tls_reap(pid_t pid);

/*
 * The handshake bench: n connects (and disconnects) per repetition with
 * each link, in rotating order, after checking that a client capped at
 * TLS 1.2 is refused by the TLS 1.3 listener. Prints a table; 0, or -1
 * when a connect failed or the cap did not hold.
 */
int e2e_tls_handshakes(const e2e_tls_env *env, int n, int reps);

#endif /* MQTTSEAL_BENCH_E2E_TLS_H */
