/*
 * Sealed peers for the broker suite: a keyring, a context, a hooks handle
 * and a client bundled together, plus a recorder that keeps every message
 * the application received and every rejection the hooks reported.
 */
#ifndef MQTTSEAL_TESTS_TB_PEER_H
#define MQTTSEAL_TESTS_TB_PEER_H

#include <pthread.h>
#include <stddef.h>

#include "tb_client.h"
#include "tb_plain.h"

#define TB_REC_MAX 4096

/* What one application saw. */
typedef struct tb_rec {
    pthread_mutex_t mu;
    tb_msg *msgs[TB_REC_MAX]; /* received, in order (copies) */
    size_t count;
    int reasons[TB_REC_MAX]; /* rejection reasons, in order */
    int reject_dup[TB_REC_MAX];
    char *reject_topics[TB_REC_MAX];
    size_t rejected;
} tb_rec;

void tb_rec_init(tb_rec *r);
void tb_rec_free(tb_rec *r);
tb_on_msg tb_rec_on_msg;
mqttseal_paho_reject_cb tb_rec_on_reject;
/* Wait until count (or rejected, with rejections = 1) reaches n. */
size_t tb_rec_wait(tb_rec *r, size_t n, int rejections, int timeout_ms);

typedef struct tb_peer {
    mqttseal_ctx *ctx;
    mqttseal_paho *hooks;
    tb_client client;
} tb_peer;

/*
 * A sealed client over a context made from kr, recording into rec (may
 * be NULL). opts gives uri, async, mqtt5 and the rest; client_id, hooks,
 * on_msg and app are filled in here. Returns 0 or an error code.
 */
int tb_peer_open(tb_peer *p, const mqttseal_keyring *kr, tb_rec *rec,
                 const tb_client_opts *opts, const char *name);

void tb_peer_close(tb_peer *p);

#endif /* MQTTSEAL_TESTS_TB_PEER_H */
