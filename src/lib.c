/* Library set-up. sodium_init is idempotent and thread-safe itself. */
#include <sodium.h>

#include "forkgen.h"
#include "mqttseal/mqttseal.h"

int mqttseal_init(void)
{
    if (sodium_init() < 0) {
        return MQTTSEAL_E_CRYPTO;
    }
    return ms_forkgen_init();
}

const char *mqttseal_version(void)
{
    return MQTTSEAL_VERSION_STRING;
}
