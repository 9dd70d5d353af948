/* Owner- and mode-checked reads of signer-key and trust-list files. */
#include "textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secure.h"

#define FILE_MAX (16U << 20)    /* refuse absurd files before reading */
#define KEYRING_MAX (64U << 20) /* a keyring may hold many grants */

int ms_diag_fail(mqttseal_diag *diag, int rc, unsigned line, const char *fmt,
                 ...)
{
    va_list ap;
    int n = 0;

    if (diag == NULL) {
        return rc;
    }
    diag->line = line;
    if (line > 0) {
        n = snprintf(diag->message, sizeof diag->message, "line %u: ", line);
    }
    va_start(ap, fmt);
    vsnprintf(diag->message + n, sizeof diag->message - (size_t)n, fmt, ap);
    va_end(ap);
    return rc;
}

static int io_fail(mqttseal_diag *diag, const char *what, const char *path)
{
    char eb[96];
    int err = errno;

    snprintf(eb, sizeof eb, "%s", strerror(err));
    return ms_diag_fail(diag, MQTTSEAL_E_IO, 0, "cannot %s %s: %s", what, path,
                        eb);
}

static int check_mode(const struct stat *st, ms_file_kind kind,
                      const char *path, mqttseal_diag *diag)
{
    unsigned mode = (unsigned)(st->st_mode & 0777);

    if (kind != MS_FILE_PUBLIC && (mode & 077) != 0) {
        return ms_diag_fail(
            diag, MQTTSEAL_E_KEYRING_PERMS, 0,
            "run chmod 600 %s: group or others can access "
            "this %s (mode %03o)",
            path, kind == MS_FILE_KEYRING ? "keyring" : "secret key", mode);
    }
    if (kind == MS_FILE_PUBLIC && (mode & 022) != 0) {
        return ms_diag_fail(diag, MQTTSEAL_E_FILE_OWNER, 0,
                            "run chmod go-w %s: group or others can change "
                            "this trust list (mode %03o)",
                            path, mode);
    }
    return MQTTSEAL_OK;
}

static int check_stat(int fd, const char *path, ms_file_kind kind, size_t *size,
                      mqttseal_diag *diag)
{
    struct stat st;
    int rc;

    if (fstat(fd, &st) != 0) {
        return io_fail(diag, "stat", path);
    }
    if (!S_ISREG(st.st_mode)) {
        return ms_diag_fail(diag, MQTTSEAL_E_IO, 0, "%s is not a regular file",
                            path);
    }
    if (st.st_uid != geteuid() && st.st_uid != 0) {
        return ms_diag_fail(diag, MQTTSEAL_E_FILE_OWNER, 0,
                            "%s is owned by uid %u, not by this user (uid "
                            "%u) or root: refusing it%s",
                            path, (unsigned)st.st_uid, (unsigned)geteuid(),
                            kind == MS_FILE_KEYRING
                                ? ", as ssh refuses another user's private key"
                                : "");
    }
    if ((rc = check_mode(&st, kind, path, diag)) != MQTTSEAL_OK) {
        return rc;
    }
    if (st.st_size < 0 ||
        (uintmax_t)st.st_size >
            (kind == MS_FILE_KEYRING ? KEYRING_MAX : FILE_MAX)) {
        return ms_diag_fail(diag, MQTTSEAL_E_IO, 0, "%s is too large%s", path,
                            kind == MS_FILE_KEYRING ? " for a keyring" : "");
    }
    *size = (size_t)st.st_size;
    return MQTTSEAL_OK;
}

static int read_all(int fd, char *buf, size_t size, size_t *got)
{
    *got = 0;
    while (*got < size) {
        ssize_t r = read(fd, buf + *got, size - *got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return MQTTSEAL_E_IO;
        }
        if (r == 0) { /* the file shrank; parse what is there */
            break;
        }
        *got += (size_t)r;
    }
    return MQTTSEAL_OK;
}

int ms_file_read(const char *path, ms_file_kind kind, char **buf, size_t *cap,
                 size_t *len, mqttseal_diag *diag)
{
    size_t size = 0;
    int rc;

    *buf = NULL;
    *cap = 0;
    *len = 0;
    /* O_NONBLOCK: a FIFO in place of the file must not hang us. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        return io_fail(diag, "open", path);
    }
    rc = check_stat(fd, path, kind, &size, diag);
    if (rc == MQTTSEAL_OK) {
        *cap = size > 0 ? size : 1;
        *buf = ms_secure_alloc(*cap);
        rc = *buf == NULL
                 ? ms_diag_fail(diag, MQTTSEAL_E_NOMEM, 0, "out of memory")
                 : read_all(fd, *buf, size, len);
        if (rc == MQTTSEAL_E_IO) {
            rc = io_fail(diag, "read", path);
        }
    }
    close(fd);
    return rc;
}
