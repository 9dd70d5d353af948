/* mqttseal sub: the sealed counterpart of mosquitto_sub. */
#include "mqtt_opts.h"
#include "sub_format.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SUB_MAX_TOPICS 64
#define SUB_MAX_SECONDS 315360000ULL /* ten years, for every duration */

static const char sub_help[] =
    "Usage: mqttseal sub --keyring KEYRING -t FILTER [-t FILTER]...\n"
    "                    [-C COUNT] [-v] [-N] [-F FORMAT] [-R] [-W SECS]\n"
    "                    [-q QOS]\n"
    "                    [--fresh] [--max-age S] [--skew S]\n"
    "                    [--retained-max-age S]\n"
    "                    [--replay-state FILE [--save-interval S]]\n"
    "                    [--trust TRUSTFILE] [--replay-redis URL]\n"
    "                    [connection options]\n"
    "\n"
    "Subscribe like mosquitto_sub and print each message that opens with\n"
    "the keyring, one per line. A message that does not open (plaintext,\n"
    "a topic the keyring does not grant, tampering, a replay, a retired\n"
    "key id) is never printed: it is reported on stderr as one line,\n"
    "  mqttseal: sub: rejected message on 'TOPIC': REASON\n"
    "and sub keeps running.\n"
    "\n"
    "Subscribing:\n"
    "  --keyring KEYRING     keyring that grants the topics (required)\n"
    "  -t, --topic FILTER    topic filter, '+' and '#' allowed (repeatable)\n"
    "  -q, --qos 0|1|2       subscription QoS (default 0)\n"
    "  -C COUNT              exit after COUNT messages were printed\n"
    "  -v, --verbose         print 'TOPIC PAYLOAD' instead of 'PAYLOAD'\n"
    "  -N                    do not add a newline after each "
    "payload\n" SUB_FORMAT_HELP
    "  -R                    ignore retained (stale) messages: neither\n"
    "                        printed, nor counted, nor reported\n"
    "  -W SECS               exit (status 5) after SECS seconds unless -C\n"
    "                        was reached first\n"
    "  --help                print this help\n"
    "\n"
    "Freshness (turn it on in fleets; mqttseal pub stamps by default):\n"
    "  --fresh               the fleet defaults: refuse messages older than\n"
    "                        300 s (sealed-as-retained ones: 1 day) or\n"
    "                        without a timestamp\n"
    "  --max-age S           refuse messages older than S seconds, or\n"
    "                        without a timestamp (0: no age check)\n"
    "  --skew S              tolerate timestamps up to S seconds in the\n"
    "                        future (default 30; always checked)\n"
    "  --retained-max-age S  maximum age of messages the publisher sealed\n"
    "                        as retained (pub -r), instead of --max-age\n"
    "\n";

/* Split in two: ISO C compilers need support strings of 4095 bytes only. */
static const char sub_help_more[] =
    "Signatures (who sent it; mqttseal trust --help):\n"
    "  --trust TRUSTFILE     check signed messages against the trust list:\n"
    "                        each printed message starts with\n"
    "                        '[signed by NAME] ' or '[unsigned] ' (after\n"
    "                        the topic with -v); refused: an unknown or\n"
    "                        expired signer, a signer outside its filters,\n"
    "                        a bad signature, an unsigned message on a\n"
    "                        topic the list requires signed. Without it a\n"
    "                        signed message is refused (unknown signer)\n"
    "\n"
    "Replay protection across restarts:\n"
    "  --replay-state FILE   load the replay state from FILE at start (a\n"
    "                        missing FILE is the first run), save it every\n"
    "                        --save-interval and on exit\n"
    "  --save-interval S     seconds between saves (default 10)\n"
    "\n"
    "Replay protection shared by a consumer group ($share/GROUP/...):\n"
    "  --replay-redis URL    keep the replay windows in Redis, shared by\n"
    "                        every consumer using the same URL and prefix:\n"
    "    redis://[[USER]:PASSWORD@]HOST[:PORT][/DB][?prefix=P&ttl=S]\n"
    "    unix://[[USER]:PASSWORD@]/PATH/redis.sock[?db=N&prefix=P]\n"
    "                        (no TLS: hiredis 0.14.1 has none). If Redis\n"
    "                        cannot be reached, messages are refused\n"
    "                        (reported on stderr), never printed unchecked;\n"
    "                        sub reconnects by itself. Not with\n"
    "                        --replay-state.\n"
    "\n"
    "Runs until -C, -W, SIGINT or SIGTERM (status 0), or until the broker\n"
    "connection is lost (status 3). On exit, if any message was refused\n"
    "(or with -d), it prints on stderr how many opened and how many were\n"
    "refused, by reason:\n"
    "  mqttseal sub: 41 opened, 2 refused; replayed message (...): 2\n"
    "\n";

