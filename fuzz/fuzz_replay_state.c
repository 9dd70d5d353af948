/*
 * Fuzz the replay-state loader, ms_replay_decode (docs/FORMAT.md section
 * 11). The file ends in a BLAKE2b checksum that random mutations never
 * match, so an option bit makes the harness write the correct checksum
 * first, which lets the fuzzer reach the structure behind it.
 *
 * Checks: a state that loads must re-encode to bytes that load and
 * re-encode to the same bytes; and loading must never be more
 * permissive than the file (section 11: "never more permissive than the
 * saved state"), whatever the receiver's window and session count: every
 * sequence number the file marks as seen, and every one at or below a
 * tombstone's highest, must still be refused.
 *
 * Input: byte 0: window = 64 * (1 + (b & 63)); byte 1: sessions =
 * 1 + (b & 15), bit 7 = fix the checksum; then the file.
 *
 * With bit 7 of byte 0 set, the rest is instead a sequence of accepts
 * (see sequence()), checked for the safety property itself: no
 * (key id, session, seq) is ever accepted twice, across evictions to
 * tombstones, dropped tombstones and saves and reloads into other
 * geometries.
 */
#include <sodium.h>
#include <string.h>

#include "clock.h"
#include "fuzz.h"
#include "mqttseal/mqttseal.h"
#include "replay.h"

#define NOW_MS UINT64_C(1700000000000)
#define MAX_PROBES 256U

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* A refusal of an authentic message: what "still refused" means. */
static int refused(int rc)
{
    return rc == MQTTSEAL_E_REPLAY || rc == MQTTSEAL_E_TOO_OLD ||
           rc == MQTTSEAL_E_SESSION_LOST;
}

static void probe(ms_replay *r, uint32_t key_id, const uint8_t *sid,
                  uint64_t seq, unsigned *budget)
{
    int rc;

    if (*budget == 0) {
        return;
    }
    (*budget)--;
    rc = ms_replay_accept(r, key_id, sid, seq, 0, 0, NOW_MS);
    if (!refused(rc)) {
        fprintf(stderr, "key %u seq %llu accepted again (%d)\n",
                (unsigned)key_id, (unsigned long long)seq, rc);
    }
    FUZZ_ASSERT(refused(rc));
}

/* Walks a file that decoded and probes what it says was seen. Returns
 * 0 if the file does not have the shape section 11 gives (then the
 * decoder should not have accepted it either). */
/* Header: magic, window, three counts, ts_high (FORMAT.md section 11). */
#define HDR 32U

static int probe_file(ms_replay *r, const uint8_t *p, size_t len)
{
    uint32_t w, ns, nt, nm, words;
    size_t pos = HDR, sess_bytes;
    unsigned budget = MAX_PROBES;

    if (len < HDR + 32 || memcmp(p, "MQSRPL02", 8) != 0) {
        return 0;
    }
    w = rd32(p + 8);
    ns = rd32(p + 12);
    nt = rd32(p + 16);
    nm = rd32(p + 20);
    if (w == 0 || w % 64 != 0 || w > MQTTSEAL_REPLAY_WINDOW_MAX) {
        return 0;
    }
    words = w / 64 + 1;
    sess_bytes = 24 + (size_t)words * 8;
    if ((uint64_t)ns * sess_bytes + (uint64_t)nt * 24 + (uint64_t)nm * 12 !=
        len - HDR - 32) {
        return 0;
    }
    for (uint32_t i = 0; i < ns; i++, pos += sess_bytes) {
        uint32_t key_id = rd32(p + pos);
        const uint8_t *sid = p + pos + 4;
        uint64_t hi = rd64(p + pos + 16);
        const uint8_t *ring = p + pos + 24;

        probe(r, key_id, sid, hi, &budget);
        if (hi >= w) {
            probe(r, key_id, sid, hi - w, &budget);
        }
        /* Seen bits inside the window (hi - w, hi]. */
        for (uint64_t d = 1; d < w && d <= hi && budget > 0; d++) {
            uint64_t s = hi - d;
            uint64_t word = rd64(ring + ((s / 64) % words) * 8);
            if ((word >> (s % 64)) & 1U) {
                probe(r, key_id, sid, s, &budget);
            }
        }
    }
    for (uint32_t i = 0; i < nt; i++, pos += 24) {
        uint64_t hi = rd64(p + pos + 16);
        probe(r, rd32(p + pos), p + pos + 4, hi, &budget);
        if (hi > 0) {
            probe(r, rd32(p + pos), p + pos + 4, hi - 1, &budget);
        }
        probe(r, rd32(p + pos), p + pos + 4, 0, &budget);
    }
    return 1;
}

