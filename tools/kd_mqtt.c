/*
 * The MQTT side of key distribution: publishing updates retained,
 * mqttseal agent (the device: applies updates to its keyring file and
 * its running context, acknowledges on its status topic, and can itself
 * publish and subscribe sealed messages) and mqttseal status.
 */
#include "kd.h"

#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <MQTTClient.h>
#include <sodium.h>

static volatile sig_atomic_t stop;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && !stop)
        ;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int connect_to(MQTTClient *cl, const char *host, int port,
                      const char *id, MQTTClient_messageArrived *ma,
                      void *context)
{
    MQTTClient_connectOptions co = MQTTClient_connectOptions_initializer;
    char uri[320];
    int rc;

    snprintf(uri, sizeof uri, "tcp://%s:%d", host, port);
    if (MQTTClient_create(cl, uri, id, MQTTCLIENT_PERSISTENCE_NONE, NULL) !=
        MQTTCLIENT_SUCCESS)
        return cli_fail(CLI_USAGE, "cannot use broker address '%s'", uri);
    if (ma != NULL)
        MQTTClient_setCallbacks(*cl, context, NULL, ma, NULL);
    co.cleansession = 1;
    co.keepAliveInterval = 30;
    if ((rc = MQTTClient_connect(*cl, &co)) != MQTTCLIENT_SUCCESS) {
        MQTTClient_destroy(cl);
        return cli_fail(CLI_BROKER, "cannot connect to %s:%d: %s", host, port,
                        MQTTClient_strerror(rc));
    }
    return CLI_OK;
}

static void close_client(MQTTClient *cl)
{
    MQTTClient_disconnect(*cl, 1000);
    MQTTClient_destroy(cl);
}

int kd_publish_retained(const struct kd_push *p, const char *topic,
                        const unsigned char *payload, size_t len)
{
    MQTTClient cl;
    MQTTClient_deliveryToken tok;
    char id[40];
    int rc;

    snprintf(id, sizeof id, "mqttseal-push-%ld", (long)getpid());
    if ((rc = connect_to(&cl, p->host, p->port, id, NULL, NULL)) != CLI_OK)
        return rc;
    rc = MQTTClient_publish(cl, topic, (int)len, payload, 1, 1, &tok);
    if (rc == MQTTCLIENT_SUCCESS)
        rc = MQTTClient_waitForCompletion(cl, tok, 10000);
    close_client(&cl);
    return rc == MQTTCLIENT_SUCCESS
               ? CLI_OK
               : cli_fail(CLI_BROKER, "publishing on %s failed: %s", topic,
                          MQTTClient_strerror(rc));
}

/* ---- agent ------------------------------------------------------------ */

static const char agent_help[] =
    "Usage: mqttseal agent --device DEVICE_KEY --keyring FILE --trust TRUST\n"
    "                      [--host HOST] [--port N] [--control-prefix P]\n"
    "                      [--id CLIENT_ID] [--sub FILTER]...\n"
    "                      [--pub TOPIC [--interval MS] [--count N]]\n"
    "                      [--exit-after SECONDS]\n"
    "\n"
    "The device side of key distribution. Subscribes to the retained\n"
    "control topic PREFIX/<device id>/keyring, verifies every keyring\n"
    "update (addressed to this device, signed by a signer of TRUST within\n"
    "its filters, newer than the applied version, unexpired), writes the\n"
    "keyring to FILE atomically (FILE.version keeps the version), switches\n"
    "its running context to it without a restart, and acknowledges\n"
    "retained on PREFIX/<device id>/status. A refused update is logged on\n"
    "stderr with its reason and changes nothing.\n"
    "\n"
    "The agent can be the device's workload too: --sub prints every opened\n"
    "message as 'TOPIC PAYLOAD' on stdout, --pub seals and publishes\n"
    "'<client id> <n>' every --interval ms (QoS 1), both with the keyring\n"
    "the latest update installed.\n"
    "\n"
    "Options:\n"
    "  --device FILE     the device key (mqttseal enroll)\n"
    "  --keyring FILE    the device keyring (need not exist yet)\n"
    "  --trust FILE      trust list naming the operator's signer and the\n"
    "                    filters it may grant\n"
    "  --host, --port    broker (default localhost 1883)\n"
    "  --control-prefix  control topic prefix (default " KD_PREFIX_DEFAULT ")\n"
    "  --id ID           MQTT client id (default mqttseal-agent-<device id>)\n"
    "  --sub FILTER      subscribe and print opened messages (repeatable)\n"
    "  --pub TOPIC       publish sealed counters on TOPIC\n"
    "  --interval MS     between publishes (default 100)\n"
    "  --count N         stop publishing after N messages (default: never)\n"
    "  --exit-after S    exit after S seconds (default: run until SIGTERM)\n"
    "  --help            print this help\n"
    "\n";

