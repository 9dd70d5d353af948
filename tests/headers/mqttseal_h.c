/* mqttseal.h on its own, as C11 (tests/headers/meson.build). */
#include "mqttseal/mqttseal.h"

int main(void)
{
    mqttseal_header h = {0};

    h.payload_len = MQTTSEAL_OPENED_BYTES(MQTTSEAL_SEALED_BYTES(1));
    return mqttseal_keybytes() == MQTTSEAL_KEYBYTES && h.payload_len >= 1 ? 0
                                                                          : 1;
}
