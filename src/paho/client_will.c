/* MQTTClient wills: the sealing helper and the connect wrappers. */
#include <string.h>

#include "hooks.h"

int mqttseal_MQTTClient_sealWill(mqttseal_paho *h,
                                 MQTTClient_connectOptions *options,
                                 mqttseal_paho_will **will)
{
    MQTTClient_willOptions *wo;
    will_in in;
    int rc;

    if (will != NULL) {
        *will = NULL;
    }
    if (h == NULL || will == NULL || options == NULL ||
        memcmp(options->struct_id, "MQTC", 4) != 0 ||
        (wo = options->will) == NULL ||
        !ms_will_struct_ok(wo->struct_id, wo->struct_version)) {
        return MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID);
    }
    WILL_INPUT(wo, in);
    if ((rc = ms_will_make(h, &in, will)) != MQTTSEAL_OK) {
        return MQTTSEAL_PAHO_ERROR(rc);
    }
    WILL_OUTPUT(wo, *will);
    return MQTTCLIENT_SUCCESS;
}

/*
 * The options to connect with: the caller's, or a copy whose will is
 * sealed now (*sealed, freed by the caller once Paho has copied it). A
 * will this handle sealed and has not freed goes out as it is.
 */
static int client_will(mqttseal_paho *h, MQTTClient_connectOptions *options,
                       MQTTClient_connectOptions *copy,
                       MQTTClient_willOptions *will_copy,
                       mqttseal_paho_will **sealed)
{
    MQTTClient_willOptions *wo;
    will_in in;
    int rc;

    *sealed = NULL;
    if (h == NULL || options == NULL ||
        memcmp(options->struct_id, "MQTC", 4) != 0) {
        return MQTTSEAL_E_INVALID;
    }
    *copy = *options;
    if ((wo = options->will) == NULL) {
        return MQTTSEAL_OK;
    }
    if (!ms_will_struct_ok(wo->struct_id, wo->struct_version)) {
        return MQTTSEAL_E_INVALID;
    }
    if (wo->message == NULL && wo->struct_version >= 1 &&
        ms_will_is_ours(h, wo->payload.data, wo->payload.len)) {
        return MQTTSEAL_OK;
    }
    WILL_INPUT(wo, in);
    if ((rc = ms_will_make(h, &in, sealed)) != MQTTSEAL_OK) {
        return rc;
    }
    *will_copy = *wo;
    WILL_OUTPUT(will_copy, *sealed);
    copy->will = will_copy;
    return MQTTSEAL_OK;
}

int mqttseal_MQTTClient_connect(mqttseal_paho *h, MQTTClient handle,
                                MQTTClient_connectOptions *options)
{
    MQTTClient_connectOptions copy;
    MQTTClient_willOptions will_copy;
    mqttseal_paho_will *sealed;
    int rc = client_will(h, options, &copy, &will_copy, &sealed);

    if (rc != MQTTSEAL_OK) {
        return MQTTSEAL_PAHO_ERROR(rc);
    }
    rc = MQTTClient_connect(handle, &copy);
    mqttseal_paho_will_free(sealed); /* Paho copied it */
    return rc;
}

MQTTResponse mqttseal_MQTTClient_connect5(mqttseal_paho *h, MQTTClient handle,
                                          MQTTClient_connectOptions *options,
                                          MQTTProperties *connectProperties,
                                          MQTTProperties *willProperties)
{
    MQTTResponse r = MQTTResponse_initializer;
    MQTTClient_connectOptions copy;
    MQTTClient_willOptions will_copy;
    mqttseal_paho_will *sealed = NULL;
    int rc = ms_props_has_pfi(willProperties)
                 ? MQTTSEAL_E_INVALID
                 : client_will(h, options, &copy, &will_copy, &sealed);

    if (rc != MQTTSEAL_OK) {
        r.reasonCode = (enum MQTTReasonCodes)MQTTSEAL_PAHO_ERROR(rc);
        return r;
    }
    r = MQTTClient_connect5(handle, &copy, connectProperties, willProperties);
    mqttseal_paho_will_free(sealed);
    return r;
}
