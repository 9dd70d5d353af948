/*
 * mqttseal/paho.h: drop-in sealing hooks for Eclipse Paho MQTT C
 * (MQTTClient and MQTTAsync), in libmqttseal-paho (pkg-config
 * "mqttseal-paho").
 *
 * Contents
 *   1. Return codes
 *   2. The hooks handle
 *   3. Rejections (what the subscriber side refused, and why)
 *   4. MQTTClient wrappers
 *   5. MQTTAsync wrappers
 *   6. Sealed wills (LWT)
 *   7. Running a subscriber: replay-state checkpoints, fork and clones
 *   8. Signatures: signing publishes and wills, trust lists, who signed
 *
 * Porting an app: include this header, create one handle, put "mqttseal_"
 * and the handle in front of each publish call and of the set-callbacks
 * call, and free the handle after the client is destroyed:
 *
 *     mqttseal_paho *ms = mqttseal_paho_load("app.keyring", NULL);
 *     mqttseal_MQTTClient_setCallbacks(ms, client, ctx, lost, arrived, dc);
 *     mqttseal_MQTTClient_publishMessage(ms, client, topic, &msg, &token);
 *     ...
 *     MQTTClient_destroy(&client);
 *     mqttseal_paho_free(ms);
 *
 * A NULL handle makes every wrapper fail with an error code, so an app's
 * existing error checks also catch a keyring that did not load.
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
 * Linking: pkg-config mqttseal-paho, plus the one Paho library the
 * program uses (-lpaho-mqtt3c or -lpaho-mqtt3a), linked directly. Paho's
 * two libraries export the same MQTTProperties_* functions over separate
 * heaps and the dynamic linker binds both to the one found first; a
 * program that finds the other flavour first leaks MQTT 5 properties.
 *
 * Threads: every function here may be called from any thread, including
 * MQTTAsync's callback threads. Counters are atomic. The handle must
 * outlive every client whose callbacks it installed: free it after
 * MQTTClient_destroy / MQTTAsync_destroy.
 */
#ifndef MQTTSEAL_PAHO_H
#define MQTTSEAL_PAHO_H

#include <stddef.h>
#include <stdint.h>

#include <MQTTAsync.h>
#include <MQTTClient.h>

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
 * are sealed with ctx too (see section 6).
 * @return MQTTSEAL_OK, MQTTSEAL_E_INVALID, MQTTSEAL_E_NOMEM. On failure
 *         *out is NULL.
 */
MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int mqttseal_paho_new(mqttseal_paho **out,
                                                         mqttseal_ctx *ctx);

/**
 * Load a keyring file and make a handle that owns a context over it (the
 * one-line set-up for ported apps). Configure that context through
 * mqttseal_paho_ctx(). Each sealed will gets a fresh sealing session.
 * @return the handle, or NULL on failure; diag (may be NULL) then names
 *         the problem (the keyring line, or the mqttseal error text).
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
 * Option: wills sealed in a session of their own (handles from
 * mqttseal_paho_load, section 6) carry a timestamp. Set by
 * mqttseal_paho_use_fleet_defaults. A handle from mqttseal_paho_new seals
 * wills with its context, stamped as that context is set.
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
 * MQTTSEAL_E_SIGNATURE. Each is counted
 * twice: by the handle (mqttseal_paho_rejected, every reason above) and,
 * when mqttseal_open refused it, by the context
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
 * 4. MQTTClient. Same arguments as the Paho call, after the handle.
 *
 * Publish wrappers return: MQTTCLIENT_SUCCESS; any code the Paho call
 * returns; MQTTSEAL_PAHO_ERROR(e) with e one of MQTTSEAL_E_INVALID (NULL
 * handle, negative length, NULL payload with a length, NULL topic, a
 * malformed message struct), MQTTSEAL_E_NOMEM, and the errors of
 * mqttseal_seal (E_TOO_LARGE, E_TOPIC_EMPTY, E_TOPIC_INVALID,
 * E_NO_PRIMARY, E_NO_GRANT, E_KEY_EXPIRED, E_SEQ_EXHAUSTED). Nothing is
 * published when an MQTTSEAL_PAHO_ERROR code is returned.
 * ------------------------------------------------------------------- */

