// Signed envelopes and trust lists (FORMAT.md section 14), JS with JS,
// and with the C library when MQTTSEAL_SIGN_PEER names tests/js/sign_peer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sodium from 'libsodium-wrappers-sumo';
import {
  ready, Context, MqttsealError, Signer, TrustList, inspect, mqttMatch, Errors,
} from '../src/index.js';

await ready();
const ROOT = 'mqttseal-keyring 1\nprimary 1\nkey 1 # ' + Buffer.alloc(32, 9).toString('base64') + '\n';
const enc = (s) => new TextEncoder().encode(s);
const code = (fn) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof MqttsealError) return e.code;
    throw e;
  }
  return 'OK';
};
const seedText = (seed) => `mqttseal-signer 1\nsecret ${Buffer.from(seed).toString('base64')}\n`;
const pkB64 = (s) => Buffer.from(s.publicKey).toString('base64');

test('error numbers 37..42', () => {
  assert.deepEqual(['E_SIG_REQUIRED', 'E_SIGNER_UNKNOWN', 'E_SIGNER_NOT_GRANTED',
    'E_SIGNER_EXPIRED', 'E_SIGNATURE', 'E_TRUST_SYNTAX'].map((n) => Errors[n]),
  [37, 38, 39, 40, 41, 42]);
});

test('signer id, signer-key text and the inner layout', () => {
  const seed = Uint8Array.from({ length: 32 }, (_, i) => i);
  const s = Signer.parse(seedText(seed));
  assert.deepEqual(s.id, sodium.crypto_generichash(32, s.publicKey, null).slice(0, 8));
  assert.equal(s.exportPublic(), `signer ${pkB64(s)}`);
  for (const [text, line] of [['', 0], ['mqttseal-signer 2\n', 1],
    ['mqttseal-signer 1\nsecret abc\n', 2], ['mqttseal-signer 1\n', 0],
    [seedText(seed) + 'secret ' + Buffer.from(seed).toString('base64') + '\n', 3]]) {
    try {
      Signer.parse(text);
      assert.fail('accepted ' + text);
    } catch (e) {
      assert.equal(e.code, 'E_TRUST_SYNTAX');
      assert.equal(e.line, line, text);
    }
  }
  const ctx = new Context(ROOT, { signer: s, trust: `mqttseal-trust 1\n${s.exportPublic().replace('signer', 'signer dev1')} site/#\n` });
  const plain = new Context(ROOT).seal('site/a', 'hello');
  const env = ctx.seal('site/a', 'hello');
  assert.equal(env.length, plain.length + 72);
  const h = inspect(env);
  assert.equal(h.flags & 4, 4);
  const { payload, header } = ctx.openWithHeader('site/a', env);
  assert.equal(Buffer.from(payload).toString(), 'hello');
  assert.deepEqual(header.signerId, s.id);
  assert.equal(header.signerName, 'dev1');
  assert.equal(header.payloadLength, 5);
});

test('MQTT filter matching', () => {
  const m = (f, t) => mqttMatch(enc(f), enc(t));
  assert.ok(m('#', '$SYS/x'));
  assert.ok(m('a/#', 'a'));
  assert.ok(m('a/#', 'a/b/c'));
  assert.ok(!m('a/#', 'ab'));
  assert.ok(m('a/+', 'a/'));
  assert.ok(!m('a/+', 'a'));
  assert.ok(!m('a/+', 'a/b/c'));
  assert.ok(m('+/+', '/x'));
  assert.ok(m('a/b', 'a/b'));
  assert.ok(!m('a/b', 'a/b/c'));
});

test('trust-list text errors name their line', () => {
  const pk = Buffer.alloc(32, 1).toString('base64');
  const ok = TrustList.parse(`# c\n\nmqttseal-trust 1\nsigner a.b_c-1 ${pk} site/+/temp alerts/# expires=2030-01-01T00:00:00Z\r\nrequire site/#\n`);
  assert.equal(ok.signers[0].filters.length, 2);
  assert.equal(ok.signers[0].expires, 1893456000);
  for (const [text, line] of [
    ['', 0], ['signer x\n', 1], ['mqttseal-trust 2\n', 1],
    [`mqttseal-trust 1\nsigner a ${pk}\n`, 2],
    [`mqttseal-trust 1\nsigner a ${pk} expires=2030-01-01T00:00:00Z\n`, 2],
    [`mqttseal-trust 1\nsigner a! ${pk} x\n`, 2],
    [`mqttseal-trust 1\nsigner a ${pk} a/#/b\n`, 2],
    [`mqttseal-trust 1\nsigner a ${pk} a+\n`, 2],
    [`mqttseal-trust 1\nsigner a ${pk} x expires=2030-02-30T00:00:00Z\n`, 2],
    [`mqttseal-trust 1\nsigner a ${pk} x\nsigner b ${pk} y\n`, 3],
    [`mqttseal-trust 1\nrequire\n`, 2], [`mqttseal-trust 1\nrequire a b\n`, 2],
    [`mqttseal-trust 1\nallow x\n`, 2]]) {
    try {
      TrustList.parse(text);
      assert.fail('accepted ' + text);
    } catch (e) {
      assert.equal(e.code, 'E_TRUST_SYNTAX', text);
      assert.equal(e.line, line, text);
    }
  }
});

