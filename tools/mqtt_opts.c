/* Connection options shared by mqttseal pub and sub, and connecting. */
#include "mqtt_opts.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char mqtt_opts_help[] =
    "Connection (as mosquitto_pub/mosquitto_sub):\n"
    "  -h, --host HOST       broker host (default localhost)\n"
    "  -p, --port PORT       broker port (default 1883; 8883 with TLS)\n"
    "  -L, --url URL         mqtt(s)://[USER[:PASSWORD]@]HOST[:PORT]/TOPIC\n"
    "                        in one option; mqtts:// is TLS (default port\n"
    "                        8883, the system's CA certificates unless\n"
    "                        --cafile or --capath)\n"
    "  -i, --id ID           client id (default mqttseal-CMD-PID)\n"
    "  -u, --username USER   user name\n"
    "  -P, --pw PASSWORD     password (needs -u)\n"
    "  -V, --protocol-version 31|311|5\n"
    "                        MQTT version: 3.1, 3.1.1 (default) or 5; also\n"
    "                        mqttv31, mqttv311, mqttv5\n"
    "  -k, --keepalive SECS  keepalive interval (default 60)\n"
    "  -d, --debug           print connection steps on stderr\n"
    "  -c, --disable-clean-session\n"
    "                        resume the session of client id -i (needs -i):\n"
    "                        the broker keeps subscriptions and queues QoS\n"
    "                        1/2 messages while the client is away\n"
    "  -x SECONDS            MQTT 5 session expiry interval (with -c and no\n"
    "                        -x: never expires, as mosquitto)\n"
    "  -D COMMAND IDENTIFIER VALUE\n"
    "                        an MQTT 5 property (needs -V 5). connect:\n"
    "                        session-expiry-interval, receive-maximum,\n"
    "                        maximum-packet-size, user-property NAME VALUE;\n"
    "                        publish (pub only): content-type,\n"
    "                        correlation-data, message-expiry-interval,\n"
    "                        response-topic, user-property NAME VALUE.\n"
    "                        Properties travel in clear; never\n"
    "                        payload-format-indicator (a sealed payload is\n"
    "                        not UTF-8 text)\n"
    "  --will-topic TOPIC    a will (last will and testament), sealed for\n"
    "                        TOPIC with the keyring; the broker publishes it\n"
    "                        if this client disconnects unexpectedly\n"
    "  --will-payload TEXT   the will's message (default empty)\n"
    "  --will-qos 0|1|2      the will's QoS (default 0)\n"
    "  --will-retain         the broker retains the will\n"
    "TLS (as mosquitto_pub/mosquitto_sub; --cafile, --capath or mqtts://\n"
    "turn it on):\n"
    "  --cafile FILE         PEM CA certificate(s) to verify the broker with\n"
    "  --capath DIR          directory of hashed PEM CA certificates\n"
    "  --cert FILE           PEM client certificate (needs --key)\n"
    "  --key FILE            PEM private key of --cert (not encrypted)\n"
    "  --insecure            do not check that the broker's certificate\n"
    "                        names the host (it is still verified)\n"
    "  --tls-version tlsv1.2|tlsv1.3\n"
    "                        use exactly this TLS version (default: 1.2 or\n"
    "                        newer, as the broker offers)\n";

void mqtt_opts_init(struct mqtt_opts *o, const char *cmd)
{
    memset(o, 0, sizeof *o);
    o->cmd = cmd;
    o->host = "localhost";
    o->port = 1883;
    o->version = MQTTVERSION_3_1_1;
    o->keepalive = 60;
    snprintf(o->id_buf, sizeof o->id_buf, "mqttseal-%s-%ld", cmd,
             (long)getpid());
    o->client_id = o->id_buf;
    o->session_expiry = -1;
    o->connect_props = (MQTTProperties)MQTTProperties_initializer;
    o->publish_props = (MQTTProperties)MQTTProperties_initializer;
}

void mqtt_opts_free(struct mqtt_opts *o)
{
    free(o->url_topic);
    free(o->url_buf);
    o->url_topic = o->url_buf = NULL;
    mqtt_props_free(&o->connect_props);
    mqtt_props_free(&o->publish_props);
}

