"""The binding against tests/vectors/ and against the size macros.

Every positive vector is opened through the binding (plaintext and every
header field checked), its node and message keys are re-derived through
the keyring grant API, and its envelope is rebuilt byte for byte by the
independent model in reference.py. Every negative vector must raise the
exception class of its error code. The size helpers must equal the
macros of include/mqttseal/mqttseal.h, evaluated from the header text.
"""

import base64
import glob
import json
import os
import re
import unittest

import support  # noqa: F401 (sets sys.path)
import mqttseal
from mqttseal import sizes

import reference


def _parse_text(path):
    """'key = value' blocks separated by blank lines; '#' comments."""
    blocks, cur = [], {}
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line:
                if cur:
                    blocks.append(cur)
                cur = {}
                continue
            if line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not sep:
                raise ValueError("%s: bad line %r" % (path, raw))
            cur[key.strip()] = value.strip()
    if cur:
        blocks.append(cur)
    return blocks


def _parse_json(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if isinstance(data, dict):
        for k in ("vectors", "cases", "tests"):
            if isinstance(data.get(k), list):
                return data[k]
        return [data]
    return data


# Signed vectors (FORMAT.md section 14) are opened with a signer and a
# trust list, which the binding does not expose yet: tests/test_vectors.c
# and tests/spec/independent.py check them; here they are left out.
# Keyring-update vectors (section 15) need a device and a trust list:
# tests/test_update.c checks them.
SIGNED_FILES = {"signed.txt", "updates.txt"}


def load_vectors():
    """All unsigned vectors, each a dict with its file name under
    '_file'."""
    out = []
    for path in sorted(glob.glob(os.path.join(support.VECTORS_DIR, "*"))):
        if os.path.basename(path) in SIGNED_FILES:
            continue
        if path.endswith(".json"):
            blocks = _parse_json(path)
        elif path.endswith(".txt"):
            blocks = _parse_text(path)
        else:
            continue
        for b in blocks:
            b = dict(b)
            b["_file"] = os.path.basename(path)
            out.append(b)
    return out


def _hex(v):
    if isinstance(v, str):
        return bytes.fromhex(v.replace(" ", ""))
    return bytes(v)


def _int(v):
    return int(v, 0) if isinstance(v, str) else int(v)


def _node_keys(v):
    nk = v.get("node_keys")
    if nk is None:
        return None
    if isinstance(nk, str):
        nk = nk.split()
    return [_hex(k) for k in nk]


def _error_names():
    """E_NAME -> code, from the enum in mqttseal.h (not from the binding)."""
    with open(support.HEADER_FILE, encoding="utf-8") as f:
        text = f.read()
    names = {"OK": 0, "MQTTSEAL_OK": 0}
    for name, code in re.findall(r"MQTTSEAL_(E_\w+)\s*=\s*(\d+)", text):
        names[name] = int(code)
        names["MQTTSEAL_" + name] = int(code)
    return names


def _root_keyring(root, key_id):
    kr = mqttseal.Keyring()
    kr.add(key_id, "#", bytearray(root))
    return kr


def _granted_key(src, key_id, filt):
    """The key bytes the library derives for filt, read back from the
    keyring text of a keyring holding only that grant."""
    with mqttseal.Keyring() as dst:
        dst.grant(src, key_id, filt)
        for line in dst.to_string().splitlines():
            f = line.split()
            if len(f) >= 4 and f[0] == "key":
                return base64.b64decode(f[3])
    raise AssertionError("no key line for %r" % filt)


class VectorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.vectors = load_vectors()
        cls.positive = [v for v in cls.vectors if "plaintext" in v]
        cls.negative = [v for v in cls.vectors if "error" in v]

    def test_vectors_present(self):
        self.assertTrue(self.positive,
                        "no positive vectors in %s" % support.VECTORS_DIR)
        self.assertTrue(self.negative,
                        "no negative vectors in %s" % support.VECTORS_DIR)
        pos = {"name", "root_key", "key_id", "topic", "session_id", "seq",
               "plaintext", "node_keys", "message_key", "replay_id",
               "envelope"}
        neg = {"name", "root_key", "topic", "envelope", "error"}
        keyed = {"name", "keyring", "now_ms", "topic", "envelope", "error"}
        for v in self.vectors:
            with self.subTest(vector=v.get("name"), file=v["_file"]):
                want = pos if "plaintext" in v else \
                    keyed if "keyring" in v else neg
                self.assertEqual(want - set(v), set(), "fields missing")
                self.assertEqual(set(v) - want - {"_file", "timestamp_ms",
                                                  "sealed_retained",
                                                  "key_id"}, set(),
                                 "unknown fields")

    def test_signed_vectors(self):
        present = [f for f in SIGNED_FILES if os.path.exists(
            os.path.join(support.VECTORS_DIR, f))]
        self.assertTrue(present, "no signed vectors")
        if not hasattr(mqttseal, "Trust"):
            self.skipTest("the binding has no signer/trust API yet "
                          "(issue 13); checked by test_vectors.c and "
                          "spec/independent.py")

    def test_open_every_vector(self):
        for v in self.positive:
            with self.subTest(vector=v.get("name"), file=v["_file"]):
                root, key_id = _hex(v["root_key"]), _int(v["key_id"])
                topic, env = _hex(v["topic"]), _hex(v["envelope"])
                pt = _hex(v["plaintext"])
                with _root_keyring(root, key_id) as kr, \
                        mqttseal.Context(kr) as ctx:
                    got, h = ctx.open_with_header(topic, env)
                self.assertEqual(got, pt)
                self.assertEqual((h.version, h.suite), (1, 1))
                self.assertEqual(h.key_id, key_id)
                self.assertEqual(h.session_id, _hex(v["session_id"]))
                self.assertEqual(h.seq, _int(v["seq"]))
                ts = v.get("timestamp_ms")
                self.assertEqual(h.timestamp_ms,
                                 None if ts is None else _int(ts))
                retained = v.get("sealed_retained") == "1"
                self.assertEqual(h.flags, (0 if ts is None else 1) |
                                 (2 if retained else 0))
                self.assertEqual(h.payload_len, len(pt))
                self.assertEqual(h.header_len + len(pt) + sizes.ABYTES,
                                 len(env))
                self.assertEqual(mqttseal.parse_header(env), h)

    def test_derived_keys_through_grants(self):
        for v in self.positive:
            nk = _node_keys(v)
            if nk is None and "message_key" not in v:
                continue
            with self.subTest(vector=v.get("name")):
                root, key_id = _hex(v["root_key"]), _int(v["key_id"])
                topic = _hex(v["topic"]).decode("utf-8")
                levels = topic.split("/")
                with _root_keyring(root, key_id) as kr:
                    if nk is not None:
                        self.assertEqual(len(nk), len(levels))
                        for i, want in enumerate(nk):
                            filt = "/".join(levels[:i + 1]) + "/#"
                            self.assertEqual(
                                _granted_key(kr, key_id, filt), want, filt)
                    if "message_key" in v:
                        self.assertEqual(_granted_key(kr, key_id, topic),
                                         _hex(v["message_key"]))

    def test_granted_keyring_opens_vector(self):
        """A keyring holding only the exact-topic grant opens it."""
        for v in self.positive:
            with self.subTest(vector=v.get("name")):
                root, key_id = _hex(v["root_key"]), _int(v["key_id"])
                topic = _hex(v["topic"])
                with _root_keyring(root, key_id) as kr, \
                        kr.derive(topic.decode("utf-8")) as dev, \
                        mqttseal.Context(dev) as ctx:
                    self.assertEqual(ctx.open(topic, _hex(v["envelope"])),
                                     _hex(v["plaintext"]))

    @unittest.skipUnless(reference.have_nacl(), "python3-nacl not installed")
    def test_reference_model_reproduces_vectors(self):
        for v in self.positive:
            with self.subTest(vector=v.get("name")):
                root, topic = _hex(v["root_key"]), _hex(v["topic"])
                nk = _node_keys(v)
                if nk is not None:
                    self.assertEqual(reference.node_keys(root, topic), nk)
                mk = reference.message_key(root, topic)
                if "message_key" in v:
                    self.assertEqual(mk, _hex(v["message_key"]))
                if "replay_id" in v:
                    self.assertEqual(
                        reference.replay_id(mk, _hex(v["session_id"])),
                        _hex(v["replay_id"]))
                ts = v.get("timestamp_ms")
                env = reference.seal(mk, topic, _int(v["key_id"]),
                                     _hex(v["session_id"]), _int(v["seq"]),
                                     _hex(v["plaintext"]),
                                     None if ts is None else _int(ts),
                                     v.get("sealed_retained") == "1")
                self.assertEqual(env.hex(), _hex(v["envelope"]).hex())

    def test_negative_vectors(self):
        names = _error_names()
        # Vectors with a keyring are opened at the vector's now_ms, which
        # only the C tests can impose (a test-only fake clock).
        for v in (v for v in self.negative if "keyring" not in v):
            with self.subTest(vector=v.get("name"), error=v["error"]):
                code = names[v["error"]]
                key_id = _int(v.get("key_id", 1))
                with _root_keyring(_hex(v["root_key"]), key_id) as kr, \
                        mqttseal.Context(kr) as ctx:
                    args = (_hex(v["topic"]), _hex(v["envelope"]))
                    if code == 0:
                        ctx.open(*args)
                        continue
                    with self.assertRaises(mqttseal.MqttsealError) as cm:
                        ctx.open(*args)
                    self.assertIs(type(cm.exception),
                                  mqttseal.errors.error_class(code))
                    self.assertEqual(cm.exception.code, code)

    @unittest.skipUnless(reference.have_nacl(), "python3-nacl not installed")
    def test_binding_seal_opens_in_reference_model(self):
        root = bytes(range(32))
        with _root_keyring(root, 9) as kr:
            kr.set_primary(9)
            ctx = mqttseal.Context(kr)
        with ctx:
            for topic in ("a", "site/a/temp", "a//b", "$SYS/x", "t/é"):
                for n in (0, 1, 127, 128, 1000, 20000):
                    pt = os.urandom(n)
                    env = ctx.seal(topic, pt)
                    t = topic.encode()
                    self.assertEqual(
                        reference.open_(reference.message_key(root, t), t,
                                        env), pt)
                    f = reference.parse(env)
                    self.assertEqual((env[0], f["key_id"], f["ct_len"]),
                                     (0x89, 9, n))
                    self.assertEqual(f["sid"], ctx.session_id)


def _macros():
    """Evaluate the MQTTSEAL_* size macros from the header text."""
    with open(support.HEADER_FILE, encoding="utf-8") as f:
        text = f.read()
    text = text.replace("\\\n", " ")
    defs = {}
    for m in re.finditer(r"#define\s+MQTTSEAL_(\w+)(\(len\))?\s+(.+)", text):
        name, fn, body = m.group(1), m.group(2), m.group(3)
        body = re.sub(r"/\*.*?\*/", "", body)
        body = re.sub(r"/\*.*", "", body).strip()   # comment runs on
        if not re.fullmatch(r"[\w\s()+\-?:<>=*/]+", body):
            continue
        body = re.sub(r"\(size_t\)", "", body)
        body = re.sub(r"\b(0x[0-9a-fA-F]+|\d+)U\b", r"\1", body)
        body = re.sub(r"MQTTSEAL_(\w+)", r"M['\1']", body)
        t = re.fullmatch(r"\((.+)\?(.+):(.+)\)", body.strip())
        if t:
            body = "((%s) if (%s) else (%s))" % (t.group(2), t.group(1),
                                                 t.group(3))
        defs[name] = ("lambda len: " if fn else "") + body
    M = {}
    for name, body in defs.items():
        try:
            M[name] = eval(body, {"M": M})
        except (KeyError, SyntaxError, NameError):
            pass
    return M


class SizesTest(unittest.TestCase):
    def test_constants_equal_header_macros(self):
        M = _macros()
        for name in ("KEYBYTES", "SESSIONIDBYTES", "ABYTES", "HEADER_MIN",
                     "HEADER_MAX", "OVERHEAD_MIN", "OVERHEAD_MAX",
                     "MQTT_PAYLOAD_MAX", "PLAINTEXT_MAX", "TOPIC_MAX",
                     "CACHE_DEFAULT", "REPLAY_WINDOW_DEFAULT",
                     "REPLAY_WINDOW_MAX", "REPLAY_SESSIONS_DEFAULT",
                     "REPLAY_REMEMBER_DEFAULT", "LEVELS_DEFAULT",
                     "SKEW_DEFAULT_MS", "FLEET_MAX_AGE_MS",
                     "FLEET_RETAINED_MAX_AGE_MS", "ERR_COUNT"):
            with self.subTest(name=name):
                self.assertIn(name, M, "macro not found in mqttseal.h")
                self.assertEqual(getattr(sizes, name), M[name])
        self.assertEqual(mqttseal.OPEN_RETAINED, M["OPEN_RETAINED"])
        self.assertEqual(mqttseal.SEAL_RETAINED, M["SEAL_RETAINED"])

    def test_functions_equal_macros(self):
        M = _macros()
        for n in (0, 1, 16, 32, 33, 34, 58, 59, 60, 1 << 20,
                  M["PLAINTEXT_MAX"], M["MQTT_PAYLOAD_MAX"]):
            with self.subTest(n=n):
                self.assertEqual(sizes.sealed_bytes(n),
                                 M["SEALED_BYTES"](n))
                self.assertEqual(sizes.opened_bytes(n),
                                 M["OPENED_BYTES"](n))

    def test_documented_values(self):
        """FORMAT.md: header 17..HEADER_MAX bytes, 16-byte tag, an empty
        plaintext seals to 33 bytes, and the largest envelope fits MQTT."""
        self.assertEqual(sizes.KEYBYTES, 32)
        self.assertEqual(sizes.SESSIONIDBYTES, 12)
        self.assertEqual(sizes.ABYTES, 16)
        self.assertEqual(sizes.OVERHEAD_MIN, 33)
        self.assertEqual(sizes.PLAINTEXT_MAX + sizes.OVERHEAD_MAX,
                         sizes.MQTT_PAYLOAD_MAX)
        self.assertEqual(sizes.replay_session_bytes(64) > 0, True)
        self.assertLessEqual(sizes.replay_session_bytes(64),
                             sizes.replay_session_bytes(4096))

    def test_real_envelopes_within_bounds(self):
        with mqttseal.Keyring().generate(1) as kr, \
                mqttseal.Context(kr) as ctx:
            env = ctx.seal("a", b"")
            self.assertEqual(len(env), sizes.OVERHEAD_MIN)
            for n in (0, 1, 127, 128, 16383, 16384, 100000):
                env = ctx.seal("site/a/temp", bytes(n))
                self.assertGreaterEqual(len(env), n + sizes.OVERHEAD_MIN)
                self.assertLessEqual(len(env), sizes.sealed_bytes(n))
                self.assertLessEqual(n, sizes.opened_bytes(len(env)))
            with self.assertRaises(mqttseal.PayloadTooLargeError):
                ctx.seal("a", bytes(sizes.PLAINTEXT_MAX + 1))


if __name__ == "__main__":
    unittest.main()
