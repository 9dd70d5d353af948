// FORMAT.md section 9: tracked sessions with a sliding window, remembered
// entries, and per-key-id low-water marks. check() decides without
// changing anything; commit() records an accepted message.
const REMEMBERED_START = 1024;

// A session's map key: key id and the 12 sid bytes as a binary string.
const keyOf = (keyId, sid) => keyId + ':' + String.fromCharCode.apply(null, sid);

export class Replay {
  constructor({ window = 64, sessions = 1024, capacity = 1048576 } = {}) {
    if (window < 64 || window > 4096 || window % 64 !== 0 || sessions < 1 ||
        capacity < 1) {
      throw new RangeError('replay: bad window, sessions or capacity');
    }
    this.W = window;
    this.Wn = BigInt(window);
    this.sessions = sessions;
    this.capacity = capacity;
    this.limit = Math.min(REMEMBERED_START, capacity);
    this.maxAgeMs = 0n;
    this.tracked = new Map(); // least recently seen first
    this.remembered = new Map();
    this.marks = new Map();
  }

  /** Returns null (accept) or the error code; changes nothing. */
  check(keyId, sid, seq, ts) {
    const k = keyOf(keyId, sid);
    const s = this.tracked.get(k);
    if (s) {
      if (seq > s.highest) return null;
      if (s.highest >= this.Wn && seq <= s.highest - this.Wn) return 'E_TOO_OLD';
      return s.bits[Number(seq % this.Wn)] ? 'E_REPLAY' : null;
    }
    const r = this.remembered.get(k);
    if (r) return seq <= r.highest ? 'E_TOO_OLD' : null;
    const mark = this.marks.get(keyId);
    if (mark !== undefined && (ts === null || ts <= mark)) return 'E_SESSION_LOST';
    return null;
  }

  /** Records a message check() accepted; nowMs is the receiver's clock. */
  commit(keyId, sid, seq, ts, nowMs) {
    const k = keyOf(keyId, sid);
    const tsv = ts === null ? 0n : ts;
    let s = this.tracked.get(k);
    if (s) {
      this.tracked.delete(k);
    } else {
      const r = this.remembered.get(k);
      s = { keyId, sid, highest: seq, bits: new Uint8Array(this.W), tsMax: 0n };
      if (r) {
        this.remembered.delete(k);
        s.highest = r.highest;
        s.tsMax = r.tsMax;
        s.bits.fill(1);
      } else if (this.marks.has(keyId)) {
        s.bits.fill(1); // every number below the first counts as seen
      }
      this.#makeRoom(nowMs);
    }
    this.#mark(s, seq);
    if (tsv > s.tsMax) s.tsMax = tsv;
    this.tracked.set(k, s);
  }

  #mark(s, seq) {
    if (seq > s.highest) {
      if (seq - s.highest >= this.Wn) {
        s.bits.fill(0);
      } else {
        for (let x = s.highest + 1n; x < seq; x++) s.bits[Number(x % this.Wn)] = 0;
      }
      s.highest = seq;
    }
    s.bits[Number(seq % this.Wn)] = 1;
  }

  #makeRoom(nowMs) {
    if (this.tracked.size < this.sessions) return;
    const [k, old] = this.tracked.entries().next().value;
    this.tracked.delete(k);
    if (this.remembered.size >= this.limit) this.#forgetStale(nowMs);
    if (this.remembered.size >= this.limit) {
      if (this.limit < this.capacity) {
        this.limit = Math.min(this.limit * 2, this.capacity);
      } else {
        const [rk, r] = this.remembered.entries().next().value;
        this.remembered.delete(rk);
        this.#raise(r);
      }
    }
    this.remembered.set(k, { keyId: old.keyId, highest: old.highest,
      tsMax: old.tsMax });
  }

  #forgetStale(nowMs) {
    if (this.maxAgeMs === 0n) return;
    const now = BigInt(nowMs);
    for (const [k, r] of this.remembered) {
      if (r.tsMax !== 0n && r.tsMax + this.maxAgeMs < now) {
        this.remembered.delete(k);
        this.#raise(r);
      }
    }
  }

  #raise(entry) {
    const m = this.marks.get(entry.keyId);
    this.marks.set(entry.keyId, m === undefined || entry.tsMax > m ? entry.tsMax : m);
  }
}
