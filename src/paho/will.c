/*
 * Sealed wills, shared by both APIs (client_will.c, async_will.c). The
 * broker publishes a will long after it was sealed, so each will is
 * sealed in a one-off session of its own (mqttseal_seal_once): no later
 * message of the client can push the will's sequence number out of a
 * receiver's replay window, no context is made for it, and a will sealed
 * in a child of fork() gets a session id drawn in that child. A will is
 * signed when the handle's context has a signer, as its publishes are.
 *
 * The handle remembers the wills it sealed and has not yet freed, so
 * that its connect wrappers pass those on as they are and seal any other
 * will (never sending one in clear).
 */
#include <stdlib.h>
#include <string.h>

#include "hooks.h"

static int seal_with(mqttseal_paho *h, mqttseal_paho_will *w, const will_in *in)
{
    size_t cap = MQTTSEAL_SEALED_BYTES(in->len);
    unsigned flags = in->retained ? MQTTSEAL_SEAL_RETAINED : 0U;

    if (in->len > MQTTSEAL_PLAINTEXT_MAX) {
        return MQTTSEAL_E_TOO_LARGE;
    }
    if ((w->p = malloc(cap)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    if ((atomic_load(&h->options) & MQTTSEAL_PAHO_OPT_WILL_TIMESTAMP) != 0) {
        flags |= MQTTSEAL_SEAL_TIMESTAMP;
    }
    return mqttseal_seal_once(h->ctx, w->p, cap, &w->len, in->topic,
                              strlen(in->topic), in->data, in->len, flags);
}

int ms_will_make(mqttseal_paho *h, const will_in *in, mqttseal_paho_will **out)
{
    mqttseal_paho_will *w;
    int rc;

    if (in->topic == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    if ((w = calloc(1, sizeof *w)) == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    rc = seal_with(h, w, in);
    if (rc != MQTTSEAL_OK) {
        mqttseal_paho_will_free(w);
        return rc;
    }
    pthread_mutex_lock(&h->lock);
    w->h = h;
    w->next = h->wills;
    h->wills = w;
    pthread_mutex_unlock(&h->lock);
    *out = w;
    return MQTTSEAL_OK;
}

int ms_will_is_ours(mqttseal_paho *h, const void *data, int len)
{
    const mqttseal_paho_will *w;
    int found = 0;

    pthread_mutex_lock(&h->lock);
    for (w = h->wills; w != NULL && !found; w = w->next) {
        found = data == w->p && len >= 0 && (size_t)len == w->len;
    }
    pthread_mutex_unlock(&h->lock);
    return found;
}

void ms_will_detach_all(mqttseal_paho *h)
{
    pthread_mutex_lock(&h->lock);
    for (mqttseal_paho_will *w = h->wills; w != NULL; w = w->next) {
        w->h = NULL;
    }
    h->wills = NULL;
    pthread_mutex_unlock(&h->lock);
}

void mqttseal_paho_will_free(mqttseal_paho_will *will)
{
    mqttseal_paho *h;

    if (will == NULL) {
        return;
    }
    if ((h = will->h) != NULL) {
        pthread_mutex_lock(&h->lock);
        for (mqttseal_paho_will **pp = &h->wills; *pp != NULL;
             pp = &(*pp)->next) {
            if (*pp == will) {
                *pp = will->next;
                break;
            }
        }
        pthread_mutex_unlock(&h->lock);
    }
    free(will->p);
    free(will);
}

int ms_will_struct_ok(const char id[4], int version)
{
    return memcmp(id, "MQTW", 4) == 0 && version >= 0 && version <= 1;
}