static void check_reencode(const ms_replay *r, unsigned window, size_t sessions)
{
    unsigned char *e1 = NULL, *e2 = NULL;
    size_t l1 = 0, l2 = 0;
    ms_replay *r2 = NULL;

    FUZZ_ASSERT(ms_replay_encode(r, &e1, &l1) == MQTTSEAL_OK);
    FUZZ_ASSERT(ms_replay_decode(&r2, e1, l1, window, sessions,
                                 4U * sessions) == MQTTSEAL_OK);
    FUZZ_ASSERT(ms_replay_encode(r2, &e2, &l2) == MQTTSEAL_OK);
    FUZZ_ASSERT(l1 == l2 && memcmp(e1, e2, l1) == 0);
    ms_replay_free(r2);
    free(e1);
    free(e2);
}

/* Accepted (key id 1..2, sender 0..7, seq 0..65535): 128 KiB. */
static uint8_t accepted[2][8][65536 / 8];

static void reload(ms_replay **r, unsigned window, size_t sessions)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    ms_replay *r2 = NULL;

    FUZZ_ASSERT(ms_replay_encode(*r, &buf, &len) == MQTTSEAL_OK);
    FUZZ_ASSERT(ms_replay_decode(&r2, buf, len, window, sessions,
                                 4U * sessions) == MQTTSEAL_OK);
    ms_replay_free(*r);
    *r = r2;
    free(buf);
}

/*
 * Ops of 4 bytes: b0 bits 0-2 sender, bit 3 key id (1 or 2), bit 5 save
 * and reload first, bit 6 reload into a 64-bit window and one session
 * instead; b1..b2 seq (LE); b3 the clock advances b3 ms. A message's
 * timestamp is part of what it authenticates, so a copy always carries
 * the original's: senders 4..7 stamp seq s with NOW_MS + 4 s, senders
 * 0..3 send none. A message is only sent once its timestamp has passed
 * on the receiver's clock (a sender ahead of the receiver is a known
 * gap, see the report), otherwise the op is skipped.
 */
static void sequence(unsigned window, size_t sessions, const uint8_t *p,
                     size_t n)
{
    uint64_t now = NOW_MS;
    ms_replay *r = NULL;

    memset(accepted, 0, sizeof accepted);
    FUZZ_ASSERT(ms_replay_new(&r, window, sessions) == MQTTSEAL_OK);
    /* Small tables, so that sessions are dropped and marks set. */
    FUZZ_ASSERT(ms_replay_set_capacity(r, 4U * sessions) == MQTTSEAL_OK);
    for (; n >= 4; p += 4, n -= 4) {
        unsigned sender = p[0] & 7U, key = (p[0] >> 3) & 1U;
        unsigned seq = (unsigned)p[1] | (unsigned)p[2] << 8;
        uint8_t *bit = &accepted[key][sender][seq / 8];
        unsigned char sid[MQTTSEAL_SESSIONIDBYTES];
        int has_ts = sender >= 4;
        uint64_t ts = NOW_MS + 4U * (uint64_t)seq;
        int rc;

        now += p[3];
        ms_clock_set_fake(now); /* decode marks what it drops with it */
        if (p[0] & 0x40U) {
            window = 64;
            sessions = 1;
            reload(&r, window, sessions);
        } else if (p[0] & 0x20U) {
            reload(&r, window, sessions);
        }
        if (has_ts && ts > now) {
            continue;
        }
        memset(sid, (int)(0xa0U + sender), sizeof sid);
        rc = ms_replay_accept(r, key + 1U, sid, seq, has_ts, has_ts ? ts : 0,
                              now);
        FUZZ_ASSERT(rc == MQTTSEAL_OK || refused(rc));
        if (rc == MQTTSEAL_OK) {
            if (*bit & (1U << (seq % 8))) {
                fprintf(stderr, "key %u sender %u seq %u accepted twice\n",
                        key + 1U, sender, seq);
                abort();
            }
            *bit |= (uint8_t)(1U << (seq % 8));
        }
    }
    ms_replay_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned window;
    size_t sessions, len;
    uint8_t *file;
    ms_replay *r = NULL;
    int rc;

    if (size < 2) {
        return 0;
    }
    if (sodium_init() < 0) {
        abort();
    }
    window = 64U * (1U + (data[0] & 63U));
    sessions = 1U + (data[1] & 15U);
    if (data[0] & 0x80U) {
        sequence(window, sessions, data + 2, size - 2);
        return 0;
    }
    len = size - 2;
    file = malloc(len ? len : 1);
    FUZZ_ASSERT(file != NULL);
    memcpy(file, data + 2, len);
    if ((data[1] & 0x80U) && len >= 32) {
        crypto_generichash(file + len - 32, 32, file, len - 32, NULL, 0);
    }
    rc = ms_replay_decode(&r, file, len, window, sessions, 4U * sessions);
    if (rc != MQTTSEAL_OK) {
        FUZZ_ASSERT(rc == MQTTSEAL_E_STATE_CORRUPT || rc == MQTTSEAL_E_NOMEM);
        free(file);
        return 0;
    }
    FUZZ_ASSERT(r != NULL);
    check_reencode(r, window, sessions);
    if (!probe_file(r, file, len)) {
        fprintf(stderr, "decoder accepted a file that does not match "
                        "docs/FORMAT.md section 11\n");
        abort();
    }
    ms_replay_free(r);
    free(file);
    return 0;
}
