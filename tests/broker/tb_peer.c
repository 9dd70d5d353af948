/* Sealed peers and recorders for the broker suite; see tb_peer.h. */
#include "tb_peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb.h"

void tb_rec_init(tb_rec *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
}

void tb_rec_free(tb_rec *r)
{
    for (size_t i = 0; i < r->count; i++) {
        free(r->msgs[i]->topic);
        free(r->msgs[i]->payload);
        free(r->msgs[i]);
    }
    for (size_t i = 0; i < r->rejected; i++)
        free(r->reject_topics[i]);
    pthread_mutex_destroy(&r->mu);
}

static char *copy(const void *p, size_t len)
{
    char *c = malloc(len + 1);

    if (c != NULL) {
        if (len > 0)
            memcpy(c, p, len);
        c[len] = '\0';
    }
    return c;
}

void tb_rec_on_msg(void *app, const char *topic, size_t topic_len,
                   const unsigned char *payload, size_t len, int retained,
                   int dup)
{
    tb_rec *r = app;
    tb_msg *m = calloc(1, sizeof *m);

    if (m == NULL)
        abort();
    m->topic = copy(topic, topic_len);
    m->payload = (unsigned char *)copy(payload, len);
    m->len = len;
    m->retained = retained;
    m->dup = dup;
    pthread_mutex_lock(&r->mu);
    if (r->count < TB_REC_MAX) {
        r->msgs[r->count++] = m;
        m = NULL;
    }
    pthread_mutex_unlock(&r->mu);
    if (m != NULL) {
        free(m->topic);
        free(m->payload);
        free(m);
    }
}

void tb_rec_on_reject(void *context, const mqttseal_paho_rejection *rj)
{
    tb_rec *r = context;

    pthread_mutex_lock(&r->mu);
    if (r->rejected < TB_REC_MAX) {
        r->reasons[r->rejected] = rj->reason;
        r->reject_dup[r->rejected] = rj->dup;
        r->reject_topics[r->rejected] = copy(rj->topic, rj->topic_len);
        r->rejected++;
    }
    pthread_mutex_unlock(&r->mu);
}

size_t tb_rec_wait(tb_rec *r, size_t n, int rejections, int timeout_ms)
{
    int64_t end = tb_now_ms() + timeout_ms;
    size_t seen;

    for (;;) {
        pthread_mutex_lock(&r->mu);
        seen = rejections ? r->rejected : r->count;
        pthread_mutex_unlock(&r->mu);
        if (seen >= n || tb_now_ms() >= end)
            return seen;
        tb_sleep_ms(5);
    }
}

int tb_peer_open(tb_peer *p, const mqttseal_keyring *kr, tb_rec *rec,
                 const tb_client_opts *opts, const char *name)
{
    tb_client_opts o = *opts;
    char id[96];
    int rc;

    memset(p, 0, sizeof *p);
    p->ctx = tb_ctx(kr);
    rc = mqttseal_paho_new(&p->hooks, p->ctx);
    if (rc != MQTTSEAL_OK)
        return MQTTSEAL_PAHO_ERROR(rc);
    if (rec != NULL) {
        rc = mqttseal_paho_set_reject_callback(p->hooks, tb_rec_on_reject, rec);
        if (rc != MQTTSEAL_OK)
            return MQTTSEAL_PAHO_ERROR(rc);
        o.on_msg = tb_rec_on_msg;
        o.app = rec;
    }
    tb_client_id(id, sizeof id, name);
    o.client_id = id;
    o.hooks = p->hooks;
    return tb_client_connect(&p->client, &o);
}

void tb_peer_close(tb_peer *p)
{
    tb_client_close(&p->client);
    mqttseal_paho_free(p->hooks);
    mqttseal_ctx_free(p->ctx);
    memset(p, 0, sizeof *p);
}
