// mqttseal.h on its own, as C++11 (tests/headers/meson.build): the
// declarations have C linkage and the macros are valid C++.
#include "mqttseal/mqttseal.h"

int main()
{
    mqttseal_header h = mqttseal_header();
    mqttseal_diag d = mqttseal_diag();

    h.payload_len = MQTTSEAL_OPENED_BYTES(MQTTSEAL_SEALED_BYTES(1));
    d.line = 0;
    return mqttseal_keybytes() == MQTTSEAL_KEYBYTES && h.payload_len >= 1 &&
                   mqttseal_strerror(MQTTSEAL_OK) != nullptr && d.line == 0
               ? 0
               : 1;
}
