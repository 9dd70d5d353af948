/*
 * The Paho hooks without a broker (the fake Paho is in paho_fake.c):
 * mqttseal's messageArrived is fed synthetic Paho messages, sealed and
 * not, and the application must see only verified plaintext, every
 * refusal must be freed, counted per reason and answered with 1; the
 * publish wrappers must hand Paho only sealed bytes with filtered MQTT 5
 * properties, and never touch the caller's structures.
 */
#define _GNU_SOURCE /* memmem, RTLD_NEXT */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "paho_fake.h"

/*
 * The wall clock, shifted by clock_shift_s seconds: libmqttseal reads it
 * with clock_gettime, which the dynamic linker binds to this definition
 * first (as it does the fake Paho's). Monotonic clocks are left alone.
 */
static long clock_shift_s;

int clock_gettime(clockid_t id, struct timespec *ts)
{
    int (*real)(clockid_t, struct timespec *) = NULL;
    void *sym = dlsym(RTLD_NEXT, "clock_gettime");
    int rc;

    memcpy(&real, &sym, sizeof real);
    rc = real(id, ts);
    if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) {
        ts->tv_sec += clock_shift_s;
    }
    return rc;
}

/* ---- opening ------------------------------------------------------ */

static void test_sealed_ok(void **state)
{
    unsigned char env[256];
    size_t n = fake_seal(env, sizeof env, TOPIC, "21.5 C");

    (void)state;
    assert_int_equal(fake_deliver_c(TOPIC, 0, env, n, 0), 1);
    assert_int_equal(app.calls, 1);
    assert_string_equal(app.text, "21.5 C");
    assert_int_equal(app.rejects, 0);
    assert_int_equal(mqttseal_paho_delivered(hooks), 1);
    assert_int_equal(mqttseal_paho_rejected(hooks, MQTTSEAL_PAHO_ALL_REASONS),
                     0);
}

/* Every single flipped byte is refused, freed, counted, returns 1. */
static void test_flipped_bytes(void **state)
{
    unsigned char env[256];
    size_t n = fake_seal(env, sizeof env, TOPIC, "flip me");

    (void)state;
    for (size_t i = 0; i < n; i++) {
        env[i] ^= 0x01;
        assert_int_equal(fake_deliver_c(TOPIC, 0, env, n, 0), 1);
        env[i] ^= 0x01;
        assert_int_equal(fake.freed_msgs, (int)i + 1);
        assert_int_equal(fake.freed_topics, (int)i + 1);
        assert_string_equal(app.reject_topic, TOPIC);
    }
    assert_int_equal(app.calls, 0);
    assert_int_equal(app.rejects, (int)n);
    assert_int_equal(mqttseal_paho_rejected(hooks, MQTTSEAL_PAHO_ALL_REASONS),
                     n);
    assert_true(mqttseal_paho_rejected(hooks, MQTTSEAL_E_AUTH) > 0);
    /* The unflipped envelope still opens: nothing was counted as seen. */
    assert_int_equal(fake_deliver_c(TOPIC, 0, env, n, 0), 1);
    assert_string_equal(app.text, "flip me");
}

static void test_plaintext(void **state)
{
    (void)state;
    assert_int_equal(fake_deliver_c(TOPIC, 0, "hello", 5, 0), 1);
    assert_int_equal(fake_deliver_c(TOPIC, 0, "", 0, 0), 1);
    assert_int_equal(app.calls, 0);
    assert_int_equal(mqttseal_paho_rejected(hooks, MQTTSEAL_E_NOT_SEALED), 1);
    assert_int_equal(mqttseal_paho_rejected(hooks, MQTTSEAL_E_TRUNCATED), 1);
    assert_int_equal(app.last_reason, MQTTSEAL_E_TRUNCATED);
    assert_int_equal(fake.freed_msgs, 2);
}

/* An alias-only PUBLISH: Paho 1.3.12 hands over an empty topic name. */
static void test_empty_topic(void **state)
{
    unsigned char env[256];
    size_t n = fake_seal(env, sizeof env, TOPIC, "x");

    (void)state;
    assert_int_equal(fake_deliver_c("", 0, env, n, 0), 1);
    assert_int_equal(app.calls, 0);
    assert_int_equal(app.last_reason, MQTTSEAL_E_TOPIC_EMPTY);
    assert_int_equal(mqttseal_paho_rejected(hooks, MQTTSEAL_E_TOPIC_EMPTY), 1);
    assert_int_equal(fake.freed_topics, 1);
}

