#include "atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mqttseal/mqttseal.h"

static int write_all(int fd, const unsigned char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Make the rename durable: fsync the directory that holds path. Some
 * filesystems cannot fsync a directory (EINVAL); that is not an error. */
static int fsync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash == NULL ? 1 : (slash == path ? 1 : (size_t)(slash - path));
    char *dir = malloc(n + 1);
    int fd, ok;

    if (dir == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    memcpy(dir, slash == NULL ? "." : path, n);
    dir[n] = '\0';
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0) {
        return MQTTSEAL_E_IO;
    }
    ok = fsync(fd) == 0 || errno == EINVAL;
    close(fd);
    return ok ? MQTTSEAL_OK : MQTTSEAL_E_IO;
}

/* The temporary file sits next to path (same filesystem, so rename is
 * atomic); mkstemp creates it with mode 0600. */
int ms_write_atomic(const char *path, const void *buf, size_t len)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 8);
    int fd, rc;

    if (tmp == NULL) {
        return MQTTSEAL_E_NOMEM;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".XXXXXX", 8);
    fd = mkstemp(tmp);
    rc = fd < 0 ? MQTTSEAL_E_IO : MQTTSEAL_OK;
    if (rc == MQTTSEAL_OK && (fchmod(fd, 0600) != 0 ||
                              write_all(fd, buf, len) != 0 || fsync(fd) != 0)) {
        rc = MQTTSEAL_E_IO;
    }
    if (fd >= 0 && close(fd) != 0) {
        rc = MQTTSEAL_E_IO;
    }
    if (rc == MQTTSEAL_OK && rename(tmp, path) != 0) {
        rc = MQTTSEAL_E_IO;
    }
    if (rc != MQTTSEAL_OK && fd >= 0) {
        unlink(tmp);
    }
    free(tmp);
    return rc == MQTTSEAL_OK ? fsync_dir(path) : rc;
}
