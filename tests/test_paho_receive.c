/*
 * The Paho hooks' receive and connect wrappers and the keyring loader,
 * against the fake Paho (paho_fake.c): mqttseal_MQTTClient_receive,
 * mqttseal_MQTTClient_connect/_connect5, mqttseal_MQTTAsync_connect and
 * mqttseal_paho_from_file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "paho_fake.h"

static MQTTClient client = &fake; /* the fake ignores the handle */

/* A verified message comes out opened in place; refused ones before it
 * are reported, freed, and not returned. */
static void test_receive_skips_refused(void **state)
{
    unsigned char env[256];
    size_t n = fake_seal(env, sizeof env, TOPIC, "hello");
    MQTTClient_message *m = NULL;
    char *topic = NULL;
    int tl = -1;

    (void)state;
    fake_queue_c(TOPIC, "plaintext", 9, 0); /* not sealed */
    fake_queue_c("", env, n, 0);            /* empty topic */
    fake_queue_c(TOPIC, env, n, 0);         /* the good one */
    assert_int_equal(
        mqttseal_MQTTClient_receive(hooks, client, &topic, &tl, &m, 1000),
        MQTTCLIENT_SUCCESS);
    assert_non_null(m);
    assert_string_equal(topic, TOPIC);
    assert_int_equal(m->payloadlen, 5);
    assert_memory_equal(m->payload, "hello", 6); /* NUL-terminated */
    assert_int_equal(app.rejects, 2);
    assert_int_equal(mqttseal_paho_rejected(hooks, MQTTSEAL_E_NOT_SEALED), 1);
    assert_int_equal(mqttseal_paho_rejected(hooks, MQTTSEAL_E_TOPIC_EMPTY), 1);
    assert_int_equal(mqttseal_paho_delivered(hooks), 1);
    assert_int_equal(fake.freed_msgs, 2);
    assert_int_equal(fake.freed_topics, 2);
    MQTTClient_freeMessage(&m);
    MQTTClient_free(topic);

    /* The same message again: a QoS 1 redelivery (DUP) and a replay. */
    fake_queue_c(TOPIC, env, n, 1);
    fake_queue_c(TOPIC, env, n, 0);
    assert_int_equal(
        mqttseal_MQTTClient_receive(hooks, client, &topic, &tl, &m, 1000),
        MQTTCLIENT_SUCCESS);
    assert_null(m); /* nothing verified before the timeout */
    assert_null(topic);
    assert_int_equal(mqttseal_paho_rejected(hooks, MQTTSEAL_PAHO_DUPLICATE), 1);
    assert_int_equal(mqttseal_paho_rejected(hooks, MQTTSEAL_E_REPLAY), 1);
    assert_int_equal(app.calls, 0); /* callbacks are not involved */
}

static void test_receive_timeout_and_errors(void **state)
{
    MQTTClient_message *m = (MQTTClient_message *)1;
    char *topic = (char *)1;
    int tl = 0;

    (void)state;
    assert_int_equal(
        mqttseal_MQTTClient_receive(hooks, client, &topic, &tl, &m, 10),
        MQTTCLIENT_SUCCESS);
    assert_null(m);
    assert_null(topic);
    assert_int_equal(
        mqttseal_MQTTClient_receive(NULL, client, &topic, &tl, &m, 10),
        MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID));
    assert_int_equal(
        mqttseal_MQTTClient_receive(hooks, client, NULL, &tl, &m, 10),
        MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID));
}

/* The will Paho saw must open to plain for topic. */
static void assert_will_sealed(const char *topic, const char *plain)
{
    unsigned char out[256];
    size_t n = 0;

    assert_true(fake_conn.will_set);
    assert_int_equal(mqttseal_open(opener, out, sizeof out, &n, topic,
                                   strlen(topic), fake_conn.will,
                                   (size_t)fake_conn.will_len, 0, NULL),
                     MQTTSEAL_OK);
    assert_int_equal(n, strlen(plain));
    assert_memory_equal(out, plain, n);
}

/* A plaintext will is sealed in a copy; the caller's options stay. */
static void test_connect_seals_will(void **state)
{
    MQTTClient_connectOptions co = MQTTClient_connectOptions_initializer;
    MQTTClient_willOptions wo = MQTTClient_willOptions_initializer;
    MQTTAsync_connectOptions ao = MQTTAsync_connectOptions_initializer;
    MQTTAsync_willOptions awo = MQTTAsync_willOptions_initializer;
    MQTTResponse r;

    (void)state;
    wo.topicName = TOPIC;
    wo.message = "client gone";
    co.will = &wo;
    assert_int_equal(mqttseal_MQTTClient_connect(hooks, client, &co),
                     MQTTCLIENT_SUCCESS);
    assert_null(fake_conn.will_message);
    assert_will_sealed(TOPIC, "client gone");
    assert_ptr_equal(co.will, &wo);
    assert_string_equal(wo.message, "client gone");
    assert_int_equal(wo.struct_version, 1); /* initializer's, unchanged */
    assert_null(wo.payload.data);

    r = mqttseal_MQTTClient_connect5(hooks, client, &co, NULL, NULL);
    assert_int_equal(r.reasonCode, 0);
    assert_will_sealed(TOPIC, "client gone");

    awo.topicName = TOPIC;
    awo.message = NULL;
    awo.payload.data = "async gone";
    awo.payload.len = 10;
    ao.will = &awo;
    assert_int_equal(mqttseal_MQTTAsync_connect(hooks, client, &ao),
                     MQTTASYNC_SUCCESS);
    assert_will_sealed(TOPIC, "async gone");
    assert_string_equal(awo.payload.data, "async gone");

    /* No will: connects as it is. */
    co.will = NULL;
    assert_int_equal(mqttseal_MQTTClient_connect(hooks, client, &co),
                     MQTTCLIENT_SUCCESS);
    assert_false(fake_conn.will_set);
    assert_int_equal(fake_conn.connects, 4);
}

