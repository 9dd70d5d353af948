/*
 * mqttseal: end-to-end sealed MQTT payloads.
 *
 * A publisher seals each payload with XChaCha20-Poly1305 under a key that
 * belongs to its topic; only holders of that topic's key can open it, and
 * tampering, topic swaps and replays are rejected. The byte format is
 * specified in docs/FORMAT.md.
 *
 * Contents
 *   1. Library set-up and version
 *   2. Errors
 *   3. Sizes
 *   4. Keyrings (root keys, grants, rotation, files)
 *   5. Contexts (sealing session and fork safety, key cache, replay
 *      window, freshness, fleet defaults, state files, counters)
 *   6. Sealing and opening
 *   7. Envelope inspection (no key needed)
 *   8. Signatures (signer keys, trust lists; origin inside a grant)
 *   9. Key distribution (device keys, sealed and signed keyring updates)
 *
 * Threads: every function may be called from any thread. A keyring may be
 * read by several threads but must not be changed while another thread
 * uses it. A context (mqttseal_ctx) is safe for concurrent seal and open
 * calls from many threads; its setters may be called at any time.
 *
 * Secrets: key material lives in guarded memory (sodium_malloc), is wiped
 * when freed, and never appears in an error string.
 */
#ifndef MQTTSEAL_H
#define MQTTSEAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MQTTSEAL_EXPORT __attribute__((visibility("default")))
#define MQTTSEAL_NODISCARD __attribute__((warn_unused_result))
#else
#define MQTTSEAL_EXPORT
#define MQTTSEAL_NODISCARD
#endif

/* ---------------------------------------------------------------------
 * 1. Library set-up and version
 * ------------------------------------------------------------------- */

#define MQTTSEAL_VERSION_STRING "0.1.0"

/**
 * Initialise the library (and libsodium). Safe to call more than once and
 * from several threads; every other call also initialises on first use.
 * @return MQTTSEAL_OK, or MQTTSEAL_E_CRYPTO if libsodium cannot start.
 */
MQTTSEAL_EXPORT int mqttseal_init(void);

/** The library version, "MAJOR.MINOR.PATCH". */
MQTTSEAL_EXPORT const char *mqttseal_version(void);

/* ---------------------------------------------------------------------
 * 2. Errors. Numbers are stable and never reused.
 * ------------------------------------------------------------------- */

typedef enum mqttseal_err {
    MQTTSEAL_OK = 0,
    MQTTSEAL_E_INVALID = 1,        /* bad argument (NULL pointer, range) */
    MQTTSEAL_E_NOMEM = 2,          /* out of memory */
    MQTTSEAL_E_BUFFER = 3,         /* output buffer too small */
    MQTTSEAL_E_TOO_LARGE = 4,      /* plaintext over MQTTSEAL_PLAINTEXT_MAX */
    MQTTSEAL_E_TOPIC_EMPTY = 5,    /* empty topic name */
    MQTTSEAL_E_TOPIC_INVALID = 6,  /* wildcard, NUL, or over 65535 bytes */
    MQTTSEAL_E_FILTER = 7,         /* malformed topic filter */
    MQTTSEAL_E_FILTER_PLUS = 8,    /* '+' cannot be granted as one key */
    MQTTSEAL_E_NOT_SEALED = 9,     /* not an mqttseal envelope at all */
    MQTTSEAL_E_VERSION = 10,       /* unknown envelope version */
    MQTTSEAL_E_SUITE = 11,         /* unknown cipher suite */
    MQTTSEAL_E_RESERVED = 12,      /* reserved flag bit set */
    MQTTSEAL_E_TRUNCATED = 13,     /* envelope shorter than its header says */
    MQTTSEAL_E_VARINT = 14,        /* non-minimal or overflowing varint */
    MQTTSEAL_E_TRAILING = 15,      /* bytes after the authentication tag */
    MQTTSEAL_E_OVERSIZE = 16,      /* a length field exceeds the maximum */
    MQTTSEAL_E_UNKNOWN_KEY = 17,   /* no key with this key id */
    MQTTSEAL_E_NO_GRANT = 18,      /* key id known, no grant covers topic */
    MQTTSEAL_E_KEY_EXPIRED = 19,   /* the key id has expired */
    MQTTSEAL_E_AUTH = 20,          /* authentication failed (any cause) */
    MQTTSEAL_E_REPLAY = 21,        /* this message was already accepted */
    MQTTSEAL_E_TOO_OLD = 22,       /* sequence number below replay window */
    MQTTSEAL_E_STALE = 23,         /* timestamp older than the maximum age */
    MQTTSEAL_E_FUTURE = 24,        /* timestamp beyond the tolerated skew */
    MQTTSEAL_E_NO_TIMESTAMP = 25,  /* a maximum age is set, none was sent */
    MQTTSEAL_E_SEQ_EXHAUSTED = 26, /* sealing session used every number */
    MQTTSEAL_E_NO_PRIMARY = 27,    /* keyring names no usable primary id */
    MQTTSEAL_E_KEYRING_SYNTAX = 28,/* keyring text malformed (see diag) */
    MQTTSEAL_E_KEYRING_PERMS = 29, /* keyring file readable by others */
    MQTTSEAL_E_IO = 30,            /* file could not be read or written */
    MQTTSEAL_E_STATE_CORRUPT = 31, /* replay state file corrupt/truncated */
    MQTTSEAL_E_DUPLICATE_KEY = 32, /* same key id and filter twice */
    MQTTSEAL_E_SESSION_LOST = 33,  /* replay state for key id was dropped;
                                      an unknown session is refused */
    MQTTSEAL_E_CRYPTO = 34,        /* libsodium failed to initialise */
    MQTTSEAL_E_TOPIC_DEPTH = 35,   /* more topic levels than allowed */
    MQTTSEAL_E_FILE_OWNER = 36,    /* file owned by another user, or
                                      writable by group or others */
    MQTTSEAL_E_SIG_REQUIRED = 37,  /* unsigned envelope on a topic that
                                      requires a signature */
    MQTTSEAL_E_SIGNER_UNKNOWN = 38,/* signed by a key not in the trust
                                      list */
    MQTTSEAL_E_SIGNER_NOT_GRANTED = 39, /* signer may not publish on this
                                           topic */
    MQTTSEAL_E_SIGNER_EXPIRED = 40,/* the signer's trust entry expired */
    MQTTSEAL_E_SIGNATURE = 41,     /* signature invalid, or the signed
                                      inner malformed or truncated */
    MQTTSEAL_E_TRUST_SYNTAX = 42,  /* trust-list or signer-key text
                                      malformed (see diag) */
    MQTTSEAL_E_REPLAY_BACKEND = 43,/* replay state store unreachable:
                                      refused, nothing delivered */
    MQTTSEAL_E_UPDATE_DEVICE = 44, /* keyring update addressed to another
                                      device */
    MQTTSEAL_E_UPDATE_ROLLBACK = 45, /* update version not above the one
                                        already applied */
    MQTTSEAL_E_UPDATE_EXPIRED = 46, /* keyring update past its expiry */
    MQTTSEAL_E_UPDATE_SCOPE = 47   /* update grants more than its signer is
                                      trusted for */
} mqttseal_err;

