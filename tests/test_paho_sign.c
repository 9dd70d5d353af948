/*
 * Signatures through the Paho hooks (issue 13), without a broker: a
 * handle with a signer signs every publish and will; a handle with a
 * trust list refuses unknown signers, signers outside their filters and
 * unsigned messages where signatures are required, and tells the
 * application who signed what it delivers.
 *
 * Messages are delivered through MQTTAsync only: this program links both
 * APIs' hooks libraries (the fake needs both), each with its own
 * per-thread record of the delivery in progress, and the app's
 * mqttseal_paho_message_origin binds to the first loaded (-a, linked
 * first). A real program links one hooks library.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "paho_fake.h"

static mqttseal_signer *op, *other;

/* The opener trusts "operator" on site/+/temp and requires signatures
 * on site/+/cmd; "other" is not listed. */
static int sign_setup(void **state)
{
    static const char *const filters[] = {"site/+/temp", "site/+/cmd"};
    unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES];
    mqttseal_trust *t = NULL;

    fake_setup(state);
    assert_int_equal(mqttseal_signer_generate(&op), MQTTSEAL_OK);
    assert_int_equal(mqttseal_signer_generate(&other), MQTTSEAL_OK);
    mqttseal_signer_public_key(op, pk);
    assert_int_equal(mqttseal_trust_new(&t), MQTTSEAL_OK);
    assert_int_equal(mqttseal_trust_add(t, "operator", pk, filters, 2, 0),
                     MQTTSEAL_OK);
    assert_int_equal(mqttseal_trust_require(t, "site/+/cmd"), MQTTSEAL_OK);
    assert_int_equal(mqttseal_paho_set_trust(NULL, t), MQTTSEAL_E_INVALID);
    assert_int_equal(mqttseal_paho_set_trust(hooks, t), MQTTSEAL_OK);
    mqttseal_trust_free(t);
    return 0;
}

static int sign_teardown(void **state)
{
    mqttseal_signer_free(op);
    mqttseal_signer_free(other);
    op = other = NULL;
    return fake_teardown(state);
}

static size_t seal_as(mqttseal_signer *s, unsigned char *env, size_t cap,
                      const char *topic, const char *text)
{
    assert_int_equal(mqttseal_ctx_set_signer(sealer, s), MQTTSEAL_OK);
    return fake_seal(env, cap, topic, text);
}

static void test_signed_delivered_with_origin(void **state)
{
    unsigned char env[512];
    mqttseal_paho_origin o;
    size_t n = seal_as(op, env, sizeof env, "site/a/cmd", "open valve");

    (void)state;
    assert_int_equal(fake_deliver_a("site/a/cmd", env, n, 0), 1);
    assert_int_equal(app.calls, 1);
    assert_string_equal(app.text, "open valve");
    assert_int_equal(app.origin_rc, MQTTSEAL_OK);
    assert_int_equal(app.origin_signed, 1);
    assert_string_equal(app.origin_name, "operator");
    /* Unsigned where nothing is required: delivered, origin unsigned. */
    n = seal_as(NULL, env, sizeof env, "site/a/temp", "20 C");
    assert_int_equal(fake_deliver_a("site/a/temp", env, n, 0), 1);
    assert_int_equal(app.calls, 2);
    assert_int_equal(app.origin_rc, MQTTSEAL_OK);
    assert_int_equal(app.origin_signed, 0);
    assert_string_equal(app.origin_name, "");
    /* Outside a delivery there is no origin. */
    assert_int_equal(mqttseal_paho_message_origin(hooks, &o),
                     MQTTSEAL_E_INVALID);
    assert_int_equal(o.is_signed, 0);
    assert_int_equal(mqttseal_paho_message_origin(hooks, NULL),
                     MQTTSEAL_E_INVALID);
}

