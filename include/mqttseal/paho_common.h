/*
 * mqttseal/paho_common.h: what the sealing hooks for Eclipse Paho MQTT C
 * share between Paho's two APIs. Include mqttseal/paho_client.h
 * (MQTTClient) or mqttseal/paho_async.h (MQTTAsync), which include this.
 *
 * Libraries: one per Paho flavour, as Paho ships them, each linking
 * exactly that Paho library:
 *
 *   Paho library      hooks library           pkg-config module
 *   paho-mqtt3c       libmqttseal-paho-c      mqttseal-paho-c
 *   paho-mqtt3cs      libmqttseal-paho-cs     mqttseal-paho-cs   (TLS)
 *   paho-mqtt3a       libmqttseal-paho-a      mqttseal-paho-a
 *   paho-mqtt3as      libmqttseal-paho-as     mqttseal-paho-as   (TLS)
 *
 * Paho's libraries export the same MQTTProperties_* functions over
 * separate heaps, so a program must load one of them only: link one
 * module, and not a second Paho library. CMake: find_package(mqttseal)
 * and the targets mqttseal::paho-c, -cs, -a or -as.
 *
 * Contents
 *   1. Return codes
 *   2. The hooks handle
 *   3. Rejections (what the subscriber side refused, and why)
 *   (4. MQTTClient wrappers: paho_client.h)
 *   (5. MQTTAsync wrappers: paho_async.h)
 *   6. Sealed wills (LWT)
 *   7. Running a subscriber: replay-state checkpoints, fork and clones
 *   8. Signatures: signing publishes and wills, trust lists, who signed
 *
 * Porting an app: include this header, create one handle, put "mqttseal_"
 * and the handle in front of each publish call and of the set-callbacks
 * call, and free the handle after the client is destroyed:
 *
 *     mqttseal_paho *ms = NULL;
 *     mqttseal_diag diag;
 *     if (mqttseal_paho_from_file(&ms, "app.keyring", &diag) != 0)
 *         die(diag.message);                  // names the file and line
 *     mqttseal_MQTTClient_setCallbacks(ms, client, ctx, lost, arrived, dc);
 *     mqttseal_MQTTClient_publishMessage(ms, client, topic, &msg, &token);
 *     ...
 *     MQTTClient_destroy(&client);
 *     mqttseal_paho_free(ms);
 *
 * mqttseal_paho_from_file is declared warn_unused_result: a keyring that
 * did not load cannot go unnoticed, and its diag says why. A NULL handle
 * also makes every wrapper fail with an error code.
 *
 * Publishing: every wrapper seals the payload into a private buffer and
 * hands that to Paho (which copies it before returning). If sealing fails
 * nothing is published. A message published with retained set (the
 * retained argument, or MQTTClient_message / MQTTAsync_message .retained)
 * is sealed as retained (mqttseal_seal_ex with MQTTSEAL_SEAL_RETAINED):
 * the envelope's authenticated flag, not the broker's RETAIN bit, is what
 * lets receivers apply their retained maximum age to it. The caller's
 * message, properties and response structures are never changed, except
 * the output fields Paho itself writes (the delivery token).
 *
 * Receiving: the set-callbacks wrappers install mqttseal's messageArrived
 * in front of the application's. It opens the payload in place inside
 * Paho's buffer (the plaintext is shorter), fixes payloadlen and calls the
 * application's callback, passing its return value back to Paho. Only
 * verified plaintext ever reaches the application. Every failure (empty
 * topic name from an unresolved topic alias, an unsealed payload, any
 * open error, a replay, a QoS 1 redelivery already delivered) calls the
 * rejection callback, frees the message and topic, and returns 1, so Paho
 * neither redelivers nor stalls.
 *
 * The plaintext is followed by a NUL byte (not counted in payloadlen), so
 * text payloads may be used as C strings.
 *
 * If the application's callback returns 0, Paho keeps the (now opened)
 * message at the head of that client's queue and calls again later; the
 * hooks recognise that same message (same client, same Paho message
 * object and buffer, and a digest of topic and plaintext) and pass it on
 * again without reopening it. Any other message from that client ends
 * the wait: Paho dropped the refused one (for example with a clean
 * session), and an unsealed copy of its plaintext arriving later, even in
 * reused buffers, is rejected like any other. At most 8 refused messages
 * (over all clients of the handle) are remembered; the oldest beyond that
 * is rejected when offered again, never passed on unchecked.
 *
 * MQTT 5: a sealed message never carries payload format indicator 1 (the
 * wrappers drop any payload format indicator from a private copy of the
 * properties); with MQTTSEAL_PAHO_OPT_CONTENT_TYPE they add a content type
 * naming the format unless the application set one. Other properties are
 * kept. Paho 1.3.12 does not resolve inbound topic aliases: do not
 * advertise a topic alias maximum (an alias-only PUBLISH is rejected with
 * MQTTSEAL_E_TOPIC_EMPTY).
 *
 * Threads: every function here may be called from any thread, including
 * MQTTAsync's callback threads. Counters are atomic. The handle must
 * outlive every client whose callbacks it installed: free it after
 * MQTTClient_destroy / MQTTAsync_destroy.
 */
