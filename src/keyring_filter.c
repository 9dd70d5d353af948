/*
 * Lossless keyring introspection: the whole filter of an entry, of any
 * length (mqttseal_key_info.filter is cut at 255 bytes for display).
 */
#include <string.h>

#include "keyring_internal.h"

int mqttseal_keyring_entry_filter(const mqttseal_keyring *kr, size_t index,
                                  char *buf, size_t cap, size_t *len)
{
    const ms_entry *e;

    if (kr == NULL || index >= kr->count || (buf == NULL && cap > 0))
        return MQTTSEAL_E_INVALID;
    e = &kr->entries[index];
    if (len != NULL)
        *len = e->filter_len;
    if (cap <= e->filter_len) {
        if (cap > 0)
            buf[0] = '\0';
        return MQTTSEAL_E_BUFFER;
    }
    memcpy(buf, e->filter, e->filter_len);
    buf[e->filter_len] = '\0';
    return MQTTSEAL_OK;
}