/* topicLen counts past an embedded NUL: the whole name is checked. */
static void test_topic_len_with_nul(void **state)
{
    unsigned char env[256];
    size_t n = fake_seal(env, sizeof env, TOPIC, "x");
    char with_nul[] = TOPIC "\0evil";

    (void)state;
    assert_int_equal(
        fake_deliver_c(with_nul, (int)sizeof with_nul - 1, env, n, 0), 1);
    assert_int_equal(app.calls, 0);
    assert_int_equal(app.last_reason, MQTTSEAL_E_TOPIC_INVALID);
    /* A non-zero topicLen without a NUL (as MQTTAsync passes) is fine. */
    assert_int_equal(fake_deliver_c(TOPIC, (int)strlen(TOPIC), env, n, 0), 1);
    assert_int_equal(app.calls, 1);
}

static void test_duplicate_and_replay(void **state)
{
    unsigned char env[256];
    size_t n = fake_seal(env, sizeof env, TOPIC, "once");

    (void)state;
    assert_int_equal(fake_deliver_c(TOPIC, 0, env, n, 0), 1);
    assert_int_equal(fake_deliver_c(TOPIC, 0, env, n, 1), 1); /* QoS 1 DUP */
    assert_int_equal(app.last_reason, MQTTSEAL_PAHO_DUPLICATE);
    assert_int_equal(app.last_dup, 1);
    assert_int_equal(fake_deliver_c(TOPIC, 0, env, n, 0), 1); /* re-published */
    assert_int_equal(app.last_reason, MQTTSEAL_E_REPLAY);
    assert_int_equal(app.calls, 1);
    assert_int_equal(mqttseal_paho_rejected(hooks, MQTTSEAL_PAHO_DUPLICATE), 1);
    assert_int_equal(mqttseal_paho_rejected(hooks, MQTTSEAL_E_REPLAY), 1);
}

/* The app returns 0: Paho offers the same (opened) message again. */
static void test_app_retry(void **state)
{
    unsigned char env[256];
    size_t n = fake_seal(env, sizeof env, TOPIC, "retry");
    char *topic = fake_topic(TOPIC, strlen(TOPIC));
    MQTTClient_message *m = fake_client_msg(env, n, 0);

    (void)state;
    app.ret = 0;
    assert_int_equal(fake.ma_c(fake.ctx_c, topic, 0, m), 0);
    assert_int_equal(fake.freed_msgs, 0);
    app.ret = 1;
    assert_int_equal(fake.ma_c(fake.ctx_c, topic, 0, m), 1);
    assert_int_equal(app.calls, 2);
    assert_string_equal(app.text, "retry");
    assert_int_equal(app.rejects, 0);
    /* The same plaintext in a new message is not trusted. */
    assert_int_equal(fake_deliver_c(TOPIC, 0, "retry", 5, 0), 1);
    assert_int_equal(app.calls, 2);
}

/* An empty plaintext is a valid message, also when the app retries. */
static void test_app_retry_empty(void **state)
{
    unsigned char env[256];
    size_t n = fake_seal(env, sizeof env, TOPIC, "");
    char *topic = fake_topic(TOPIC, strlen(TOPIC));
    MQTTClient_message *m = fake_client_msg(env, n, 0);

    (void)state;
    app.ret = 0;
    assert_int_equal(fake.ma_c(fake.ctx_c, topic, 0, m), 0);
    assert_int_equal(m->payloadlen, 0);
    app.ret = 1;
    assert_int_equal(fake.ma_c(fake.ctx_c, topic, 0, m), 1);
    assert_int_equal(app.calls, 2);
    assert_string_equal(app.text, "");
    assert_int_equal(app.rejects, 0);
}

/*
 * Paho dropped a refused message: the next offer from that client is
 * another one. A later unsealed copy of the refused plaintext, even in
 * the very same message object and buffer, is then not trusted.
 */