#ifndef MQTTSEAL_PAHO_COMMON_H
#define MQTTSEAL_PAHO_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <mqttseal/mqttseal.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------
 * 1. Return codes
 *
 * Wrappers return Paho's own codes (MQTTCLIENT_SUCCESS / MQTTASYNC_SUCCESS
 * = 0, Paho's negative errors) and, when mqttseal itself fails, a code in
 * a range no Paho call uses: MQTTSEAL_PAHO_ERROR(err) = -1000 - err, for
 * an mqttseal_err err. The MQTTResponse wrappers put that code in
 * reasonCode, as Paho does with its own negative codes (compare
 * (int)r.reasonCode: the enum type may be unsigned).
 * ------------------------------------------------------------------- */

#define MQTTSEAL_PAHO_ERROR_BASE (-1000)
/** The wrapper return code for mqttseal error err (e.g. -1004). */
#define MQTTSEAL_PAHO_ERROR(err) (MQTTSEAL_PAHO_ERROR_BASE - (int)(err))
/** True when rc came from mqttseal rather than from Paho. */
#define MQTTSEAL_PAHO_IS_ERROR(rc)                                             \
    ((rc) < MQTTSEAL_PAHO_ERROR_BASE && (rc) > MQTTSEAL_PAHO_ERROR_BASE - 1000)
/** The mqttseal_err inside a wrapper return code, or 0 if there is none. */
#define MQTTSEAL_PAHO_ERR_CODE(rc)                                             \
    (MQTTSEAL_PAHO_IS_ERROR(rc) ? MQTTSEAL_PAHO_ERROR_BASE - (rc) : 0)

/**
 * Describe any code this header deals in: a wrapper return code (Paho's
 * or MQTTSEAL_PAHO_ERROR), or a rejection reason (section 3). Never NULL.
 */
MQTTSEAL_EXPORT const char *mqttseal_paho_strerror(int code);

/* ---------------------------------------------------------------------
 * 2. The hooks handle: the sealing/opening context, options, the
 *    rejection callback, counters, and the application callbacks of each
 *    client whose callbacks were installed through it.
 * ------------------------------------------------------------------- */

typedef struct mqttseal_paho mqttseal_paho;

/**
 * A handle over ctx, which it borrows: ctx must outlive the handle. Wills
 * are sealed with ctx's keys, each in a one-off session (section 6).
 * @return MQTTSEAL_OK, MQTTSEAL_E_INVALID, MQTTSEAL_E_NOMEM. On failure
 *         *out is NULL.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int mqttseal_paho_new(mqttseal_paho **out,
                                                         mqttseal_ctx *ctx);

/**
 * Load a keyring file and make a handle that owns a context over it (the
 * set-up for ported apps; mqttseal_ctx_from_file and mqttseal_paho_new in
 * one call). Configure that context through mqttseal_paho_ctx().
 * @return MQTTSEAL_OK, or the error of mqttseal_init,
 *         mqttseal_ctx_from_file (E_IO, E_PERMISSIONS, E_KEYRING_SYNTAX,
 *         ...), E_INVALID (out is NULL) or E_NOMEM. On failure *out is
 *         NULL and diag (may be NULL) names the file and the reason (and
 *         the keyring line for a syntax error).
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_paho_from_file(mqttseal_paho **out, const char *keyring_path,
                        mqttseal_diag *diag);

/**
 * mqttseal_paho_from_file returning the handle, or NULL on failure (diag,
 * if not NULL, says why). Kept for existing callers; prefer
 * mqttseal_paho_from_file, whose result cannot be ignored silently.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD mqttseal_paho *
mqttseal_paho_load(const char *keyring_path, mqttseal_diag *diag);

/** Free the handle (and the context if it owns one). NULL is ignored. */
MQTTSEAL_EXPORT void mqttseal_paho_free(mqttseal_paho *h);

