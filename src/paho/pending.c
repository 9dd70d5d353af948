/*
 * Messages the application refused by returning 0. Paho keeps such a
 * message at the head of its client's queue and calls messageArrived
 * again with the same object, whose payload now holds the plaintext
 * opened in place. Reopening it would fail, so the plaintext is
 * recognised instead: same client, same message object, same payload
 * buffer and length, and the same BLAKE2b digest of topic and plaintext.
 *
 * Paho offers nothing else of that client before the refused message
 * (both APIs queue later messages behind it), so the next arrival from
 * the client either is the refused message or proves that Paho dropped
 * it (a clean session, a destroyed client). Either way the client's slots
 * are cleared then: a later message that happens to reuse the freed
 * buffers and to carry that plaintext unsealed is opened like any other,
 * and rejected. A few slots suffice; when they are full the oldest is
 * forgotten (its redelivery is then rejected, never passed on unchecked).
 */
#include <sodium.h>
#include <string.h>

#include "hooks.h"

int ms_pending_init(pending *p)
{
    memset(p->slot, 0, sizeof p->slot);
    p->next = 0;
    atomic_init(&p->used, 0);
    return pthread_mutex_init(&p->lock, NULL) != 0 ? -1 : 0;
}

void ms_pending_destroy(pending *p)
{
    pthread_mutex_destroy(&p->lock);
}

static void digest(unsigned char out[PENDING_DIGEST], const arrival *a, int len)
{
    crypto_generichash_state st;
    unsigned char tl[8];
    uint64_t n = a->topic_len;

    for (size_t i = 0; i < sizeof tl; i++) {
        tl[i] = (unsigned char)(n >> (8 * i));
    }
    crypto_generichash_init(&st, NULL, 0, PENDING_DIGEST);
    crypto_generichash_update(&st, tl, sizeof tl);
    crypto_generichash_update(&st, (const unsigned char *)a->topic,
                              a->topic_len);
    crypto_generichash_update(&st, a->payload, (size_t)len);
    crypto_generichash_final(&st, out, PENDING_DIGEST);
}

static int same_client(const pending_slot *s, const arrival *a)
{
    return s->msg != NULL && s->client == a->client && s->kind == a->kind;
}

static int slot_matches(const pending_slot *s, const arrival *a)
{
    unsigned char d[PENDING_DIGEST];

    if (s->msg != a->msg || s->payload != a->payload ||
        s->len != *a->payloadlen) {
        return 0;
    }
    digest(d, a, s->len);
    return sodium_memcmp(d, s->digest, PENDING_DIGEST) == 0;
}

/*
 * 1 when a is a message recorded by ms_pending_put. Every slot of a's
 * client is forgotten, whether it matched or not (see above).
 */
int ms_pending_take(pending *p, const arrival *a, origin *org)
{
    int found = 0;

    if (atomic_load(&p->used) == 0) {
        return 0;
    }
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < PENDING_SLOTS; i++) {
        pending_slot *s = &p->slot[i];

        if (!same_client(s, a)) {
            continue;
        }
        if (slot_matches(s, a)) {
            *org = s->org;
            found = 1;
        }
        memset(s, 0, sizeof *s);
        atomic_fetch_sub(&p->used, 1);
    }
    pthread_mutex_unlock(&p->lock);
    return found;
}

void ms_pending_put(pending *p, const arrival *a, const origin *org)
{
    pending_slot *s = NULL;

    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < PENDING_SLOTS && s == NULL; i++) {
        if (p->slot[i].msg == NULL) {
            s = &p->slot[i];
            atomic_fetch_add(&p->used, 1);
        }
    }
    if (s == NULL) { /* full: forget the oldest-placed slot */
        s = &p->slot[p->next];
        p->next = (p->next + 1) % PENDING_SLOTS;
    }
    s->client = a->client;
    s->kind = a->kind;
    s->org = *org;
    s->msg = a->msg;
    s->payload = a->payload;
    s->len = *a->payloadlen;
    digest(s->digest, a, s->len);
    pthread_mutex_unlock(&p->lock);
}