static void test_app_retry_dropped(void **state)
{
    unsigned char env[256], env2[256];
    size_t n = fake_seal(env, sizeof env, TOPIC, "stale");
    size_t n2 = fake_seal(env2, sizeof env2, TOPIC, "next");
    char *topic = fake_topic(TOPIC, strlen(TOPIC));
    MQTTClient_message *m = fake_client_msg(env, n, 0);

    (void)state;
    app.ret = 0;
    assert_int_equal(fake.ma_c(fake.ctx_c, topic, 0, m), 0);
    app.ret = 1;
    assert_int_equal(fake_deliver_c(TOPIC, 0, env2, n2, 0), 1);
    assert_int_equal(app.calls, 2);
    assert_string_equal(app.text, "next");
    /* m still holds "stale" in place, as a reused buffer might. */
    assert_int_equal(fake.ma_c(fake.ctx_c, topic, 0, m), 1);
    assert_int_equal(app.calls, 2);
    assert_int_equal(app.rejects, 1);
    assert_int_equal(app.last_reason, MQTTSEAL_E_NOT_SEALED);
}

/* Other clients' messages (and the other API's) do not end a retry. */
static void test_app_retry_other_client(void **state)
{
    unsigned char env[256], env2[256], env3[256];
    size_t n = fake_seal(env, sizeof env, TOPIC, "kept");
    size_t n2 = fake_seal(env2, sizeof env2, TOPIC, "other client");
    size_t n3 = fake_seal(env3, sizeof env3, TOPIC, "other API");
    char *topic = fake_topic(TOPIC, strlen(TOPIC));
    MQTTClient_message *m = fake_client_msg(env, n, 0);
    MQTTClient_messageArrived *ma = fake.ma_c;
    void *ctx = fake.ctx_c;

    (void)state;
    app.ret = 0;
    assert_int_equal(ma(ctx, topic, 0, m), 0);
    app.ret = 1;
    assert_int_equal(fake_bind_client((MQTTClient)&app), MQTTCLIENT_SUCCESS);
    assert_int_equal(fake_deliver_c(TOPIC, 0, env2, n2, 0), 1);
    assert_int_equal(fake_deliver_a(TOPIC, env3, n3, 0), 1);
    assert_int_equal(app.calls, 3);
    assert_int_equal(ma(ctx, topic, 0, m), 1);
    assert_int_equal(app.calls, 4);
    assert_string_equal(app.text, "kept");
    assert_int_equal(app.rejects, 0);
}

static void test_async_path(void **state)
{
    unsigned char env[256];
    size_t n = fake_seal(env, sizeof env, TOPIC, "async");

    (void)state;
    assert_int_equal(fake_deliver_a(TOPIC, env, n, 0), 1);
    assert_string_equal(app.text, "async");
    assert_int_equal(fake_deliver_a(TOPIC, env, n, 1), 1);
    assert_int_equal(fake_deliver_a("site/b/temp", "plain", 5, 0), 1);
    assert_int_equal(app.calls, 1);
    assert_int_equal(app.rejects, 2);
    assert_string_equal(app.reject_topic, "site/b/temp");
    assert_int_equal(fake.freed_msgs, 3); /* 1 by the app, 2 by mqttseal */
}

/* ---- publishing --------------------------------------------------- */

static void assert_published(const char *topic, const char *text)
{
    unsigned char out[4096];
    size_t n = 0;

    assert_string_equal(fake.topic, topic);
    assert_true(fake.len > (int)strlen(text));
    assert_null(memmem(fake.payload, (size_t)fake.len, text, strlen(text)));
    assert_int_equal(mqttseal_open(opener, out, sizeof out, &n, topic,
                                   strlen(topic), fake.payload,
                                   (size_t)fake.len, 0, NULL),
                     MQTTSEAL_OK);
    assert_int_equal(n, strlen(text));
    assert_memory_equal(out, text, n);
}

static void test_publish(void **state)
{
    MQTTClient_message msg = MQTTClient_message_initializer;
    MQTTClient_deliveryToken dt = 0;
    char big[3000];

    (void)state;
    assert_int_equal(
        mqttseal_MQTTClient_publish(hooks, &fake, TOPIC, 4, "warm", 1, 0, &dt),
        MQTTCLIENT_SUCCESS);
    assert_published(TOPIC, "warm");
    assert_int_equal(dt, fake.token);
    memset(big, 'b', sizeof big - 1); /* sealed on the heap */
    big[sizeof big - 1] = '\0';
    msg.payload = big;
    msg.payloadlen = (int)strlen(big);
    assert_int_equal(
        mqttseal_MQTTClient_publishMessage(hooks, &fake, TOPIC, &msg, &dt),
        MQTTCLIENT_SUCCESS);
    assert_published(TOPIC, big);
    assert_ptr_equal(msg.payload, big); /* the caller's struct is intact */
    assert_int_equal(msg.payloadlen, (int)strlen(big));
}

