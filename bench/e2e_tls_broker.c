/*
 * bench/e2e_tls: the throwaway PKI, the broker with a plain and two TLS
 * listeners, its /proc counters, and the client processes.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e_tls.h"

#define LISTEN_WAIT_MS 10000
#define ACCEPT_PROBES 8

static const char tls12_conf[] = "openssl_conf = openssl_init\n"
                                 "[openssl_init]\n"
                                 "ssl_conf = ssl_sect\n"
                                 "[ssl_sect]\n"
                                 "system_default = system_default_sect\n"
                                 "[system_default_sect]\n"
                                 "MaxProtocol = TLSv1.2\n";

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    int ok;

    if (f == NULL) {
        return -1;
    }
    ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* Runs the openssl command; its output goes to openssl.log. */
static int openssl(char *const argv[])
{
    char log[300];
    int st;

    tb_temp_path(log, sizeof log, "openssl.log");
    st = tb_reap(tb_spawn(argv, log), 0);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "e2e_tls: openssl %s failed, see %s\n", argv[1], log);
        return -1;
    }
    return 0;
}

/* A P-256 CA, and a certificate for 127.0.0.1 (IP SAN) that it signs. */
static int make_pki(e2e_tls_env *env, char *crt, char *key, size_t cap)
{
    char ca_key[300], csr[300], ext[300];
    char *ca[] = {"openssl",
                  "req",
                  "-x509",
                  "-newkey",
                  "ec",
                  "-pkeyopt",
                  "ec_paramgen_curve:P-256",
                  "-nodes",
                  "-keyout",
                  ca_key,
                  "-out",
                  env->ca_file,
                  "-subj",
                  "/CN=mqttseal bench CA",
                  "-days",
                  "2",
                  NULL};
    char *req[] = {"openssl",
                   "req",
                   "-newkey",
                   "ec",
                   "-pkeyopt",
                   "ec_paramgen_curve:P-256",
                   "-nodes",
                   "-keyout",
                   key,
                   "-out",
                   csr,
                   "-subj",
                   "/CN=127.0.0.1",
                   NULL};
    char *sign[] = {
        "openssl", "x509",       "-req",   "-in",  csr,
        "-CA",     env->ca_file, "-CAkey", ca_key, "-CAcreateserial",
        "-out",    crt,          "-days",  "2",    "-extfile",
        ext,       NULL};

    tb_temp_path(env->ca_file, sizeof env->ca_file, "ca.crt");
    tb_temp_path(ca_key, sizeof ca_key, "ca.key");
    tb_temp_path(csr, sizeof csr, "server.csr");
    tb_temp_path(ext, sizeof ext, "server.ext");
    tb_temp_path(crt, cap, "server.crt");
    tb_temp_path(key, cap, "server.key");
    tb_temp_path(env->tls12_conf, sizeof env->tls12_conf, "tls12.cnf");
    if (write_text(ext, "subjectAltName = IP:127.0.0.1\n") != 0 ||
        write_text(env->tls12_conf, tls12_conf) != 0) {
        return -1;
    }
    return openssl(ca) == 0 && openssl(req) == 0 && openssl(sign) == 0 ? 0 : -1;
}

/* What tb_broker_start appends to its config: the TLS listeners. */
static void broker_conf(const e2e_tls_env *env, char *out, size_t cap,
                        const char *crt, const char *key)
{
    int n = snprintf(out, cap,
                     "persistence false\n"
                     "connection_messages false\n"
                     "set_tcp_nodelay true\n");

    for (int l = E2E_TLS12; l <= E2E_TLS13 && n > 0 && (size_t)n < cap; l++) {
        n += snprintf(out + n, cap - (size_t)n,
                      "listener %d 127.0.0.1\n"
                      "cafile %s\ncertfile %s\nkeyfile %s\n"
                      "tls_version %s\n",
                      env->port[l], env->ca_file, crt, key,
                      l == E2E_TLS12 ? "tlsv1.2" : "tlsv1.3");
    }
}

static int wait_listening(const e2e_tls_env *env)
{
    int64_t end = tb_now_ms() + LISTEN_WAIT_MS;

    while (!tb_connectable(env->port[E2E_TLS12]) ||
           !tb_connectable(env->port[E2E_TLS13])) {
        if (tb_now_ms() > end) {
            fprintf(stderr, "e2e_tls: the TLS listeners did not open\n");
            return -1;
        }
        tb_sleep_ms(20);
    }
    return 0;
}

