/*
 * What the example programs share: flags, one-line errors, message
 * sources, and the subscriber's printing and waiting. Nothing here seals
 * or opens: the programs themselves show every mqttseal call.
 *
 * common.c is compiled twice: with EX_SEALED for the sealed programs
 * (error texts from mqttseal_paho_strerror, and ex_keyring), without it
 * for the plain ones, which then do not link mqttseal at all.
 */
#ifndef EX_COMMON_H
#define EX_COMMON_H

#include <MQTTAsync.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

enum ex_kind { EX_PUB, EX_SUB };

typedef struct ex_opts {
    const char *prog;
    const char *broker;    /* -b URI, default tcp://127.0.0.1:1883 */
    const char *topic;     /* -t */
    const char *keyring;   /* -k (sealed programs) */
    const char *message;   /* -m; else lines from stdin (publishers) */
    const char *client_id; /* -i */
    const char *will;      /* -L will topic (async_pub) */
    long count;            /* -n: publish -m this many times */
    long limit;            /* -C: exit after this many messages */
    int qos;               /* -q 0|1|2 */
    int version;           /* -V 311|5 (MQTTVERSION_3_1_1 or _5) */
    int retained;          /* -r */
    int verbose;           /* -v: print the topic before each message */
    int timeout;           /* -W seconds, 0 = wait for ever */
    int content_type;      /* -T: MQTT 5 content type (sealed) */
    long sent;             /* messages handed out by ex_next_message */
    char line[8192];
} ex_opts;

/* Parse argv or exit 1 with usage. */
void ex_parse(int argc, char **argv, ex_opts *o, enum ex_kind kind);

/* Print "prog: what: detail" to stderr and exit 1. */
_Noreturn void ex_die(const char *what, const char *detail);

/* Exit with a one-line error unless rc is 0 (a Paho or mqttseal code). */
void ex_check(int rc, const char *what);

/* The next payload (-m repeated -n times, or a stdin line), or NULL. */
const char *ex_next_message(ex_opts *o);

/* A client id: -i, or prog-PID. */
const char *ex_client_id(const ex_opts *o, char *buf, size_t cap);

/* Subscriber state shared with Paho's callback thread. */
typedef struct ex_sub {
    const ex_opts *o;
    atomic_long received;
    atomic_int lost;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} ex_sub;

void ex_sub_init(ex_sub *s, const ex_opts *o);
void ex_sub_destroy(ex_sub *s);
/* Print one message ("topic payload" with -v) and count it. */
void ex_sub_print(ex_sub *s, const char *topic, int topic_len,
                  const void *payload, int len);
/* The connection is gone: wake the waiting main thread. */
void ex_sub_lost(ex_sub *s, const char *cause);
void ex_sub_wake(ex_sub *s);
/*
 * Wait for -C messages (or for ever), a signal, a lost connection or the
 * -W timeout. @return the exit status: 0, or 1 with a message printed.
 */
int ex_sub_wait(ex_sub *s);
/* Tell a script waiting for the subscription that it is in place. */
void ex_sub_ready(const ex_opts *o);

/* A one-shot event for MQTTAsync's success and failure callbacks. */
typedef struct ex_latch {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
    int rc;
    char why[128];
} ex_latch;

void ex_latch_init(ex_latch *l);
void ex_latch_destroy(ex_latch *l);
/* Record the outcome (rc 0 = success; why may be NULL) and wake. */
void ex_latch_set(ex_latch *l, int rc, const char *why);
/* Wait up to seconds, then exit 1 with a one-line error on failure. */
void ex_latch_wait(ex_latch *l, int seconds, const char *what);

/* MQTTAsync success/failure callbacks that set the latch in context. */
void ex_on_success(void *context, MQTTAsync_successData *d);
void ex_on_failure(void *context, MQTTAsync_failureData *d);
void ex_on_success5(void *context, MQTTAsync_successData5 *d);
void ex_on_failure5(void *context, MQTTAsync_failureData5 *d);

/* Point the callbacks of MQTTAsync options (connect, response,
 * disconnect) at the latch, in the MQTT 5 flavour when version is 5. */
#define EX_ASYNC_CALLBACKS(opts, latch, version)                               \
    do {                                                                       \
        (opts).context = (latch);                                              \
        if ((version) == MQTTVERSION_5) {                                      \
            (opts).onSuccess5 = ex_on_success5;                                \
            (opts).onFailure5 = ex_on_failure5;                                \
        } else {                                                               \
            (opts).onSuccess = ex_on_success;                                  \
            (opts).onFailure = ex_on_failure;                                  \
        }                                                                      \
    } while (0)

#ifdef EX_SEALED
struct mqttseal_paho;
/*
 * mqttseal_paho_load(keyring) with a one-line error and exit 1 when the
 * keyring does not load, and a rejection callback that prints each
 * refused message and its reason to stderr.
 */
struct mqttseal_paho *ex_keyring(const ex_opts *o);
#endif

#endif /* EX_COMMON_H */
