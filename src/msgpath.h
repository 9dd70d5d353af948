/* Helpers shared by the message path (seal.c and open.c). */
#ifndef MQTTSEAL_MSGPATH_H
#define MQTTSEAL_MSGPATH_H

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "envelope.h"

/* Associated data lives on the caller's stack when it fits. */
typedef struct ad_buf {
    unsigned char stack[MS_AD_STACK];
    unsigned char *p;
    size_t len;
} ad_buf;

/** Build the associated data of header and topic. @return OK, E_NOMEM. */
int ms_ad_make(ad_buf *ad, const unsigned char *header, size_t hlen,
               const char *topic, size_t topic_len);

/** Free what ms_ad_make allocated. */
void ms_ad_done(ad_buf *ad);

/** 1 unless expires (Unix seconds, 0 = never) has passed; reads the clock
 *  into *now_ms when it is 0. */
int ms_key_usable(int64_t expires, uint64_t *now_ms);

/** E_TOPIC_DEPTH when topic has more levels than ctx allows, else OK. */
int ms_check_levels(mqttseal_ctx *ctx, const char *topic, size_t tlen);

#endif
