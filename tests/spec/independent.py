#!/usr/bin/python3
"""An independent implementation of docs/FORMAT.md in Python on PyNaCl,
written from the spec alone (no mqttseal code), run over every vector in
tests/vectors/: it must derive the same keys, produce the same envelopes
byte for byte, and reject each negative vector with the documented error.
This is the evidence that FORMAT.md is complete enough to implement.

Usage: independent.py VECTORS_DIR
"""
import base64
import binascii
import calendar
import re
import sys

from nacl.bindings import (crypto_aead_xchacha20poly1305_ietf_decrypt,
                           crypto_aead_xchacha20poly1305_ietf_encrypt)
from nacl.encoding import RawEncoder
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.hash import blake2b
from nacl.signing import SigningKey, VerifyKey

CT_LEN_MAX = 268435455 - 58  # section 2: the ct_len maximum
SIGNED = 0x04  # section 14: flags bit 2
SIG_DOMAIN = b"mqttseal/sig/v1"


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


def replay_id(mkey, sid):
    """Section 9: the id a receiver keeps a session under."""
    return blake2b(b"mqttseal-rid-v1" + sid, digest_size=16, key=mkey,
                   encoder=RawEncoder)[:12]


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


def header_bytes(key_id, sid, seq, ts, retained, signed, ct_len):
    flags = (1 if ts is not None else 0) | (2 if retained else 0) | \
        (SIGNED if signed else 0)
    header = bytes([0x89, flags]) + varint(key_id) + sid + varint(seq)
    if ts is not None:
        header += varint(ts)
    return header + varint(ct_len)


def signer_id(public_key):
    """Section 14: the first 8 bytes of unkeyed BLAKE2b-256."""
    return blake2b(public_key, digest_size=32, encoder=RawEncoder)[:8]


def signed_message(header, topic, sid8, payload):
    return SIG_DOMAIN + header + len(topic).to_bytes(2, "big") + topic + \
        sid8 + payload


def seal(root, key_id, topic, sid, seq, ts, plaintext, retained=False,
         signer=None):
    """signer: a nacl SigningKey, to seal a signed envelope (section
    14): the inner signer_id || payload || signature is the plaintext."""
    if signer is None:
        header = header_bytes(key_id, sid, seq, ts, retained, False,
                              len(plaintext))
        inner = plaintext
    else:
        header = header_bytes(key_id, sid, seq, ts, retained, True,
                              len(plaintext) + 72)
        sid8 = signer_id(bytes(signer.verify_key))
        sig = signer.sign(signed_message(header, topic, sid8,
                                         plaintext)).signature
        inner = sid8 + plaintext + sig
    nonce = sid + b"\0" * 4 + seq.to_bytes(8, "little")
    ad = b"mqttseal/v1" + header + len(topic).to_bytes(2, "big") + topic
    return header + crypto_aead_xchacha20poly1305_ietf_encrypt(
        inner, ad, nonce, message_key(root, topic))


def parse_header(env):
    """Section 2: one field at a time, each decided before the next."""
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
    if env[1] & 0xF8:
        raise Reject("E_RESERVED")
    key_id, pos = read_varint(env, 2, 2**32 - 1)
    if len(env) - pos < 12:
        raise Reject("E_TRUNCATED")
    sid, pos = env[pos:pos + 12], pos + 12
    seq, pos = read_varint(env, pos, 2**64 - 1)
    if env[1] & 1:
        _, pos = read_varint(env, pos, 2**63 - 1)
    ct_len, pos = read_varint(env, pos, 2**64 - 1)
    if ct_len > CT_LEN_MAX:
        raise Reject("E_OVERSIZE")
    if len(env) - pos < ct_len + 16:
        raise Reject("E_TRUNCATED")
    if len(env) - pos > ct_len + 16:
        raise Reject("E_TRAILING")
    return key_id, sid, seq, pos, env[1]


