"""bindings/python/examples/ingest.py end to end: sealed readings in,
JSON lines out; rejections on stderr only; replay state across restarts."""

import base64
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import support
import mqttseal
import mqttseal.paho

INGEST = os.path.join(support.BINDING, "examples", "ingest.py")


def setUpModule():
    global BROKER
    BROKER = support.Broker().start()


def tearDownModule():
    BROKER.cleanup()


class Ingest:
    def __init__(self, keyring_path, *args):
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        self.p = subprocess.Popen(
            [sys.executable, INGEST, "-k", keyring_path, "-b", BROKER.uri]
            + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env)
        self.err = queue.Queue()
        self.err_lines = []
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()

    def _pump(self):
        for line in self.p.stderr:
            self.err_lines.append(line)
            self.err.put(line)

    def wait_subscribed(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                line = self.err.get(timeout=0.5)
            except queue.Empty:
                if self.p.poll() is not None:
                    break
                continue
            if '"subscribed"' in line:
                return
        raise AssertionError("ingest did not subscribe: %s"
                             % "".join(self.err_lines))

    def finish(self, timeout=30):
        """Wait for exit (after -C messages); stdout and stderr lines."""
        timer = threading.Timer(timeout, self.p.kill)
        timer.start()
        try:
            out = self.p.stdout.read()
            self.p.wait()
        finally:
            timer.cancel()
        self.pump.join(10)
        return ([json.loads(x) for x in out.splitlines()],
                [json.loads(x) for x in self.err_lines if x.startswith("{")])


class IngestTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.kr = mqttseal.Keyring().generate(1)
        self.addCleanup(self.kr.close)
        with self.kr.derive("plant/#") as reader:
            self.kpath = support.write_keyring(
                os.path.join(self.tmp.name, "reader.keyring"), reader)
        self.ctx = mqttseal.Context(self.kr, timestamps=True)
        self.addCleanup(self.ctx.close)
        self.pub = support.Client(BROKER)
        mqttseal.paho.wrap(self.pub.c, self.ctx)
        self.pub.connect()
        self.addCleanup(self.pub.close)
        self.raw = support.Client(BROKER).connect()
        self.addCleanup(self.raw.close)

    def send(self, client, topic, payload):
        client.c.publish(topic, payload, qos=1).wait_for_publish(10)

    def test_json_lines(self):
        ing = Ingest(self.kpath, "-t", "plant/#", "-C", "4")
        ing.wait_subscribed()
        first = self.ctx.seal("plant/l1/temp", b"stolen")
        self.send(self.pub, "plant/l1/temp", b'{"temp": 21.5, "unit": "C"}')
        self.send(self.raw, "plant/l1/temp", first)                # first copy
        self.send(self.raw, "plant/l1/temp", b'{"plain": 1}')      # not sealed
        self.send(self.pub, "plant/l1/raw", bytes(range(256)))
        self.send(self.raw, "plant/l1/temp", first)                # replayed
        self.send(self.pub, "plant/l1/text", "héllo, not json")
        self.send(self.pub, "plant/l1/n", b"42")
        out, err = ing.finish()
        self.assertEqual(ing.p.returncode, 0, ing.err_lines)
        self.assertEqual([o["topic"] for o in out],
                         ["plant/l1/temp", "plant/l1/temp", "plant/l1/raw",
                          "plant/l1/text"])
        self.assertEqual(out[0]["payload"], {"temp": 21.5, "unit": "C"})
        self.assertEqual(out[1]["payload_base64"],
                         base64.b64encode(b"stolen").decode())
        self.assertEqual(base64.b64decode(out[2]["payload_base64"]),
                         bytes(range(256)))
        self.assertEqual(base64.b64decode(out[3]["payload_base64"]),
                         "héllo, not json".encode())
        for o in out:
            self.assertTrue(o["received"].endswith("Z"))
            self.assertIn("sent", o)
            self.assertEqual((o["qos"], o["retain"], o["key_id"]),
                             (1, False, 1))
        rej = [(e["rejected"], e["topic"]) for e in err if "rejected" in e]
        self.assertEqual(rej, [("not_sealed", "plant/l1/temp"),
                               ("replay", "plant/l1/temp")])

    def test_state_survives_restart(self):
        state = os.path.join(self.tmp.name, "replay.state")
        env = self.ctx.seal("plant/x", b'{"v": 1}')
        ing = Ingest(self.kpath, "-t", "plant/#", "-C", "1", "--state",
                     state)
        ing.wait_subscribed()
        self.send(self.raw, "plant/x", env)
        out, _ = ing.finish()
        self.assertEqual([o["payload"] for o in out], [{"v": 1}])
        self.assertTrue(os.path.exists(state))
        ing = Ingest(self.kpath, "-t", "plant/#", "-C", "1", "--state",
                     state)
        ing.wait_subscribed()
        self.send(self.raw, "plant/x", env)           # replayed after restart
        self.send(self.pub, "plant/x", b'{"v": 2}')
        out, err = ing.finish()
        self.assertEqual([o["payload"] for o in out], [{"v": 2}])
        self.assertEqual([e["rejected"] for e in err if "rejected" in e],
                         ["replay"])

    def test_no_grant_outside_reader_keys(self):
        ing = Ingest(self.kpath, "-t", "#", "-C", "1")
        ing.wait_subscribed()
        self.send(self.pub, "office/secret", b"{}")
        self.send(self.pub, "plant/ok", b"{}")
        out, err = ing.finish()
        self.assertEqual([o["topic"] for o in out], ["plant/ok"])
        self.assertEqual([(e["rejected"], e["topic"]) for e in err
                          if "rejected" in e],
                         [("no_grant", "office/secret")])


if __name__ == "__main__":
    unittest.main()