/* TCP connections that send nothing: what mosquitto reads per accept
 * that is not traffic. */
static void measure_accept_io(e2e_tls_env *env)
{
    double io0 = e2e_tls_broker_io(env);

    for (int i = 0; i < ACCEPT_PROBES; i++) {
        tb_connectable(env->port[E2E_TCP]);
    }
    tb_sleep_ms(200); /* until mosquitto has served and closed them */
    env->accept_io = (e2e_tls_broker_io(env) - io0) / ACCEPT_PROBES;
}

int e2e_tls_start(e2e_tls_env *env)
{
    char crt[300], key[300], conf[2048];

    memset(env, 0, sizeof *env);
    if (make_pki(env, crt, key, sizeof crt) != 0) {
        return -1;
    }
    env->port[E2E_TLS12] = tb_free_port();
    env->port[E2E_TLS13] = tb_free_port();
    broker_conf(env, conf, sizeof conf, crt, key);
    if (env->port[E2E_TLS12] <= 0 || env->port[E2E_TLS13] <= 0 ||
        tb_broker_start(&env->broker, conf) != 0) {
        fprintf(stderr, "e2e_tls: mosquitto did not start\n");
        return -1;
    }
    env->port[E2E_TCP] = env->broker.port;
    for (int l = 0; l < E2E_LINKS; l++) {
        snprintf(env->uri[l], sizeof env->uri[l], "%s://127.0.0.1:%d",
                 l == E2E_TCP ? "tcp" : "ssl", env->port[l]);
    }
    if (wait_listening(env) != 0) {
        return -1;
    }
    tb_sleep_ms(200); /* the probes of wait_listening */
    measure_accept_io(env);
    return 0;
}

void e2e_tls_stop(e2e_tls_env *env)
{
    tb_broker_stop(&env->broker);
}

const char *e2e_tls_ca(const e2e_tls_env *env, e2e_link link)
{
    return link == E2E_TCP ? NULL : env->ca_file;
}

/* ------------------------------------------------------------------ */
/* mosquitto's counters                                                */
/* ------------------------------------------------------------------ */

static size_t read_proc(const e2e_tls_env *env, const char *name, char *buf,
                        size_t cap)
{
    char path[64];
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%ld/%s", (long)env->broker.pid, name);
    if ((f = fopen(path, "r")) == NULL) {
        return 0;
    }
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n;
}

double e2e_tls_broker_cpu_s(const e2e_tls_env *env)
{
    char buf[1024], *p;
    unsigned long long ns = 0;
    unsigned long ut = 0, st = 0;

    /* mosquitto 2.0 runs one thread: its schedstat counts nanoseconds,
     * where stat's clock ticks (10 ms) are too coarse for a handshake. */
    if (read_proc(env, "schedstat", buf, sizeof buf) > 0 &&
        sscanf(buf, "%llu", &ns) == 1 && ns > 0) {
        return (double)ns * 1e-9;
    }
    /* Fields 14 and 15, counted after the ")" that ends field 2. */
    if (read_proc(env, "stat", buf, sizeof buf) == 0 ||
        (p = strrchr(buf, ')')) == NULL ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &ut, &st) != 2) {
        return 0;
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double e2e_tls_broker_io(const e2e_tls_env *env)
{
    char buf[1024];
    unsigned long long rchar = 0, wchar = 0;

    if (read_proc(env, "io", buf, sizeof buf) == 0 ||
        sscanf(buf, "rchar: %llu wchar: %llu", &rchar, &wchar) != 2) {
        return 0;
    }
    return (double)rchar + (double)wchar;
}

double e2e_tls_wire(const e2e_tls_env *env, double io0, int accepts, double per)
{
    return (e2e_tls_broker_io(env) - io0 - accepts * env->accept_io) / per;
}

/* ------------------------------------------------------------------ */
/* Client processes                                                    */
/* ------------------------------------------------------------------ */

pid_t e2e_tls_fork(const e2e_tls_env *env, e2e_link link, int (*fn)(void *),
                   void *arg)
{
    pid_t pid;

    fflush(NULL);
    if ((pid = fork()) != 0) {
        return pid;
    }
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (link == E2E_TLS12 && setenv("OPENSSL_CONF", env->tls12_conf, 1) != 0) {
        _exit(2);
    }
    _exit(fn(arg));
}

int e2e_tls_reap(pid_t pid)
{
    int st = tb_reap(pid, 0);

    return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}
