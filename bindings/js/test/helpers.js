// Shared by the broker and browser tests (run inside tests/js/netns.sh).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLI = process.env.MQTTSEAL_CLI;
export const MQTT_PORT = process.env.MQTTSEAL_TEST_MQTT_PORT;
export const WS_PORT = process.env.MQTTSEAL_TEST_WS_PORT;
export const skip = !CLI ? 'MQTTSEAL_CLI not set'
  : !MQTT_PORT || !WS_PORT ? 'no broker: run under tests/js/netns.sh' : false;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A root keyring and a device keyring granted filters, made by the C CLI. */
export function keyrings(...filters) {
  const dir = mkdtempSync(join(tmpdir(), 'mqttseal-js-'));
  const root = join(dir, 'root.keyring'), dev = join(dir, 'dev.keyring');
  execFileSync(CLI, ['keygen', root], { stdio: 'ignore' });
  execFileSync(CLI, ['grant', '--keyring', root, '--out', dev, ...filters],
    { stdio: 'ignore' });
  return { dir, root, dev, rootText: readFileSync(root), devText: readFileSync(dev) };
}

/** Runs a command to its end; resolves with its stdout (rejects on a
 * non-zero status). Without input its stdin is /dev/null. A command that
 * exits without reading its input (mosquitto_pub -m) closes the pipe
 * under us: that EPIPE is no failure, its exit status says how it went. */
export function run(cmd, args, input) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args,
      { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out = [], err = [];
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => err.push(d));
    p.on('error', reject);
    p.on('close', (rc) => (rc === 0 ? resolve(Buffer.concat(out))
      : reject(new Error(`${cmd} ${args.join(' ')}: status ${rc}: ${Buffer.concat(err)}`))));
    if (input !== undefined) {
      p.stdin.on('error', (e) => { if (e.code !== 'EPIPE') reject(e); });
      p.stdin.end(input);
    }
  });
}

/** Starts a long-running command; .lines collects stdout lines, .done
 * resolves with { rc, stdout, stderr }. */
export function start(cmd, args) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = [], err = [];
  const h = { proc: p, lines: [], stderr: () => Buffer.concat(err).toString() };
  let partial = '';
  p.stdout.on('data', (d) => {
    out.push(d);
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop();
    h.lines.push(...parts);
  });
  p.stderr.on('data', (d) => err.push(d));
  h.done = new Promise((resolve) => p.on('close', (rc) => resolve({
    rc, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() })));
  return h;
}

export async function until(what, cond, ms = 10000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
