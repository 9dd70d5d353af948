// libsodium-wrappers-sumo, and the one primitive its wrappers cannot give:
// crypto_generichash_blake2b_salt_personal() in the wrappers hashes an
// empty message (it is meant as a KDF over key, salt and personal), while
// FORMAT.md's KDF hashes an input. We call the same libsodium function
// through the module's raw exports (sodium.libsodium), with the input.
import sodium from 'libsodium-wrappers-sumo';

let lib = null;
let scratch = 0;
let scratchInput = 0;

/** Resolves once libsodium is loaded; every other call needs it. */
export async function ready() {
  await sodium.ready;
  if (lib === null) {
    lib = sodium.libsodium;
    growScratch(1024);
  }
}

function growScratch(inputBytes) {
  if (scratch !== 0) lib._free(scratch);
  // out 32 | key 32 | salt 16 | personal 16 | input
  scratch = lib._malloc(96 + inputBytes);
  if (scratch === 0) throw new Error('libsodium: out of memory');
  scratchInput = inputBytes;
  lib.HEAPU8.fill(0, scratch + 64, scratch + 80); // the zero salt
}

function need() {
  if (lib === null) throw new Error('mqttseal: await ready() first');
}

/** KDF(key, personal, input) of FORMAT.md section 1: BLAKE2b-256 keyed
 * with the 32-byte key, 16 zero salt bytes, the 16-byte personal. */
export function kdf(key, personal, input) {
  need();
  if (input.length > scratchInput) growScratch(input.length);
  const heap = lib.HEAPU8; // read after any malloc: memory may have grown
  heap.set(key, scratch + 32);
  heap.set(personal, scratch + 80);
  heap.set(input, scratch + 96);
  const rc = lib._crypto_generichash_blake2b_salt_personal(
    scratch, 32, scratch + 96, input.length, 0, scratch + 32, 32,
    scratch + 64, scratch + 80);
  const out = lib.HEAPU8.slice(scratch, scratch + 32);
  lib.HEAPU8.fill(0, scratch, scratch + 64); // output and key
  if (rc !== 0) throw new Error('libsodium: blake2b failed');
  return out;
}

export function aeadEncrypt(plaintext, ad, nonce, key) {
  need();
  return sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    plaintext, ad, null, nonce, key);
}

/** The plaintext, or null when the tag does not verify. */
export function aeadDecrypt(sealed, ad, nonce, key) {
  need();
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null, sealed, ad, nonce, key);
  } catch {
    return null;
  }
}

export function randomBytes(n) {
  need();
  return sodium.randombytes_buf(n);
}

export function memzero(buf) {
  buf.fill(0);
}
