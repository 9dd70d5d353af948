/*
 * MQTTClient_receive, sealed: each message is opened in place as the
 * callbacks do (arrive.c). A refused one is reported to the rejection
 * callback, freed and not returned; receiving goes on until a verified
 * message arrives or the timeout has passed.
 */
#include <time.h>

#include "hooks.h"

static unsigned long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long)ts.tv_sec * 1000UL +
           (unsigned long)ts.tv_nsec / 1000000UL;
}

/* MQTTSEAL_OK when *m now holds verified plaintext; else it was freed. */
static int open_received(mqttseal_paho *h, MQTTClient handle, char **topic,
                         int topic_len, MQTTClient_message **m)
{
    binding b;
    origin org; /* mqttseal_paho_message_origin is for callbacks only */
    int rc;

    b.client = handle;
    b.kind = BIND_CLIENT;
    arrival a = ARRIVAL_OF(&b, *m, *topic, topic_len);
    if ((rc = ms_paho_open(h, &a, &org)) != MQTTSEAL_OK) {
        ms_paho_reject(h, &a, rc);
        MQTTClient_freeMessage(m);
        MQTTClient_free(*topic);
        *topic = NULL;
        return rc;
    }
    atomic_fetch_add_explicit(&h->delivered, 1U, memory_order_relaxed);
    return MQTTSEAL_OK;
}

int mqttseal_MQTTClient_receive(mqttseal_paho *h, MQTTClient handle,
                                char **topicName, int *topicLen,
                                MQTTClient_message **message,
                                unsigned long timeout)
{
    unsigned long start = now_ms(), left = timeout;

    if (h == NULL || topicName == NULL || topicLen == NULL || message == NULL) {
        return MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID);
    }
    for (;;) {
        *message = NULL;
        *topicName = NULL;
        int rc = MQTTClient_receive(handle, topicName, topicLen, message, left);
        if ((rc != MQTTCLIENT_SUCCESS &&
             rc != MQTTCLIENT_TOPICNAME_TRUNCATED) ||
            *message == NULL) {
            return rc; /* an error, or the timeout with no message */
        }
        if (open_received(h, handle, topicName, *topicLen, message) ==
            MQTTSEAL_OK) {
            return rc;
        }
        unsigned long spent = now_ms() - start;
        if (spent >= timeout) {
            *topicLen = 0;
            return MQTTCLIENT_SUCCESS; /* as Paho on a timeout */
        }
        left = timeout - spent;
    }
}
