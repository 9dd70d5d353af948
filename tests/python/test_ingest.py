"""bindings/python/examples/ingest.py end to end: sealed readings in,
JSON lines out; rejections on stderr only; replay state across restarts,
checkpointed while running (kill -9 loses nothing before a checkpoint);
retained messages held to the retained maximum age."""

import base64
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import support
import mqttseal
import mqttseal.paho

import reference

INGEST = os.environ.get("MQTTSEAL_INGEST") or os.path.join(
    support.BINDING, "examples", "ingest.py")


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
        self.out = queue.Queue()
        self.out_lines = []
        self.pumps = [threading.Thread(target=self._pump, daemon=True,
                                       args=(self.p.stderr, self.err_lines,
                                             self.err)),
                      threading.Thread(target=self._pump, daemon=True,
                                       args=(self.p.stdout, self.out_lines,
                                             self.out))]
        for t in self.pumps:
            t.start()

    @staticmethod
    def _pump(stream, lines, q):
        for line in stream:
            lines.append(line)
            q.put(line)

    def wait_line(self, q, pred, timeout=20):
        """The first JSON line from q satisfying pred, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = q.get(timeout=0.2)
            except queue.Empty:
                if self.p.poll() is not None and q.empty():
                    return None
                continue
            if line.startswith("{") and pred(json.loads(line)):
                return json.loads(line)
        return None

    def kill9(self):
        os.kill(self.p.pid, signal.SIGKILL)
        self.p.wait(10)
        self._close()

    def _close(self):
        for t in self.pumps:
            t.join(10)
        self.p.stdout.close()
        self.p.stderr.close()

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
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self._close()
        return ([json.loads(x) for x in self.out_lines],
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


    def pay_and_crash(self, state, envs, *checkpoint_args):
        """Run ingest with --state, let it accept envs, wait for a
        checkpoint covering them, then kill -9 it. True if a checkpoint
        was seen."""
        ing = Ingest(self.kpath, "-t", "plant/#", "--state", state,
                     *checkpoint_args)
        ing.wait_subscribed()
        for e in envs:
            self.send(self.raw, "plant/pay", e)
        for i in range(len(envs)):
            got = ing.wait_line(ing.out, lambda o: True)
            self.assertIsNotNone(got, "message %d not accepted: %s"
                                 % (i, "".join(ing.err_lines)))
        cp = ing.wait_line(ing.err, lambda o: o.get("accepted", 0)
                           >= len(envs), timeout=5)
        ing.kill9()
        self.assertEqual(ing.p.returncode, -signal.SIGKILL)
        return cp is not None

    def replay_after_restart(self, state, envs):
        ing = Ingest(self.kpath, "-t", "plant/#", "-C", "1", "--state",
                     state)
        ing.wait_subscribed()
        for e in envs:
            self.send(self.raw, "plant/pay", e)     # the captured envelope
        self.send(self.pub, "plant/pay", b'{"pay": 5, "currency": "EUR"}')
        return ing.finish()

    def test_kill9_after_checkpoint_interval(self):
        """Regression: the state was saved only on a clean exit, so after
        kill -9 a re-published "pay 100 EUR" was accepted again."""
        state = os.path.join(self.tmp.name, "replay.state")
        pay = self.ctx.seal("plant/pay", b'{"pay": 100, "currency": "EUR"}')
        saw = self.pay_and_crash(state, [pay], "--checkpoint-every-s",
                                 "0.3", "--checkpoint-every-n", "1000")
        out, err = self.replay_after_restart(state, [pay])
        self.assertEqual([o["payload"] for o in out],
                         [{"pay": 5, "currency": "EUR"}])
        self.assertEqual([e["rejected"] for e in err if "rejected" in e],
                         ["replay"])
        self.assertTrue(saw, "no checkpoint reported within 5 s")

    def test_kill9_after_checkpoint_count(self):
        state = os.path.join(self.tmp.name, "replay.state")
        pays = [self.ctx.seal("plant/pay", b'{"pay": %d}' % i)
                for i in range(3)]
        saw = self.pay_and_crash(state, pays, "--checkpoint-every-s",
                                 "3600", "--checkpoint-every-n", "3")
        out, err = self.replay_after_restart(state, pays)
        self.assertEqual(len(out), 1)
        self.assertEqual([e["rejected"] for e in err if "rejected" in e],
                         ["replay"] * 3)
        self.assertTrue(saw, "no checkpoint after 3 messages")

    @unittest.skipUnless(reference.have_nacl(), "needs PyNaCl")
    def test_old_retained_envelopes_refused_as_stale(self):
        """A captured envelope re-published as retained is held to the live
        maximum age (the RETAIN bit is not authenticated); one sealed as
        retained gets the retained maximum age (1 day), no more."""
        now = int(time.time() * 1000)
        cases = {   # topic: (sealed as retained, age in ms)
            "plant/ret/captured": (False, 10 * 60 * 1000),
            "plant/ret/ancient": (True, 2 * 86400 * 1000),
            "plant/ret/state": (True, 3600 * 1000),
        }
        for topic, (sealed_ret, age) in cases.items():
            with mqttseal.Keyring() as one:
                one.grant(self.kr, 1, topic)
                key = base64.b64decode(one.to_string().split()[-1])
            env = reference.seal(key, topic.encode(), 1, os.urandom(12), 0,
                                 b'{"t": "%s"}' % topic.encode(),
                                 ts=now - age, retained=sealed_ret)
            self.raw.c.publish(topic, env, qos=1,
                               retain=True).wait_for_publish(10)
            self.addCleanup(lambda t=topic: self.raw.c.publish(
                t, b"", qos=1, retain=True).wait_for_publish(10))
        ing = Ingest(self.kpath, "-t", "plant/ret/#", "-C", "2")
        ing.wait_subscribed()
        self.send(self.pub, "plant/ret/live", b'{"live": 1}')
        out, err = ing.finish()
        self.assertEqual([(o["topic"], o["retain"]) for o in out],
                         [("plant/ret/state", True),
                          ("plant/ret/live", False)])
        self.assertEqual(sorted((e["rejected"], e["topic"]) for e in err
                                if "rejected" in e),
                         [("stale", "plant/ret/ancient"),
                          ("stale", "plant/ret/captured")])


if __name__ == "__main__":
    unittest.main()
