/*
 * Support for the broker suite: a private mosquitto on a free 127.0.0.1
 * port, child processes (mosquitto_pub, mosquitto_sub), keyrings, payload
 * patterns and small clock/memory helpers. Only loopback is ever used.
 */
#ifndef MQTTSEAL_TESTS_TB_H
#define MQTTSEAL_TESTS_TB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <mqttseal/mqttseal.h>

/* ------------------------------------------------------------------ */
/* Private mosquitto                                                   */
/* ------------------------------------------------------------------ */

typedef struct tb_broker {
    pid_t pid;     /* running mosquitto we started; 0 if none */
    int port;      /* 127.0.0.1:port */
    int shared;    /* 1: MQTTSEAL_TEST_BROKER_PORT, not ours to stop */
    char dir[256]; /* config, log and persistence (private only) */
    char uri[64];  /* "tcp://127.0.0.1:PORT" */
} tb_broker;

/*
 * Start a private mosquitto on a free port, with persistence in a fresh
 * temporary directory. extra_conf (may be NULL) is appended to the
 * config. Returns 0, or -1 after printing the broker's log.
 */
int tb_broker_start(tb_broker *b, const char *extra_conf);

/*
 * Use the shared broker named by MQTTSEAL_TEST_BROKER_PORT if it is set,
 * else start a private one. For tests that never kill the broker.
 */
int tb_broker_open(tb_broker *b);

/* Stop our mosquitto with sig and reap it (no-op for a shared broker). */
int tb_broker_kill(tb_broker *b, int sig);

/* Start our mosquitto again on the same port with the same config. */
int tb_broker_restart(tb_broker *b);

/* SIGTERM, waitpid and remove the temporary directory. */
void tb_broker_stop(tb_broker *b);

/* A free 127.0.0.1 TCP port (for a second listener), or -1. */
int tb_free_port(void);

/* 1 when something accepts connections on 127.0.0.1:port. */
int tb_connectable(int port);

/* ------------------------------------------------------------------ */
/* Child processes                                                     */
/* ------------------------------------------------------------------ */

/*
 * Start argv[0] (looked up in PATH) with stdin from /dev/null and stdout
 * and stderr to out_path (NULL: /dev/null). The child dies with us.
 * Returns its pid, or -1.
 */
pid_t tb_spawn(char *const argv[], const char *out_path);

/* Send sig (0: none) and wait. Returns the wait status, or -1. */
int tb_reap(pid_t pid, int sig);

/* Wait up to timeout_ms for pid to exit. Returns its status, or -1. */
int tb_wait_exit(pid_t pid, int timeout_ms);

/* ------------------------------------------------------------------ */
/* Keys, topics and payloads                                           */
/* ------------------------------------------------------------------ */

/* A keyring with a fresh root key under key_id (primary). */
mqttseal_keyring *tb_keyring_root(uint32_t key_id);

/* A keyring holding only the grant filter derived from src's key_id. */
mqttseal_keyring *tb_keyring_grant(const mqttseal_keyring *src, uint32_t key_id,
                                   const char *filter);

/* A context over kr; aborts the test program on failure. */
mqttseal_ctx *tb_ctx(const mqttseal_keyring *kr);

/* A run-unique topic prefix "mqttseal-test/<name>/<pid>-<random>". */
void tb_prefix(char *out, size_t cap, const char *name);

/*
 * The test plaintext number i of a stream: it starts with marker (a
 * string the eavesdropper check looks for), then "#<i>#", then
 * pseudo-random bytes derived from seed and i. Length varies with i,
 * between 24 and about 300 bytes. Returns the length written (<= cap).
 */
size_t tb_payload(unsigned char *out, size_t cap, const char *marker,
                  uint32_t seed, uint32_t i);

/*
 * Check that msg is exactly tb_payload(marker, seed, i) for some i and
 * return that i, or -1 when it is not a well-formed test payload.
 */
long tb_payload_check(const void *msg, size_t len, const char *marker,
                      uint32_t seed);

/* A client id unique on a shared broker: "<name>-<pid>-<counter>". */
void tb_client_id(char *out, size_t cap, const char *name);

/* Fill with deterministic pseudo-random bytes (xorshift, *state != 0). */
void tb_random(unsigned char *out, size_t len, uint64_t *state);

/* ------------------------------------------------------------------ */
/* Time, memory, files                                                 */
/* ------------------------------------------------------------------ */

/* Monotonic milliseconds. */
int64_t tb_now_ms(void);

/* Sleep for ms milliseconds. */
void tb_sleep_ms(long ms);

/* VmRSS of this process in KiB, or -1. */
long tb_rss_kib(void);

/* Read a whole file into a malloc'd buffer (NUL added). NULL on error. */
unsigned char *tb_read_file(const char *path, size_t *len);

/* Like memmem (which C11 and POSIX lack). */
const void *tb_memmem(const void *hay, size_t hay_len, const void *needle,
                      size_t needle_len);

/* A path in a private temporary directory that lives until exit. */
void tb_temp_path(char *out, size_t cap, const char *name);

#endif /* MQTTSEAL_TESTS_TB_H */
