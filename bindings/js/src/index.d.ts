// Type declarations for mqttseal's JavaScript binding (src/index.js).

/** Loads libsodium; await it once before any other call. */
export function ready(): Promise<void>;

/** Error name -> number, as in include/mqttseal/mqttseal.h. */
export const Errors: Readonly<Record<ErrorCode, number>>;
export type ErrorCode =
  | 'OK' | 'E_INVALID' | 'E_NOMEM' | 'E_BUFFER' | 'E_TOO_LARGE'
  | 'E_TOPIC_EMPTY' | 'E_TOPIC_INVALID' | 'E_FILTER' | 'E_FILTER_PLUS'
  | 'E_NOT_SEALED' | 'E_VERSION' | 'E_SUITE' | 'E_RESERVED' | 'E_TRUNCATED'
  | 'E_VARINT' | 'E_TRAILING' | 'E_OVERSIZE' | 'E_UNKNOWN_KEY' | 'E_NO_GRANT'
  | 'E_KEY_EXPIRED' | 'E_AUTH' | 'E_REPLAY' | 'E_TOO_OLD' | 'E_STALE'
  | 'E_FUTURE' | 'E_NO_TIMESTAMP' | 'E_SEQ_EXHAUSTED' | 'E_NO_PRIMARY'
  | 'E_KEYRING_SYNTAX' | 'E_KEYRING_PERMS' | 'E_IO' | 'E_STATE_CORRUPT'
  | 'E_DUPLICATE_KEY' | 'E_SESSION_LOST' | 'E_CRYPTO' | 'E_TOPIC_DEPTH'
  | 'E_FILE_OWNER' | 'E_SIG_REQUIRED' | 'E_SIGNER_UNKNOWN'
  | 'E_SIGNER_NOT_GRANTED' | 'E_SIGNER_EXPIRED' | 'E_SIGNATURE'
  | 'E_TRUST_SYNTAX' | 'E_REPLAY_BACKEND';

/** mqttseal_strerror(): the C library's message for an error number. */
export function strerror(errno: number): string;

export class MqttsealError extends Error {
  readonly name: 'MqttsealError';
  /** The C name, e.g. 'E_AUTH'. */
  readonly code: ErrorCode;
  /** The C number, e.g. 20. */
  readonly errno: number;
  /** For keyring errors: the line (1-based, 0 for the whole text). */
  readonly line?: number;
}

export interface KeyringEntry {
  keyId: number;
  /** The grant's topic filter, as bytes. */
  filter: Uint8Array;
  /** 32 bytes: root key, node key or message key (FORMAT.md section 6). */
  key: Uint8Array;
  /** Unix seconds; 0 = never. */
  expires: number;
}

export class Keyring {
  constructor(entries?: KeyringEntry[], primary?: number | null);
  /** Parses keyring text (FORMAT.md section 7). Throws MqttsealError. */
  static parse(text: string | Uint8Array): Keyring;
  entries: KeyringEntry[];
  primary: number | null;
  keyIds(): number[];
  /** The most specific entry of keyId covering topic; throws
   * E_UNKNOWN_KEY, E_NO_GRANT or E_KEY_EXPIRED. */
  lookup(keyId: number, topic: Uint8Array, nowMs: number): KeyringEntry;
}

/** Checks a grant filter; returns it as bytes. Throws E_FILTER or
 * E_FILTER_PLUS. */
export function checkFilter(filter: string | Uint8Array, line?: number): Uint8Array;

export interface Header {
  version: 1;
  suite: 1;
  flags: number;
  keyId: number;
  sessionId: Uint8Array;
  seq: bigint;
  /** Unix milliseconds, or null without a timestamp. */
  timestampMs: bigint | null;
  sealedRetained: boolean;
  /** The payload's length (for a signed envelope, without the 72 bytes). */
  payloadLength: number;
  /** Set by open: flags bit 2. */
  isSigned?: boolean;
  /** Set by open of a signed envelope: who signed, by id and trust-list name. */
  signerId?: Uint8Array | null;
  signerName?: string;
}

