/* A context's signer and trust list: copied in, shared immutable with
 * the messages in flight, swapped under the context's lock. */
#include <sodium.h>
#include <stdlib.h>

#include "ctx.h"
#include "signer.h"
#include "trust.h"

ms_sigref *ms_sigref_ref(ms_sigref *r)
{
    if (r != NULL) {
        atomic_fetch_add(&r->refs, 1);
    }
    return r;
}

void ms_sigref_unref(ms_sigref *r)
{
    if (r != NULL && atomic_fetch_sub(&r->refs, 1) == 1) {
        mqttseal_signer_free(r->signer);
        mqttseal_trust_free(r->trust);
        free(r);
    }
}

void ms_snapshot_release(ms_snapshot *snap)
{
    ms_sigref_unref(snap->signer);
    ms_sigref_unref(snap->trust);
    snap->signer = snap->trust = NULL;
}

/* A reference holding a copy of s or of t (one of them non-NULL). */
static int sigref_new(ms_sigref **out, const mqttseal_signer *s,
                      const mqttseal_trust *t)
{
    ms_sigref *r = calloc(1, sizeof *r);
    int rc;

    if (r == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    rc =
        s != NULL ? ms_signer_copy(&r->signer, s) : ms_trust_copy(&r->trust, t);
    if (rc != MQTTSEAL_OK) {
        free(r);
        return rc;
    }
    atomic_init(&r->refs, 1);
    *out = r;
    return MQTTSEAL_OK;
}

/* Puts r in *slot under the lock and drops the old one outside it. */
static void swap(mqttseal_ctx *ctx, ms_sigref **slot, ms_sigref *r)
{
    ms_sigref *old;

    pthread_mutex_lock(&ctx->lock);
    old = *slot;
    *slot = r;
    pthread_mutex_unlock(&ctx->lock);
    ms_sigref_unref(old);
}

int mqttseal_ctx_set_signer(mqttseal_ctx *ctx, const mqttseal_signer *s)
{
    ms_sigref *r = NULL;
    int rc = ctx == NULL ? MQTTSEAL_E_INVALID : MQTTSEAL_OK;

    if (rc == MQTTSEAL_OK && s != NULL) {
        rc = sigref_new(&r, s, NULL);
    }
    if (rc == MQTTSEAL_OK) {
        swap(ctx, &ctx->signer, r);
    }
    return rc;
}

int mqttseal_ctx_set_trust(mqttseal_ctx *ctx, const mqttseal_trust *t)
{
    ms_sigref *r = NULL;
    int rc = ctx == NULL ? MQTTSEAL_E_INVALID : MQTTSEAL_OK;

    if (rc == MQTTSEAL_OK && t != NULL) {
        rc = sigref_new(&r, NULL, t);
    }
    if (rc == MQTTSEAL_OK) {
        swap(ctx, &ctx->trust, r);
    }
    return rc;
}

int mqttseal_ctx_signer_name(mqttseal_ctx *ctx,
                             const unsigned char id[MQTTSEAL_SIGNERIDBYTES],
                             char *buf, size_t cap)
{
    ms_sigref *r;
    int rc;

    if (ctx == NULL || id == NULL) {
        return MQTTSEAL_E_INVALID;
    }
    pthread_mutex_lock(&ctx->lock);
    r = ms_sigref_ref(ctx->trust);
    pthread_mutex_unlock(&ctx->lock);
    rc = r != NULL ? mqttseal_trust_name(r->trust, id, buf, cap)
                   : MQTTSEAL_E_SIGNER_UNKNOWN;
    ms_sigref_unref(r);
    return rc;
}

ms_sigref *ms_ctx_signer_ref(mqttseal_ctx *ctx)
{
    ms_sigref *r;

    pthread_mutex_lock(&ctx->lock);
    r = ms_sigref_ref(ctx->signer);
    pthread_mutex_unlock(&ctx->lock);
    return r;
}
