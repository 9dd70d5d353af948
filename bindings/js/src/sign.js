// FORMAT.md section 14: signers (Ed25519), signer-key text, trust lists
// and MQTT filter matching, and the signed inner of an envelope.
import sodium from 'libsodium-wrappers-sumo';
import { MqttsealError, fail } from './errors.js';
import { bytesOf } from './format.js';

export const SIGNER_ID_BYTES = 8;
export const SIGN_BYTES = 64;
export const SIGNED_OVERHEAD = SIGNER_ID_BYTES + SIGN_BYTES; // 72
const enc = new TextEncoder();
const dec = new TextDecoder();
const SIG_PREFIX = enc.encode('mqttseal/sig/v1');
const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
const B64_RE = /^[A-Za-z0-9+/]{43}=$/;
const EXP_RE = /^expires=(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$/;

function b64_32(s) {
  if (!B64_RE.test(s)) return null;
  try {
    const b = sodium.from_base64(s, sodium.base64_variants.ORIGINAL);
    return b.length === 32 ? b : null;
  } catch {
    return null;
  }
}

/** signer_id: BLAKE2b-256 (unkeyed) of the public key, first 8 bytes. */
export function signerIdOf(publicKey) {
  return sodium.crypto_generichash(32, publicKey, null).slice(0, SIGNER_ID_BYTES);
}

function linesOf(text) {
  const s = typeof text === 'string' ? text : dec.decode(text);
  return s.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** An Ed25519 signing key (a *signer*). */
export class Signer {
  #sk;

  constructor(seed) {
    if (!(seed instanceof Uint8Array) || seed.length !== 32) fail('E_INVALID');
    const kp = sodium.crypto_sign_seed_keypair(seed);
    this.#sk = kp.privateKey;
    this.publicKey = kp.publicKey;
    this.id = signerIdOf(kp.publicKey);
  }

  static generate() {
    return new Signer(sodium.randombytes_buf(32));
  }

  /** Signer-key text: 'mqttseal-signer 1' then 'secret <base64 seed>'.
   * Throws E_TRUST_SYNTAX with the line (0: no secret line). */
  static parse(text) {
    let header = false, seed = null;
    linesOf(text).forEach((line, i) => {
      const n = i + 1;
      if (line.includes('\0')) throw new MqttsealError('E_TRUST_SYNTAX', n);
      if (/^[ \t]*(#|$)/.test(line)) return;
      if (!header) {
        if (line !== 'mqttseal-signer 1') throw new MqttsealError('E_TRUST_SYNTAX', n);
        header = true;
        return;
      }
      if (!line.startsWith('secret ')) throw new MqttsealError('E_TRUST_SYNTAX', n);
      if (seed !== null) throw new MqttsealError('E_TRUST_SYNTAX', n);
      seed = b64_32(line.slice(7));
      if (seed === null) throw new MqttsealError('E_TRUST_SYNTAX', n);
    });
    if (seed === null) throw new MqttsealError('E_TRUST_SYNTAX', 0);
    return new Signer(seed);
  }

  /** The shareable line for a trust list: 'signer <base64 public key>'. */
  exportPublic() {
    return `signer ${sodium.to_base64(this.publicKey, sodium.base64_variants.ORIGINAL)}`;
  }

  sign(message) {
    return sodium.crypto_sign_detached(message, this.#sk);
  }
}

/** MQTT filter syntax: '+' and '#' only as whole levels, '#' only last. */
export function checkMqttFilter(filter) {
  const f = bytesOf(filter);
  if (f.length === 0 || f.length > 65535 || f.includes(0)) fail('E_FILTER');
  const levels = dec.decode(f).split('/');
  levels.forEach((lv, i) => {
    const wild = lv.includes('+') || lv.includes('#');
    if (wild && (lv.length !== 1 || (lv === '#' && i !== levels.length - 1))) {
      fail('E_FILTER');
    }
  });
  return f;
}

function splitLevels(b) {
  const out = [];
  let start = 0;
  for (let i = 0; i <= b.length; i++) {
    if (i === b.length || b[i] === 0x2f) {
      out.push(b.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** MQTT matching: '+' one level (possibly empty), '#' the parent level
 * and everything below; '$' topics get no special treatment. */
export function mqttMatch(filter, topic) {
  const f = splitLevels(filter), t = splitLevels(topic);
  for (let i = 0; i < f.length; i++) {
    if (f[i].length === 1 && f[i][0] === 0x23) return true;
    if (i >= t.length) return false;
    if (!(f[i].length === 1 && f[i][0] === 0x2b) && !eq(f[i], t[i])) return false;
  }
  return f.length === t.length;
}

function parseExpiry(field, n) {
  const m = EXP_RE.exec(field);
  const bad = () => new MqttsealError('E_TRUST_SYNTAX', n);
  if (!m) throw bad();
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const dim = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > dim || h > 23 || mi > 59 || s > 59) {
    throw bad();
  }
  const t = Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
  if (t < 1) throw bad();
  return t;
}

/** A receiver's trust list: which signers it accepts on which filters,
 * until when, and which filters require a signature. */
export class TrustList {
  constructor() {
    this.signers = []; // { name, publicKey, id, filters: Uint8Array[], expires }
    this.require = []; // Uint8Array filters
  }

  /** Trust-list text (section 14); throws E_TRUST_SYNTAX with the line. */
  static parse(text) {
    const t = new TrustList();
    let header = false;
    linesOf(text).forEach((line, i) => {
      const n = i + 1;
      const bad = () => new MqttsealError('E_TRUST_SYNTAX', n);
      if (line.includes('\0')) throw bad();
      const f = line.split(/[ \t]+/).filter((x) => x !== '');
      if (f.length === 0 || f[0].startsWith('#')) return;
      if (!header) {
        if (f.length !== 2 || f[0] !== 'mqttseal-trust' || f[1] !== '1') throw bad();
        header = true;
      } else if (f[0] === 'signer') {
        let nf = f.length - 3;
        if (f.length >= 4 && f[f.length - 1].startsWith('expires=')) nf--;
        if (f.length < 4 || nf === 0 || !NAME_RE.test(f[1])) throw bad();
        const pk = b64_32(f[2]);
        if (pk === null) throw bad();
        const filters = f.slice(3, 3 + nf).map((x) => {
          try {
            return checkMqttFilter(x);
          } catch {
            throw bad();
          }
        });
        const expires = 3 + nf < f.length ? parseExpiry(f[f.length - 1], n) : 0;
        if (t.signers.some((s) => eq(s.publicKey, pk))) throw bad();
        t.signers.push({ name: f[1], publicKey: pk, id: signerIdOf(pk), filters, expires });
      } else if (f[0] === 'require') {
        if (f.length !== 2) throw bad();
        try {
          t.require.push(checkMqttFilter(f[1]));
        } catch {
          throw bad();
        }
      } else {
        throw bad();
      }
    });
    if (!header) throw new MqttsealError('E_TRUST_SYNTAX', 0);
    return t;
  }

  /** Section 14's checks for an authenticated signed inner; returns the
   * payload and the signer's entry, or throws. */
  openSigned(inner, header, topic, nowMs) {
    if (inner.length < SIGNED_OVERHEAD) fail('E_SIGNATURE');
    const id = inner.subarray(0, SIGNER_ID_BYTES);
    const s = this.signers.find((e) => eq(e.id, id));
    if (!s) fail('E_SIGNER_UNKNOWN');
    if (s.expires !== 0 && Math.floor(nowMs / 1000) >= s.expires) fail('E_SIGNER_EXPIRED');
    if (!s.filters.some((f) => mqttMatch(f, topic))) fail('E_SIGNER_NOT_GRANTED');
    const sigAt = inner.length - SIGN_BYTES;
    const payload = inner.subarray(SIGNER_ID_BYTES, sigAt);
    const msg = signedMessage(header, topic, id, payload);
    if (!sodium.crypto_sign_verify_detached(inner.subarray(sigAt), msg, s.publicKey)) {
      fail('E_SIGNATURE');
    }
    return { payload: payload.slice(), signer: s };
  }

  requires(topic) {
    return this.require.some((f) => mqttMatch(f, topic));
  }
}

/** "mqttseal/sig/v1" || header || u16be(topic_len) || topic || id || payload */
export function signedMessage(header, topic, id, payload) {
  const m = new Uint8Array(15 + header.length + 2 + topic.length + 8 + payload.length);
  let o = 0;
  for (const part of [SIG_PREFIX, header, Uint8Array.of(topic.length >> 8, topic.length & 0xff),
    topic, id, payload]) {
    m.set(part, o);
    o += part.length;
  }
  return m;
}

/** The inner of a signed envelope: id || payload || signature. */
export function signedInner(signer, header, topic, payload) {
  const sig = signer.sign(signedMessage(header, topic, signer.id, payload));
  const inner = new Uint8Array(SIGNED_OVERHEAD + payload.length);
  inner.set(signer.id, 0);
  inner.set(payload, SIGNER_ID_BYTES);
  inner.set(sig, SIGNER_ID_BYTES + payload.length);
  return inner;
}
