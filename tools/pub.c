/* mqttseal pub: the sealed counterpart of mosquitto_pub. */
#include "mqtt_opts.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char pub_help[] =
    "Usage: mqttseal pub --keyring KEYRING -t TOPIC\n"
    "                    (-m MESSAGE | -f FILE | -s | -l | -n)\n"
    "                    [-q QOS] [-r] [--no-timestamp] [--sign SIGNER]\n"
    "                    [--repeat N [--repeat-delay SECS]]\n"
    "                    [connection options]\n"
    "\n"
    "Publish messages sealed for TOPIC with the keyring's primary key id,\n"
    "as mosquitto_pub would publish them in clear. The broker and plain\n"
    "subscribers see only ciphertext; mqttseal sub (or any client using\n"
    "libmqttseal) with a keyring that grants TOPIC opens them.\n"
    "\n"
    "Message (exactly one):\n"
    "  -m, --message TEXT    one message from the command line\n"
    "  -f, --file FILE       one message: the whole file, any bytes\n"
    "  -s, --stdin-file      one message: all of stdin, any bytes\n"
    "  -l, --stdin-line      one message per line of stdin (the newline is\n"
    "                        not sent; an empty line is an empty message)\n"
    "  -n, --null-message    one empty message (still sealed: to delete a\n"
    "                        retained message use mosquitto_pub -r -n)\n"
    "\n"
    "Publishing:\n"
    "  --keyring KEYRING     keyring that grants TOPIC (required)\n"
    "  -t, --topic TOPIC     the exact topic (no '+' or '#'); or use -L\n"
    "  -q, --qos 0|1|2       QoS (default 0)\n"
    "  -r, --retain          the broker retains the message; it is sealed\n"
    "                        as retained (an authenticated header flag), so\n"
    "                        receivers apply their retained maximum age\n"
    "  --repeat N            publish the message(s) N times (each sealed\n"
    "                        anew: a receiver sees N distinct messages)\n"
    "  --repeat-delay SECS   wait SECS (fractions allowed) between repeats\n"
    "  --no-timestamp        leave the time out of the sealed headers (by\n"
    "                        default each carries it, so receivers with\n"
    "                        --fresh or --max-age accept it)\n"
    "  --sign SIGNER         sign every message (and the will) with signer\n"
    "                        key SIGNER (mqttseal signer-keygen), inside the\n"
    "                        envelope (72 bytes more): receivers whose trust\n"
    "                        list names it learn it came from this signer\n"
    "  --help                print this help\n"
    "\n";

enum {
    OPT_TIMESTAMP = 300,
    OPT_NO_TIMESTAMP,
    OPT_SIGN,
    OPT_REPEAT,
    OPT_REPEAT_DELAY
};

struct pub {
    struct mqtt_opts o;
    struct mqtt_conn conn;
    const char *topic, *message, *file, *sign;
    int source, retain, no_timestamp;
    unsigned long count, repeat; /* repeat: 1 unless --repeat */
    long repeat_delay_ms;
    unsigned char *buf; /* the message of -f and -s */
    size_t len;
    atomic_int lost;
    atomic_ulong acked; /* QoS 1/2 messages the broker acknowledged */
};

/* Paho allows this many QoS 1/2 messages in flight (mqtt_opts.c). */
#define PUB_INFLIGHT 20

static int parse_source(struct pub *p, int c, const char *arg)
{
    if (p->source != 0)
        return cli_usage("pub", "give only one of -m, -f, -s, -l and -n");
    p->source = c;
    if (c == 'm')
        p->message = arg;
    if (c == 'f')
        p->file = arg;
    return CLI_OK;
}

static int parse_repeat(struct pub *p, int c, const char *arg)
{
    unsigned long long v;
    char *end;
    double d;

    if (c == OPT_REPEAT) {
        if (cli_parse_uint(arg, 1000000000, &v) != 0 || v == 0)
            return cli_usage("pub", "--repeat '%s' is not a count (1 or more)",
                             arg);
        p->repeat = (unsigned long)v;
        return CLI_OK;
    }
    d = strtod(arg, &end);
    if (end == arg || *end != '\0' || !(d >= 0 && d <= 86400))
        return cli_usage("pub",
                         "--repeat-delay '%s' is not a number of seconds "
                         "(0 to 86400, fractions allowed)",
                         arg);
    p->repeat_delay_ms = (long)(d * 1000 + 0.5);
    return CLI_OK;
}

