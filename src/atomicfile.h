/* Durable, atomic replacement of a file that holds secrets or state. */
#ifndef MQTTSEAL_ATOMICFILE_H
#define MQTTSEAL_ATOMICFILE_H

#include <stddef.h>

/**
 * Write buf to a temporary file next to path (mode 0600 from creation),
 * fsync it, rename it over path, and fsync the directory. On failure the
 * temporary file is removed and path is untouched.
 * @return MQTTSEAL_OK, MQTTSEAL_E_IO (errno says why), MQTTSEAL_E_NOMEM.
 */
int ms_write_atomic(const char *path, const void *buf, size_t len);

#endif