def check_topic(topic):
    """Section 6: the topic names that may be sealed or opened."""
    if not topic:
        raise Reject("E_TOPIC_EMPTY")
    if len(topic) > 65535 or any(c in topic for c in b"+#\0"):
        raise Reject("E_TOPIC_INVALID")


def open_envelope(keyring, topic, env, now_ms=None, trust=None):
    """keyring: a list of (key_id, filter, key, expires) entries; trust:
    a parsed trust list (parse_trust) or None."""
    check_topic(topic)
    key_id, sid, seq, pos, flags = parse_header(env)
    key = message_key_from(keyring, key_id, topic, now_ms)
    nonce = sid + b"\0" * 4 + seq.to_bytes(8, "little")
    ad = b"mqttseal/v1" + env[:pos] + len(topic).to_bytes(2, "big") + topic
    try:
        inner = crypto_aead_xchacha20poly1305_ietf_decrypt(
            env[pos:], ad, nonce, key)
    except CryptoError:
        raise Reject("E_AUTH") from None
    return check_signature(trust, env[:pos], flags, topic, inner, now_ms)


def mqtt_match(filt, topic):
    """Section 14: MQTT filter matching; '+' one level, '#' the parent
    and everything below; no special case for '$' topics."""
    f, t = filt.split(b"/"), topic.split(b"/")
    for i, level in enumerate(f):
        if level == b"#":
            return True
        if i >= len(t) or (level != b"+" and level != t[i]):
            return False
    return len(f) == len(t)


def check_signature(trust, header, flags, topic, inner, now_ms):
    """Section 14's checks, after the tag and before freshness/replay.
    Returns the payload, or (payload, signer id) when signed."""
    signers, require = trust if trust else ({}, [])
    if not flags & SIGNED:
        if any(mqtt_match(f, topic) for f in require):
            raise Reject("E_SIG_REQUIRED")
        return inner
    if len(inner) < 72:
        raise Reject("E_SIGNATURE")
    sid8, payload, sig = inner[:8], inner[8:-64], inner[-64:]
    if sid8 not in signers:
        raise Reject("E_SIGNER_UNKNOWN")
    public_key, filters, expires = signers[sid8]
    if expires and now_ms // 1000 >= expires:
        raise Reject("E_SIGNER_EXPIRED")
    if not any(mqtt_match(f, topic) for f in filters):
        raise Reject("E_SIGNER_NOT_GRANTED")
    try:
        VerifyKey(public_key).verify(
            signed_message(header, topic, sid8, payload), sig)
    except BadSignatureError:
        raise Reject("E_SIGNATURE") from None
    return payload, sid8


def covers(filt, topic):
    """Section 6: '#', 'P/#' (P and below, by whole levels), exact."""
    if filt == b"#":
        return True
    if filt.endswith(b"/#"):
        prefix = filt[:-2]
        return topic == prefix or topic.startswith(prefix + b"/")
    return topic == filt


def specificity(filt):
    """Section 6: exact, else the longest subtree prefix, else '#'."""
    if filt == b"#":
        return 0
    if filt.endswith(b"/#"):
        return 1 + len(filt) - 2
    return 1 << 20


def derive(filt, key, topic):
    """The message key of topic from an entry that covers it."""
    if filt.endswith(b"#"):
        levels = topic.split(b"/")
        skip = 0 if filt == b"#" else len(filt[:-2].split(b"/"))
        for level in levels[skip:]:
            key = kdf(key, b"mqttseal-node-v1",
                      len(level).to_bytes(2, "big") + level)
        return kdf(key, b"mqttseal-msgk-v1", b"\x01")
    return key


