/* The Redis replay backend: one connection per handle (plain or TLS,
 * conn.h), guarded by a mutex, reconnected on demand, and never shared
 * with a forked child. */
#include "backend.h"
#include "conn.h"
#include "script.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MS_KEY_MAX (256 + 1 + 4 + MQTTSEAL_SESSIONIDBYTES)

struct mqttseal_redis {
    atomic_uint refs;
    pthread_mutex_t lock;
    ms_client c;
    unsigned c_gen; /* fork generation c was opened in */
    char *host, *unix_path, *user, *password, *prefix;
    int use_tls;
    ms_tls_opts tls;
    unsigned port, db, timeout_ms, retry_ms, window;
    uint64_t ttl_ms, skew_ms, retained_ms;
    uint64_t retry_at; /* monotonic ms: no reconnect before */
    char sha[41];
    char err[MS_ERR_CAP + 40];
    mqttseal_redis_stats st;
};

static uint64_t mono_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000U + (uint64_t)t.tv_nsec / 1000000U;
}

/* Bumped in every child of fork(): a child never speaks on its parent's
 * connection (their requests and replies would interleave, and a TLS
 * session's sequence numbers would collide); it opens its own. */
static atomic_uint fork_gen;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void child_after_fork(void)
{
    atomic_fetch_add(&fork_gen, 1);
}

static void watch_forks(void)
{
    pthread_atfork(NULL, NULL, child_after_fork);
}

static char *dup_or_null(const char *s, int *nomem)
{
    char *d = s != NULL ? strdup(s) : NULL;

    *nomem |= s != NULL && d == NULL;
    return d;
}

static void unref(mqttseal_redis *r)
{
    if (r == NULL || atomic_fetch_sub(&r->refs, 1) != 1)
        return;
    ms_client_close(&r->c, r->c_gen == atomic_load(&fork_gen));
    pthread_mutex_destroy(&r->lock);
    free(r->host);
    free(r->unix_path);
    free(r->user);
    ms_redis_wipe_free(r->password);
    free(r->prefix);
    ms_tls_opts_free(&r->tls);
    free(r);
}

static int check_options(const mqttseal_redis_options *o, mqttseal_diag *d)
{
    if (o->port > 65535)
        return ms_redis_diag(d, "%s", "port above 65535");
    if (o->prefix != NULL && (o->prefix[0] == '\0' || strlen(o->prefix) > 256))
        return ms_redis_diag(d, "%s", "key prefix empty or above 256 bytes");
    if (o->host != NULL && o->host[0] == '\0')
        return ms_redis_diag(d, "%s", "empty host");
    if (o->window != 0 &&
        (o->window < 64 || o->window > MQTTSEAL_REDIS_WINDOW_MAX ||
         (o->window & (o->window - 1)) != 0))
        return ms_redis_diag(d, "%s", "window: a power of two, 64 to 65536");
    if (o->user != NULL && o->password == NULL)
        return ms_redis_diag(d, "%s", "an ACL user needs a password");
    return ms_redis_check_tls(o, d);
}

int mqttseal_redis_new(mqttseal_redis **out, const mqttseal_redis_options *o,
                       mqttseal_diag *diag)
{
    mqttseal_redis *r;
    int nomem = 0, rc;

    if (diag != NULL)
        memset(diag, 0, sizeof *diag);
    if (out == NULL || (*out = NULL, o == NULL))
        return ms_redis_diag(diag, "%s", "no options");
    if ((rc = check_options(o, diag)) != MQTTSEAL_OK)
        return rc;
    if ((r = calloc(1, sizeof *r)) == NULL)
        return MQTTSEAL_E_NOMEM;
    pthread_once(&fork_once, watch_forks);
    atomic_init(&r->refs, 1);
    pthread_mutex_init(&r->lock, NULL);
    r->host = dup_or_null(o->host != NULL ? o->host : "127.0.0.1", &nomem);
    r->unix_path = dup_or_null(o->unix_path, &nomem);
    r->user = dup_or_null(o->user, &nomem);
    r->password = dup_or_null(o->password, &nomem);
    r->prefix = dup_or_null(
        o->prefix != NULL ? o->prefix : MQTTSEAL_REDIS_PREFIX_DEFAULT, &nomem);
    r->port = o->port != 0 ? o->port : MQTTSEAL_REDIS_PORT_DEFAULT;
    r->db = o->db;
    r->timeout_ms =
        o->timeout_ms != 0 ? o->timeout_ms : MQTTSEAL_REDIS_TIMEOUT_DEFAULT_MS;
    r->retry_ms =
        o->retry_ms != 0 ? o->retry_ms : MQTTSEAL_REDIS_RETRY_DEFAULT_MS;
    r->ttl_ms = o->ttl_ms != 0 ? o->ttl_ms : MQTTSEAL_REDIS_TTL_DEFAULT_MS;
    r->skew_ms = o->skew_ms != 0 ? o->skew_ms : MQTTSEAL_SKEW_DEFAULT_MS;
    r->retained_ms = o->retained_max_age_ms;
    r->window = o->window != 0 ? o->window : MQTTSEAL_REDIS_WINDOW_DEFAULT;
    r->use_tls = o->tls;
    nomem |= ms_tls_opts_copy(&r->tls, o) != 0;
    if (nomem) {
        unref(r);
        return MQTTSEAL_E_NOMEM;
    }
    *out = r;
    return MQTTSEAL_OK;
}

