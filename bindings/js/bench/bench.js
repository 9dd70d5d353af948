// ns per seal and per open on a cached topic, in Node, against raw
// libsodium-wrappers XChaCha20-Poly1305 with a counter nonce in the same
// run: the JavaScript counterpart of bench/seal_bench.c (same topic,
// sizes and batch; rounds alternate, medians reported).
//   node bindings/js/bench/bench.js [rounds]
import sodium from 'libsodium-wrappers-sumo';
import { ready, Context } from '../src/index.js';

const BATCH = 4096;
const TOPIC = 'site/a/line1/press';
const SIZES = [16, 64, 256, 1024, 4096];
const rounds = Number(process.argv[2] || 11);
if (!(rounds >= 1 && rounds <= 31)) {
  console.error('usage: bench.js [rounds 1..31]');
  process.exit(2);
}

await ready();
const root = sodium.randombytes_buf(32);
const text = `mqttseal-keyring 1\nprimary 1\nkey 1 # ${Buffer.from(root).toString('base64')}\n`;
const ctx = (replay) => new Context(text, { replay });
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const time = (fn) => {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / BATCH;
};

function measure(len) {
  const msg = sodium.randombytes_buf(len);
  const key = sodium.randombytes_buf(32);
  const nonce = new Uint8Array(24);
  const dv = new DataView(nonce.buffer);
  const raw = [];
  for (let i = 0; i < BATCH; i++) {
    dv.setUint32(0, i, true);
    raw.push(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(msg, null, null, nonce, key));
  }
  const tx = ctx(true), envs = new Array(BATCH);
  const v = [[], [], [], [], []];
  let ctr = 0;
  for (let k = 0; k < rounds; k++) {
    const rx = ctx(false), rxr = ctx(true);
    v[0].push(time(() => {
      for (let i = 0; i < BATCH; i++) {
        dv.setUint32(0, ctr++, true);
        sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(msg, null, null, nonce, key);
      }
    }));
    v[1].push(time(() => {
      for (let i = 0; i < BATCH; i++) {
        dv.setUint32(0, i, true);
        sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, raw[i], null, nonce, key);
      }
    }));
    v[2].push(time(() => {
      for (let i = 0; i < BATCH; i++) envs[i] = tx.seal(TOPIC, msg);
    }));
    v[3].push(time(() => {
      for (let i = 0; i < BATCH; i++) rx.open(TOPIC, envs[i]);
    }));
    v[4].push(time(() => {
      for (let i = 0; i < BATCH; i++) rxr.open(TOPIC, envs[i]);
    }));
  }
  return v.map(median);
}

// Warm up the JIT and the key cache before measuring.
measure(64);
console.log(`mqttseal-js seal/open on a cached topic vs raw libsodium-wrappers ` +
  `XChaCha20-Poly1305 (Node ${process.version}, libsodium ${sodium.sodium_version_string()}, ` +
  `${rounds} rounds of ${BATCH})`);
const cols = ['bytes', 'raw_seal', 'seal', 'ratio', 'raw_open', 'open', 'ratio', 'open+replay', 'ratio'];
console.log(cols.map((c, i) => c.padStart(i === 7 ? 11 : i % 3 === 0 && i ? 6 : 9)).join(' '));
for (const len of SIZES) {
  const [rs, ro, s, o, orp] = measure(len);
  console.log([String(len).padStart(5 + 1), rs.toFixed(1).padStart(9), s.toFixed(1).padStart(9),
    (s / rs).toFixed(2).padStart(6), ro.toFixed(1).padStart(9), o.toFixed(1).padStart(9),
    (o / ro).toFixed(2).padStart(6), orp.toFixed(1).padStart(11), (orp / ro).toFixed(2).padStart(6)]
    .join(' '));
}
console.log('\n(ns per message; ratio = mqttseal-js / raw libsodium-wrappers call)');