def message_key_from(keyring, key_id, topic, now_ms):
    """Sections 2 and 6: E_UNKNOWN_KEY, then E_NO_GRANT, then
    E_KEY_EXPIRED (of the most specific covering entry)."""
    mine = [e for e in keyring if e[0] == key_id]
    if not mine:
        raise Reject("E_UNKNOWN_KEY")
    covering = [e for e in mine if covers(e[1], topic)]
    if not covering:
        raise Reject("E_NO_GRANT")
    _, filt, key, expires = max(covering, key=lambda e: specificity(e[1]))
    if expires and now_ms // 1000 >= expires:
        raise Reject("E_KEY_EXPIRED")
    return derive(filt, key, topic)


class KeyringError(Exception):
    pass


def parse_id(field):
    if not re.fullmatch(rb"0|[1-9][0-9]{0,9}", field) or \
            int(field) > 2**32 - 1:
        raise KeyringError("E_KEYRING_SYNTAX")
    return int(field)


def parse_filter(field):
    if not field or len(field) > 65535 or b"\0" in field:
        raise KeyringError("E_FILTER")
    if b"+" in field:
        raise KeyringError("E_FILTER_PLUS")
    if b"#" in field and not (field == b"#" or (
            field.endswith(b"/#") and b"#" not in field[:-1])):
        raise KeyringError("E_FILTER")
    return field


def parse_expiry(field):
    m = re.fullmatch(rb"expires=(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):"
                     rb"(\d\d)Z", field)
    if not m:
        raise KeyringError("E_KEYRING_SYNTAX")
    y, mo, d, h, mi, sec = (int(g) for g in m.groups())
    if y < 1970 or not 1 <= mo <= 12 or \
            not 1 <= d <= calendar.monthrange(y, mo)[1] or h > 23 or \
            mi > 59 or sec > 59:
        raise KeyringError("E_KEYRING_SYNTAX")
    t = calendar.timegm((y, mo, d, h, mi, sec))
    if t < 1:
        raise KeyringError("E_KEYRING_SYNTAX")
    return t


def parse_key_line(fields):
    if len(fields) not in (4, 5):
        raise KeyringError("E_KEYRING_SYNTAX")
    key_id, filt = parse_id(fields[1]), parse_filter(fields[2])
    try:
        key = base64.b64decode(fields[3], validate=True)
    except binascii.Error:
        key = b""
    if len(fields[3]) != 44 or len(key) != 32:
        raise KeyringError("E_KEYRING_SYNTAX")
    expires = parse_expiry(fields[4]) if len(fields) == 5 else 0
    return key_id, filt, key, expires


def parse_keyring(text):
    """Section 7, every rule, in the order the table there gives."""
    entries, header, primary = [], False, None
    lines = text.split(b"\n")
    for line in lines:
        if line.endswith(b"\r"):
            line = line[:-1]
        if b"\0" in line:
            raise KeyringError("E_KEYRING_SYNTAX")
        fields = re.split(rb"[ \t]+", line.strip(b" \t"))
        if fields == [b""] or fields[0].startswith(b"#"):
            continue
        if not header:
            if fields != [b"mqttseal-keyring", b"1"]:
                raise KeyringError("E_KEYRING_SYNTAX")
            header = True
        elif fields[0] == b"key":
            entry = parse_key_line(fields)
            if any(e[:2] == entry[:2] for e in entries):
                raise KeyringError("E_DUPLICATE_KEY")
            entries.append(entry)
        elif fields[0] == b"primary":
            if len(fields) != 2 or primary is not None:
                raise KeyringError("E_KEYRING_SYNTAX")
            primary = parse_id(fields[1])
        else:
            raise KeyringError("E_KEYRING_SYNTAX")
    if not header:
        raise KeyringError("E_KEYRING_SYNTAX")
    if primary is not None and all(e[0] != primary for e in entries):
        raise KeyringError("E_KEYRING_SYNTAX")
    return entries


