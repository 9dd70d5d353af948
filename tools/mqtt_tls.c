/* TLS for mqttseal pub and sub: mosquitto's option names, Paho's TLS
 * options, and one-line errors. */
#include "mqtt_opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The TLS options; -1 if c is none of them. */
int mqtt_tls_handle(struct mqtt_opts *o, int c, const char *arg)
{
    switch (c) {
    case OPT_CAFILE:
        o->cafile = arg;
        return CLI_OK;
    case OPT_CAPATH:
        o->capath = arg;
        return CLI_OK;
    case OPT_CERT:
        o->cert = arg;
        return CLI_OK;
    case OPT_KEY:
        o->key = arg;
        return CLI_OK;
    case OPT_INSECURE:
        o->insecure = 1;
        return CLI_OK;
    case OPT_TLS_VERSION:
        if (strcmp(arg, "tlsv1.2") == 0)
            o->tls_version = 12;
        else if (strcmp(arg, "tlsv1.3") == 0)
            o->tls_version = 13;
        else
            return cli_usage(o->cmd,
                             "--tls-version '%s': give tlsv1.2 or "
                             "tlsv1.3 (older versions are not offered)",
                             arg);
        return CLI_OK;
    default:
        return -1;
    }
}

int mqtt_opts_tls(const struct mqtt_opts *o)
{
    return o->url_tls || o->cafile || o->capath || o->insecure;
}

/* A file TLS needs: readable now, so that its error names it. */
static int check_readable(const struct mqtt_opts *o, const char *opt,
                          const char *path, int dir)
{
    struct stat st;

    if (path == NULL)
        return CLI_OK;
    if (stat(path, &st) != 0 || access(path, R_OK) != 0)
        return cli_fail(CLI_FILE, "%s: %s '%s': %s (check the path)", o->cmd,
                        opt, path, strerror(errno));
    if (dir != S_ISDIR(st.st_mode))
        return cli_fail(CLI_FILE, "%s: %s '%s' is %s", o->cmd, opt, path,
                        dir ? "not a directory" : "a directory");
    return CLI_OK;
}

int mqtt_tls_check(struct mqtt_opts *o)
{
    int rc;

    if (!mqtt_opts_tls(o) && (o->cert || o->key || o->tls_version))
        return cli_usage(o->cmd, "--cert, --key and --tls-version need TLS: "
                                 "give --cafile or --capath (or -L "
                                 "mqtts://...)");
    if ((o->cert == NULL) != (o->key == NULL))
        return cli_usage(o->cmd, "--cert and --key go together");
    rc = check_readable(o, "--cafile", o->cafile, 0);
    if (rc == CLI_OK)
        rc = check_readable(o, "--capath", o->capath, 1);
    if (rc == CLI_OK)
        rc = check_readable(o, "--cert", o->cert, 0);
    if (rc == CLI_OK)
        rc = check_readable(o, "--key", o->key, 0);
    return rc;
}

/*
 * --tls-version: Paho 1.3.12 with OpenSSL 3 ignores sslVersion, and its
 * SSL_CTX is out of reach; OpenSSL applies the "system_default" section
 * of its configuration to every context it creates. Give it one that
 * pins the version, read once from a pipe (no file on disk), before
 * Paho's first TLS call. It replaces the system configuration for this
 * process only; it keeps Debian's security level.
 */
int mqtt_tls_pin(const struct mqtt_opts *o)
{
    static char env[64];
    char conf[400];
    int fd[2], n;
    const char *v = o->tls_version == 13 ? "TLSv1.3" : "TLSv1.2";

    n = snprintf(conf, sizeof conf,
                 "openssl_conf = mqttseal_init\n"
                 "[mqttseal_init]\nssl_conf = mqttseal_ssl\n"
                 "[mqttseal_ssl]\nsystem_default = mqttseal_tls\n"
                 "[mqttseal_tls]\nMinProtocol = %s\nMaxProtocol = %s\n"
                 "CipherString = DEFAULT:@SECLEVEL=2\n",
                 v, v);
    if (pipe(fd) != 0)
        return cli_fail(CLI_FILE, "%s: --tls-version: %s", o->cmd,
                        strerror(errno));
    if (write(fd[1], conf, (size_t)n) != n) {
        close(fd[0]);
        close(fd[1]);
        return cli_fail(CLI_FILE, "%s: --tls-version: cannot set it up",
                        o->cmd);
    }
    close(fd[1]); /* fd[0] stays open: OpenSSL reads it at its first use */
    snprintf(env, sizeof env, "/proc/self/fd/%d", fd[0]);
    if (setenv("OPENSSL_CONF", env, 1) != 0)
        return cli_fail(CLI_FILE, "%s: --tls-version: %s", o->cmd,
                        strerror(errno));
    return CLI_OK;
}

/* Paho passes OpenSSL's error lines here; keep the first. */
static int on_tls_error(const char *str, size_t len, void *u)
{
    struct mqtt_conn *c = u;

    if (c->tls_error[0] == '\0') {
        if (len >= sizeof c->tls_error)
            len = sizeof c->tls_error - 1;
        memcpy(c->tls_error, str, len);
        c->tls_error[len] = '\0';
        c->tls_error[strcspn(c->tls_error, "\r\n")] = '\0';
    }
    return 0;
}

void mqtt_tls_options(struct mqtt_conn *c, const struct mqtt_opts *o,
                      MQTTClient_SSLOptions *ssl)
{
    ssl->trustStore = o->cafile;
    ssl->CApath = o->capath;
    ssl->keyStore = o->cert;
    ssl->privateKey = o->key;
    ssl->enableServerCertAuth = 1; /* the chain is always verified */
    ssl->verify = !o->insecure;    /* the host name check */
    ssl->ssl_error_cb = on_tls_error;
    ssl->ssl_error_context = c;
    c->tls_error[0] = '\0';
}

/* Why a TLS connect failed, from OpenSSL's first error line. */
int mqtt_tls_fail(const struct mqtt_conn *c, const struct mqtt_opts *o)
{
    /* OpenSSL's lines: "...error:CODE:LIBRARY:FUNCTION:REASON:FILE:..." */
    const char *why = strstr(c->tls_error, "error:");
    const char *hint = "check --cafile, --cert and --key, and that the "
                       "port is a TLS listener";
    char reason[128] = "the handshake failed";
    size_t n;

    for (int i = 0; why != NULL && i < 4; i++)
        if ((why = strchr(why, ':')) != NULL)
            why++;
    if (why != NULL && (n = strcspn(why, ":")) > 0 && n < sizeof reason) {
        memcpy(reason, why, n);
        reason[n] = '\0';
    }
    if (strstr(reason, "certificate verify failed") != NULL)
        hint = "the broker's certificate is not signed by --cafile or "
               "--capath, or does not name the host; --insecure skips "
               "that check";
    else if (strstr(reason, "version") != NULL)
        hint = "the broker does not offer this TLS version: see "
               "--tls-version";
    else if (strstr(reason, "certificate required") != NULL)
        hint = "the broker wants a client certificate: give --cert and "
               "--key";
    return cli_fail(CLI_BROKER, "%s: cannot connect to %s with TLS: %s (%s)",
                    o->cmd, mqtt_opts_where(o), reason, hint);
}
