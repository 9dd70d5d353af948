/* redis:// and unix:// URLs into mqttseal_redis_options. */
#include "backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS_SECONDS_MAX 315360000ULL /* ten years */

int ms_redis_diag(mqttseal_diag *diag, const char *fmt, ...)
{
    if (diag != NULL) {
        va_list ap;

        diag->line = 0;
        va_start(ap, fmt);
        vsnprintf(diag->message, sizeof diag->message, fmt, ap);
        va_end(ap);
    }
    return MQTTSEAL_E_INVALID;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* *out = a copy of s[0..n) with %XX decoded. E_INVALID for a bad escape
 * or an escaped NUL. */
static int decode(char **out, const char *s, size_t n)
{
    char *buf = malloc(n + 1);
    size_t k = 0;

    *out = NULL;
    if (buf == NULL)
        return MQTTSEAL_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;

        if (s[i] != '%') {
            buf[k++] = s[i];
            continue;
        }
        hi = i + 1 < n ? hexval(s[i + 1]) : -1;
        lo = i + 2 < n ? hexval(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi | lo) == 0) {
            free(buf);
            return MQTTSEAL_E_INVALID;
        }
        buf[k++] = (char)(hi * 16 + lo);
        i += 2;
    }
    buf[k] = '\0';
    *out = buf;
    return MQTTSEAL_OK;
}

/* A decimal number in s[0..n), at most max. */
static int number(const char *s, size_t n, unsigned long long max,
                  unsigned long long *v)
{
    *v = 0;
    if (n == 0 || n > 20)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || *v > (max - (s[i] - '0')) / 10)
            return -1;
        *v = *v * 10 + (unsigned)(s[i] - '0');
    }
    return 0;
}

/* USER:PASSWORD or :PASSWORD or PASSWORD (redis-cli's -u habit). */
static int userinfo(ms_redis_url *u, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    int rc;

    if (colon == NULL)
        return decode(&u->password, s, n);
    if (colon > s && (rc = decode(&u->user, s, (size_t)(colon - s))) != 0)
        return rc;
    return decode(&u->password, colon + 1, n - (size_t)(colon + 1 - s));
}

/* The string parameters: where NAME=VALUE goes (NULL: not NAME). */
static char **string_param(ms_redis_url *u, const char *s, size_t kn)
{
    static const char *const names[] = {"prefix",  "cacert",      "cacertdir",
                                        "cert",    "key",         "sni",
                                        "ciphers", "ciphersuites"};
    char **dest[] = {&u->prefix,      &u->tls.ca_file,     &u->tls.ca_dir,
                     &u->tls.cert,    &u->tls.key,         &u->tls.server_name,
                     &u->tls.ciphers, &u->tls.ciphersuites};

    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (strlen(names[i]) == kn && memcmp(s, names[i], kn) == 0)
            return dest[i];
    }
    return NULL;
}

/* One NAME=VALUE query parameter. */
static int param(ms_redis_url *u, const char *s, size_t n, mqttseal_diag *d)
{
    static const char *const secs[] = {"ttl", "skew", "retained_max_age"};
    const char *eq = memchr(s, '=', n);
    size_t kn = eq != NULL ? (size_t)(eq - s) : n, vn;
    unsigned long long v;
    char **str;

    if (eq == NULL)
        return ms_redis_diag(d, "URL parameter '%.40s' has no '=VALUE'", s);
    vn = n - kn - 1;
    if ((str = string_param(u, s, kn)) != NULL) {
        free(*str);
        return decode(str, eq + 1, vn);
    }
    for (int i = 0; i < 3; i++) {
        if (strlen(secs[i]) == kn && memcmp(s, secs[i], kn) == 0) {
            if (number(eq + 1, vn, MS_SECONDS_MAX, &v) != 0)
                return ms_redis_diag(d,
                                     "URL parameter %.40s: not a number "
                                     "of seconds",
                                     s);
            uint64_t ms = v * 1000;
            if (i == 0)
                u->o.ttl_ms = v == 0 ? MQTTSEAL_REDIS_TTL_NEVER : ms;
            else if (i == 1)
                u->o.skew_ms = ms;
            else
                u->o.retained_max_age_ms = ms;
            return MQTTSEAL_OK;
        }
    }
    if ((kn == 7 && memcmp(s, "timeout", 7) == 0) ||
        (kn == 5 && memcmp(s, "retry", 5) == 0) ||
        (kn == 6 && memcmp(s, "window", 6) == 0) ||
        (kn == 2 && memcmp(s, "db", 2) == 0)) {
        if (number(eq + 1, vn, kn == 2 ? 65535 : 3600000, &v) != 0 ||
            (kn == 7 && v == 0))
            return ms_redis_diag(d, "URL parameter %.40s: bad number", s);
        if (kn == 7)
            u->o.timeout_ms = (unsigned)v;
        else if (kn == 5)
            u->o.retry_ms = (unsigned)v;
        else if (kn == 6)
            u->o.window = (unsigned)v;
        else
            u->o.db = (unsigned)v;
        return MQTTSEAL_OK;
    }
    return ms_redis_diag(
        d,
        "unknown URL parameter '%.40s' (known: prefix, db, window, ttl, "
        "skew, retained_max_age, timeout, retry; with rediss://: cacert, "
        "cacertdir, cert, key, sni, ciphers, ciphersuites)",
        s);
}

