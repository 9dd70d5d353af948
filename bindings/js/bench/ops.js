// N seals or opens of SIZE bytes on one cached topic, for cpu.sh (which
// subtracts a run with N = 1): the JavaScript counterpart of
// bench/icount.c's 'seal' and 'open' operations (open: replay on; its
// envelopes are sealed first, as icount does).
//   node bindings/js/bench/ops.js seal|open SIZE N
import { ready, Context } from '../src/index.js';

const [op, size, n] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
if (!['seal', 'open'].includes(op) || !(size >= 0) || !(n >= 1)) {
  console.error('usage: ops.js seal|open SIZE N');
  process.exit(2);
}
await ready();
const TOPIC = 'site/a/line1/press';
const text = `mqttseal-keyring 1\nprimary 1\nkey 1 # ${Buffer.alloc(32, 3).toString('base64')}\n`;
const tx = new Context(text), rx = new Context(text);
const msg = new Uint8Array(size).fill(7);
const envs = [];
for (let i = 0; i < n; i++) {
  if (op === 'seal') tx.seal(TOPIC, msg);
  else envs.push(tx.seal(TOPIC, msg));
}
for (let i = 0; i < envs.length; i++) rx.open(TOPIC, envs[i]);