/** The context the handle seals and opens with. NULL if h is NULL. */
MQTTSEAL_EXPORT mqttseal_ctx *mqttseal_paho_ctx(const mqttseal_paho *h);

/** Option: add a content type property on MQTT 5 publishes. */
#define MQTTSEAL_PAHO_OPT_CONTENT_TYPE 0x1U
/**
 * Option: wills (section 6) carry a timestamp even if the context does
 * not stamp. Set by mqttseal_paho_use_fleet_defaults.
 */
#define MQTTSEAL_PAHO_OPT_WILL_TIMESTAMP 0x2U
/** The content type value added with MQTTSEAL_PAHO_OPT_CONTENT_TYPE. */
#define MQTTSEAL_PAHO_CONTENT_TYPE "application/mqttseal; v=1"

/**
 * Replace the option flags (MQTTSEAL_PAHO_OPT_*; 0 = defaults). May be
 * called at any time; publishes already in progress use either value.
 * @return MQTTSEAL_OK, MQTTSEAL_E_INVALID (NULL or unknown flag).
 */
MQTTSEAL_EXPORT int mqttseal_paho_set_options(mqttseal_paho *h,
                                              unsigned options);

/**
 * The fleet switch, for publishers and subscribers alike:
 * mqttseal_ctx_use_fleet_defaults on the handle's context (timestamps on;
 * maximum age MQTTSEAL_FLEET_MAX_AGE_MS, 5 min; skew 30 s; retained
 * maximum age MQTTSEAL_FLEET_RETAINED_MAX_AGE_MS, 1 day), and adds
 * MQTTSEAL_PAHO_OPT_WILL_TIMESTAMP to the options. Replay memory is then
 * bounded by time, whatever the number of senders (mqttseal.h section 5).
 * Call it before connecting; every peer of the fleet should. A later
 * mqttseal_paho_set_options replaces the will option with what it is
 * given. @return MQTTSEAL_OK, MQTTSEAL_E_INVALID (h is NULL).
 */
MQTTSEAL_EXPORT int mqttseal_paho_use_fleet_defaults(mqttseal_paho *h);

/**
 * Receiving-side freshness: mqttseal_ctx_set_freshness on the handle's
 * context. max_age_ms (0 = off) bounds the age of live messages;
 * retained_max_age_ms applies instead to messages their publisher sealed
 * as retained (0 = the same maximum age as live ones), such as the last
 * value a late subscriber gets from the broker. The RETAIN bit a broker
 * (or an attacker re-publishing captured bytes with RETAIN set) puts on
 * a delivery changes nothing: a live message replayed as retained after
 * max_age_ms is refused with MQTTSEAL_E_STALE. skew_ms: future tolerance
 * (0 = MQTTSEAL_SKEW_DEFAULT_MS). @return MQTTSEAL_OK, MQTTSEAL_E_INVALID.
 */
MQTTSEAL_EXPORT int mqttseal_paho_set_freshness(mqttseal_paho *h,
                                                uint64_t max_age_ms,
                                                uint64_t skew_ms,
                                                uint64_t retained_max_age_ms);

