"""An independent model of docs/FORMAT.md for the tests: key derivation
with hashlib's BLAKE2b and the envelope with PyNaCl's XChaCha20-Poly1305.
Nothing here calls libmqttseal, so agreeing with it is evidence that the
binding and the library implement the written format."""

import hashlib

try:
    import nacl.bindings as _nacl
except ImportError:  # python3-nacl is optional; tests using it skip
    _nacl = None

SALT = bytes(16)
NODE = b"mqttseal-node-v1"
MSGK = b"mqttseal-msgk-v1"
DOMAIN = b"mqttseal/v1"


def have_nacl():
    return _nacl is not None


def kdf(key, personal, data):
    return hashlib.blake2b(data, digest_size=32, key=key, salt=SALT,
                           person=personal).digest()


def node_keys(root, topic):
    """node(L1), node(L1, L2), ... for every level of topic (bytes)."""
    out, node = [], root
    for level in topic.split(b"/"):
        node = kdf(node, NODE, len(level).to_bytes(2, "big") + level)
        out.append(node)
    return out


def message_key(root, topic):
    return kdf(node_keys(root, topic)[-1], MSGK, b"\x01")


def replay_id(mkey, sid):
    """Section 9: the id a receiver keeps a session under."""
    return hashlib.blake2b(b"mqttseal-rid-v1" + sid, digest_size=16,
                           key=mkey).digest()[:12]


def varint(x):
    out = bytearray()
    while True:
        b = x & 0x7F
        x >>= 7
        if x:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def header(key_id, sid, seq, ts, ct_len, retained=False):
    flags = (1 if ts is not None else 0) | (2 if retained else 0)
    h = bytes([0x89, flags]) + varint(key_id) + sid + varint(seq)
    if ts is not None:
        h += varint(ts)
    return h + varint(ct_len)


def nonce(sid, seq):
    return sid + bytes(4) + seq.to_bytes(8, "little")


def ad(hdr, topic):
    return DOMAIN + hdr + len(topic).to_bytes(2, "big") + topic


def seal(key, topic, key_id, sid, seq, plaintext, ts=None, retained=False):
    h = header(key_id, sid, seq, ts, len(plaintext), retained)
    return h + _nacl.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, ad(h, topic), nonce(sid, seq), key)


def parse(env):
    """Header fields of a well-formed envelope (no checks)."""
    key_id, i = read_varint(env, 2)
    sid = env[i:i + 12]
    seq, i = read_varint(env, i + 12)
    ts = None
    if env[1] & 1:
        ts, i = read_varint(env, i)
    ct_len, i = read_varint(env, i)
    return {"key_id": key_id, "sid": sid, "seq": seq, "ts": ts,
            "retained": bool(env[1] & 2),
            "ct_len": ct_len, "header_len": i}


def open_(key, topic, env):
    f = parse(env)
    h = env[:f["header_len"]]
    return _nacl.crypto_aead_xchacha20poly1305_ietf_decrypt(
        env[f["header_len"]:], ad(h, topic), nonce(f["sid"], f["seq"]), key)
