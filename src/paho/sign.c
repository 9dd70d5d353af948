/*
 * Signatures through the hooks, for both APIs: the handle's signer and
 * trust list (on its context, which seals wills too), and who signed the
 * message being delivered.
 */
#include <stdio.h>
#include <string.h>

#include "hooks.h"

/* The delivery in progress on this thread: set around the app's call. */
static _Thread_local const mqttseal_paho *cur_h;
static _Thread_local origin cur_org;

void ms_origin_enter(const mqttseal_paho *h, const origin *org)
{
    cur_h = h;
    cur_org = *org;
}

void ms_origin_leave(void)
{
    cur_h = NULL;
    memset(&cur_org, 0, sizeof cur_org);
}

int mqttseal_paho_message_origin(const mqttseal_paho *h,
                                 mqttseal_paho_origin *out)
{
    if (out == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    memset(out, 0, sizeof *out);
    if (h == NULL || cur_h != h) {
        return MQTTSEAL_E_INVALID;
    }
    if (cur_org.is_signed) {
        out->is_signed = 1;
        memcpy(out->signer_id, cur_org.id, sizeof out->signer_id);
        if (mqttseal_ctx_signer_name(h->ctx, cur_org.id, out->signer_name,
                                     sizeof out->signer_name) != MQTTSEAL_OK) {
            out->signer_name[0] = '\0'; /* the trust list changed since */
        }
    }
    return MQTTSEAL_OK;
}

int mqttseal_paho_set_signer(mqttseal_paho *h, const mqttseal_signer *s)
{
    if (h == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    return mqttseal_ctx_set_signer(h->ctx, s);
}

int mqttseal_paho_set_trust(mqttseal_paho *h, const mqttseal_trust *t)
{
    if (h == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    return mqttseal_ctx_set_trust(h->ctx, t);
}

static void diag_file(mqttseal_diag *diag, int rc, const char *path)
{
    if (diag == NULL || diag->message[0] != '\0') {
        return;
    }
    diag->line = 0;
    snprintf(diag->message, sizeof diag->message, "%s: %s",
             path != NULL ? path : "(no path)", mqttseal_strerror(rc));
}

int mqttseal_paho_load_signer(mqttseal_paho *h, const char *path,
                              mqttseal_diag *diag)
{
    mqttseal_signer *s = NULL;
    int rc;

    if (diag != NULL) {
        memset(diag, 0, sizeof *diag);
    }
    rc = h == NULL || path == NULL ? MQTTSEAL_E_INVALID
                                   : mqttseal_signer_load_file(&s, path, diag);
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_paho_set_signer(h, s);
    }
    mqttseal_signer_free(s);
    if (rc != MQTTSEAL_OK) {
        diag_file(diag, rc, path);
    }
    return rc;
}

int mqttseal_paho_load_trust(mqttseal_paho *h, const char *path,
                             mqttseal_diag *diag)
{
    mqttseal_trust *t = NULL;
    int rc;

    if (diag != NULL) {
        memset(diag, 0, sizeof *diag);
    }
    rc = h == NULL || path == NULL ? MQTTSEAL_E_INVALID
                                   : mqttseal_trust_load_file(&t, path, diag);
    if (rc == MQTTSEAL_OK) {
        rc = mqttseal_paho_set_trust(h, t);
    }
    mqttseal_trust_free(t);
    if (rc != MQTTSEAL_OK) {
        diag_file(diag, rc, path);
    }
    return rc;
}