/* ---------------------------------------------------------------------
 * 3. Rejections
 *
 * A rejection reason is an mqttseal_err (MQTTSEAL_E_NOT_SEALED,
 * MQTTSEAL_E_AUTH, MQTTSEAL_E_REPLAY, MQTTSEAL_E_TOPIC_EMPTY, ...), or
 * MQTTSEAL_PAHO_DUPLICATE: a message already delivered came again with
 * the DUP flag set (a QoS 1 redelivery). MQTTSEAL_E_REPLAY is a copy
 * without the DUP flag: someone re-published it.
 *
 * Every refusal goes through the rejection callback with its reason:
 * besides the hooks' own (MQTTSEAL_E_TOPIC_EMPTY, MQTTSEAL_E_TRUNCATED
 * for an empty payload, MQTTSEAL_PAHO_DUPLICATE), every error of
 * mqttseal_open, among them MQTTSEAL_E_AUTH, MQTTSEAL_E_REPLAY,
 * MQTTSEAL_E_TOO_OLD, MQTTSEAL_E_SESSION_LOST (replay state for the key
 * id was dropped), MQTTSEAL_E_STALE, MQTTSEAL_E_FUTURE,
 * MQTTSEAL_E_NO_TIMESTAMP, MQTTSEAL_E_TOPIC_DEPTH and, with a trust
 * list (section 8), MQTTSEAL_E_SIG_REQUIRED, MQTTSEAL_E_SIGNER_UNKNOWN,
 * MQTTSEAL_E_SIGNER_NOT_GRANTED, MQTTSEAL_E_SIGNER_EXPIRED and
 * MQTTSEAL_E_SIGNATURE. Each is counted twice: by the handle
 * (mqttseal_paho_rejected, every reason above) and, when mqttseal_open
 * refused it, by the context
 * (mqttseal_ctx_stats(mqttseal_paho_ctx(h), &st): st.refused_by[reason];
 * a QoS 1 redelivery is counted there as MQTTSEAL_E_REPLAY).
 * ------------------------------------------------------------------- */

#define MQTTSEAL_PAHO_DUPLICATE 256
/** Pass to mqttseal_paho_rejected() for the total over all reasons. */
#define MQTTSEAL_PAHO_ALL_REASONS (-1)

/** One refused message, as reported to the rejection callback. */
typedef struct mqttseal_paho_rejection {
    const char *topic; /* as Paho delivered it; not NUL-safe, use length */
    size_t topic_len;
    int reason; /* mqttseal_err or MQTTSEAL_PAHO_DUPLICATE */
    int qos;
    int retained;
    int dup;
} mqttseal_paho_rejection;

/**
 * Called on Paho's callback thread for each refused message, before it
 * is freed. It must not keep r or r->topic. The payload is never shown.
 */
typedef void mqttseal_paho_reject_cb(void *context,
                                     const mqttseal_paho_rejection *r);

/**
 * Set (or with cb = NULL clear) the rejection callback. May be called at
 * any time; a rejection racing with the call may still see the old one.
 * @return MQTTSEAL_OK, MQTTSEAL_E_INVALID (h is NULL).
 */
MQTTSEAL_EXPORT int
mqttseal_paho_set_reject_callback(mqttseal_paho *h, mqttseal_paho_reject_cb *cb,
                                  void *context);

/**
 * Messages refused for reason so far (MQTTSEAL_PAHO_ALL_REASONS: all).
 * Reasons beyond the ones in this header share one count. 0 if h is NULL.
 */
MQTTSEAL_EXPORT uint64_t mqttseal_paho_rejected(const mqttseal_paho *h,
                                                int reason);

/** Messages opened and passed to an application callback so far. */
MQTTSEAL_EXPORT uint64_t mqttseal_paho_delivered(const mqttseal_paho *h);