enum {
    OPT_FRESH = 300,
    OPT_MAX_AGE,
    OPT_SKEW,
    OPT_RETAINED_MAX_AGE,
    OPT_REPLAY_STATE,
    OPT_SAVE_INTERVAL,
    OPT_TRUST,
    OPT_REPLAY_REDIS,
};

struct sub {
    struct mqtt_opts o;
    struct mqtt_conn conn;
    char *topics[SUB_MAX_TOPICS];
    int n_topics, verbose, no_eol, no_retained;
    const char *format;           /* -F */
    unsigned long count, timeout; /* 0 = unlimited */
    unsigned long printed;        /* only the callback thread writes it */
    int fresh, has_max_age, has_skew, has_retained_max_age;
    unsigned long long max_age, skew, retained_max_age; /* seconds */
    const char *state_path, *trust_path;
    const char *redis_url;
    unsigned long save_interval; /* seconds */
    int has_save_interval, state_ready, save_failing, subscribed;
    atomic_int done, lost;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

/* A subscription filter: '+' and '#' only as whole levels, '#' last. */
static int check_filter(const char *f)
{
    size_t n = strlen(f);

    if (n == 0 || n > 65535)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int start = i == 0 || f[i - 1] == '/';
        int end = i + 1 == n || f[i + 1] == '/';
        if (f[i] == '+' && !(start && end))
            return -1;
        if (f[i] == '#' && !(start && i + 1 == n))
            return -1;
    }
    return 0;
}

/* A number of seconds for option name; min is 0 or 1. */
static int parse_seconds(const char *name, const char *arg, unsigned min,
                         unsigned long long *out)
{
    if (cli_parse_uint(arg, SUB_MAX_SECONDS, out) != 0 || *out < min)
        return cli_usage("sub",
                         "%s '%s' is not a number of seconds (%u to %llu)",
                         name, arg, min, SUB_MAX_SECONDS);
    return CLI_OK;
}

/* Freshness and replay-state options; -2 if c is none of them. */
static int parse_state_option(struct sub *s, int c, const char *arg)
{
    unsigned long long v;
    int rc;

    switch (c) {
    case OPT_FRESH:
        s->fresh = 1;
        return CLI_OK;
    case OPT_MAX_AGE:
        s->has_max_age = 1;
        return parse_seconds("--max-age", arg, 0, &s->max_age);
    case OPT_SKEW:
        s->has_skew = 1;
        return parse_seconds("--skew", arg, 1, &s->skew);
    case OPT_RETAINED_MAX_AGE:
        s->has_retained_max_age = 1;
        return parse_seconds("--retained-max-age", arg, 1,
                             &s->retained_max_age);
    case OPT_REPLAY_STATE:
        s->state_path = arg;
        return CLI_OK;
    case OPT_TRUST:
        s->trust_path = arg;
        return CLI_OK;
    case OPT_REPLAY_REDIS:
        s->redis_url = arg;
        return CLI_OK;
    case OPT_SAVE_INTERVAL:
        if ((rc = parse_seconds("--save-interval", arg, 1, &v)) == CLI_OK) {
            s->save_interval = (unsigned long)v;
            s->has_save_interval = 1;
        }
        return rc;
    default:
        return -2;
    }
}