int mqttseal_redis_new_url(mqttseal_redis **out, const char *url,
                           mqttseal_diag *diag)
{
    ms_redis_url u;
    int rc;

    if (out != NULL)
        *out = NULL;
    if ((rc = ms_redis_parse_url(&u, url, diag)) != MQTTSEAL_OK)
        return rc;
    rc = mqttseal_redis_new(out, &u.o, diag);
    ms_redis_url_free(&u);
    return rc;
}

void mqttseal_redis_free(mqttseal_redis *r)
{
    unref(r);
}

/* Remember why the store failed; the text never holds the password. */
static void set_err(mqttseal_redis *r, const char *what, const char *why)
{
    snprintf(r->err, sizeof r->err, "%s: %s", what, why);
}

/* After an error: no close_notify, the stream is broken. */
static void drop(mqttseal_redis *r, const char *what)
{
    if (ms_client_is_open(&r->c)) {
        set_err(r, what, r->c.err[0] ? r->c.err : "I/O error");
        ms_client_close(&r->c, 0);
    }
}

static int append(mqttseal_redis *r, int argc, const char **argv,
                  const size_t *lens)
{
    size_t l[8];

    for (int i = 0; lens == NULL && i < argc; i++)
        l[i] = strlen(argv[i]);
    return ms_client_append(&r->c, argc, argv, lens != NULL ? lens : l);
}

/* AUTH, SELECT and SCRIPT LOAD in one pipelined round trip. */
static int handshake(mqttseal_redis *r)
{
    int n = 0, ok = 1;

    if (r->password != NULL) {
        const char *argv[3];
        int k = 0;
        argv[k++] = "AUTH";
        if (r->user != NULL)
            argv[k++] = r->user;
        argv[k++] = r->password;
        ok &= append(r, k, argv, NULL) == 0;
        n++;
    }
    if (r->db != 0) {
        char db[16];
        const char *argv[2] = {"SELECT", db};

        snprintf(db, sizeof db, "%u", r->db);
        ok &= append(r, 2, argv, NULL) == 0;
        n++;
    }
    const char *load[3] = {"SCRIPT", "LOAD", MS_REDIS_SCRIPT};
    ok &= append(r, 3, load, NULL) == 0;
    n++;
    if (!ok) {
        set_err(r, "setup", "out of memory");
        return MQTTSEAL_E_REPLAY_BACKEND;
    }
    r->st.round_trips++;
    for (int i = 0; i < n; i++) {
        redisReply *rep = ms_client_reply(&r->c);

        if (rep == NULL) {
            drop(r, "connection");
            return MQTTSEAL_E_REPLAY_BACKEND;
        }
        if (ok && rep->type == REDIS_REPLY_ERROR) {
            set_err(r, i == 0 && r->password != NULL ? "AUTH" : "setup",
                    rep->str);
            ok = 0;
        } else if (i == n - 1 && ok) {
            ok = rep->type == REDIS_REPLY_STRING && rep->len == 40;
            if (ok)
                memcpy(r->sha, rep->str, 41);
            else
                set_err(r, "SCRIPT LOAD", "unexpected reply");
        }
        freeReplyObject(rep);
    }
    return ok ? MQTTSEAL_OK : MQTTSEAL_E_REPLAY_BACKEND;
}