static int parse_version(const char *s)
{
    if (strcmp(s, "5") == 0 || strcmp(s, "mqttv5") == 0)
        return MQTTVERSION_5;
    if (strcmp(s, "311") == 0 || strcmp(s, "mqttv311") == 0)
        return MQTTVERSION_3_1_1;
    if (strcmp(s, "31") == 0 || strcmp(s, "mqttv31") == 0)
        return MQTTVERSION_3_1;
    return -1;
}

static int parse_port(const char *s, int *port)
{
    unsigned long long v;

    if (cli_parse_uint(s, 65535, &v) != 0 || v == 0)
        return -1;
    *port = (int)v;
    return 0;
}

/* mqtt://[user[:password]@]host[:port]/topic, split into o's fields. */
static int parse_url(struct mqtt_opts *o, const char *url)
{
    char *p, *at, *slash, *colon;

    size_t skip = 7;

    o->url_tls = strncmp(url, "mqtts://", 8) == 0;
    if (o->url_tls)
        skip = 8;
    else if (strncmp(url, "mqtt://", 7) != 0)
        return cli_usage(o->cmd, "-L '%s' is not an mqtt:// or mqtts:// URL",
                         url);
    free(o->url_buf);
    free(o->url_topic);
    o->url_topic = NULL;
    if ((o->url_buf = p = strdup(url + skip)) == NULL)
        return cli_fail(CLI_FILE, "out of memory");
    if ((slash = strchr(p, '/')) == NULL || slash[1] == '\0')
        return cli_usage(o->cmd,
                         "-L '%s' names no topic "
                         "(mqtt://HOST[:PORT]/TOPIC)",
                         url);
    *slash = '\0';
    if ((o->url_topic = strdup(slash + 1)) == NULL)
        return cli_fail(CLI_FILE, "out of memory");
    if ((at = strrchr(p, '@')) != NULL) {
        *at = '\0';
        o->user = p;
        if ((colon = strchr(p, ':')) != NULL) {
            *colon = '\0';
            o->password = colon + 1;
        }
        p = at + 1;
    }
    o->port_set = 0;
    if (p[0] == '[') { /* [IPv6]:port */
        char *end = strchr(p, ']');
        if (end == NULL)
            return cli_usage(o->cmd, "-L '%s': unterminated '['", url);
        *end = '\0';
        colon = end[1] == ':' ? end + 1 : NULL;
        p++;
    } else {
        colon = strrchr(p, ':');
    }
    if (colon != NULL) {
        *colon = '\0';
        if (parse_port(colon + 1, &o->port) != 0)
            return cli_usage(o->cmd, "-L '%s': bad port", url);
        o->port_set = 1;
    }
    if (*p == '\0')
        return cli_usage(o->cmd, "-L '%s' names no host", url);
    o->host = p;
    return CLI_OK;
}

static int parse_qos(const char *cmd, const char *opt, const char *arg,
                     int *qos)
{
    if (arg[0] < '0' || arg[0] > '2' || arg[1] != '\0')
        return cli_usage(cmd, "%s '%s': QoS is 0, 1 or 2", opt, arg);
    *qos = arg[0] - '0';
    return CLI_OK;
}