static int parse_one(struct sub *s, int c, const char *arg)
{
    unsigned long long v;
    char bad;

    switch (c) {
    case 't':
        if (check_filter(arg) != 0)
            return cli_usage("sub",
                             "-t '%s' is not a topic filter ('+' and "
                             "'#' stand for whole levels, '#' only last)",
                             arg);
        if (s->n_topics == SUB_MAX_TOPICS)
            return cli_usage("sub", "at most %d -t options", SUB_MAX_TOPICS);
        s->topics[s->n_topics++] = (char *)(uintptr_t)arg;
        return CLI_OK;
    case 'C':
        if (cli_parse_uint(arg, 1000000000, &v) != 0 || v == 0)
            return cli_usage("sub", "-C '%s' is not a count (1 or more)", arg);
        s->count = (unsigned long)v;
        return CLI_OK;
    case 'W':
        if (cli_parse_uint(arg, 31536000, &v) != 0 || v == 0)
            return cli_usage("sub", "-W '%s' is not a number of seconds", arg);
        s->timeout = (unsigned long)v;
        return CLI_OK;
    case 'v':
        s->verbose = 1;
        return CLI_OK;
    case 'N':
        s->no_eol = 1;
        return CLI_OK;
    case 'F':
        if (sub_format_check(arg, &bad) != 0)
            return cli_usage("sub",
                             "-F '%s': unknown '%c' (see -F in --help for "
                             "what is printed)",
                             arg, bad);
        s->format = arg;
        return CLI_OK;
    case 'R':
        s->no_retained = 1;
        return CLI_OK;
    case OPT_HELP:
        printf("%s%s%s\n%s", sub_help, sub_help_more, mqtt_opts_help,
               cli_exit_help);
        return -1;
    default:
        return parse_state_option(s, c, arg);
    }
}

static int parse(int argc, char **argv, struct sub *s)
{
    static const struct option opts[] = {
        MQTT_LONG_OPTIONS,
        {"verbose", no_argument, NULL, 'v'},
        {"fresh", no_argument, NULL, OPT_FRESH},
        {"max-age", required_argument, NULL, OPT_MAX_AGE},
        {"skew", required_argument, NULL, OPT_SKEW},
        {"retained-max-age", required_argument, NULL, OPT_RETAINED_MAX_AGE},
        {"replay-state", required_argument, NULL, OPT_REPLAY_STATE},
        {"save-interval", required_argument, NULL, OPT_SAVE_INTERVAL},
        {"trust", required_argument, NULL, OPT_TRUST},
        {"replay-redis", required_argument, NULL, OPT_REPLAY_REDIS},
        {NULL, 0, NULL, 0},
    };
    int c, rc;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":" MQTT_SHORT_OPTIONS "C:W:vNRF:",
                            opts, NULL)) != -1) {
        if ((rc = mqtt_opts_handle(&s->o, c, optarg)) >= 0) {
            if (rc != CLI_OK)
                return rc;
            continue;
        }
        if (c == 'D')
            rc = mqtt_props_parse(&s->o, optarg, argc, argv, &optind);
        else
            rc = parse_one(s, c, optarg);
        if (rc == -2)
            return cli_bad_option("sub", argv, c);
        if (rc != CLI_OK)
            return rc;
    }
    if (optind < argc)
        return cli_usage("sub", "unexpected argument '%s'", argv[optind]);
    if (s->o.url_topic != NULL && s->n_topics < SUB_MAX_TOPICS &&
        (rc = parse_one(s, 't', s->o.url_topic)) != CLI_OK)
        return rc;
    if (s->n_topics == 0)
        return cli_usage("sub", "give at least one topic filter with -t "
                                "(or -L URL)");
    if (s->has_save_interval && s->state_path == NULL)
        return cli_usage("sub", "--save-interval needs --replay-state FILE");
    if (s->redis_url != NULL && s->state_path != NULL)
        return cli_usage("sub", "--replay-redis and --replay-state exclude "
                                "each other (Redis holds the state)");
    if (s->has_retained_max_age && !s->has_max_age && !s->fresh)
        return cli_usage("sub", "--retained-max-age needs --max-age or "
                                "--fresh (it replaces the maximum age for "
                                "messages sealed as retained)");
    return mqtt_opts_check(&s->o);
}

