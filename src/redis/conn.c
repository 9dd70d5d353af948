/* The byte stream to Redis: TCP (each address of the host in turn, within
 * the timeout), a unix socket, or TLS over TCP (tls.c). */
#define _DEFAULT_SOURCE /* getaddrinfo's flags, NI_MAXSERV */
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static void sys_err(char err[MS_ERR_CAP], const char *what)
{
    snprintf(err, MS_ERR_CAP, "%s: %s", what, strerror(errno));
}

static int set_blocking(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);

    return fl < 0 ? -1
                  : fcntl(fd, F_SETFL, on ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
}

/* connect() bounded by timeout_ms, then blocking with I/O timeouts. */
static int connect_within(int fd, const struct sockaddr *a, socklen_t len,
                          unsigned timeout_ms)
{
    struct pollfd p = {fd, POLLOUT, 0};
    struct timeval tv = {(time_t)(timeout_ms / 1000),
                         (suseconds_t)(timeout_ms % 1000) * 1000};
    int soerr = 0;
    socklen_t sl = sizeof soerr;

    if (set_blocking(fd, 0) != 0)
        return -1;
    if (connect(fd, a, len) != 0) {
        if (errno != EINPROGRESS)
            return -1;
        if (poll(&p, 1, (int)timeout_ms) != 1) {
            errno = errno == EINTR ? EINTR : ETIMEDOUT;
            return -1;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
            return -1;
        if (soerr != 0) {
            errno = soerr;
            return -1;
        }
    }
    return set_blocking(fd, 1) != 0 ||
                   setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) ||
                   setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv)
               ? -1
               : 0;
}

static int open_unix(const ms_conn_target *t, char err[MS_ERR_CAP])
{
    struct sockaddr_un a;
    int fd;

    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    if (strlen(t->unix_path) >= sizeof a.sun_path) {
        snprintf(err, MS_ERR_CAP, "connect: unix socket path too long");
        return -1;
    }
    strcpy(a.sun_path, t->unix_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect_within(fd, (struct sockaddr *)&a, sizeof a,
                                 t->timeout_ms) != 0) {
        sys_err(err, "connect");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int open_tcp(const ms_conn_target *t, char err[MS_ERR_CAP])
{
    struct addrinfo hints, *res = NULL, *ai;
    char port[8];
    int fd = -1, one = 1, rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof port, "%u", t->port);
    if ((rc = getaddrinfo(t->host, port, &hints, &res)) != 0) {
        snprintf(err, MS_ERR_CAP, "connect: %s: %s", t->host, gai_strerror(rc));
        return -1;
    }
    errno = ECONNREFUSED;
    for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd >= 0 && connect_within(fd, ai->ai_addr, ai->ai_addrlen,
                                      t->timeout_ms) != 0) {
            int e = errno;
            close(fd);
            fd = -1;
            errno = e;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        sys_err(err, "connect");
    else
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int ms_conn_open(ms_conn *c, const ms_conn_target *t, char err[MS_ERR_CAP])
{
    void *ctx;

    c->ssl = NULL;
    c->fd = t->unix_path != NULL ? open_unix(t, err) : open_tcp(t, err);
    if (c->fd < 0 || t->tls == NULL)
        return c->fd < 0 ? -1 : 0;
    /* A new context per connection: rotated CA and client certificate
     * files take effect at the next reconnect. */
    if ((ctx = ms_tls_ctx_new(t->tls, err)) != NULL) {
        c->ssl = ms_tls_handshake(ctx, c->fd, t->host, t->tls, err);
        ms_tls_ctx_free(ctx); /* the SSL keeps its own reference */
    }
    if (c->ssl == NULL) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

int ms_conn_write(ms_conn *c, const char *buf, size_t n, char err[MS_ERR_CAP])
{
    while (n > 0) {
        long k = c->ssl != NULL ? ms_tls_write(c->ssl, buf, n, err)
                                : (long)send(c->fd, buf, n, MSG_NOSIGNAL);

        if (k < 0 && c->ssl == NULL && errno == EINTR)
            continue;
        if (k <= 0) {
            if (c->ssl == NULL)
                sys_err(err, errno == EAGAIN ? "write (timed out)" : "write");
            return -1;
        }
        buf += k;
        n -= (size_t)k;
    }
    return 0;
}

long ms_conn_read(ms_conn *c, char *buf, size_t cap, char err[MS_ERR_CAP])
{
    long k;

    if (c->ssl != NULL) {
        k = ms_tls_read(c->ssl, buf, cap, err);
        return k > 0 ? k : -1;
    }
    do
        k = (long)recv(c->fd, buf, cap, 0);
    while (k < 0 && errno == EINTR);
    if (k == 0)
        snprintf(err, MS_ERR_CAP, "read: the server closed the connection");
    else if (k < 0)
        sys_err(err, errno == EAGAIN ? "read (timed out)" : "read");
    return k > 0 ? k : -1;
}

void ms_conn_close(ms_conn *c, int orderly)
{
    ms_tls_free(c->ssl, orderly);
    c->ssl = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}
