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
 *  Every table is allocated here: accepting never allocates.
 *  @return OK, E_INVALID, E_NOMEM, E_CRYPTO. */
int ms_replay_new(ms_replay **out, unsigned window, size_t max_sessions);
void ms_replay_free(ms_replay *r);

/**
 * Record an authenticated (key_id, session_id, seq). has_ts/ts_ms: the
 * message's timestamp; now_ms: the clock.
 * @return OK, E_REPLAY (already accepted), E_TOO_OLD (below the window
 *         or at/below a tombstone's mark), E_SESSION_LOST (unknown
 *         session after state for key_id was dropped, and no timestamp
 *         newer than the drop), E_NOMEM (the low-water mark table could
 *         not grow; nothing changed), E_INVALID (NULL arguments).
 */
int ms_replay_accept(ms_replay *r, uint32_t key_id,
                     const unsigned char sid[MQTTSEAL_SESSIONIDBYTES],
                     uint64_t seq, int has_ts, uint64_t ts_ms,
                     uint64_t now_ms);

/** Serialise to a malloc'd buffer (*out, *len). @return OK, E_NOMEM. */
int ms_replay_encode(const ms_replay *r, unsigned char **out, size_t *len);

/**
 * Parse a serialised state into a new replay of the given geometry.
 * @return OK, E_STATE_CORRUPT (bad magic, checksum, counts, truncated,
 *         trailing bytes), E_INVALID, E_NOMEM.
 */
int ms_replay_decode(ms_replay **out, const unsigned char *buf, size_t len,
                     unsigned window, size_t max_sessions);

/** Atomic save (temp, fsync, rename, 0600). @return OK, E_IO, E_NOMEM. */
int ms_replay_save(const ms_replay *r, const char *path);

/** Load a saved file. @return OK, E_IO, E_STATE_CORRUPT, E_NOMEM. */
int ms_replay_load(ms_replay **out, const char *path, unsigned window,
                   size_t max_sessions);

/** Memory per tracked session at this window. */
size_t ms_replay_session_bytes(unsigned window);

#endif
