"""Key distribution from Python (issue 14): a Python device enrolls,
opens and applies keyring updates (every refusal raises its class and
changes nothing), the known-answer vectors open as in C, and a running
Python service rotates live when the CLI pushes a rotation through a
real mosquitto."""

import hashlib
import os
import subprocess
import tempfile
import threading
import time
import unittest

import paho.mqtt.client as mqtt

import mqttseal
import support

FAR = 4102444800  # 2100-01-01


def seeded(cls, start):
    return cls.from_seed(bytes((start + i) & 0xFF for i in range(32)))


def grant(filt, key_id=7):
    root = mqttseal.Keyring()
    root.add(key_id, "#", bytes(range(32)))
    kr = mqttseal.Keyring()
    kr.grant(root, key_id, filt)
    kr.set_primary(key_id)
    return kr


def trust_for(signer, filt):
    t = mqttseal.Trust()
    t.add("operator", signer.public_key, [filt])
    return t


class DeviceTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.op = seeded(mqttseal.Signer, 0x0A)
        self.dev = seeded(mqttseal.Device, 0x01)

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def test_enroll_file_and_request(self):
        d = mqttseal.Device.enroll(self.path("d.key"))
        self.assertEqual(os.stat(self.path("d.key")).st_mode & 0o777, 0o600)
        again = mqttseal.Device.enroll(self.path("d.key"))
        self.assertEqual(d.public_key, again.public_key)
        req = d.enrollment_request().split()
        self.assertEqual(req[:2], ["mqttseal-enroll", "1"])
        self.assertEqual(req[2], mqttseal.device_id_of(d.public_key).hex())

    def test_open_and_refusals(self):
        u = mqttseal.seal_update(self.op, self.dev.public_key, 3, FAR,
                                 grant("plant/#"))
        info = mqttseal.parse_update(u)
        self.assertEqual((info.version, info.expires), (3, FAR))
        kr, info = mqttseal.open_update(self.dev, trust_for(self.op, "#"), u)
        self.assertEqual([e.filter for e in kr.entries()], ["plant/#"])
        other = seeded(mqttseal.Device, 0x02)
        rogue = seeded(mqttseal.Signer, 0x0B)
        cases = [
            (mqttseal.UpdateDeviceError,
             lambda: mqttseal.open_update(other, trust_for(self.op, "#"), u)),
            (mqttseal.SignerUnknownError,
             lambda: mqttseal.open_update(self.dev, trust_for(rogue, "#"),
                                          u)),
            (mqttseal.UpdateRollbackError,
             lambda: mqttseal.open_update(self.dev, trust_for(self.op, "#"),
                                          u, last_version=3)),
            (mqttseal.UpdateExpiredError,
             lambda: mqttseal.open_update(self.dev, trust_for(self.op, "#"),
                                          u, now=FAR)),
            (mqttseal.UpdateScopeError,
             lambda: mqttseal.open_update(self.dev,
                                          trust_for(self.op, "plant/a/#"),
                                          u)),
            (mqttseal.TruncatedError,
             lambda: mqttseal.open_update(self.dev, trust_for(self.op, "#"),
                                          u[:-1])),
            (mqttseal.SignatureError,
             lambda: mqttseal.open_update(
                 self.dev, trust_for(self.op, "#"),
                 u[:60] + bytes([u[60] ^ 1]) + u[61:])),
        ]
        for cls, fn in cases:
            with self.assertRaises(cls):
                fn()

    def test_apply_switches_context_and_files(self):
        kp = self.path("dev.keyring")
        ctx = mqttseal.Context(grant("plant/#", key_id=1))
        t = trust_for(self.op, "plant/#")
        u2 = mqttseal.seal_update(self.op, self.dev.public_key, 2, FAR,
                                  grant("plant/#", key_id=2))
        self.assertEqual(mqttseal.apply_update(u2, self.dev, t, kp, ctx), 2)
        env = ctx.seal("plant/x", b"hi")
        self.assertEqual(mqttseal.parse_header(env).key_id, 2)
        before = open(kp, "rb").read()
        u1 = mqttseal.seal_update(self.op, self.dev.public_key, 1, FAR,
                                  grant("plant/#", key_id=1))
        with self.assertRaises(mqttseal.UpdateRollbackError):
            mqttseal.apply_update(u1, self.dev, t, kp, ctx)
        self.assertEqual(open(kp, "rb").read(), before)
        self.assertEqual(open(kp + ".version").read(), "2\n")
        self.assertEqual(mqttseal.parse_header(ctx.seal("plant/x", b"")).key_id,
                         2)

    def test_vectors(self):
        path = os.path.join(os.environ["MQTTSEAL_VECTORS_DIR"], "updates.txt")
        blocks, cur = [], None
        for line in open(path):
            line = line.strip()
            if line.startswith("name = "):
                cur = {}
                blocks.append(cur)
            if cur is not None and " = " in line:
                k, v = line.split(" = ", 1)
                cur[k] = v
        self.assertGreaterEqual(len(blocks), 10)
        for b in blocks:
            d = mqttseal.Device.from_seed(bytes.fromhex(b["device_seed"]))
            s = mqttseal.Signer.from_seed(
                bytes.fromhex(b["trusted_signer_seed"]))
            t = trust_for(s, b["trusted_filter"])
            args = (d, t, bytes.fromhex(b["update"]),
                    int(b["last_version"]), int(b["now"]))
            if b["result"] == "OK":
                kr, _ = mqttseal.open_update(*args)
                h = hashlib.sha256(kr.to_string().encode()).hexdigest()
                self.assertEqual(h, b["keyring_sha256"], b["name"])
            else:
                with self.assertRaises(mqttseal.MqttsealError) as cm:
                    mqttseal.open_update(*args)
                codes = {"E_TRUNCATED": 13, "E_SIGNER_UNKNOWN": 38,
                         "E_SIGNATURE": 41, "E_UPDATE_DEVICE": 44,
                         "E_UPDATE_ROLLBACK": 45, "E_UPDATE_EXPIRED": 46,
                         "E_UPDATE_SCOPE": 47}
                self.assertEqual(cm.exception.code, codes[b["result"]],
                                 b["name"])