/* A connection opened before a fork belongs to the parent: the child
 * lets go of it silently (no close_notify) and connects afresh. */
static void leave_parents(mqttseal_redis *r)
{
    if (ms_client_is_open(&r->c) && r->c_gen != atomic_load(&fork_gen)) {
        ms_client_close(&r->c, 0);
        r->retry_at = 0;
    }
}

/* Connected (*fresh, if given, is set when that took a new connection). */
static int connect_now(mqttseal_redis *r, int *fresh)
{
    ms_conn_target t = {r->host, r->unix_path, r->port, r->timeout_ms,
                        r->use_tls ? &r->tls : NULL};
    uint64_t now;

    leave_parents(r);
    if (ms_client_is_open(&r->c))
        return MQTTSEAL_OK;
    now = mono_ms();
    if (now < r->retry_at)
        return MQTTSEAL_E_REPLAY_BACKEND; /* r->err still says why */
    r->retry_at = now + r->retry_ms;
    r->c_gen = atomic_load(&fork_gen);
    if (ms_client_open(&r->c, &t) != 0) {
        snprintf(r->err, sizeof r->err, "%s", r->c.err);
        return MQTTSEAL_E_REPLAY_BACKEND;
    }
    if (handshake(r) != MQTTSEAL_OK) {
        ms_client_close(&r->c, 1); /* r->err names the refusal */
        return MQTTSEAL_E_REPLAY_BACKEND;
    }
    r->st.connects++;
    r->err[0] = '\0';
    if (fresh != NULL)
        *fresh = 1;
    return MQTTSEAL_OK;
}

/* One script run: EVALSHA, or EVAL if the server lost the script (a
 * restart, SCRIPT FLUSH). *rep is NULL after an I/O error. */
static redisReply *run_script(mqttseal_redis *r, const char *key, size_t klen,
                              char args[5][24])
{
    const char *argv[9] = {"EVALSHA", r->sha,  "1",     key,    args[0],
                           args[1],   args[2], args[3], args[4]};
    size_t lens[9];
    redisReply *rep;

    for (int i = 0; i < 9; i++)
        lens[i] = strlen(argv[i]);
    lens[3] = klen;
    r->st.round_trips++;
    rep = append(r, 9, argv, lens) == 0 ? ms_client_reply(&r->c) : NULL;
    if (rep != NULL && rep->type == REDIS_REPLY_ERROR &&
        strncmp(rep->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(rep);
        r->st.noscript++;
        argv[0] = "EVAL";
        argv[1] = MS_REDIS_SCRIPT;
        lens[0] = 4;
        lens[1] = strlen(MS_REDIS_SCRIPT);
        r->st.round_trips++;
        rep = append(r, 9, argv, lens) == 0 ? ms_client_reply(&r->c) : NULL;
    }
    return rep;
}

static int verdict(mqttseal_redis *r, const redisReply *rep)
{
    if (rep->type == REDIS_REPLY_STRING || rep->type == REDIS_REPLY_STATUS) {
        if (strcmp(rep->str, "OK") == 0)
            return MQTTSEAL_OK;
        if (strcmp(rep->str, "REPLAY") == 0)
            return MQTTSEAL_E_REPLAY;
        if (strcmp(rep->str, "TOO_OLD") == 0)
            return MQTTSEAL_E_TOO_OLD;
    }
    set_err(r, "script",
            rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
    return MQTTSEAL_E_REPLAY_BACKEND;
}

/* Lock held. A connection that breaks is dropped; one that was reused
 * (Redis may have restarted since) gets one fresh retry. */
static int check_locked(mqttseal_redis *r, const char *key, size_t klen,
                        char args[5][24])
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int fresh = 0;
        redisReply *rep;

        if (attempt > 0)
            r->retry_at = 0; /* the reused connection broke: at once */
        if (connect_now(r, &fresh) != MQTTSEAL_OK)
            return MQTTSEAL_E_REPLAY_BACKEND;
        if ((rep = run_script(r, key, klen, args)) != NULL) {
            int rc = verdict(r, rep);
            freeReplyObject(rep);
            return rc;
        }
        drop(r, "command");
        if (fresh)
            break;
    }
    return MQTTSEAL_E_REPLAY_BACKEND;
}