static int parse(int argc, char **argv, struct pub *p)
{
    static const struct option opts[] = {
        MQTT_LONG_OPTIONS,
        {"message", required_argument, NULL, 'm'},
        {"file", required_argument, NULL, 'f'},
        {"stdin-file", no_argument, NULL, 's'},
        {"stdin-line", no_argument, NULL, 'l'},
        {"null-message", no_argument, NULL, 'n'},
        {"retain", no_argument, NULL, 'r'},
        {"timestamp", no_argument, NULL, OPT_TIMESTAMP},
        {"no-timestamp", no_argument, NULL, OPT_NO_TIMESTAMP},
        {"sign", required_argument, NULL, OPT_SIGN},
        {"repeat", required_argument, NULL, OPT_REPEAT},
        {"repeat-delay", required_argument, NULL, OPT_REPEAT_DELAY},
        {NULL, 0, NULL, 0},
    };
    int c, rc;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":" MQTT_SHORT_OPTIONS "m:f:slnr", opts,
                            NULL)) != -1) {
        if ((rc = mqtt_opts_handle(&p->o, c, optarg)) >= 0) {
            if (rc != CLI_OK)
                return rc;
            continue;
        }
        switch (c) {
        case 't':
            p->topic = optarg;
            break;
        case 'm':
        case 'f':
        case 's':
        case 'l':
        case 'n':
            if ((rc = parse_source(p, c, optarg)) != CLI_OK)
                return rc;
            break;
        case 'r':
            p->retain = 1;
            break;
        case OPT_TIMESTAMP: /* the default; kept for old scripts */
            p->no_timestamp = 0;
            break;
        case OPT_NO_TIMESTAMP:
            p->no_timestamp = 1;
            break;
        case OPT_SIGN:
            p->sign = optarg;
            break;
        case 'D':
            if ((rc = mqtt_props_parse(&p->o, optarg, argc, argv, &optind)) !=
                CLI_OK)
                return rc;
            break;
        case OPT_REPEAT:
        case OPT_REPEAT_DELAY:
            if ((rc = parse_repeat(p, c, optarg)) != CLI_OK)
                return rc;
            break;
        case OPT_HELP:
            printf("%s%s\n%s", pub_help, mqtt_opts_help, cli_exit_help);
            return -1;
        default:
            return cli_bad_option("pub", argv, c);
        }
    }
    if (optind < argc)
        return cli_usage("pub", "unexpected argument '%s'", argv[optind]);
    if (p->topic == NULL)
        p->topic = p->o.url_topic;
    if (p->topic == NULL)
        return cli_usage("pub", "give the topic with -t TOPIC (or -L URL)");
    if (p->source == 0)
        return cli_usage("pub", "give the message with -m, -f, -s, -l or -n");
    if (p->repeat_delay_ms > 0 && p->repeat < 2)
        return cli_usage("pub", "--repeat-delay needs --repeat N");
    if (p->repeat > 1 && p->source == 'l')
        return cli_usage("pub", "--repeat cannot repeat stdin lines (-l)");
    if ((rc = mqtt_opts_check(&p->o)) != CLI_OK)
        return rc;
    return cli_check_topic("pub", p->topic);
}

static int publish_error(struct pub *p, int rc)
{
    int e = MQTTSEAL_PAHO_ERR_CODE(rc);

    if (e == MQTTSEAL_E_NO_GRANT)
        return cli_fail(CLI_FILE,
                        "keyring '%s' grants no key for topic '%s' "
                        "(see: mqttseal grant --list %s)",
                        p->o.keyring, p->topic, p->o.keyring);
    if (e == MQTTSEAL_E_NO_PRIMARY || e == MQTTSEAL_E_KEY_EXPIRED)
        return cli_fail(CLI_FILE,
                        "keyring '%s' cannot seal: %s (regenerate "
                        "it with mqttseal rotate)",
                        p->o.keyring, mqttseal_strerror(e));
    if (e != 0)
        return cli_fail(CLI_FILE, "cannot seal for topic '%s': %s", p->topic,
                        mqttseal_strerror(e));
    return cli_fail(CLI_BROKER,
                    "pub: cannot publish to %s: %s (check the "
                    "broker)",
                    mqtt_opts_where(&p->o), MQTTClient_strerror(rc));
}

