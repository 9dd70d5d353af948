/*
 * mqttseal/redis.h: replay state shared by a consumer group, in Redis.
 * Library libmqttseal-redis (pkg-config "mqttseal-redis"), built on
 * hiredis; the core library still depends on libsodium only.
 *
 * Contents
 *   1. The backend handle (options, URL, attach, free)
 *   2. Errors and counters
 *
 * Why: with MQTT shared subscriptions ($share/GROUP/site/#) the broker
 * hands each message to one consumer of the group, so a replay can land
 * on a consumer that never saw the original. Attached to every
 * consumer's context, this backend keeps the group's replay windows in
 * one Redis and gives each consumer the same answer one process would.
 *
 *     mqttseal_redis *r = NULL;
 *     mqttseal_diag d;
 *     if (mqttseal_redis_new_url(&r, "redis://127.0.0.1:6379/0?prefix=site1",
 *                                &d) != MQTTSEAL_OK) ... d.message ...
 *     mqttseal_redis_attach(r, ctx);   // or mqttseal_paho_ctx(hooks)
 *     mqttseal_redis_free(r);          // the context keeps its reference
 *
 * Semantics (docs/FORMAT.md section 9): per (key id, replay id) the
 * highest accepted sequence number and a sliding window of W bits. A
 * seen number is MQTTSEAL_E_REPLAY, one at or below highest - W
 * MQTTSEAL_E_TOO_OLD. Check and update of one window run as one Lua
 * script on the server (EVALSHA, EVAL when the server answers NOSCRIPT),
 * so consumers never race: one round trip per opened message. Only
 * messages that authenticated and passed freshness reach Redis.
 *
 * Window width: W defaults to 4096 bits, not the in-process 64. The
 * consumers of a group run out of step: the broker spreads one sender's
 * messages over all of them and Paho queues ahead of each, so a consumer
 * opens number n while another has already accepted n + 1,000 or more.
 * In a full-speed burst over 3 consumers, W = 64 refused about 38 % of
 * legitimate messages as too old and W = 1024 about 17 %; W = 4096
 * refused none. Size W to at least the number of one sender's messages
 * that can be in flight across the group at once (the sender's burst
 * while the slowest consumer lags: roughly the consumers' receive queues
 * plus the broker's in-flight limit per consumer, summed over the
 * group); a power of two, 64 to 65536 (MQTTSEAL_REDIS_WINDOW_MAX). A
 * value holds 24 + W/8 bytes (712 B per session key in Redis at 4096,
 * measured with MEMORY USAGE). Every consumer of a group must use the
 * same W: an existing key of another width is answered with
 * E_REPLAY_BACKEND (fail closed), so change W with a new prefix. A
 * window too narrow never lets a replay through; it refuses legitimate
 * messages with MQTTSEAL_E_TOO_OLD, and that is never silent: the
 * refusal goes to the open's caller (the Paho hooks' rejection callback
 * and mqttseal_paho_rejected counters, "rejected ... older than the
 * replay window" from mqttseal sub) and is counted in
 * mqttseal_redis_stats.too_old. A non-zero too_old with no attacker
 * about means W is too small.
 *
 * Expiry: each session is one Redis string key, PREFIX ":" + 4-byte key
 * id + 12-byte replay id (binary), holding 24 bytes (highest, newest
 * timestamp) and the W-bit window. With freshness on (the context's max age A >
 * 0) it expires A + skew (+ retained_max_age - A if larger) after its last
 * accepted message: by then every message it could refuse is stale and
 * refused anyway, so Redis memory is bounded by the senders active within
 * that time. Without freshness it expires ttl_ms after its last message
 * (0: never); a session silent for longer is forgotten, and each of its
 * captured messages can then be replayed once. Use freshness in fleets.
 *
 * Failure: if Redis cannot be reached, or answers with an error (wrong
 * password, NOPERM, OOM, READONLY), the open fails with
 * MQTTSEAL_E_REPLAY_BACKEND and nothing is delivered. The next open
 * reconnects (at most once per retry_ms, so an unreachable server does
 * not stall every message for a whole timeout).
 *
 * TLS (rediss://, or tls = 1), with the options of redis-cli --tls: the
 * server's certificate is always verified, against tls_ca_file and
 * tls_ca_dir (--cacert, --cacertdir) or else the system's CAs, and must
 * name tls_server_name (--sni), or else the host: a DNS name is sent as
 * SNI and matched, an IP address is matched against the certificate's IP
 * addresses. A client certificate (--cert, --key) is sent when given, as
 * Redis's tls-auth-clients asks. TLS 1.2 or later; tls_ciphers and
 * tls_ciphersuites as --tls-ciphers and --tls-ciphersuites. There is no
 * option to skip verification: trust a self-signed server by giving its
 * certificate as the CA file. The files are read when the handle is made
 * (a missing or mismatched file is E_INVALID then, with the reason) and
 * again at each reconnect, so rotated certificates take effect without a
 * restart. A refused certificate is E_REPLAY_BACKEND at the open, and
 * mqttseal_redis_last_error says why ("TLS: server certificate refused:
 * Hostname mismatch"). hiredis 0.14.1 (Debian bookworm) has no TLS, so
 * this library does its own socket and TLS I/O (OpenSSL) and uses hiredis
 * for the protocol only. AUTH with a password, and ACL user + password
 * (Redis 6+), are supported, over TLS or not.
 *
 * Fork: a child of fork() never uses its parent's connection (requests
 * and replies would interleave, and a TLS stream would break): its first
 * use opens its own. Do not fork while another thread is inside an open.
 *
 * Threads: a handle may be attached to several contexts and used from
 * any thread (MQTTAsync calls back on its own); one mutex guards its
 * single connection, so opens through one handle are serialised.
 */
