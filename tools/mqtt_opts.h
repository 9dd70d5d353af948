/*
 * What mqttseal pub and sub share: the mosquitto-style connection options
 * (-h -p -i -u -P -V -k -L -d, --will-*, --keyring), the hooks handle and
 * connecting with one-line errors.
 */
#ifndef MQTTSEAL_CLI_MQTT_OPTS_H
#define MQTTSEAL_CLI_MQTT_OPTS_H

#include <getopt.h>

#include <mqttseal/paho.h>

#include "cli.h"

/* Long options shared by pub and sub (values above any option letter). */
enum {
    OPT_KEYRING = 256,
    OPT_WILL_TOPIC,
    OPT_WILL_PAYLOAD,
    OPT_WILL_QOS,
    OPT_WILL_RETAIN,
    OPT_HELP,
    OPT_CAFILE,
    OPT_CAPATH,
    OPT_CERT,
    OPT_KEY,
    OPT_INSECURE,
    OPT_TLS_VERSION,
    OPT_SESSION_EXPIRY,
};

/* getopt_long entries for the shared options, spliced into each table. */
#define MQTT_LONG_OPTIONS                                                      \
    {"keyring", required_argument, NULL, OPT_KEYRING},                         \
        {"will-topic", required_argument, NULL, OPT_WILL_TOPIC},               \
        {"will-payload", required_argument, NULL, OPT_WILL_PAYLOAD},           \
        {"will-qos", required_argument, NULL, OPT_WILL_QOS},                   \
        {"will-retain", no_argument, NULL, OPT_WILL_RETAIN},                   \
        {"help", no_argument, NULL, OPT_HELP},                                 \
        {"cafile", required_argument, NULL, OPT_CAFILE},                       \
        {"capath", required_argument, NULL, OPT_CAPATH},                       \
        {"cert", required_argument, NULL, OPT_CERT},                           \
        {"key", required_argument, NULL, OPT_KEY},                             \
        {"insecure", no_argument, NULL, OPT_INSECURE},                         \
        {"tls-version", required_argument, NULL, OPT_TLS_VERSION},             \
        {"disable-clean-session", no_argument, NULL, 'c'},                     \
        {"session-expiry-interval", required_argument, NULL, 'x'},             \
        {"property", required_argument, NULL, 'D'},                            \
        {"host", required_argument, NULL, 'h'},                                \
        {"port", required_argument, NULL, 'p'},                                \
        {"id", required_argument, NULL, 'i'},                                  \
        {"username", required_argument, NULL, 'u'},                            \
        {"pw", required_argument, NULL, 'P'},                                  \
        {"protocol-version", required_argument, NULL, 'V'},                    \
        {"keepalive", required_argument, NULL, 'k'},                           \
        {"url", required_argument, NULL, 'L'},                                 \
        {"qos", required_argument, NULL, 'q'},                                 \
        {"topic", required_argument, NULL, 't'},                               \
    {                                                                          \
        "debug", no_argument, NULL, 'd'                                        \
    }

/* The short letters of the shared options, for each optstring. */
#define MQTT_SHORT_OPTIONS "h:p:i:u:P:V:k:L:q:t:dcx:D:"

/* The help text of the shared options. */
extern const char mqtt_opts_help[];

struct mqtt_opts {
    const char *cmd; /* "pub" or "sub" */
    const char *host, *client_id, *user, *password, *keyring;
    const char *will_topic, *will_payload;
    const char *cafile, *capath, *cert, *key; /* TLS */
    int port, version, keepalive, qos, will_qos, will_retain, debug;
    int port_set, url_tls;                       /* -p given; -L mqtts:// */
    int insecure, tls_version;                   /* --insecure; 0, 12 or 13 */
    int no_clean, has_props;                     /* -c; any -D */
    long long session_expiry;                    /* -x seconds; -1 = not set */
    MQTTProperties connect_props, publish_props; /* -D, owned */
    char *url_topic;                             /* the topic of -L, owned */
    char *url_buf; /* -L split into host, user, password; owned */
    char id_buf[32];
};

/* Defaults: localhost:1883 (8883 with TLS), MQTT 3.1.1, keepalive 60,
 * QoS 0. */