#define AGENT_MAX_SUBS 8
#define AGENT_PENDING_MAX 1024
#define AGENT_PENDING_S 10

/* A message sealed under a key id this device does not hold yet: during
 * a rotation a peer may apply its update first and seal under the new id
 * before ours arrives. Held up to AGENT_PENDING_S seconds and opened
 * again after every applied update, so a pushed rotation loses nothing. */
struct pending {
    char *topic;
    unsigned char *payload;
    size_t len;
    time_t at;
};

struct agent {
    const char *device_path, *keyring, *trust_path, *host, *prefix, *id;
    const char *pub, *subs[AGENT_MAX_SUBS];
    int port, nsubs;
    long interval_ms, count, exit_after;
    mqttseal_device *dev;
    mqttseal_trust *trust;
    mqttseal_ctx *ctx;
    char id_hex[17], control[1024], status_topic[1024], id_buf[64];
    pthread_mutex_t lock;
    char status[512];
    int status_dirty;
    pthread_mutex_t held_lock; /* pending: the callback and agent_run */
    struct pending pending[AGENT_PENDING_MAX];
    int npending;
};

static void keyring_summary(const mqttseal_keyring *kr, char *buf, size_t cap)
{
    uint32_t primary = 0, last = UINT32_MAX;
    size_t n = 0, off;
    mqttseal_key_info ki;

    (void)mqttseal_keyring_primary(kr, &primary);
    off = (size_t)snprintf(buf, cap, "primary=%" PRIu32 " keys=", primary);
    for (size_t i = 0; kr != NULL && i < mqttseal_keyring_count(kr); i++) {
        if (mqttseal_keyring_entry(kr, i, &ki) != MQTTSEAL_OK ||
            ki.key_id == last || off >= cap)
            continue;
        off += (size_t)snprintf(buf + off, cap - off, "%s%" PRIu32,
                                n++ ? "," : "", ki.key_id);
        last = ki.key_id;
    }
    if (n == 0 && off < cap)
        snprintf(buf + off, cap - off, "-");
}

static uint64_t applied_version(const char *keyring)
{
    char path[4096];
    uint64_t v = 0;
    FILE *f;

    snprintf(path, sizeof path, "%s.version", keyring);
    if ((f = fopen(path, "r")) != NULL) {
        char buf[32] = "";
        if (fgets(buf, sizeof buf, f) != NULL)
            v = strtoull(buf, NULL, 10);
        fclose(f);
    }
    return v;
}

/* The status line from the keyring file as it is now. */
static void set_status(struct agent *a, const char *result, int code)
{
    mqttseal_keyring *kr = NULL;
    char keys[256] = "primary=0 keys=-";

    if (mqttseal_keyring_load_file(&kr, a->keyring, NULL) == MQTTSEAL_OK)
        keyring_summary(kr, keys, sizeof keys);
    mqttseal_keyring_free(kr);
    pthread_mutex_lock(&a->lock);
    if (code == 0)
        snprintf(a->status, sizeof a->status,
                 "mqttseal-status 1 device=%s version=%" PRIu64 " %s result=%s",
                 a->id_hex, applied_version(a->keyring), keys, result);
    else
        snprintf(a->status, sizeof a->status,
                 "mqttseal-status 1 device=%s version=%" PRIu64
                 " %s result=%s code=%d",
                 a->id_hex, applied_version(a->keyring), keys, result, code);
    a->status_dirty = 1;
    pthread_mutex_unlock(&a->lock);
}

