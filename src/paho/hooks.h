/*
 * Private state of the Paho hooks, shared by their source files. Each
 * hooks library (libmqttseal-paho-c, -cs, -a, -as: src/paho/meson.build)
 * is the shared files plus those of its API:
 *
 *   shared   handle.c   the handle: life cycle, options, counters, the
 *                       rejection callback, mqttseal_paho_strerror
 *            arrive.c   opening in place (ms_paho_open), bindings
 *            pending.c  messages the application refused (return 0)
 *            publish.c  sealing into a sealbuf, MQTT 5 properties
 *            will.c     wills in one-off sessions, the sealed-will list
 *   client   client_arrive.c   messageArrived, setCallbacks
 *            client_publish.c  the four publish wrappers
 *            client_receive.c  mqttseal_MQTTClient_receive
 *            client_will.c     sealWill, connect, connect5
 *   async    async_arrive.c    messageArrived, setCallbacks
 *            async_send.c      send, sendMessage
 *            async_will.c      sealWill, connect
 *
 * Shared files call no MQTTClient_* or MQTTAsync_* function (Paho's
 * error text comes through ms_paho_api_strerror), so each library needs
 * its one Paho library only. MQTTProperties_* bind to that one.
 */
#ifndef MQTTSEAL_PAHO_HOOKS_H
#define MQTTSEAL_PAHO_HOOKS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

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
    atomic_uint options;
    pthread_mutex_t lock; /* guards reject, reject_ctx, bindings, wills */
    mqttseal_paho_reject_cb *reject;
    void *reject_ctx;
    binding *bindings;
    mqttseal_paho_will *wills; /* sealed and not yet freed */
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

static inline size_t ms_topic_length(const char *topic, int topic_len)
{
    if (topic == NULL) {
        return 0;
    }
    return topic_len > 0 ? (size_t)topic_len : strlen(topic);
}

#define ARRIVAL_OF(b, m, t, tl)                                                \
    {                                                                          \
        (b)->client, (b)->kind, (m), (t), ms_topic_length((t), (tl)),          \
            (unsigned char *)(m)->payload, &(m)->payloadlen, (m)->qos,         \
            (m)->retained, (m)->dup                                            \
    }

/* arrive.c */
int ms_paho_open(mqttseal_paho *h, const arrival *a, origin *org);
void ms_paho_reject(mqttseal_paho *h, const arrival *a, int reason);
void ms_paho_refused(mqttseal_paho *h, const arrival *a, const origin *org);
int ms_paho_bind(mqttseal_paho *h, const binding *proto, binding **out);

/* will.c: the plaintext of a will, from either API's will options. */
typedef struct will_in {
    const char *topic;
    const void *data;
    size_t len;
    int retained;
} will_in;

struct mqttseal_paho_will {
    unsigned char *p;
    size_t len;
    mqttseal_paho *h; /* NULL once freed or once the handle is freed */
    struct mqttseal_paho_will *next;
};

int ms_will_make(mqttseal_paho *h, const will_in *in, mqttseal_paho_will **out);
int ms_will_is_ours(mqttseal_paho *h, const void *data, int len);
void ms_will_detach_all(mqttseal_paho *h);
int ms_will_struct_ok(const char id[4], int version);

/* Both Paho will structs share this layout; the macro reads either. */
#define WILL_INPUT(wo, in)                                                     \
    do {                                                                       \
        (in).topic = (wo)->topicName;                                          \
        (in).retained = (wo)->retained;                                        \
        (in).data = (wo)->message;                                             \
        (in).len = (wo)->message != NULL ? strlen((wo)->message) : 0;          \
        if ((wo)->message == NULL && (wo)->struct_version >= 1 &&              \
            (wo)->payload.data != NULL && (wo)->payload.len > 0) {             \
            (in).data = (wo)->payload.data;                                    \
            (in).len = (size_t)(wo)->payload.len;                              \
        }                                                                      \
    } while (0)

#define WILL_OUTPUT(wo, w)                                                     \
    do {                                                                       \
        (wo)->message = NULL;                                                  \
        (wo)->struct_version = 1;                                              \
        (wo)->payload.data = (w)->p;                                           \
        (wo)->payload.len = (int)(w)->len;                                     \
    } while (0)

/* pending.c */
int ms_pending_init(pending *p);
void ms_pending_destroy(pending *p);
int ms_pending_take(pending *p, const arrival *a, origin *org);
void ms_pending_put(pending *p, const arrival *a, const origin *org);

/* sign.c: the origin of the message the app is called with, per thread. */
void ms_origin_enter(const mqttseal_paho *h, const origin *org);
void ms_origin_leave(void);

/* client_arrive.c or async_arrive.c: Paho's own error text. */
const char *ms_paho_api_strerror(int code);

/* publish.c: sealing into a stack buffer, or the heap above STACK_SEALED. */
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
