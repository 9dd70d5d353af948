/* Private to libmqttseal-redis. */
#ifndef MQTTSEAL_REDIS_BACKEND_H
#define MQTTSEAL_REDIS_BACKEND_H

#include "conn.h"

#include <mqttseal/redis.h>

/* Options parsed from a URL; the strings are owned here. */
typedef struct ms_redis_url {
    mqttseal_redis_options o;
    char *host, *unix_path, *user, *password, *prefix;
    ms_tls_opts tls;
} ms_redis_url;

/** Parse url into u (zeroed first). @return OK, E_INVALID (diag), E_NOMEM */
int ms_redis_parse_url(ms_redis_url *u, const char *url, mqttseal_diag *diag);

/** Free what ms_redis_parse_url allocated (the password wiped). */
void ms_redis_url_free(ms_redis_url *u);

/** Check o's TLS options (and load its files once). @return OK,
 * E_INVALID (diag), E_NOMEM. */
int ms_redis_check_tls(const mqttseal_redis_options *o, mqttseal_diag *d);

/** Copy o's TLS strings into t. @return 0, or -1 (out of memory: free t). */
int ms_tls_opts_copy(ms_tls_opts *t, const mqttseal_redis_options *o);
void ms_tls_opts_free(ms_tls_opts *t);

/** Zero a secret string, then free it. NULL is ignored. */
void ms_redis_wipe_free(char *s);

/** printf into diag->message when it is not NULL; returns E_INVALID. */
int ms_redis_diag(mqttseal_diag *diag, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
