/*
 * mqttseal pub and sub: -D COMMAND IDENTIFIER VALUE (MQTT 5 properties,
 * as mosquitto_pub/mosquitto_sub), -c and -x.
 */
#include "mqtt_opts.h"

#include <stdlib.h>
#include <string.h>

/* The properties -D accepts, per command. */
struct prop_name {
    const char *cmd, *name;
    enum MQTTPropertyCodes code;
};

static const struct prop_name prop_names[] = {
    {"connect", "session-expiry-interval",
     MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL},
    {"connect", "receive-maximum", MQTTPROPERTY_CODE_RECEIVE_MAXIMUM},
    {"connect", "maximum-packet-size", MQTTPROPERTY_CODE_MAXIMUM_PACKET_SIZE},
    {"connect", "user-property", MQTTPROPERTY_CODE_USER_PROPERTY},
    {"publish", "content-type", MQTTPROPERTY_CODE_CONTENT_TYPE},
    {"publish", "correlation-data", MQTTPROPERTY_CODE_CORRELATION_DATA},
    {"publish", "message-expiry-interval",
     MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL},
    {"publish", "payload-format-indicator",
     MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR},
    {"publish", "response-topic", MQTTPROPERTY_CODE_RESPONSE_TOPIC},
    {"publish", "user-property", MQTTPROPERTY_CODE_USER_PROPERTY},
};

/*
 * The property lists are built here, with malloc, not with Paho's
 * MQTTProperties_add: Paho tracks its own heap from the first client on
 * and forgets it when the last client is destroyed, so lists made before
 * (at parsing) and freed after would leak. Paho only reads them: the
 * array, and length, the encoded size of the properties.
 */
static int props_add(MQTTProperties *ps, const MQTTProperty *p)
{
    int type = MQTTProperty_getType(p->identifier), len = 1;
    MQTTProperty *a;

    if (ps->count >= 64 ||
        (a = realloc(ps->array, (size_t)(ps->count + 1) * sizeof *a)) == NULL)
        return -1;
    ps->array = a;
    a[ps->count++] = *p;
    ps->max_count = ps->count;
    if (type == MQTTPROPERTY_TYPE_BYTE)
        len += 1;
    else if (type == MQTTPROPERTY_TYPE_TWO_BYTE_INTEGER)
        len += 2;
    else if (type == MQTTPROPERTY_TYPE_FOUR_BYTE_INTEGER)
        len += 4;
    else
        len += 2 + p->value.data.len;
    if (type == MQTTPROPERTY_TYPE_UTF_8_STRING_PAIR)
        len += 2 + p->value.value.len;
    ps->length += len;
    return 0;
}

void mqtt_props_free(MQTTProperties *ps)
{
    free(ps->array);
    *ps = (MQTTProperties)MQTTProperties_initializer;
}

static int set_number(struct mqtt_opts *o, MQTTProperty *p, const char *id,
                      const char *v)
{
    unsigned long long max = 0xFFFFFFFFULL, n;
    int type = MQTTProperty_getType(p->identifier);

    if (type == MQTTPROPERTY_TYPE_TWO_BYTE_INTEGER)
        max = 0xFFFF;
    if (type == MQTTPROPERTY_TYPE_BYTE)
        max = 0xFF;
    if (cli_parse_uint(v, max, &n) != 0 ||
        (p->identifier != MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL &&
         p->identifier != MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL && n == 0))
        return cli_usage(o->cmd, "-D %s '%s' is not a number (1 to %llu)", id,
                         v, max);
    if (type == MQTTPROPERTY_TYPE_BYTE)
        p->value.byte = (unsigned char)n;
    else if (type == MQTTPROPERTY_TYPE_TWO_BYTE_INTEGER)
        p->value.integer2 = (unsigned short)n;
    else
        p->value.integer4 = (unsigned int)n;
    return CLI_OK;
}

