/* --replay-redis: the consumer group's replay state in Redis. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MQTTSEAL_CLI_REDIS
#include <mqttseal/redis.h>

/* url with skew and retained_max_age appended unless it names them. */
static char *with_expiry(const char *url, uint64_t skew_ms,
                         uint64_t retained_ms)
{
    size_t n = strlen(url) + 80;
    char *u = malloc(n);
    char sep = strchr(url, '?') != NULL ? '&' : '?';
    size_t len;

    if (u == NULL)
        return NULL;
    len = (size_t)snprintf(u, n, "%s", url);
    if (skew_ms != 0 && strstr(url, "skew=") == NULL) {
        len += (size_t)snprintf(u + len, n - len, "%cskew=%llu", sep,
                                (unsigned long long)(skew_ms / 1000));
        sep = '&';
    }
    if (retained_ms != 0 && strstr(url, "retained_max_age=") == NULL)
        snprintf(u + len, n - len, "%cretained_max_age=%llu", sep,
                 (unsigned long long)(retained_ms / 1000));
    return u;
}

int cli_redis_attach(mqttseal_ctx *ctx, const char *url, const char *cmd,
                     int debug, uint64_t skew_ms, uint64_t retained_ms)
{
    mqttseal_redis *r = NULL;
    mqttseal_diag d;
    char *full = with_expiry(url, skew_ms, retained_ms), err[160];
    int rc;

    if (full == NULL)
        return cli_fail(CLI_FILE, "out of memory");
    rc = mqttseal_redis_new_url(&r, full, &d);
    free(full);
    if (rc != MQTTSEAL_OK)
        return cli_fail(CLI_FILE, "%s: --replay-redis: %s", cmd,
                        rc == MQTTSEAL_E_INVALID ? d.message
                                                 : mqttseal_strerror(rc));
    if (mqttseal_redis_ping(r) != MQTTSEAL_OK) {
        mqttseal_redis_last_error(r, err, sizeof err);
        mqttseal_redis_free(r);
        return cli_fail(CLI_BROKER, "%s: --replay-redis: cannot use Redis: %s",
                        cmd, err);
    }
    rc = mqttseal_redis_attach(r, ctx);
    mqttseal_redis_free(r);
    if (rc != MQTTSEAL_OK)
        return cli_fail(CLI_FILE, "%s: --replay-redis: %s", cmd,
                        mqttseal_strerror(rc));
    if (debug)
        fprintf(stderr, "mqttseal %s: replay state in Redis\n", cmd);
    return CLI_OK;
}
#else
int cli_redis_attach(mqttseal_ctx *ctx, const char *url, const char *cmd,
                     int debug, uint64_t skew_ms, uint64_t retained_ms)
{
    (void)ctx, (void)url, (void)debug, (void)skew_ms, (void)retained_ms;
    return cli_fail(CLI_FILE,
                    "%s: --replay-redis: this mqttseal was built without "
                    "libmqttseal-redis (install libhiredis-dev and rebuild)",
                    cmd);
}
#endif
