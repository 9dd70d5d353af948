// Context behaviour: keyring text errors, seal/open round trips under
// grants, the replay window, freshness, and offline interop with the C
// CLI (mqttseal seal / open) when MQTTSEAL_CLI names it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ready, Context, Keyring, MqttsealError, inspect, strerror, Errors } from '../src/index.js';

await ready();
const ROOT = 'mqttseal-keyring 1\nprimary 1\nkey 1 # ' +
  Buffer.alloc(32, 7).toString('base64') + '\n';
const code = (fn) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof MqttsealError) return e.code;
    throw e;
  }
  return 'OK';
};

test('error numbers and messages match the C header', () => {
  assert.equal(Errors.E_AUTH, 20);
  assert.equal(Errors.E_TOPIC_DEPTH, 35);
  assert.equal(Errors.E_REPLAY_BACKEND, 43);
  assert.equal(strerror(21), 'replayed message (already accepted)');
  assert.equal(strerror(99), 'unknown mqttseal error');
});

test('keyring text errors name their line', () => {
  const cases = [
    ['', 'E_KEYRING_SYNTAX', 0],
    ['# only a comment\n', 'E_KEYRING_SYNTAX', 0],
    ['mqttseal-keyring 2\n', 'E_KEYRING_SYNTAX', 1],
    ['mqttseal-keyring 1\nkey 1 a/+ x\n', 'E_FILTER_PLUS', 2],
    ['mqttseal-keyring 1\nkey 1 a/b# ' + 'A'.repeat(43) + '=\n', 'E_FILTER', 2],
    ['mqttseal-keyring 1\nkey 01 # ' + 'A'.repeat(43) + '=\n', 'E_KEYRING_SYNTAX', 2],
    ['mqttseal-keyring 1\nkey 1 # short\n', 'E_KEYRING_SYNTAX', 2],
    ['mqttseal-keyring 1\nkey 1 # ' + 'A'.repeat(43) + '= expires=2025-02-29T00:00:00Z\n',
      'E_KEYRING_SYNTAX', 2],
    ['mqttseal-keyring 1\nkey 1 # ' + 'A'.repeat(43) + '=\nkey 1 # ' + 'A'.repeat(43) + '=\n',
      'E_DUPLICATE_KEY', 3],
    ['mqttseal-keyring 1\nprimary 2\nkey 1 # ' + 'A'.repeat(43) + '=\n', 'E_KEYRING_SYNTAX', 2],
    ['mqttseal-keyring 1\nfoo\n', 'E_KEYRING_SYNTAX', 2],
  ];
  for (const [text, want, line] of cases) {
    try {
      Keyring.parse(text);
      assert.fail(`accepted ${JSON.stringify(text)}`);
    } catch (e) {
      assert.ok(e instanceof MqttsealError, String(e));
      assert.equal(e.code, want, JSON.stringify(text));
      assert.equal(e.line, line, JSON.stringify(text));
    }
  }
  const kr = Keyring.parse('\r\n# c\nmqttseal-keyring 1\r\n\tprimary  3\nkey 3 a/# ' +
    'A'.repeat(43) + '= expires=2030-01-01T00:00:00Z\r\n');
  assert.equal(kr.primary, 3);
  assert.equal(kr.entries[0].expires, 1893456000);
});

test('seal and open round trip; grants open exactly their filter', () => {
  const root = new Context(ROOT);
  const env = root.seal('site/a/temp', '21.5');
  assert.equal(new TextDecoder().decode(root.open('site/a/temp', env)), '21.5');
  assert.equal(env.length, 33 + 4);
  assert.equal(code(() => root.open('site/a/temp', env)), 'E_REPLAY');
  assert.equal(code(() => new Context(ROOT).open('site/a/hum', env)), 'E_AUTH');
  const tampered = env.slice();
  tampered[20] ^= 1;
  assert.equal(code(() => new Context(ROOT).open('site/a/temp', tampered)), 'E_AUTH');
  assert.equal(code(() => root.seal('site/+', 'x')), 'E_TOPIC_INVALID');
  assert.equal(code(() => root.seal('', 'x')), 'E_TOPIC_EMPTY');
  assert.equal(code(() => root.seal('a/'.repeat(128) + 'b', 'x')), 'E_TOPIC_DEPTH');
  assert.equal(code(() => new Context(ROOT.replace('primary 1\n', '')).seal('a', 'x')),
    'E_NO_PRIMARY');
  assert.equal(code(() => root.open('a', new TextEncoder().encode('{"t":1}'))),
    'E_NOT_SEALED');
});

test('the replay window: out of order once, replays and too old refused', () => {
  const tx = new Context(ROOT), rx = new Context(ROOT);
  const envs = [];
  for (let i = 0; i < 200; i++) envs.push(tx.seal('t', String(i)));
  assert.equal(code(() => rx.open('t', envs[150])), 'OK');
  assert.equal(code(() => rx.open('t', envs[100])), 'OK');
  assert.equal(code(() => rx.open('t', envs[100])), 'E_REPLAY');
  assert.equal(code(() => rx.open('t', envs[150])), 'E_REPLAY');
  assert.equal(code(() => rx.open('t', envs[86])), 'E_TOO_OLD');
  assert.equal(code(() => rx.open('t', envs[87])), 'OK');
  assert.equal(code(() => rx.open('t', envs[199])), 'OK');
  assert.equal(code(() => rx.open('t', envs[150])), 'E_REPLAY');
  assert.equal(code(() => rx.open('t', envs[135])), 'E_TOO_OLD');
  assert.equal(code(() => rx.open('t', envs[136])), 'OK');
  tx.newSession();
  assert.equal(code(() => rx.open('t', tx.seal('t', 'new session'))), 'OK');
  assert.deepEqual(rx.stats, { sealed: 0, opened: 6, rejected: 5 });
});

