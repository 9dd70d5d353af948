/* The TLS options of a handle: checked (the files loaded once), copied,
 * freed. */
#include "backend.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define MS_TLS_FIELDS 7

/* The option strings in ms_tls_opts order. */
static void option_strings(const mqttseal_redis_options *o,
                           const char *v[MS_TLS_FIELDS])
{
    v[0] = o->tls_ca_file;
    v[1] = o->tls_ca_dir;
    v[2] = o->tls_cert;
    v[3] = o->tls_key;
    v[4] = o->tls_server_name;
    v[5] = o->tls_ciphers;
    v[6] = o->tls_ciphersuites;
}

/* Where each of those strings goes in an ms_tls_opts. */
static const size_t field_at[MS_TLS_FIELDS] = {
    offsetof(ms_tls_opts, ca_file),     offsetof(ms_tls_opts, ca_dir),
    offsetof(ms_tls_opts, cert),        offsetof(ms_tls_opts, key),
    offsetof(ms_tls_opts, server_name), offsetof(ms_tls_opts, ciphers),
    offsetof(ms_tls_opts, ciphersuites)};

static char **field(ms_tls_opts *t, int i)
{
    return (char **)(void *)((unsigned char *)t + field_at[i]);
}

int ms_tls_opts_copy(ms_tls_opts *t, const mqttseal_redis_options *o)
{
    const char *v[MS_TLS_FIELDS];
    int nomem = 0;

    option_strings(o, v);
    memset(t, 0, sizeof *t);
    for (int i = 0; i < MS_TLS_FIELDS; i++) {
        *field(t, i) = v[i] != NULL ? strdup(v[i]) : NULL;
        nomem |= v[i] != NULL && *field(t, i) == NULL;
    }
    return nomem ? -1 : 0;
}

void ms_tls_opts_free(ms_tls_opts *t)
{
    for (int i = 0; i < MS_TLS_FIELDS; i++)
        free(*field(t, i));
    memset(t, 0, sizeof *t);
}

static int any_set(const char *v[MS_TLS_FIELDS], int *empty)
{
    int set = 0;

    for (int i = 0; i < MS_TLS_FIELDS; i++) {
        set |= v[i] != NULL;
        *empty |= v[i] != NULL && v[i][0] == '\0';
    }
    return set;
}

/* Load the files now, so that a wrong path is found at start-up. */
static int try_load(const mqttseal_redis_options *o, mqttseal_diag *d)
{
    ms_tls_opts t;
    char err[MS_ERR_CAP];
    void *ctx;

    if (ms_tls_opts_copy(&t, o) != 0) {
        ms_tls_opts_free(&t);
        return MQTTSEAL_E_NOMEM;
    }
    ctx = ms_tls_ctx_new(&t, err);
    ms_tls_opts_free(&t);
    if (ctx == NULL)
        return ms_redis_diag(d, "%s", err);
    ms_tls_ctx_free(ctx);
    return MQTTSEAL_OK;
}

int ms_redis_check_tls(const mqttseal_redis_options *o, mqttseal_diag *d)
{
    const char *v[MS_TLS_FIELDS];
    int empty = 0, set;

    option_strings(o, v);
    set = any_set(v, &empty);
    if (!o->tls)
        return set ? ms_redis_diag(d, "%s",
                                   "TLS options without TLS: use "
                                   "rediss:// (tls = 1)")
                   : MQTTSEAL_OK;
    if (empty)
        return ms_redis_diag(d, "%s", "an empty TLS option");
    if (o->unix_path != NULL)
        return ms_redis_diag(d, "%s",
                             "TLS runs over TCP, not over a unix socket");
    if ((o->tls_cert == NULL) != (o->tls_key == NULL))
        return ms_redis_diag(d, "%s",
                             "a TLS client certificate needs its key, "
                             "and a key its certificate");
    return try_load(o, d);
}
