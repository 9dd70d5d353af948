/*
 * Keyring files: read through textfile.c (guarded memory; another
 * user's file, or one group or others can access, is refused, as ssh
 * does), atomic mode-0600 writes. The text format is keyring_text.c.
 */
#include <string.h>

#include "atomicfile.h"
#include "keyring_internal.h"
#include "secure.h"
#include "textfile.h"

int mqttseal_keyring_load_file(mqttseal_keyring **out, const char *path,
                               mqttseal_diag *diag)
{
    char *buf = NULL;
    size_t cap = 0, got = 0;

    if (diag != NULL)
        memset(diag, 0, sizeof *diag);
    if (out == NULL || path == NULL)
        return ms_keyring_fail(diag, MQTTSEAL_E_INVALID, 0, "invalid argument");
    *out = NULL;
    /* Guarded memory: the text holds every key in base64. */
    int rc = ms_file_read(path, MS_FILE_KEYRING, &buf, &cap, &got, diag);
    if (rc == MQTTSEAL_OK)
        rc = mqttseal_keyring_load_string(out, buf, got, diag);
    ms_secure_free(buf, cap); /* wipes, NULL is fine */
    return rc;
}

int mqttseal_keyring_save_file(const mqttseal_keyring *kr, const char *path)
{
    size_t len = 0;

    if (kr == NULL || path == NULL || path[0] == '\0')
        return MQTTSEAL_E_INVALID;
    int rc = mqttseal_keyring_to_string(kr, NULL, 0, &len);
    if (rc != MQTTSEAL_E_BUFFER)
        return rc;
    char *text = ms_secure_alloc(len + 1);
    if (text == NULL)
        return MQTTSEAL_E_NOMEM;
    rc = mqttseal_keyring_to_string(kr, text, len + 1, &len);
    if (rc == MQTTSEAL_OK)
        rc = ms_write_atomic(path, text, len);
    ms_secure_free(text, len + 1);
    return rc;
}
