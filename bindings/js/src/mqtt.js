// mqtt.js integration: seal what a client publishes, open what it gets,
// in the spirit of the Python binding's mqttseal.paho.wrap().
//
//   const client = mqtt.connect(url, options);
//   wrap(client, ctx);          // at once, before the CONNECT goes out
//   client.on('message', (topic, plaintext, packet, header) => ...);
//   client.on('reject', (topic, reason, packet) => ...);  // 'E_AUTH', ...
//
// publish() / publishAsync() seal the payload for the topic (retain: true
// seals it as retained) and never publish plaintext: a sealing failure
// goes to the callback (or rejects) and nothing is sent. Every incoming
// PUBLISH is opened before any 'message' listener runs; one that does
// not open is never emitted as 'message' but as 'reject'. The will in the
// client's options, if any, is sealed by wrap().
import { Context } from './context.js';
import { MqttsealError } from './errors.js';

const STATE = Symbol('mqttseal');

function asPayload(pt) {
  const B = globalThis.Buffer;
  return B ? B.from(pt.buffer, pt.byteOffset, pt.byteLength) : pt;
}

// MQTT 5: the envelope is binary, so a Payload Format Indicator saying
// UTF-8 would be a lie; drop it from a copy of the options.
function withoutPfi(opts) {
  if (!opts || !opts.properties || !opts.properties.payloadFormatIndicator) {
    return opts;
  }
  const properties = { ...opts.properties };
  delete properties.payloadFormatIndicator;
  return { ...opts, properties };
}

export function isWrapped(client) {
  return Boolean(client[STATE]);
}

/** Makes client seal on publish and open on 'message' with ctx. Options:
 * fleet (apply ctx.useFleetDefaults()), onReject(topic, reason, packet)
 * (also added as a 'reject' listener). Returns client. */
export function wrap(client, ctx, { fleet = false, onReject } = {}) {
  if (!(ctx instanceof Context)) throw new TypeError('ctx must be a mqttseal Context');
  if (isWrapped(client)) throw new Error('client is already wrapped by mqttseal');
  if (fleet) ctx.useFleetDefaults();
  const st = { ctx, publish: client.publish, emit: client.emit };
  client[STATE] = st;

  client.publish = function publish(topic, message, opts, callback) {
    if (typeof opts === 'function') {
      callback = opts;
      opts = undefined;
    }
    let env;
    try {
      env = ctx.seal(topic, message ?? '', { retained: Boolean(opts && opts.retain) });
    } catch (e) {
      if (callback) {
        callback(e);
        return this;
      }
      throw e;
    }
    return st.publish.call(this, topic, asPayload(env), withoutPfi(opts), callback);
  };

  client.emit = function emit(event, ...args) {
    if (event !== 'message') return st.emit.call(this, event, ...args);
    const [topic, message, packet] = args;
    let opened;
    try {
      opened = ctx.openWithHeader(topic, new Uint8Array(message.buffer,
        message.byteOffset, message.byteLength));
    } catch (e) {
      if (!(e instanceof MqttsealError)) throw e;
      return st.emit.call(this, 'reject', topic, e.code, packet);
    }
    const payload = asPayload(opened.payload);
    const p = packet ? { ...packet, payload } : packet;
    return st.emit.call(this, 'message', topic, payload, p, opened.header);
  };

  const will = client.options && client.options.will;
  if (will && will.topic) {
    will.payload = asPayload(ctx.seal(will.topic, will.payload ?? '',
      { retained: Boolean(will.retain) }));
  }
  if (onReject) client.on('reject', onReject);
  return client;
}

/** Restores the client's own publish and emit. */
export function unwrap(client) {
  const st = client[STATE];
  if (!st) return client;
  client.publish = st.publish;
  client.emit = st.emit;
  delete client[STATE];
  return client;
}
