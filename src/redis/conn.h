/* Private to libmqttseal-redis: the byte stream to Redis (TCP, a unix
 * socket, or TLS over TCP) and the RESP client on top of it (hiredis's
 * command formatter and reply reader; the I/O is ours, so that TLS works
 * with bookworm's hiredis 0.14.1, which has none). */
#ifndef MQTTSEAL_REDIS_CONN_H
#define MQTTSEAL_REDIS_CONN_H

#include <hiredis/hiredis.h>
#include <stddef.h>

/* TLS settings, strings owned by the handle (NULL: unset). */
typedef struct ms_tls_opts {
    char *ca_file, *ca_dir, *cert, *key, *server_name;
    char *ciphers, *ciphersuites;
} ms_tls_opts;

/* Where to connect. tls NULL: plain. */
typedef struct ms_conn_target {
    const char *host, *unix_path;
    unsigned port, timeout_ms;
    const ms_tls_opts *tls;
} ms_conn_target;

typedef struct ms_conn {
    int fd;    /* -1: closed */
    void *ssl; /* SSL *, NULL for a plain stream */
} ms_conn;

#define MS_ERR_CAP 160

/* ---- TLS (tls.c) ---- */

/** A client SSL_CTX from t (verifying the server), or NULL with err. */
void *ms_tls_ctx_new(const ms_tls_opts *t, char err[MS_ERR_CAP]);
void ms_tls_ctx_free(void *ctx);

/** The TLS handshake on a connected fd, verifying the certificate for
 * t->server_name or host. @return the SSL *, or NULL with err. */
void *ms_tls_handshake(void *ctx, int fd, const char *host,
                       const ms_tls_opts *t, char err[MS_ERR_CAP]);

/** Encrypted I/O: bytes moved, or -1 with err (0 from read: closed). */
long ms_tls_write(void *ssl, const char *buf, size_t n, char err[MS_ERR_CAP]);
long ms_tls_read(void *ssl, char *buf, size_t n, char err[MS_ERR_CAP]);

/** Free ssl; orderly: send close_notify first (never after a fork). */
void ms_tls_free(void *ssl, int orderly);

/* ---- the stream (conn.c) ---- */

/** Connect within t->timeout_ms (TCP_NODELAY, I/O timeouts set, TLS
 * handshake when t->tls). @return 0, or -1 with err. */
int ms_conn_open(ms_conn *c, const ms_conn_target *t, char err[MS_ERR_CAP]);

/** Write all of buf (never raises SIGPIPE). @return 0, or -1 with err. */
int ms_conn_write(ms_conn *c, const char *buf, size_t n, char err[MS_ERR_CAP]);

/** Read what is there (at least 1 byte). @return bytes, or -1 with err
 * (the peer closed, a timeout, an error). */
long ms_conn_read(ms_conn *c, char *buf, size_t cap, char err[MS_ERR_CAP]);

/** Close (c->fd becomes -1); orderly as ms_tls_free. */
void ms_conn_close(ms_conn *c, int orderly);

/* ---- RESP over the stream (client.c) ---- */

typedef struct ms_client {
    ms_conn conn;
    redisReader *reader;
    char *out; /* formatted commands not yet written */
    size_t out_len, out_cap;
    char err[MS_ERR_CAP];
} ms_client;

/** Connect (c zeroed, or closed, first). @return 0, or -1 with c->err. */
int ms_client_open(ms_client *c, const ms_conn_target *t);

/** Queue one command. @return 0, or -1 (out of memory). */
int ms_client_append(ms_client *c, int argc, const char **argv,
                     const size_t *lens);

/** Write what is queued, then read one reply (freeReplyObject it).
 * @return NULL with c->err on an I/O or protocol error. */
redisReply *ms_client_reply(ms_client *c);

int ms_client_is_open(const ms_client *c);

/** Close and free; orderly as ms_tls_free. c can be opened again. */
void ms_client_close(ms_client *c, int orderly);

#endif