/* Sealing fails: nothing is published, and the code says why. */
static void test_publish_failures(void **state)
{
    MQTTClient_deliveryToken dt = 0;
    MQTTResponse r;
    int rc;

    (void)state;
    rc = mqttseal_MQTTClient_publish(hooks, &fake, "a/#", 1, "x", 0, 0, &dt);
    assert_int_equal(rc, MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_TOPIC_INVALID));
    assert_true(MQTTSEAL_PAHO_IS_ERROR(rc));
    assert_int_equal(MQTTSEAL_PAHO_ERR_CODE(rc), MQTTSEAL_E_TOPIC_INVALID);
    rc = mqttseal_MQTTClient_publish(NULL, &fake, TOPIC, 1, "x", 0, 0, &dt);
    assert_int_equal(rc, MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID));
    rc = mqttseal_MQTTClient_publish(hooks, &fake, TOPIC, -1, "x", 0, 0, &dt);
    assert_int_equal(rc, MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID));
    r = mqttseal_MQTTClient_publish5(hooks, &fake, "", 1, "x", 0, 0, NULL, &dt);
    assert_int_equal((int)r.reasonCode,
                     MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_TOPIC_EMPTY));
    assert_int_equal(
        mqttseal_MQTTAsync_send(hooks, &fake, "+", 1, "x", 0, 0, NULL),
        MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_TOPIC_INVALID));
    assert_int_equal(fake.published, 0);
}

static void add_props(MQTTProperties *props)
{
    MQTTProperty pfi = {.identifier =
                            MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR};
    MQTTProperty user = {.identifier = MQTTPROPERTY_CODE_USER_PROPERTY};

    pfi.value.byte = 1;
    user.value.data.data = (char *)(uintptr_t) "unit";
    user.value.data.len = 4;
    user.value.value.data = (char *)(uintptr_t) "C";
    user.value.value.len = 1;
    assert_int_equal(MQTTProperties_add(props, &pfi), 0);
    assert_int_equal(MQTTProperties_add(props, &user), 0);
}

static void assert_filtered(int want_ct)
{
    MQTTProperty *ct;

    assert_int_equal(
        MQTTProperties_hasProperty(&fake.props,
                                   MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR),
        0);
    assert_int_equal(MQTTProperties_hasProperty(
                         &fake.props, MQTTPROPERTY_CODE_USER_PROPERTY),
                     1);
    ct =
        MQTTProperties_getProperty(&fake.props, MQTTPROPERTY_CODE_CONTENT_TYPE);
    assert_int_equal(ct != NULL, want_ct);
    if (ct != NULL) {
        assert_int_equal(ct->value.data.len,
                         (int)strlen(MQTTSEAL_PAHO_CONTENT_TYPE));
        assert_memory_equal(ct->value.data.data, MQTTSEAL_PAHO_CONTENT_TYPE,
                            strlen(MQTTSEAL_PAHO_CONTENT_TYPE));
    }
}

static void test_publish5_properties(void **state)
{
    MQTTProperties props = MQTTProperties_initializer;
    MQTTClient_deliveryToken dt = 0;
    MQTTResponse r;

    (void)state;
    add_props(&props);
    r = mqttseal_MQTTClient_publish5(hooks, &fake, TOPIC, 2, "v5", 1, 0, &props,
                                     &dt);
    assert_int_equal(r.reasonCode, MQTTREASONCODE_SUCCESS);
    assert_published(TOPIC, "v5");
    assert_filtered(0);
    assert_int_equal(
        mqttseal_paho_set_options(hooks, MQTTSEAL_PAHO_OPT_CONTENT_TYPE),
        MQTTSEAL_OK);
    r = mqttseal_MQTTClient_publish5(hooks, &fake, TOPIC, 2, "v5", 1, 0, &props,
                                     &dt);
    assert_filtered(1);
    assert_int_equal(props.count, 2); /* the caller's list is unchanged */
    assert_int_equal(MQTTProperties_hasProperty(
                         &props, MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR),
                     1);
    MQTTProperties_free(&props);
}

