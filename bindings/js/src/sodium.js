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

/** BLAKE2b keyed with key (no salt, no personal), outLen bytes. */
export function keyedHash(outLen, input, key) {
  need();
  return sodium.crypto_generichash(outLen, input, key);
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

// The AEAD runs on one arena in libsodium's heap, reused from call to call
// (the wrappers allocate, copy and free five buffers per call).
// Layout: key 32 | nonce 24 | ad | input | output.
let arena = 0;
let arenaBytes = 0;

function reserve(n) {
  if (n > arenaBytes) {
    if (arena !== 0) {
      lib.HEAPU8.fill(0, arena, arena + arenaBytes);
      lib._free(arena);
    }
    arenaBytes = Math.max(n, 2 * arenaBytes, 8192);
    arena = lib._malloc(arenaBytes);
    if (arena === 0) {
      arenaBytes = 0;
      throw new Error('libsodium: out of memory');
    }
  }
  return arena;
}

function load(ad, input, nonce, key, outBytes) {
  const a = reserve(56 + ad.length + input.length + outBytes);
  const heap = lib.HEAPU8;
  heap.set(key, a);
  heap.set(nonce, a + 32);
  heap.set(ad, a + 56);
  heap.set(input, a + 56 + ad.length);
  return a;
}

/** XChaCha20-Poly1305-IETF: writes ciphertext || tag (plaintext.length
 * + 16 bytes) into out at offset. */
export function aeadEncryptInto(out, offset, plaintext, ad, nonce, key) {
  need();
  const a = load(ad, plaintext, nonce, key, plaintext.length + 16);
  const m = a + 56 + ad.length, c = m + plaintext.length;
  const rc = lib._crypto_aead_xchacha20poly1305_ietf_encrypt(c, 0, m,
    plaintext.length, 0, a + 56, ad.length, 0, 0, a + 32, a);
  out.set(lib.HEAPU8.subarray(c, c + plaintext.length + 16), offset);
  lib.HEAPU8.fill(0, a, a + 32);
  lib.HEAPU8.fill(0, m, c);
  if (rc !== 0) throw new Error('libsodium: encryption failed');
}

export function aeadEncrypt(plaintext, ad, nonce, key) {
  const out = new Uint8Array(plaintext.length + 16);
  aeadEncryptInto(out, 0, plaintext, ad, nonce, key);
  return out;
}

/** The plaintext, or null when the tag does not verify (nothing of the
 * unverified plaintext is released). */
export function aeadDecrypt(sealed, ad, nonce, key) {
  need();
  if (sealed.length < 16) return null;
  const mlen = sealed.length - 16;
  const a = load(ad, sealed, nonce, key, mlen);
  const c = a + 56 + ad.length, m = c + sealed.length;
  const rc = lib._crypto_aead_xchacha20poly1305_ietf_decrypt(m, 0, 0, c,
    sealed.length, 0, a + 56, ad.length, 0, a + 32, a);
  const pt = rc === 0 ? lib.HEAPU8.slice(m, m + mlen) : null;
  lib.HEAPU8.fill(0, a, a + 32);
  lib.HEAPU8.fill(0, m, m + mlen);
  return pt;
}

export function randomBytes(n) {
  need();
  return sodium.randombytes_buf(n);
}

export function memzero(buf) {
  buf.fill(0);
}