int mqtt_opts_handle(struct mqtt_opts *o, int c, const char *arg)
{
    unsigned long long v;

    switch (c) {
    case 'h':
        o->host = arg;
        return CLI_OK;
    case 'p':
        if (parse_port(arg, &o->port) != 0)
            return cli_usage(o->cmd, "-p '%s' is not a port (1..65535)", arg);
        o->port_set = 1;
        return CLI_OK;
    case 'i':
        if (arg[0] == '\0' || strlen(arg) > 65535)
            return cli_usage(o->cmd, "-i: give a non-empty client id");
        o->client_id = arg;
        return CLI_OK;
    case 'u':
        o->user = arg;
        return CLI_OK;
    case 'P':
        o->password = arg;
        return CLI_OK;
    case 'V':
        if ((o->version = parse_version(arg)) < 0)
            return cli_usage(o->cmd,
                             "-V '%s': give 31, 311 or 5 (or "
                             "mqttv31, mqttv311, mqttv5)",
                             arg);
        return CLI_OK;
    case 'k':
        if (cli_parse_uint(arg, 65535, &v) != 0 || v < 5)
            return cli_usage(o->cmd,
                             "-k '%s': keepalive is 5..65535 "
                             "seconds",
                             arg);
        o->keepalive = (int)v;
        return CLI_OK;
    case 'L':
        return parse_url(o, arg);
    case 'q':
        return parse_qos(o->cmd, "-q", arg, &o->qos);
    case 'd':
        o->debug = 1;
        return CLI_OK;
    case 'c':
        o->no_clean = 1;
        return CLI_OK;
    case 'x':
        if (cli_parse_uint(arg, 0xFFFFFFFFULL, &v) != 0)
            return cli_usage(o->cmd,
                             "-x '%s': the session expiry interval is 0 "
                             "to 4294967295 seconds",
                             arg);
        o->session_expiry = (long long)v;
        return CLI_OK;
    case OPT_KEYRING:
        o->keyring = arg;
        return CLI_OK;
    case OPT_WILL_TOPIC:
        o->will_topic = arg;
        return CLI_OK;
    case OPT_WILL_PAYLOAD:
        o->will_payload = arg;
        return CLI_OK;
    case OPT_WILL_QOS:
        return parse_qos(o->cmd, "--will-qos", arg, &o->will_qos);
    case OPT_WILL_RETAIN:
        o->will_retain = 1;
        return CLI_OK;
    default:
        return mqtt_tls_handle(o, c, arg);
    }
}

int mqtt_opts_check(struct mqtt_opts *o)
{
    int rc;

    if (o->keyring == NULL)
        return cli_usage(o->cmd, "--keyring FILE is required (create one "
                                 "with mqttseal keygen and mqttseal grant)");
    if (o->password != NULL && o->user == NULL)
        return cli_usage(o->cmd, "-P needs -u USER");
    if (o->will_topic == NULL &&
        (o->will_payload || o->will_qos || o->will_retain))
        return cli_usage(o->cmd, "--will-payload, --will-qos and "
                                 "--will-retain need --will-topic");
    if ((rc = mqtt_tls_check(o)) != CLI_OK ||
        (rc = mqtt_props_check(o)) != CLI_OK)
        return rc;
    if (!o->port_set)
        o->port = mqtt_opts_tls(o) ? 8883 : 1883;
    if (o->will_topic != NULL)
        return cli_check_topic(o->cmd, o->will_topic);
    return CLI_OK;
}

const char *mqtt_opts_where(const struct mqtt_opts *o)
{
    static char buf[300];
    int v6 = strchr(o->host, ':') != NULL;

    snprintf(buf, sizeof buf, "%s%s%s:%d", v6 ? "[" : "", o->host,
             v6 ? "]" : "", o->port);
    return buf;
}

