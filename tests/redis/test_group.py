"""A consumer group sharing replay state in Redis (issue 15): a real
redis-server and a real mosquitto, three `mqttseal sub` processes on
$share/g/site/#, 10,000 sealed messages, 1,000 replays, a batch published
while Redis is down (all refused) and one after its restart (all
delivered), consumers restarted."""

import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

import paho.mqtt.client as mqtt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rt  # noqa: E402

N = 10000
GROUP = "$share/g/site/#"


class Capture:
    """A plain (non-shared) subscriber: what an attacker on the broker
    records, the raw envelopes."""

    def __init__(self, port):
        self.msgs = []
        self.c = mqtt.Client(client_id="capture-%d" % os.getpid())
        self.c.on_message = lambda c, u, m: self.msgs.append(
            (m.topic, bytes(m.payload)))
        self.c.connect("127.0.0.1", port)
        self.c.subscribe("site/#", qos=1)
        self.c.loop_start()
        time.sleep(0.3)

    def replay(self, port, msgs):
        a = mqtt.Client(client_id="attacker-%d" % os.getpid())
        a.connect("127.0.0.1", port)
        a.loop_start()
        for topic, payload in msgs:
            a.publish(topic, payload, qos=1).wait_for_publish()
        a.loop_stop()
        a.disconnect()

    def stop(self):
        self.c.loop_stop()
        self.c.disconnect()


