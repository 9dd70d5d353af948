/* TLS to Redis with OpenSSL, as redis-cli --tls does it: the server's
 * certificate verified against the given CAs (or the system's) and its
 * name (SNI sent for a DNS name; an IP literal is matched against the
 * certificate's IP addresses), an optional client certificate, TLS 1.2 or
 * later. Socket I/O goes through a BIO that sends with MSG_NOSIGNAL, so
 * a Redis that hangs up never kills the process with SIGPIPE. */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Into err, truncated (messages may carry long paths). */
__attribute__((format(printf, 2, 3))) static void errf(char err[MS_ERR_CAP],
                                                       const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, MS_ERR_CAP, fmt, ap);
    va_end(ap);
}

/* OpenSSL's reason for the failure (a system error if one is queued:
 * "No such file or directory" says more than "system lib"), else the
 * socket's. Empties the thread's error queue. */
static void reason(char *why, size_t cap)
{
    unsigned long e, last = 0, sys = 0;
    const char *r;

    while ((e = ERR_get_error()) != 0) {
        last = e;
        if (sys == 0 && ERR_SYSTEM_ERROR(e))
            sys = e;
    }
    r = last != 0 ? ERR_reason_error_string(last) : NULL;
    if (sys != 0)
        snprintf(why, cap, "%s", strerror(ERR_GET_REASON(sys)));
    else if (r != NULL)
        snprintf(why, cap, "%s", r);
    else if (last != 0)
        ERR_error_string_n(last, why, cap);
    else if (errno == EAGAIN || errno == EWOULDBLOCK)
        snprintf(why, cap, "timed out");
    else
        snprintf(why, cap, "%s",
                 errno != 0 ? strerror(errno) : "connection closed");
}

static void ssl_err(char err[MS_ERR_CAP], const char *what)
{
    char why[120];

    reason(why, sizeof why);
    errf(err, "TLS %s: %s", what, why);
    ERR_clear_error();
}

/* The same, naming the file. */
static void file_err(char err[MS_ERR_CAP], const char *what, const char *path)
{
    char why[120];

    reason(why, sizeof why);
    errf(err, "TLS %s %s: %s", what, path, why);
    ERR_clear_error();
}

/* ---- a socket BIO that cannot raise SIGPIPE ---- */

static int bio_write(BIO *b, const char *buf, int n)
{
    ssize_t k = send((int)BIO_get_fd(b, NULL), buf, (size_t)n, MSG_NOSIGNAL);

    BIO_clear_retry_flags(b);
    if (k < 0 && (errno == EAGAIN || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)k;
}

static int bio_read(BIO *b, char *buf, int n)
{
    ssize_t k = recv((int)BIO_get_fd(b, NULL), buf, (size_t)n, 0);

    BIO_clear_retry_flags(b);
    if (k < 0 && (errno == EAGAIN || errno == EINTR))
        BIO_set_retry_read(b);
    return (int)k;
}

static BIO_METHOD *bio_method;

static void make_method(void)
{
    const BIO_METHOD *sock = BIO_s_socket();
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK |
                                     BIO_TYPE_DESCRIPTOR,
                                 "mqttseal socket");

    if (m == NULL)
        return;
    /* The socket BIO's own create, destroy and ctrl (fd, flush, EOF...);
     * only read and write change. */
    BIO_meth_set_create(m, BIO_meth_get_create(sock));
    BIO_meth_set_destroy(m, BIO_meth_get_destroy(sock));
    BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(sock));
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    bio_method = m;
}

static BIO *socket_bio(int fd)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    BIO *b;

    pthread_once(&once, make_method);
    if (bio_method == NULL || (b = BIO_new(bio_method)) == NULL)
        return NULL;
    BIO_set_fd(b, fd, BIO_NOCLOSE);
    return b;
}

/* ---- the context ---- */

static int load_ca(SSL_CTX *ctx, const ms_tls_opts *t, char err[MS_ERR_CAP])
{
    if (t->ca_file == NULL && t->ca_dir == NULL) {
        if (SSL_CTX_set_default_verify_paths(ctx) == 1)
            return 0;
        ssl_err(err, "system CA certificates");
        return -1;
    }
    if (SSL_CTX_load_verify_locations(ctx, t->ca_file, t->ca_dir) == 1)
        return 0;
    file_err(err, t->ca_file != NULL ? "CA file" : "CA directory",
             t->ca_file != NULL ? t->ca_file : t->ca_dir);
    return -1;
}

