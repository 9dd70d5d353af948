/* MQTTAsync wills: the sealing helper and the connect wrapper. */
#include <string.h>

#include "hooks.h"

int mqttseal_MQTTAsync_sealWill(mqttseal_paho *h,
                                MQTTAsync_connectOptions *options,
                                mqttseal_paho_will **will)
{
    MQTTAsync_willOptions *wo;
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
    /* Version 6 and later carry MQTT 5 will properties. */
    if (options->struct_version >= 6 &&
        ms_props_has_pfi(options->willProperties)) {
        return MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID);
    }
    WILL_INPUT(wo, in);
    if ((rc = ms_will_make(h, &in, will)) != MQTTSEAL_OK) {
        return MQTTSEAL_PAHO_ERROR(rc);
    }
    WILL_OUTPUT(wo, *will);
    return MQTTASYNC_SUCCESS;
}

int mqttseal_MQTTAsync_connect(mqttseal_paho *h, MQTTAsync handle,
                               const MQTTAsync_connectOptions *options)
{
    MQTTAsync_connectOptions copy;
    MQTTAsync_willOptions will_copy, *wo;
    mqttseal_paho_will *sealed = NULL;
    will_in in;
    int rc;

    if (h == NULL || options == NULL ||
        memcmp(options->struct_id, "MQTC", 4) != 0) {
        return MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID);
    }
    copy = *options;
    if ((wo = options->will) != NULL) {
        if (!ms_will_struct_ok(wo->struct_id, wo->struct_version) ||
            (options->struct_version >= 6 &&
             ms_props_has_pfi(options->willProperties))) {
            return MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID);
        }
        if (wo->message != NULL || wo->struct_version < 1 ||
            !ms_will_is_ours(h, wo->payload.data, wo->payload.len)) {
            WILL_INPUT(wo, in);
            if ((rc = ms_will_make(h, &in, &sealed)) != MQTTSEAL_OK) {
                return MQTTSEAL_PAHO_ERROR(rc);
            }
            will_copy = *wo;
            WILL_OUTPUT(&will_copy, sealed);
            copy.will = &will_copy;
        }
    }
    rc = MQTTAsync_connect(handle, &copy);
    mqttseal_paho_will_free(sealed); /* MQTTAsync_connect copied it */
    return rc;
}