static void test_async_send(void **state)
{
    MQTTAsync_responseOptions resp = MQTTAsync_responseOptions_initializer;
    MQTTAsync_message msg = MQTTAsync_message_initializer;

    (void)state;
    add_props(&resp.properties);
    assert_int_equal(
        mqttseal_MQTTAsync_send(hooks, &fake, TOPIC, 5, "async", 1, 0, &resp),
        MQTTASYNC_SUCCESS);
    assert_published(TOPIC, "async");
    assert_filtered(0);
    assert_int_equal(resp.token, fake.token);
    msg.payload = (void *)(uintptr_t) "message";
    msg.payloadlen = 7;
    add_props(&msg.properties);
    assert_int_equal(
        mqttseal_MQTTAsync_sendMessage(hooks, &fake, TOPIC, &msg, &resp),
        MQTTASYNC_SUCCESS);
    assert_published(TOPIC, "message");
    assert_filtered(0);
    assert_int_equal(resp.token, fake.token);
    /* Paho would have overwritten resp.properties; the wrapper did not. */
    assert_ptr_not_equal(resp.properties.array, msg.properties.array);
    assert_int_equal(msg.payloadlen, 7);
    MQTTProperties_free(&resp.properties);
    MQTTProperties_free(&msg.properties);
}

static void test_will(void **state)
{
    MQTTClient_connectOptions conn = MQTTClient_connectOptions_initializer;
    MQTTClient_willOptions will = MQTTClient_willOptions_initializer;
    mqttseal_paho_will *sealed = NULL;

    (void)state;
    will.topicName = "site/a/status";
    will.message = "gone";
    conn.will = &will;
    assert_int_equal(mqttseal_MQTTClient_sealWill(hooks, &conn, &sealed),
                     MQTTCLIENT_SUCCESS);
    assert_non_null(sealed);
    assert_null(will.message);
    assert_int_equal(will.struct_version, 1);
    fake_capture(will.topicName, will.payload.len, will.payload.data, NULL);
    assert_published("site/a/status", "gone");
    mqttseal_paho_will_free(sealed);
    conn.will = NULL;
    assert_int_equal(mqttseal_MQTTClient_sealWill(hooks, &conn, &sealed),
                     MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID));
    assert_null(sealed);
}

/* ---- retained messages, freshness, refusals (issue 11) -------------- */

static int published_sealed_retained(void)
{
    mqttseal_header hdr;

    assert_int_equal(
        mqttseal_header_parse(&hdr, fake.payload, (size_t)fake.len),
        MQTTSEAL_OK);
    return hdr.sealed_retained;
}

/* Every wrapper seals as retained exactly when the publish is retained. */
static void test_publish_retained(void **state)
{
    MQTTClient_message msg = MQTTClient_message_initializer;
    MQTTAsync_message amsg = MQTTAsync_message_initializer;
    MQTTAsync_responseOptions resp = MQTTAsync_responseOptions_initializer;
    MQTTClient_deliveryToken dt = 0;
    MQTTResponse r;

    (void)state;
    msg.payload = (void *)(uintptr_t) "m";
    msg.payloadlen = 1;
    amsg.payload = msg.payload;
    amsg.payloadlen = 1;
    for (int ret = 0; ret <= 1; ret++) {
        msg.retained = ret;
        amsg.retained = ret;
        assert_int_equal(mqttseal_MQTTClient_publish(hooks, &fake, TOPIC, 1,
                                                     "p", 1, ret, &dt),
                         MQTTCLIENT_SUCCESS);
        assert_int_equal(published_sealed_retained(), ret);
        assert_int_equal(fake.last_retained, ret);
        assert_int_equal(
            mqttseal_MQTTClient_publishMessage(hooks, &fake, TOPIC, &msg, &dt),
            MQTTCLIENT_SUCCESS);
        assert_int_equal(published_sealed_retained(), ret);
        assert_int_equal(fake.last_retained, ret);
        r = mqttseal_MQTTClient_publish5(hooks, &fake, TOPIC, 1, "5", 1, ret,
                                         NULL, &dt);
        assert_int_equal(r.reasonCode, MQTTREASONCODE_SUCCESS);
        assert_int_equal(published_sealed_retained(), ret);
        r = mqttseal_MQTTClient_publishMessage5(hooks, &fake, TOPIC, &msg, &dt);
        assert_int_equal(r.reasonCode, MQTTREASONCODE_SUCCESS);
        assert_int_equal(published_sealed_retained(), ret);
        assert_int_equal(
            mqttseal_MQTTAsync_send(hooks, &fake, TOPIC, 1, "a", 1, ret, &resp),
            MQTTASYNC_SUCCESS);
        assert_int_equal(published_sealed_retained(), ret);
        assert_int_equal(fake.last_retained, ret);
        assert_int_equal(
            mqttseal_MQTTAsync_sendMessage(hooks, &fake, TOPIC, &amsg, &resp),
            MQTTASYNC_SUCCESS);
        assert_int_equal(published_sealed_retained(), ret);
        assert_int_equal(fake.last_retained, ret);
    }
}