test('every signed-open refusal, in order', () => {
  let now = Date.UTC(2026, 0, 1);
  const a = Signer.generate(), b = Signer.generate();
  const trust = `mqttseal-trust 1
signer a ${pkB64(a)} site/+/temp
signer b ${pkB64(b)} site/# expires=2026-06-01T00:00:00Z
require site/#
`;
  const rx = () => new Context(ROOT, { trust, now: () => now });
  const txA = new Context(ROOT, { signer: a, now: () => now });
  const txB = new Context(ROOT, { signer: b, now: () => now });
  const txC = new Context(ROOT, { signer: Signer.generate(), now: () => now });
  const txU = new Context(ROOT, { now: () => now });
  assert.equal(code(() => rx().open('site/a/temp', txA.seal('site/a/temp', '1'))), 'OK');
  assert.equal(code(() => rx().open('site/a/hum', txA.seal('site/a/hum', '1'))), 'E_SIGNER_NOT_GRANTED');
  assert.equal(code(() => rx().open('site/a/temp', txC.seal('site/a/temp', '1'))), 'E_SIGNER_UNKNOWN');
  assert.equal(code(() => rx().open('site/a/temp', txU.seal('site/a/temp', '1'))), 'E_SIG_REQUIRED');
  assert.equal(code(() => rx().open('other', txU.seal('other', '1'))), 'OK');
  assert.equal(code(() => new Context(ROOT).open('x', txA.seal('x', '1'))), 'E_SIGNER_UNKNOWN');
  assert.equal(code(() => rx().open('site/x', txB.seal('site/x', '1'))), 'OK');
  now = Date.UTC(2026, 5, 1);
  assert.equal(code(() => rx().open('site/x', txB.seal('site/x', '1'))), 'E_SIGNER_EXPIRED');
  // Replay is checked only after the signature.
  const env = txA.seal('site/a/temp', '21.5');
  const r = rx();
  assert.equal(code(() => r.open('site/a/temp', env)), 'OK');
  assert.equal(code(() => r.open('site/a/temp', env)), 'E_REPLAY');
});

test('a topic-key holder cannot re-wrap, move or shorten a signed inner', async () => {
  const { sealInnerDeterministic } = await import('../src/internal.js');
  const a = Signer.generate();
  const trust = `mqttseal-trust 1\nsigner a ${pkB64(a)} #\n`;
  const root = Buffer.alloc(32, 9);
  const tx = new Context(ROOT, { signer: a });
  const env = tx.seal('t/1', 'payload');
  // The holder decrypts the inner with the topic key and re-seals it.
  const inner = sealInnerDeterministic.open(root, 't/1', env);
  const rewrapped = sealInnerDeterministic.seal(root, 't/1', inner, { seq: 7n, signed: true });
  assert.equal(code(() => new Context(ROOT, { trust }).open('t/1', rewrapped)), 'E_SIGNATURE');
  const moved = sealInnerDeterministic.seal(root, 't/2', inner, { seq: 0n, signed: true });
  assert.equal(code(() => new Context(ROOT, { trust }).open('t/2', moved)), 'E_SIGNATURE');
  const short = sealInnerDeterministic.seal(root, 't/1', inner.subarray(0, 71), { seq: 0n, signed: true });
  assert.equal(code(() => new Context(ROOT, { trust }).open('t/1', short)), 'E_SIGNATURE');
  const tampered = inner.slice();
  tampered[10] ^= 1;
  const flipped = sealInnerDeterministic.seal(root, 't/1', tampered, { seq: 0n, signed: true });
  assert.equal(code(() => new Context(ROOT, { trust }).open('t/1', flipped)), 'E_SIGNATURE');
  const stripped = sealInnerDeterministic.seal(root, 't/1', inner.subarray(8, inner.length - 64),
    { seq: 0n, signed: false });
  assert.equal(code(() => new Context(ROOT, { trust: trust + 'require t/#\n' }).open('t/1', stripped)),
    'E_SIG_REQUIRED');
  assert.equal(code(() => new Context(ROOT, { trust }).open('t/1', stripped)), 'OK');
});
