/* Replay-state files as the CLI loads and saves them, with one-line errors. */
#include "cli.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static int load_error(const char *path, int rc, int err)
{
    switch (rc) {
    case MQTTSEAL_E_FILE_OWNER:
        return cli_fail(CLI_FILE,
                        "replay state '%s' is owned by another user or "
                        "writable by group or others; refusing to trust it "
                        "(chown it to this user and chmod 600 it)",
                        path);
    case MQTTSEAL_E_STATE_CORRUPT:
        return cli_fail(CLI_FILE,
                        "replay state '%s' is corrupt, truncated or not "
                        "saved with this keyring; refusing to start (move it "
                        "away to start afresh: messages accepted before "
                        "could then be replayed once)",
                        path);
    case MQTTSEAL_E_IO:
        return cli_fail(CLI_FILE,
                        "cannot read replay state '%s': %s (check the path "
                        "and its permissions)",
                        path, err != 0 ? strerror(err) : "I/O error");
    default:
        return cli_fail(CLI_FILE, "cannot load replay state '%s': %s", path,
                        mqttseal_strerror(rc));
    }
}

int cli_state_load(mqttseal_ctx *ctx, const char *path, int *fresh)
{
    struct stat st;
    int rc;

    *fresh = 0;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) { /* the first run: nothing to load */
            *fresh = 1;
            return CLI_OK;
        }
        return load_error(path, MQTTSEAL_E_IO, errno);
    }
    if (S_ISDIR(st.st_mode))
        return cli_fail(CLI_FILE,
                        "replay state '%s' is a directory (give a file "
                        "name; it is created on the first run)",
                        path);
    errno = 0;
    rc = mqttseal_ctx_load_replay(ctx, path);
    if (rc != MQTTSEAL_OK)
        return load_error(path, rc, errno);
    return CLI_OK;
}

int cli_state_save(mqttseal_ctx *ctx, const char *path, const char *cmd)
{
    int rc;

    errno = 0;
    rc = mqttseal_ctx_save_replay(ctx, path);
    if (rc == MQTTSEAL_OK)
        return CLI_OK;
    if (rc == MQTTSEAL_E_IO && errno != 0)
        return cli_fail(CLI_FILE,
                        "%s: cannot save replay state to '%s': %s (check "
                        "the directory exists and is writable)",
                        cmd, path, strerror(errno));
    return cli_fail(CLI_FILE, "%s: cannot save replay state to '%s': %s", cmd,
                    path, mqttseal_strerror(rc));
}