@unittest.skipUnless(support.tool("MQTTSEAL_CLI", "tools", "mqttseal"),
                     "no mqttseal CLI")
class LiveRotationTest(unittest.TestCase):
    """The CLI pushes; a Python service applies and rotates live."""

    def test_python_service_rotates(self):
        cli = support.tool("MQTTSEAL_CLI", "tools", "mqttseal")
        broker = support.Broker().start()
        self.addCleanup(broker.cleanup)
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        p = lambda n: os.path.join(tmp.name, n)  # noqa: E731
        host = ["--host", "127.0.0.1", "--port", str(broker.port)]

        def run(*args):
            return subprocess.run([cli] + list(args), check=True,
                                  capture_output=True, text=True,
                                  cwd=tmp.name).stdout

        run("keygen", p("root.keyring"))
        run("signer-keygen", p("op.signer"))
        dev = mqttseal.Device.enroll(p("py.device"))
        with open(p("py.req"), "w") as f:
            f.write(dev.enrollment_request() + "\n")
        op = mqttseal.Signer.from_file(p("op.signer"))
        trust = trust_for(op, "svc/#")
        ctx = mqttseal.Context(mqttseal.Keyring())
        applied = []
        event = threading.Event()

        def on_event(ok, text):
            applied.append((ok, text))
            event.set()

        agent = mqttseal.DeviceAgent(dev, trust, p("py.keyring"), ctx,
                                     on_event=on_event)
        c = support.Client(broker).connect()
        self.addCleanup(c.close)
        agent.attach(c.c)
        run("grant", "--keyring", p("root.keyring"), "--out", p("py.keyring"),
            "--push", "--signer", p("op.signer"), "--device", p("py.req"),
            *host, "svc/#")
        self.assertTrue(event.wait(10), "first update not applied")
        self.assertEqual(mqttseal.parse_header(ctx.seal("svc/a", b"")).key_id,
                         1)
        event.clear()
        t0 = time.monotonic()
        run("rotate", "--keyring", p("root.keyring"), "--retire-old-after",
            "1h", "--push", "--signer", p("op.signer"), *host,
            p("py.keyring"))
        self.assertTrue(event.wait(10), "rotation not applied")
        self.assertTrue(all(ok for ok, _ in applied), applied)
        self.assertEqual(mqttseal.parse_header(ctx.seal("svc/a", b"")).key_id,
                         2)
        self.assertLess(time.monotonic() - t0, 10)
        out = run("status", *host, "--expect-key", "2", "--devices", "1",
                  "--wait", "10")
        self.assertIn(dev.id_hex, out)


if __name__ == "__main__":
    unittest.main()
