// FORMAT.md sections 6 and 7: keyring text, grants and key lookup.
import sodium from 'libsodium-wrappers-sumo';
import { fail, MqttsealError } from './errors.js';
import { bytesOf, levelsOf, nodeKeys, messageKeyOfNode } from './format.js';

const dec = new TextDecoder();
const ID_RE = /^(0|[1-9][0-9]{0,9})$/;
const B64_RE = /^[A-Za-z0-9+/]{43}=$/;
const EXP_RE = /^expires=(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$/;

function parseId(field, line) {
  const s = dec.decode(field);
  if (!ID_RE.test(s) || Number(s) > 0xffffffff) {
    throw new MqttsealError('E_KEYRING_SYNTAX', line);
  }
  return Number(s);
}

/** Checks a grant filter (section 6); returns it as bytes. */
export function checkFilter(filter, line) {
  const f = bytesOf(filter);
  if (f.length === 0 || f.length > 65535 || f.includes(0)) {
    throw new MqttsealError('E_FILTER', line);
  }
  if (f.includes(0x2b)) throw new MqttsealError('E_FILTER_PLUS', line);
  const hash = f.indexOf(0x23);
  if (hash >= 0) {
    const whole = f.length === 1 ||
      (hash === f.length - 1 && f[hash - 1] === 0x2f);
    if (!whole) throw new MqttsealError('E_FILTER', line);
  }
  return f;
}

function parseKey(field, line) {
  const s = dec.decode(field);
  let key = null;
  if (B64_RE.test(s)) {
    try {
      key = sodium.from_base64(s, sodium.base64_variants.ORIGINAL);
    } catch {
      key = null;
    }
  }
  if (key === null || key.length !== 32) {
    throw new MqttsealError('E_KEYRING_SYNTAX', line);
  }
  return key;
}

function daysIn(y, m) {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function parseExpiry(field, line) {
  const m = EXP_RE.exec(dec.decode(field));
  if (!m) throw new MqttsealError('E_KEYRING_SYNTAX', line);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) ||
      h > 23 || mi > 59 || s > 59) {
    throw new MqttsealError('E_KEYRING_SYNTAX', line);
  }
  const t = Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
  if (t < 1) throw new MqttsealError('E_KEYRING_SYNTAX', line);
  return t;
}

function splitFields(line) {
  const out = [];
  let start = -1;
  for (let i = 0; i <= line.length; i++) {
    const sep = i === line.length || line[i] === 0x20 || line[i] === 0x09;
    if (sep && start >= 0) {
      out.push(line.subarray(start, i));
      start = -1;
    } else if (!sep && start < 0) {
      start = i;
    }
  }
  return out;
}

function linesOf(text) {
  const lines = [];
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text[i] === 0x0a) {
      let end = i;
      if (end > start && text[end - 1] === 0x0d) end--;
      lines.push(text.subarray(start, end));
      start = i + 1;
    }
  }
  return lines;
}

const is = (field, word) => dec.decode(field) === word;

/** A parsed keyring: entries {keyId, filter (bytes), key, expires (Unix
 * seconds, 0 = never)} and primary (a key id or null). */
export class Keyring {
  constructor(entries = [], primary = null) {
    this.entries = entries;
    this.primary = primary;
  }

  /** Parses keyring text (string or bytes); throws MqttsealError with
   * code and line, in the order of FORMAT.md section 7's table. */
  static parse(text) {
    const t = typeof text === 'string' ? new TextEncoder().encode(text)
      : text;
    const kr = new Keyring();
    let header = false, primaryLine = 0;
    linesOf(t).forEach((line, i) => {
      const n = i + 1;
      if (line.includes(0)) throw new MqttsealError('E_KEYRING_SYNTAX', n);
      const f = splitFields(line);
      if (f.length === 0 || f[0][0] === 0x23) return;
      if (!header) {
        if (f.length !== 2 || !is(f[0], 'mqttseal-keyring') || !is(f[1], '1')) {
          throw new MqttsealError('E_KEYRING_SYNTAX', n);
        }
        header = true;
      } else if (is(f[0], 'key')) {
        kr.#keyLine(f, n);
      } else if (is(f[0], 'primary')) {
        if (f.length !== 2 || kr.primary !== null) {
          throw new MqttsealError('E_KEYRING_SYNTAX', n);
        }
        kr.primary = parseId(f[1], n);
        primaryLine = n;
      } else {
        throw new MqttsealError('E_KEYRING_SYNTAX', n);
      }
    });
    if (!header) throw new MqttsealError('E_KEYRING_SYNTAX', 0);
    if (kr.primary !== null && !kr.entries.some((e) => e.keyId === kr.primary)) {
      throw new MqttsealError('E_KEYRING_SYNTAX', primaryLine);
    }
    return kr;
  }

  #keyLine(f, n) {
    if (f.length !== 4 && f.length !== 5) {
      throw new MqttsealError('E_KEYRING_SYNTAX', n);
    }
    const keyId = parseId(f[1], n);
    const filter = checkFilter(f[2], n);
    const key = parseKey(f[3], n);
    const expires = f.length === 5 ? parseExpiry(f[4], n) : 0;
    const same = (e) => e.keyId === keyId && e.filter.length === filter.length &&
      e.filter.every((c, j) => c === filter[j]);
    if (this.entries.some(same)) throw new MqttsealError('E_DUPLICATE_KEY', n);
    this.entries.push({ keyId, filter: Uint8Array.from(filter), key, expires });
  }

  /** The key ids present, ascending. */
  keyIds() {
    return [...new Set(this.entries.map((e) => e.keyId))].sort((a, b) => a - b);
  }

  /** Section 6's lookup: the most specific entry of keyId covering topic
   * (bytes), checked for expiry at nowMs. Throws E_UNKNOWN_KEY,
   * E_NO_GRANT or E_KEY_EXPIRED. */
  lookup(keyId, topic, nowMs) {
    let best = null, bestRank = -1, known = false;
    for (const e of this.entries) {
      if (e.keyId !== keyId) continue;
      known = true;
      const r = coverRank(e.filter, topic);
      if (r > bestRank) {
        best = e;
        bestRank = r;
      }
    }
    if (!known) fail('E_UNKNOWN_KEY');
    if (best === null) fail('E_NO_GRANT');
    if (best.expires !== 0 && Math.floor(nowMs / 1000) >= best.expires) {
      fail('E_KEY_EXPIRED');
    }
    return best;
  }
}

/** -1 if filter does not cover topic; else higher for more specific:
 * '#' 0, 'P/#' 1 + len(P), exact 2^20. */
function coverRank(filter, topic) {
  const n = filter.length;
  if (n === 1 && filter[0] === 0x23) return 0;
  if (n >= 2 && filter[n - 1] === 0x23 && filter[n - 2] === 0x2f) {
    const p = n - 2;
    if (topic.length < p) return -1;
    for (let i = 0; i < p; i++) if (topic[i] !== filter[i]) return -1;
    if (topic.length === p || topic[p] === 0x2f) return 1 + p;
    return -1;
  }
  if (topic.length !== n) return -1;
  for (let i = 0; i < n; i++) if (topic[i] !== filter[i]) return -1;
  return 1 << 20;
}

/** The message key of topic from an entry that covers it. */
export function deriveFromEntry(entry, topic) {
  const f = entry.filter;
  if (f[f.length - 1] !== 0x23) return entry.key;
  const skip = f.length === 1 ? 0 : levelsOf(f.subarray(0, f.length - 2)).length;
  const nodes = nodeKeys(entry.key, topic, skip);
  return messageKeyOfNode(nodes.length ? nodes[nodes.length - 1] : entry.key);
}
