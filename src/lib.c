/* Library set-up. sodium_init is idempotent and thread-safe itself. */
#include <sodium.h>

#include "mqttseal/mqttseal.h"

int mqttseal_init(void)
{
    return sodium_init() < 0 ? MQTTSEAL_E_CRYPTO : MQTTSEAL_OK;
}

const char *mqttseal_version(void)
{
    return MQTTSEAL_VERSION_STRING;
}
