/* Keyring files as the CLI reads and writes them, with one-line errors. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *cli_diag_text(const mqttseal_diag *d, int rc)
{
    char prefix[32];
    size_t n;

    if (d->message[0] == '\0')
        return mqttseal_strerror(rc);
    n = (size_t)snprintf(prefix, sizeof prefix, "line %u: ", d->line);
    return strncmp(d->message, prefix, n) == 0 ? d->message + n : d->message;
}

static int load_error(const char *path, int rc, const mqttseal_diag *d)
{
    switch (rc) {
    case MQTTSEAL_E_KEYRING_PERMS:
        return cli_fail(CLI_FILE,
                        "keyring '%s' is readable or writable by group or "
                        "others; refusing to use it (run: chmod 600 %s)",
                        path, path);
    case MQTTSEAL_E_IO:
        return cli_fail(CLI_FILE,
                        "cannot read keyring '%s': %s (check the "
                        "path and its permissions)",
                        path, d->message[0] ? d->message : "I/O error");
    case MQTTSEAL_E_NOMEM:
    case MQTTSEAL_E_CRYPTO:
        return cli_fail(CLI_FILE, "cannot load keyring '%s': %s", path,
                        mqttseal_strerror(rc));
    default:
        break;
    }
    if (d->line > 0)
        return cli_fail(CLI_FILE,
                        "keyring '%s' line %u: %s (fix that line, or "
                        "recreate the file with mqttseal keygen/grant)",
                        path, d->line, cli_diag_text(d, rc));
    return cli_fail(CLI_FILE,
                    "keyring '%s' is not usable: %s (recreate it with "
                    "mqttseal keygen/grant)",
                    path, d->message[0] ? d->message : mqttseal_strerror(rc));
}

int cli_load_keyring(const char *path, mqttseal_keyring **out)
{
    mqttseal_diag diag;
    struct stat st;
    int rc;

    *out = NULL;
    /* Ask the file system first, so the message carries the real cause. */
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return cli_fail(CLI_FILE,
                            "cannot read keyring '%s': %s (create one with: "
                            "mqttseal keygen %s)",
                            path, strerror(errno), path);
        return cli_fail(CLI_FILE,
                        "cannot read keyring '%s': %s (check the path and "
                        "its permissions)",
                        path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return cli_fail(CLI_FILE,
                        "cannot read keyring '%s': %s (give the "
                        "keyring file, not its directory)",
                        path, strerror(EISDIR));
    memset(&diag, 0, sizeof diag);
    rc = mqttseal_keyring_load_file(out, path, &diag);
    if (rc != MQTTSEAL_OK) {
        *out = NULL;
        return load_error(path, rc, &diag);
    }
    return CLI_OK;
}

int cli_load_ctx(const char *path, mqttseal_ctx **out)
{
    mqttseal_keyring *kr = NULL;
    int rc = cli_load_keyring(path, &kr);

    *out = NULL;
    if (rc != CLI_OK)
        return rc;
    rc = mqttseal_ctx_new(out, kr);
    mqttseal_keyring_free(kr);
    if (rc != MQTTSEAL_OK) {
        *out = NULL;
        return cli_fail(CLI_FILE, "cannot use keyring '%s': %s", path,
                        mqttseal_strerror(rc));
    }
    return CLI_OK;
}

int cli_keyring_text(const mqttseal_keyring *kr, char **text, size_t *len)
{
    size_t need = 0;
    int rc = mqttseal_keyring_to_string(kr, NULL, 0, &need);

    if (rc != MQTTSEAL_E_BUFFER && rc != MQTTSEAL_OK)
        return -1;
    *text = malloc(need + 1);
    if (*text == NULL)
        return -1;
    if (mqttseal_keyring_to_string(kr, *text, need + 1, len) != MQTTSEAL_OK) {
        cli_wipe_free(*text, need + 1);
        *text = NULL;
        return -1;
    }
    return 0;
}