/* Fill p (identifier set) from argv values; *used: how many it took. */
static int set_value(struct mqtt_opts *o, MQTTProperty *p, const char *id,
                     char **vals, int n_vals, int *used)
{
    int type = MQTTProperty_getType(p->identifier);

    *used = type == MQTTPROPERTY_TYPE_UTF_8_STRING_PAIR ? 2 : 1;
    if (n_vals < *used)
        return cli_usage(o->cmd, "-D ... %s needs %s", id,
                         *used == 2 ? "a name and a value" : "a value");
    if (type == MQTTPROPERTY_TYPE_UTF_8_ENCODED_STRING ||
        type == MQTTPROPERTY_TYPE_BINARY_DATA ||
        type == MQTTPROPERTY_TYPE_UTF_8_STRING_PAIR) {
        if (strlen(vals[0]) > 65535 || (*used == 2 && strlen(vals[1]) > 65535))
            return cli_usage(o->cmd, "-D %s: at most 65535 bytes", id);
        p->value.data.data = vals[0];
        p->value.data.len = (int)strlen(vals[0]);
        if (*used == 2) {
            p->value.value.data = vals[1];
            p->value.value.len = (int)strlen(vals[1]);
        }
        return CLI_OK;
    }
    return set_number(o, p, id, vals[0]);
}

int mqtt_props_parse(struct mqtt_opts *o, const char *cmd, int argc,
                     char **argv, int *next)
{
    const char *id = *next < argc ? argv[*next] : "";
    MQTTProperties *dst;
    MQTTProperty p;
    size_t i;
    int used, rc;

    if (*next >= argc)
        return cli_usage(o->cmd, "-D needs COMMAND IDENTIFIER VALUE");
    for (i = 0; i < sizeof prop_names / sizeof prop_names[0]; i++)
        if (strcmp(prop_names[i].cmd, cmd) == 0 &&
            strcmp(prop_names[i].name, id) == 0)
            break;
    if (i == sizeof prop_names / sizeof prop_names[0])
        return cli_usage(o->cmd,
                         "-D %s %s: not a property mqttseal sets (see the "
                         "list under -D in --help)",
                         cmd, id);
    if (prop_names[i].code == MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR)
        return cli_usage(o->cmd,
                         "-D publish payload-format-indicator: a sealed "
                         "payload is binary, never UTF-8 text; mqttseal "
                         "never sets this property");
    if (strcmp(cmd, "publish") == 0 && strcmp(o->cmd, "pub") != 0)
        return cli_usage(o->cmd, "-D publish ...: sub publishes nothing");
    memset(&p, 0, sizeof p);
    p.identifier = prop_names[i].code;
    if ((rc = set_value(o, &p, id, argv + *next + 1, argc - *next - 1,
                        &used)) != CLI_OK)
        return rc;
    if (p.identifier == MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL)
        o->session_expiry = (long long)p.value.integer4;
    dst = strcmp(cmd, "connect") == 0 ? &o->connect_props : &o->publish_props;
    if (props_add(dst, &p) != 0)
        return cli_usage(o->cmd, "-D: at most 64 properties per command");
    o->has_props = 1;
    *next += 1 + used;
    return CLI_OK;
}

int mqtt_props_check(struct mqtt_opts *o)
{
    MQTTProperty p;

    if (o->has_props && o->version != MQTTVERSION_5)
        return cli_usage(o->cmd, "-D needs MQTT 5: add -V 5");
    if (o->session_expiry >= 0 && o->version != MQTTVERSION_5)
        return cli_usage(o->cmd, "-x needs MQTT 5: add -V 5");
    if (o->no_clean && o->client_id == o->id_buf)
        return cli_usage(o->cmd, "-c needs a client id (-i ID): the "
                                 "broker keeps the session under it");
    /* mosquitto: -c on MQTT 5 without -x keeps the session forever. */
    if (o->no_clean && o->version == MQTTVERSION_5 && o->session_expiry < 0)
        o->session_expiry = 0xFFFFFFFFLL;
    if (o->session_expiry < 0 ||
        MQTTProperties_getProperty(&o->connect_props,
                                   MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL))
        return CLI_OK;
    memset(&p, 0, sizeof p);
    p.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
    p.value.integer4 = (unsigned int)o->session_expiry;
    if (props_add(&o->connect_props, &p) != 0)
        return cli_fail(CLI_FILE, "out of memory");
    return CLI_OK;
}
