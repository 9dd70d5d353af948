/*
 * A private redis-server for the redis suite: a free 127.0.0.1 port, a
 * unix socket and a config in a fresh temporary directory, stopped by its
 * pid. No persistence unless asked (aof = 1: appendonly, fsync always, so
 * state survives a kill and a restart).
 */
#ifndef MQTTSEAL_TESTS_TR_H
#define MQTTSEAL_TESTS_TR_H

#include <sys/types.h>

typedef struct tr_redis {
    pid_t pid;
    int port;
    char dir[200];
    char sock[260];
    char url[320]; /* redis://127.0.0.1:PORT */
    int tls_port;  /* tr_redis_start_tls: also TLS here */
} tr_redis;

/* extra_conf (may be NULL) is appended to the config. 0 or -1. */
int tr_redis_start(tr_redis *r, int aof, const char *extra_conf);

/* The same, with TLS on a second free port as well, using the
 * certificates tests/redis/mkcerts.sh made in certdir (server.crt/key,
 * clients verified against ca.crt; tls-auth-clients as given: "yes",
 * "optional" or "no"). 0 or -1. */
int tr_redis_start_tls(tr_redis *r, const char *certdir,
                       const char *auth_clients, const char *extra_conf);

/* SIGTERM (or sig), reap; the directory stays for a restart. */
void tr_redis_kill(tr_redis *r, int sig);

/* Start again on the same port with the same config. 0 or -1. */
int tr_redis_restart(tr_redis *r);

/* Kill and remove the directory. */
void tr_redis_stop(tr_redis *r);

#endif