class GroupTest(unittest.TestCase):
    def setUp(self):
        self.dir = rt.workdir()
        self.redis = rt.Redis(self.dir, aof=True)
        self.broker = rt.Mosquitto(self.dir)
        self.keyring = rt.keygen(self.dir)
        self.url = self.redis.url + "/0?prefix=site1"  # default window
        self.subs = [self.consumer(i) for i in range(3)]

    def consumer(self, i, gen=0):
        return rt.Sub(self.dir, "c%d-%d" % (i, gen), self.keyring,
                      self.broker.port, GROUP,
                      ["--fresh", "--replay-redis", self.url])

    def tearDown(self):
        for s in self.subs:
            s.stop()
        self.broker.stop()
        self.redis.stop()
        if not os.environ.get("MQTTSEAL_TEST_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def delivered(self):
        out = []
        for s in self.all_subs:
            out += s.lines()
        return out

    def refused(self, reason):
        return sum(s.refused(reason) for s in self.all_subs)

    @staticmethod
    def replays(subs):
        """Replays refused: as seen (E_REPLAY) or below the window."""
        return sum(s.refused("replayed message") +
                   s.refused("older than the replay window") for s in subs)

    def test_group(self):
        self.all_subs = list(self.subs)
        cap = Capture(self.broker.port)
        body = [b"m%05d" % i for i in range(N)]
        rt.publish(self.keyring, self.broker.port, "site/t", body)
        want = sorted(b"site/t " + b for b in body)
        self.assertTrue(rt.wait_until(lambda: len(self.delivered()) >= N, 60),
                        "only %d of %d delivered" % (len(self.delivered()), N))
        time.sleep(0.5)
        got = self.delivered()
        self.assertEqual(sorted(got), want)   # each exactly once
        per = [len(s.lines()) for s in self.subs]
        self.assertTrue(all(n > 0 for n in per), per)  # all three worked
        print("10,000 messages over 3 consumers:", per)
        self.assertTrue(rt.wait_until(lambda: len(cap.msgs) >= N, 30))

        # An attacker re-publishes 1,000 captured envelopes.
        cap.replay(self.broker.port, cap.msgs[:1000])
        self.assertTrue(rt.wait_until(
            lambda: self.replays(self.subs) >= 1000, 30),
            "replays refused: %d" % self.replays(self.subs))
        self.assertEqual(len(self.delivered()), N)
        per_replay = [self.replays([s]) for s in self.subs]
        print("1,000 replays refused per consumer:", per_replay)
        self.assertTrue(sum(1 for n in per_replay if n > 0) >= 2)

        # Redis dies under running consumers: every message of a batch
        # published while it is down is refused, never passed on; after a
        # restart a new batch goes through. No timing luck: Redis is down
        # for the whole of the first batch and up for the whole of the
        # second.
        self.redis.stop(signal.SIGKILL)
        body2 = [b"n%05d" % i for i in range(500)]
        rt.publish(self.keyring, self.broker.port, "site/u", body2)
        self.assertTrue(rt.wait_until(lambda: self.refused(
            "replay state store unreachable") >= 500, 30),
            "refused while Redis was down: %d of 500"
            % self.refused("replay state store unreachable"))
        time.sleep(0.5)
        got = self.delivered()
        down = self.refused("replay state store unreachable")
        self.assertEqual(down, 500)
        self.assertEqual(
            sum(1 for ln in got if ln.startswith(b"site/u ")), 0)
        self.assertEqual(len(got), N)
        self.redis.start()     # AOF: the windows come back
        body3 = [b"p%05d" % i for i in range(500)]
        rt.publish(self.keyring, self.broker.port, "site/v", body3)
        self.assertTrue(rt.wait_until(lambda: sum(
            1 for ln in self.delivered() if ln.startswith(b"site/v ")) >= 500,
            30))
        time.sleep(0.5)
        got = self.delivered()
        self.assertEqual(sorted(ln for ln in got if ln.startswith(b"site/v ")),
                         sorted(b"site/v " + x for x in body3))
        self.assertEqual(len(got), len(set(got)))  # nothing twice
        self.assertEqual(self.refused("replay state store unreachable"), 500)
        print("Redis down: 500 of 500 refused; back up: 500 of 500 delivered")

        # Redis state survives consumer restarts: all three restarted, the
        # 1,000 replays are refused again, nothing reaches an application.
        for s in self.subs:
            s.stop()
        self.subs = [self.consumer(i, 1) for i in range(3)]
        self.all_subs += self.subs
        before = len(self.delivered())
        cap.replay(self.broker.port, cap.msgs[:1000])
        self.assertTrue(rt.wait_until(
            lambda: self.replays(self.subs) >= 1000, 30))
        self.assertEqual(len(self.delivered()), before)
        cap.stop()


class TlsGroupTest(unittest.TestCase):
    """The same consumer group with Redis reached over TLS only (client
    certificates required, AUTH): 2,000 messages each delivered exactly
    once, 500 replays all refused; a consumer given a certificate the
    server does not trust does not start, and says why."""

    def test_group_over_tls(self):
        d = rt.workdir()
        certs = rt.mkcerts(d)
        redis = rt.Redis(d, certs=certs, extra="requirepass tls-pw")
        broker = rt.Mosquitto(d)
        keyring = rt.keygen(d)
        url = redis.tls_url("prefix=tls-site", userinfo=":tls-pw@")
        subs = [rt.Sub(d, "t%d" % i, keyring, broker.port, GROUP,
                       ["--fresh", "--replay-redis", url]) for i in range(3)]
        try:
            cap = Capture(broker.port)
            body = [b"t%05d" % i for i in range(2000)]
            rt.publish(keyring, broker.port, "site/t", body)
            got = lambda: sum((s.lines() for s in subs), [])  # noqa: E731
            self.assertTrue(rt.wait_until(lambda: len(got()) >= 2000, 60))
            self.assertTrue(rt.wait_until(lambda: len(cap.msgs) >= 2000, 30))
            cap.replay(broker.port, cap.msgs[:500])
            self.assertTrue(rt.wait_until(
                lambda: GroupTest.replays(subs) >= 500, 30),
                "replays refused: %d" % GroupTest.replays(subs))
            time.sleep(0.5)
            self.assertEqual(sorted(got()),
                             sorted(b"site/t " + x for x in body))
            self.assertEqual(GroupTest.replays(subs), 500)
            print("over TLS: 2,000 delivered once", [len(s.lines())
                                                   for s in subs],
                  "; 500 of 500 replays refused")
            # A consumer with a client certificate the server does not
            # trust does not start: it says why, and exits.
            r = subprocess.run(
                [rt.CLI, "sub", "--keyring", keyring, "-h", "127.0.0.1",
                 "-p", str(broker.port), "-t", "site/#", "--replay-redis",
                 redis.tls_url("prefix=tls-site", client="rogue-client",
                               userinfo=":tls-pw@")],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
            self.assertNotEqual(r.returncode, 0)
            self.assertEqual(r.stdout, b"")
            self.assertIn(b"--replay-redis: cannot use Redis", r.stderr)
            self.assertIn(b"TLS", r.stderr)
            self.assertNotIn(b"tls-pw", r.stderr)
            cap.stop()
        finally:
            for s in subs:
                s.stop()
            broker.stop()
            redis.stop()
            if not os.environ.get("MQTTSEAL_TEST_KEEP"):
                shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
