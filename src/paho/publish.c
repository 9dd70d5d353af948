/*
 * Publishing, shared by both APIs: seal into a private buffer (on the
 * stack when small) for the wrapper to hand to Paho, which copies it
 * before returning. Nothing is published when sealing fails. MQTT 5
 * properties are filtered in a copy. The MQTTProperties_* calls bind to
 * the one Paho library each hooks library links.
 */
#include <stdlib.h>
#include <string.h>

#include "hooks.h"

int ms_paho_seal(const mqttseal_paho *h, mqttseal_ctx *ctx, sealbuf *sb,
                 const char *topic, const void *payload, int payloadlen,
                 int retained)
{
    size_t cap;
    int rc;

    sb->p = NULL;
    sb->len = 0;
    if (h == NULL || topic == NULL || payloadlen < 0 ||
        (payload == NULL && payloadlen > 0)) {
        return MQTTSEAL_E_INVALID;
    }
    if ((size_t)payloadlen > MQTTSEAL_PLAINTEXT_MAX) {
        return MQTTSEAL_E_TOO_LARGE;
    }
    cap = MQTTSEAL_SEALED_BYTES(payloadlen);
    sb->p = cap <= sizeof sb->stack ? sb->stack : malloc(cap);
    if (sb->p == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    /* The RETAIN bit is not authenticated; the header's flag is, and it
     * alone lets receivers apply their retained maximum age. */
    rc = mqttseal_seal_ex(ctx, sb->p, cap, &sb->len, topic, strlen(topic),
                          payload, (size_t)payloadlen,
                          retained ? MQTTSEAL_SEAL_RETAINED : 0U);
    if (rc != MQTTSEAL_OK) {
        ms_sealbuf_release(sb);
    }
    return rc;
}

void ms_sealbuf_release(sealbuf *sb)
{
    if (sb->p != NULL && sb->p != sb->stack) {
        free(sb->p);
    }
    sb->p = NULL;
    sb->len = 0;
}

int ms_props_has_pfi(const MQTTProperties *props)
{
    if (props == NULL) {
        return 0;
    }
    for (int i = 0; i < props->count; i++) {
        if (props->array[i].identifier ==
            MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR) {
            return 1;
        }
    }
    return 0;
}

static int props_has_ct(const MQTTProperties *props)
{
    if (props == NULL) {
        return 0;
    }
    for (int i = 0; i < props->count; i++) {
        if (props->array[i].identifier == MQTTPROPERTY_CODE_CONTENT_TYPE) {
            return 1;
        }
    }
    return 0;
}

static int props_add_ct(MQTTProperties *out)
{
    static char ct[] = MQTTSEAL_PAHO_CONTENT_TYPE;
    MQTTProperty p;

    memset(&p, 0, sizeof p);
    p.identifier = MQTTPROPERTY_CODE_CONTENT_TYPE;
    p.value.data.data = ct; /* MQTTProperties_add copies it */
    p.value.data.len = (int)(sizeof ct - 1);
    return MQTTProperties_add(out, &p);
}

/*
 * Properties to publish with: 0 when in can be used as it is, 1 when a
 * filtered copy was made in *out (free it with MQTTProperties_free), or a
 * negative mqttseal error.
 */
int ms_props_prepare(mqttseal_paho *h, const MQTTProperties *in,
                     MQTTProperties *out)
{
    MQTTProperties empty = MQTTProperties_initializer;
    int want_ct = (atomic_load(&h->options) & MQTTSEAL_PAHO_OPT_CONTENT_TYPE) &&
                  !props_has_ct(in);

    *out = empty;
    if (!want_ct && !ms_props_has_pfi(in)) {
        return 0;
    }
    for (int i = 0; in != NULL && i < in->count; i++) {
        if (in->array[i].identifier ==
            MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR) {
            continue; /* a sealed payload is never "UTF-8 text" */
        }
        if (MQTTProperties_add(out, &in->array[i]) != 0) {
            MQTTProperties_free(out);
            return -MQTTSEAL_E_NOMEM;
        }
    }
    if (want_ct && props_add_ct(out) != 0) {
        MQTTProperties_free(out);
        return -MQTTSEAL_E_NOMEM;
    }
    return 1;
}