#ifndef MQTTSEAL_REDIS_H
#define MQTTSEAL_REDIS_H

#include <mqttseal/mqttseal.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------
 * 1. The backend handle
 * ------------------------------------------------------------------- */

#define MQTTSEAL_REDIS_PORT_DEFAULT 6379U
#define MQTTSEAL_REDIS_PREFIX_DEFAULT "mqttseal"
#define MQTTSEAL_REDIS_TTL_DEFAULT_MS 604800000U /* 7 days, no freshness */
#define MQTTSEAL_REDIS_TIMEOUT_DEFAULT_MS 1000U  /* connect and commands */
#define MQTTSEAL_REDIS_RETRY_DEFAULT_MS 100U     /* between reconnects */
#define MQTTSEAL_REDIS_WINDOW_DEFAULT 4096U      /* replay window, bits */
#define MQTTSEAL_REDIS_WINDOW_MAX 65536U         /* widest window, bits */

/** Where Redis is and how to use it. Zero/NULL fields take defaults. */
typedef struct mqttseal_redis_options {
    const char *host;      /* TCP host (default 127.0.0.1) */
    unsigned port;         /* default 6379 */
    const char *unix_path; /* unix socket instead of TCP when set */
    const char *user;      /* ACL user (Redis 6+); NULL: AUTH password */
    const char *password;  /* NULL: no AUTH */
    unsigned db;           /* SELECT db (default 0) */
    const char *prefix;    /* key prefix per deployment (default mqttseal) */
    uint64_t ttl_ms;       /* expiry without freshness (default 7 days);
                              MQTTSEAL_REDIS_TTL_NEVER: never expire */
    uint64_t skew_ms;      /* added to the expiry (default: the library's
                              default skew, 30 s) */
    uint64_t retained_max_age_ms; /* receivers' retained maximum age, if
                                     longer than their max age */
    unsigned timeout_ms;         /* connect and command timeout (default 1 s) */
    unsigned retry_ms;           /* least time between reconnects (100 ms) */
    unsigned window;             /* replay window in bits: a power of two, 64 to
                                    65536 (default 4096, see above) */
    int tls;                     /* 1: TLS over TCP (rediss://) */
    const char *tls_ca_file;     /* CAs to trust, PEM (--cacert) */
    const char *tls_ca_dir;      /* hashed CA directory (--cacertdir);
                                    neither: the system's CAs */
    const char *tls_cert;        /* client certificate chain, PEM */
    const char *tls_key;         /* its private key, PEM, unencrypted */
    const char *tls_server_name; /* name to verify and send as SNI
                                    (default: host) */
    const char *tls_ciphers;     /* TLS 1.2 cipher list (OpenSSL syntax) */
    const char *tls_ciphersuites; /* TLS 1.3 cipher suites */
} mqttseal_redis_options;

