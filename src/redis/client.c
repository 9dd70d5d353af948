/* RESP over our stream: commands formatted by hiredis into one output
 * buffer (so a pipelined batch is one write), replies parsed by hiredis's
 * reader. */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS_READ_CHUNK 16384

int ms_client_open(ms_client *c, const ms_conn_target *t)
{
    c->conn.fd = -1;
    c->conn.ssl = NULL;
    c->out_len = 0;
    if ((c->reader = redisReaderCreate()) == NULL) {
        snprintf(c->err, sizeof c->err, "connect: out of memory");
        return -1;
    }
    if (ms_conn_open(&c->conn, t, c->err) != 0) {
        redisReaderFree(c->reader);
        c->reader = NULL;
        return -1;
    }
    return 0;
}

int ms_client_is_open(const ms_client *c)
{
    return c->reader != NULL;
}

int ms_client_append(ms_client *c, int argc, const char **argv,
                     const size_t *lens)
{
    char *cmd = NULL;
    int n = redisFormatCommandArgv(&cmd, argc, argv, lens);

    if (n < 0)
        return -1;
    if (c->out_len + (size_t)n > c->out_cap) {
        size_t cap = (c->out_len + (size_t)n) * 2;
        char *p = realloc(c->out, cap);
        if (p == NULL) {
            redisFreeCommand(cmd);
            return -1;
        }
        c->out = p;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, cmd, (size_t)n);
    c->out_len += (size_t)n;
    redisFreeCommand(cmd);
    return 0;
}

static int flush(ms_client *c)
{
    size_t n = c->out_len;

    c->out_len = 0;
    return n == 0 ? 0 : ms_conn_write(&c->conn, c->out, n, c->err);
}

redisReply *ms_client_reply(ms_client *c)
{
    char buf[MS_READ_CHUNK];
    void *rep = NULL;

    if (c->reader == NULL || flush(c) != 0)
        return NULL;
    for (;;) {
        long k;

        if (redisReaderGetReply(c->reader, &rep) != REDIS_OK) {
            snprintf(c->err, sizeof c->err, "protocol: %s", c->reader->errstr);
            return NULL;
        }
        if (rep != NULL)
            return rep;
        if ((k = ms_conn_read(&c->conn, buf, sizeof buf, c->err)) < 0)
            return NULL;
        if (redisReaderFeed(c->reader, buf, (size_t)k) != REDIS_OK) {
            snprintf(c->err, sizeof c->err, "protocol: %s", c->reader->errstr);
            return NULL;
        }
    }
}

void ms_client_close(ms_client *c, int orderly)
{
    if (c->reader != NULL) {
        ms_conn_close(&c->conn, orderly);
        redisReaderFree(c->reader);
    }
    c->reader = NULL;
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_cap = 0;
}