/**
 * MQTTClient_setCallbacks with mqttseal's messageArrived in front of ma.
 * cl and dc are called with context, as without mqttseal. Calling it again
 * for the same client replaces the callbacks (as Paho does).
 * @return MQTTCLIENT_SUCCESS, MQTTCLIENT_FAILURE (from Paho, or ma is
 *         NULL), MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_INVALID) (NULL handle),
 *         MQTTSEAL_PAHO_ERROR(MQTTSEAL_E_NOMEM).
 */
MQTTSEAL_EXPORT int
mqttseal_MQTTClient_setCallbacks(mqttseal_paho *h, MQTTClient handle,
                                 void *context, MQTTClient_connectionLost *cl,
                                 MQTTClient_messageArrived *ma,
                                 MQTTClient_deliveryComplete *dc);

/** MQTTClient_publish, sealed. @return see section 4. */
MQTTSEAL_EXPORT int mqttseal_MQTTClient_publish(
    mqttseal_paho *h, MQTTClient handle, const char *topicName, int payloadlen,
    const void *payload, int qos, int retained, MQTTClient_deliveryToken *dt);

/** MQTTClient_publishMessage, sealed; msg is not changed. */
MQTTSEAL_EXPORT int mqttseal_MQTTClient_publishMessage(
    mqttseal_paho *h, MQTTClient handle, const char *topicName,
    MQTTClient_message *msg, MQTTClient_deliveryToken *dt);

/**
 * MQTTClient_publish5, sealed, with properties filtered as in the file
 * comment (properties is not changed). An mqttseal failure comes back as
 * reasonCode = MQTTSEAL_PAHO_ERROR(e), with properties NULL.
 */
MQTTSEAL_EXPORT MQTTResponse mqttseal_MQTTClient_publish5(
    mqttseal_paho *h, MQTTClient handle, const char *topicName, int payloadlen,
    const void *payload, int qos, int retained, MQTTProperties *properties,
    MQTTClient_deliveryToken *dt);

/** MQTTClient_publishMessage5, sealed; as mqttseal_MQTTClient_publish5. */
MQTTSEAL_EXPORT MQTTResponse mqttseal_MQTTClient_publishMessage5(
    mqttseal_paho *h, MQTTClient handle, const char *topicName,
    MQTTClient_message *msg, MQTTClient_deliveryToken *dt);

/* ---------------------------------------------------------------------
 * 5. MQTTAsync. Same arguments as the Paho call, after the handle.
 *
 * The send wrappers return as the MQTTClient ones (section 4) with
 * MQTTASYNC_* codes. response (may be NULL) is copied: its callbacks and
 * context are used as given, its MQTT 5 properties are filtered in the
 * copy, and the token Paho issues is written back to response->token.
 * ------------------------------------------------------------------- */

/**
 * MQTTAsync_setCallbacks with mqttseal's messageArrived in front of ma;
 * as mqttseal_MQTTClient_setCallbacks, with MQTTASYNC_* codes.
 */
MQTTSEAL_EXPORT int
mqttseal_MQTTAsync_setCallbacks(mqttseal_paho *h, MQTTAsync handle,
                                void *context, MQTTAsync_connectionLost *cl,
                                MQTTAsync_messageArrived *ma,
                                MQTTAsync_deliveryComplete *dc);

/** MQTTAsync_send, sealed. @return see section 5. */
MQTTSEAL_EXPORT int
mqttseal_MQTTAsync_send(mqttseal_paho *h, MQTTAsync handle,
                        const char *destinationName, int payloadlen,
                        const void *payload, int qos, int retained,
                        MQTTAsync_responseOptions *response);

/**
 * MQTTAsync_sendMessage, sealed; msg is not changed. On MQTT 5 Paho takes
 * the properties from msg (filtered here) and needs response non-NULL to
 * send them, as without mqttseal.
 */
