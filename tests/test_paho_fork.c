/*
 * fork() and the Paho hooks (suite 'unit', the fake Paho of paho_fake.c
 * captures what would be published). A handle is loaded, publishes, and
 * the process forks; parent and child both publish through the hooks and
 * seal wills. Every envelope's (key id, session id, seq) must be unique:
 * a child continuing the parent's session would reuse XChaCha20 nonces.
 * Wills are checked for both handle kinds: mqttseal_paho_load (a context
 * per will) and mqttseal_paho_new (the handle's own context).
 *
 * The child does not use cmocka: it sends its envelopes over a pipe and
 * exits; the parent checks everything. Only API that predates the fork
 * detection is used, so that this test also runs against an old core.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "paho_fake.h"

#define PER_SIDE 4 /* messages each process publishes after the fork */
#define MAX_ENV 32
#define WILL_TOPIC "site/a/status"

typedef struct env {
    int who;  /* 0 parent, 1 child */
    int kind; /* 0 message, 1 will of the load handle, 2 of the new one */
    size_t len;
    unsigned char b[256];
} env;

static env envs[MAX_ENV];
static size_t n_envs;

/* The last publish the fake Paho captured. */
static void keep_published(env *e)
{
    e->len = (size_t)fake.len;
    memcpy(e->b, fake.payload, e->len);
}

/* Seal a will through the hooks; 0 on success. */
static int seal_will(mqttseal_paho *h, env *e)
{
    MQTTClient_connectOptions conn = MQTTClient_connectOptions_initializer;
    MQTTClient_willOptions will = MQTTClient_willOptions_initializer;
    mqttseal_paho_will *sealed = NULL;

    will.topicName = WILL_TOPIC;
    will.message = "gone";
    conn.will = &will;
    if (mqttseal_MQTTClient_sealWill(h, &conn, &sealed) != MQTTCLIENT_SUCCESS ||
        will.payload.len <= 0 || (size_t)will.payload.len > sizeof e->b) {
        return -1;
    }
    e->len = (size_t)will.payload.len;
    memcpy(e->b, will.payload.data, e->len);
    mqttseal_paho_will_free(sealed);
    return 0;
}

/* Publish PER_SIDE messages and seal both wills; 0 on success. */
static int one_side(mqttseal_paho *loaded, mqttseal_paho *made, int who,
                    env *out)
{
    char text[32];
    MQTTClient_deliveryToken dt = 0;

    for (int i = 0; i < PER_SIDE; i++) {
        snprintf(text, sizeof text, "%s %d", who ? "child" : "parent", i);
        if (mqttseal_MQTTClient_publish(loaded, &fake, TOPIC, (int)strlen(text),
                                        text, 1, 0, &dt) != 0) {
            return -1;
        }
        out[i].who = who;
        out[i].kind = 0;
        keep_published(&out[i]);
    }
    out[PER_SIDE] = (env){.who = who, .kind = 1};
    out[PER_SIDE + 1] = (env){.who = who, .kind = 2};
    if (seal_will(loaded, &out[PER_SIDE]) != 0 ||
        seal_will(made, &out[PER_SIDE + 1]) != 0) {
        return -1;
    }
    return 0;
}

/* What the child must free before it exits (it runs under valgrind's
 * leak check too). */
static struct {
    mqttseal_ctx *made_ctx;
    mqttseal_keyring *kr;
} owned;

static void child(mqttseal_paho *loaded, mqttseal_paho *made, int fd)
{
    env mine[PER_SIDE + 2];
    int ok;

    memset(mine, 0, sizeof mine); /* written whole, padding included */
    ok = one_side(loaded, made, 1, mine) == 0;

    ok = ok && write(fd, mine, sizeof mine) == (ssize_t)sizeof mine;
    mqttseal_paho_free(made);
    mqttseal_ctx_free(owned.made_ctx);
    mqttseal_paho_free(loaded);
    mqttseal_keyring_free(owned.kr);
    _exit(ok ? 0 : 3);
}

static mqttseal_keyring *make_keyring(char *path, size_t cap)
{
    mqttseal_keyring *kr = NULL;

    snprintf(path, cap, "/tmp/mqttseal-fork-%ld.keyring", (long)getpid());
    assert_int_equal(mqttseal_keyring_new(&kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_generate(kr, 7), MQTTSEAL_OK);
    assert_int_equal(mqttseal_keyring_save_file(kr, path), MQTTSEAL_OK);
    return kr;
}

static void fork_and_publish(mqttseal_paho *loaded, mqttseal_paho *made)
{
    int fds[2], status = 0;
    size_t got = 0;
    ssize_t n;
    pid_t pid;

    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child(loaded, made, fds[1]);
    }
    close(fds[1]);
    assert_int_equal(one_side(loaded, made, 0, &envs[n_envs]), 0);
    n_envs += PER_SIDE + 2;
    while (got < (PER_SIDE + 2) * sizeof(env) &&
           (n = read(fds[0], (unsigned char *)&envs[n_envs] + got,
                     (PER_SIDE + 2) * sizeof(env) - got)) > 0) {
        got += (size_t)n;
    }
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(got, (PER_SIDE + 2) * sizeof(env));
    n_envs += PER_SIDE + 2;
}