static void on_reject(void *context, const mqttseal_paho_rejection *r)
{
    struct sub *s = context;

    if (atomic_load(&s->done) || (s->no_retained && r->retained))
        return;
    /* A QoS 1 redelivery of what was already printed is not news. */
    if (r->reason == MQTTSEAL_PAHO_DUPLICATE && !s->o.debug)
        return;
    fprintf(stderr, "mqttseal: sub: rejected message on '%.*s': %s\n",
            (int)(r->topic_len > 1024 ? 1024 : r->topic_len), r->topic,
            mqttseal_paho_strerror(r->reason));
}

/* "[signed by NAME] " or "[unsigned] ": who sent what follows. */
static void print_origin(struct sub *s)
{
    mqttseal_paho_origin o;
    char hex[2 * MQTTSEAL_SIGNERIDBYTES + 1];

    if (mqttseal_paho_message_origin(s->conn.hooks, &o) != MQTTSEAL_OK ||
        !o.is_signed) {
        fputs("[unsigned] ", stdout);
        return;
    }
    if (o.signer_name[0] != '\0') {
        printf("[signed by %s] ", o.signer_name);
        return;
    }
    cli_signer_id_hex(o.signer_id, hex);
    printf("[signed by id %s] ", hex);
}

static int on_message(void *context, char *topic, int topic_len,
                      MQTTClient_message *m)
{
    struct sub *s = context;
    size_t tlen = topic_len > 0 ? (size_t)topic_len : strlen(topic);

    if (!atomic_load(&s->done) && !(s->no_retained && m->retained)) {
        if (s->format != NULL) {
            sub_format_print(stdout, s->format, topic, tlen, m);
        } else {
            if (s->verbose) {
                fwrite(topic, 1, tlen, stdout);
                fputc(' ', stdout);
            }
            if (s->trust_path != NULL)
                print_origin(s);
            fwrite(m->payload, 1, (size_t)m->payloadlen, stdout);
        }
        if (!s->no_eol)
            fputc('\n', stdout);
        fflush(stdout);
        if (s->count > 0 && ++s->printed >= s->count)
            atomic_store(&s->done, 1);
    }
    MQTTClient_freeMessage(&m);
    MQTTClient_free(topic);
    return 1;
}

static void on_lost(void *context, char *cause)
{
    struct sub *s = context;
    (void)cause;
    atomic_store(&s->lost, 1);
}

static int subscribe(struct sub *s)
{
    int qos[SUB_MAX_TOPICS], rc;

    for (int i = 0; i < s->n_topics; i++)
        qos[i] = s->o.qos;
    if (s->o.version == MQTTVERSION_5) {
        MQTTResponse r = MQTTClient_subscribeMany5(s->conn.client, s->n_topics,
                                                   s->topics, qos, NULL, NULL);
        /* A reason code below 0x80 is the QoS granted (for the first
         * filter, or the only one); the rest come in reasonCodes. */
        rc = r.reasonCode >= 0 && r.reasonCode < 0x80 ? MQTTCLIENT_SUCCESS
                                                      : r.reasonCode;
        qos[0] = r.reasonCode;
        for (int i = 0; i < r.reasonCodeCount && r.reasonCodes; i++)
            qos[i] = r.reasonCodes[i];
        MQTTResponse_free(r);
    } else {
        rc = MQTTClient_subscribeMany(s->conn.client, s->n_topics, s->topics,
                                      qos);
        /* Paho 1.3.12 returns the granted QoS (1 or 2) here too when
         * there is one filter: that is success, not an error. */
        if (rc > 0 && rc < 0x80)
            rc = MQTTCLIENT_SUCCESS;
    }
    if (rc >= 0x80) { /* the first (or only) filter was refused */
        qos[0] = rc;
        rc = MQTTCLIENT_SUCCESS;
    }
    for (int i = 0; i < s->n_topics && rc == MQTTCLIENT_SUCCESS; i++) {
        if (qos[i] >= 0x80)
            return cli_fail(CLI_BROKER,
                            "sub: the broker refused the "
                            "subscription to '%s' (check its ACL)",
                            s->topics[i]);
        if (s->o.debug)
            fprintf(stderr, "mqttseal sub: subscribed to '%s' (qos %d)\n",
                    s->topics[i], qos[i]);
    }
    if (rc != MQTTCLIENT_SUCCESS)
        return cli_fail(CLI_BROKER, "sub: cannot subscribe at %s: %s",
                        mqtt_opts_where(&s->o),
                        rc > 0
                            ? MQTTReasonCode_toString((enum MQTTReasonCodes)rc)
                            : MQTTClient_strerror(rc));
    return CLI_OK;
}

