/*
 * A fake Paho for tests/test_paho.c. paho_fake.c defines the Paho entry
 * points libmqttseal-paho calls (set-callbacks, publish, send, free): the
 * dynamic linker binds the library to the program's own definitions
 * first, so the tests capture mqttseal's messageArrived, feed it
 * synthetic messages, and see exactly what would have been published.
 *
 * Messages are allocated the way Paho allocates them: in Paho's tracked
 * heap (Paho's free() looks each pointer up and ignores foreign ones).
 * libpaho-mqtt3a exports its allocator (MQTTAsync_malloc); libpaho-mqtt3c
 * does not, so the fake MQTTClient free functions release with the
 * MQTTAsync ones. MQTTAsync_freeMessage is counted and passed on to
 * Paho's own (dlsym RTLD_NEXT).
 */
#ifndef PAHO_FAKE_H
#define PAHO_FAKE_H

#include <stddef.h>

#include <mqttseal/paho.h>

#define TOPIC "site/a/temp"

/* What the fake Paho saw. */
struct fake_paho {
    void *ctx_c, *ctx_a;
    MQTTClient_messageArrived *ma_c;
    MQTTAsync_messageArrived *ma_a;
    int freed_msgs, freed_topics, published, token;
    int retain_next;   /* RETAIN bit of the next delivery */
    int last_retained; /* retained argument of the last publish */
    unsigned char payload[4096];
    int len;
    char topic[128];
    MQTTProperties props;
};

/* What the application callbacks and the rejection callback saw. */
struct fake_app {
    int calls, ret, rejects, last_reason, last_dup;
    int origin_rc, origin_signed; /* mqttseal_paho_message_origin */
    char origin_name[65];
    char text[4096];
    char reject_topic[128];
};

extern struct fake_paho fake;
extern struct fake_app app;
extern mqttseal_ctx *sealer, *opener;
extern mqttseal_paho *hooks;

/* Fixtures: fresh keys, contexts, hooks and installed callbacks. */
int fake_setup(void **state);
int fake_teardown(void **state);

/* Record a publish as Paho would (it copies topic and payload). */
void fake_capture(const char *topic, int len, const void *payload,
                  const MQTTProperties *props);

/* Seal text for topic with the sealing context. */
size_t fake_seal(unsigned char *env, size_t cap, const char *topic,
                 const char *text);

/* Paho-heap copies of a topic name and an MQTTClient message. */
char *fake_topic(const char *t, size_t len);
MQTTClient_message *fake_client_msg(const void *payload, size_t len, int dup);

/* MQTTClient_receive hands out these, in order (fake_queue_c), then
 * times out; MQTTClient_connect/5 and MQTTAsync_connect record the will
 * they were given (its payload bytes) and count the calls. */
#define FAKE_QUEUE 8
struct fake_conn {
    int connects, receives;
    int will_set;
    unsigned char will[512];
    int will_len;
    const char *will_message; /* will->message as Paho saw it */
    const void *will_data;    /* will->payload.data as Paho saw it */
};
extern struct fake_conn fake_conn;
void fake_queue_c(const char *topic, const void *payload, size_t len, int dup);

/* Install the app's MQTTClient callbacks for another client handle
 * (fake.ma_c and fake.ctx_c then belong to it). */
int fake_bind_client(MQTTClient handle);

/* Deliver through mqttseal's MQTTClient / MQTTAsync messageArrived. */
int fake_deliver_c(const char *topic, int topic_len, const void *payload,
                   size_t len, int dup);
int fake_deliver_a(const char *topic, const void *payload, size_t len, int dup);

#endif /* PAHO_FAKE_H */