static void headers(mqttseal_header *hdr)
{
    for (size_t i = 0; i < n_envs; i++) {
        assert_int_equal(mqttseal_header_parse(&hdr[i], envs[i].b, envs[i].len),
                         MQTTSEAL_OK);
    }
}

static int same_sid(const mqttseal_header *a, const mqttseal_header *b)
{
    return memcmp(a->session_id, b->session_id, MQTTSEAL_SESSIONIDBYTES) == 0;
}

/* No (key id, session id, seq) twice; the child shares no session. */
static void check_unique(const mqttseal_header *hdr)
{
    size_t repeats = 0, shared = 0, shared_wills = 0;

    for (size_t i = 0; i < n_envs; i++) {
        for (size_t j = i + 1; j < n_envs; j++) {
            if (!same_sid(&hdr[i], &hdr[j])) {
                continue;
            }
            if (hdr[i].key_id == hdr[j].key_id && hdr[i].seq == hdr[j].seq) {
                printf("# envelopes %zu (%s, kind %d) and %zu (%s, kind %d) "
                       "share key id, session id and seq %llu\n",
                       i, envs[i].who ? "child" : "parent", envs[i].kind, j,
                       envs[j].who ? "child" : "parent", envs[j].kind,
                       (unsigned long long)hdr[i].seq);
                repeats++;
            }
            if (envs[i].who != envs[j].who) {
                shared++;
                shared_wills += envs[i].kind != 0 && envs[j].kind != 0;
            }
        }
    }
    if (repeats + shared > 0) {
        fail_msg("%zu repeated (key id, session id, seq); %zu parent/child "
                 "pairs in one session (%zu of them will pairs)",
                 repeats, shared, shared_wills);
    }
}

/* Every envelope opens once, with replay protection on. */
static void check_open(const mqttseal_keyring *kr)
{
    mqttseal_ctx *rx = NULL;
    unsigned char out[256];
    size_t n;

    assert_int_equal(mqttseal_ctx_new(&rx, kr), MQTTSEAL_OK);
    for (size_t i = 0; i < n_envs; i++) {
        const char *t = envs[i].kind == 0 ? TOPIC : WILL_TOPIC;
        assert_int_equal(mqttseal_open(rx, out, sizeof out, &n, t, strlen(t),
                                       envs[i].b, envs[i].len, 0, NULL),
                         MQTTSEAL_OK);
    }
    mqttseal_ctx_free(rx);
}

static void test_fork_sessions(void **state)
{
    mqttseal_paho *loaded, *made = NULL;
    mqttseal_ctx *made_ctx = NULL;
    mqttseal_header hdr[MAX_ENV];
    mqttseal_keyring *kr;
    mqttseal_diag diag;
    char path[128];
    MQTTClient_deliveryToken dt = 0;

    (void)state;
    memset(&fake, 0, sizeof fake);
    kr = make_keyring(path, sizeof path);
    loaded = mqttseal_paho_load(path, &diag);
    assert_non_null(loaded);
    unlink(path);
    assert_int_equal(mqttseal_ctx_new(&made_ctx, kr), MQTTSEAL_OK);
    assert_int_equal(mqttseal_paho_new(&made, made_ctx), MQTTSEAL_OK);

    /* Both contexts have sealed before the fork: their sessions exist. */
    assert_int_equal(mqttseal_MQTTClient_publish(loaded, &fake, TOPIC, 6,
                                                 "before", 1, 0, &dt),
                     MQTTCLIENT_SUCCESS);
    envs[0] = (env){.who = 0, .kind = 0};
    keep_published(&envs[0]);
    envs[1] = (env){.who = 0, .kind = 2};
    assert_int_equal(seal_will(made, &envs[1]), 0);
    n_envs = 2;

    owned.made_ctx = made_ctx;
    owned.kr = kr;
    fork_and_publish(loaded, made);
    headers(hdr);
    check_unique(hdr);
    check_open(kr);
    printf("# %zu envelopes from parent and child: no shared session, no "
           "repeated (key id, session id, seq)\n",
           n_envs);

    mqttseal_paho_free(made);
    mqttseal_ctx_free(made_ctx);
    mqttseal_paho_free(loaded);
    mqttseal_keyring_free(kr);
}

int main(void)
{
    MQTTAsync heap_owner;
    int rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fork_sessions),
    };

    /* MQTTAsync_create sets up Paho's heap for MQTTAsync_malloc. */
    if (MQTTAsync_create(&heap_owner, "tcp://127.0.0.1:1", "test_paho_fork",
                         MQTTCLIENT_PERSISTENCE_NONE, NULL) != 0) {
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    MQTTAsync_destroy(&heap_owner);
    return rc;
}
