"""No leak across 100,000 seal/open calls: VmRSS after a warm-up and after
the loop differ by less than a small bound (a leak of even 24 bytes per
call would exceed it)."""

import gc
import unittest

import support  # noqa: F401 (sys.path)
import mqttseal

TOPIC = "site/a/temp"
N = 100_000
BOUND = 2 << 20   # bytes


def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class LeakTest(unittest.TestCase):
    def loop(self, fn, n):
        fn(n // 10)              # warm-up: caches, arenas, replay state
        gc.collect()
        before = rss()
        fn(n)
        gc.collect()
        return rss() - before

    def test_seal_open(self):
        with mqttseal.Keyring().generate(1) as kr, \
                mqttseal.Context(kr) as tx, mqttseal.Context(kr) as rx:
            payload = bytes(range(200))

            def run(n):
                for _ in range(n):
                    if rx.open(TOPIC, tx.seal(TOPIC, payload)) != payload:
                        raise AssertionError("round trip")
            grown = self.loop(run, N)
        self.assertLess(grown, BOUND, "RSS grew by %d bytes over %d "
                        "seal/open pairs" % (grown, N))

    def test_rejections(self):
        """Failing opens (exceptions with headers) do not leak either."""
        with mqttseal.Keyring().generate(1) as kr, \
                mqttseal.Context(kr) as tx, mqttseal.Context(kr) as rx:
            env = tx.seal(TOPIC, b"x" * 64)
            rx.open(TOPIC, env)

            def run(n):
                for _ in range(n):
                    try:
                        rx.open(TOPIC, env)
                    except mqttseal.ReplayError:
                        pass
                    try:
                        rx.open("other", env)
                    except mqttseal.AuthenticationError:
                        pass
            grown = self.loop(run, N // 2)
        self.assertLess(grown, BOUND, "RSS grew by %d bytes" % grown)

    def test_handles(self):
        """Creating and dropping keyrings and contexts frees them."""
        def run(n):
            for _ in range(n):
                kr = mqttseal.Keyring().generate(1)
                with mqttseal.Context(kr) as ctx:
                    ctx.seal(TOPIC, b"")
                del kr            # freed by __del__, not close()
        grown = self.loop(run, 20_000)
        self.assertLess(grown, BOUND, "RSS grew by %d bytes" % grown)


if __name__ == "__main__":
    unittest.main()