/** One more than the largest error code (sizes mqttseal_stats). */
#define MQTTSEAL_ERR_COUNT 48U

/** A static, human-readable description of an error code. Never NULL. */
MQTTSEAL_EXPORT const char *mqttseal_strerror(int err);

/**
 * Where a keyring parse failed: the 1-based line and what is wrong.
 * line is 0 when the problem is not tied to one line (a file error).
 */
typedef struct mqttseal_diag {
    unsigned line;
    char message[160];
} mqttseal_diag;

/* ---------------------------------------------------------------------
 * 3. Sizes. Each macro has a function for bindings; they agree.
 * ------------------------------------------------------------------- */

#define MQTTSEAL_KEYBYTES 32U        /* root, node and message keys */
#define MQTTSEAL_SESSIONIDBYTES 12U  /* random sender session id */
#define MQTTSEAL_ABYTES 16U          /* Poly1305 tag */
#define MQTTSEAL_HEADER_MIN 17U      /* smallest header */
#define MQTTSEAL_HEADER_MAX 42U      /* largest header */
#define MQTTSEAL_SIGNERIDBYTES 8U    /* signer id: BLAKE2b of its key */
#define MQTTSEAL_SIGNBYTES 64U       /* Ed25519 signature */
#define MQTTSEAL_SIGN_PUBLICKEYBYTES 32U /* Ed25519 public key */
#define MQTTSEAL_SIGN_SEEDBYTES 32U  /* Ed25519 seed (the signer secret) */
/* A signed envelope carries this much more (its ct_len varint may grow
 * by a byte too). */
#define MQTTSEAL_SIGNED_OVERHEAD \
    (MQTTSEAL_SIGNERIDBYTES + MQTTSEAL_SIGNBYTES)
#define MQTTSEAL_OVERHEAD_MIN (MQTTSEAL_HEADER_MIN + MQTTSEAL_ABYTES)
/* Largest overhead, signed envelopes included. */
#define MQTTSEAL_OVERHEAD_MAX \
    (MQTTSEAL_HEADER_MAX + MQTTSEAL_ABYTES + MQTTSEAL_SIGNED_OVERHEAD)
#define MQTTSEAL_MQTT_PAYLOAD_MAX 268435455U /* MQTT's own limit */
#define MQTTSEAL_PLAINTEXT_MAX \
    (MQTTSEAL_MQTT_PAYLOAD_MAX - MQTTSEAL_OVERHEAD_MAX)
#define MQTTSEAL_TOPIC_MAX 65535U

/** Buffer size that always holds the envelope of a len-byte plaintext,
 *  signed or not. */
#define MQTTSEAL_SEALED_BYTES(len) ((size_t)(len) + MQTTSEAL_OVERHEAD_MAX)
/** Buffer size that always holds the plaintext of a len-byte envelope
 *  (for a signed one, the signed inner it is opened through). */
#define MQTTSEAL_OPENED_BYTES(len)                                    \
    ((size_t)(len) > MQTTSEAL_OVERHEAD_MIN                            \
         ? (size_t)(len) - MQTTSEAL_OVERHEAD_MIN : (size_t)0)

MQTTSEAL_EXPORT size_t mqttseal_keybytes(void);
MQTTSEAL_EXPORT size_t mqttseal_sessionidbytes(void);
MQTTSEAL_EXPORT size_t mqttseal_abytes(void);
MQTTSEAL_EXPORT size_t mqttseal_overhead_min(void);
MQTTSEAL_EXPORT size_t mqttseal_overhead_max(void);
MQTTSEAL_EXPORT size_t mqttseal_plaintext_max(void);
MQTTSEAL_EXPORT size_t mqttseal_sealed_bytes(size_t plaintext_len);
MQTTSEAL_EXPORT size_t mqttseal_opened_bytes(size_t envelope_len);
MQTTSEAL_EXPORT size_t mqttseal_signeridbytes(void);
MQTTSEAL_EXPORT size_t mqttseal_signbytes(void);
MQTTSEAL_EXPORT size_t mqttseal_sign_publickeybytes(void);
MQTTSEAL_EXPORT size_t mqttseal_sign_seedbytes(void);
MQTTSEAL_EXPORT size_t mqttseal_signed_overhead(void);

/* ---------------------------------------------------------------------
 * 4. Keyrings
 *
 * A keyring holds keys, each with a numeric key id, a topic filter it
 * grants, and an optional expiry (Unix seconds, 0 = never). The filter
 * "#" is a root key; "a/b/#" is the node key of a/b (opens a/b and all
 * below); an exact topic "a/b" is that one topic's message key. One id is
 * primary: it seals new messages. Every present, unexpired id opens.
 * ------------------------------------------------------------------- */

typedef struct mqttseal_keyring mqttseal_keyring;

/** What a keyring entry grants. Never carries key bytes. */
typedef struct mqttseal_key_info {
    uint32_t key_id;
    int64_t expires;     /* Unix seconds; 0 = never */
    int is_primary;      /* 1 when key_id is the primary id */
    char filter[256];    /* the grant, cut with "..." if longer: see
                            mqttseal_keyring_entry_filter */
} mqttseal_key_info;

/** An empty keyring. @return OK, E_INVALID, E_NOMEM, E_CRYPTO. */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_keyring_new(mqttseal_keyring **out);

