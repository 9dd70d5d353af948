// The dashboard: opens sealed readings in the page (bindings/js) from a
// broker's WebSockets listener, and lists what does not open.
import mqtt from 'mqtt';
import { ready, Context, Errors, strerror } from '../../bindings/js/src/index.js';
import { wrap } from '../../bindings/js/src/mqtt.js';

const $ = (id) => document.getElementById(id);
const text = new TextDecoder('utf-8', { fatal: false });
const rows = new Map();
let client = null;

$('url').value = `ws://${location.hostname || '127.0.0.1'}:9001`;

function status(s) {
  $('status').textContent = s;
}

function cell(tr, value, cls) {
  const td = document.createElement('td');
  td.textContent = value;
  if (cls) td.className = cls;
  tr.append(td);
  return td;
}

function showReading(topic, payload, header) {
  let r = rows.get(topic);
  if (!r) {
    const tr = document.createElement('tr');
    tr.dataset.topic = topic;
    r = { tr, count: 0, cells: [topic, '', '', '', '', '', ''].map((v, i) =>
      cell(tr, v, ['topic', 'value', 'keyid', 'seq', 'time', 'count', 'signer'][i])) };
    rows.set(topic, r);
    $('readings').tBodies[0].append(tr);
  }
  r.count++;
  const ts = header.timestampMs;
  const [, value, keyId, seq, time, count, signer] = r.cells;
  value.textContent = text.decode(payload);
  keyId.textContent = String(header.keyId);
  seq.textContent = String(header.seq);
  time.textContent = ts === null ? '(no timestamp)' : new Date(Number(ts)).toISOString();
  count.textContent = String(r.count);
  signer.textContent = header.isSigned ? header.signerName : '(not signed)';
}

function showReject(topic, reason) {
  const tr = document.createElement('tr');
  cell(tr, new Date().toISOString());
  cell(tr, topic, 'topic');
  cell(tr, reason, 'reason');
  cell(tr, strerror(Errors[reason]), 'meaning');
  $('rejected').tBodies[0].prepend(tr);
}

async function connect(ev) {
  ev.preventDefault();
  const file = $('keyring').files[0];
  if (!file) return;
  await ready();
  const trustFile = $('trust').files[0];
  let ctx;
  try {
    // Read locally; the texts go into the Context and nowhere else.
    const options = { fleet: $('fresh').checked };
    if (trustFile) options.trust = new Uint8Array(await trustFile.arrayBuffer());
    ctx = new Context(new Uint8Array(await file.arrayBuffer()), options);
  } catch (e) {
    status(`keyring or trust list refused: ${e.code || ''} ${e.message}` +
      (e.line !== undefined ? ` (line ${e.line})` : ''));
    return;
  }
  if (client) client.end(true);
  status('connecting');
  client = mqtt.connect($('url').value, { reconnectPeriod: 2000, connectTimeout: 5000 });
  wrap(client, ctx);
  client.on('connect', () => {
    client.subscribe($('filter').value, { qos: 0 }, (err) => {
      status(err ? `subscribe failed: ${err.message}` : 'connected');
    });
  });
  client.on('message', (topic, payload, packet, header) => showReading(topic, payload, header));
  client.on('reject', (topic, reason) => showReject(topic, reason));
  client.on('error', (e) => status(`error: ${e.message}`));
  client.on('offline', () => status('offline'));
}

$('connect').addEventListener('submit', connect);
