/* The hooks handle: life cycle, options, rejection callback, counters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks.h"

static int handle_alloc(mqttseal_paho **out)
{
    mqttseal_paho *h = calloc(1, sizeof *h);

    *out = NULL;
    if (h == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    if (pthread_mutex_init(&h->lock, NULL) != 0) {
        free(h);
        return MQTTSEAL_E_NOMEM;
    }
    if (ms_pending_init(&h->pend) != 0) {
        pthread_mutex_destroy(&h->lock);
        free(h);
        return MQTTSEAL_E_NOMEM;
    }
    atomic_init(&h->options, 0U);
    atomic_init(&h->delivered, 0U);
    for (size_t i = 0; i < REASON_SLOTS; i++) {
        atomic_init(&h->rejected[i], 0U);
    }
    *out = h;
    return MQTTSEAL_OK;
}

int mqttseal_paho_new(mqttseal_paho **out, mqttseal_ctx *ctx)
{
    int rc;

    if (out == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    *out = NULL;
    if (ctx == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    rc = handle_alloc(out);
    if (rc == MQTTSEAL_OK) {
        (*out)->ctx = ctx;
    }
    return rc;
}

static void diag_error(mqttseal_diag *diag, int rc, const char *path)
{
    if (diag == NULL || diag->message[0] != '\0') {
        return;
    }
    diag->line = 0;
    snprintf(diag->message, sizeof diag->message, "%s: %s",
             path != NULL ? path : "(no keyring path)", mqttseal_strerror(rc));
}

int mqttseal_paho_from_file(mqttseal_paho **out, const char *keyring_path,
                            mqttseal_diag *diag)
{
    mqttseal_paho *h = NULL;
    int rc;

    if (diag != NULL) {
        memset(diag, 0, sizeof *diag);
    }
    if (out == NULL) {
        diag_error(diag, MQTTSEAL_E_INVALID, keyring_path);
        return MQTTSEAL_E_INVALID;
    }
    *out = NULL;
    /* Keyring files are read into guarded memory: libsodium must be up. */
    rc = mqttseal_init();
    if (rc == MQTTSEAL_OK) {
        rc = handle_alloc(&h);
    }
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_ctx_from_file(&h->ctx, keyring_path, diag);
        h->owns_ctx = h->ctx != NULL;
    }
    if (rc != MQTTSEAL_OK) {
        diag_error(diag, rc, keyring_path);
        mqttseal_paho_free(h);
        return rc;
    }
    *out = h;
    return MQTTSEAL_OK;
}

mqttseal_paho *mqttseal_paho_load(const char *keyring_path, mqttseal_diag *diag)
{
    mqttseal_paho *h = NULL;

    return mqttseal_paho_from_file(&h, keyring_path, diag) == MQTTSEAL_OK
               ? h
               : NULL;
}

void mqttseal_paho_free(mqttseal_paho *h)
{
    binding *b, *next;

    if (h == NULL) {
        return;
    }
    for (b = h->bindings; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    if (h->owns_ctx) {
        mqttseal_ctx_free(h->ctx);
    }
    ms_will_detach_all(h);
    ms_pending_destroy(&h->pend);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

mqttseal_ctx *mqttseal_paho_ctx(const mqttseal_paho *h)
{
    return h != NULL ? h->ctx : NULL;
}

#define OPTS_KNOWN                                                             \
    (MQTTSEAL_PAHO_OPT_CONTENT_TYPE | MQTTSEAL_PAHO_OPT_WILL_TIMESTAMP)

int mqttseal_paho_set_options(mqttseal_paho *h, unsigned options)
{
    if (h == NULL || (options & ~OPTS_KNOWN) != 0) {
        return MQTTSEAL_E_INVALID;
    }
    atomic_store(&h->options, options);
    return MQTTSEAL_OK;
}

int mqttseal_paho_use_fleet_defaults(mqttseal_paho *h)
{
    int rc;

    if (h == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    if ((rc = mqttseal_ctx_use_fleet_defaults(h->ctx)) != MQTTSEAL_OK) {
        return rc;
    }
    /* Wills, sealed in one-off sessions, are stamped too. */
    atomic_fetch_or(&h->options, MQTTSEAL_PAHO_OPT_WILL_TIMESTAMP);
    return MQTTSEAL_OK;
}

int mqttseal_paho_set_freshness(mqttseal_paho *h, uint64_t max_age_ms,
                                uint64_t skew_ms, uint64_t retained_max_age_ms)
{
    if (h == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    return mqttseal_ctx_set_freshness(h->ctx, max_age_ms, skew_ms,
                                      retained_max_age_ms);
}

int mqttseal_paho_set_reject_callback(mqttseal_paho *h,
                                      mqttseal_paho_reject_cb *cb,
                                      void *context)
{
    if (h == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    pthread_mutex_lock(&h->lock);
    h->reject = cb;
    h->reject_ctx = context;
    pthread_mutex_unlock(&h->lock);
    return MQTTSEAL_OK;
}

static int reason_slot(int reason)
{
    if (reason == MQTTSEAL_PAHO_DUPLICATE) {
        return REASON_DUP_SLOT;
    }
    if (reason <= 0) {
        return -1;
    }
    return reason < REASON_OTHER ? reason : REASON_OTHER;
}

uint64_t mqttseal_paho_rejected(const mqttseal_paho *h, int reason)
{
    int slot;

    if (h == NULL) {
        return 0;
    }
    if (reason == MQTTSEAL_PAHO_ALL_REASONS) {
        uint64_t sum = 0;
        for (size_t i = 1; i < REASON_SLOTS; i++) {
            sum += atomic_load_explicit(&h->rejected[i], memory_order_relaxed);
        }
        return sum;
    }
    slot = reason_slot(reason);
    if (slot < 0) {
        return 0;
    }
    return atomic_load_explicit(&h->rejected[slot], memory_order_relaxed);
}

uint64_t mqttseal_paho_delivered(const mqttseal_paho *h)
{
    if (h == NULL) {
        return 0;
    }
    return atomic_load_explicit(&h->delivered, memory_order_relaxed);
}

void ms_paho_reject(mqttseal_paho *h, const arrival *a, int reason)
{
    mqttseal_paho_rejection r;
    mqttseal_paho_reject_cb *cb;
    void *cb_ctx;
    int slot = reason_slot(reason);

    if (slot >= 0) {
        atomic_fetch_add_explicit(&h->rejected[slot], 1U, memory_order_relaxed);
    }
    pthread_mutex_lock(&h->lock);
    cb = h->reject;
    cb_ctx = h->reject_ctx;
    pthread_mutex_unlock(&h->lock);
    if (cb == NULL) {
        return;
    }
    r.topic = a->topic != NULL ? a->topic : "";
    r.topic_len = a->topic != NULL ? a->topic_len : 0;
    r.reason = reason;
    r.qos = a->qos;
    r.retained = a->retained;
    r.dup = a->dup;
    cb(cb_ctx, &r);
}

const char *mqttseal_paho_strerror(int code)
{
    const char *text;

    if (MQTTSEAL_PAHO_IS_ERROR(code)) {
        return mqttseal_strerror(MQTTSEAL_PAHO_ERR_CODE(code));
    }
    if (code == MQTTSEAL_PAHO_DUPLICATE) {
        return "duplicate: a QoS 1 redelivery (DUP set) of a message "
               "already delivered";
    }
    if (code > 0) {
        return mqttseal_strerror(code);
    }
    if (code == 0) {
        return "success";
    }
    text = ms_paho_api_strerror(code);
    return text != NULL ? text : "unknown Paho error";
}
