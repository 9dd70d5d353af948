#include "mqttseal/mqttseal.h"

/* Indexed by mqttseal_err; the strings never include key material. */
static const char *const messages[] = {
    [MQTTSEAL_OK] = "success",
    [MQTTSEAL_E_INVALID] = "invalid argument",
    [MQTTSEAL_E_NOMEM] = "out of memory",
    [MQTTSEAL_E_BUFFER] = "output buffer too small",
    [MQTTSEAL_E_TOO_LARGE] = "message too large to seal into one MQTT "
                             "payload",
    [MQTTSEAL_E_TOPIC_EMPTY] = "empty topic name",
    [MQTTSEAL_E_TOPIC_INVALID] = "invalid topic name (wildcard, NUL, or "
                                 "longer than 65535 bytes)",
    [MQTTSEAL_E_FILTER] = "malformed topic filter",
    [MQTTSEAL_E_FILTER_PLUS] = "'+' cannot be granted as one key: grant "
                               "each concrete topic",
    [MQTTSEAL_E_NOT_SEALED] = "not an mqttseal envelope (plaintext or "
                              "foreign payload)",
    [MQTTSEAL_E_VERSION] = "unknown envelope version",
    [MQTTSEAL_E_SUITE] = "unknown cipher suite",
    [MQTTSEAL_E_RESERVED] = "reserved flag bit set in envelope",
    [MQTTSEAL_E_TRUNCATED] = "truncated envelope",
    [MQTTSEAL_E_VARINT] = "malformed varint in envelope (non-minimal or "
                          "out of range)",
    [MQTTSEAL_E_TRAILING] = "trailing bytes after the envelope",
    [MQTTSEAL_E_OVERSIZE] = "envelope length field exceeds the maximum",
    [MQTTSEAL_E_UNKNOWN_KEY] = "unknown key id",
    [MQTTSEAL_E_NO_GRANT] = "no key granted for this topic",
    [MQTTSEAL_E_KEY_EXPIRED] = "key id has expired",
    [MQTTSEAL_E_AUTH] = "authentication failed (tampered, wrong key or "
                        "wrong topic)",
    [MQTTSEAL_E_REPLAY] = "replayed message (already accepted)",
    [MQTTSEAL_E_TOO_OLD] = "message older than the replay window",
    [MQTTSEAL_E_STALE] = "message timestamp older than the maximum age",
    [MQTTSEAL_E_FUTURE] = "message timestamp too far in the future",
    [MQTTSEAL_E_NO_TIMESTAMP] = "message has no timestamp but a maximum "
                                "age is required",
    [MQTTSEAL_E_SEQ_EXHAUSTED] = "sealing session exhausted its sequence "
                                 "numbers",
    [MQTTSEAL_E_NO_PRIMARY] = "keyring has no primary key id to seal with",
    [MQTTSEAL_E_KEYRING_SYNTAX] = "malformed keyring",
    [MQTTSEAL_E_KEYRING_PERMS] = "keyring file is accessible by group or "
                                 "others (chmod 600 it)",
    [MQTTSEAL_E_IO] = "file could not be read or written",
    [MQTTSEAL_E_STATE_CORRUPT] = "replay state file is corrupt, truncated "
                                 "or not authenticated by this keyring",
    [MQTTSEAL_E_DUPLICATE_KEY] = "duplicate key id and filter in keyring",
    [MQTTSEAL_E_SESSION_LOST] = "unknown sender session after replay "
                                "state for its key id was dropped",
    [MQTTSEAL_E_CRYPTO] = "libsodium failed to initialise",
    [MQTTSEAL_E_TOPIC_DEPTH] = "topic has more levels than this context "
                               "allows",
    [MQTTSEAL_E_FILE_OWNER] = "file is owned by another user or writable "
                              "by group or others",
    [MQTTSEAL_E_SIG_REQUIRED] = "unsigned message on a topic that "
                                "requires a signature",
    [MQTTSEAL_E_SIGNER_UNKNOWN] = "signed by a key not in the trust list",
    [MQTTSEAL_E_SIGNER_NOT_GRANTED] = "signer may not publish on this topic",
    [MQTTSEAL_E_SIGNER_EXPIRED] = "the signer's trust entry has expired",
    [MQTTSEAL_E_SIGNATURE] = "signature invalid, or the signed message "
                             "malformed or truncated",
    [MQTTSEAL_E_TRUST_SYNTAX] = "malformed trust list or signer key",
    [MQTTSEAL_E_REPLAY_BACKEND] = "replay state store unreachable: message "
                                  "refused",
    [MQTTSEAL_E_UPDATE_DEVICE] = "keyring update addressed to another "
                                 "device",
    [MQTTSEAL_E_UPDATE_ROLLBACK] = "keyring update is not newer than the "
                                   "one applied (rollback refused)",
    [MQTTSEAL_E_UPDATE_EXPIRED] = "keyring update has expired",
    [MQTTSEAL_E_UPDATE_SCOPE] = "keyring update grants more than its "
                                "signer is trusted for",
};

const char *mqttseal_strerror(int err)
{
    if (err < 0 || (unsigned)err >= sizeof messages / sizeof messages[0] ||
        messages[err] == NULL) {
        return "unknown mqttseal error";
    }
    return messages[err];
}
