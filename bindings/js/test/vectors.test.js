// Every vector of tests/vectors/, byte for byte (FORMAT.md section 13).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ready, Context, Keyring, MqttsealError, nodeKeys, messageKey, Errors, Signer, TrustList,
} from '../src/index.js';
import { sealDeterministic, sealInnerDeterministic } from '../src/internal.js';

const dir = fileURLToPath(new URL('../../../tests/vectors/', import.meta.url));
const hex = (s) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b) => Buffer.from(b).toString('hex');

export function blocks(file) {
  const out = [];
  for (const line of readFileSync(dir + file, 'ascii').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(' = ');
    const [k, v] = i < 0 ? [line.replace(/ =$/, ''), ''] : [line.slice(0, i), line.slice(i + 3)];
    if (k === 'name') out.push({});
    out[out.length - 1][k] = v;
  }
  return out;
}

await ready();
const envelopes = blocks('envelopes.txt');
const malformed = blocks('malformed.txt');
const signed = blocks('signed.txt');

test('vector files hold at least the documented counts', () => {
  assert.ok(envelopes.length >= 21, `${envelopes.length} envelope vectors`);
  assert.ok(malformed.length >= 65, `${malformed.length} negative vectors`);
  const pos = signed.filter((v) => v.plaintext !== undefined).length;
  assert.ok(pos >= 7, `${pos} positive signed vectors`);
  assert.ok(signed.length - pos >= 30, `${signed.length - pos} negative signed vectors`);
});

for (const v of envelopes) {
  test(`envelope ${v.name}`, () => {
    const root = hex(v.root_key), topic = hex(v.topic), pt = hex(v.plaintext);
    assert.deepEqual(nodeKeys(root, topic).map(toHex), v.node_keys.split(' '));
    assert.equal(toHex(messageKey(root, topic)), v.message_key);
    const env = sealDeterministic({
      rootKey: root, keyId: Number(v.key_id), topic, sessionId: hex(v.session_id),
      seq: BigInt(v.seq), timestampMs: v.timestamp_ms ?? null,
      sealedRetained: v.sealed_retained === '1', plaintext: pt,
    });
    assert.equal(toHex(env), v.envelope);
    const kr = new Keyring([{ keyId: Number(v.key_id), filter: hex('23'), key: root,
      expires: 0 }]);
    const ctx = new Context(kr, { now: () => Number(v.timestamp_ms ?? 0) });
    const { payload, header } = ctx.openWithHeader(topic, env);
    assert.equal(toHex(payload), v.plaintext);
    assert.equal(header.seq, BigInt(v.seq));
    assert.equal(header.keyId, Number(v.key_id));
    assert.equal(header.sealedRetained, v.sealed_retained === '1');
  });
}

for (const v of malformed) {
  test(`negative ${v.name}: ${v.error}`, () => {
    let kr, now = 0;
    if (v.keyring !== undefined) {
      kr = Keyring.parse(hex(v.keyring));
      now = Number(v.now_ms);
    } else {
      kr = new Keyring([{ keyId: 1, filter: hex('23'), key: hex(v.root_key), expires: 0 }]);
    }
    const ctx = new Context(kr, { now: () => now });
    let got = 'OK';
    try {
      ctx.open(hex(v.topic), hex(v.envelope));
    } catch (e) {
      if (!(e instanceof MqttsealError)) throw e;
      got = e.code;
      assert.equal(e.errno, Errors[e.code]);
    }
    assert.equal(got, v.error);
  });
}

// signed.txt (FORMAT.md section 14): opened under root_key granted '#' as
// key_id, with the trust list 'trust' (absent: none), the clock at now_ms.
function signedReceiver(v) {
  const kr = new Keyring([{ keyId: Number(v.key_id), filter: hex('23'), key: hex(v.root_key),
    expires: 0 }]);
  const opts = { now: () => Number(v.now_ms) };
  if (v.trust !== undefined) opts.trust = TrustList.parse(hex(v.trust));
  return new Context(kr, opts);
}

for (const v of signed.filter((x) => x.plaintext !== undefined)) {
  test(`signed ${v.name}`, () => {
    const root = hex(v.root_key), topic = hex(v.topic), pt = hex(v.plaintext);
    assert.deepEqual(nodeKeys(root, topic).map(toHex), v.node_keys.split(' '));
    assert.equal(toHex(messageKey(root, topic)), v.message_key);
    const signer = new Signer(hex(v.signer_seed));
    assert.equal(toHex(signer.publicKey), v.signer_public_key);
    assert.equal(toHex(signer.id), v.signer_id);
    const env = sealDeterministic({
      rootKey: root, keyId: Number(v.key_id), topic, sessionId: hex(v.session_id),
      seq: BigInt(v.seq), timestampMs: v.timestamp_ms ?? null,
      sealedRetained: v.sealed_retained === '1', plaintext: pt, signer,
    });
    assert.equal(toHex(env), v.envelope);
    const { payload, header } = signedReceiver(v).openWithHeader(topic, env);
    assert.equal(toHex(payload), v.plaintext);
    assert.equal(header.isSigned, true);
    assert.equal(toHex(header.signerId), v.signer_id);
    assert.equal(header.seq, BigInt(v.seq));
    assert.equal(header.sealedRetained, v.sealed_retained === '1');
    // The signature inside is the one listed.
    const inner = sealInnerDeterministic.open(root, topic, env);
    assert.equal(toHex(inner.subarray(inner.length - 64)), v.signature);
  });
}

for (const v of signed.filter((x) => x.plaintext === undefined)) {
  test(`signed negative ${v.name}: ${v.error}`, () => {
    const ctx = signedReceiver(v);
    let got = 'OK';
    try {
      ctx.open(hex(v.topic), hex(v.envelope));
    } catch (e) {
      if (!(e instanceof MqttsealError)) throw e;
      got = e.code;
      assert.equal(e.errno, Errors[e.code]);
    }
    assert.equal(got, v.error);
  });
}