/* ---------------------------------------------------------------------
 * 6. Sealed wills (LWT)
 *
 * The helpers seal the will payload of connect options in place: the
 * plaintext is will->message (a C string) or, when that is NULL,
 * will->payload.data/len. Afterwards will->message is NULL,
 * will->struct_version is 1 and will->payload points at the sealed bytes,
 * which the returned mqttseal_paho_will owns: keep it until the connect
 * call has returned (Paho copies the will then), and free it with
 * mqttseal_paho_will_free. To reseal (for each new connect), set the
 * plaintext back in the options first.
 *
 * Fail closed: connect through mqttseal_MQTTClient_connect,
 * mqttseal_MQTTClient_connect5 or mqttseal_MQTTAsync_connect, and a will
 * is never sent in clear. They pass on a will sealed by the helpers below
 * (and not yet freed) as it is, and seal any other will in a copy of the
 * options before Paho sees it; if that fails, nothing connects and the
 * error is returned. The caller's options are not changed.
 *
 * A will is sealed when connecting but published by the broker later, so
 * a receiver's replay window may have moved past the client's sequence
 * numbers. Every will is therefore sealed in a one-off session of its own
 * (mqttseal_seal_once: a fresh session id, sequence number 0, with the
 * handle's context and keys; no context is made for it). Paho re-sends
 * the same will on automatic reconnects; receivers accept it once.
 *
 * Signed wills: a handle whose context has a signer (section 8) signs its
 * wills as it signs its publishes (mqttseal_seal_once signs with the
 * context's signer).
 *
 * A will whose will options have retained set is sealed as retained
 * (MQTTSEAL_SEAL_RETAINED), like a retained publish. Freshness: a will
 * is stamped when it is sealed (at connect) if the handle's context
 * stamps or MQTTSEAL_PAHO_OPT_WILL_TIMESTAMP is set (by
 * mqttseal_paho_use_fleet_defaults), and receivers with a maximum age
 * judge it by that time: a will published by the broker more than the
 * maximum age after the connect is MQTTSEAL_E_STALE, an unstamped one
 * MQTTSEAL_E_NO_TIMESTAMP. With freshness on, make wills retained (the
 * usual "offline" status message), so that the retained maximum age (a
 * day with the fleet defaults) applies, and reconnect (resealing) more
 * often than that.
 *
 * fork(): a will is sealed in the process that calls the helper, under a
 * session id drawn there and then, which no other process uses. A will sealed
 * before the fork and held by the broker is the same bytes whichever process
 * reconnects with it.
 *
 * The helpers @return MQTTCLIENT_SUCCESS / MQTTASYNC_SUCCESS, or
 * MQTTSEAL_PAHO_ERROR(e) with e = MQTTSEAL_E_INVALID (NULL argument, no will,
 * NULL will topic, struct versions Paho does not know, MQTTAsync MQTT 5 will
 * properties with a payload format indicator; for MQTTClient, pass none to
 * MQTTClient_connect5), MQTTSEAL_E_NOMEM or an error of mqttseal_seal. On
 * failure the options are unchanged and *will is NULL.
 * ------------------------------------------------------------------- */

typedef struct mqttseal_paho_will mqttseal_paho_will;

/** Free a sealed will buffer. NULL is ignored. */
MQTTSEAL_EXPORT void mqttseal_paho_will_free(mqttseal_paho_will *will);

/* ---------------------------------------------------------------------
 * 7. Running a subscriber: replay-state checkpoints, fork and clones
 *
 * Checkpoints. A restarted subscriber accepts again what it accepted
 * before, unless it loads its replay state first. Save it from the
 * application's own loop, never inside messageArrived: the save writes
 * and fsyncs a file, and Paho delivers nothing else meanwhile (with
 * MQTTClient, every message of the client waits). Saving copies the
 * state under the context's lock and writes outside it, so messages go
 * on being opened on Paho's thread during the write:
 *
 *     mqttseal_paho *ms = NULL;
 *     if (mqttseal_paho_from_file(&ms, "sub.keyring", &diag) != 0)
 *         die(diag.message);
 *     mqttseal_ctx *ctx = mqttseal_paho_ctx(ms);
 *     int rc = mqttseal_ctx_load_replay(ctx, "sub.replay");
 *     if (rc != MQTTSEAL_OK && rc != MQTTSEAL_E_IO)   // E_IO: first run
 *         die(mqttseal_strerror(rc));  // corrupt, or not ours: no start
 *     mqttseal_paho_use_fleet_defaults(ms);
 *     mqttseal_MQTTClient_setCallbacks(ms, client, app, lost, arrived,
 *                                      NULL);
 *     ... connect, subscribe ...
 *     while (running) {
 *         sleep(10);
 *         if (mqttseal_ctx_save_replay(ctx, "sub.replay") != MQTTSEAL_OK)
 *             warn("replay state not saved");
 *     }
 *     mqttseal_ctx_save_replay(ctx, "sub.replay");  // after disconnect
 *
 * Messages accepted after the last save are accepted once more after a
 * crash; with freshness on (the fleet defaults) only while they are
 * younger than the maximum age. The file is authenticated with the
 * keyring: a file not made with it is MQTTSEAL_E_STATE_CORRUPT.
 *
 * fork(). The hooks keep no sealing state of their own besides the
 * context: a child of fork() seals in a new session (new session id,
 * sequence numbers from 0) before its first publish, and every will has
 * a session of its own, so parent and child never share a nonce.
 * A child should make its own Paho client (Paho's threads do not survive
 * fork()); the handle and its context may be used by one process only
 * after the fork, or by both for sealing.
 *
 * VM snapshots, CRIU and other clones no detector sees: a restored copy
 * would continue the saved session. Call
 * mqttseal_ctx_new_session(mqttseal_paho_ctx(h)) in the restored
 * process before it publishes again, and reseal its will.
 * ------------------------------------------------------------------- */

