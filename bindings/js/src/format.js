// FORMAT.md sections 2 to 5: varints, the header, nonce, associated data,
// topic checks and the derivation along the topic tree.
import { fail } from './errors.js';
import { kdf } from './sodium.js';

// The largest payload that can be sealed, signed or not (268435455 - 130),
// and the largest ct_len a header may carry (268435455 - 58).
export const PLAINTEXT_MAX = 268435325;
export const OVERHEAD_MAX = 130;
export const CT_LEN_MAX = 268435397;
export const VS = 0x89; // marker 10, version 1, suite 1
export const FLAG_TIMESTAMP = 1;
export const FLAG_RETAINED = 2;
export const FLAG_SIGNED = 4;
export const SID_BYTES = 12;
export const TAG_BYTES = 16;
const U32_MAX = 0xffffffffn;
const U63_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

const enc = new TextEncoder();
const ascii = (s) => enc.encode(s);
const AD_PREFIX = ascii('mqttseal/v1');
export const PERSONAL_NODE = ascii('mqttseal-node-v1');
export const PERSONAL_MSGK = ascii('mqttseal-msgk-v1');
const SUITE_ID = Uint8Array.of(1);

/** A topic or filter as bytes: strings are UTF-8. */
export function bytesOf(x) {
  if (typeof x === 'string') return enc.encode(x);
  if (x instanceof Uint8Array) return x;
  fail('E_INVALID');
}

const TWO32 = 4294967296;

/** Appends the varint of v (number or bigint) to out (an array). */
export function pushVarint(out, v) {
  if (typeof v === 'number' && v <= Number.MAX_SAFE_INTEGER) {
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
    return out;
  }
  let x = BigInt(v);
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}

export function varint(v) {
  return pushVarint([], typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v) : v);
}

/** Section 1's reader: [value as bigint, next position, value as a
 * number or null above 49 bits]. Up to 7 bytes are summed as numbers. */
export function readVarint(b, pos, maximum) {
  let small = 0, big = null;
  for (let i = 0; ; i++) {
    if (pos + i >= b.length) fail('E_TRUNCATED');
    const byte = b[pos + i];
    if (i === 9 && (byte & 0x7f) > 1) fail('E_VARINT');
    if (i < 7) {
      small += (byte & 0x7f) * 2 ** (7 * i);
    } else {
      if (big === null) big = BigInt(small);
      big |= BigInt(byte & 0x7f) << BigInt(7 * i);
    }
    if (byte & 0x80) {
      if (i === 9) fail('E_VARINT');
      continue;
    }
    if (i > 0 && byte === 0) fail('E_VARINT');
    const value = big === null ? BigInt(small) : big;
    if (value > maximum) fail('E_VARINT');
    return [value, pos + i + 1, big === null ? small : null];
  }
}

/** Section 2's parsing table, field by field. Returns the header fields,
 * headerLen and ctLen. */
export function parseHeader(env) {
  if (env.length === 0) fail('E_TRUNCATED');
  const vs = env[0];
  if ((vs & 0xc0) !== 0x80) fail('E_NOT_SEALED');
  if (((vs >> 3) & 7) !== 1) fail('E_VERSION');
  if ((vs & 7) !== 1) fail('E_SUITE');
  if (env.length < 2) fail('E_TRUNCATED');
  const flags = env[1];
  if (flags & 0xf8) fail('E_RESERVED');
  let [keyId, pos] = readVarint(env, 2, U32_MAX);
  if (env.length - pos < SID_BYTES) fail('E_TRUNCATED');
  const sessionId = env.slice(pos, pos + SID_BYTES);
  pos += SID_BYTES;
  let seq, seqNumber, ts = null, ctLen;
  [seq, pos, seqNumber] = readVarint(env, pos, U64_MAX);
  if (flags & FLAG_TIMESTAMP) [ts, pos] = readVarint(env, pos, U63_MAX);
  [ctLen, pos] = readVarint(env, pos, U64_MAX);
  if (ctLen > BigInt(CT_LEN_MAX)) fail('E_OVERSIZE');
  const len = Number(ctLen);
  if (env.length - pos < len + TAG_BYTES) fail('E_TRUNCATED');
  if (env.length - pos > len + TAG_BYTES) fail('E_TRAILING');
  return {
    version: 1, suite: 1, flags, keyId: Number(keyId), sessionId, seq,
    timestampMs: ts, sealedRetained: (flags & FLAG_RETAINED) !== 0,
    payloadLength: len, headerLength: pos, seqNumber,
  };
}

