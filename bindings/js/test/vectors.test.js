// Every vector of tests/vectors/, byte for byte (FORMAT.md section 13).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ready, Context, Keyring, MqttsealError, nodeKeys, messageKey, Errors,
} from '../src/index.js';
import { sealDeterministic } from '../src/internal.js';

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

test('vector files hold at least the documented counts', () => {
  assert.ok(envelopes.length >= 21, `${envelopes.length} envelope vectors`);
  assert.ok(malformed.length >= 65, `${malformed.length} negative vectors`);
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
