/*
 * Receiving, shared by both APIs (client_arrive.c and async_arrive.c hold
 * each API's messageArrived): mqttseal's in front of the application's.
 * The payload is opened in place inside Paho's buffer (Paho tracks its
 * own heap, so the buffer is never swapped), payloadlen is fixed, and
 * only then is the application called. Every failure is reported, the
 * message and topic are freed, and 1 is returned so that Paho neither
 * redelivers nor stalls.
 */
#include <stdlib.h>
#include <string.h>

#include "hooks.h"

/* MQTTSEAL_OK when a->payload now holds verified plaintext, else why not. */
int ms_paho_open(mqttseal_paho *h, const arrival *a, origin *org)
{
    mqttseal_header hdr;
    size_t out_len = 0;
    unsigned flags = a->retained ? MQTTSEAL_OPEN_RETAINED : 0U;
    int rc;

    memset(org, 0, sizeof *org);
    if (ms_pending_take(&h->pend, a, org)) {
        return MQTTSEAL_OK; /* the app's own retry of an opened message */
    }
    if (a->topic == NULL || a->topic_len == 0) {
        return MQTTSEAL_E_TOPIC_EMPTY; /* e.g. an unresolved topic alias */
    }
    if (a->payload == NULL || *a->payloadlen <= 0) {
        return *a->payloadlen < 0 ? MQTTSEAL_E_INVALID : MQTTSEAL_E_TRUNCATED;
    }
    rc = mqttseal_open(h->ctx, a->payload, (size_t)*a->payloadlen, &out_len,
                       a->topic, a->topic_len, a->payload,
                       (size_t)*a->payloadlen, flags, &hdr);
    if (rc == MQTTSEAL_E_REPLAY && a->dup) {
        return MQTTSEAL_PAHO_DUPLICATE;
    }
    if (rc != MQTTSEAL_OK) {
        return rc;
    }
    if (hdr.is_signed) {
        org->is_signed = 1;
        memcpy(org->id, hdr.signer_id, sizeof org->id);
    }
    /* The plaintext is shorter than the envelope: room for a NUL. */
    a->payload[out_len] = '\0';
    *a->payloadlen = (int)out_len;
    return MQTTSEAL_OK;
}

/* The application returned 0: Paho will offer the same message again. */
void ms_paho_refused(mqttseal_paho *h, const arrival *a, const origin *org)
{
    ms_pending_put(&h->pend, a, org);
}

static int same_binding(const binding *x, const binding *y)
{
    if (x->client != y->client || x->kind != y->kind ||
        x->app_ctx != y->app_ctx) {
        return 0;
    }
    if (x->kind == BIND_CLIENT) {
        return x->ma.c == y->ma.c && x->cl.c == y->cl.c && x->dc.c == y->dc.c;
    }
    return x->ma.a == y->ma.a && x->cl.a == y->cl.a && x->dc.a == y->dc.a;
}

/*
 * A binding equal to proto, reused or added. Bindings are never changed
 * or freed before the handle, so a Paho thread may still be using an
 * older one for the same client.
 */
int ms_paho_bind(mqttseal_paho *h, const binding *proto, binding **out)
{
    binding *b;

    pthread_mutex_lock(&h->lock);
    for (b = h->bindings; b != NULL; b = b->next) {
        if (same_binding(b, proto)) {
            break;
        }
    }
    if (b == NULL && (b = malloc(sizeof *b)) != NULL) {
        *b = *proto;
        b->h = h;
        b->next = h->bindings;
        h->bindings = b;
    }
    pthread_mutex_unlock(&h->lock);
    *out = b;
    return b != NULL ? MQTTSEAL_OK : MQTTSEAL_E_NOMEM;
}