#define MQTTSEAL_REDIS_TTL_NEVER UINT64_MAX

typedef struct mqttseal_redis mqttseal_redis;

/**
 * A new backend handle (not yet connected: the first use connects).
 * Strings are copied; TLS files are loaded once to check them. @return
 * OK, E_INVALID (empty prefix, port above 65535, TLS with a unix socket,
 * a certificate without its key, a TLS file that cannot be loaded ...:
 * details in diag when not NULL), E_NOMEM. *out is NULL on failure.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_redis_new(mqttseal_redis **out, const mqttseal_redis_options *o,
                   mqttseal_diag *diag);

/**
 * The same from a URL:
 *   redis://[[USER]:PASSWORD@]HOST[:PORT][/DB][?PARAMS]
 *   rediss://[[USER]:PASSWORD@]HOST[:PORT][/DB][?PARAMS]   (TLS)
 *   unix://[[USER]:PASSWORD@]/PATH/TO/SOCKET[?db=DB&PARAMS]
 * PARAMS, '&'-separated: prefix=P, window=BITS, ttl=SECONDS (0: never),
 * skew=SECONDS, retained_max_age=SECONDS, timeout=MILLISECONDS,
 * retry=MILLISECONDS; with rediss:// only: cacert=FILE, cacertdir=DIR,
 * cert=FILE, key=FILE, sni=NAME, ciphers=LIST, ciphersuites=LIST (the
 * tls_ options above). Values may use %XX escapes; a bracketed [IPv6]
 * host is accepted.
 * @return as mqttseal_redis_new; diag names what is wrong with the URL.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_redis_new_url(mqttseal_redis **out, const char *url,
                       mqttseal_diag *diag);

/** Drop the caller's reference; contexts keep theirs. NULL is ignored. */
MQTTSEAL_EXPORT void mqttseal_redis_free(mqttseal_redis *r);

/**
 * Make ctx keep its replay state in r (mqttseal_ctx_set_replay_backend;
 * ctx takes its own reference). With Paho: mqttseal_paho_ctx(hooks).
 * @return OK, E_INVALID, E_NOMEM.
 */
MQTTSEAL_EXPORT int mqttseal_redis_attach(mqttseal_redis *r, mqttseal_ctx *ctx);

/**
 * Connect now (if not connected) and PING: a way to find a wrong address
 * or password at start-up rather than at the first message.
 * @return OK, E_REPLAY_BACKEND (mqttseal_redis_last_error says why).
 */
MQTTSEAL_EXPORT int mqttseal_redis_ping(mqttseal_redis *r);

/* ---------------------------------------------------------------------
 * 2. Errors and counters
 * ------------------------------------------------------------------- */

/**
 * Copy the last connection or server error ("Connection refused",
 * "WRONGPASS ...") into buf (NUL-terminated, truncated to cap); an empty
 * string if none. Never contains the password.
 */
MQTTSEAL_EXPORT void mqttseal_redis_last_error(mqttseal_redis *r, char *buf,
                                               size_t cap);

typedef struct mqttseal_redis_stats {
    uint64_t checks;      /* accept calls */
    uint64_t accepted;    /* ... answered OK */
    uint64_t replays;     /* ... answered E_REPLAY */
    uint64_t too_old;     /* ... answered E_TOO_OLD */
    uint64_t failures;    /* ... answered E_REPLAY_BACKEND */
    uint64_t round_trips; /* requests written and replies read, connects
                             included (a pipelined batch is one) */
    uint64_t connects;    /* successful (re)connections */
    uint64_t noscript;    /* EVALSHA answered NOSCRIPT (then EVAL) */
} mqttseal_redis_stats;

/** A snapshot of r's counters. */
MQTTSEAL_EXPORT void mqttseal_redis_get_stats(mqttseal_redis *r,
                                              mqttseal_redis_stats *st);

#ifdef __cplusplus
}
#endif

#endif
