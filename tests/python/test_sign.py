"""Signed envelopes in the Python binding (issue 13): Signer, Trust,
Context(signer=..., trust=...), Header.is_signed/signer_id, the origin
errors and their reasons; and a signed round trip C <-> Python through a
private mosquitto (the mqttseal CLI: pub --sign, sub --trust)."""

import os
import stat
import subprocess
import tempfile
import unittest

import support
import mqttseal
import mqttseal.paho
from mqttseal import sizes


class SignerTrustTest(unittest.TestCase):
    def setUp(self):
        self.kr = mqttseal.Keyring().generate(1)
        self.op = mqttseal.Signer()
        self.rogue = mqttseal.Signer()
        self.trust = (mqttseal.Trust()
                      .add("operator", self.op, ["site/+/cmd", "site/+/st"])
                      .require("site/+/cmd"))
        self.rx = mqttseal.Context(self.kr, trust=self.trust)
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        for h in (self.rx, self.trust, self.op, self.rogue, self.kr):
            h.close()
        self.tmp.cleanup()

    def seal(self, signer, topic, payload=b"x"):
        with mqttseal.Context(self.kr, signer=signer) as tx:
            return tx.seal(topic, payload)

    def test_sizes(self):
        self.assertEqual(sizes.SIGNERIDBYTES, 8)
        self.assertEqual(sizes.SIGNBYTES, 64)
        self.assertEqual(sizes.SIGNED_OVERHEAD, 72)
        self.assertEqual(sizes.SIGN_PUBLICKEYBYTES, 32)
        self.assertEqual(sizes.OVERHEAD_MAX, sizes.HEADER_MAX + 16 + 72)
        self.assertEqual(len(self.seal(self.op, "site/a/cmd", b"abc")),
                         len(self.seal(None, "site/a/cmd", b"abc")) + 72)

    def test_signed_round_trip(self):
        env = self.seal(self.op, "site/a/cmd", b"open")
        self.assertTrue(mqttseal.parse_header(env).is_signed)
        self.assertIsNone(mqttseal.parse_header(env).signer_id)
        pt, h = self.rx.open_with_header("site/a/cmd", env)
        self.assertEqual(pt, b"open")
        self.assertTrue(h.is_signed)
        self.assertEqual(h.signer_id, self.op.id)
        self.assertEqual(h.signer_id, mqttseal.signer_id_of(
            self.op.public_key))
        self.assertEqual(self.rx.signer_name(h.signer_id), "operator")
        self.assertEqual(self.trust.name(self.op.id), "operator")
        self.assertIsNone(self.trust.name(self.rogue.id))
        pt, h = self.rx.open_with_header("site/a/temp",
                                         self.seal(None, "site/a/temp"))
        self.assertFalse(h.is_signed)
        self.assertIsNone(h.signer_id)

    def test_refusals_and_reasons(self):
        cases = [
            (None, "site/a/cmd", mqttseal.SignatureRequiredError,
             "sig_required"),
            (self.rogue, "site/a/cmd", mqttseal.SignerUnknownError,
             "signer_unknown"),
            (self.op, "site/a/temp", mqttseal.SignerNotGrantedError,
             "signer_not_granted"),
        ]
        for signer, topic, cls, reason in cases:
            with self.assertRaises(cls) as cm:
                self.rx.open(topic, self.seal(signer, topic))
            e = cm.exception
            self.assertIsInstance(e, mqttseal.OriginError)
            self.assertIsInstance(e, mqttseal.RejectedError)
            self.assertEqual(e.reason, reason)
            self.assertEqual(e.code, cls.code)
            self.assertTrue(e.header.is_signed == (signer is not None))
        old = mqttseal.Trust().add("operator", self.op, "#", expires=1)
        with mqttseal.Context(self.kr, trust=old) as rx:
            with self.assertRaises(mqttseal.SignerExpiredError) as cm:
                rx.open("site/a/cmd", self.seal(self.op, "site/a/cmd"))
            self.assertEqual(cm.exception.reason, "signer_expired")
        old.close()
        # No trust list: signed envelopes are unknown signers.
        with mqttseal.Context(self.kr) as rx:
            with self.assertRaises(mqttseal.SignerUnknownError):
                rx.open("site/a/cmd", self.seal(self.op, "site/a/cmd"))
        self.assertIs(mqttseal.error_class(41), mqttseal.SignatureError)
        self.assertEqual(mqttseal.SignatureError.reason, "signature")

    def test_refusal_leaves_replay_state(self):
        env = self.seal(self.rogue, "site/a/cmd")
        for _ in range(2):
            with self.assertRaises(mqttseal.SignerUnknownError):
                self.rx.open("site/a/cmd", env)
        self.assertEqual(self.rx.stats().refused_by[38], 2)

    def test_files_and_text(self):
        spath = os.path.join(self.tmp.name, "op.signer")
        tpath = os.path.join(self.tmp.name, "dev.trust")
        self.op.save(spath)
        self.assertEqual(stat.S_IMODE(os.stat(spath).st_mode), 0o600)
        with mqttseal.Signer.load(spath) as s:
            self.assertEqual(s.id, self.op.id)
            self.assertEqual(s.export(), self.op.export())
        self.assertTrue(self.op.export().startswith("signer "))
        self.assertNotIn(open(spath).read().split("secret ")[1].strip(),
                         self.op.export() + repr(self.op))
        os.chmod(spath, 0o644)
        with self.assertRaises(mqttseal.KeyringPermissionsError):
            mqttseal.Signer.load(spath)
        self.trust.save(tpath)
        with mqttseal.Trust.load(tpath) as t:
            self.assertEqual(t.to_string(), self.trust.to_string())
        os.chmod(tpath, 0o666)
        with self.assertRaises(mqttseal.FileOwnerError):
            mqttseal.Trust.load(tpath)
        with self.assertRaises(mqttseal.TrustSyntaxError) as cm:
            mqttseal.Trust.from_string("mqttseal-trust 1\nsigner x\n")
        self.assertEqual(cm.exception.line, 2)
        self.assertIsInstance(cm.exception, mqttseal.TrustError)
        with self.assertRaises(mqttseal.TrustSyntaxError):
            mqttseal.Signer.from_string("mqttseal-signer 1\nsecret !!\n")
        with mqttseal.Trust() as t:
            t.add("b64", self.op.export(), "a/+/c")
            with self.assertRaises(mqttseal.DuplicateKeyError):
                t.add("again", self.op.public_key, "x")
            with self.assertRaises(mqttseal.InvalidArgumentError):
                t.add("bad name!", self.rogue, "x")
            with self.assertRaises(mqttseal.FilterInvalidError):
                t.add("r", self.rogue, "a/#/b")
        seed = bytearray(range(32))
        with mqttseal.Signer.from_seed(seed) as a, \
                mqttseal.Signer.from_seed(bytes(seed)) as b:
            self.assertEqual(a.public_key, b.public_key)

    def test_type_checks(self):
        with self.assertRaises(TypeError):
            mqttseal.Context(self.kr, signer="op.signer")
        with self.assertRaises(TypeError):
            mqttseal.Context(self.kr, trust=object())
        self.rx.set_trust(None)
        with self.assertRaises(mqttseal.SignerUnknownError):
            self.rx.open("site/a/st", self.seal(self.op, "site/a/st"))


