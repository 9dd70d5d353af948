"""Bridged brokers need nothing (README "Scaling out"): two private
mosquitto brokers, A bridged to B in both directions, with sealed
publishers and subscribers (the `mqttseal` CLI, C and Paho) on both.

A's bridge runs with try_private false, so B takes it for an ordinary
client and sends every message A forwarded straight back to it: each
message published on A reaches A's own subscribers twice, the original
and a looped copy. (B is not bridged back as well: two bridges with
try_private false loop without end, and with try_private true mosquitto
suppresses every copy; measured with mosquitto 2.0.11.)

Checks: every message arrives intact exactly once on each side; every
looped copy is refused (a replay, or below the window), and the hooks'
rejection counters (`mqttseal sub -d` prints them on exit) count exactly
those copies; nothing is refused on B, where no copy arrives."""

import os
import re
import shutil
import sys
import time
import unittest

import paho.mqtt.client as mqtt

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "redis"))
import rt  # noqa: E402

N_A = 1000   # sealed on A, to site/t
N_B = 300    # sealed on B, to site/r

COUNTS = re.compile(rb"^mqttseal sub: (\d+) opened, (\d+) refused(.*)$",
                    re.M)


def counts(sub):
    """(opened, refused, {reason: n}) from the last counts line."""
    with open(sub.err_path, "rb") as f:
        found = COUNTS.findall(f.read())
    if not found:
        return None
    opened, refused, rest = found[-1]
    reasons = {}
    for part in rest.split(b"; ")[1:]:
        name, _, n = part.rpartition(b": ")
        reasons[name.decode()] = int(n)
    return int(opened), int(refused), reasons


def bridge_up(a_port, b_port, timeout=15.0):
    """True once a plain message published on A arrives on B."""
    got = []
    c = mqtt.Client(client_id="probe-%d" % os.getpid())
    c.on_message = lambda cl, u, m: got.append(m.topic)
    c.connect("127.0.0.1", b_port)
    c.subscribe("probe", qos=1)
    c.loop_start()
    p = mqtt.Client(client_id="probe-pub-%d" % os.getpid())
    p.connect("127.0.0.1", a_port)
    p.loop_start()
    deadline = time.time() + timeout
    while not got and time.time() < deadline:
        p.publish("probe", b"x", qos=1).wait_for_publish()
        time.sleep(0.2)
    for x in (p, c):
        x.loop_stop()
        x.disconnect()
    return bool(got)


class BridgeTest(unittest.TestCase):
    def setUp(self):
        self.dir = rt.workdir()
        self.subs = []
        self.b = rt.Mosquitto(self.dir)
        self.a = rt.Mosquitto(self.dir, extra=(
            "connection b\n"
            "address 127.0.0.1:%d\n"
            "topic # both 1\n"
            "cleansession true\n"
            "try_private false\n"
            "start_type automatic\n"
            "restart_timeout 1\n" % self.b.port))
        self.keyring = rt.keygen(self.dir)
        self.assertTrue(bridge_up(self.a.port, self.b.port),
                        "bridge A -> B did not come up")

    def tearDown(self):
        for s in self.subs:
            s.stop()
        self.a.stop()
        self.b.stop()
        if not os.environ.get("MQTTSEAL_TEST_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def test_bridge(self):
        on_a = rt.Sub(self.dir, "sub-a", self.keyring, self.a.port, "site/#")
        on_b = rt.Sub(self.dir, "sub-b", self.keyring, self.b.port, "site/#")
        self.subs = [on_a, on_b]
        body_a = [b"a%05d" % i for i in range(N_A)]
        body_b = [b"b%05d" % i for i in range(N_B)]
        rt.publish(self.keyring, self.a.port, "site/t", body_a)
        rt.publish(self.keyring, self.b.port, "site/r", body_b)
        want = sorted([b"site/t " + x for x in body_a] +
                      [b"site/r " + x for x in body_b])
        for s in self.subs:
            self.assertTrue(rt.wait_until(
                lambda: len(s.lines()) >= N_A + N_B, 60),
                "%s: %d of %d" % (s.out_path, len(s.lines()), N_A + N_B))
        # Let the looped copies (and any late duplicate) arrive.
        self.assertTrue(rt.wait_until(
            lambda: self.refused_lines(on_a) >= N_A, 30),
            "looped copies refused on A: %d" % self.refused_lines(on_a))
        time.sleep(1.0)
        for s in self.subs:
            s.stop()
        # Intact and exactly once, on both brokers.
        self.assertEqual(sorted(on_a.lines()), want)
        self.assertEqual(sorted(on_b.lines()), want)

        ca, cb = counts(on_a), counts(on_b)
        print("A: opened %d, refused %d %s" % ca)
        print("B: opened %d, refused %d %s" % cb)
        self.assertEqual(ca[0], N_A + N_B)
        self.assertEqual(cb[0], N_A + N_B)
        # Each of A's messages came back once over the bridge; B's went
        # to A only once (the bridge's own subscription there is no-local).
        self.assertEqual(ca[1], N_A)
        copies = ca[2].get("replayed message (already accepted)", 0) + ca[2].get(
            "message older than the replay window", 0)
        self.assertEqual(copies, N_A, ca)
        self.assertEqual(self.refused_lines(on_a), N_A)
        self.assertEqual(cb[1], 0, cb)

    @staticmethod
    def refused_lines(sub):
        return (sub.refused("replayed message") +
                sub.refused("older than the replay window"))


if __name__ == "__main__":
    unittest.main()