/* A will the helper sealed goes out as it is, once, not sealed twice;
 * after mqttseal_paho_will_free it would be sealed again. */
static void test_connect_keeps_sealed_will(void **state)
{
    MQTTClient_connectOptions co = MQTTClient_connectOptions_initializer;
    MQTTClient_willOptions wo = MQTTClient_willOptions_initializer;
    mqttseal_paho_will *sealed = NULL;
    const void *bytes;

    (void)state;
    wo.topicName = TOPIC;
    wo.message = "bye";
    co.will = &wo;
    assert_int_equal(mqttseal_MQTTClient_sealWill(hooks, &co, &sealed),
                     MQTTCLIENT_SUCCESS);
    bytes = wo.payload.data;
    assert_int_equal(mqttseal_MQTTClient_connect(hooks, client, &co),
                     MQTTCLIENT_SUCCESS);
    assert_ptr_equal(fake_conn.will_data, bytes);
    assert_will_sealed(TOPIC, "bye");
    mqttseal_paho_will_free(sealed);
}

/* Fail closed: a will that cannot be sealed stops the connect. */
static void test_connect_refuses_unsealable_will(void **state)
{
    MQTTClient_connectOptions co = MQTTClient_connectOptions_initializer;
    MQTTClient_willOptions wo = MQTTClient_willOptions_initializer;
    MQTTAsync_connectOptions ao = MQTTAsync_connectOptions_initializer;
    MQTTAsync_willOptions awo = MQTTAsync_willOptions_initializer;
    MQTTProperties wp = MQTTProperties_initializer;
    MQTTProperty pfi;
    MQTTResponse r;

    (void)state;
    wo.topicName = "bad/+/topic";
    wo.message = "bye";
    co.will = &wo;
    assert_int_equal(mqttseal_MQTTClient_connect(hooks, client, &co),
                     MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_TOPIC_INVALID));
    awo.topicName = "bad/#";
    awo.message = "bye";
    ao.will = &awo;
    assert_int_equal(mqttseal_MQTTAsync_connect(hooks, client, &ao),
                     MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_TOPIC_INVALID));
    assert_int_equal(mqttseal_MQTTClient_connect(NULL, client, &co),
                     MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID));
    wo.topicName = TOPIC;
    memset(&pfi, 0, sizeof pfi);
    pfi.identifier = MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR;
    pfi.value.byte = 1;
    assert_int_equal(MQTTProperties_add(&wp, &pfi), 0);
    r = mqttseal_MQTTClient_connect5(hooks, client, &co, NULL, &wp);
    assert_int_equal((int)r.reasonCode,
                     MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID));
    MQTTProperties_free(&wp);
    assert_int_equal(fake_conn.connects, 0);
}

/* The loader returns its reason, and the diag names the file. */
static void test_from_file(void **state)
{
    mqttseal_keyring *kr = NULL;
    mqttseal_paho *h = (mqttseal_paho *)1;
    mqttseal_diag diag;
    char path[128];

    (void)state;
    snprintf(path, sizeof path, "/tmp/mqttseal-test-receive-%ld.keyring",
             (long)getpid());
    unlink(path);
    assert_int_equal(mqttseal_paho_from_file(&h, path, &diag), MQTTSEAL_E_IO);
    assert_null(h);
    assert_non_null(strstr(diag.message, path));
    assert_int_equal(mqttseal_paho_from_file(NULL, path, NULL),
                     MQTTSEAL_E_INVALID);

    assert_int_equal(mqttseal_keyring_new(&kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_generate(kr, 5), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_save_file(kr, path), MQTTSEAL_OK);
    mqttseal_keyring_free(kr);
    assert_int_equal(chmod(path, 0644), 0); /* readable by others */
    assert_int_not_equal(mqttseal_paho_from_file(&h, path, &diag), MQTTSEAL_OK);
    assert_null(h);
    assert_true(diag.message[0] != '\0');
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(mqttseal_paho_from_file(&h, path, &diag), MQTTSEAL_OK);
    assert_non_null(h);
    assert_non_null(mqttseal_paho_ctx(h));
    mqttseal_paho_free(h);
    unlink(path);
}

static int setup(void **state)
{
    memset(&fake_conn, 0, sizeof fake_conn);
    return fake_setup(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_receive_skips_refused, setup,
                                        fake_teardown),
        cmocka_unit_test_setup_teardown(test_receive_timeout_and_errors, setup,
                                        fake_teardown),
        cmocka_unit_test_setup_teardown(test_connect_seals_will, setup,
                                        fake_teardown),
        cmocka_unit_test_setup_teardown(test_connect_keeps_sealed_will, setup,
                                        fake_teardown),
        cmocka_unit_test_setup_teardown(test_connect_refuses_unsealable_will,
                                        setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_from_file, setup, fake_teardown),
    };

    MQTTAsync heap_owner;
    int rc;

    /* MQTTAsync_create sets up Paho's heap for MQTTAsync_malloc. */
    if (MQTTAsync_create(&heap_owner, "tcp://127.0.0.1:1", "test_paho_receive",
                         MQTTCLIENT_PERSISTENCE_NONE, NULL) != 0) {
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    MQTTAsync_destroy(&heap_owner);
    return rc;
}
