// The error codes of include/mqttseal/mqttseal.h, same numbers and names.
const TABLE = [
  [0, 'OK', 'success'],
  [1, 'E_INVALID', 'invalid argument'],
  [2, 'E_NOMEM', 'out of memory'],
  [3, 'E_BUFFER', 'output buffer too small'],
  [4, 'E_TOO_LARGE', 'message too large to seal into one MQTT payload'],
  [5, 'E_TOPIC_EMPTY', 'empty topic name'],
  [6, 'E_TOPIC_INVALID',
    'invalid topic name (wildcard, NUL, or longer than 65535 bytes)'],
  [7, 'E_FILTER', 'malformed topic filter'],
  [8, 'E_FILTER_PLUS',
    "'+' cannot be granted as one key: grant each concrete topic"],
  [9, 'E_NOT_SEALED', 'not an mqttseal envelope (plaintext or foreign payload)'],
  [10, 'E_VERSION', 'unknown envelope version'],
  [11, 'E_SUITE', 'unknown cipher suite'],
  [12, 'E_RESERVED', 'reserved flag bit set in envelope'],
  [13, 'E_TRUNCATED', 'truncated envelope'],
  [14, 'E_VARINT', 'malformed varint in envelope (non-minimal or out of range)'],
  [15, 'E_TRAILING', 'trailing bytes after the envelope'],
  [16, 'E_OVERSIZE', 'envelope length field exceeds the maximum'],
  [17, 'E_UNKNOWN_KEY', 'unknown key id'],
  [18, 'E_NO_GRANT', 'no key granted for this topic'],
  [19, 'E_KEY_EXPIRED', 'key id has expired'],
  [20, 'E_AUTH', 'authentication failed (tampered, wrong key or wrong topic)'],
  [21, 'E_REPLAY', 'replayed message (already accepted)'],
  [22, 'E_TOO_OLD', 'message older than the replay window'],
  [23, 'E_STALE', 'message timestamp older than the maximum age'],
  [24, 'E_FUTURE', 'message timestamp too far in the future'],
  [25, 'E_NO_TIMESTAMP',
    'message has no timestamp but a maximum age is required'],
  [26, 'E_SEQ_EXHAUSTED', 'sealing session exhausted its sequence numbers'],
  [27, 'E_NO_PRIMARY', 'keyring has no primary key id to seal with'],
  [28, 'E_KEYRING_SYNTAX', 'malformed keyring'],
  [29, 'E_KEYRING_PERMS',
    'keyring file is accessible by group or others (chmod 600 it)'],
  [30, 'E_IO', 'file could not be read or written'],
  [31, 'E_STATE_CORRUPT', 'replay state file is corrupt, truncated or not ' +
    'authenticated by this keyring'],
  [32, 'E_DUPLICATE_KEY', 'duplicate key id and filter in keyring'],
  [33, 'E_SESSION_LOST',
    'unknown sender session after replay state for its key id was dropped'],
  [34, 'E_CRYPTO', 'libsodium failed to initialise'],
  [35, 'E_TOPIC_DEPTH', 'topic has more levels than this context allows'],
  [36, 'E_FILE_OWNER',
    'file is owned by another user or writable by group or others'],
  [37, 'E_SIG_REQUIRED', 'unsigned message on a topic that requires a signature'],
  [38, 'E_SIGNER_UNKNOWN', 'signed by a key not in the trust list'],
  [39, 'E_SIGNER_NOT_GRANTED', 'signer may not publish on this topic'],
  [40, 'E_SIGNER_EXPIRED', "the signer's trust entry has expired"],
  [41, 'E_SIGNATURE', 'signature invalid, or the signed message malformed or truncated'],
  [42, 'E_TRUST_SYNTAX', 'malformed trust list or signer key'],
  [43, 'E_REPLAY_BACKEND', 'replay state store unreachable: message refused'],
];

/** Error name -> number, e.g. Errors.E_AUTH === 20. */
export const Errors = Object.freeze(
  Object.fromEntries(TABLE.map(([n, name]) => [name, n])));

const byNumber = new Map(TABLE.map(([n, name, msg]) => [n, { name, msg }]));
const byName = new Map(TABLE.map(([n, name, msg]) => [name, { n, msg }]));

/** mqttseal_strerror(): the C library's message for an error number. */
export function strerror(code) {
  const e = byNumber.get(code);
  return e ? e.msg : 'unknown mqttseal error';
}

/** Every failure of this package: code is the C name ('E_AUTH'), errno
 * its number (20), line the keyring line for keyring errors. */
export class MqttsealError extends Error {
  constructor(code, line) {
    const e = byName.get(code);
    super(e ? e.msg : code);
    this.name = 'MqttsealError';
    this.code = code;
    this.errno = e ? e.n : -1;
    if (line !== undefined) this.line = line;
  }
}

/** A rejection of a received message (after the topic and header checks,
 * or at them): the reasons a wrapped client reports with 'reject'. */
export function fail(code, line) {
  throw new MqttsealError(code, line);
}
