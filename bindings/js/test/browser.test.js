// Headless Chromium (Debian's, driven by playwright-core) shows the values
// a C sealed publisher sends, while mosquitto_sub sees only ciphertext.
// Runs inside tests/js/netns.sh after examples/dashboard/build.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import mqtt from 'mqtt';
import { ready, Context, Signer } from '../src/index.js';
import { wrap } from '../src/mqtt.js';
import { CLI, MQTT_PORT, WS_PORT, skip, keyrings, run, start, until } from './helpers.js';

const dist = fileURLToPath(new URL('../../../examples/dashboard/dist/', import.meta.url));
const CHROMIUM = process.env.MQTTSEAL_CHROMIUM || '/usr/bin/chromium';
const skipBrowser = skip || (!existsSync(dist + 'app.js') ? 'dashboard not built' : false) ||
  (!existsSync(CHROMIUM) ? `no ${CHROMIUM}` : false);
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css',
  '.map': 'application/json' };

function serve() {
  const requests = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const name = req.url === '/' ? 'index.html' : req.url.slice(1).split('?')[0];
    if (req.method !== 'GET' || name.includes('/') || !existsSync(dist + name)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(name)] || 'application/octet-stream' });
    res.end(readFileSync(dist + name));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1',
    () => resolve({ server, requests, port: server.address().port })));
}

test('dashboard shows what a C publisher seals; mosquitto_sub sees ciphertext', { skip: skipBrowser }, async (t) => {
  const k = keyrings('site/#');
  const web = await serve();
  const profile = mkdtempSync(join(tmpdir(), 'mqttseal-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.after(async () => {
    await browser.close();
    web.server.close();
    rmSync(profile, { recursive: true, force: true });
  });
  const page = browser.pages()[0] || await browser.newPage();
  const consoleErrors = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  const sockets = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  await page.goto(`http://127.0.0.1:${web.port}/`);
  await page.fill('#url', `ws://127.0.0.1:${WS_PORT}`);
  await page.fill('#filter', 'site/#');
  await page.setInputFiles('#keyring', k.dev);
  // A trust list naming one signer (signed envelopes need the sig13
  // format: on this branch the page only loads the list).
  await ready();
  const signer = Signer.generate();
  const trustPath = join(k.dir, 'dashboard.trust');
  writeFileSync(trustPath, `mqttseal-trust 1\nsigner meter-7 ${Buffer.from(signer.publicKey)
    .toString('base64')} site/meter/+\n`);
  await page.setInputFiles('#trust', trustPath);
  await page.click('#go');
  await page.waitForFunction(() => document.getElementById('status').textContent === 'connected',
    null, { timeout: 15000 });

  // A plain subscriber, as the broker's other clients see the traffic;
  // probe/x tells when it has subscribed.
  const plain = start('mosquitto_sub', ['-h', '127.0.0.1', '-p', MQTT_PORT, '-t', 'site/#',
    '-t', 'probe/x', '-v', '-F', '%t %x', '-W', '60']);
  t.after(() => plain.proc.kill());
  await until('mosquitto_sub to subscribe', async () => {
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', MQTT_PORT, '-t', 'probe/x', '-m', '.']);
    return plain.lines.length > 0;
  });
  const readings = [['site/a/temp', '21.5'], ['site/a/hum', '40 %'], ['site/b/temp', '19.25'],
    ['site/a/temp', '21.75']];
  for (const [topic, value] of readings) {
    await run(CLI, ['pub', '-h', '127.0.0.1', '-p', MQTT_PORT, '--keyring', k.root,
      '-t', topic, '-q', '1', '-m', value]);
  }
  await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', MQTT_PORT, '-t', 'site/a/temp',
    '-m', '99.9 forged']);
  const other = wrap(mqtt.connect(`mqtt://127.0.0.1:${MQTT_PORT}`),
    new Context(k.rootText, { fleet: true }));
  await other.publishAsync('site/meter/kwh', '1234.5', { qos: 1 });
  await other.endAsync();

  const want = { 'site/a/temp': '21.75', 'site/a/hum': '40 %', 'site/b/temp': '19.25',
    'site/meter/kwh': '1234.5' };
  await page.waitForFunction((w) => Object.entries(w).every(([topic, v]) => {
    const tr = document.querySelector(`#readings tr[data-topic="${topic}"]`);
    return tr && tr.querySelector('td.value').textContent === v;
  }) && document.querySelectorAll('#rejected tbody tr').length >= 1, want, { timeout: 15000 });
  const shown = await page.$$eval('#readings tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  assert.deepEqual(Object.fromEntries(shown.map((r) => [r[0], r[1]])), want);
  assert.equal(shown.find((r) => r[0] === 'site/a/temp')[5], '2'); // two readings
  assert.equal(shown.find((r) => r[0] === 'site/a/temp')[6], '(not signed)');
  assert.equal(shown.find((r) => r[0] === 'site/meter/kwh')[6], '(not signed)');
  const rejected = await page.$$eval('#rejected tbody tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].slice(1).map((td) => td.textContent)));
  assert.deepEqual(rejected, [['site/a/temp', 'E_NOT_SEALED',
    'not an mqttseal envelope (plaintext or foreign payload)']]);
  await page.screenshot({ path: join(process.env.MQTTSEAL_ARTIFACTS || tmpdir(),
    'dashboard.png'), fullPage: true });

  const isSite = (l) => l.startsWith('site/');
  await until('mosquitto_sub to see 6 messages', () => plain.lines.filter(isSite).length >= 6);
  const seen = plain.lines.filter(isSite).map((l) => l.split(' '));
  assert.equal(seen.length, 6);
  const meter = Buffer.from(seen[5][1], 'hex');
  assert.equal(meter[1], 0x01, 'timestamped');
  assert.ok(!meter.includes(Buffer.from('1234.5')));
  for (const [i, [topic, hexPayload]] of seen.slice(0, 4).entries()) {
    assert.equal(topic, readings[i][0]);
    assert.match(hexPayload, /^8901/, 'a sealed envelope with a timestamp');
    const env = Buffer.from(hexPayload, 'hex');
    assert.ok(!env.includes(Buffer.from(readings[i][1])), 'no plaintext on the wire');
  }
  assert.equal(Buffer.from(seen[4][1], 'hex').toString(), '99.9 forged');
  // The page fetched only its own files, talked only to the broker, and
  // never sent the keyring anywhere.
  assert.deepEqual(web.requests.filter((q) => !/^GET \/(|index\.html|app\.js|style\.css|app\.js\.map)$/.test(q)), []);
  assert.deepEqual(sockets, [`ws://127.0.0.1:${WS_PORT}/`]);
  assert.deepEqual(consoleErrors, []);
});
