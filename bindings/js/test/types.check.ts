// Compiled by `tsc -p .` only: the declarations in src/*.d.ts describe a
// usable API (this file is never run).
import { ready, Context, Keyring, MqttsealError, Errors, inspect, Signer, TrustList, type Header } from '../src/index.js';
import { wrap } from '../src/mqtt.js';
import mqtt from 'mqtt';

async function demo(text: string): Promise<void> {
  await ready();
  const ctx: Context = new Context(Keyring.parse(text), { fleet: true, now: () => Date.now() });
  const env: Uint8Array = ctx.seal('site/a/temp', '21.5', { retained: true });
  const h: Header = inspect(env);
  const seq: bigint = h.seq;
  try {
    ctx.open('site/a/temp', env);
  } catch (e) {
    if (e instanceof MqttsealError && e.errno === Errors.E_REPLAY) console.log(e.code, seq);
  }
  const signer = Signer.generate();
  const signed = new Context(text, { signer, trust: TrustList.parse(`mqttseal-trust 1\n${signer.exportPublic()}`) });
  const { header } = signed.openWithHeader('t', signed.seal('t', 'x'));
  console.log(header.signerName, header.signerId);
  const client = wrap(mqtt.connect('ws://127.0.0.1:9001'), ctx);
  client.on('reject', (topic: string, reason: string) => console.log(topic, reason));
  client.publish('site/a/temp', '22');
}
void demo;
