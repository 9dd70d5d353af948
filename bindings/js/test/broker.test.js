// C <-> JS through a real mosquitto, in both directions, over plain MQTT
// and WebSockets (run inside tests/js/netns.sh, with MQTTSEAL_CLI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { join } from 'node:path';
import { ready, Context, Signer } from '../src/index.js';
import { wrap } from '../src/mqtt.js';
import { CLI, MQTT_PORT, WS_PORT, skip, keyrings, run, start, until, sleep } from './helpers.js';

await ready();

async function connected(url, ctx, options) {
  const client = wrap(mqtt.connect(url, { reconnectPeriod: 0 }), ctx, options);
  await new Promise((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  return client;
}

test('C mqttseal pub -> JS wrapped client (plain MQTT and WebSockets)', { skip }, async () => {
  const k = keyrings('site/a/#');
  for (const url of [`mqtt://127.0.0.1:${MQTT_PORT}`, `ws://127.0.0.1:${WS_PORT}`]) {
    const got = [], rejected = [];
    const client = await connected(url, new Context(k.devText), { fleet: true });
    client.on('message', (topic, payload, packet, header) =>
      got.push([topic, payload.toString(), header.timestampMs !== null, packet.payload.toString()]));
    client.on('reject', (topic, reason) => rejected.push([topic, reason]));
    await client.subscribeAsync('site/#', { qos: 1 });
    await run(CLI, ['pub', '-h', '127.0.0.1', '-p', MQTT_PORT, '--keyring', k.root,
      '-t', 'site/a/temp', '-q', '1', '-l'], '21.5\n22.0\n\n22.5\n');
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', MQTT_PORT, '-t', 'site/a/temp',
      '-m', '99.9 forged in clear']);
    const other = keyrings('site/a/#');
    await run(CLI, ['pub', '-h', '127.0.0.1', '-p', MQTT_PORT, '--keyring', other.root,
      '-t', 'site/a/temp', '-m', 'other root key']);
    await run(CLI, ['pub', '-h', '127.0.0.1', '-p', MQTT_PORT, '--keyring', k.root,
      '-t', 'site/b/temp', '-m', 'not granted']);
    await run(CLI, ['pub', '-h', '127.0.0.1', '-p', MQTT_PORT, '--keyring', k.root,
      '--no-timestamp', '-t', 'site/a/hum', '-m', 'no stamp']);
    await until('4 messages and 4 rejections', () => got.length >= 4 && rejected.length >= 4);
    assert.deepEqual(got, [['site/a/temp', '21.5', true, '21.5'], ['site/a/temp', '22.0', true, '22.0'],
      ['site/a/temp', '', true, ''], ['site/a/temp', '22.5', true, '22.5']], url);
    assert.deepEqual(rejected, [['site/a/temp', 'E_NOT_SEALED'], ['site/a/temp', 'E_AUTH'],
      ['site/b/temp', 'E_NO_GRANT'], ['site/a/hum', 'E_NO_TIMESTAMP']], url);
    await client.endAsync();
  }
});

test('JS wrapped client -> C mqttseal sub (plain MQTT and WebSockets)', { skip }, async () => {
  const k = keyrings('site/a/#');
  for (const url of [`mqtt://127.0.0.1:${MQTT_PORT}`, `ws://127.0.0.1:${WS_PORT}`]) {
    const sub = start(CLI, ['sub', '-h', '127.0.0.1', '-p', MQTT_PORT, '--keyring', k.root,
      '-t', 'site/#', '-v', '-C', '3', '-W', '20', '--fresh']);
    const client = await connected(url, new Context(k.devText), { fleet: true });
    // mqttseal sub prints nothing when it has subscribed: publish until
    // three consecutive readings arrived.
    let i = 0;
    while (sub.lines.length < 3 && sub.proc.exitCode === null && i < 300) {
      await client.publishAsync('site/a/temp', `reading ${i++}`, { qos: 1 });
      await sleep(50);
    }
    const r = await sub.done;
    assert.equal(r.rc, 0, r.stderr);
    const lines = r.stdout.toString().trim().split('\n');
    assert.equal(lines.length, 3);
    const first = Number(lines[0].split(' ').pop());
    assert.deepEqual(lines, [0, 1, 2].map((d) => `site/a/temp reading ${first + d}`));
    assert.equal(r.stderr, '');
    // Sealing never publishes plaintext: a topic not granted is refused.
    await assert.rejects(client.publishAsync('site/b/temp', 'x'), { code: 'E_NO_GRANT' });
    await client.endAsync();
  }
});