static int publish(struct pub *p, const void *buf, size_t len)
{
    struct mqtt_conn *c = &p->conn;
    MQTTClient_deliveryToken tok = 0;
    int rc;

    if (len > MQTTSEAL_PLAINTEXT_MAX)
        return cli_fail(CLI_FILE,
                        "the message is larger than the %u bytes "
                        "one sealed MQTT message can carry",
                        (unsigned)MQTTSEAL_PLAINTEXT_MAX);
    /* Stay below Paho's in-flight limit: at the limit, Paho's publish
     * sleeps 100 ms at a time; here we wait 1 ms for an acknowledgement. */
    for (int i = 0; p->o.qos > 0 && i < 30000 && !atomic_load(&p->lost) &&
                    p->count - atomic_load(&p->acked) >= PUB_INFLIGHT - 1;
         i++)
        mqtt_sleep_ms(1);
    for (int tries = 0;; tries++) {
        if (p->o.version == MQTTVERSION_5) {
            MQTTResponse r = mqttseal_MQTTClient_publish5(
                c->hooks, c->client, p->topic, (int)len, buf, p->o.qos,
                p->retain, &p->o.publish_props, &tok);
            rc = r.reasonCode;
            MQTTResponse_free(r);
        } else {
            rc = mqttseal_MQTTClient_publish(c->hooks, c->client, p->topic,
                                             (int)len, buf, p->o.qos, p->retain,
                                             &tok);
        }
        /* Too many in flight: wait for acknowledgements (up to 30 s). */
        if (rc != MQTTCLIENT_MAX_MESSAGES_INFLIGHT || tries > 30000 ||
            atomic_load(&p->lost))
            break;
        mqtt_sleep_ms(1);
    }
    if (rc != MQTTCLIENT_SUCCESS)
        return publish_error(p, rc);
    p->count++;
    return CLI_OK;
}

static int publish_lines(struct pub *p)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = CLI_OK;

    while (rc == CLI_OK && (n = getline(&line, &cap, stdin)) >= 0) {
        if (n > 0 && line[n - 1] == '\n')
            n--;
        rc = publish(p, line, (size_t)n);
    }
    if (rc == CLI_OK && ferror(stdin))
        rc = cli_fail(CLI_FILE, "cannot read stdin: %s", strerror(errno));
    free(line);
    return rc;
}

/* -f and -s: read the whole message before connecting. */
static int read_whole(struct pub *p)
{
    FILE *f = stdin;
    const char *name = p->source == 'f' ? p->file : "stdin";
    int rc = CLI_OK;

    if (p->source == 'f' && (f = fopen(p->file, "rb")) == NULL)
        return cli_fail(CLI_FILE, "cannot read '%s': %s (check the path)",
                        p->file, strerror(errno));
    if (cli_read_all(f, MQTTSEAL_PLAINTEXT_MAX, &p->buf, &p->len) != 0)
        rc = cli_fail(CLI_FILE, "cannot read %s: %s", name,
                      errno == EFBIG ? "larger than one sealed MQTT "
                                       "message can carry"
                                     : strerror(errno));
    if (f != stdin)
        fclose(f);
    return rc;
}

static int publish_once(struct pub *p)
{
    switch (p->source) {
    case 'm':
        return publish(p, p->message, strlen(p->message));
    case 'n':
        return publish(p, "", 0);
    case 'l':
        return publish_lines(p);
    default:
        return publish(p, p->buf, p->len);
    }
}

/* --repeat: the message N times, --repeat-delay apart. */
static int publish_source(struct pub *p)
{
    int rc = CLI_OK;

    for (unsigned long i = 0; i < p->repeat && rc == CLI_OK; i++) {
        if (i > 0 && p->repeat_delay_ms > 0)
            mqtt_sleep_ms(p->repeat_delay_ms);
        rc = publish_once(p);
        if (rc == CLI_OK && atomic_load(&p->lost))
            rc = cli_fail(CLI_BROKER, "pub: lost the connection to %s",
                          mqtt_opts_where(&p->o));
    }
    return rc;
}

