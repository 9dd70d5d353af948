// Sealing and opening with a keyring (FORMAT.md sections 2 to 10), in the
// order of checks of section 2.
import { fail, MqttsealError } from './errors.js';
import {
  PLAINTEXT_MAX, TAG_BYTES, SID_BYTES, FLAG_SIGNED, bytesOf, parseHeader,
  buildHeader, nonceOf, adOf, checkTopic, levelCount,
} from './format.js';
import { Signer, TrustList, SIGNED_OVERHEAD, signedInner } from './sign.js';
import { Keyring, deriveFromEntry } from './keyring.js';
import { Replay } from './replay.js';
import { ready, aeadEncrypt, aeadDecrypt, randomBytes, keyedHash } from './sodium.js';

export const SKEW_DEFAULT_MS = 30000;
export const FLEET_MAX_AGE_MS = 300000;
export const FLEET_RETAINED_MAX_AGE_MS = 86400000;
export const LEVELS_DEFAULT = 128;
const CACHE_MAX = 1024;
// A session's sequence number is a plain number: a JavaScript session
// seals at most 2^53 - 1 messages (E_SEQ_EXHAUSTED), 285 years at 1e6/s.
const SEQ_LAST = Number.MAX_SAFE_INTEGER;
const enc = new TextEncoder();

function payloadBytes(p) {
  if (p instanceof Uint8Array) return p;
  if (typeof p === 'string') return enc.encode(p);
  if (p === null || p === undefined) return new Uint8Array(0);
  if (ArrayBuffer.isView(p)) return new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
  if (p instanceof ArrayBuffer) return new Uint8Array(p);
  fail('E_INVALID');
}

const RID_DOMAIN = enc.encode('mqttseal-rid-v1');

/** The id replay state keeps session sid under for this message key
 * (FORMAT.md section 9): so a holder of other keys cannot aim at the
 * session's windows by reusing its session id. */
function replayId(key, sid) {
  const m = new Uint8Array(RID_DOMAIN.length + SID_BYTES);
  m.set(RID_DOMAIN);
  m.set(sid, RID_DOMAIN.length);
  return keyedHash(16, m, key).subarray(0, SID_BYTES);
}

function topicBytes(t) {
  if (typeof t !== 'string' && !(t instanceof Uint8Array)) fail('E_INVALID');
  return bytesOf(t);
}

export class Context {
  #kr; #sid; #seq = 0; #cache = new Map(); #replay; #replayOn = true;
  #now; #timestamps = false; #maxAge = 0n; #skew = BigInt(SKEW_DEFAULT_MS);
  #retainedMaxAge = 0n; #maxLevels = LEVELS_DEFAULT;
  #signer = null; #trust = new TrustList(); #topics = new Map();
  #stats = { sealed: 0, opened: 0, rejected: 0 };