function putVarint(h, o, v) {
  if (typeof v === 'number') {
    while (v >= 0x80) {
      h[o++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    h[o++] = v;
    return o;
  }
  let x = v;
  while (x >= 0x80n) {
    h[o++] = Number(x & 0x7fn) | 0x80;
    x >>= 7n;
  }
  h[o++] = Number(x);
  return o;
}

/** The header (section 2); seq and ts as numbers (below 2^53) or bigints. */
export function buildHeader(keyId, sid, seq, ts, retained, ptLen, signed = false) {
  const h = new Uint8Array(42);
  h[0] = VS;
  h[1] = (ts !== null ? FLAG_TIMESTAMP : 0) | (retained ? FLAG_RETAINED : 0) |
    (signed ? FLAG_SIGNED : 0);
  let o = putVarint(h, 2, keyId);
  h.set(sid, o);
  o = putVarint(h, o + SID_BYTES, seq);
  if (ts !== null) o = putVarint(h, o, ts);
  o = putVarint(h, o, ptLen);
  return h.slice(0, o);
}

/** Section 3: sid || 0^4 || u64le(seq). */
export function nonceOf(sid, seq) {
  const n = new Uint8Array(24);
  n.set(sid, 0);
  const dv = new DataView(n.buffer);
  if (typeof seq === 'number') {
    dv.setUint32(16, seq % TWO32, true);
    dv.setUint32(20, Math.floor(seq / TWO32), true);
  } else {
    dv.setBigUint64(16, seq, true);
  }
  return n;
}

/** Section 4: "mqttseal/v1" || header || u16be(topic_len) || topic. */
export function adOf(header, topic) {
  const ad = new Uint8Array(11 + header.length + 2 + topic.length);
  ad.set(AD_PREFIX, 0);
  ad.set(header, 11);
  const o = 11 + header.length;
  ad[o] = topic.length >> 8;
  ad[o + 1] = topic.length & 0xff;
  ad.set(topic, o + 2);
  return ad;
}

/** Section 6: topic names that may be sealed or opened. */
export function checkTopic(topic) {
  if (topic.length === 0) fail('E_TOPIC_EMPTY');
  if (topic.length > 65535) fail('E_TOPIC_INVALID');
  for (const c of topic) {
    if (c === 0x2b || c === 0x23 || c === 0) fail('E_TOPIC_INVALID');
  }
}

/** Split at every '/', keeping empty levels. */
export function levelsOf(topic) {
  const out = [];
  let start = 0;
  for (let i = 0; i <= topic.length; i++) {
    if (i === topic.length || topic[i] === 0x2f) {
      out.push(topic.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

export function levelCount(topic) {
  let n = 1;
  for (const c of topic) if (c === 0x2f) n++;
  return n;
}

/** node(parent, level) of section 5. */
export function nodeKey(parent, level) {
  const input = new Uint8Array(2 + level.length);
  input[0] = level.length >> 8;
  input[1] = level.length & 0xff;
  input.set(level, 2);
  return kdf(parent, PERSONAL_NODE, input);
}

export function messageKeyOfNode(node) {
  return kdf(node, PERSONAL_MSGK, SUITE_ID);
}

/** node(L1), node(L1,L2), ... from a key granted at levels skipped. */
export function nodeKeys(key, topic, skip = 0) {
  const out = [];
  let node = key;
  for (const level of levelsOf(topic).slice(skip)) {
    node = nodeKey(node, level);
    out.push(node);
  }
  return out;
}

/** The message key of topic under a root key (granted '#'). */
export function messageKey(rootKey, topic) {
  const t = bytesOf(topic);
  const nodes = nodeKeys(rootKey, t);
  return messageKeyOfNode(nodes[nodes.length - 1]);
}