static mqttseal_paho_will *seal_client_will(mqttseal_paho *h, int retained,
                                            mqttseal_header *hdr)
{
    MQTTClient_connectOptions conn = MQTTClient_connectOptions_initializer;
    MQTTClient_willOptions will = MQTTClient_willOptions_initializer;
    mqttseal_paho_will *sealed = NULL;

    will.topicName = "site/a/status";
    will.message = "gone";
    will.retained = retained;
    conn.will = &will;
    assert_int_equal(mqttseal_MQTTClient_sealWill(h, &conn, &sealed),
                     MQTTCLIENT_SUCCESS);
    assert_int_equal(
        mqttseal_header_parse(hdr, will.payload.data, (size_t)will.payload.len),
        MQTTSEAL_OK);
    return sealed;
}

static void test_will_retained(void **state)
{
    MQTTAsync_connectOptions conn = MQTTAsync_connectOptions_initializer;
    MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
    mqttseal_paho_will *sealed;
    mqttseal_header hdr;

    (void)state;
    for (int ret = 0; ret <= 1; ret++) {
        sealed = seal_client_will(hooks, ret, &hdr);
        assert_int_equal(hdr.sealed_retained, ret);
        mqttseal_paho_will_free(sealed);
    }
    will.topicName = "site/a/status";
    will.message = "gone";
    will.retained = 1;
    conn.will = &will;
    assert_int_equal(mqttseal_MQTTAsync_sealWill(hooks, &conn, &sealed),
                     MQTTASYNC_SUCCESS);
    assert_int_equal(mqttseal_header_parse(&hdr, will.payload.data,
                                           (size_t)will.payload.len),
                     MQTTSEAL_OK);
    assert_int_equal(hdr.sealed_retained, 1);
    mqttseal_paho_will_free(sealed);
}