static void on_update(struct agent *a, const unsigned char *p, size_t n)
{
    mqttseal_diag diag;
    uint64_t v = 0;
    int rc;

    if (n == 0)
        return; /* the retained update was cleared */
    rc = mqttseal_update_apply(a->ctx, a->keyring, a->dev, a->trust, p, n, &v,
                               &diag);
    if (rc == MQTTSEAL_OK) {
        char keys[256];
        mqttseal_keyring *kr = NULL;
        if (mqttseal_keyring_load_file(&kr, a->keyring, NULL) != MQTTSEAL_OK)
            kr = NULL;
        keyring_summary(kr, keys, sizeof keys);
        mqttseal_keyring_free(kr);
        fprintf(stderr,
                "mqttseal agent: applied update version %" PRIu64 " (%s)\n", v,
                keys);
        set_status(a, "applied", 0);
    } else {
        fprintf(stderr,
                "mqttseal agent: refused keyring update: %s (%s, "
                "code %d); keyring unchanged\n",
                diag.message, mqttseal_strerror(rc), rc);
        set_status(a, "refused", rc);
    }
}

static void hold(struct agent *a, const char *topic, const unsigned char *p,
                 size_t n)
{
    struct pending *q;

    if (a->npending == AGENT_PENDING_MAX) {
        fprintf(stderr,
                "mqttseal agent: refused message on %s: %s (%d messages "
                "already held for a key id)\n",
                topic, mqttseal_strerror(MQTTSEAL_E_UNKNOWN_KEY),
                AGENT_PENDING_MAX);
        return;
    }
    q = &a->pending[a->npending];
    q->topic = strdup(topic);
    q->payload = malloc(n ? n : 1);
    if (q->topic == NULL || q->payload == NULL) {
        free(q->topic);
        free(q->payload);
        fprintf(stderr, "mqttseal agent: refused message on %s: %s\n", topic,
                mqttseal_strerror(MQTTSEAL_E_NOMEM));
        return;
    }
    memcpy(q->payload, p, n);
    q->len = n;
    q->at = time(NULL);
    a->npending++;
}

/* Open and print; returns the open result (printed refusals except
 * E_UNKNOWN_KEY, which the caller may hold). */
static int open_print(struct agent *a, const char *topic,
                      const unsigned char *p, size_t n)
{
    unsigned char *out = malloc(n + 1);
    size_t len = 0;
    mqttseal_header h;
    int rc;

    if (out == NULL)
        return MQTTSEAL_E_NOMEM;
    rc = mqttseal_open(a->ctx, out, n + 1, &len, topic, strlen(topic), p, n, 0,
                       &h);
    if (rc == MQTTSEAL_OK) {
        printf("%s %.*s\n", topic, (int)len, (const char *)out);
        fflush(stdout);
    } else if (rc != MQTTSEAL_E_UNKNOWN_KEY) {
        fprintf(stderr, "mqttseal agent: refused message on %s: %s\n", topic,
                mqttseal_strerror(rc));
    }
    free(out);
    return rc;
}

static void on_data(struct agent *a, const char *topic, const unsigned char *p,
                    size_t n)
{
    if (open_print(a, topic, p, n) == MQTTSEAL_E_UNKNOWN_KEY)
        hold(a, topic, p, n);
}

/* Refuse (with the reason) and drop what was held AGENT_PENDING_S or
 * longer. held_lock held. */
