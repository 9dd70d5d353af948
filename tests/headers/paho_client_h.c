/* mqttseal/paho_client.h on its own, as C11 (tests/headers/meson.build). */
#include "mqttseal/paho_client.h"

int main(void)
{
    int rc = MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_AUTH);

    return MQTTSEAL_PAHO_ERR_CODE(rc) == MQTTSEAL_E_AUTH &&
                   mqttseal_paho_strerror(rc) != NULL
               ? 0
               : 1;
}
