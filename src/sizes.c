/* Functions mirroring the size macros, for bindings. */
#include "mqttseal/mqttseal.h"

size_t mqttseal_keybytes(void)
{
    return MQTTSEAL_KEYBYTES;
}

size_t mqttseal_sessionidbytes(void)
{
    return MQTTSEAL_SESSIONIDBYTES;
}

size_t mqttseal_abytes(void)
{
    return MQTTSEAL_ABYTES;
}

size_t mqttseal_overhead_min(void)
{
    return MQTTSEAL_OVERHEAD_MIN;
}

size_t mqttseal_overhead_max(void)
{
    return MQTTSEAL_OVERHEAD_MAX;
}

size_t mqttseal_plaintext_max(void)
{
    return MQTTSEAL_PLAINTEXT_MAX;
}

size_t mqttseal_sealed_bytes(size_t plaintext_len)
{
    return MQTTSEAL_SEALED_BYTES(plaintext_len);
}

size_t mqttseal_opened_bytes(size_t envelope_len)
{
    return MQTTSEAL_OPENED_BYTES(envelope_len);
}

size_t mqttseal_signeridbytes(void)
{
    return MQTTSEAL_SIGNERIDBYTES;
}

size_t mqttseal_signbytes(void)
{
    return MQTTSEAL_SIGNBYTES;
}

size_t mqttseal_sign_publickeybytes(void)
{
    return MQTTSEAL_SIGN_PUBLICKEYBYTES;
}

size_t mqttseal_sign_seedbytes(void)
{
    return MQTTSEAL_SIGN_SEEDBYTES;
}

size_t mqttseal_signed_overhead(void)
{
    return MQTTSEAL_SIGNED_OVERHEAD;
}

size_t mqttseal_update_overhead(void)
{
    return MQTTSEAL_UPDATE_OVERHEAD;
}

size_t mqttseal_deviceidbytes(void)
{
    return MQTTSEAL_DEVICEIDBYTES;
}