/**
 * Parse keyring text (docs/FORMAT.md, "Keyring file"). On failure *out is
 * NULL and diag (may be NULL) names the line and the problem.
 * @return OK, E_KEYRING_SYNTAX, E_DUPLICATE_KEY, E_FILTER,
 *         E_FILTER_PLUS, E_INVALID, E_NOMEM.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_keyring_load_string(mqttseal_keyring **out, const char *text,
                             size_t text_len, mqttseal_diag *diag);

/**
 * Read a keyring file. A file readable or writable by group or others is
 * refused (E_KEYRING_PERMS; diag says to chmod 600), and so is one owned
 * by another user than the caller or root (E_FILE_OWNER), as ssh does.
 * @return as mqttseal_keyring_load_string, plus E_IO, E_KEYRING_PERMS,
 *         E_FILE_OWNER.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_keyring_load_file(mqttseal_keyring **out, const char *path,
                           mqttseal_diag *diag);

/**
 * Serialise to keyring text. A filter holding a space, tab, CR or LF
 * cannot be one field of a keyring line: E_INVALID. *text_len receives
 * the length needed
 * (excluding the NUL); with out == NULL or too small a cap, nothing is
 * written and E_BUFFER is returned (with *text_len set).
 * @return OK, E_BUFFER, E_INVALID.
 */
MQTTSEAL_EXPORT int mqttseal_keyring_to_string(const mqttseal_keyring *kr,
                                               char *out, size_t out_cap,
                                               size_t *text_len);

/** Write atomically (temp file, fsync, rename) with mode 0600. */
MQTTSEAL_EXPORT int mqttseal_keyring_save_file(const mqttseal_keyring *kr,
                                               const char *path);

/** Wipe and free. NULL is ignored. */
MQTTSEAL_EXPORT void mqttseal_keyring_free(mqttseal_keyring *kr);

/**
 * Add a fresh random root key ("#") under key_id. If the keyring has no
 * primary yet, key_id becomes primary.
 * @return OK, E_DUPLICATE_KEY, E_INVALID, E_NOMEM.
 */
MQTTSEAL_EXPORT int mqttseal_keyring_generate(mqttseal_keyring *kr,
                                              uint32_t key_id);

/**
 * Add a key that grants filter. expires: Unix seconds, 0 = never.
 * @return OK, E_FILTER, E_FILTER_PLUS, E_DUPLICATE_KEY, E_INVALID,
 *         E_NOMEM.
 */
MQTTSEAL_EXPORT int
mqttseal_keyring_add(mqttseal_keyring *kr, uint32_t key_id,
                     const char *filter,
                     const unsigned char key[MQTTSEAL_KEYBYTES],
                     int64_t expires);

/**
 * Derive the key that grants filter from the keys of src under key_id and
 * add it to dst (with the expiry of the src entry it came from).
 * @return OK, E_UNKNOWN_KEY, E_NO_GRANT (src cannot derive it), E_FILTER,
 *         E_FILTER_PLUS, E_DUPLICATE_KEY, E_INVALID, E_NOMEM.
 */
MQTTSEAL_EXPORT int mqttseal_keyring_grant(mqttseal_keyring *dst,
                                           const mqttseal_keyring *src,
                                           uint32_t key_id,
                                           const char *filter);

/** Make key_id primary. @return OK, E_UNKNOWN_KEY, E_INVALID. */
MQTTSEAL_EXPORT int mqttseal_keyring_set_primary(mqttseal_keyring *kr,
                                                 uint32_t key_id);

/** The primary id. @return OK, E_NO_PRIMARY, E_INVALID. */
MQTTSEAL_EXPORT int mqttseal_keyring_primary(const mqttseal_keyring *kr,
                                             uint32_t *key_id);

/**
 * Set the expiry (Unix seconds, 0 = never) of every entry with key_id:
 * how an old id is retired after rotation.
 * @return OK, E_UNKNOWN_KEY, E_INVALID.
 */
MQTTSEAL_EXPORT int mqttseal_keyring_set_expiry(mqttseal_keyring *kr,
                                                uint32_t key_id,
                                                int64_t expires);

/** Remove every entry with key_id (wiping it). @return OK, E_UNKNOWN_KEY. */
MQTTSEAL_EXPORT int mqttseal_keyring_remove(mqttseal_keyring *kr,
                                            uint32_t key_id);

/** Number of entries. */
MQTTSEAL_EXPORT size_t mqttseal_keyring_count(const mqttseal_keyring *kr);

/** Describe entry index (0-based). @return OK, E_INVALID (range). */
MQTTSEAL_EXPORT int mqttseal_keyring_entry(const mqttseal_keyring *kr,
                                           size_t index,
                                           mqttseal_key_info *info);

/**
 * The whole filter of entry index, of any length, NUL-terminated in buf
 * (a filter holds no NUL). *len (if not NULL) gets its length in bytes
 * whatever the outcome, so a call with buf = NULL, cap = 0 sizes it.
 * @return OK; E_BUFFER (cap < length + 1: buf gets "" if cap > 0);
 *         E_INVALID (NULL kr, index out of range, NULL buf with cap > 0).
 */
MQTTSEAL_EXPORT int mqttseal_keyring_entry_filter(const mqttseal_keyring *kr,
                                                  size_t index, char *buf,
                                                  size_t cap, size_t *len);

/* ---------------------------------------------------------------------
 * 5. Contexts
 *
 * A context owns a copy of a keyring, a self-sizing cache of derived
 * message keys (a known topic costs no derivation), one sealing session
 * (a random 96-bit session id and a 64-bit sequence counter), and the
 * receive-side replay state.
 *
 * Sessions and fork(): a sealing session never continues in a child
 * process. A child of fork() draws a fresh session id before its first
 * seal (detected with a MADV_WIPEONFORK page and a pthread_atfork
 * handler: no system call per message). Clones the library cannot see,
 * such as a restored VM snapshot or a CRIU restore, must call
 * mqttseal_ctx_new_session() before sealing again.
 *
 * Fleets: turn on timestamps on every sender and freshness on every
 * receiver (mqttseal_ctx_use_fleet_defaults). Then replay memory is
 * bounded by time: a session is forgotten only once its messages are
 * stale, so no number of senders, restarts or flooded sessions makes a
 * receiver refuse legitimate messages (docs/FORMAT.md section 9).
 * ------------------------------------------------------------------- */

typedef struct mqttseal_ctx mqttseal_ctx;

#define MQTTSEAL_CACHE_DEFAULT 131072U       /* max derived keys cached */
#define MQTTSEAL_REPLAY_WINDOW_DEFAULT 64U   /* bits; multiple of 64 */
#define MQTTSEAL_REPLAY_WINDOW_MAX 4096U
#define MQTTSEAL_REPLAY_SESSIONS_DEFAULT 1024U  /* with a full window */
#define MQTTSEAL_REPLAY_REMEMBER_DEFAULT 1048576U /* compact entries, max */
#define MQTTSEAL_LEVELS_DEFAULT 128U         /* topic levels allowed */
#define MQTTSEAL_SKEW_DEFAULT_MS 30000U      /* future tolerance, always */
#define MQTTSEAL_FLEET_MAX_AGE_MS 300000U    /* fleet defaults: 5 min */
#define MQTTSEAL_FLEET_RETAINED_MAX_AGE_MS 86400000U /* 1 day */

