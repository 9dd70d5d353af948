/*
 * Keyring files: refusing files others can read or another user owns,
 * reading into guarded
 * memory, atomic mode-0600 writes. The text format is keyring_text.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "keyring_internal.h"
#include "secure.h"

#define FILE_MAX (64U << 20) /* refuse absurd files before reading */

static const char *errtext(int err, char *buf, size_t n)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(err, buf, n);
#else
    if (strerror_r(err, buf, n) != 0)
        snprintf(buf, n, "error %d", err);
    return buf;
#endif
}

static int io_fail(mqttseal_diag *diag, const char *what, const char *path)
{
    char eb[96];
    int err = errno;
    return ms_keyring_fail(diag, MQTTSEAL_E_IO, 0, "cannot %s %s: %s", what,
                           path, errtext(err, eb, sizeof eb));
}

/* Read the whole of fd into guarded memory (size bytes, at least 1),
 * since the text holds every key in base64. */
static int read_all(int fd, size_t size, char **buf, size_t *got)
{
    *got = 0;
    *buf = ms_secure_alloc(size > 0 ? size : 1);
    if (*buf == NULL)
        return MQTTSEAL_E_NOMEM;
    while (*got < size) {
        ssize_t r = read(fd, *buf + *got, size - *got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return MQTTSEAL_E_IO;
        if (r == 0) /* the file shrank; parse what is there */
            break;
        *got += (size_t)r;
    }
    return MQTTSEAL_OK;
}

static int check_stat(int fd, const char *path, size_t *size,
                      mqttseal_diag *diag)
{
    struct stat st;

    if (fstat(fd, &st) != 0)
        return io_fail(diag, "stat", path);
    if (!S_ISREG(st.st_mode))
        return ms_keyring_fail(diag, MQTTSEAL_E_IO, 0,
                               "%s is not a regular file", path);
    if (st.st_uid != geteuid() && st.st_uid != 0)
        return ms_keyring_fail(
            diag, MQTTSEAL_E_FILE_OWNER, 0,
            "%s is owned by uid %u, not by this user (uid %u) or root: "
            "refusing it, as ssh refuses another user's private key",
            path, (unsigned)st.st_uid, (unsigned)geteuid());
    if ((st.st_mode & 077) != 0)
        return ms_keyring_fail(
            diag, MQTTSEAL_E_KEYRING_PERMS, 0,
            "run chmod 600 %s: group or others can access this "
            "keyring (mode %03o)",
            path, (unsigned)(st.st_mode & 0777));
    if (st.st_size < 0 || (uintmax_t)st.st_size > FILE_MAX)
        return ms_keyring_fail(diag, MQTTSEAL_E_IO, 0,
                               "%s is too large for a keyring", path);
    *size = (size_t)st.st_size;
    return MQTTSEAL_OK;
}

int mqttseal_keyring_load_file(mqttseal_keyring **out, const char *path,
                               mqttseal_diag *diag)
{
    char *buf = NULL;
    size_t size = 0, got = 0;

    if (diag != NULL)
        memset(diag, 0, sizeof *diag);
    if (out == NULL || path == NULL)
        return ms_keyring_fail(diag, MQTTSEAL_E_INVALID, 0, "invalid argument");
    *out = NULL;
    /* O_NONBLOCK: a FIFO in place of the file must not hang us. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return io_fail(diag, "open", path);
    int rc = check_stat(fd, path, &size, diag);
    if (rc == MQTTSEAL_OK) {
        rc = read_all(fd, size, &buf, &got);
        if (rc == MQTTSEAL_E_IO)
            rc = io_fail(diag, "read", path);
        else if (rc == MQTTSEAL_E_NOMEM)
            rc = ms_keyring_fail(diag, rc, 0, "out of memory");
    }
    close(fd);
    if (rc == MQTTSEAL_OK)
        rc = mqttseal_keyring_load_string(out, buf, got, diag);
    ms_secure_free(buf, size > 0 ? size : 1); /* wipes, NULL is fine */
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