static void expire_pending(struct agent *a)
{
    int k = 0;
    time_t now = time(NULL);

    for (int i = 0; i < a->npending; i++) {
        struct pending *q = &a->pending[i];
        if (now - q->at < AGENT_PENDING_S) {
            a->pending[k++] = *q;
            continue;
        }
        fprintf(stderr,
                "mqttseal agent: refused message on %s: %s "
                "(no update brought its key id within %d s)\n",
                q->topic, mqttseal_strerror(MQTTSEAL_E_UNKNOWN_KEY),
                AGENT_PENDING_S);
        free(q->topic);
        free(q->payload);
    }
    a->npending = k;
}

/* After an update: open what was held (what still lacks its key stays
 * held); then the expiry. held_lock held. */
static void retry_pending(struct agent *a)
{
    int k = 0;

    for (int i = 0; i < a->npending; i++) {
        struct pending *q = &a->pending[i];
        if (open_print(a, q->topic, q->payload, q->len) ==
            MQTTSEAL_E_UNKNOWN_KEY) {
            a->pending[k++] = *q;
            continue;
        }
        free(q->topic);
        free(q->payload);
    }
    a->npending = k;
    expire_pending(a);
}

static int arrived(void *context, char *topic, int topic_len,
                   MQTTClient_message *m)
{
    struct agent *a = context;
    size_t tl = topic_len > 0 ? (size_t)topic_len : strlen(topic);

    pthread_mutex_lock(&a->held_lock);
    if (tl == strlen(a->control) && memcmp(topic, a->control, tl) == 0) {
        on_update(a, m->payload, (size_t)m->payloadlen);
        retry_pending(a);
    } else if (!(tl == strlen(a->status_topic) &&
                 memcmp(topic, a->status_topic, tl) == 0))
        on_data(a, topic, m->payload, (size_t)m->payloadlen);
    pthread_mutex_unlock(&a->held_lock);
    MQTTClient_freeMessage(&m);
    MQTTClient_free(topic);
    return 1;
}

static int agent_parse(int argc, char **argv, struct agent *a)
{
    static const struct option opts[] = {
        {"device", required_argument, NULL, 'd'},
        {"keyring", required_argument, NULL, 'k'},
        {"trust", required_argument, NULL, 't'},
        {"host", required_argument, NULL, 'h'},
        {"port", required_argument, NULL, 'p'},
        {"control-prefix", required_argument, NULL, 'P'},
        {"id", required_argument, NULL, 'i'},
        {"sub", required_argument, NULL, 's'},
        {"pub", required_argument, NULL, 'b'},
        {"interval", required_argument, NULL, 'I'},
        {"count", required_argument, NULL, 'C'},
        {"exit-after", required_argument, NULL, 'X'},
        {"help", no_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    unsigned long long v;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h:p:", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->device_path = optarg;
            break;
        case 'k':
            a->keyring = optarg;
            break;
        case 't':
            a->trust_path = optarg;
            break;
        case 'h':
            a->host = optarg;
            break;
        case 'P':
            a->prefix = optarg;
            break;
        case 'i':
            a->id = optarg;
            break;
        case 'b':
            a->pub = optarg;
            break;
        case 's':
            if (a->nsubs == AGENT_MAX_SUBS)
                return cli_usage("agent", "too many --sub filters");
            a->subs[a->nsubs++] = optarg;
            break;
        case 'p':
        case 'I':
        case 'C':
        case 'X':
            if (cli_parse_uint(optarg, 1000000000, &v) != 0)
                return cli_usage("agent", "'%s' is not a number", optarg);
            if (c == 'p')
                a->port = (int)v;
            else if (c == 'I')
                a->interval_ms = (long)v;
            else if (c == 'C')
                a->count = (long)v;
            else
                a->exit_after = (long)v;
            break;
        case 'H':
            printf("%s%s", agent_help, cli_exit_help);
            return -1;
        default:
            return cli_bad_option("agent", argv, c);
        }
    }
    if (a->device_path == NULL || a->keyring == NULL || a->trust_path == NULL)
        return cli_usage("agent", "--device, --keyring and --trust are "
                                  "required");
    if (optind != argc)
        return cli_usage("agent", "unexpected argument '%s'", argv[optind]);
    return CLI_OK;
}