/**
 * Create a context over a copy of kr (kr may be freed afterwards).
 * Replay protection is on with the default window and session count.
 * @return OK, E_INVALID, E_NOMEM, E_CRYPTO.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_ctx_new(mqttseal_ctx **out, const mqttseal_keyring *kr);

/**
 * Load a keyring file and create a context over it in one call (the
 * keyring is freed again). diag (may be NULL) explains a failure.
 * @return as mqttseal_keyring_load_file and mqttseal_ctx_new.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_ctx_from_file(mqttseal_ctx **out, const char *keyring_path,
                       mqttseal_diag *diag);

/** Wipe every key and free. NULL is ignored. */
MQTTSEAL_EXPORT void mqttseal_ctx_free(mqttseal_ctx *ctx);

/**
 * Replace the context's keyring with a copy of kr (key rotation at run
 * time). The key cache is flushed; replay state and the sealing session
 * are kept. @return OK, E_INVALID, E_NOMEM.
 */
MQTTSEAL_EXPORT int mqttseal_ctx_set_keyring(mqttseal_ctx *ctx,
                                             const mqttseal_keyring *kr);

/**
 * Set the most derived keys the cache may hold (entries >= 1; default
 * MQTTSEAL_CACHE_DEFAULT). The cache starts small and doubles as
 * authenticated topics arrive, so a context costs only what its topics
 * use: about 100 bytes plus the topic's length per cached topic.
 * Flushes it. @return OK, E_INVALID, E_NOMEM.
 */
MQTTSEAL_EXPORT int mqttseal_ctx_set_cache_size(mqttseal_ctx *ctx,
                                                size_t entries);

/**
 * Refuse topics with more than levels levels (1 to 65535; default
 * MQTTSEAL_LEVELS_DEFAULT) with E_TOPIC_DEPTH, on seal and open, before
 * any key is derived: this bounds what an unauthenticated message can
 * make a receiver compute. @return OK, E_INVALID.
 */
MQTTSEAL_EXPORT int mqttseal_ctx_set_max_levels(mqttseal_ctx *ctx,
                                                unsigned levels);

/**
 * Configure replay protection. enabled = 0 accepts every authentic copy.
 * window: bits, a multiple of 64 up to MQTTSEAL_REPLAY_WINDOW_MAX.
 * max_sessions: sender sessions tracked with a full window; the least
 * recently seen is demoted to a compact entry that keeps its highest
 * sequence number (docs/FORMAT.md section 9). Memory: see
 * mqttseal_replay_session_bytes and mqttseal_ctx_set_replay_capacity.
 * Tables are allocated at the first message and grow by doubling, never
 * per message. Changing window or max_sessions carries the state over
 * (never more permissive); turning protection off keeps the state, and
 * turning it on resumes it (messages accepted while it was off were not
 * recorded).
 * @return OK, E_INVALID, E_NOMEM.
 */
MQTTSEAL_EXPORT int mqttseal_ctx_set_replay(mqttseal_ctx *ctx, int enabled,
                                            unsigned window,
                                            size_t max_sessions);

/** Bytes one sender session tracked with a full window costs. */
MQTTSEAL_EXPORT size_t mqttseal_replay_session_bytes(unsigned window);

/** Bytes one remembered (compact) sender session costs. */
MQTTSEAL_EXPORT size_t mqttseal_replay_remembered_bytes(void);

/**
 * The most sender sessions remembered in compact form (default
 * MQTTSEAL_REPLAY_REMEMBER_DEFAULT, at most about 56 MiB when full; the
 * table grows by doubling as sessions arrive). With freshness on, a
 * session is dropped only once stale, unless this limit is reached;
 * without it, a session is dropped only when this limit is reached. A
 * dropped session that was not stale sets its key id's low-water mark
 * (E_SESSION_LOST for unknown sessions not newer than it).
 * @return OK, E_INVALID (below max_sessions), E_NOMEM.
 */
MQTTSEAL_EXPORT int mqttseal_ctx_set_replay_capacity(mqttseal_ctx *ctx,
                                                     size_t remembered);

/** Sealing side: include a millisecond timestamp in each header. */
MQTTSEAL_EXPORT int mqttseal_ctx_set_timestamps(mqttseal_ctx *ctx, int on);

/**
 * Opening side freshness. max_age_ms = 0 disables the age check. A
 * message older than max_age_ms is E_STALE, one without a timestamp is
 * E_NO_TIMESTAMP. One stamped more than skew_ms in the future is always
 * E_FUTURE, even with the age check off (skew_ms = 0 selects
 * MQTTSEAL_SKEW_DEFAULT_MS, the default), and never changes replay state.
 * retained_max_age_ms applies instead of max_age_ms to messages the
 * publisher sealed as retained (MQTTSEAL_SEAL_RETAINED, an authenticated
 * header flag; the RETAIN bit of the delivery is not trusted); 0 gives
 * them no exemption. @return OK, E_INVALID.
 */
MQTTSEAL_EXPORT int mqttseal_ctx_set_freshness(mqttseal_ctx *ctx,
                                               uint64_t max_age_ms,
                                               uint64_t skew_ms,
                                               uint64_t retained_max_age_ms);

/**
 * The documented setting for fleets, on both sides: timestamps on, and
 * freshness with MQTTSEAL_FLEET_MAX_AGE_MS, the default skew and
 * MQTTSEAL_FLEET_RETAINED_MAX_AGE_MS. @return OK, E_INVALID.
 */
MQTTSEAL_EXPORT int mqttseal_ctx_use_fleet_defaults(mqttseal_ctx *ctx);

/**
 * Save the replay state atomically (temp file, fsync, rename; mode 0600)
 * so that a restarted receiver still rejects earlier messages. The state
 * is copied under the context's lock and written outside it, so seal and
 * open go on meanwhile. The file is authenticated with keys derived from
 * the context's keyring (docs/FORMAT.md section 11): whoever can write
 * the file but does not hold the keyring cannot forge or reset it.
 * @return OK, E_IO, E_INVALID, E_NOMEM.
 */