/* Freshness as the options ask; the library's default otherwise. */
static int set_freshness(struct sub *s)
{
    mqttseal_ctx *ctx = s->conn.ctx;
    uint64_t age = s->fresh ? MQTTSEAL_FLEET_MAX_AGE_MS : 0;
    uint64_t ret = s->fresh ? MQTTSEAL_FLEET_RETAINED_MAX_AGE_MS : 0;
    int rc = MQTTSEAL_OK;

    if (s->fresh)
        rc = mqttseal_ctx_use_fleet_defaults(ctx);
    if (s->has_max_age)
        age = s->max_age * 1000;
    if (s->has_retained_max_age)
        ret = s->retained_max_age * 1000;
    if (rc == MQTTSEAL_OK &&
        (s->has_max_age || s->has_skew || s->has_retained_max_age))
        rc = mqttseal_ctx_set_freshness(ctx, age, s->skew * 1000, ret);
    if (rc != MQTTSEAL_OK)
        return cli_fail(CLI_FILE, "sub: cannot set freshness: %s",
                        mqttseal_strerror(rc));
    return CLI_OK;
}

/* --trust: check signatures against the trust list. */
static int set_trust(struct sub *s)
{
    mqttseal_trust *t = NULL;
    int rc;

    if (s->trust_path == NULL)
        return CLI_OK;
    if ((rc = cli_load_trust(s->trust_path, &t)) != CLI_OK)
        return rc;
    if (mqttseal_paho_set_trust(s->conn.hooks, t) != MQTTSEAL_OK)
        rc = cli_fail(CLI_FILE, "sub: cannot use the trust list (out of "
                                "memory)");
    mqttseal_trust_free(t);
    return rc;
}

/* Load the replay state, then save it at once: an unwritable file is
 * found now, not at the first save. */
static int state_start(struct sub *s)
{
    int first, rc;

    if (s->state_path == NULL)
        return CLI_OK;
    rc = cli_state_load(s->conn.ctx, s->state_path, &first);
    if (rc == CLI_OK && s->o.debug)
        fprintf(stderr, "mqttseal sub: %s replay state '%s'\n",
                first ? "no file yet, starting a new" : "loaded",
                s->state_path);
    if (rc == CLI_OK)
        rc = cli_state_save(s->conn.ctx, s->state_path, "sub");
    s->state_ready = rc == CLI_OK;
    return rc;
}

/* A periodic save outside every Paho callback; a failure is reported
 * once, and the save is tried again at the next interval. */
static void state_tick(struct sub *s, struct timespec *last)
{
    struct timespec now;
    int failing;

    if (!s->state_ready)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - last->tv_sec < (time_t)s->save_interval)
        return;
    *last = now;
    if (s->save_failing) {
        failing = mqttseal_ctx_save_replay(s->conn.ctx, s->state_path) != 0;
    } else {
        failing = cli_state_save(s->conn.ctx, s->state_path, "sub") != CLI_OK;
        if (failing)
            fprintf(stderr, "mqttseal: sub: will try again every %lu s\n",
                    s->save_interval);
    }
    s->save_failing = failing;
}

