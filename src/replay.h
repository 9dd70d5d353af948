/*
 * Receive-side replay state (docs/FORMAT.md, "Replay protection").
 * Not thread-safe: the context serialises calls with its lock.
 */
#ifndef MQTTSEAL_REPLAY_H
#define MQTTSEAL_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "mqttseal/mqttseal.h"

typedef struct ms_replay ms_replay;

/** window: multiple of 64, 64..MQTTSEAL_REPLAY_WINDOW_MAX; sessions >= 1.
 *  The tables are allocated here; the remembered-session table doubles
 *  up to its capacity (MQTTSEAL_REPLAY_REMEMBER_DEFAULT, or four per
 *  tracked session if that is more) when nothing in it is stale.
 *  @return OK, E_INVALID, E_NOMEM, E_CRYPTO. */
int ms_replay_new(ms_replay **out, unsigned window, size_t max_sessions);
void ms_replay_free(ms_replay *r);

/** Freshness: a slot whose newest timestamp is more than max_age_ms
 *  old is stale and may be forgotten (0: nothing is ever stale). */
void ms_replay_set_max_age(ms_replay *r, uint64_t max_age_ms);

/** The most remembered sessions. @return OK, E_INVALID. */
int ms_replay_set_capacity(ms_replay *r, size_t remembered);

/** What a replay state holds. */
typedef struct ms_replay_stat {
    uint64_t tracked, remembered, forgotten, dropped, bytes;
} ms_replay_stat;

void ms_replay_stats(const ms_replay *r, ms_replay_stat *st);

/**
 * Record an authenticated (key_id, sid, seq), sid being the session's
 * replay id (ms_replay_id), not its bare session id. has_ts/ts_ms: the
 * message's timestamp; now_ms: the clock (0: read it when needed).
 * @return OK, E_REPLAY (already accepted), E_TOO_OLD (below the window
 *         or at/below a tombstone's mark), E_SESSION_LOST (unknown
 *         session after state for key_id was dropped, and no timestamp
 *         newer than the drop), E_NOMEM (the low-water mark table could
 *         not grow; nothing changed), E_INVALID (NULL arguments).
 */
int ms_replay_accept(ms_replay *r, uint32_t key_id,
                     const unsigned char sid[MQTTSEAL_SESSIONIDBYTES],
                     uint64_t seq, int has_ts, uint64_t ts_ms, uint64_t now_ms);

/** Serialise to a malloc'd buffer (*out, *len). @return OK, E_NOMEM. */
int ms_replay_encode(const ms_replay *r, unsigned char **out, size_t *len);

/**
 * Parse a serialised state into a new replay of the given geometry and
 * capacity (0: the default).
 * @return OK, E_STATE_CORRUPT (bad magic, checksum, counts, truncated,
 *         trailing bytes), E_INVALID, E_NOMEM.
 */
int ms_replay_decode(ms_replay **out, const unsigned char *buf, size_t len,
                     unsigned window, size_t max_sessions, size_t capacity);

/** The length of the encoded state at the start of buf, from its
 *  header's counts. @return OK, E_STATE_CORRUPT. */
int ms_replay_body_len(const unsigned char *buf, size_t len, size_t *body_len);

/** Memory per tracked session at this window; per remembered one. */
size_t ms_replay_session_bytes(unsigned window);
size_t ms_replay_remembered_bytes(void);

/**
 * The id the replay state keeps session sid under for message key key:
 * the first 12 bytes of BLAKE2b keyed with key over "mqttseal-rid-v1" ||
 * sid. One window per (session, topic key); without the key nobody can
 * aim at it by reusing the session id.
 */
void ms_replay_id(unsigned char rid[MQTTSEAL_SESSIONIDBYTES],
                  const unsigned char key[MQTTSEAL_KEYBYTES],
                  const unsigned char sid[MQTTSEAL_SESSIONIDBYTES]);

#endif