void mqtt_opts_init(struct mqtt_opts *o, const char *cmd);
void mqtt_opts_free(struct mqtt_opts *o);

/*
 * Handle option c (with optarg) if it is a shared one other than -t and
 * --help. Returns CLI_OK when handled, -1 when c is not shared, or the
 * usage error code.
 */
int mqtt_opts_handle(struct mqtt_opts *o, int c, const char *arg);

/* ---- -D, -c, -x (mqtt_props.c) ------------------------------------ */

/*
 * -D CMD IDENTIFIER VALUE [VALUE]: cmd is -D's argument, argv[*next] the
 * identifier; *next is moved past the values used. Returns an exit code.
 */
int mqtt_props_parse(struct mqtt_opts *o, const char *cmd, int argc,
                     char **argv, int *next);

/* Free a property list of -D (mqtt_opts_free does). */
void mqtt_props_free(MQTTProperties *ps);

/* After parsing: -D and -x need MQTT 5, -c a client id; adds the
 * session expiry to the connect properties. Returns an exit code. */
int mqtt_props_check(struct mqtt_opts *o);

/* Whether the connection uses TLS (mqtts://, --cafile, --capath or
 * --insecure). */
int mqtt_opts_tls(const struct mqtt_opts *o);

/* Checks after parsing (will topic, -P without -u, TLS options). */
int mqtt_opts_check(struct mqtt_opts *o);

/* A connected client and the hooks handle(s) it uses. */
struct mqtt_conn {
    MQTTClient client;
    mqttseal_paho *hooks;      /* seals/opens messages */
    mqttseal_paho *will_hooks; /* seals the will in a session of its own */
    mqttseal_ctx *ctx, *will_ctx;
    int created;
    char tls_error[256]; /* the first OpenSSL error of the last connect */
};

/*
 * Load the keyring into conn->hooks and create the client (not yet
 * connected), so the caller can install callbacks. Returns an exit code.
 */
int mqtt_conn_create(struct mqtt_conn *c, const struct mqtt_opts *o);

/* Connect (sealing the will, if any). Returns an exit code. */
int mqtt_conn_connect(struct mqtt_conn *c, const struct mqtt_opts *o);

/* ---- TLS (mqtt_tls.c) --------------------------------------------- */

/* The TLS options (--cafile ...); -1 if c is none of them. */
int mqtt_tls_handle(struct mqtt_opts *o, int c, const char *arg);

/* After parsing: TLS options that need TLS, --cert with --key, files
 * readable. Returns an exit code. */
int mqtt_tls_check(struct mqtt_opts *o);

/* --tls-version: pin OpenSSL's protocol versions before Paho's first TLS
 * call (mqtt_conn_create). Returns an exit code. */
int mqtt_tls_pin(const struct mqtt_opts *o);

/* Fill Paho's TLS options from o; errors go to c->tls_error. */
void mqtt_tls_options(struct mqtt_conn *c, const struct mqtt_opts *o,
                      MQTTClient_SSLOptions *ssl);

/* A TLS connect failed with OpenSSL's error in c->tls_error: one line;
 * returns CLI_BROKER. */
int mqtt_tls_fail(const struct mqtt_conn *c, const struct mqtt_opts *o);

/* Disconnect if connected and destroy the client: no callback runs after
 * it. The handles and contexts stay until mqtt_conn_close. */
void mqtt_conn_disconnect(struct mqtt_conn *c, const struct mqtt_opts *o);

/* Disconnect if connected, destroy the client, free the handles. */
void mqtt_conn_close(struct mqtt_conn *c, const struct mqtt_opts *o);

/*
 * One line on stderr, the counts of handle h by reason:
 * "mqttseal CMD: N opened, M refused; REASON: K; REASON: K ...".
 */
void mqtt_print_counts(const mqttseal_paho *h, const char *cmd);

/* "host:port" for messages. */
const char *mqtt_opts_where(const struct mqtt_opts *o);

/* Sleep for ms milliseconds. */
void mqtt_sleep_ms(long ms);

#endif /* MQTTSEAL_CLI_MQTT_OPTS_H */