MQTTSEAL_EXPORT int mqttseal_ctx_save_replay(mqttseal_ctx *ctx,
                                             const char *path);

/**
 * Load replay state saved by mqttseal_ctx_save_replay, replacing the
 * current state. A file not owned by this user (or root), or writable by
 * group or others, is E_FILE_OWNER; one whose authentication fails with
 * this context's keyring (or that shares no key id with it) is
 * E_STATE_CORRUPT. @return OK, E_IO, E_FILE_OWNER, E_STATE_CORRUPT,
 * E_NOMEM, E_INVALID.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_ctx_load_replay(mqttseal_ctx *ctx, const char *path);

/**
 * Where a context records the messages it accepted, when not in its own
 * memory: for example a store shared by a consumer group (the Redis
 * backend, mqttseal/redis.h). accept must check and record one message
 * atomically and return OK, E_REPLAY, E_TOO_OLD, E_SESSION_LOST, or
 * E_REPLAY_BACKEND when the store cannot answer (the message is then
 * refused, never delivered unchecked). It is called after the message
 * authenticated and passed freshness, outside the context's lock, from
 * whichever thread opens, so it must be thread-safe. max_age_ms is the
 * context's maximum age (0: freshness off), for the store's expiry. sid
 * is the session's replay id (docs/FORMAT.md section 9: a keyed hash of
 * the session id under the topic's key), not the session id in the
 * header: keep windows per (key_id, sid) as given.
 */
typedef struct mqttseal_replay_backend {
    int (*accept)(void *state, uint32_t key_id,
                  const unsigned char sid[MQTTSEAL_SESSIONIDBYTES],
                  uint64_t seq, int has_ts, uint64_t ts_ms,
                  uint64_t max_age_ms);
    void (*free)(void *state); /* called once no open uses it; may be NULL */
    void *state;
} mqttseal_replay_backend;

/**
 * Use backend (copied) instead of the in-process replay state; NULL goes
 * back to the in-process state. The context calls backend->free once the
 * backend is replaced and no open still uses it, or when it is freed.
 * @return OK, E_INVALID (no accept function), E_NOMEM.
 */
MQTTSEAL_EXPORT int
mqttseal_ctx_set_replay_backend(mqttseal_ctx *ctx,
                                const mqttseal_replay_backend *backend);

/** This context's current sealing session id. */
MQTTSEAL_EXPORT void
mqttseal_ctx_session_id(const mqttseal_ctx *ctx,
                        unsigned char sid[MQTTSEAL_SESSIONIDBYTES]);

/**
 * Start a new sealing session: a fresh random session id, sequence
 * numbers from 0. Forks are detected by themselves; call this after a
 * clone the library cannot see (a restored VM snapshot or container
 * checkpoint), before the next seal. @return OK, E_INVALID.
 */
MQTTSEAL_EXPORT int mqttseal_ctx_new_session(mqttseal_ctx *ctx);

/** What a context has done and what it holds (mqttseal_ctx_stats). */
typedef struct mqttseal_stats {
    uint64_t sealed;           /* envelopes sealed */
    uint64_t opened;           /* envelopes opened and released */
    uint64_t refused;          /* opens refused, all causes */
    uint64_t refused_by[MQTTSEAL_ERR_COUNT]; /* ... by error code */
    uint64_t sessions_new;     /* sealing sessions started after fork or
                                  mqttseal_ctx_new_session */
    uint64_t replay_tracked;   /* sender sessions with a full window */
    uint64_t replay_remembered;/* sender sessions in compact form */
    uint64_t replay_forgotten; /* dropped once stale (no risk) */
    uint64_t replay_dropped;   /* dropped while fresh (set a mark) */
    uint64_t replay_bytes;     /* memory of the replay tables */
    uint64_t derived;          /* message keys derived (cache misses) */
    uint64_t cache_entries;    /* derived keys cached */
    uint64_t cache_bytes;      /* memory of the key cache */
} mqttseal_stats;

/** Copy out the counters. @return OK, E_INVALID. */
MQTTSEAL_EXPORT int mqttseal_ctx_stats(mqttseal_ctx *ctx,
                                       mqttseal_stats *out);

/* ---------------------------------------------------------------------
 * 6. Sealing and opening
 * ------------------------------------------------------------------- */

/** Header fields of an envelope (filled by open and by parse). */
typedef struct mqttseal_header {
    unsigned version;      /* 1 */
    unsigned suite;        /* 1 = XChaCha20-Poly1305-IETF */
    unsigned flags;        /* raw flags byte */
    uint32_t key_id;
    unsigned char session_id[MQTTSEAL_SESSIONIDBYTES];
    uint64_t seq;
    int has_timestamp;
    uint64_t timestamp_ms; /* Unix milliseconds, when has_timestamp */
    int sealed_retained;   /* flags bit 1: sealed as retained */
    size_t header_len;     /* bytes before the ciphertext */
    size_t payload_len;    /* payload length (what open releases); for a
                              signed envelope ct_len - 72, or 0 when the
                              inner is shorter than that */
    int is_signed;         /* flags bit 2: the envelope says it is signed
                              (open succeeds only once it verified) */
    unsigned char signer_id[MQTTSEAL_SIGNERIDBYTES]; /* who signed: set by
                              a successful open of a signed envelope,
                              else zero */
} mqttseal_header;

/**
 * Seal msg for topic (topic_len bytes, no NUL needed) under the primary
 * key id into out. out must not overlap msg. A context with a signer
 * (mqttseal_ctx_set_signer) signs every envelope it seals (72 bytes
 * more). On failure nothing usable is left in out (it is wiped).
 * @return OK, E_INVALID, E_BUFFER (cap below MQTTSEAL_SEALED_BYTES is
 *         allowed if the exact size fits), E_TOO_LARGE, E_TOPIC_EMPTY,
 *         E_TOPIC_INVALID, E_TOPIC_DEPTH, E_NO_PRIMARY, E_NO_GRANT,
 *         E_KEY_EXPIRED, E_SEQ_EXHAUSTED, E_NOMEM.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_seal(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
              size_t *out_len, const char *topic, size_t topic_len,
              const unsigned char *msg, size_t msg_len);

/** Seal flags. */
#define MQTTSEAL_SEAL_RETAINED 0x1U /* to be published as retained */