static uint64_t expiry_ms(const mqttseal_redis *r, uint64_t max_age_ms)
{
    uint64_t age = max_age_ms;

    if (max_age_ms == 0)
        return r->ttl_ms == MQTTSEAL_REDIS_TTL_NEVER ? 0 : r->ttl_ms;
    if (r->retained_ms > age)
        age = r->retained_ms;
    return age + r->skew_ms;
}

static int redis_accept(void *state, uint32_t key_id,
                        const unsigned char sid[MQTTSEAL_SESSIONIDBYTES],
                        uint64_t seq, int has_ts, uint64_t ts_ms,
                        uint64_t max_age_ms)
{
    mqttseal_redis *r = state;
    char key[MS_KEY_MAX], args[5][24];
    size_t plen = strlen(r->prefix);
    int rc;

    memcpy(key, r->prefix, plen);
    key[plen] = ':';
    for (int i = 0; i < 4; i++)
        key[plen + 1 + i] = (char)(key_id >> (24 - 8 * i));
    memcpy(key + plen + 5, sid, MQTTSEAL_SESSIONIDBYTES);
    snprintf(args[0], sizeof args[0], "%lu", (unsigned long)(seq >> 32));
    snprintf(args[1], sizeof args[1], "%lu",
             (unsigned long)(seq & 0xffffffffU));
    snprintf(args[2], sizeof args[2], "%llu",
             (unsigned long long)(has_ts ? ts_ms : 0));
    snprintf(args[4], sizeof args[4], "%u", r->window);
    snprintf(args[3], sizeof args[3], "%llu",
             (unsigned long long)expiry_ms(r, max_age_ms));
    pthread_mutex_lock(&r->lock);
    r->st.checks++;
    rc = check_locked(r, key, plen + 5 + MQTTSEAL_SESSIONIDBYTES, args);
    r->st.accepted += rc == MQTTSEAL_OK;
    r->st.replays += rc == MQTTSEAL_E_REPLAY;
    r->st.too_old += rc == MQTTSEAL_E_TOO_OLD;
    r->st.failures += rc == MQTTSEAL_E_REPLAY_BACKEND;
    pthread_mutex_unlock(&r->lock);
    return rc;
}

static void redis_release(void *state)
{
    unref(state);
}

int mqttseal_redis_attach(mqttseal_redis *r, mqttseal_ctx *ctx)
{
    mqttseal_replay_backend b = {redis_accept, redis_release, r};
    int rc;

    if (r == NULL || ctx == NULL)
        return MQTTSEAL_E_INVALID;
    atomic_fetch_add(&r->refs, 1);
    if ((rc = mqttseal_ctx_set_replay_backend(ctx, &b)) != MQTTSEAL_OK)
        unref(r);
    return rc;
}

int mqttseal_redis_ping(mqttseal_redis *r)
{
    redisReply *rep = NULL;
    int rc;

    if (r == NULL)
        return MQTTSEAL_E_INVALID;
    pthread_mutex_lock(&r->lock);
    r->retry_at = 0;
    if ((rc = connect_now(r, NULL)) == MQTTSEAL_OK) {
        const char *ping[1] = {"PING"};

        r->st.round_trips++;
        rep = append(r, 1, ping, NULL) == 0 ? ms_client_reply(&r->c) : NULL;
        if (rep == NULL) {
            drop(r, "PING");
            rc = MQTTSEAL_E_REPLAY_BACKEND;
        } else if (rep->type == REDIS_REPLY_ERROR) {
            set_err(r, "PING", rep->str);
            rc = MQTTSEAL_E_REPLAY_BACKEND;
        }
        freeReplyObject(rep);
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

void mqttseal_redis_last_error(mqttseal_redis *r, char *buf, size_t cap)
{
    if (buf == NULL || cap == 0)
        return;
    buf[0] = '\0';
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->lock);
    snprintf(buf, cap, "%s", r->err);
    pthread_mutex_unlock(&r->lock);
}

void mqttseal_redis_get_stats(mqttseal_redis *r, mqttseal_redis_stats *st)
{
    if (st == NULL)
        return;
    memset(st, 0, sizeof *st);
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->lock);
    *st = r->st;
    pthread_mutex_unlock(&r->lock);
}