/* ---------------------------------------------------------------------
 * 8. Signatures
 *
 * Topic keys say that a holder of the topic's key sealed a message; a
 * signer says which one (mqttseal.h section 8). A handle whose context
 * has a signer signs every publish of every wrapper and every will it
 * seals (72 bytes more per message); a handle whose context has a trust
 * list checks every signed message against it and refuses an unsigned
 * one on a topic the list requires signed. Those refusals reach the
 * rejection callback with their reasons: MQTTSEAL_E_SIG_REQUIRED,
 * MQTTSEAL_E_SIGNER_UNKNOWN, MQTTSEAL_E_SIGNER_NOT_GRANTED,
 * MQTTSEAL_E_SIGNER_EXPIRED, MQTTSEAL_E_SIGNATURE.
 *
 * The calls below set the signer or trust list of the handle's context:
 * mqttseal_ctx_set_signer and mqttseal_ctx_set_trust on
 * mqttseal_paho_ctx(h) do the same. Wills are sealed with that context
 * (section 6), so they are signed too.
 *
 *     mqttseal_paho *ms = NULL;
 *     if (mqttseal_paho_from_file(&ms, "device.keyring", &diag) != 0 ||
 *         mqttseal_paho_load_signer(ms, "device.signer", &diag) != 0 ||
 *         mqttseal_paho_load_trust(ms, "device.trust", &diag) != 0)
 *         die(diag.message);
 *
 * Inside the application's messageArrived, mqttseal_paho_message_origin
 * says who signed the message being delivered.
 * ------------------------------------------------------------------- */

/**
 * Sign every publish and will of h with a copy of s (s may be freed
 * afterwards); NULL stops signing. On failure h signs nothing.
 * @return MQTTSEAL_OK, MQTTSEAL_E_INVALID (h is NULL), MQTTSEAL_E_NOMEM.
 */
MQTTSEAL_EXPORT int mqttseal_paho_set_signer(mqttseal_paho *h,
                                             const mqttseal_signer *s);

/**
 * Check received messages against a copy of t (t may be freed
 * afterwards): mqttseal_ctx_set_trust on the handle's context. NULL
 * removes it (every signed message is then refused as
 * MQTTSEAL_E_SIGNER_UNKNOWN). @return MQTTSEAL_OK, MQTTSEAL_E_INVALID,
 * MQTTSEAL_E_NOMEM.
 */
MQTTSEAL_EXPORT int mqttseal_paho_set_trust(mqttseal_paho *h,
                                            const mqttseal_trust *t);

/**
 * mqttseal_signer_load_file, then mqttseal_paho_set_signer. On failure
 * nothing changes and diag (may be NULL) names the problem (the line, or
 * the file and the mqttseal error text); the secret never appears in it.
 * @return as mqttseal_signer_load_file and mqttseal_paho_set_signer.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_paho_load_signer(mqttseal_paho *h, const char *path,
                          mqttseal_diag *diag);

/**
 * mqttseal_trust_load_file, then mqttseal_paho_set_trust; as
 * mqttseal_paho_load_signer. @return as mqttseal_trust_load_file and
 * mqttseal_paho_set_trust.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_paho_load_trust(mqttseal_paho *h, const char *path,
                         mqttseal_diag *diag);

/** Who signed a delivered message (mqttseal_paho_message_origin). */
typedef struct mqttseal_paho_origin {
    int is_signed; /* 1: signed, and the signature verified against the
                      trust list; 0: unsigned (allowed on this topic) */
    unsigned char signer_id[MQTTSEAL_SIGNERIDBYTES]; /* zero if unsigned */
    char signer_name[65]; /* the trust list's name for it, or "" */
} mqttseal_paho_origin;

/**
 * Inside an application messageArrived that h called, on that callback's
 * thread: who signed the message being delivered. Outside such a call
 * (or for another handle) *out is zeroed and E_INVALID returned.
 * @return MQTTSEAL_OK, MQTTSEAL_E_INVALID.
 */
MQTTSEAL_EXPORT int mqttseal_paho_message_origin(const mqttseal_paho *h,
                                                 mqttseal_paho_origin *out);

#ifdef __cplusplus
}
#endif

#endif /* MQTTSEAL_PAHO_COMMON_H */
