/* Private state of libmqttseal-paho, shared by its source files. */
#ifndef MQTTSEAL_PAHO_HOOKS_H
#define MQTTSEAL_PAHO_HOOKS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <mqttseal/paho.h>

/* Core reasons 1..REASON_OTHER-1 count apart; higher ones share a slot. */
#define REASON_OTHER 63
#define REASON_SLOTS 65 /* 0 unused, 1..63 core, 64 duplicate */
#define REASON_DUP_SLOT 64

/* Messages kept opened for Paho's redelivery after the app returned 0. */
#define PENDING_SLOTS 8
#define PENDING_DIGEST 16

/* Who signed an opened message (what mqttseal_paho_message_origin says). */
typedef struct origin {
    int is_signed;
    unsigned char id[MQTTSEAL_SIGNERIDBYTES];
} origin;

typedef struct pending_slot {
    const void *client; /* the Paho handle it came through, and its kind */
    int kind;
    origin org; /* who signed it, for the app's retry */
    const void *msg;
    const void *payload;
    int len;
    unsigned char digest[PENDING_DIGEST];
} pending_slot;

typedef struct pending {
    pthread_mutex_t lock;
    atomic_int used; /* lets the common path skip the lock */
    unsigned next;   /* round-robin eviction when full */
    pending_slot slot[PENDING_SLOTS];
} pending;

enum { BIND_CLIENT = 1, BIND_ASYNC = 2 };

/* One set-callbacks call: never changed once Paho may call through it. */
typedef struct binding {
    struct binding *next;
    mqttseal_paho *h;
    void *client;
    int kind;
    void *app_ctx;
    union {
        MQTTClient_messageArrived *c;
        MQTTAsync_messageArrived *a;
    } ma;
    union {
        MQTTClient_connectionLost *c;
        MQTTAsync_connectionLost *a;
    } cl;
    union {
        MQTTClient_deliveryComplete *c;
        MQTTAsync_deliveryComplete *a;
    } dc;
} binding;

struct mqttseal_paho {
    mqttseal_ctx *ctx;
    int owns_ctx;
    mqttseal_keyring *kr;   /* kept by mqttseal_paho_load for will sessions */
    mqttseal_ctx *will_ctx; /* with kr: seals wills, a new session each */
    pthread_mutex_t will_lock; /* one will seal at a time in will_ctx */
    atomic_uint options;
    pthread_mutex_t lock; /* guards reject, reject_ctx, bindings */
    mqttseal_paho_reject_cb *reject;
    void *reject_ctx;
    binding *bindings;
    atomic_uint_fast64_t rejected[REASON_SLOTS];
    atomic_uint_fast64_t delivered;
    pending pend;
};

/* What arrived, independent of MQTTClient_message / MQTTAsync_message. */
typedef struct arrival {
    const void *client; /* the Paho handle, and BIND_CLIENT or BIND_ASYNC */
    int kind;
    const void *msg;
    const char *topic;
    size_t topic_len;
    unsigned char *payload;
    int *payloadlen;
    int qos;
    int retained;
    int dup;
} arrival;

/* arrive.c */
int ms_paho_open(mqttseal_paho *h, const arrival *a, origin *org);
void ms_paho_reject(mqttseal_paho *h, const arrival *a, int reason);
void ms_paho_refused(mqttseal_paho *h, const arrival *a, const origin *org);
int ms_paho_bind(mqttseal_paho *h, const binding *proto, binding **out);

/* pending.c */
int ms_pending_init(pending *p);
void ms_pending_destroy(pending *p);
int ms_pending_take(pending *p, const arrival *a, origin *org);
void ms_pending_put(pending *p, const arrival *a, const origin *org);

/* sign.c: the origin of the message the app is called with, per thread. */
void ms_origin_enter(const mqttseal_paho *h, const origin *org);
void ms_origin_leave(void);

/* seal.c: sealing into a stack buffer, or the heap above STACK_SEALED. */
#define STACK_SEALED 2048

typedef struct sealbuf {
    unsigned char *p;
    size_t len;
    unsigned char stack[STACK_SEALED];
} sealbuf;

/* retained != 0 seals as retained (MQTTSEAL_SEAL_RETAINED). */
int ms_paho_seal(const mqttseal_paho *h, mqttseal_ctx *ctx, sealbuf *sb,
                 const char *topic, const void *payload, int payloadlen,
                 int retained);
void ms_sealbuf_release(sealbuf *sb);
int ms_props_prepare(mqttseal_paho *h, const MQTTProperties *in,
                     MQTTProperties *out);
int ms_props_has_pfi(const MQTTProperties *props);

#endif /* MQTTSEAL_PAHO_HOOKS_H */
