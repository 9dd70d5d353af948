/* MQTTClient publishing: the four publish wrappers (publish.c seals). */
#include <string.h>

#include "hooks.h"

int mqttseal_MQTTClient_publish(mqttseal_paho *h, MQTTClient handle,
                                const char *topicName, int payloadlen,
                                const void *payload, int qos, int retained,
                                MQTTClient_deliveryToken *dt)
{
    sealbuf sb;
    int rc = ms_paho_seal(h, mqttseal_paho_ctx(h), &sb, topicName, payload,
                          payloadlen, retained);

    if (rc != MQTTSEAL_OK) {
        return MQTTSEAL_PAHO_ERROR(rc);
    }
    rc = MQTTClient_publish(handle, topicName, (int)sb.len, sb.p, qos, retained,
                            dt);
    ms_sealbuf_release(&sb);
    return rc;
}

static int message_ok(const MQTTClient_message *msg)
{
    return msg != NULL && memcmp(msg->struct_id, "MQTM", 4) == 0 &&
           (msg->struct_version == 0 || msg->struct_version == 1);
}

int mqttseal_MQTTClient_publishMessage(mqttseal_paho *h, MQTTClient handle,
                                       const char *topicName,
                                       MQTTClient_message *msg,
                                       MQTTClient_deliveryToken *dt)
{
    MQTTClient_message copy;
    sealbuf sb;
    int rc;

    if (!message_ok(msg)) {
        return MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID);
    }
    rc = ms_paho_seal(h, mqttseal_paho_ctx(h), &sb, topicName, msg->payload,
                      msg->payloadlen, msg->retained);
    if (rc != MQTTSEAL_OK) {
        return MQTTSEAL_PAHO_ERROR(rc);
    }
    copy = *msg;
    copy.payload = sb.p;
    copy.payloadlen = (int)sb.len;
    rc = MQTTClient_publishMessage(handle, topicName, &copy, dt);
    ms_sealbuf_release(&sb);
    return rc;
}

static MQTTResponse failed(int err)
{
    MQTTResponse r = MQTTResponse_initializer;

    r.reasonCode = (enum MQTTReasonCodes)MQTTSEAL_PAHO_ERROR(err);
    return r;
}

MQTTResponse mqttseal_MQTTClient_publish5(mqttseal_paho *h, MQTTClient handle,
                                          const char *topicName, int payloadlen,
                                          const void *payload, int qos,
                                          int retained,
                                          MQTTProperties *properties,
                                          MQTTClient_deliveryToken *dt)
{
    MQTTProperties filtered, none = MQTTProperties_initializer;
    MQTTResponse r;
    sealbuf sb;
    int rc, own;

    rc = ms_paho_seal(h, mqttseal_paho_ctx(h), &sb, topicName, payload,
                      payloadlen, retained);
    if (rc != MQTTSEAL_OK) {
        return failed(rc);
    }
    if ((own = ms_props_prepare(h, properties, &filtered)) < 0) {
        ms_sealbuf_release(&sb);
        return failed(-own);
    }
    if (own) {
        properties = &filtered;
    } else if (properties == NULL) {
        properties = &none;
    }
    r = MQTTClient_publish5(handle, topicName, (int)sb.len, sb.p, qos, retained,
                            properties, dt);
    if (own) {
        MQTTProperties_free(&filtered);
    }
    ms_sealbuf_release(&sb);
    return r;
}

MQTTResponse mqttseal_MQTTClient_publishMessage5(mqttseal_paho *h,
                                                 MQTTClient handle,
                                                 const char *topicName,
                                                 MQTTClient_message *msg,
                                                 MQTTClient_deliveryToken *dt)
{
    MQTTProperties *props;

    if (!message_ok(msg)) {
        return failed(MQTTSEAL_E_INVALID);
    }
    props = msg->struct_version >= 1 ? &msg->properties : NULL;
    return mqttseal_MQTTClient_publish5(h, handle, topicName, msg->payloadlen,
                                        msg->payload, msg->qos, msg->retained,
                                        props, dt);
}