/**
 * mqttseal_seal with flags. MQTTSEAL_SEAL_RETAINED sets the header's
 * authenticated retained flag: receivers then apply their retained
 * maximum age instead of the live one. @return as mqttseal_seal.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_seal_ex(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
                 size_t *out_len, const char *topic, size_t topic_len,
                 const unsigned char *msg, size_t msg_len, unsigned flags);

/** Seal flag for mqttseal_seal_once only: stamp even if ctx does not. */
#define MQTTSEAL_SEAL_TIMESTAMP 0x2U

/**
 * Seal one message in a one-off session of its own, for a message that
 * is published long after it is sealed (an MQTT will): a session id is
 * drawn for this message alone (at every call, in the calling process,
 * so fork() cannot repeat it), its sequence number is 0, and the
 * context's own sealing session is neither used nor advanced. Primary
 * key id; timestamped if ctx stamps or flags has MQTTSEAL_SEAL_TIMESTAMP;
 * MQTTSEAL_SEAL_RETAINED as for mqttseal_seal_ex; signed, as
 * mqttseal_seal_ex signs, when ctx has a signer (mqttseal_ctx_set_signer).
 * Receivers see a new sender session per such message. On failure out is
 * wiped.
 * @return as mqttseal_seal_ex (E_SEQ_EXHAUSTED excepted).
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_seal_once(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
                   size_t *out_len, const char *topic, size_t topic_len,
                   const unsigned char *msg, size_t msg_len, unsigned flags);

/** Open flags. */
#define MQTTSEAL_OPEN_RETAINED 0x1U /* delivered as retained: informative
                                       only; the RETAIN bit is not
                                       authenticated and exempts nothing */

/**
 * Verify and decrypt env for topic into out. Nothing is released before
 * the tag verifies; on any failure out (up to out_cap) is wiped and
 * *out_len is 0. out may equal env exactly (in-place opening; env is then
 * destroyed on failure); other overlaps are not allowed. The replay state
 * changes only after a message authenticates (and, when signed, its
 * signature verified). hdr (may be NULL) receives the header fields
 * whenever the header parsed; hdr->signer_id once a signature verified.
 * out_cap must hold the AEAD plaintext (header ct_len, payload + 72 for
 * a signed envelope; MQTTSEAL_OPENED_BYTES(env_len) always does); only
 * the payload is released, at the start of out.
 * A signed envelope is checked against the context's trust list
 * (mqttseal_ctx_set_trust) after the tag verified, in this order:
 * E_SIGNATURE (inner shorter than 72), E_SIGNER_UNKNOWN,
 * E_SIGNER_EXPIRED, E_SIGNER_NOT_GRANTED, E_SIGNATURE; an unsigned one on
 * a topic the trust list requires signed is E_SIG_REQUIRED. Then
 * freshness, then replay.
 * @return OK, E_INVALID, E_BUFFER, E_TOPIC_EMPTY, E_TOPIC_INVALID,
 *         E_NOT_SEALED, E_VERSION, E_SUITE, E_RESERVED, E_TRUNCATED,
 *         E_VARINT, E_TRAILING, E_OVERSIZE, E_TOPIC_DEPTH,
 *         E_UNKNOWN_KEY, E_NO_GRANT, E_KEY_EXPIRED, E_AUTH, E_SIGNATURE,
 *         E_SIGNER_UNKNOWN, E_SIGNER_EXPIRED, E_SIGNER_NOT_GRANTED,
 *         E_SIG_REQUIRED, E_REPLAY, E_TOO_OLD, E_SESSION_LOST, E_STALE,
 *         E_FUTURE, E_NO_TIMESTAMP, E_NOMEM. Every refusal is counted
 *         (mqttseal_ctx_stats).
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_open(mqttseal_ctx *ctx, unsigned char *out, size_t out_cap,
              size_t *out_len, const char *topic, size_t topic_len,
              const unsigned char *env, size_t env_len, unsigned flags,
              mqttseal_header *hdr);

/* ---------------------------------------------------------------------
 * 7. Envelope inspection (no key needed; nothing is authenticated)
 * ------------------------------------------------------------------- */

/**
 * Parse and strictly check an envelope's header and lengths.
 * @return OK, E_INVALID, E_NOT_SEALED, E_VERSION, E_SUITE, E_RESERVED,
 *         E_TRUNCATED, E_VARINT, E_TRAILING, E_OVERSIZE.
 */
MQTTSEAL_EXPORT int mqttseal_header_parse(mqttseal_header *hdr,
                                          const unsigned char *env,
                                          size_t env_len);

/**
 * Check a topic name as mqttseal seals it: non-empty, at most 65535
 * bytes, no '+', '#' or NUL. @return OK, E_TOPIC_EMPTY, E_TOPIC_INVALID.
 */
MQTTSEAL_EXPORT int mqttseal_topic_check(const char *topic, size_t len);

/**
 * Check a grant filter: "#", "a/b/#" or an exact topic.
 * @return OK, E_FILTER, E_FILTER_PLUS.
 */
MQTTSEAL_EXPORT int mqttseal_filter_check(const char *filter, size_t len);

/* ---------------------------------------------------------------------
 * 8. Signatures
 *
 * Topic keys say "someone holding this topic's key sealed it". A signer
 * (an Ed25519 key pair) says who: a context with a signer signs inside
 * the envelope (docs/FORMAT.md section 14), and a receiver's trust list
 * names the signers it accepts, the MQTT filters ('+' and '#' allowed)
 * each may publish on, an optional expiry, and "require" filters on which
 * an unsigned envelope is refused. A signer id is the first 8 bytes of
 * BLAKE2b-256 of the public key.
 * ------------------------------------------------------------------- */

typedef struct mqttseal_signer mqttseal_signer;
typedef struct mqttseal_trust mqttseal_trust;

/** A fresh random signer (seed in guarded memory).
 *  @return OK, E_INVALID, E_NOMEM, E_CRYPTO. */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_signer_generate(mqttseal_signer **out);

/** The signer of a given 32-byte Ed25519 seed (deterministic).
 *  @return OK, E_INVALID, E_NOMEM, E_CRYPTO. */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_signer_from_seed(mqttseal_signer **out,
                          const unsigned char seed[MQTTSEAL_SIGN_SEEDBYTES]);