CLI = support.tool("MQTTSEAL_CLI", "tools", "mqttseal")


@unittest.skipUnless(CLI, "the mqttseal CLI is not built")
class SignedInteropTest(unittest.TestCase):
    """A signed C <-> Python round trip through a private mosquitto."""

    @classmethod
    def setUpClass(cls):
        cls.broker = support.Broker()
        cls.broker.start()
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.kr = mqttseal.Keyring().generate(1)
        cls.kpath = support.write_keyring(os.path.join(d, "k"), cls.kr)
        cls.c_signer = os.path.join(d, "c.signer")
        subprocess.run([CLI, "signer-keygen", cls.c_signer], check=True,
                       capture_output=True)
        cls.py = mqttseal.Signer()
        cls.trust_path = os.path.join(d, "t")
        with mqttseal.Signer.load(cls.c_signer) as c:
            cls.trust = (mqttseal.Trust().add("c-side", c, "sig/#")
                         .add("py-side", cls.py, "sig/#").require("sig/#"))
        cls.trust.save(cls.trust_path)

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        cls.broker.cleanup()
        for h in (cls.trust, cls.py, cls.kr):
            h.close()
        cls.tmp.cleanup()

    def conn(self):
        return ["-h", "127.0.0.1", "-p", str(self.broker.port)]

    def test_c_to_python(self):
        ctx = mqttseal.Context(self.kr, trust=self.trust)
        cl = support.Client(self.broker)
        got, rejects = support.Collector(), support.Collector()
        mqttseal.paho.wrap(cl.c, ctx, on_reject=lambda *a: rejects.add(a[2:]))
        cl.c.on_message = lambda c, u, m: got.add(m)
        cl.connect()
        cl.subscribe("sig/#", 1)
        self.addCleanup(ctx.close)
        self.addCleanup(cl.close)
        base = [CLI, "pub", "--keyring", self.kpath, "-q", "1"] + self.conn()
        subprocess.run(base + ["-t", "sig/c", "-m", "unsigned"], check=True)
        subprocess.run(base + ["--sign", self.c_signer, "-t", "sig/c", "-m",
                               "from C"], check=True)
        msgs = got.wait(1, 30)
        self.assertEqual([m.payload for m in msgs], [b"from C"])
        self.assertTrue(msgs[0].header.is_signed)
        self.assertEqual(ctx.signer_name(msgs[0].header.signer_id), "c-side")
        r = rejects.wait(1, 30)
        self.assertEqual(r[0][1], mqttseal.Reason.SIG_REQUIRED)

    def test_python_to_c(self):
        sub = subprocess.Popen(
            [CLI, "sub", "-d", "--keyring", self.kpath, "--trust",
             self.trust_path, "-t", "sig/py", "-C", "1", "-W", "30", "-q",
             "1"] + self.conn(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(sub.kill)
        line = b""
        while b"subscribed" not in line:
            line = sub.stderr.readline()
            self.assertTrue(line, "sub did not subscribe")
        ctx = mqttseal.Context(self.kr, signer=self.py)
        cl = support.Client(self.broker)
        mqttseal.paho.wrap(cl.c, ctx)
        cl.connect()
        self.addCleanup(ctx.close)
        self.addCleanup(cl.close)
        cl.c.publish("sig/py", b"from Python", qos=1).wait_for_publish(10)
        out, err = sub.communicate(timeout=40)
        self.assertEqual(sub.returncode, 0, err)
        self.assertEqual(out, b"[signed by py-side] from Python\n")


if __name__ == "__main__":
    unittest.main()