static int agent_load(struct agent *a)
{
    mqttseal_keyring *kr = NULL;
    mqttseal_diag diag;
    unsigned char pk[32], id[8];
    int rc;

    if (mqttseal_device_load_file(&a->dev, a->device_path, &diag) !=
        MQTTSEAL_OK)
        return cli_fail(CLI_FILE, "device key '%s': %s", a->device_path,
                        diag.message);
    if ((rc = cli_load_trust(a->trust_path, &a->trust)) != CLI_OK)
        return rc;
    if (access(a->keyring, F_OK) == 0) {
        if ((rc = cli_load_keyring(a->keyring, &kr)) != CLI_OK)
            return rc;
    } else if (mqttseal_keyring_new(&kr) != MQTTSEAL_OK) {
        return cli_fail(CLI_FILE, "out of memory");
    }
    rc = mqttseal_ctx_new(&a->ctx, kr);
    mqttseal_keyring_free(kr);
    if (rc != MQTTSEAL_OK)
        return cli_fail(CLI_FILE, "cannot create a context: %s",
                        mqttseal_strerror(rc));
    mqttseal_device_public_key(a->dev, pk);
    mqttseal_device_id_of(id, pk);
    sodium_bin2hex(a->id_hex, sizeof a->id_hex, id, sizeof id);
    snprintf(a->control, sizeof a->control, "%s/%s/keyring", a->prefix,
             a->id_hex);
    snprintf(a->status_topic, sizeof a->status_topic, "%s/%s/status", a->prefix,
             a->id_hex);
    if (a->id == NULL) {
        snprintf(a->id_buf, sizeof a->id_buf, "mqttseal-agent-%s", a->id_hex);
        a->id = a->id_buf;
    }
    return CLI_OK;
}

static void agent_flush_status(struct agent *a, MQTTClient cl)
{
    char st[512];
    int dirty;

    pthread_mutex_lock(&a->lock);
    dirty = a->status_dirty;
    a->status_dirty = 0;
    memcpy(st, a->status, sizeof st);
    pthread_mutex_unlock(&a->lock);
    if (dirty)
        (void)MQTTClient_publish(cl, a->status_topic, (int)strlen(st), st, 1, 1,
                                 NULL);
}

static void agent_publish(struct agent *a, MQTTClient cl, long *sent)
{
    char msg[128];
    unsigned char env[256];
    size_t n = 0;
    int len = snprintf(msg, sizeof msg, "%s %ld", a->id, *sent + 1);

    if (mqttseal_seal(a->ctx, env, sizeof env, &n, a->pub, strlen(a->pub),
                      (const unsigned char *)msg, (size_t)len) != MQTTSEAL_OK)
        return; /* no usable key yet: wait for the first update */
    if (MQTTClient_publish(cl, a->pub, (int)n, env, 1, 0, NULL) ==
        MQTTCLIENT_SUCCESS)
        (*sent)++;
}

static void agent_run(struct agent *a, MQTTClient cl)
{
    struct timespec t0, now;
    long sent = 0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!stop) {
        long elapsed_ms;
        agent_flush_status(a, cl);
        pthread_mutex_lock(&a->held_lock);
        expire_pending(a); /* even when no update comes */
        pthread_mutex_unlock(&a->held_lock);
        if (a->pub != NULL && (a->count == 0 || sent < a->count))
            agent_publish(a, cl, &sent);
        sleep_ms(a->pub != NULL ? a->interval_ms : 50);
        clock_gettime(CLOCK_MONOTONIC, &now);
        elapsed_ms = (now.tv_sec - t0.tv_sec) * 1000L +
                     (now.tv_nsec - t0.tv_nsec) / 1000000L;
        if (a->exit_after > 0 && elapsed_ms >= a->exit_after * 1000L)
            break;
    }
    agent_flush_status(a, cl);
    fprintf(stderr, "mqttseal agent: published %ld message%s\n", sent,
            sent == 1 ? "" : "s");
}

