/* Minimal unsigned LEB128 (docs/FORMAT.md, "Varints"). */
#ifndef MQTTSEAL_VARINT_H
#define MQTTSEAL_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define MS_VARINT_MAX 10U

/** Bytes needed to encode v (1..10). */
size_t ms_varint_len(uint64_t v);

/** Encode v at out (room for ms_varint_len(v) bytes); returns bytes. */
size_t ms_varint_put(unsigned char *out, uint64_t v);

/**
 * Decode one varint from in[0..len). Rejects non-minimal encodings and
 * values above max. *used receives the bytes consumed.
 * @return MQTTSEAL_OK, MQTTSEAL_E_TRUNCATED, MQTTSEAL_E_VARINT
 *         (non-minimal, or above max), MQTTSEAL_E_OVERSIZE never.
 */
int ms_varint_get(uint64_t *v, const unsigned char *in, size_t len,
                  size_t *used, uint64_t max);

#endif
