/* mqttseal/redis.h on its own, as C11 (tests/headers/meson.build). */
#include "mqttseal/redis.h"

int main(void)
{
    mqttseal_redis *r = NULL;
    mqttseal_redis_options o = {0};
    mqttseal_redis_stats st;
    mqttseal_diag d;
    int rc;

    o.window = MQTTSEAL_REDIS_WINDOW_DEFAULT;
    rc = mqttseal_redis_new(&r, &o, &d);
    mqttseal_redis_get_stats(r, &st);
    mqttseal_redis_free(r);
    return rc == MQTTSEAL_OK && st.checks == 0 &&
                   MQTTSEAL_REDIS_WINDOW_MAX >= MQTTSEAL_REDIS_WINDOW_DEFAULT
               ? 0
               : 1;
}