def parse_trust(text):
    """Section 14's trust-list text, for well-formed lists: returns
    ({signer_id: (public_key, filters, expires)}, require filters)."""
    signers, require, header = {}, [], False
    for line in text.split(b"\n"):
        fields = re.split(rb"[ \t]+", line.rstrip(b"\r").strip(b" \t"))
        if fields == [b""] or fields[0].startswith(b"#"):
            continue
        if not header:
            assert fields == [b"mqttseal-trust", b"1"], line
            header = True
        elif fields[0] == b"signer":
            public_key = base64.b64decode(fields[2], validate=True)
            filters, expires = fields[3:], 0
            if filters[-1].startswith(b"expires="):
                expires = parse_expiry(filters.pop())
            assert len(public_key) == 32 and filters, line
            signers[signer_id(public_key)] = (public_key, filters, expires)
        else:
            assert fields[0] == b"require" and len(fields) == 2, line
            require.append(fields[1])
    return signers, require


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
        retained = v.get("sealed_retained") == "1"
        want = [bytes.fromhex(k) for k in v["node_keys"].split()]
        assert node_keys(root, topic) == want, v["name"] + ": node keys"
        assert message_key(root, topic).hex() == v["message_key"], v["name"]
        assert replay_id(message_key(root, topic),
                         bytes.fromhex(v["session_id"])).hex() == \
            v["replay_id"], v["name"] + ": replay id"
        env = seal(root, int(v["key_id"]), topic,
                   bytes.fromhex(v["session_id"]), int(v["seq"]), ts, pt,
                   retained)
        assert env.hex() == v["envelope"], v["name"] + ": envelope differs"
        keyring = [(int(v["key_id"]), b"#", root, 0)]
        assert open_envelope(keyring, topic, env) == pt, v["name"]
        n += 1
    return n


def check_malformed(directory):
    n = 0
    for v in blocks(directory + "/malformed.txt"):
        topic, now_ms = bytes.fromhex(v["topic"]), None
        if "keyring" in v:
            keyring = parse_keyring(bytes.fromhex(v["keyring"]))
            now_ms = int(v["now_ms"])
        else:
            keyring = [(1, b"#", bytes.fromhex(v["root_key"]), 0)]
        try:
            open_envelope(keyring, topic, bytes.fromhex(v["envelope"]), now_ms)
            got = "OK"
        except Reject as e:
            got = str(e)
        assert got == v["error"], f"{v['name']}: got {got}, want {v['error']}"
        n += 1
    return n


def check_signed(directory):
    """signed.txt: each positive vector is signed with PyNaCl from its
    seed and sealed again byte for byte, then opened; each negative one
    gives its error under its trust list at now_ms."""
    good = bad = 0
    for v in blocks(directory + "/signed.txt"):
        root, topic = bytes.fromhex(v["root_key"]), bytes.fromhex(v["topic"])
        keyring = [(int(v["key_id"]), b"#", root, 0)]
        trust = parse_trust(bytes.fromhex(v["trust"])) if "trust" in v \
            else None
        env, now_ms = bytes.fromhex(v["envelope"]), int(v["now_ms"])
        if "plaintext" in v:
            signer = SigningKey(bytes.fromhex(v["signer_seed"]))
            pk = bytes(signer.verify_key)
            assert pk.hex() == v["signer_public_key"], v["name"]
            assert signer_id(pk).hex() == v["signer_id"], v["name"]
            pt = bytes.fromhex(v["plaintext"])
            ts = int(v["timestamp_ms"]) if "timestamp_ms" in v else None
            got = seal(root, int(v["key_id"]), topic,
                       bytes.fromhex(v["session_id"]), int(v["seq"]), ts, pt,
                       v.get("sealed_retained") == "1", signer)
            assert got.hex() == v["envelope"], v["name"] + ": envelope"
            assert open_envelope(keyring, topic, env, now_ms, trust) == \
                (pt, signer_id(pk)), v["name"]
            good += 1
            continue
        try:
            open_envelope(keyring, topic, env, now_ms, trust)
            got = "OK"
        except Reject as e:
            got = str(e)
        assert got == v["error"], f"{v['name']}: got {got}, want {v['error']}"
        bad += 1
    return good, bad


