// mqttseal/paho_client.h on its own, as C++11 (tests/headers/meson.build).
#include "mqttseal/paho_client.h"

int main()
{
    int rc = MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_AUTH);

    return MQTTSEAL_PAHO_ERR_CODE(rc) == MQTTSEAL_E_AUTH &&
                   mqttseal_paho_strerror(rc) != nullptr
               ? 0
               : 1;
}