test('JS retained publish is sealed as retained; C sub with --fresh opens it', { skip }, async () => {
  const k = keyrings('site/a/#');
  const client = await connected(`mqtt://127.0.0.1:${MQTT_PORT}`, new Context(k.devText), { fleet: true });
  await client.publishAsync('site/a/setpoint', '19.0', { qos: 1, retain: true });
  await client.endAsync();
  const out = await run(CLI, ['sub', '-h', '127.0.0.1', '-p', MQTT_PORT, '--keyring', k.dev,
    '-t', 'site/a/setpoint', '-C', '1', '-W', '10', '--fresh']);
  assert.equal(out.toString(), '19.0\n');
  const raw = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', MQTT_PORT, '-t',
    'site/a/setpoint', '-C', '1', '-W', '10', '-F', '%x']);
  assert.match(raw.toString(), /^8903/); // flags: timestamp and sealed as retained
  await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', MQTT_PORT, '-t', 'site/a/setpoint',
    '-r', '-n']);
});

test('signed: C mqttseal pub --sign -> JS with a trust list; JS signs -> C mqttseal sub --trust', { skip }, async () => {
  const k = keyrings('site/#');
  const cKey = join(k.dir, 'c.signer'), other = join(k.dir, 'other.signer');
  const cLine = (await run(CLI, ['signer-keygen', cKey])).toString().trim();
  await run(CLI, ['signer-keygen', other]);
  assert.match(cLine, /^signer [A-Za-z0-9+/]{43}=$/);
  // C signs, JS opens: a granted reading, then a signer outside its filter,
  // an unsigned message on a required topic and a signer JS does not trust.
  const trust = `mqttseal-trust 1\nsigner c-dev ${cLine.slice(7)} site/+/temp\nrequire site/#\n`;
  const got = [], rejected = [];
  const client = await connected(`mqtt://127.0.0.1:${MQTT_PORT}`,
    new Context(k.devText, { trust }), { fleet: true });
  client.on('message', (topic, payload, packet, header) =>
    got.push([topic, payload.toString(), header.isSigned, header.signerName]));
  client.on('reject', (topic, reason) => rejected.push([topic, reason]));
  await client.subscribeAsync('site/#', { qos: 1 });
  const pub = (args) => run(CLI, ['pub', '-h', '127.0.0.1', '-p', MQTT_PORT, '--keyring', k.root,
    '-q', '1', ...args]);
  await pub(['--sign', cKey, '-t', 'site/a/temp', '-m', '21.5']);
  await pub(['--sign', cKey, '-t', 'site/a/hum', '-m', '40']);
  await pub(['-t', 'site/a/temp', '-m', 'unsigned']);
  await pub(['--sign', other, '-t', 'site/a/temp', '-m', 'stranger']);
  await until('1 message and 3 rejections', () => got.length >= 1 && rejected.length >= 3);
  assert.deepEqual(got, [['site/a/temp', '21.5', true, 'c-dev']]);
  assert.deepEqual(rejected, [['site/a/hum', 'E_SIGNER_NOT_GRANTED'],
    ['site/a/temp', 'E_SIG_REQUIRED'], ['site/a/temp', 'E_SIGNER_UNKNOWN']]);
  await client.endAsync();

  // JS signs, C opens with its trust list (made by the C CLI).
  const jsSigner = Signer.generate();
  const trustFile = join(k.dir, 'c.trust');
  await run(CLI, ['trust', 'add', trustFile, 'js-dev', jsSigner.exportPublic(), 'site/a/#']);
  await run(CLI, ['trust', 'require', trustFile, 'site/#']);
  const sub = start(CLI, ['sub', '-h', '127.0.0.1', '-p', MQTT_PORT, '--keyring', k.root,
    '--trust', trustFile, '-t', 'site/#', '-v', '-C', '3', '-W', '20', '--fresh']);
  const tx = await connected(`ws://127.0.0.1:${WS_PORT}`,
    new Context(k.devText, { signer: jsSigner }), { fleet: true });
  const unsigned = await connected(`mqtt://127.0.0.1:${MQTT_PORT}`, new Context(k.devText),
    { fleet: true });
  let i = 0;
  while (sub.lines.length < 3 && sub.proc.exitCode === null && i < 300) {
    // Refused by C in between: unsigned on a required topic, and JS's
    // signer outside its filter.
    await unsigned.publishAsync('site/a/temp', `unsigned ${i}`, { qos: 1 });
    await tx.publishAsync('site/b/temp', `not granted ${i}`, { qos: 1 });
    await tx.publishAsync('site/a/temp', `reading ${i++}`, { qos: 1 });
    await sleep(50);
  }
  const r = await sub.done;
  assert.equal(r.rc, 0, r.stderr);
  const lines = r.stdout.toString().trim().split('\n');
  const first = Number(lines[0].split(' ').pop());
  assert.deepEqual(lines, [0, 1, 2].map((d) => `site/a/temp [signed by js-dev] reading ${first + d}`));
  await tx.endAsync();
  await unsigned.endAsync();
});
