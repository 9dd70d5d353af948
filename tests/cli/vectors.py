"""Turn tests/vectors/*.txt into files for test_inspect.sh.

Usage: vectors.py VECTORS_DIR OUT_DIR

For each vector NAME it writes, into OUT_DIR: NAME.env (raw envelope),
NAME.hex, NAME.b64, NAME.topic (raw topic bytes), NAME.keyring (mode 0600,
the vector's root key granted '#' under its key id) and, for the positive
vectors, NAME.expect: the exact output 'mqttseal inspect' must print. It
prints one line per vector: "good NAME" or "bad NAME EXPECTED-ERROR".
"""
import base64
import datetime
import os
import sys

ERRORS = {
    "OK": "",
    "E_TRUNCATED": "truncated envelope",
    "E_TRAILING": "trailing bytes after the envelope",
    "E_VERSION": "unknown envelope version",
    "E_SUITE": "unknown cipher suite",
    "E_NOT_SEALED": "not an mqttseal envelope",
    "E_RESERVED": "reserved flag bit set",
    "E_VARINT": "malformed varint",
    "E_OVERSIZE": "exceeds the maximum",
    "E_AUTH": "authentication failed",
    "E_UNKNOWN_KEY": "unknown key id",
    "E_NO_GRANT": "no key granted for this topic",
    "E_KEY_EXPIRED": "key id has expired",
}

# Vectors the CLI cannot replay: a receiver clock (now_ms; inspect opens
# with the real clock) or a topic mqttseal refuses before opening (the
# CLI's own topic check, tested in test_errors.sh).
def replayable(v):
    return "now_ms" not in v and v["error"] not in ("E_TOPIC_EMPTY",
                                                    "E_TOPIC_INVALID")


def blocks(path):
    block = {}
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("#"):
            continue
        if not line.strip():
            if block:
                yield block
            block = {}
            continue
        key, _, value = line.partition(" = ")
        block[key.strip()] = value.strip()
    if block:
        yield block


def write(path, data, mode=0o644):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def common(out, v):
    name = v["name"]
    env = bytes.fromhex(v["envelope"])
    key_id = v.get("key_id", "1")
    root = base64.b64encode(bytes.fromhex(v.get("root_key", ""))).decode()
    write(f"{out}/{name}.env", env)
    write(f"{out}/{name}.hex", env.hex().encode() + b"\n")
    write(f"{out}/{name}.b64", base64.encodebytes(env))
    write(f"{out}/{name}.topic", bytes.fromhex(v["topic"]))
    if "keyring" in v:
        text = bytes.fromhex(v["keyring"]).decode()
    else:
        text = f"mqttseal-keyring 1\nprimary {key_id}\nkey {key_id} # {root}\n"
    write(f"{out}/{name}.keyring", text.encode(), 0o600)
    return env


def expect(v, env):
    plain = bytes.fromhex(v["plaintext"])
    header_len = len(env) - len(plain) - 16
    lines = [
        ("version", "1"),
        ("suite", "1 (XChaCha20-Poly1305-IETF)"),
        ("flags", "0x%02x" % (("timestamp_ms" in v) |
                               (v.get("sealed_retained") == "1") << 1 |
                               (v.get("signed") == "1") << 2)),
        ("key id", v["key_id"]),
        ("session id", v["session_id"]),
        ("sequence", v["seq"]),
    ]
    if "timestamp_ms" in v:
        ms = int(v["timestamp_ms"])
        t = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
        iso = t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)
        lines.append(("timestamp", f"{iso} ({ms} ms)"))
    else:
        lines.append(("timestamp", "none"))
    lines += [
        ("header length", f"{header_len} bytes"),
        ("signed", "yes" if v.get("signed") == "1" else "no"),
        ("payload length", f"{len(plain)} bytes"),
        ("envelope length", f"{len(env)} bytes"),
    ]
    return "".join(f"{k + ':':<17}{val}\n" for k, val in lines)


def main():
    vdir, out = sys.argv[1], sys.argv[2]
    for v in blocks(f"{vdir}/envelopes.txt"):
        env = common(out, v)
        write(f"{out}/{v['name']}.expect", expect(v, env).encode())
        print("good", v["name"])
    for v in blocks(f"{vdir}/malformed.txt"):
        if not replayable(v):
            continue
        v["name"] = "bad-" + v["name"]
        common(out, v)
        print("bad", v["name"], v["error"], ERRORS[v["error"]])


main()