static int load_client_cert(SSL_CTX *ctx, const ms_tls_opts *t,
                            char err[MS_ERR_CAP])
{
    if (t->cert == NULL)
        return 0;
    if (SSL_CTX_use_certificate_chain_file(ctx, t->cert) != 1) {
        file_err(err, "client certificate", t->cert);
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, t->key, SSL_FILETYPE_PEM) != 1) {
        file_err(err, "client key", t->key);
        return -1;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ssl_err(err, "client key does not match the certificate");
        return -1;
    }
    return 0;
}

static int set_ciphers(SSL_CTX *ctx, const ms_tls_opts *t, char err[MS_ERR_CAP])
{
    if (t->ciphers != NULL && SSL_CTX_set_cipher_list(ctx, t->ciphers) != 1) {
        ssl_err(err, "ciphers");
        return -1;
    }
    if (t->ciphersuites != NULL &&
        SSL_CTX_set_ciphersuites(ctx, t->ciphersuites) != 1) {
        ssl_err(err, "ciphersuites");
        return -1;
    }
    return 0;
}

void *ms_tls_ctx_new(const ms_tls_opts *t, char err[MS_ERR_CAP])
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    errno = 0;
    if (ctx == NULL) {
        ssl_err(err, "context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
    if (load_ca(ctx, t, err) != 0 || load_client_cert(ctx, t, err) != 0 ||
        set_ciphers(ctx, t, err) != 0) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

void ms_tls_ctx_free(void *ctx)
{
    SSL_CTX_free(ctx);
}

/* ---- one connection ---- */

static int is_ip(const char *name)
{
    unsigned char a[16];

    return inet_pton(AF_INET, name, a) == 1 ||
           inet_pton(AF_INET6, name, a) == 1;
}

/* The name the certificate must carry: SNI and host check for a DNS
 * name, an IP check for an address. */
static int expect_name(SSL *ssl, const char *name)
{
    if (is_ip(name))
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1
                   ? 0
                   : -1;
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set_tlsext_host_name(ssl, name) == 1 &&
                   SSL_set1_host(ssl, name) == 1
               ? 0
               : -1;
}

static void handshake_err(SSL *ssl, char err[MS_ERR_CAP])
{
    long v = SSL_get_verify_result(ssl);

    if (v != X509_V_OK) {
        snprintf(err, MS_ERR_CAP, "TLS: server certificate refused: %s",
                 X509_verify_cert_error_string(v));
        ERR_clear_error();
    } else {
        ssl_err(err, "handshake");
    }
}

void *ms_tls_handshake(void *ctx, int fd, const char *host,
                       const ms_tls_opts *t, char err[MS_ERR_CAP])
{
    SSL *ssl = SSL_new(ctx);
    BIO *bio = socket_bio(fd);

    errno = 0;
    if (ssl == NULL || bio == NULL) {
        BIO_free(bio);
        SSL_free(ssl);
        ssl_err(err, "connection");
        return NULL;
    }
    SSL_set_bio(ssl, bio, bio);
    if (expect_name(ssl, t->server_name != NULL ? t->server_name : host) != 0) {
        ssl_err(err, "server name");
        SSL_free(ssl);
        return NULL;
    }
    if (SSL_connect(ssl) != 1) {
        handshake_err(ssl, err);
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

static long io_result(SSL *ssl, int k, const char *what, char err[MS_ERR_CAP])
{
    int e;

    if (k > 0)
        return k;
    e = SSL_get_error(ssl, k);
    if (e == SSL_ERROR_ZERO_RETURN)
        snprintf(err, MS_ERR_CAP, "TLS %s: the server closed the connection",
                 what);
    else if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        snprintf(err, MS_ERR_CAP, "TLS %s: timed out", what);
    else
        ssl_err(err, what);
    ERR_clear_error();
    return -1;
}

long ms_tls_write(void *ssl, const char *buf, size_t n, char err[MS_ERR_CAP])
{
    errno = 0;
    return io_result(ssl,
                     SSL_write(ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n),
                     "write", err);
}

long ms_tls_read(void *ssl, char *buf, size_t n, char err[MS_ERR_CAP])
{
    errno = 0;
    return io_result(ssl,
                     SSL_read(ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n),
                     "read", err);
}

void ms_tls_free(void *ssl, int orderly)
{
    if (ssl == NULL)
        return;
    if (orderly)
        SSL_shutdown(ssl); /* close_notify; the reply is not awaited */
    SSL_free(ssl);
    ERR_clear_error();
}
