// mqttseal/redis.h on its own, as C++11 (tests/headers/meson.build).
#include "mqttseal/redis.h"

int main()
{
    mqttseal_redis *r = nullptr;
    mqttseal_redis_options o = {};
    mqttseal_redis_stats st;
    mqttseal_diag d;

    o.window = MQTTSEAL_REDIS_WINDOW_DEFAULT;
    int rc = mqttseal_redis_new(&r, &o, &d);
    mqttseal_redis_get_stats(r, &st);
    mqttseal_redis_free(r);
    return rc == MQTTSEAL_OK && st.checks == 0 &&
                   MQTTSEAL_REDIS_WINDOW_MAX >= MQTTSEAL_REDIS_WINDOW_DEFAULT
               ? 0
               : 1;
}
