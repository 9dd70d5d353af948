// Test-only: seal with every header field given (as tests/gen_vectors.c
// does). Not exported by index.js: a sender must never choose its nonce.
import { bytesOf, buildHeader, adOf, nonceOf, messageKey } from './format.js';
import { aeadEncrypt } from './sodium.js';
import { SIGNED_OVERHEAD, signedInner } from './sign.js';

// signer (a Signer, optional): seal a signed envelope (section 14).
export function sealDeterministic({ rootKey, keyId, topic, sessionId, seq,
  timestampMs = null, sealedRetained = false, plaintext, signer = null }) {
  const t = bytesOf(topic);
  const header = buildHeader(keyId, sessionId, BigInt(seq),
    timestampMs === null ? null : BigInt(timestampMs), sealedRetained,
    plaintext.length + (signer ? SIGNED_OVERHEAD : 0), !!signer);
  const inner = signer ? signedInner(signer, header, t, plaintext) : plaintext;
  const ct = aeadEncrypt(inner, adOf(header, t), nonceOf(sessionId, BigInt(seq)),
    messageKey(rootKey, t));
  const out = new Uint8Array(header.length + ct.length);
  out.set(header);
  out.set(ct, header.length);
  return out;
}

// What a holder of a topic key can do: open an envelope to its AEAD
// plaintext (the signed inner, unchecked) and seal any inner under any
// header it likes. For the tests of section 14's table.
import { parseHeader, buildHeader as header } from './format.js';
import { aeadDecrypt } from './sodium.js';

export const sealInnerDeterministic = {
  open(rootKey, topic, env) {
    const t = bytesOf(topic);
    const h = parseHeader(env);
    return aeadDecrypt(env.subarray(h.headerLength), adOf(env.subarray(0, h.headerLength), t),
      nonceOf(h.sessionId, h.seq), messageKey(rootKey, t));
  },
  seal(rootKey, topic, inner, { seq, signed, sid = new Uint8Array(12).fill(5) }) {
    const t = bytesOf(topic);
    const hd = header(1, sid, seq, null, false, inner.length, signed);
    const ct = aeadEncrypt(inner, adOf(hd, t), nonceOf(sid, seq), messageKey(rootKey, t));
    const out = new Uint8Array(hd.length + ct.length);
    out.set(hd);
    out.set(ct, hd.length);
    return out;
  },
};