void mqtt_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int mqtt_conn_create(struct mqtt_conn *c, const struct mqtt_opts *o)
{
    MQTTClient_createOptions co = MQTTClient_createOptions_initializer;
    char uri[320];
    int rc;

    memset(c, 0, sizeof *c);
    if ((rc = cli_load_ctx(o->keyring, &c->ctx)) != CLI_OK)
        return rc;
    if (mqttseal_paho_new(&c->hooks, c->ctx) != MQTTSEAL_OK)
        return cli_fail(CLI_FILE, "out of memory");
    if (o->will_topic != NULL) {
        /* The will is published later: give it a session of its own. */
        if ((rc = cli_load_ctx(o->keyring, &c->will_ctx)) != CLI_OK)
            return rc;
        if (mqttseal_paho_new(&c->will_hooks, c->will_ctx) != MQTTSEAL_OK)
            return cli_fail(CLI_FILE, "out of memory");
    }
    if (o->tls_version != 0 && (rc = mqtt_tls_pin(o)) != CLI_OK)
        return rc;
    snprintf(uri, sizeof uri, "%s://%s", mqtt_opts_tls(o) ? "ssl" : "tcp",
             mqtt_opts_where(o));
    co.MQTTVersion = o->version;
    rc = MQTTClient_createWithOptions(&c->client, uri, o->client_id,
                                      MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
    if (rc != MQTTCLIENT_SUCCESS)
        return cli_usage(o->cmd,
                         "cannot use broker address '%s' or client "
                         "id '%s': %s",
                         uri, o->client_id, MQTTClient_strerror(rc));
    c->created = 1;
    return CLI_OK;
}

static const char *connack_text(int rc, int v5)
{
    static const char *const v3[] = {"",
                                     "unacceptable protocol version",
                                     "client id rejected",
                                     "server unavailable",
                                     "bad user name or password",
                                     "not authorized"};

    if (v5)
        return MQTTReasonCode_toString((enum MQTTReasonCodes)rc);
    return rc > 0 && rc < 6 ? v3[rc] : "refused";
}

static const char *connack_hint(int rc)
{
    switch (rc) {
    case 1:
    case 0x84:
        return "try another -V";
    case 2:
    case 0x85:
        return "try another client id with -i";
    case 4:
    case 5:
    case 0x86:
    case 0x87:
        return "check -u and -P";
    default:
        return "see the broker's log";
    }
}

static int seal_will(struct mqtt_conn *c, const struct mqtt_opts *o,
                     MQTTClient_connectOptions *co, MQTTClient_willOptions *wo,
                     mqttseal_paho_will **will)
{
    int rc;

    wo->topicName = o->will_topic;
    wo->message = o->will_payload ? o->will_payload : "";
    wo->qos = o->will_qos;
    wo->retained = o->will_retain;
    co->will = wo;
    rc = mqttseal_MQTTClient_sealWill(c->will_hooks, co, will);
    if (rc == MQTTCLIENT_SUCCESS)
        return CLI_OK;
    if (MQTTSEAL_PAHO_ERR_CODE(rc) == MQTTSEAL_E_NO_GRANT)
        return cli_fail(CLI_FILE,
                        "keyring '%s' grants no key for the will "
                        "topic '%s' (see: mqttseal grant --list %s)",
                        o->keyring, o->will_topic, o->keyring);
    return cli_fail(CLI_FILE, "cannot seal the will for '%s': %s",
                    o->will_topic, mqttseal_paho_strerror(rc));
}

int mqtt_conn_connect(struct mqtt_conn *c, const struct mqtt_opts *o)
{
    MQTTClient_SSLOptions ssl = MQTTClient_SSLOptions_initializer;
    MQTTClient_connectOptions co = MQTTClient_connectOptions_initializer;
    MQTTClient_connectOptions co5 = MQTTClient_connectOptions_initializer5;
    MQTTClient_willOptions wo = MQTTClient_willOptions_initializer;
    mqttseal_paho_will *will = NULL;
    int rc, v5 = o->version == MQTTVERSION_5;

    if (v5) {
        co = co5; /* cleanstart instead of cleansession */
        co.cleanstart = !o->no_clean;
    } else {
        co.cleansession = !o->no_clean;
    }
    co.keepAliveInterval = o->keepalive;
    co.username = o->user;
    co.password = o->password;
    co.connectTimeout = 10;
    /* Paho's default ("reliable") allows one QoS 1/2 message in flight and
     * then sleeps 100 ms per publish: about 10 messages/s. Allow 20, the
     * receive maximum mosquitto grants by default. */
    co.reliable = 0;
    co.maxInflightMessages = 20; /* PUB_INFLIGHT in pub.c */
    co.MQTTVersion = o->version;
    if (mqtt_opts_tls(o)) {
        mqtt_tls_options(c, o, &ssl);
        co.ssl = &ssl;
    }
    if (o->will_topic != NULL &&
        (rc = seal_will(c, o, &co, &wo, &will)) != CLI_OK)
        return rc;
    if (o->debug)
        fprintf(stderr, "mqttseal %s: connecting to %s as '%s'\n", o->cmd,
                mqtt_opts_where(o), o->client_id);
    if (v5) {
        MQTTProperties props = o->connect_props; /* Paho only reads it */
        MQTTResponse r = MQTTClient_connect5(c->client, &co, &props, NULL);
        rc = r.reasonCode;
        MQTTResponse_free(r);
    } else {
        rc = MQTTClient_connect(c->client, &co);
    }
    mqttseal_paho_will_free(will);
    if (rc < 0 && mqtt_opts_tls(o) && c->tls_error[0] != '\0')
        return mqtt_tls_fail(c, o);
    if (rc < 0 && mqtt_opts_tls(o))
        return cli_fail(CLI_BROKER,
                        "%s: cannot connect to %s with TLS: %s (is a TLS "
                        "listener running there? its certificate must name "
                        "the host, which --insecure does not check; a broker "
                        "may require --cert and --key)",
                        o->cmd, mqtt_opts_where(o),
                        rc == MQTTCLIENT_FAILURE ? "connection, handshake or "
                                                   "certificate check failed"
                                                 : MQTTClient_strerror(rc));
    if (rc < 0)
        return cli_fail(CLI_BROKER,
                        "%s: cannot connect to %s: %s (is the "
                        "broker running there? check -h and -p)",
                        o->cmd, mqtt_opts_where(o),
                        rc == MQTTCLIENT_FAILURE ? "connection failed"
                                                 : MQTTClient_strerror(rc));
    if (rc > 0)
        return cli_fail(CLI_BROKER,
                        "%s: the broker at %s refused the "
                        "connection: %s (%s)",
                        o->cmd, mqtt_opts_where(o), connack_text(rc, v5),
                        connack_hint(rc));
    if (o->debug)
        fprintf(stderr, "mqttseal %s: connected\n", o->cmd);
    return CLI_OK;
}

void mqtt_print_counts(const mqttseal_paho *h, const char *cmd)
{
    uint64_t refused = mqttseal_paho_rejected(h, MQTTSEAL_PAHO_ALL_REASONS);
    uint64_t other = refused, n;

    fprintf(stderr, "mqttseal %s: %llu opened, %llu refused", cmd,
            (unsigned long long)mqttseal_paho_delivered(h),
            (unsigned long long)refused);
    for (int r = 1; r < (int)MQTTSEAL_ERR_COUNT && other > 0; r++) {
        if ((n = mqttseal_paho_rejected(h, r)) == 0)
            continue;
        fprintf(stderr, "; %s: %llu", mqttseal_strerror(r),
                (unsigned long long)n);
        other -= n;
    }
    if ((n = mqttseal_paho_rejected(h, MQTTSEAL_PAHO_DUPLICATE)) > 0) {
        fprintf(stderr, "; QoS 1 redelivery of a delivered message: %llu",
                (unsigned long long)n);
        other -= n;
    }
    if (other > 0)
        fprintf(stderr, "; other: %llu", (unsigned long long)other);
    fprintf(stderr, "\n");
}

void mqtt_conn_disconnect(struct mqtt_conn *c, const struct mqtt_opts *o)
{
    if (c->created) {
        if (MQTTClient_isConnected(c->client)) {
            if (o->version == MQTTVERSION_5)
                MQTTClient_disconnect5(
                    c->client, 2000, MQTTREASONCODE_NORMAL_DISCONNECTION, NULL);
            else
                MQTTClient_disconnect(c->client, 2000);
        }
        MQTTClient_destroy(&c->client);
        c->created = 0;
    }
}

void mqtt_conn_close(struct mqtt_conn *c, const struct mqtt_opts *o)
{
    mqtt_conn_disconnect(c, o);
    /* Handles after the client: they hold its callbacks. */
    mqttseal_paho_free(c->hooks);
    mqttseal_paho_free(c->will_hooks);
    mqttseal_ctx_free(c->ctx);
    mqttseal_ctx_free(c->will_ctx);
    memset(c, 0, sizeof *c);
}