/* Wait for -C, -W, a signal or a lost connection. */
static int wait_loop(struct sub *s)
{
    struct timespec start, now, saved;

    clock_gettime(CLOCK_MONOTONIC, &start);
    saved = start;
    for (;;) {
        state_tick(s, &saved);
        if (atomic_load(&s->done) || stop_signal)
            return CLI_OK;
        if (atomic_load(&s->lost))
            return cli_fail(CLI_BROKER, "sub: lost the connection to %s",
                            mqtt_opts_where(&s->o));
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (s->timeout > 0 && now.tv_sec - start.tv_sec >= (time_t)s->timeout) {
            atomic_store(&s->done, 1);
            return cli_fail(CLI_TIMEOUT,
                            "sub: timed out after %lu s (-W) "
                            "with %lu message%s printed",
                            s->timeout, s->printed, s->printed == 1 ? "" : "s");
        }
        mqtt_sleep_ms(10);
    }
}

static int run(struct sub *s)
{
    struct sigaction sa;
    int rc = mqtt_conn_create(&s->conn, &s->o);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (rc == CLI_OK)
        rc = set_freshness(s);
    if (rc == CLI_OK)
        rc = set_trust(s);
    if (rc == CLI_OK)
        rc = state_start(s);
    if (rc == CLI_OK && s->redis_url != NULL)
        rc = cli_redis_attach(
            s->conn.ctx, s->redis_url, "sub", s->o.debug,
            s->has_skew ? s->skew * 1000 : 0,
            s->has_retained_max_age
                ? s->retained_max_age * 1000
                : (s->fresh ? MQTTSEAL_FLEET_RETAINED_MAX_AGE_MS : 0));
    if (rc == CLI_OK) {
        (void)mqttseal_paho_set_reject_callback(s->conn.hooks, on_reject, s);
        if (mqttseal_MQTTClient_setCallbacks(s->conn.hooks, s->conn.client, s,
                                             on_lost, on_message,
                                             NULL) != MQTTCLIENT_SUCCESS)
            rc = cli_fail(CLI_FILE, "sub: cannot set up the client");
    }
    if (rc == CLI_OK)
        rc = mqtt_conn_connect(&s->conn, &s->o);
    if (rc == CLI_OK)
        rc = subscribe(s);
    if (rc == CLI_OK) {
        s->subscribed = 1;
        rc = wait_loop(s);
    }
    atomic_store(&s->done, 1);
    /* No callback runs after this: the state saved now is complete. */
    mqtt_conn_disconnect(&s->conn, &s->o);
    if (s->state_ready &&
        cli_state_save(s->conn.ctx, s->state_path, "sub") != CLI_OK &&
        rc == CLI_OK)
        rc = CLI_FILE;
    /* A clean run stays as quiet as mosquitto_sub. */
    if (s->subscribed &&
        (s->o.debug ||
         mqttseal_paho_rejected(s->conn.hooks, MQTTSEAL_PAHO_ALL_REASONS) > 0))
        mqtt_print_counts(s->conn.hooks, "sub");
    mqtt_conn_close(&s->conn, &s->o);
    return rc;
}

int cmd_sub(int argc, char **argv)
{
    struct sub *s = calloc(1, sizeof *s);
    int rc;

    if (s == NULL)
        return cli_fail(CLI_FILE, "out of memory");
    mqtt_opts_init(&s->o, "sub");
    s->save_interval = 10;
    atomic_init(&s->done, 0);
    atomic_init(&s->lost, 0);
    rc = parse(argc, argv, s);
    if (rc == CLI_OK)
        rc = run(s);
    mqtt_opts_free(&s->o);
    free(s);
    return rc < 0 ? CLI_OK : rc;
}
