// Test-only: seal with every header field given (as tests/gen_vectors.c
// does). Not exported by index.js: a sender must never choose its nonce.
import { bytesOf, buildHeader, adOf, nonceOf, messageKey } from './format.js';
import { aeadEncrypt } from './sodium.js';

export function sealDeterministic({ rootKey, keyId, topic, sessionId, seq,
  timestampMs = null, sealedRetained = false, plaintext }) {
  const t = bytesOf(topic);
  const header = buildHeader(keyId, sessionId, BigInt(seq),
    timestampMs === null ? null : BigInt(timestampMs), sealedRetained,
    plaintext.length);
  const ct = aeadEncrypt(plaintext, adOf(header, t), nonceOf(sessionId, BigInt(seq)),
    messageKey(rootKey, t));
  const out = new Uint8Array(header.length + ct.length);
  out.set(header);
  out.set(ct, header.length);
  return out;
}