int cmd_agent(int argc, char **argv)
{
    static struct agent a; /* large: the held messages */
    MQTTClient cl;
    int rc;

    memset(&a, 0, sizeof a);
    a.host = "localhost";
    a.port = 1883;
    a.prefix = KD_PREFIX_DEFAULT;
    a.interval_ms = 100;
    pthread_mutex_init(&a.lock, NULL);
    pthread_mutex_init(&a.held_lock, NULL);
    if ((rc = agent_parse(argc, argv, &a)) != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    if ((rc = agent_load(&a)) != CLI_OK)
        goto done;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    if ((rc = connect_to(&cl, a.host, a.port, a.id, arrived, &a)) != CLI_OK)
        goto done;
    for (int i = 0; i < a.nsubs; i++)
        (void)MQTTClient_subscribe(cl, a.subs[i], 1);
    if (MQTTClient_subscribe(cl, a.control, 1) != MQTTCLIENT_SUCCESS) {
        rc = cli_fail(CLI_BROKER, "cannot subscribe to %s", a.control);
    } else {
        fprintf(stderr, "mqttseal agent: device %s listening on %s\n", a.id_hex,
                a.control);
        set_status(&a, "running", 0);
        agent_run(&a, cl);
    }
    close_client(&cl);
    for (int i = 0; i < a.npending; i++) {
        fprintf(stderr, "mqttseal agent: refused message on %s: %s\n",
                a.pending[i].topic, mqttseal_strerror(MQTTSEAL_E_UNKNOWN_KEY));
        free(a.pending[i].topic);
        free(a.pending[i].payload);
    }
done:
    mqttseal_ctx_free(a.ctx);
    mqttseal_trust_free(a.trust);
    mqttseal_device_free(a.dev);
    return rc;
}

/* ---- status ------------------------------------------------------------ */

static const char status_help[] =
    "Usage: mqttseal status [--host HOST] [--port N] [--control-prefix P]\n"
    "                       [--wait SECONDS] [--expect-key ID]\n"
    "                       [--devices N]\n"
    "\n"
    "Read the retained acknowledgements of every device under PREFIX\n"
    "(PREFIX/+/status) and print one line per device: its id, the update\n"
    "version it applied, its primary key id, the key ids it holds, and the\n"
    "result of its last update. With --expect-key ID, wait (up to --wait\n"
    "seconds, default 2) until every device reports primary ID (and at\n"
    "least --devices N devices report), then exit 0; exit 4 if some still\n"
    "do not: retire an old key id only after this succeeds.\n"
    "\n";

#define STATUS_MAX 256

struct status_view {
    pthread_mutex_t lock;
    char lines[STATUS_MAX][512];
    char ids[STATUS_MAX][17];
    int n;
};

static int status_arrived(void *context, char *topic, int topic_len,
                          MQTTClient_message *m)
{
    struct status_view *v = context;
    char line[512];

    (void)topic_len;
    if (m->payloadlen > 0 && (size_t)m->payloadlen < sizeof line) {
        memcpy(line, m->payload, (size_t)m->payloadlen);
        line[m->payloadlen] = '\0';
        const char *d = strstr(line, "device=");
        if (d != NULL && strlen(d) >= 7 + 16) {
            char id[17];
            int i;
            memcpy(id, d + 7, 16);
            id[16] = '\0';
            pthread_mutex_lock(&v->lock);
            for (i = 0; i < v->n && strcmp(v->ids[i], id) != 0; i++)
                ;
            if (i < STATUS_MAX) {
                memcpy(v->ids[i], id, sizeof id);
                memcpy(v->lines[i], line, sizeof line);
                if (i == v->n)
                    v->n++;
            }
            pthread_mutex_unlock(&v->lock);
        }
    }
    MQTTClient_freeMessage(&m);
    MQTTClient_free(topic);
    return 1;
}

static const char *field(const char *line, const char *key, char *buf,
                         size_t cap)
{
    const char *p = strstr(line, key);
    size_t n;

    if (p == NULL)
        return "-";
    p += strlen(key);
    n = strcspn(p, " ");
    snprintf(buf, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
    return buf;
}

static int status_ok(struct status_view *v, long want, long devices)
{
    char b[64], k[32];
    int ok;

    snprintf(k, sizeof k, "%ld", want);
    pthread_mutex_lock(&v->lock);
    ok = v->n >= devices && v->n > 0;
    for (int i = 0; ok && i < v->n; i++)
        ok = strcmp(field(v->lines[i], "primary=", b, sizeof b), k) == 0;
    pthread_mutex_unlock(&v->lock);
    return ok;
}

int cmd_status(int argc, char **argv)
{
    static const struct option opts[] = {
        KD_PUSH_LONG_OPTIONS,
        {"wait", required_argument, NULL, 'w'},
        {"expect-key", required_argument, NULL, 'e'},
        {"devices", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    static struct status_view v;
    struct kd_push p;
    MQTTClient cl;
    char topic[1100], id[40], b1[64], b2[64], b3[128], b4[64];
    long wait_s = 2, want = -1, devices = 0, waited = 0;
    unsigned long long x;
    int c, rc;

    kd_push_init(&p);
    pthread_mutex_init(&v.lock, NULL);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h:p:", opts, NULL)) != -1) {
        if (c == 'H') {
            printf("%s%s", status_help, cli_exit_help);
            return CLI_OK;
        }
        if (c == 'h' || c == 'p')
            c = c == 'h' ? KD_OPT_HOST : KD_OPT_PORT;
        if (c == 'w' || c == 'e' || c == 'n') {
            if (cli_parse_uint(optarg, UINT32_MAX, &x) != 0)
                return cli_usage("status", "'%s' is not a number", optarg);
            *(c == 'w' ? &wait_s : c == 'e' ? &want : &devices) = (long)x;
            continue;
        }
        if ((rc = kd_push_option(&p, "status", c, optarg)) == -1)
            return cli_bad_option("status", argv, c);
        if (rc != CLI_OK)
            return rc;
    }
    snprintf(id, sizeof id, "mqttseal-status-%ld", (long)getpid());
    if ((rc = connect_to(&cl, p.host, p.port, id, status_arrived, &v)) !=
        CLI_OK)
        return rc;
    snprintf(topic, sizeof topic, "%s/+/status", p.prefix);
    (void)MQTTClient_subscribe(cl, topic, 1);
    while (waited < wait_s * 1000 &&
           !(want >= 0 && status_ok(&v, want, devices))) {
        sleep_ms(50);
        waited += 50;
    }
    close_client(&cl);
    printf("%-16s  %-14s  %-7s  %-12s  %s\n", "DEVICE", "VERSION", "PRIMARY",
           "KEYS", "RESULT");
    for (int i = 0; i < v.n; i++)
        printf("%-16s  %-14s  %-7s  %-12s  %s\n", v.ids[i],
               field(v.lines[i], "version=", b1, sizeof b1),
               field(v.lines[i], "primary=", b2, sizeof b2),
               field(v.lines[i], "keys=", b3, sizeof b3),
               field(v.lines[i], "result=", b4, sizeof b4));
    if (want >= 0 && !status_ok(&v, want, devices))
        return cli_fail(CLI_VERIFY,
                        "not every device reports primary key "
                        "id %ld yet (%d device%s reported)",
                        want, v.n, v.n == 1 ? "" : "s");
    return CLI_OK;
}