  /** keyring: a Keyring or keyring text. Call after ready(). Options:
   * fleet, timestamps, maxAgeMs, skewMs, retainedMaxAgeMs, replay,
   * replayWindow, replaySessions, replayCapacity, maxLevels, now,
   * signer (a Signer: sign every envelope sealed), trust (a TrustList or
   * its text: the signers accepted, the topics that require one). */
  constructor(keyring, options = {}) {
    this.#kr = keyring instanceof Keyring ? keyring : Keyring.parse(keyring);
    this.#now = options.now ?? (() => Date.now());
    this.#sid = randomBytes(SID_BYTES);
    this.#replay = new Replay({ window: options.replayWindow,
      sessions: options.replaySessions, capacity: options.replayCapacity });
    if (options.fleet) this.useFleetDefaults();
    if (options.timestamps !== undefined) this.setTimestamps(options.timestamps);
    if (options.maxAgeMs !== undefined || options.skewMs !== undefined ||
        options.retainedMaxAgeMs !== undefined) {
      this.setFreshness(options.maxAgeMs ?? Number(this.#maxAge),
        options.skewMs ?? 0, options.retainedMaxAgeMs ?? 0);
    }
    if (options.replay === false) this.#replayOn = false;
    if (options.maxLevels !== undefined) this.setMaxLevels(options.maxLevels);
    if (options.signer !== undefined) this.setSigner(options.signer);
    if (options.trust !== undefined) this.setTrust(options.trust);
  }

  /** Sign every envelope sealed from now on (null: stop signing). */
  setSigner(signer) {
    if (signer !== null && !(signer instanceof Signer)) fail('E_INVALID');
    this.#signer = signer;
  }

  /** The trust list for opening signed envelopes (null: none, so every
   * signed envelope is E_SIGNER_UNKNOWN). */
  setTrust(trust) {
    this.#trust = trust === null ? new TrustList()
      : trust instanceof TrustList ? trust : TrustList.parse(trust);
  }

  /** Loads libsodium, then builds a Context. */
  static async create(keyring, options) {
    await ready();
    return new Context(keyring, options);
  }

  get keyring() { return this.#kr; }
  get sessionId() { return this.#sid.slice(); }
  get stats() { return { ...this.#stats }; }

  setTimestamps(on = true) { this.#timestamps = !!on; }

  /** Section 10: maximum age (0 = off), skew (0 = the 30 s default),
   * retained maximum age (0 = no exemption), all in milliseconds. */
  setFreshness(maxAgeMs, skewMs = 0, retainedMaxAgeMs = 0) {
    this.#maxAge = BigInt(maxAgeMs);
    this.#skew = BigInt(skewMs || SKEW_DEFAULT_MS);
    this.#retainedMaxAge = BigInt(retainedMaxAgeMs);
    this.#replay.maxAgeMs = this.#maxAge;
  }

  useFleetDefaults() {
    this.setTimestamps(true);
    this.setFreshness(FLEET_MAX_AGE_MS, SKEW_DEFAULT_MS, FLEET_RETAINED_MAX_AGE_MS);
  }

  setReplay(enabled = true, { window, sessions, capacity } = {}) {
    this.#replayOn = !!enabled;
    if (window !== undefined || sessions !== undefined || capacity !== undefined) {
      this.#replay = new Replay({ window, sessions, capacity });
      this.#replay.maxAgeMs = this.#maxAge;
    }
  }

  setMaxLevels(levels) {
    if (!Number.isInteger(levels) || levels < 1) fail('E_INVALID');
    this.#maxLevels = levels;
  }

  /** A new sealing session: fresh random session id, seq from 0. */
  newSession() {
    this.#sid = randomBytes(SID_BYTES);
    this.#seq = 0;
  }

  // A cached key stands for its keyring entry (the keyring of a context
  // does not change), so a hit only has the expiry left to check.
  #key(keyId, topic, topicName, nowMs) {
    const ck = keyId + '/' + (typeof topicName === 'string' ? topicName
      : hexKey(topic));
    const hit = this.#cache.get(ck);
    if (hit) {
      const e = hit.entry;
      if (e.expires !== 0 && Math.floor(nowMs / 1000) >= e.expires) fail('E_KEY_EXPIRED');
      return { entry: e, key: hit.key, ck, hit: true };
    }
    const entry = this.#kr.lookup(keyId, topic, nowMs);
    return { entry, key: deriveFromEntry(entry, topic), ck, hit: false };
  }

  // Topic names as checked bytes, remembered for string topics.
  #topic(topic) {
    if (typeof topic !== 'string') {
      const t = topicBytes(topic);
      checkTopic(t);
      return t;
    }
    let t = this.#topics.get(topic);
    if (t === undefined) {
      t = bytesOf(topic);
      checkTopic(t);
      if (this.#topics.size >= CACHE_MAX) this.#topics.clear();
      this.#topics.set(topic, t);
    }
    return t;
  }

  // Only keys that sealed or authenticated a message are kept.
  #remember(k) {
    if (k.hit) return;
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    this.#cache.set(k.ck, { entry: k.entry, key: k.key });
  }

  /** Seals payload for topic under the primary key id; retained: seal as
   * retained (flags bit 1). Returns the envelope. */
  seal(topic, payload, { retained = false } = {}) {
    if (typeof topic !== 'string' && !(topic instanceof Uint8Array)) fail('E_INVALID');
    const p = payloadBytes(payload);
    if (p.length > PLAINTEXT_MAX) fail('E_TOO_LARGE');
    const t = this.#topic(topic);
    if (levelCount(t) > this.#maxLevels) fail('E_TOPIC_DEPTH');
    const keyId = this.#kr.primary;
    if (keyId === null) fail('E_NO_PRIMARY');
    if (this.#seq >= SEQ_LAST) fail('E_SEQ_EXHAUSTED');
    const nowMs = Math.floor(this.#now());
    const k = this.#key(keyId, t, topic, nowMs);
    this.#remember(k);
    const seq = this.#seq++;
    const ts = this.#timestamps ? nowMs : null;
    const signer = this.#signer;
    const inLen = p.length + (signer ? SIGNED_OVERHEAD : 0);
    const header = buildHeader(keyId, this.#sid, seq, ts, retained, inLen, !!signer);
    const inner = signer ? signedInner(signer, header, t, p) : p;
    const ct = aeadEncrypt(inner, adOf(header, t), nonceOf(this.#sid, seq), k.key);
    const out = new Uint8Array(header.length + ct.length);
    out.set(header, 0);
    out.set(ct, header.length);
    this.#stats.sealed++;
    return out;
  }

  /** Opens an envelope received on topic: the plaintext, or throws a
   * MqttsealError whose code says why. */
  open(topic, envelope) {
    return this.openWithHeader(topic, envelope).payload;
  }

  /** { payload, header } of an envelope that opens. */
  openWithHeader(topic, envelope) {
    try {
      const r = this.#open(topic, envelope);
      this.#stats.opened++;
      return r;
    } catch (e) {
      if (e instanceof MqttsealError) this.#stats.rejected++;
      throw e;
    }
  }

  #open(topic, envelope) {
    if (!(envelope instanceof Uint8Array)) fail('E_INVALID');
    const t = this.#topic(topic);
    const h = parseHeader(envelope);
    if (levelCount(t) > this.#maxLevels) fail('E_TOPIC_DEPTH');
    const nowMs = Math.floor(this.#now());
    const k = this.#key(h.keyId, t, topic, nowMs);
    const hdr = envelope.subarray(0, h.headerLength);
    const pt = aeadDecrypt(envelope.subarray(h.headerLength), adOf(hdr, t),
      nonceOf(h.sessionId, h.seqNumber ?? h.seq), k.key);
    if (pt === null) fail('E_AUTH');
    this.#remember(k);
    let payload = pt;
    h.isSigned = (h.flags & FLAG_SIGNED) !== 0;
    h.signerId = null;
    if (h.isSigned) {
      let s;
      try {
        s = this.#trust.openSigned(pt, hdr, t, nowMs);
      } catch (e) {
        pt.fill(0);
        throw e;
      }
      payload = s.payload;
      h.signerId = s.signer.id.slice();
      h.signerName = s.signer.name;
      h.payloadLength = payload.length;
      pt.fill(0);
    } else if (this.#trust.requires(t)) {
      fail('E_SIG_REQUIRED');
    }
    this.#fresh(h, BigInt(nowMs));
    if (this.#replayOn) {
      const ts = h.timestampMs;
      const rid = replayId(k.key, h.sessionId);
      const why = this.#replay.check(h.keyId, rid, h.seq, ts);
      if (why) fail(why);
      this.#replay.commit(h.keyId, rid, h.seq, ts, nowMs);
    }
    delete h.headerLength;
    delete h.seqNumber;
    return { payload, header: h };
  }

  #fresh(h, now) {
    const ts = h.timestampMs;
    if (ts !== null && ts - now > this.#skew) fail('E_FUTURE');
    if (this.#maxAge === 0n) return;
    if (ts === null) fail('E_NO_TIMESTAMP');
    const limit = h.sealedRetained && this.#retainedMaxAge !== 0n
      ? this.#retainedMaxAge : this.#maxAge;
    if (now - ts > limit) fail('E_STALE');
  }
}

function hexKey(t) {
  return '\0' + Array.from(t, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Parses an envelope's header without opening it (FORMAT.md section 2). */
export function inspect(envelope) {
  const h = parseHeader(envelope);
  delete h.headerLength;
  delete h.seqNumber;
  return h;
}

export { TAG_BYTES };