/** An Ed25519 signer (FORMAT.md section 14). */
export class Signer {
  /** From the 32-byte seed. */
  constructor(seed: Uint8Array);
  static generate(): Signer;
  /** Signer-key text; throws E_TRUST_SYNTAX with the line. */
  static parse(text: string | Uint8Array): Signer;
  readonly publicKey: Uint8Array;
  /** BLAKE2b-256(publicKey)[0..8]. */
  readonly id: Uint8Array;
  /** 'signer <base64 public key>', for trust lists. */
  exportPublic(): string;
}

export interface TrustedSigner {
  name: string;
  publicKey: Uint8Array;
  id: Uint8Array;
  filters: Uint8Array[];
  /** Unix seconds; 0 = never. */
  expires: number;
}

/** Which signers a receiver accepts, on which MQTT filters, and which
 * filters require a signature. */
export class TrustList {
  /** Trust-list text; throws E_TRUST_SYNTAX with the line. */
  static parse(text: string | Uint8Array): TrustList;
  signers: TrustedSigner[];
  require: Uint8Array[];
  requires(topic: Uint8Array): boolean;
}

/** MQTT filter matching ('+', '#'), on bytes. */
export function mqttMatch(filter: Uint8Array, topic: Uint8Array): boolean;
/** '+' and '#' only as whole levels, '#' only last; throws E_FILTER. */
export function checkMqttFilter(filter: string | Uint8Array): Uint8Array;
/** A signed envelope is this much larger than an unsigned one: 72. */
export const SIGNED_OVERHEAD: number;

export interface ContextOptions {
  /** Fleet defaults: timestamps on, 5 min maximum age, 1 day retained. */
  fleet?: boolean;
  timestamps?: boolean;
  maxAgeMs?: number;
  skewMs?: number;
  retainedMaxAgeMs?: number;
  /** false turns replay protection off. */
  replay?: boolean;
  replayWindow?: number;
  replaySessions?: number;
  replayCapacity?: number;
  maxLevels?: number;
  /** The clock, Unix milliseconds (tests). */
  now?: () => number;
  /** Sign every envelope sealed. */
  signer?: Signer;
  /** The signers accepted (without one, signed envelopes are refused). */
  trust?: TrustList | string | Uint8Array;
}

export type Payload = Uint8Array | ArrayBuffer | ArrayBufferView | string | null | undefined;

export class Context {
  /** Needs ready() to have resolved. Throws MqttsealError on bad text. */
  constructor(keyring: Keyring | string | Uint8Array, options?: ContextOptions);
  static create(keyring: Keyring | string | Uint8Array,
    options?: ContextOptions): Promise<Context>;
  readonly keyring: Keyring;
  readonly sessionId: Uint8Array;
  readonly stats: { sealed: number; opened: number; rejected: number };
  setTimestamps(on?: boolean): void;
  setFreshness(maxAgeMs: number, skewMs?: number, retainedMaxAgeMs?: number): void;
  useFleetDefaults(): void;
  setReplay(enabled?: boolean,
    geometry?: { window?: number; sessions?: number; capacity?: number }): void;
  setMaxLevels(levels: number): void;
  setSigner(signer: Signer | null): void;
  setTrust(trust: TrustList | string | Uint8Array | null): void;
  newSession(): void;
  /** The envelope; throws MqttsealError (plaintext is never returned). */
  seal(topic: string | Uint8Array, payload: Payload,
    options?: { retained?: boolean }): Uint8Array;
  /** The plaintext; throws MqttsealError with the reason. */
  open(topic: string | Uint8Array, envelope: Uint8Array): Uint8Array;
  openWithHeader(topic: string | Uint8Array, envelope: Uint8Array):
    { payload: Uint8Array; header: Header };
}

/** Parses an envelope's header without opening it. */
export function inspect(envelope: Uint8Array): Header;

/** The largest payload that can be sealed, signed or not. */
export const PLAINTEXT_MAX: number;
export const OVERHEAD_MAX: number;
export const SKEW_DEFAULT_MS: number;
export const FLEET_MAX_AGE_MS: number;
export const FLEET_RETAINED_MAX_AGE_MS: number;
export const LEVELS_DEFAULT: number;
/** node(L1), node(L1,L2), ... under a root key. */
export function nodeKeys(rootKey: Uint8Array, topic: Uint8Array): Uint8Array[];
/** The message key of topic under a root key. */
export function messageKey(rootKey: Uint8Array, topic: string | Uint8Array): Uint8Array;
