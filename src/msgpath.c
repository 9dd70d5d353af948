/* What seal.c and open.c share on the message path: the associated data
 * buffer, the key expiry check and the topic level limit. */
#include "msgpath.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"

int ms_ad_make(ad_buf *ad, const unsigned char *header, size_t hlen,
               const char *topic, size_t topic_len)
{
    ad->len = ms_ad_len(hlen, topic_len);
    ad->p = ad->len <= sizeof ad->stack ? ad->stack : malloc(ad->len);
    if (ad->p == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    ms_ad_build(ad->p, header, hlen, topic, topic_len);
    return MQTTSEAL_OK;
}

void ms_ad_done(ad_buf *ad)
{
    if (ad->p != ad->stack) {
        free(ad->p);
    }
}

int ms_key_usable(int64_t expires, uint64_t *now_ms)
{
    if (expires == 0) {
        return 1;
    }
    if (*now_ms == 0) {
        *now_ms = ms_clock_now_ms();
    }
    return (int64_t)(*now_ms / 1000U) < expires;
}

/* More levels than the context allows: refused before any derivation,
 * so an unauthenticated message cannot make us derive 32,766 keys. */
int ms_check_levels(mqttseal_ctx *ctx, const char *topic, size_t tlen)
{
    unsigned max = atomic_load_explicit(&ctx->max_levels, memory_order_relaxed);
    unsigned levels = 1;
    const char *p = topic, *end = topic + tlen;

    if (tlen < max) {
        return MQTTSEAL_OK; /* tlen bytes hold at most tlen + 1 levels */
    }
    while ((p = memchr(p, '/', (size_t)(end - p))) != NULL) {
        if (++levels > max) {
            return MQTTSEAL_E_TOPIC_DEPTH;
        }
        p++;
    }
    return MQTTSEAL_OK;
}
