/* Trust lists as the open path uses them (src/trust.c), and MQTT filter
 * matching with '+' and '#'. */
#ifndef MQTTSEAL_TRUST_H
#define MQTTSEAL_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "mqttseal/mqttseal.h"

/** A copy of t. @return OK, E_NOMEM. */
int ms_trust_copy(mqttseal_trust **out, const mqttseal_trust *t);

/**
 * May signer id sign for topic at now_s (Unix seconds)? On OK *pk points
 * at its public key (valid as long as t).
 * @return OK, E_SIGNER_UNKNOWN, E_SIGNER_EXPIRED, E_SIGNER_NOT_GRANTED.
 */
int ms_trust_check(const mqttseal_trust *t,
                   const unsigned char id[MQTTSEAL_SIGNERIDBYTES],
                   const char *topic, size_t topic_len, int64_t now_s,
                   const unsigned char **pk);

/** 1 if a require filter of t matches topic. */
int ms_trust_required(const mqttseal_trust *t, const char *topic,
                      size_t topic_len);

/** An MQTT topic filter: non-empty, at most 65535 bytes, no NUL, '+' and
 *  '#' only as whole levels, '#' only last. @return OK, E_FILTER. */
int ms_mqtt_filter_check(const char *f, size_t n);

/** 1 if MQTT filter f matches topic name t ("a/#" matches "a" too; no
 *  exception for '$' topics, as with grants). */
int ms_mqtt_filter_match(const char *f, size_t fn, const char *t, size_t tn);

#endif
