// N seals or opens of SIZE bytes on one cached topic, for cpu.sh: the
// JavaScript counterpart of bench/icount.c's 'seal' and 'open' operations
// (open: replay on; its envelopes are sealed first, as icount does).
// Prints the CPU time (user + system) per operation of the timed loop
// in ns, after a warm-up of 2000 operations.
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
for (let i = 0; i < 2000; i++) rx.open(TOPIC, tx.seal(TOPIC, msg));
if (op === 'open') for (let i = 0; i < n; i++) envs.push(tx.seal(TOPIC, msg));
const t0 = process.cpuUsage();
if (op === 'seal') for (let i = 0; i < n; i++) tx.seal(TOPIC, msg);
else for (let i = 0; i < n; i++) rx.open(TOPIC, envs[i]);
const t = process.cpuUsage(t0);
console.log(((t.user + t.system) * 1000 / n).toFixed(1));