/* Wait until the broker acknowledged every QoS 1/2 message (30 s). */
static int wait_acks(struct pub *p)
{
    for (int i = 0; i < 3000 && !atomic_load(&p->lost); i++) {
        MQTTClient_deliveryToken *toks = NULL;
        if (MQTTClient_getPendingDeliveryTokens(p->conn.client, &toks) !=
            MQTTCLIENT_SUCCESS)
            break;
        if (toks == NULL)
            return CLI_OK;
        MQTTClient_free(toks);
        mqtt_sleep_ms(10);
    }
    return cli_fail(CLI_BROKER,
                    "pub: the broker at %s did not acknowledge "
                    "every message (connection lost or too slow)",
                    mqtt_opts_where(&p->o));
}

static void on_lost(void *context, char *cause)
{
    struct pub *p = context;
    (void)cause;
    atomic_store(&p->lost, 1);
}

static void on_delivered(void *context, MQTTClient_deliveryToken token)
{
    struct pub *p = context;
    (void)token;
    atomic_fetch_add(&p->acked, 1);
}

/* pub subscribes to nothing; Paho's asynchronous mode needs a callback. */
static int on_message(void *context, char *topic, int topic_len,
                      MQTTClient_message *m)
{
    (void)context;
    (void)topic_len;
    MQTTClient_freeMessage(&m);
    MQTTClient_free(topic);
    return 1;
}

/* --sign: the publishes and the will are signed. */
static int set_signer(struct pub *p)
{
    mqttseal_signer *s = NULL;
    int rc;

    if (p->sign == NULL)
        return CLI_OK;
    if ((rc = cli_load_signer(p->sign, &s)) != CLI_OK)
        return rc;
    if (mqttseal_paho_set_signer(p->conn.hooks, s) != MQTTSEAL_OK ||
        (p->conn.will_hooks != NULL &&
         mqttseal_paho_set_signer(p->conn.will_hooks, s) != MQTTSEAL_OK))
        rc = cli_fail(CLI_FILE, "pub: cannot set up signing (out of memory)");
    mqttseal_signer_free(s);
    return rc;
}

static int run(struct pub *p)
{
    int rc = p->source == 'f' || p->source == 's' ? read_whole(p) : CLI_OK;

    if (rc == CLI_OK)
        rc = mqtt_conn_create(&p->conn, &p->o);
    if (rc == CLI_OK)
        rc = set_signer(p);

    /* Stamped by default: fleet receivers refuse unstamped messages. */
    if (rc == CLI_OK && mqttseal_ctx_set_timestamps(
                            p->conn.ctx, !p->no_timestamp) != MQTTSEAL_OK)
        rc = cli_fail(CLI_FILE, "pub: cannot set up the sealing context");
    /* Callbacks make the client asynchronous: acks need no polling. */
    if (rc == CLI_OK && mqttseal_MQTTClient_setCallbacks(
                            p->conn.hooks, p->conn.client, p, on_lost,
                            on_message, on_delivered) != MQTTCLIENT_SUCCESS)
        rc = cli_fail(CLI_FILE, "pub: cannot set up the client");
    if (rc == CLI_OK)
        rc = mqtt_conn_connect(&p->conn, &p->o);
    if (rc == CLI_OK)
        rc = publish_source(p);
    if (rc == CLI_OK && p->o.qos > 0)
        rc = wait_acks(p);
    if (rc == CLI_OK && atomic_load(&p->lost))
        rc = cli_fail(CLI_BROKER, "pub: lost the connection to %s",
                      mqtt_opts_where(&p->o));
    if (rc == CLI_OK && p->o.debug)
        fprintf(stderr,
                "mqttseal pub: published %lu sealed message%s to "
                "'%s'\n",
                p->count, p->count == 1 ? "" : "s", p->topic);
    mqtt_conn_close(&p->conn, &p->o);
    return rc;
}

int cmd_pub(int argc, char **argv)
{
    struct pub *p = calloc(1, sizeof *p);
    int rc;

    if (p == NULL)
        return cli_fail(CLI_FILE, "out of memory");
    mqtt_opts_init(&p->o, "pub");
    p->repeat = 1;
    atomic_init(&p->lost, 0);
    atomic_init(&p->acked, 0);
    rc = parse(argc, argv, p);
    if (rc == CLI_OK)
        rc = run(p);
    mqtt_opts_free(&p->o);
    free(p->buf);
    free(p);
    return rc < 0 ? CLI_OK : rc;
}