/**
 * Parse signer-key text ("mqttseal-signer 1" then "secret <base64>").
 * On failure *out is NULL and diag (may be NULL) names the line; the
 * secret never appears in diag.
 * @return OK, E_TRUST_SYNTAX, E_INVALID, E_NOMEM.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_signer_load_string(mqttseal_signer **out, const char *text,
                            size_t text_len, mqttseal_diag *diag);

/**
 * Read a signer-key file. One readable or writable by group or others is
 * E_KEYRING_PERMS, one owned by another user than the caller or root is
 * E_FILE_OWNER (as keyring files).
 * @return as mqttseal_signer_load_string, plus E_IO, E_KEYRING_PERMS,
 *         E_FILE_OWNER.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_signer_load_file(mqttseal_signer **out, const char *path,
                          mqttseal_diag *diag);

/** Write the signer-key file atomically with mode 0600.
 *  @return OK, E_INVALID, E_IO, E_NOMEM. */
MQTTSEAL_EXPORT int mqttseal_signer_save_file(const mqttseal_signer *s,
                                              const char *path);

/** The signer's public key. */
MQTTSEAL_EXPORT void
mqttseal_signer_public_key(const mqttseal_signer *s,
                           unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES]);

/** The signer's id. */
MQTTSEAL_EXPORT void
mqttseal_signer_id(const mqttseal_signer *s,
                   unsigned char id[MQTTSEAL_SIGNERIDBYTES]);

/** The id of a public key (no signer needed). */
MQTTSEAL_EXPORT void
mqttseal_signer_id_of(unsigned char id[MQTTSEAL_SIGNERIDBYTES],
                      const unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES]);

/**
 * The shareable public export, one line "signer <base64 key>\n".
 * *text_len receives the length needed (excluding the NUL); with out ==
 * NULL or too small a cap nothing is written: E_BUFFER.
 * @return OK, E_BUFFER, E_INVALID.
 */
MQTTSEAL_EXPORT int mqttseal_signer_export(const mqttseal_signer *s,
                                           char *out, size_t out_cap,
                                           size_t *text_len);

/** Wipe and free. NULL is ignored. */
MQTTSEAL_EXPORT void mqttseal_signer_free(mqttseal_signer *s);

/**
 * Sign every envelope this context seals with a copy of s (s may be freed
 * afterwards); NULL stops signing. @return OK, E_INVALID, E_NOMEM.
 */
MQTTSEAL_EXPORT int mqttseal_ctx_set_signer(mqttseal_ctx *ctx,
                                            const mqttseal_signer *s);

/** An empty trust list. @return OK, E_INVALID, E_NOMEM. */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_trust_new(mqttseal_trust **out);

/**
 * Parse trust-list text (docs/FORMAT.md section 14): "mqttseal-trust 1",
 * then lines "signer <name> <base64 key> <filter>... [expires=...]" and
 * "require <filter>". On failure *out is NULL and diag names the line.
 * @return OK, E_TRUST_SYNTAX (also for a bad filter or a signer key
 *         listed twice), E_INVALID, E_NOMEM.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_trust_load_string(mqttseal_trust **out, const char *text,
                           size_t text_len, mqttseal_diag *diag);

/**
 * Read a trust-list file. Public data, but one writable by group or
 * others or owned by another user than the caller or root is refused
 * (E_FILE_OWNER). @return as mqttseal_trust_load_string, plus E_IO,
 * E_FILE_OWNER.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_trust_load_file(mqttseal_trust **out, const char *path,
                         mqttseal_diag *diag);

/**
 * Trust the signer pk under name (1 to 64 of [A-Za-z0-9._-]) on
 * n_filters MQTT filters (NUL-terminated; '+' and '#' allowed), until
 * expires (Unix seconds; 0 = never).
 * @return OK, E_INVALID (bad name, no filter), E_FILTER (malformed
 *         filter), E_DUPLICATE_KEY (pk already listed), E_NOMEM.
 */
MQTTSEAL_EXPORT int
mqttseal_trust_add(mqttseal_trust *t, const char *name,
                   const unsigned char pk[MQTTSEAL_SIGN_PUBLICKEYBYTES],
                   const char *const *filters, size_t n_filters,
                   int64_t expires);

/** Require a signature on every topic filter matches.
 *  @return OK, E_INVALID, E_FILTER, E_NOMEM. */
MQTTSEAL_EXPORT int mqttseal_trust_require(mqttseal_trust *t,
                                           const char *filter);

/**
 * The name the trust list gives signer id into buf (NUL-terminated).
 * @return OK, E_SIGNER_UNKNOWN, E_BUFFER, E_INVALID.
 */
MQTTSEAL_EXPORT int
mqttseal_trust_name(const mqttseal_trust *t,
                    const unsigned char id[MQTTSEAL_SIGNERIDBYTES],
                    char *buf, size_t cap);

/**
 * Serialise to trust-list text; *text_len receives the length needed
 * (excluding the NUL); with out == NULL or too small a cap nothing is
 * written and E_BUFFER is returned. @return OK, E_BUFFER, E_INVALID.
 */
MQTTSEAL_EXPORT int mqttseal_trust_to_string(const mqttseal_trust *t,
                                             char *out, size_t out_cap,
                                             size_t *text_len);

/** Write atomically with mode 0644. @return OK, E_INVALID, E_IO,
 *  E_NOMEM. */
MQTTSEAL_EXPORT int mqttseal_trust_save_file(const mqttseal_trust *t,
                                             const char *path);

/** Free. NULL is ignored. */
MQTTSEAL_EXPORT void mqttseal_trust_free(mqttseal_trust *t);

/**
 * Check signed envelopes against a copy of t (t may be freed afterwards);
 * NULL removes it (every signed envelope is then E_SIGNER_UNKNOWN and
 * nothing is required). @return OK, E_INVALID, E_NOMEM.
 */
MQTTSEAL_EXPORT int mqttseal_ctx_set_trust(mqttseal_ctx *ctx,
                                           const mqttseal_trust *t);

/**
 * mqttseal_trust_name on the context's current trust list (for a
 * hdr->signer_id that mqttseal_open returned).
 * @return OK, E_SIGNER_UNKNOWN, E_BUFFER, E_INVALID.
 */
MQTTSEAL_EXPORT int
mqttseal_ctx_signer_name(mqttseal_ctx *ctx,
                         const unsigned char id[MQTTSEAL_SIGNERIDBYTES],
                         char *buf, size_t cap);

/* ---------------------------------------------------------------------
 * 9. Key distribution (docs/FORMAT.md section 15)
 *
 * A device holds an X25519 key pair; its device id is the first 8 bytes
 * of BLAKE2b-256 of the public key. An operator seals a keyring to one
 * device (crypto_box_seal) and signs the result with its signer: a
 * keyring update, carrying the device id, a version that only grows and
 * an expiry. The device opens it only if it is addressed to it, signed
 * by a signer of its trust list, newer than the version it applied,
 * unexpired, and if every granted filter lies inside the filters its
 * trust list grants that signer.
 * ------------------------------------------------------------------- */