static int write_fd(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_excl(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int err;

    if (fd < 0)
        return -1;
    if (write_fd(fd, text, len) == 0 && fsync(fd) == 0) {
        /* close() releases fd even when it fails: never close it twice
         * (another thread may already own that number again). */
        if (close(fd) == 0)
            return 0;
        err = errno;
    } else {
        err = errno;
        close(fd);
    }
    unlink(path);
    errno = err;
    return -1;
}

int cli_write_new_keyring(const char *path, const mqttseal_keyring *kr,
                          int force)
{
    char *text;
    size_t len = 0;
    int rc;

    if (cli_keyring_text(kr, &text, &len) != 0) {
        char what[300];
        snprintf(what, sizeof what, "keyring '%s'", path);
        return cli_text_fail(kr, what);
    }
    rc = write_excl(path, text, len);
    cli_wipe_free(text, len + 1);
    if (rc == 0)
        return CLI_OK;
    if (errno == EEXIST && force)
        return cli_save_keyring(path, kr);
    if (errno == EEXIST)
        return cli_fail(CLI_FILE,
                        "'%s' already exists; refusing to overwrite it (use "
                        "--force to replace it)",
                        path);
    return cli_fail(CLI_FILE,
                    "cannot create '%s': %s (check the directory exists and "
                    "is writable)",
                    path, strerror(errno));
}

int cli_save_keyring(const char *path, const mqttseal_keyring *kr)
{
    int rc = mqttseal_keyring_save_file(kr, path);

    if (rc != MQTTSEAL_OK)
        return cli_fail(CLI_FILE,
                        "cannot write keyring '%s': %s (check the directory "
                        "is writable)",
                        path, mqttseal_strerror(rc));
    return CLI_OK;
}

int cli_print_keyring(const mqttseal_keyring *kr)
{
    char *text;
    size_t len = 0;
    int rc;

    if (cli_keyring_text(kr, &text, &len) != 0)
        return cli_text_fail(kr, "the keyring");
    rc = cli_write_all(stdout, text, len);
    cli_wipe_free(text, len + 1);
    if (rc != 0)
        return cli_fail(CLI_FILE, "cannot write to stdout: %s",
                        strerror(errno));
    return CLI_OK;
}

size_t cli_keyring_ids(const mqttseal_keyring *kr, uint32_t *ids, size_t cap)
{
    size_t n = 0, count = mqttseal_keyring_count(kr);
    mqttseal_key_info info;

    for (size_t i = 0; i < count; i++) {
        size_t j;
        if (mqttseal_keyring_entry(kr, i, &info) != MQTTSEAL_OK)
            continue;
        for (j = 0; j < n && ids[j] < info.key_id; j++)
            ;
        if ((j < n && ids[j] == info.key_id) || n == cap)
            continue;
        memmove(ids + j + 1, ids + j, (n - j) * sizeof *ids);
        ids[j] = info.key_id;
        n++;
    }
    return n;
}

int64_t cli_keyring_expiry(const mqttseal_keyring *kr, uint32_t id)
{
    size_t count = mqttseal_keyring_count(kr);
    mqttseal_key_info info;

    for (size_t i = 0; i < count; i++) {
        if (mqttseal_keyring_entry(kr, i, &info) == MQTTSEAL_OK &&
            info.key_id == id)
            return info.expires;
    }
    return 0;
}

int cli_keyring_has(const mqttseal_keyring *kr, uint32_t id, const char *filter)
{
    size_t count = mqttseal_keyring_count(kr);
    mqttseal_key_info info;
    int found = 0;

    for (size_t i = 0; i < count && !found; i++) {
        char *f;
        if (mqttseal_keyring_entry(kr, i, &info) != MQTTSEAL_OK ||
            info.key_id != id || (f = cli_entry_filter(kr, i)) == NULL)
            continue;
        found = strcmp(f, filter) == 0;
        free(f);
    }
    return found;
}

char *cli_entry_filter(const mqttseal_keyring *kr, size_t index)
{
    size_t len = 0;
    char *f;

    if (mqttseal_keyring_entry_filter(kr, index, NULL, 0, &len) !=
            MQTTSEAL_E_BUFFER ||
        (f = malloc(len + 1)) == NULL)
        return NULL;
    if (mqttseal_keyring_entry_filter(kr, index, f, len + 1, NULL) !=
        MQTTSEAL_OK) {
        free(f);
        return NULL;
    }
    return f;
}

/* The keyring text refuses these in a filter (src/keyring_text.c,
 * writable()): a filter is one space- or tab-separated field of a
 * line. A CR is data there, and written. */
const char *cli_filter_unwritable(const char *filter, size_t *at)
{
    for (size_t i = 0; filter[i] != '\0'; i++) {
        *at = i;
        if (filter[i] == ' ')
            return "a space";
        if (filter[i] == '\t')
            return "a tab";
        if (filter[i] == '\n')
            return "a line feed";
    }
    return NULL;
}

const char *cli_visible(const char *s, char *buf, size_t cap)
{
    size_t n = 0;

    for (; *s != '\0' && n + 6 < cap; s++) {
        if (*s == '\n' || *s == '\t' || *s == '\r') {
            buf[n++] = '\\';
            buf[n++] = *s == '\n' ? 'n' : *s == '\t' ? 't' : 'r';
        } else {
            buf[n++] = *s;
        }
    }
    if (*s != '\0') {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

int cli_text_fail(const mqttseal_keyring *kr, const char *what)
{
    size_t count = mqttseal_keyring_count(kr), at = 0;

    for (size_t i = 0; i < count; i++) {
        mqttseal_key_info info;
        char *f = cli_entry_filter(kr, i);
        const char *bad = f ? cli_filter_unwritable(f, &at) : NULL;
        if (bad != NULL && mqttseal_keyring_entry(kr, i, &info) == 0) {
            char vis[200];
            cli_fail(CLI_FILE,
                     "cannot write %s: the filter '%s' (key id %u) contains "
                     "%s at byte %zu; " CLI_UNWRITABLE,
                     what, cli_visible(f, vis, sizeof vis), info.key_id, bad,
                     at);
            free(f);
            return CLI_FILE;
        }
        free(f);
    }
    return cli_fail(CLI_FILE, "cannot write %s: out of memory", what);
}