/* A handle from a keyring file, switched to the fleet defaults. */
static void test_fleet_defaults(void **state)
{
    mqttseal_keyring *kr = NULL;
    mqttseal_paho *h;
    mqttseal_paho_will *sealed;
    mqttseal_header hdr;
    MQTTClient_deliveryToken dt = 0;
    char path[128];

    (void)state;
    snprintf(path, sizeof path, "/tmp/mqttseal-test-paho-%ld.keyring",
             (long)getpid());
    assert_int_equal(mqttseal_keyring_new(&kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_generate(kr, 3), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_save_file(kr, path), MQTTSEAL_OK);
    mqttseal_keyring_free(kr);
    h = mqttseal_paho_load(path, NULL);
    unlink(path);
    assert_non_null(h);
    sealed = seal_client_will(h, 1, &hdr); /* before: no timestamp */
    assert_int_equal(hdr.has_timestamp, 0);
    mqttseal_paho_will_free(sealed);

    assert_int_equal(mqttseal_paho_use_fleet_defaults(NULL),
                     MQTTSEAL_E_INVALID);
    assert_int_equal(mqttseal_paho_use_fleet_defaults(h), MQTTSEAL_OK);
    sealed = seal_client_will(h, 1, &hdr);
    assert_int_equal(hdr.has_timestamp, 1);
    assert_int_equal(hdr.sealed_retained, 1);
    mqttseal_paho_will_free(sealed);
    assert_int_equal(
        mqttseal_MQTTClient_publish(h, &fake, TOPIC, 1, "f", 0, 0, &dt),
        MQTTCLIENT_SUCCESS);
    assert_int_equal(
        mqttseal_header_parse(&hdr, fake.payload, (size_t)fake.len),
        MQTTSEAL_OK);
    assert_int_equal(hdr.has_timestamp, 1);
    /* set_options replaces the will option; wills are still stamped,
     * as every message of a context that stamps. */
    assert_int_equal(mqttseal_paho_set_options(h, 0), MQTTSEAL_OK);
    sealed = seal_client_will(h, 0, &hdr);
    assert_int_equal(hdr.has_timestamp, 1);
    mqttseal_paho_will_free(sealed);
    assert_int_equal(mqttseal_paho_set_freshness(NULL, 1, 0, 0),
                     MQTTSEAL_E_INVALID);
    mqttseal_paho_free(h);
}

/* Deliver env; it must be refused for reason, reported and counted. */
static void assert_refused(const unsigned char *env, size_t n, int reason)
{
    mqttseal_stats st;
    int calls = app.calls, rejects = app.rejects;
    uint64_t by_hooks = mqttseal_paho_rejected(hooks, reason);

    assert_int_equal(mqttseal_ctx_stats(opener, &st), MQTTSEAL_OK);
    uint64_t by_ctx = st.refused_by[reason];
    assert_int_equal(fake_deliver_c(TOPIC, 0, env, n, 0), 1);
    assert_int_equal(app.calls, calls);
    assert_int_equal(app.rejects, rejects + 1);
    assert_int_equal(app.last_reason, reason);
    assert_int_equal(mqttseal_paho_rejected(hooks, reason), by_hooks + 1);
    assert_int_equal(mqttseal_ctx_stats(opener, &st), MQTTSEAL_OK);
    assert_int_equal(st.refused_by[reason], by_ctx + 1);
}

/* Seal text with the sealer's clock shifted by shift_s seconds. */
static size_t seal_at(unsigned char *env, size_t cap, long shift_s,
                      const char *text, unsigned flags)
{
    size_t n = 0;

    clock_shift_s = shift_s;
    assert_int_equal(
        mqttseal_seal_ex(sealer, env, cap, &n, TOPIC, strlen(TOPIC),
                         (const unsigned char *)text, strlen(text), flags),
        MQTTSEAL_OK);
    clock_shift_s = 0;
    return n;
}

static void test_refusals_reported(void **state)
{
    unsigned char env[256];
    size_t n;

    (void)state;
    assert_int_equal(mqttseal_paho_set_freshness(hooks, 5000, 1000, 0),
                     MQTTSEAL_OK);
    n = fake_seal(env, sizeof env, TOPIC, "unstamped");
    assert_refused(env, n, MQTTSEAL_E_NO_TIMESTAMP);
    assert_int_equal(mqttseal_ctx_set_timestamps(sealer, 1), MQTTSEAL_OK);
    n = seal_at(env, sizeof env, -60, "old", 0);
    assert_refused(env, n, MQTTSEAL_E_STALE);
    n = seal_at(env, sizeof env, 60, "from the future", 0);
    assert_refused(env, n, MQTTSEAL_E_FUTURE);
    assert_int_equal(mqttseal_ctx_set_max_levels(opener, 2), MQTTSEAL_OK);
    n = seal_at(env, sizeof env, 0, "deep", 0);
    assert_refused(env, n, MQTTSEAL_E_TOPIC_DEPTH);
    assert_int_equal(mqttseal_ctx_set_max_levels(opener, 128), MQTTSEAL_OK);
    assert_int_equal(fake_deliver_c(TOPIC, 0, env, n, 0), 1); /* fine now */
    assert_string_equal(app.text, "deep");
}

/* Replay memory for a key id dropped: unknown sessions are refused. */
static void test_session_lost_reported(void **state)
{
    unsigned char env[256];
    size_t n;
    int lost = 0;

    (void)state;
    assert_int_equal(mqttseal_ctx_set_replay(opener, 1, 64, 1), MQTTSEAL_OK);
    assert_int_equal(mqttseal_ctx_set_replay_capacity(opener, 1), MQTTSEAL_OK);
    for (int i = 0; i < 8 && !lost; i++) {
        assert_int_equal(mqttseal_ctx_new_session(sealer), MQTTSEAL_OK);
        n = fake_seal(env, sizeof env, TOPIC, "session");
        assert_int_equal(fake_deliver_c(TOPIC, 0, env, n, 0), 1);
        lost = app.rejects > 0;
    }
    assert_true(lost);
    assert_int_equal(app.last_reason, MQTTSEAL_E_SESSION_LOST);
    assert_int_equal(mqttseal_paho_rejected(hooks, MQTTSEAL_E_SESSION_LOST), 1);
    assert_int_equal(mqttseal_ctx_new_session(sealer), MQTTSEAL_OK);
    n = fake_seal(env, sizeof env, TOPIC, "session");
    assert_refused(env, n, MQTTSEAL_E_SESSION_LOST);
}

/*
 * A live message captured and re-published with RETAIN set gets no
 * exemption: only the publisher's authenticated flag selects the retained
 * maximum age (issue 11; with the old exempt_retained it was accepted).
 */
static void test_retain_bit_exempts_nothing(void **state)
{
    unsigned char live[256], kept[256];
    size_t nl, nk;

    (void)state;
    assert_int_equal(mqttseal_ctx_set_timestamps(sealer, 1), MQTTSEAL_OK);
    assert_int_equal(mqttseal_paho_set_freshness(hooks, 2000, 0, 3600000),
                     MQTTSEAL_OK);
    nl = seal_at(live, sizeof live, -10, "live", 0);
    nk = seal_at(kept, sizeof kept, -10, "kept", MQTTSEAL_SEAL_RETAINED);
    fake.retain_next = 1;
    assert_refused(live, nl, MQTTSEAL_E_STALE);
    assert_int_equal(fake_deliver_c(TOPIC, 0, kept, nk, 0), 1);
    assert_int_equal(app.calls, 1);
    assert_string_equal(app.text, "kept");
    /* Retained maximum age 0: no exemption for anything. */
    assert_int_equal(mqttseal_paho_set_freshness(hooks, 2000, 0, 0),
                     MQTTSEAL_OK);
    nk = seal_at(kept, sizeof kept, -10, "kept", MQTTSEAL_SEAL_RETAINED);
    assert_refused(kept, nk, MQTTSEAL_E_STALE);
    fake.retain_next = 0;
}

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(
        mqttseal_paho_strerror(MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_AUTH)),
        mqttseal_strerror(MQTTSEAL_E_AUTH));
    assert_string_equal(mqttseal_paho_strerror(MQTTSEAL_E_REPLAY),
                        mqttseal_strerror(MQTTSEAL_E_REPLAY));
    assert_non_null(
        strstr(mqttseal_paho_strerror(MQTTSEAL_PAHO_DUPLICATE), "duplicate"));
    assert_non_null(mqttseal_paho_strerror(MQTTCLIENT_FAILURE));
    assert_false(MQTTSEAL_PAHO_IS_ERROR(MQTTCLIENT_FAILURE));
    assert_int_equal(MQTTSEAL_PAHO_ERR_CODE(MQTTCLIENT_FAILURE), 0);
    assert_int_equal(mqttseal_paho_rejected(NULL, MQTTSEAL_E_AUTH), 0);
    assert_int_equal(mqttseal_paho_set_options(hooks, 0x80),
                     MQTTSEAL_E_INVALID);
    assert_int_equal(
        mqttseal_paho_set_options(hooks, MQTTSEAL_PAHO_OPT_WILL_TIMESTAMP),
        MQTTSEAL_OK);
}