#define MQTTSEAL_DEVICE_PUBLICKEYBYTES 32U
#define MQTTSEAL_DEVICE_SEEDBYTES 32U
#define MQTTSEAL_DEVICEIDBYTES 8U
/* magic(4) version(1) device id(8) version(8) expiry(8) signer id(8)
 * sealed length(4), then the sealed keyring, then the signature. */
#define MQTTSEAL_UPDATE_HEADERBYTES 41U
#define MQTTSEAL_UPDATE_OVERHEAD (MQTTSEAL_UPDATE_HEADERBYTES + 48U + 64U)
/** The largest keyring text an update carries. */
#define MQTTSEAL_UPDATE_TEXT_MAX 65536U
/** Buffer size that always holds the update of a len-byte keyring text. */
#define MQTTSEAL_UPDATE_BYTES(len) ((size_t)(len) + MQTTSEAL_UPDATE_OVERHEAD)

/** MQTTSEAL_UPDATE_OVERHEAD and MQTTSEAL_DEVICEIDBYTES, for bindings. */
MQTTSEAL_EXPORT size_t mqttseal_update_overhead(void);
MQTTSEAL_EXPORT size_t mqttseal_deviceidbytes(void);

typedef struct mqttseal_device mqttseal_device;

/** A fresh random device key pair. @return OK, E_NOMEM, E_CRYPTO. */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_device_generate(mqttseal_device **out);

/** The device key pair of a 32-byte seed (deterministic).
 *  @return OK, E_INVALID, E_NOMEM, E_CRYPTO. */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_device_from_seed(mqttseal_device **out,
                          const unsigned char seed[MQTTSEAL_DEVICE_SEEDBYTES]);

/**
 * Read a device-key file ("mqttseal-device 1" then "secret <base64>"):
 * mode 0600 and owner-checked as keyring files.
 * @return OK, E_TRUST_SYNTAX, E_IO, E_KEYRING_PERMS, E_FILE_OWNER,
 *         E_INVALID, E_NOMEM.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_device_load_file(mqttseal_device **out, const char *path,
                          mqttseal_diag *diag);

/** Write the device-key file atomically with mode 0600.
 *  @return OK, E_INVALID, E_IO, E_NOMEM. */
MQTTSEAL_EXPORT int mqttseal_device_save_file(const mqttseal_device *d,
                                              const char *path);

/** The device's X25519 public key. */
MQTTSEAL_EXPORT void
mqttseal_device_public_key(const mqttseal_device *d,
                           unsigned char pk[MQTTSEAL_DEVICE_PUBLICKEYBYTES]);

/** The id of a device public key. */
MQTTSEAL_EXPORT void
mqttseal_device_id_of(unsigned char id[MQTTSEAL_DEVICEIDBYTES],
                      const unsigned char pk[MQTTSEAL_DEVICE_PUBLICKEYBYTES]);

/** Wipe and free. NULL is ignored. */
MQTTSEAL_EXPORT void mqttseal_device_free(mqttseal_device *d);

/** The unauthenticated fields of an update (mqttseal_update_parse). */
typedef struct mqttseal_update_info {
    unsigned char device_id[MQTTSEAL_DEVICEIDBYTES];
    uint64_t version;
    int64_t expires; /* Unix seconds; the device refuses it from then on */
    unsigned char signer_id[MQTTSEAL_SIGNERIDBYTES];
    size_t sealed_len;
} mqttseal_update_info;

/**
 * Seal the text of kr to the device public key and sign with op.
 * version >= 1; expires > 0. *out_len gets the size; with out too small
 * nothing is written (E_BUFFER, *out_len set to the size needed).
 * @return OK, E_BUFFER, E_INVALID, E_TOO_LARGE, E_NOMEM.
 */
MQTTSEAL_EXPORT int
mqttseal_update_seal(unsigned char *out, size_t out_cap, size_t *out_len,
                     const mqttseal_signer *op,
                     const unsigned char pk[MQTTSEAL_DEVICE_PUBLICKEYBYTES],
                     uint64_t version, int64_t expires,
                     const mqttseal_keyring *kr);

/**
 * Parse the layout of an update; nothing is authenticated.
 * @return OK, E_NOT_SEALED (bad magic), E_VERSION, E_TRUNCATED,
 *         E_TRAILING, E_OVERSIZE, E_INVALID.
 */
MQTTSEAL_EXPORT int mqttseal_update_parse(const unsigned char *in,
                                          size_t len,
                                          mqttseal_update_info *info);

/**
 * Verify and open an update for device d. Checks, in order: layout,
 * device id, signer in t and unexpired, signature, version > last
 * (E_UPDATE_ROLLBACK), expiry > now_s, box opens, keyring text parses,
 * every granted filter lies inside the signer's trust filters. On
 * success *out is the new keyring and info (may be NULL) is filled; on
 * failure *out is NULL and diag (may be NULL) says why.
 * @return OK, the parse codes, E_UPDATE_DEVICE, E_SIGNER_UNKNOWN,
 *         E_SIGNER_EXPIRED, E_SIGNATURE, E_UPDATE_ROLLBACK,
 *         E_UPDATE_EXPIRED, E_AUTH, E_KEYRING_SYNTAX, E_UPDATE_SCOPE,
 *         E_INVALID, E_NOMEM.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_update_open(mqttseal_keyring **out, mqttseal_update_info *info,
                     const mqttseal_device *d, const mqttseal_trust *t,
                     uint64_t last_version, int64_t now_s,
                     const unsigned char *in, size_t len,
                     mqttseal_diag *diag);

/**
 * The device side in one call: read the applied version from
 * "<keyring_path>.version" (0 if absent), open the update, then write the
 * keyring file atomically (0600), then the version file, then give the
 * keyring to ctx (may be NULL). On any failure the keyring file, the
 * version file and ctx are untouched. *version (may be NULL) gets the
 * applied version. @return as mqttseal_update_open, plus E_IO.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_update_apply(mqttseal_ctx *ctx, const char *keyring_path,
                      const mqttseal_device *d, const mqttseal_trust *t,
                      const unsigned char *in, size_t len,
                      uint64_t *version, mqttseal_diag *diag);

#ifdef __cplusplus
}
#endif

#endif /* MQTTSEAL_H */
