/* Device keys (src/device.c) as the update code uses them. */
#ifndef MQTTSEAL_DEVICE_H
#define MQTTSEAL_DEVICE_H

#include <stddef.h>

#include "mqttseal/mqttseal.h"

/** The 8-byte device id, without copying it. */
const unsigned char *ms_device_id_ref(const mqttseal_device *d);

/** crypto_box_seal_open of c into m (c_len - 48 bytes).
 *  @return OK, E_AUTH. */
int ms_device_open(const mqttseal_device *d, unsigned char *m,
                   const unsigned char *c, size_t c_len);

#endif