static void test_refusals(void **state)
{
    unsigned char env[512];
    size_t n;

    (void)state;
    n = seal_as(NULL, env, sizeof env, "site/a/cmd", "forged");
    assert_int_equal(fake_deliver_a("site/a/cmd", env, n, 0), 1);
    assert_int_equal(app.last_reason, MQTTSEAL_E_SIG_REQUIRED);
    n = seal_as(other, env, sizeof env, "site/a/cmd", "forged");
    assert_int_equal(fake_deliver_a("site/a/cmd", env, n, 0), 1);
    assert_int_equal(app.last_reason, MQTTSEAL_E_SIGNER_UNKNOWN);
    n = seal_as(op, env, sizeof env, "site/a/hum", "off-grant");
    assert_int_equal(fake_deliver_a("site/a/hum", env, n, 0), 1);
    assert_int_equal(app.last_reason, MQTTSEAL_E_SIGNER_NOT_GRANTED);
    assert_int_equal(app.calls, 0);
    assert_int_equal(fake.freed_msgs, 3);
    assert_int_equal(mqttseal_paho_rejected(hooks, MQTTSEAL_E_SIG_REQUIRED), 1);
    assert_int_equal(mqttseal_paho_rejected(hooks, MQTTSEAL_E_SIGNER_UNKNOWN),
                     1);
    assert_int_equal(
        mqttseal_paho_rejected(hooks, MQTTSEAL_E_SIGNER_NOT_GRANTED), 1);
}

/* The app returns 0: the retry still says who signed. */
static void test_retry_keeps_origin(void **state)
{
    unsigned char env[512];
    size_t n = seal_as(op, env, sizeof env, TOPIC, "retry");
    char *topic = fake_topic(TOPIC, strlen(TOPIC));
    MQTTAsync_message init = MQTTAsync_message_initializer;
    MQTTAsync_message *m = MQTTAsync_malloc(sizeof *m);

    (void)state;
    *m = init;
    m->payload = MQTTAsync_malloc(n);
    memcpy(m->payload, env, n);
    m->payloadlen = (int)n;
    m->qos = 1;
    app.ret = 0;
    assert_int_equal(fake.ma_a(fake.ctx_a, topic, (int)strlen(TOPIC), m), 0);
    app.ret = 1;
    app.origin_signed = 0;
    assert_int_equal(fake.ma_a(fake.ctx_a, topic, (int)strlen(TOPIC), m), 1);
    assert_int_equal(app.calls, 2);
    assert_int_equal(app.origin_signed, 1);
    assert_string_equal(app.origin_name, "operator");
}

static void assert_signed_by(const unsigned char *env, size_t len,
                             const mqttseal_signer *s, const char *topic)
{
    unsigned char out[512], id[MQTTSEAL_SIGNERIDBYTES];
    mqttseal_header hdr;
    size_t n = 0;

    mqttseal_signer_id(s, id);
    assert_int_equal(mqttseal_open(opener, out, sizeof out, &n, topic,
                                   strlen(topic), env, len, 0, &hdr),
                     MQTTSEAL_OK);
    assert_int_equal(hdr.is_signed, 1);
    assert_memory_equal(hdr.signer_id, id, sizeof id);
}

static mqttseal_paho_will *seal_will(mqttseal_paho *h)
{
    MQTTClient_connectOptions conn = MQTTClient_connectOptions_initializer;
    MQTTClient_willOptions will = MQTTClient_willOptions_initializer;
    mqttseal_paho_will *sealed = NULL;

    will.topicName = "site/a/temp";
    will.message = "offline";
    conn.will = &will;
    assert_int_equal(mqttseal_MQTTClient_sealWill(h, &conn, &sealed),
                     MQTTCLIENT_SUCCESS);
    fake_capture(will.topicName, will.payload.len, will.payload.data, NULL);
    return sealed;
}

/* A handle over the app's context: publishes and wills are signed. */
static void test_publish_and_will_signed(void **state)
{
    MQTTClient_deliveryToken dt = 0;

    (void)state;
    assert_int_equal(mqttseal_paho_set_signer(NULL, op), MQTTSEAL_E_INVALID);
    assert_int_equal(mqttseal_paho_set_signer(hooks, op), MQTTSEAL_OK);
    assert_int_equal(mqttseal_MQTTClient_publish(hooks, &fake, "site/a/cmd", 4,
                                                 "stop", 1, 0, &dt),
                     MQTTCLIENT_SUCCESS);
    assert_signed_by(fake.payload, (size_t)fake.len, op, "site/a/cmd");
    mqttseal_paho_will_free(seal_will(hooks));
    assert_signed_by(fake.payload, (size_t)fake.len, op, "site/a/temp");
    /* NULL stops signing. */
    assert_int_equal(mqttseal_paho_set_signer(hooks, NULL), MQTTSEAL_OK);
    assert_int_equal(mqttseal_MQTTClient_publish(hooks, &fake, "site/a/temp", 2,
                                                 "ok", 0, 0, &dt),
                     MQTTCLIENT_SUCCESS);
    assert_int_equal(fake.len, 2 + 17 + 16); /* unsigned, no timestamp */
}