static int query(ms_redis_url *u, const char *q, mqttseal_diag *d)
{
    while (*q != '\0') {
        size_t n = strcspn(q, "&");
        int rc = n > 0 ? param(u, q, n, d) : MQTTSEAL_OK;

        if (rc != MQTTSEAL_OK)
            return rc;
        q += n + (q[n] == '&');
    }
    return MQTTSEAL_OK;
}

/* HOST[:PORT] or [V6][:PORT], s[0..n). */
static int hostport(ms_redis_url *u, const char *s, size_t n, mqttseal_diag *d)
{
    const char *end = s + n, *colon;
    unsigned long long port;

    if (n > 0 && s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (rb == NULL)
            return ms_redis_diag(d, "%s", "URL host: '[' without ']'");
        if ((u->host = strndup(s + 1, (size_t)(rb - s - 1))) == NULL)
            return MQTTSEAL_E_NOMEM;
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
        if (rb + 1 < end && colon == NULL)
            return ms_redis_diag(d, "%s", "URL host: junk after ']'");
    } else {
        colon = memchr(s, ':', n);
        size_t hn = colon != NULL ? (size_t)(colon - s) : n;
        if (hn > 0 && (u->host = strndup(s, hn)) == NULL)
            return MQTTSEAL_E_NOMEM;
    }
    if (colon != NULL) {
        if (number(colon + 1, (size_t)(end - colon - 1), 65535, &port) != 0 ||
            port == 0)
            return ms_redis_diag(d, "%s", "URL port: not a number 1..65535");
        u->o.port = (unsigned)port;
    }
    return MQTTSEAL_OK;
}

/* After "scheme://": [userinfo@]authority-or-path[?query]. */
static int rest(ms_redis_url *u, const char *s, int is_unix, mqttseal_diag *d)
{
    size_t qpos = strcspn(s, "?"), at;
    int rc = MQTTSEAL_OK;
    unsigned long long db;

    /* userinfo ends at the last '@' before the path or query. */
    at = qpos;
    for (size_t i = 0; i < qpos; i++) {
        if (s[i] == '@')
            at = i;
    }
    if (at < qpos) {
        if ((rc = userinfo(u, s, at)) != MQTTSEAL_OK)
            return rc == MQTTSEAL_E_INVALID
                       ? ms_redis_diag(d, "%s",
                                       "URL user or password: bad "
                                       "%XX escape")
                       : rc;
        s += at + 1;
        qpos -= at + 1;
    }
    if (is_unix) {
        if (qpos == 0 || s[0] != '/')
            return ms_redis_diag(d, "%s",
                                 "unix:// URL: give an absolute "
                                 "socket path (unix:///run/r.sock)");
        if ((rc = decode(&u->unix_path, s, qpos)) != MQTTSEAL_OK)
            return rc;
    } else {
        size_t slash = strcspn(s, "/?");

        if ((rc = hostport(u, s, slash, d)) != MQTTSEAL_OK)
            return rc;
        if (s[slash] == '/' && slash + 1 < qpos) {
            if (number(s + slash + 1, qpos - slash - 1, 65535, &db) != 0)
                return ms_redis_diag(d, "%s",
                                     "URL path: /DB must be a "
                                     "database number");
            u->o.db = (unsigned)db;
        }
    }
    return s[qpos] == '?' ? query(u, s + qpos + 1, d) : MQTTSEAL_OK;
}

int ms_redis_parse_url(ms_redis_url *u, const char *url, mqttseal_diag *diag)
{
    int rc;

    memset(u, 0, sizeof *u);
    if (diag != NULL)
        memset(diag, 0, sizeof *diag);
    if (url == NULL)
        return ms_redis_diag(diag, "%s", "no URL");
    u->o.tls = strncmp(url, "rediss://", 9) == 0;
    if (u->o.tls)
        rc = rest(u, url + 9, 0, diag);
    else if (strncmp(url, "redis://", 8) == 0)
        rc = rest(u, url + 8, 0, diag);
    else if (strncmp(url, "unix://", 7) == 0)
        rc = rest(u, url + 7, 1, diag);
    else
        return ms_redis_diag(diag,
                             "'%.60s' is not a redis://, rediss:// or "
                             "unix:// URL",
                             url);
    if (rc == MQTTSEAL_OK) {
        u->o.host = u->host;
        u->o.unix_path = u->unix_path;
        u->o.user = u->user;
        u->o.password = u->password;
        u->o.prefix = u->prefix;
        u->o.tls_ca_file = u->tls.ca_file;
        u->o.tls_ca_dir = u->tls.ca_dir;
        u->o.tls_cert = u->tls.cert;
        u->o.tls_key = u->tls.key;
        u->o.tls_server_name = u->tls.server_name;
        u->o.tls_ciphers = u->tls.ciphers;
        u->o.tls_ciphersuites = u->tls.ciphersuites;
    } else {
        if (rc == MQTTSEAL_E_INVALID && diag != NULL && !diag->message[0])
            ms_redis_diag(diag, "%s", "bad %XX escape in the URL");
        ms_redis_url_free(u);
    }
    return rc;
}

void ms_redis_wipe_free(char *s)
{
    if (s != NULL) {
        volatile char *p = s;
        while (*p != '\0')
            *p++ = 0;
        free(s);
    }
}

void ms_redis_url_free(ms_redis_url *u)
{
    free(u->host);
    free(u->unix_path);
    free(u->user);
    ms_redis_wipe_free(u->password);
    free(u->prefix);
    ms_tls_opts_free(&u->tls);
    memset(u, 0, sizeof *u);
}
