/*
 * mqttseal/paho_client.h: sealing hooks for Paho's MQTTClient API, in
 * libmqttseal-paho-c (pkg-config "mqttseal-paho-c", with paho-mqtt3c) or
 * libmqttseal-paho-cs ("mqttseal-paho-cs", with paho-mqtt3cs for TLS).
 * Link exactly one of them, and no other Paho library. The handle,
 * rejections, wills and their rules: mqttseal/paho_common.h.
 */
#ifndef MQTTSEAL_PAHO_CLIENT_H
#define MQTTSEAL_PAHO_CLIENT_H

#include <MQTTClient.h>

#include <mqttseal/paho_common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------
 * 4. MQTTClient. Same arguments as the Paho call, after the handle.
 *
 * Publish wrappers return: MQTTCLIENT_SUCCESS; any code the Paho call
 * returns; MQTTSEAL_PAHO_ERROR(e) with e one of MQTTSEAL_E_INVALID (NULL
 * handle, negative length, NULL payload with a length, NULL topic, a
 * malformed message struct), MQTTSEAL_E_NOMEM, and the errors of
 * mqttseal_seal (E_TOO_LARGE, E_TOPIC_EMPTY, E_TOPIC_INVALID,
 * E_NO_PRIMARY, E_NO_GRANT, E_KEY_EXPIRED, E_SEQ_EXHAUSTED). Nothing is
 * published when an MQTTSEAL_PAHO_ERROR code is returned.
 * ------------------------------------------------------------------- */

/**
 * MQTTClient_setCallbacks with mqttseal's messageArrived in front of ma.
 * cl and dc are called with context, as without mqttseal. Calling it again
 * for the same client replaces the callbacks (as Paho does).
 * @return MQTTCLIENT_SUCCESS, MQTTCLIENT_FAILURE (from Paho, or ma is
 *         NULL), MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID) (NULL handle),
 *         MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_NOMEM).
 */
MQTTSEAL_EXPORT int
mqttseal_MQTTClient_setCallbacks(mqttseal_paho *h, MQTTClient handle,
                                 void *context, MQTTClient_connectionLost *cl,
                                 MQTTClient_messageArrived *ma,
                                 MQTTClient_deliveryComplete *dc);

/** MQTTClient_publish, sealed. @return see section 4. */
MQTTSEAL_EXPORT int mqttseal_MQTTClient_publish(
    mqttseal_paho *h, MQTTClient handle, const char *topicName, int payloadlen,
    const void *payload, int qos, int retained, MQTTClient_deliveryToken *dt);

/** MQTTClient_publishMessage, sealed; msg is not changed. */
MQTTSEAL_EXPORT int mqttseal_MQTTClient_publishMessage(
    mqttseal_paho *h, MQTTClient handle, const char *topicName,
    MQTTClient_message *msg, MQTTClient_deliveryToken *dt);

/**
 * MQTTClient_publish5, sealed, with properties filtered as in the file
 * comment (properties is not changed). An mqttseal failure comes back as
 * reasonCode = MQTTSEAL_PAHO_ERROR(e), with properties NULL.
 */
MQTTSEAL_EXPORT MQTTResponse mqttseal_MQTTClient_publish5(
    mqttseal_paho *h, MQTTClient handle, const char *topicName, int payloadlen,
    const void *payload, int qos, int retained, MQTTProperties *properties,
    MQTTClient_deliveryToken *dt);

/** MQTTClient_publishMessage5, sealed; as mqttseal_MQTTClient_publish5. */
MQTTSEAL_EXPORT MQTTResponse mqttseal_MQTTClient_publishMessage5(
    mqttseal_paho *h, MQTTClient handle, const char *topicName,
    MQTTClient_message *msg, MQTTClient_deliveryToken *dt);

/**
 * MQTTClient_receive, sealed, for clients without a messageArrived
 * callback: each message is opened in place as the callbacks open it
 * (same checks, duplicates and replays refused). A refused message is
 * reported to the rejection callback, freed and not returned; receiving
 * goes on until a verified message arrives or timeout (ms) has passed.
 * @return as MQTTClient_receive: MQTTCLIENT_SUCCESS (or
 *         MQTTCLIENT_TOPICNAME_TRUNCATED) with *message the verified
 *         plaintext (free it as Paho's), or *message NULL on a timeout;
 *         Paho's error codes; MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID) for
 *         a NULL handle or output pointer.
 */
MQTTSEAL_EXPORT int mqttseal_MQTTClient_receive(mqttseal_paho *h,
                                                MQTTClient handle,
                                                char **topicName, int *topicLen,
                                                MQTTClient_message **message,
                                                unsigned long timeout);

/* Wills (paho_common.h section 6). */

/** Seal the will of options in place (paho_common.h section 6). */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_MQTTClient_sealWill(mqttseal_paho *h,
                             MQTTClient_connectOptions *options,
                             mqttseal_paho_will **will);

/**
 * MQTTClient_connect with the will sealed (paho_common.h section 6);
 * options is not changed. @return Paho's code, or MQTTSEAL_PAHO_ERROR(e)
 * (E_INVALID, E_NOMEM, an error of mqttseal_seal) and no connection.
 */
MQTTSEAL_EXPORT int
mqttseal_MQTTClient_connect(mqttseal_paho *h, MQTTClient handle,
                            MQTTClient_connectOptions *options);

/**
 * MQTTClient_connect5 with the will sealed; willProperties must not
 * carry a payload format indicator (E_INVALID). An mqttseal failure
 * comes back as reasonCode = MQTTSEAL_PAHO_ERROR(e), with no connection.
 */
MQTTSEAL_EXPORT MQTTResponse mqttseal_MQTTClient_connect5(
    mqttseal_paho *h, MQTTClient handle, MQTTClient_connectOptions *options,
    MQTTProperties *connectProperties, MQTTProperties *willProperties);

#ifdef __cplusplus
}
#endif

#endif /* MQTTSEAL_PAHO_CLIENT_H */