MQTTSEAL_EXPORT int mqttseal_MQTTAsync_sendMessage(
    mqttseal_paho *h, MQTTAsync handle, const char *destinationName,
    const MQTTAsync_message *msg, MQTTAsync_responseOptions *response);

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
 * A will is sealed when connecting but published by the broker later, so
 * a receiver's replay window may have moved past its sequence number.
 * With a handle from mqttseal_paho_load every will is therefore sealed in
 * a fresh session (of a context the handle keeps for its wills); a
 * handle from mqttseal_paho_new seals wills with its context, so give
 * such a handle a context used for nothing else (a second handle) if the
 * client publishes more than the receivers' replay window between
 * connecting and losing the connection. Paho re-sends the same will on
 * automatic reconnects; receivers accept it once.
 *
 * Signed wills: a handle with a signer (section 8) signs its wills as
 * it signs its publishes; set the signer of a handle from
 * mqttseal_paho_load with mqttseal_paho_set_signer so that the contexts
 * its wills are sealed in carry it too.
 *
 * A will whose will options have retained set is sealed as retained
 * (MQTTSEAL_SEAL_RETAINED), like a retained publish. Freshness: a will
 * is stamped when it is sealed (at connect) if its context stamps (with
 * a handle from mqttseal_paho_load: MQTTSEAL_PAHO_OPT_WILL_TIMESTAMP, set
 * by mqttseal_paho_use_fleet_defaults), and receivers with a maximum age
 * judge it by that time: a will published by the broker more than the
 * maximum age after the connect is MQTTSEAL_E_STALE, an unstamped one
 * MQTTSEAL_E_NO_TIMESTAMP. With freshness on, make wills retained (the
 * usual "offline" status message), so that the retained maximum age (a
 * day with the fleet defaults) applies, and reconnect (resealing) more
 * often than that.
 *
 * fork(): a will is sealed in the process that calls the helper. In a
 * child of fork() it gets a session no other process uses (its own
 * context, or the handle's context, which starts a new session in a
 * child before its first seal). A will sealed before the fork and held
 * by the broker is the same bytes whichever process reconnects with it.
 *
 * @return MQTTCLIENT_SUCCESS / MQTTASYNC_SUCCESS, or MQTTSEAL_PAHO_ERROR(e)
 *         with e = MQTTSEAL_E_INVALID (NULL argument, no will, NULL will
 *         topic, struct versions Paho does not know, MQTTAsync MQTT 5
 *         will properties with a payload format indicator; for
 *         MQTTClient, pass none to MQTTClient_connect5), MQTTSEAL_E_NOMEM
 *         or an error of mqttseal_seal. On failure the options are
 *         unchanged and *will is NULL.
 * ------------------------------------------------------------------- */

typedef struct mqttseal_paho_will mqttseal_paho_will;

MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_MQTTClient_sealWill(mqttseal_paho *h,
                             MQTTClient_connectOptions *options,
                             mqttseal_paho_will **will);

MQTTSEAL_EXPORT MQTTSEAL_NODISCARD int
mqttseal_MQTTAsync_sealWill(mqttseal_paho *h, MQTTAsync_connectOptions *options,
                            mqttseal_paho_will **will);

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
 *     mqttseal_paho *ms = mqttseal_paho_load("sub.keyring", &diag);
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
 * sequence numbers from 0) before its first publish, for the handle's
 * context and for wills alike, so parent and child never share a nonce.
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
 * A handle from mqttseal_paho_new borrows the application's context:
 * mqttseal_ctx_set_signer and mqttseal_ctx_set_trust on it do the same as
 * the calls below. A handle from mqttseal_paho_load owns its context and
 * seals wills in a context of their own: set its signer with
 * mqttseal_paho_set_signer (or mqttseal_paho_load_signer) so that wills
 * are signed too; a signer set directly on mqttseal_paho_ctx(h) signs
 * publishes only.
 *
 *     mqttseal_paho *ms = mqttseal_paho_load("device.keyring", &diag);
 *     if (mqttseal_paho_load_signer(ms, "device.signer", &diag) != 0 ||
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

#endif /* MQTTSEAL_PAHO_H */