def within(grant, trust_filter):
    """Section 15: every topic grant covers is matched by trust_filter."""
    g, b = grant.split(b"/"), trust_filter.split(b"/")
    for i, level in enumerate(b):
        if level == b"#":
            return True
        if i >= len(g) or g[i] == b"#":
            return False
        if level != b"+" and level != g[i]:
            return False
    return len(g) == len(b)


def open_update(u, device_seed, signer_seed, trusted_filter, last, now):
    """Section 15, the checks in their documented order."""
    from nacl.public import PrivateKey, SealedBox
    if len(u) < 4 or u[:4] != b"MSKU":
        raise Reject("E_TRUNCATED" if 0 < len(u) < 4 and
                     b"MSKU".startswith(u) else "E_NOT_SEALED")
    if len(u) < 5:
        raise Reject("E_TRUNCATED")
    if u[4] != 1:
        raise Reject("E_VERSION")
    if len(u) < 41:
        raise Reject("E_TRUNCATED")
    sealed_len = int.from_bytes(u[37:41], "big")
    if not 48 <= sealed_len <= 65536 + 48:
        raise Reject("E_OVERSIZE")
    if len(u) < 41 + sealed_len + 64:
        raise Reject("E_TRUNCATED")
    if len(u) > 41 + sealed_len + 64:
        raise Reject("E_TRAILING")
    sk = PrivateKey.from_seed(device_seed)
    pk = bytes(sk.public_key)
    if u[5:13] != blake2b(pk, digest_size=32, encoder=RawEncoder)[:8]:
        raise Reject("E_UPDATE_DEVICE")
    vk = SigningKey(signer_seed).verify_key
    if u[29:37] != signer_id(bytes(vk)):
        raise Reject("E_SIGNER_UNKNOWN")
    body = u[:41 + sealed_len]
    try:
        vk.verify(b"mqttseal-update-v1\0" + body, u[41 + sealed_len:])
    except BadSignatureError:
        raise Reject("E_SIGNATURE")
    if int.from_bytes(u[13:21], "big") <= last:
        raise Reject("E_UPDATE_ROLLBACK")
    if now >= int.from_bytes(u[21:29], "big", signed=True):
        raise Reject("E_UPDATE_EXPIRED")
    try:
        text = SealedBox(sk).decrypt(u[41:41 + sealed_len])
    except CryptoError:
        raise Reject("E_AUTH")
    for entry in parse_keyring(text):
        if not within(entry[1], trusted_filter):
            raise Reject("E_UPDATE_SCOPE")
    return text


def check_updates(directory):
    import hashlib
    n = 0
    for v in blocks(directory + "/updates.txt"):
        args = (binascii.unhexlify(v["update"]),
                binascii.unhexlify(v["device_seed"]),
                binascii.unhexlify(v["trusted_signer_seed"]),
                v["trusted_filter"].encode(), int(v["last_version"]),
                int(v["now"]))
        try:
            text = open_update(*args)
            got = "OK"
            assert hashlib.sha256(text).hexdigest() == v["keyring_sha256"], \
                v["name"]
        except Reject as e:
            got = str(e)
        assert got == v["result"], (v["name"], got, v["result"])
        n += 1
    return n


def main():
    directory = sys.argv[1]
    nupd = check_updates(directory)
    assert nupd >= 11, "too few update vectors"
    good, bad = check_envelopes(directory), check_malformed(directory)
    sgood, sbad = check_signed(directory)
    assert good >= 21 and bad >= 65, "too few vectors"
    assert sgood >= 7 and sbad >= 30, "too few signed vectors"
    print(f"independent implementation: {good} envelope vectors reproduced, "
          f"{bad} negative vectors rejected as documented; signed: {sgood} "
          f"reproduced, {sbad} negative or control vectors as documented; "
          f"keyring updates: {nupd} vectors opened or refused as documented")


if __name__ == "__main__":
    main()