#define CASE(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)

int main(void)
{
    MQTTAsync heap_owner;
    int rc;

    const struct CMUnitTest tests[] = {
        CASE(test_sealed_ok),
        CASE(test_flipped_bytes),
        CASE(test_plaintext),
        CASE(test_empty_topic),
        CASE(test_topic_len_with_nul),
        CASE(test_duplicate_and_replay),
        CASE(test_app_retry),
        CASE(test_app_retry_empty),
        CASE(test_app_retry_dropped),
        CASE(test_app_retry_other_client),
        CASE(test_async_path),
        CASE(test_publish),
        CASE(test_publish_failures),
        CASE(test_publish5_properties),
        CASE(test_async_send),
        CASE(test_will),
        CASE(test_publish_retained),
        CASE(test_will_retained),
        CASE(test_fleet_defaults),
        CASE(test_refusals_reported),
        CASE(test_session_lost_reported),
        CASE(test_retain_bit_exempts_nothing),
        CASE(test_strerror),
    };

    /* MQTTAsync_create sets up Paho's heap for MQTTAsync_malloc. */
    if (MQTTAsync_create(&heap_owner, "tcp://127.0.0.1:1", "test_paho",
                         MQTTCLIENT_PERSISTENCE_NONE, NULL) != 0) {
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    MQTTAsync_destroy(&heap_owner);
    return rc;
}
