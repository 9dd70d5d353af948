/*
 * MQTTAsync publishing. The caller's response options are copied: Paho
 * reads the MQTT 5 properties from them (MQTTAsync_sendMessage even
 * overwrites them with the message's), and the copy carries the filtered
 * properties instead. Only the token Paho issues is written back.
 */
#include <string.h>

#include "hooks.h"

typedef struct async_out {
    MQTTAsync_responseOptions resp;
    MQTTProperties filtered;
    int own; /* filtered must be freed */
} async_out;

/* Fill o->resp from the caller's response and the properties to filter. */
static int async_prepare(mqttseal_paho *h, async_out *o,
                         const MQTTAsync_responseOptions *response,
                         const MQTTProperties *props)
{
    MQTTAsync_responseOptions init = MQTTAsync_responseOptions_initializer;

    o->resp = response != NULL ? *response : init;
    if (o->resp.struct_version < 1) { /* no MQTT 5 fields: send none */
        o->own = 0;
        return MQTTSEAL_OK;
    }
    o->own = ms_props_prepare(h, props, &o->filtered);
    if (o->own < 0) {
        return -o->own;
    }
    if (o->own) {
        o->resp.properties = o->filtered;
    } else {
        o->resp.properties = props != NULL ? *props : init.properties;
    }
    return MQTTSEAL_OK;
}

static void async_finish(async_out *o, MQTTAsync_responseOptions *response)
{
    if (response != NULL) {
        response->token = o->resp.token;
    }
    if (o->own) {
        MQTTProperties_free(&o->filtered);
    }
}

int mqttseal_MQTTAsync_send(mqttseal_paho *h, MQTTAsync handle,
                            const char *destinationName, int payloadlen,
                            const void *payload, int qos, int retained,
                            MQTTAsync_responseOptions *response)
{
    const MQTTProperties *props = NULL;
    async_out o;
    sealbuf sb;
    int rc = ms_paho_seal(h, mqttseal_paho_ctx(h), &sb, destinationName,
                          payload, payloadlen, retained);

    if (rc != MQTTSEAL_OK) {
        return MQTTSEAL_PAHO_ERROR(rc);
    }
    if (response != NULL && response->struct_version >= 1) {
        props = &response->properties;
    }
    if ((rc = async_prepare(h, &o, response, props)) != MQTTSEAL_OK) {
        ms_sealbuf_release(&sb);
        return MQTTSEAL_PAHO_ERROR(rc);
    }
    rc = MQTTAsync_send(handle, destinationName, (int)sb.len, sb.p, qos,
                        retained, &o.resp);
    async_finish(&o, response);
    ms_sealbuf_release(&sb);
    return rc;
}

int mqttseal_MQTTAsync_sendMessage(mqttseal_paho *h, MQTTAsync handle,
                                   const char *destinationName,
                                   const MQTTAsync_message *msg,
                                   MQTTAsync_responseOptions *response)
{
    MQTTAsync_message copy;
    async_out o;
    sealbuf sb;
    int rc;

    if (msg == NULL || memcmp(msg->struct_id, "MQTM", 4) != 0 ||
        msg->struct_version < 0 || msg->struct_version > 1) {
        return MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID);
    }
    rc = ms_paho_seal(h, mqttseal_paho_ctx(h), &sb, destinationName,
                      msg->payload, msg->payloadlen, msg->retained);
    if (rc != MQTTSEAL_OK) {
        return MQTTSEAL_PAHO_ERROR(rc);
    }
    rc = async_prepare(h, &o, response,
                       msg->struct_version >= 1 ? &msg->properties : NULL);
    if (rc != MQTTSEAL_OK) {
        ms_sealbuf_release(&sb);
        return MQTTSEAL_PAHO_ERROR(rc);
    }
    copy = *msg;
    copy.payload = sb.p;
    copy.payloadlen = (int)sb.len;
    copy.properties = o.resp.properties; /* Paho sends the message's */
    rc = MQTTAsync_sendMessage(handle, destinationName, &copy, &o.resp);
    async_finish(&o, response);
    ms_sealbuf_release(&sb);
    return rc;
}
