/* Minimal unsigned LEB128, as docs/FORMAT.md section 1 defines it. */
#include "varint.h"

#include "mqttseal/mqttseal.h"

size_t ms_varint_len(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80U) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t ms_varint_put(unsigned char *out, uint64_t v)
{
    size_t n = 0;

    while (v >= 0x80U) {
        out[n++] = (unsigned char)(v | 0x80U);
        v >>= 7;
    }
    out[n++] = (unsigned char)v;
    return n;
}

int ms_varint_get(uint64_t *v, const unsigned char *in, size_t len,
                  size_t *used, uint64_t max)
{
    uint64_t acc = 0;
    size_t i;

    for (i = 0; i < MS_VARINT_MAX; i++) {
        uint64_t group;

        if (i == len) {
            return MQTTSEAL_E_TRUNCATED;
        }
        group = in[i] & 0x7FU;
        /* The tenth byte may only carry the top bit of a 64-bit value. */
        if (i == MS_VARINT_MAX - 1 && group > 1U) {
            return MQTTSEAL_E_VARINT;
        }
        acc |= group << (7 * i);
        if ((in[i] & 0x80U) == 0) {
            /* A zero last byte after the first means a longer encoding
             * than needed: reject so every value has one encoding. */
            if (i > 0 && in[i] == 0) {
                return MQTTSEAL_E_VARINT;
            }
            if (acc > max) {
                return MQTTSEAL_E_VARINT;
            }
            *v = acc;
            *used = i + 1;
            return MQTTSEAL_OK;
        }
    }
    return MQTTSEAL_E_VARINT;
}
