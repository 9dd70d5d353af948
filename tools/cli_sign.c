/* Signer-key and trust-list files as the CLI reads them, with one-line
 * errors; signer ids and public keys as text. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* 1 (after printing why) when path is absent or not a file. */
static int file_missing(const char *what, const char *path, const char *fix)
{
    struct stat st;
    int err;

    if (stat(path, &st) != 0)
        err = errno;
    else if (S_ISDIR(st.st_mode))
        err = EISDIR;
    else
        return 0;
    cli_fail(CLI_FILE, "cannot read %s '%s': %s (%s)", what, path,
             strerror(err), fix);
    return 1;
}

int cli_load_signer(const char *path, mqttseal_signer **out)
{
    mqttseal_diag d;
    char fix[512];
    int rc;

    *out = NULL;
    snprintf(fix, sizeof fix, "create one with: mqttseal signer-keygen %s",
             path);
    if (file_missing("signer key", path, fix))
        return CLI_FILE;
    memset(&d, 0, sizeof d);
    rc = mqttseal_signer_load_file(out, path, &d);
    if (rc == MQTTSEAL_OK)
        return CLI_OK;
    *out = NULL;
    if (rc == MQTTSEAL_E_KEYRING_PERMS)
        return cli_fail(CLI_FILE,
                        "signer key '%s' is readable or writable by group "
                        "or others; refusing to use it (run: chmod 600 %s)",
                        path, path);
    if (rc == MQTTSEAL_E_FILE_OWNER)
        return cli_fail(CLI_FILE,
                        "signer key '%s' belongs to another user; refusing "
                        "to use it",
                        path);
    if (d.line > 0)
        return cli_fail(CLI_FILE,
                        "signer key '%s' line %u: %s (recreate it with "
                        "mqttseal signer-keygen)",
                        path, d.line, cli_diag_text(&d, rc));
    return cli_fail(CLI_FILE, "cannot use signer key '%s': %s", path,
                    cli_diag_text(&d, rc));
}

int cli_load_trust(const char *path, mqttseal_trust **out)
{
    mqttseal_diag d;
    int rc;

    *out = NULL;
    if (file_missing("trust list", path, "create one with: mqttseal trust add"))
        return CLI_FILE;
    memset(&d, 0, sizeof d);
    rc = mqttseal_trust_load_file(out, path, &d);
    if (rc == MQTTSEAL_OK)
        return CLI_OK;
    *out = NULL;
    if (rc == MQTTSEAL_E_FILE_OWNER)
        return cli_fail(CLI_FILE,
                        "trust list '%s' is writable by group or others or "
                        "belongs to another user; refusing to use it (run: "
                        "chmod 644 %s)",
                        path, path);
    if (d.line > 0)
        return cli_fail(CLI_FILE,
                        "trust list '%s' line %u: %s (fix that line; see "
                        "mqttseal trust --help)",
                        path, d.line, cli_diag_text(&d, rc));
    return cli_fail(CLI_FILE, "cannot use trust list '%s': %s", path,
                    cli_diag_text(&d, rc));
}

void cli_signer_id_hex(const unsigned char id[MQTTSEAL_SIGNERIDBYTES],
                       char hex[2 * MQTTSEAL_SIGNERIDBYTES + 1])
{
    for (size_t i = 0; i < MQTTSEAL_SIGNERIDBYTES; i++)
        snprintf(hex + 2 * i, 3, "%02x", id[i]);
}

/* A base64 Ed25519 public key: exactly 32 bytes. */
static int pk_from_base64(const char *s, size_t n,
                          unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES])
{
    unsigned char buf[64];
    size_t len = 0;

    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    if (cli_unbase64(buf, n, &len) != 0 || len != MQTTSEAL_SIGN_PUBLICKEYBYTES)
        return -1;
    memcpy(pk, buf, len);
    return 0;
}

/* "signer <base64>" (the public export), with optional trailing space. */
static int pk_from_line(const char *text, size_t n,
                        unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES])
{
    while (n > 0 && strchr(" \t\r\n", text[n - 1]) != NULL)
        n--;
    if (n < 7 || strncmp(text, "signer ", 7) != 0)
        return -1;
    return pk_from_base64(text + 7, n - 7, pk);
}

int cli_parse_public_key(const char *arg,
                         unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES])
{
    unsigned char *buf = NULL;
    size_t len = 0;
    FILE *f;
    int rc;

    if (pk_from_base64(arg, strlen(arg), pk) == 0 ||
        pk_from_line(arg, strlen(arg), pk) == 0)
        return 0;
    if ((f = fopen(arg, "rb")) == NULL)
        return -1;
    rc = cli_read_all(f, 4096, &buf, &len);
    fclose(f);
    if (rc != 0)
        return -1;
    rc = pk_from_line((const char *)buf, len, pk);
    cli_wipe_free(buf, len); /* it may have been a secret key file */
    return rc;
}
