/*
 * mqttseal/paho_async.h: sealing hooks for Paho's MQTTAsync API, in
 * libmqttseal-paho-a (pkg-config "mqttseal-paho-a", with paho-mqtt3a) or
 * libmqttseal-paho-as ("mqttseal-paho-as", with paho-mqtt3as for TLS).
 * Link exactly one of them, and no other Paho library. The handle,
 * rejections, wills and their rules: mqttseal/paho_common.h.
 */
#ifndef MQTTSEAL_PAHO_ASYNC_H
#define MQTTSEAL_PAHO_ASYNC_H

#include <MQTTAsync.h>

#include <mqttseal/paho_common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------
 * 5. MQTTAsync. Same arguments as the Paho call, after the handle.
 *
 * The send wrappers return as the MQTTClient ones (paho_client.h,
 * section 4) with
 * MQTTASYNC_* codes. response (may be NULL) is copied: its callbacks and
 * context are used as given, its MQTT 5 properties are filtered in the
 * copy, and the token Paho issues is written back to response->token.
 * ------------------------------------------------------------------- */

/**
 * MQTTAsync_setCallbacks with mqttseal's messageArrived in front of ma;
 * as mqttseal_MQTTClient_setCallbacks, with MQTTASYNC_* codes.
 */
MQTTSEAL_EXPORT int
mqttseal_MQTTAsync_setCallbacks(mqttseal_paho *h, MQTTAsync handle,
                                void *context, MQTTAsync_connectionLost *cl,
                                MQTTAsync_messageArrived *ma,
                                MQTTAsync_deliveryComplete *dc);

/** MQTTAsync_send, sealed. @return see section 5. */
MQTTSEAL_EXPORT int
mqttseal_MQTTAsync_send(mqttseal_paho *h, MQTTAsync handle,
                        const char *destinationName, int payloadlen,
                        const void *payload, int qos, int retained,
                        MQTTAsync_responseOptions *response);

/**
 * MQTTAsync_sendMessage, sealed; msg is not changed. On MQTT 5 Paho takes
 * the properties from msg (filtered here) and needs response non-NULL to
 * send them, as without mqttseal.
 */
MQTTSEAL_EXPORT int mqttseal_MQTTAsync_sendMessage(
    mqttseal_paho *h, MQTTAsync handle, const char *destinationName,
    const MQTTAsync_message *msg, MQTTAsync_responseOptions *response);

/* Wills (paho_common.h section 6). */

/** Seal the will of options in place (paho_common.h section 6). */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_MQTTAsync_sealWill(mqttseal_paho *h, MQTTAsync_connectOptions *options,
                            mqttseal_paho_will **will);

/**
 * MQTTAsync_connect with the will sealed (paho_common.h section 6);
 * options is not changed (MQTTAsync_connect copies what it needs).
 * @return Paho's code, or MQTTSEAL_PAHO_ERROR(e) (E_INVALID, also for
 *         MQTT 5 will properties with a payload format indicator;
 *         E_NOMEM; an error of mqttseal_seal) and no connection.
 */
MQTTSEAL_EXPORT int
mqttseal_MQTTAsync_connect(mqttseal_paho *h, MQTTAsync handle,
                           const MQTTAsync_connectOptions *options);

#ifdef __cplusplus
}
#endif

#endif /* MQTTSEAL_PAHO_ASYNC_H */
