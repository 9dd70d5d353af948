/*
 * A device keyring is only a claim: before rotate grants it new keys for
 * its filters, every key it holds must be the key its root derives for
 * that filter under that id. Otherwise editing a device file (widening
 * "site/cam/#" to "#") would earn the device the new root key.
 */
#include "cli.h"

#include <sodium.h>
#include <string.h>

/* One "key ID FILTER BASE64 [expires=...]" line of keyring text. */
struct key_line {
    uint32_t id;
    const char *filter, *b64;
};

/* Split line (NUL-terminated, changed in place); 0 if it is a key line. */
static int key_line_parse(char *line, struct key_line *k)
{
    char *save = NULL, *f[4];
    unsigned long long id;

    f[0] = strtok_r(line, " ", &save);
    for (int i = 1; i < 4; i++)
        f[i] = f[i - 1] != NULL ? strtok_r(NULL, " ", &save) : NULL;
    if (f[0] == NULL || strcmp(f[0], "key") != 0 || f[3] == NULL ||
        cli_parse_uint(f[1], UINT32_MAX, &id) != 0)
        return -1;
    k->id = (uint32_t)id;
    k->filter = f[2];
    k->b64 = f[3];
    return 0;
}

/* Whether key matches what root derives for (k->id, k->filter): 1 yes,
 * 0 no, or a negative mqttseal error when root cannot derive it. */
static int derives_same(const mqttseal_keyring *root, const struct key_line *k)
{
    mqttseal_keyring *one = NULL;
    struct key_line want;
    char *text = NULL, *line, *save = NULL;
    size_t len = 0;
    int rc = mqttseal_keyring_new(&one);

    if (rc == MQTTSEAL_OK)
        rc = mqttseal_keyring_grant(one, root, k->id, k->filter);
    if (rc == MQTTSEAL_OK && cli_keyring_text(one, &text, &len) != 0)
        rc = MQTTSEAL_E_NOMEM;
    mqttseal_keyring_free(one);
    if (rc != MQTTSEAL_OK)
        return -rc;
    rc = 0;
    for (line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (key_line_parse(line, &want) == 0) {
            rc = strlen(want.b64) == strlen(k->b64) &&
                 sodium_memcmp(want.b64, k->b64, strlen(k->b64)) == 0;
            break;
        }
    }
    cli_wipe_free(text, len + 1);
    return rc;
}

static int check_line(const mqttseal_keyring *root, const char *root_path,
                      const char *path, const struct key_line *k)
{
    int same = derives_same(root, k);

    if (same < 0)
        return cli_fail(CLI_FILE,
                        "cannot regenerate '%s': keyring '%s' cannot grant "
                        "'%s' under key id %u (%s); nothing was written",
                        path, root_path, k->filter, k->id,
                        mqttseal_strerror(-same));
    if (same == 0)
        return cli_fail(CLI_FILE,
                        "keyring '%s': the key of key id %u for '%s' is not "
                        "the key '%s' derives for that filter (edited or "
                        "from another root); refusing to regenerate it, "
                        "nothing was written (recreate it with mqttseal "
                        "grant)",
                        path, k->id, k->filter, root_path);
    return CLI_OK;
}

int cli_keyring_check_derived(const mqttseal_keyring *dev, const char *path,
                              const mqttseal_keyring *root,
                              const char *root_path)
{
    char *text = NULL, *line, *save = NULL;
    size_t len = 0;
    int rc = CLI_OK;
    struct key_line k;

    if (cli_keyring_text(dev, &text, &len) != 0)
        return cli_fail(CLI_FILE, "cannot serialise keyring '%s'", path);
    for (line = strtok_r(text, "\n", &save); line != NULL && rc == CLI_OK;
         line = strtok_r(NULL, "\n", &save)) {
        if (key_line_parse(line, &k) == 0)
            rc = check_line(root, root_path, path, &k);
    }
    cli_wipe_free(text, len + 1);
    return rc;
}
