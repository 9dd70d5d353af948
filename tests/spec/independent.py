#!/usr/bin/python3
"""An independent implementation of docs/FORMAT.md in Python on PyNaCl,
written from the spec alone (no mqttseal code), run over every vector in
tests/vectors/: it must derive the same keys, produce the same envelopes
byte for byte, and reject each negative vector with the documented error.
This is the evidence that FORMAT.md is complete enough to implement.

Usage: independent.py VECTORS_DIR
"""
import sys

from nacl.bindings import (crypto_aead_xchacha20poly1305_ietf_decrypt,
                           crypto_aead_xchacha20poly1305_ietf_encrypt)
from nacl.encoding import RawEncoder
from nacl.exceptions import CryptoError
from nacl.hash import blake2b

PLAINTEXT_MAX = 268435455 - 58


class Reject(Exception):
    pass


def kdf(key, personal, data):
    return blake2b(data, digest_size=32, key=key, salt=b"\0" * 16,
                   person=personal, encoder=RawEncoder)


def node_keys(root, topic):
    keys, node = [], root
    for level in topic.split(b"/"):
        node = kdf(node, b"mqttseal-node-v1",
                   len(level).to_bytes(2, "big") + level)
        keys.append(node)
    return keys


def message_key(root, topic):
    return kdf(node_keys(root, topic)[-1], b"mqttseal-msgk-v1", b"\x01")


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def read_varint(b, pos, maximum):
    value = 0
    for i in range(10):
        if pos + i >= len(b):
            raise Reject("E_TRUNCATED")
        byte = b[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if i > 0 and byte == 0:
                raise Reject("E_VARINT")
            if value > maximum:
                raise Reject("E_VARINT")
            return value, pos + i + 1
    raise Reject("E_VARINT")


def seal(root, key_id, topic, sid, seq, ts, plaintext):
    header = bytes([0x89, 1 if ts is not None else 0]) + varint(key_id)
    header += sid + varint(seq)
    if ts is not None:
        header += varint(ts)
    header += varint(len(plaintext))
    nonce = sid + seq.to_bytes(8, "little") + b"\0" * 4
    ad = b"mqttseal/v1" + header + len(topic).to_bytes(2, "big") + topic
    return header + crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, ad, nonce, message_key(root, topic))


def open_envelope(root, topic, env):
    if not env:
        raise Reject("E_TRUNCATED")
    if env[0] & 0xC0 != 0x80:
        raise Reject("E_NOT_SEALED")
    if (env[0] >> 3) & 7 != 1:
        raise Reject("E_VERSION")
    if env[0] & 7 != 1:
        raise Reject("E_SUITE")
    if len(env) < 2:
        raise Reject("E_TRUNCATED")
    if env[1] & 0xFC:
        raise Reject("E_RESERVED")
    key_id, pos = read_varint(env, 2, 2**32 - 1)
    if len(env) - pos < 12:
        raise Reject("E_TRUNCATED")
    sid, pos = env[pos:pos + 12], pos + 12
    seq, pos = read_varint(env, pos, 2**64 - 1)
    if env[1] & 1:
        _, pos = read_varint(env, pos, 2**63 - 1)
    ct_len, pos = read_varint(env, pos, 2**64 - 1)
    if ct_len > PLAINTEXT_MAX:
        raise Reject("E_OVERSIZE")
    if len(env) - pos < ct_len + 16:
        raise Reject("E_TRUNCATED")
    if len(env) - pos > ct_len + 16:
        raise Reject("E_TRAILING")
    nonce = sid + seq.to_bytes(8, "little") + b"\0" * 4
    ad = b"mqttseal/v1" + env[:pos] + len(topic).to_bytes(2, "big") + topic
    try:
        return crypto_aead_xchacha20poly1305_ietf_decrypt(
            env[pos:], ad, nonce, message_key(root, topic))
    except CryptoError:
        raise Reject("E_AUTH") from None


def blocks(path):
    block = None
    for line in open(path, encoding="ascii"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" = ")
        if key == "name":
            if block:
                yield block
            block = {}
        block[key] = value
    if block:
        yield block


def check_envelopes(directory):
    n = 0
    for v in blocks(directory + "/envelopes.txt"):
        root, topic = bytes.fromhex(v["root_key"]), bytes.fromhex(v["topic"])
        pt = bytes.fromhex(v["plaintext"])
        ts = int(v["timestamp_ms"]) if "timestamp_ms" in v else None
        want = [bytes.fromhex(k) for k in v["node_keys"].split()]
        assert node_keys(root, topic) == want, v["name"] + ": node keys"
        assert message_key(root, topic).hex() == v["message_key"], v["name"]
        env = seal(root, int(v["key_id"]), topic,
                   bytes.fromhex(v["session_id"]), int(v["seq"]), ts, pt)
        assert env.hex() == v["envelope"], v["name"] + ": envelope differs"
        assert open_envelope(root, topic, env) == pt, v["name"]
        n += 1
    return n


def check_malformed(directory):
    n = 0
    for v in blocks(directory + "/malformed.txt"):
        root, topic = bytes.fromhex(v["root_key"]), bytes.fromhex(v["topic"])
        try:
            open_envelope(root, topic, bytes.fromhex(v["envelope"]))
            got = "OK"
        except Reject as e:
            got = str(e)
        assert got == v["error"], f"{v['name']}: got {got}, want {v['error']}"
        n += 1
    return n


def main():
    directory = sys.argv[1]
    good, bad = check_envelopes(directory), check_malformed(directory)
    assert good >= 15 and bad >= 9, "too few vectors"
    print(f"independent implementation: {good} envelope vectors reproduced, "
          f"{bad} negative vectors rejected as documented")


if __name__ == "__main__":
    main()