/* A handle that owns its keyring: files, wills in their own sessions. */
static void test_loaded_handle_files(void **state)
{
    char kpath[128], spath[128], tpath[128];
    mqttseal_keyring *kr = NULL;
    mqttseal_trust *t = NULL;
    mqttseal_diag diag;
    mqttseal_paho *h;
    mqttseal_paho_will *w1, *w2;
    mqttseal_header h1, h2;
    unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES];
    const char *all = "#";

    (void)state;
    snprintf(kpath, sizeof kpath, "/tmp/mqttseal-sign-%ld.keyring",
             (long)getpid());
    snprintf(spath, sizeof spath, "/tmp/mqttseal-sign-%ld.signer",
             (long)getpid());
    snprintf(tpath, sizeof tpath, "/tmp/mqttseal-sign-%ld.trust",
             (long)getpid());
    assert_int_equal(mqttseal_keyring_new(&kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_generate(kr, 1), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_save_file(kr, kpath), MQTTSEAL_OK);
    mqttseal_keyring_free(kr);
    assert_int_equal(mqttseal_signer_save_file(op, spath), MQTTSEAL_OK);
    mqttseal_signer_public_key(op, pk);
    assert_int_equal(mqttseal_trust_new(&t), MQTTSEAL_OK);
    assert_int_equal(mqttseal_trust_add(t, "op", pk, &all, 1, 0), MQTTSEAL_OK);
    assert_int_equal(mqttseal_trust_save_file(t, tpath), MQTTSEAL_OK);
    mqttseal_trust_free(t);

    h = mqttseal_paho_load(kpath, NULL);
    assert_non_null(h);
    assert_int_equal(mqttseal_paho_load_signer(h, "/nonexistent", &diag),
                     MQTTSEAL_E_IO);
    assert_true(diag.message[0] != '\0');
    assert_int_equal(mqttseal_paho_load_trust(h, kpath, &diag),
                     MQTTSEAL_E_TRUST_SYNTAX); /* a keyring is no trust list */
    assert_int_equal(mqttseal_paho_load_signer(h, spath, &diag), MQTTSEAL_OK);
    assert_int_equal(mqttseal_paho_load_trust(h, tpath, &diag), MQTTSEAL_OK);
    w1 = seal_will(h);
    assert_int_equal(mqttseal_header_parse(&h1, fake.payload, (size_t)fake.len),
                     MQTTSEAL_OK);
    w2 = seal_will(h);
    assert_int_equal(mqttseal_header_parse(&h2, fake.payload, (size_t)fake.len),
                     MQTTSEAL_OK);
    assert_int_equal(h1.is_signed, 1);
    assert_int_equal(h2.is_signed, 1);
    /* Each will in a fresh session. */
    assert_memory_not_equal(h1.session_id, h2.session_id, sizeof h1.session_id);
    assert_int_equal(h2.seq, 0);
    mqttseal_paho_will_free(w1);
    mqttseal_paho_will_free(w2);
    mqttseal_paho_free(h);
    unlink(kpath);
    unlink(spath);
    unlink(tpath);
}

#define CASE(f) cmocka_unit_test_setup_teardown(f, sign_setup, sign_teardown)

int main(void)
{
    MQTTAsync heap_owner;
    int rc;

    const struct CMUnitTest tests[] = {
        CASE(test_signed_delivered_with_origin),
        CASE(test_refusals),
        CASE(test_retry_keeps_origin),
        CASE(test_publish_and_will_signed),
        CASE(test_loaded_handle_files),
    };

    if (MQTTAsync_create(&heap_owner, "tcp://127.0.0.1:1", "test_paho_sign",
                         MQTTCLIENT_PERSISTENCE_NONE, NULL) != 0) {
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    MQTTAsync_destroy(&heap_owner);
    return rc;
}