test('a session id reused on another topic moves nothing of its owner (FORMAT.md section 9)', async () => {
  const { sealDeterministic } = await import('../src/internal.js');
  const tx = new Context(ROOT), rx = new Context(ROOT);
  const first = tx.seal('site/good', 'a');
  assert.equal(code(() => rx.open('site/good', first)), 'OK');
  // What a holder of site/evil's key can seal: the other sender's session
  // id, a huge sequence number, on its own topic.
  const evil = sealDeterministic({
    rootKey: new Uint8Array(32).fill(7), keyId: 1, topic: 'site/evil',
    sessionId: tx.sessionId, seq: 2n ** 40n, plaintext: new Uint8Array(3),
  });
  assert.equal(code(() => rx.open('site/evil', evil)), 'OK');
  assert.equal(code(() => rx.open('site/good', tx.seal('site/good', 'b'))), 'OK');
  assert.equal(code(() => rx.open('site/good', first)), 'E_REPLAY');
  assert.equal(code(() => rx.open('site/evil', evil)), 'E_REPLAY');
});

test('evicted sessions are remembered; dropped ones leave a mark', () => {
  const rx = new Context(ROOT, { replaySessions: 1, replayCapacity: 1 });
  const a = new Context(ROOT), b = new Context(ROOT), c = new Context(ROOT);
  const a0 = a.seal('t', 'a0'), a1 = a.seal('t', 'a1');
  assert.equal(code(() => rx.open('t', a0)), 'OK');
  assert.equal(code(() => rx.open('t', b.seal('t', 'b0'))), 'OK'); // a remembered
  assert.equal(code(() => rx.open('t', a0)), 'E_TOO_OLD');
  assert.equal(code(() => rx.open('t', a1)), 'OK'); // a tracked again, b remembered
  assert.equal(code(() => rx.open('t', c.seal('t', 'c0'))), 'OK'); // b dropped: mark 0
  const d = new Context(ROOT);
  assert.equal(code(() => rx.open('t', d.seal('t', 'd0'))), 'E_SESSION_LOST');
  d.setTimestamps(true);
  assert.equal(code(() => rx.open('t', d.seal('t', 'd1'))), 'OK');
});

test('freshness: future, missing and stale timestamps; retained age', () => {
  let now = 1764000000000;
  const tx = new Context(ROOT, { timestamps: true, now: () => now });
  const rx = new Context(ROOT, { fleet: true, now: () => now });
  const old = tx.seal('t', 'old');
  const oldRetained = tx.seal('t', 'kept', { retained: true });
  assert.equal(inspect(oldRetained).sealedRetained, true);
  assert.equal(inspect(old).timestampMs, BigInt(now));
  now += 31000;
  const future = tx.seal('t', 'future');
  now -= 31000;
  assert.equal(code(() => rx.open('t', future)), 'E_FUTURE');
  now += 301000;
  assert.equal(code(() => rx.open('t', old)), 'E_STALE');
  assert.equal(code(() => rx.open('t', oldRetained)), 'OK');
  const plainTx = new Context(ROOT);
  assert.equal(code(() => rx.open('t', plainTx.seal('t', 'x'))), 'E_NO_TIMESTAMP');
});

test('expired keys neither seal nor open', () => {
  const text = ROOT.replace('\n', '\n').replace(/(key 1 # \S+)/, '$1 expires=2026-01-01T00:00:00Z');
  const before = new Context(text, { now: () => Date.UTC(2025, 11, 31) });
  const env = before.seal('t', 'x');
  const after = new Context(text, { now: () => Date.UTC(2026, 0, 1) });
  assert.equal(code(() => after.seal('t', 'x')), 'E_KEY_EXPIRED');
  assert.equal(code(() => after.open('t', env)), 'E_KEY_EXPIRED');
});

const CLI = process.env.MQTTSEAL_CLI;
const skipCli = !CLI || !existsSync(CLI) ? 'MQTTSEAL_CLI not set or missing' : false;

test('C CLI seals, JS opens; JS seals, C CLI opens (device grants)', { skip: skipCli }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mqttseal-js-'));
  const root = join(dir, 'root.keyring'), dev = join(dir, 'dev.keyring');
  execFileSync(CLI, ['keygen', root], { stdio: 'ignore' });
  execFileSync(CLI, ['grant', '--keyring', root, '--out', dev, 'site/a/#', 'alerts/x'],
    { stdio: 'ignore' });
  const devCtx = new Context(readFileSync(dev));
  const rootCtx = new Context(readFileSync(root));
  for (const [topic, msg] of [['site/a/temp', '21.5'], ['alerts/x', ''], ['site/a', 'é\u0000b']]) {
    const fromC = execFileSync(CLI, ['seal', '--keyring', dev, '--topic', topic],
      { input: Buffer.from(msg) });
    assert.equal(Buffer.from(devCtx.open(topic, new Uint8Array(fromC))).toString(), msg);
    assert.equal(Buffer.from(rootCtx.open(topic, new Uint8Array(fromC))).toString(), msg);
    const fromJs = devCtx.seal(topic, msg);
    const opened = execFileSync(CLI, ['open', '--keyring', root, '--topic', topic],
      { input: fromJs });
    assert.equal(opened.toString(), msg);
  }
  assert.equal(code(() => devCtx.seal('site/b/temp', 'x')), 'E_NO_GRANT');
  const other = rootCtx.seal('site/b/temp', 'x');
  assert.equal(code(() => devCtx.open('site/b/temp', other)), 'E_NO_GRANT');
  writeFileSync(join(dir, 'x'), '');
});
