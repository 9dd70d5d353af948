/*
 * Shared by the two processes of bench/e2e_throughput: the publisher
 * (the main program) and the subscriber it forks before any Paho call.
 * They talk over two pipes: the publisher sends an e2e_run, the
 * subscriber answers one byte when it is subscribed and an e2e_result
 * when the run is over.
 */
#ifndef MQTTSEAL_BENCH_E2E_H
#define MQTTSEAL_BENCH_E2E_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include <mqttseal/mqttseal.h>

/* What is published in a run. */
typedef enum e2e_mode {
    E2E_PLAIN,  /* the payload as it is, plain Paho on both sides */
    E2E_RAW,    /* the floor: bare libsodium AEAD around plain Paho */
    E2E_SEALED, /* mqttseal through the Paho hooks on both sides */
    E2E_MODES
} e2e_mode;

typedef struct e2e_run {
    int mode;
    long n;          /* messages the publisher will send */
    size_t size;     /* plaintext bytes in each */
    char topic[128]; /* a fresh topic per run */
} e2e_run;

typedef struct e2e_result {
    long received; /* reached the application, intact */
    long rejected; /* failed to open, or wrong plaintext length */
    double last_s; /* e2e_now_s() when the n-th arrived (0: never) */
    double cpu_s;  /* CPU the subscriber process used during the run */
} e2e_result;

typedef struct e2e_config {
    const char *uri;
    const char *ca_file;            /* ssl:// URIs: the broker's CA */
    int async;                      /* 0: MQTTClient, 1: MQTTAsync */
    const mqttseal_keyring *sub_kr; /* the subscriber's grant */
    const unsigned char *raw_key;   /* E2E_RAW_KEYBYTES */
} e2e_config;

/* CLOCK_MONOTONIC seconds: one clock for both processes. */
double e2e_now_s(void);

/* User plus system CPU seconds this process has used. */
double e2e_cpu_s(void);

/* The subscriber process: serves runs from cmd_fd until it is closed. */
int e2e_subscriber(const e2e_config *cfg, int cmd_fd, int reply_fd);

/*
 * The raw floor: the least any sealing with mqttseal's AEAD must do. The
 * frame is u64le(seq) || XChaCha20-Poly1305(payload), with the nonce
 * 0^16 || u64le(seq) and the topic as associated data. No key lookup, no
 * replay check, no header. seq must never repeat under one key.
 */
#define E2E_RAW_KEYBYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define E2E_RAW_OVERHEAD (8 + crypto_aead_xchacha20poly1305_ietf_ABYTES)

size_t e2e_raw_seal(unsigned char *out, const unsigned char *key, uint64_t seq,
                    const char *topic, size_t topic_len,
                    const unsigned char *msg, size_t len);

/* 0 and *out_len, or -1 when the frame is short or does not verify. */
int e2e_raw_open(unsigned char *out, size_t *out_len, const unsigned char *key,
                 const char *topic, size_t topic_len,
                 const unsigned char *frame, size_t len);

#endif /* MQTTSEAL_BENCH_E2E_H */
