"""mqttseal.redis (libmqttseal-redis through ctypes) against a real
redis-server on a free 127.0.0.1 port, stopped by its pid."""

import os
import shutil
import signal
import sys
import unittest

import support  # noqa: F401 (puts the binding on sys.path)
import mqttseal
import mqttseal.redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "redis"))
import rt  # noqa: E402



def ring():
    import subprocess
    import tempfile
    d = tempfile.mkdtemp(prefix="mqttseal-pyredis-")
    path = os.path.join(d, "k.keyring")
    subprocess.run([os.environ.get("MQTTSEAL_CLI", "mqttseal"), "keygen",
                    "--id", "7", path], check=True,
                   stdout=subprocess.DEVNULL)
    with open(path) as f:
        text = f.read()
    shutil.rmtree(d)
    return text


class RedisTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = rt.workdir()
        cls.srv = rt.Redis(cls.dir)
        cls.keys = ring()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def ctx(self):
        c = mqttseal.Context.from_string(self.keys)
        self.addCleanup(c.close)
        return c

    def url(self, q):
        return self.srv.url + "/0?" + q

    def test_library_found(self):
        self.assertIn("mqttseal-redis", mqttseal.redis.library_path())

    def test_bad_urls(self):
        for bad in ("redis://127.0.0.1?sni=x", "redis://127.0.0.1?window=100",
                    "redis://127.0.0.1?nope=1", "http://x",
                    "rediss://127.0.0.1?cacert=/nonexistent.pem"):
            with self.assertRaises(mqttseal.InvalidArgumentError, msg=bad):
                mqttseal.redis.Store(bad)
        with self.assertRaises(mqttseal.InvalidArgumentError) as e:
            mqttseal.redis.Store("rediss://127.0.0.1?cacert=/nonexistent.pem")
        self.assertIn("No such file", str(e.exception))

    def test_tls(self):
        certs = rt.mkcerts(self.dir)
        own = rt.Redis(self.dir, certs=certs)
        try:
            tx, c1, c2 = self.ctx(), self.ctx(), self.ctx()
            s1 = mqttseal.redis.attach(c1, own.tls_url("prefix=py-tls"))
            s2 = mqttseal.redis.attach(c2, own.tls_url("prefix=py-tls"))
            env = tx.seal("site/a", b"over tls")
            self.assertEqual(c1.open("site/a", env), b"over tls")
            with self.assertRaises(mqttseal.ReplayError):
                c2.open("site/a", env)
            self.assertEqual(s2.stats().replays, 1)
            # A server certificate from a CA we do not trust: refused at
            # attach() (its PING), with the reason.
            with self.assertRaises(mqttseal.ReplayBackendError) as e:
                mqttseal.redis.attach(self.ctx(), own.tls_url(ca="rogue-ca"))
            self.assertIn("certificate", str(e.exception))
            # The server refuses a client certificate it does not trust.
            with self.assertRaises(mqttseal.ReplayBackendError) as e:
                mqttseal.redis.attach(self.ctx(),
                                      own.tls_url(client="rogue-client"))
            self.assertIn("TLS", str(e.exception))
            s1.close()
            s2.close()
        finally:
            own.stop()

    def test_group_shares_state(self):
        tx, c1, c2 = self.ctx(), self.ctx(), self.ctx()
        s1 = mqttseal.redis.attach(c1, self.url("prefix=py-group"))
        s2 = mqttseal.redis.attach(c2, self.url("prefix=py-group"))
        envs = [tx.seal("site/a", b"m%d" % i) for i in range(20)]
        for i, env in enumerate(envs):
            first, second = (c1, c2) if i % 2 else (c2, c1)
            self.assertEqual(first.open("site/a", env), b"m%d" % i)
            with self.assertRaises(mqttseal.ReplayError):
                second.open("site/a", env)
        a, b = s1.stats(), s2.stats()
        self.assertEqual(a.checks + b.checks, 40)
        self.assertEqual(a.accepted + b.accepted, 20)
        self.assertEqual(a.replays + b.replays, 20)
        # one per check, one per connect, one for attach()'s PING
        self.assertEqual(a.round_trips, a.checks + a.connects + 1)
        s1.close()   # the context keeps its own reference
        with self.assertRaises(mqttseal.ReplayError):
            c1.open("site/a", envs[0])
        self.assertEqual(s2.stats().failures, 0)
        s2.close()

    def test_too_old_is_counted(self):
        tx, rx = self.ctx(), self.ctx()
        store = mqttseal.redis.attach(rx, self.url("prefix=py-old&window=64"))
        envs = [tx.seal("site/a", b"x") for _ in range(100)]
        rx.open("site/a", envs[99])
        with self.assertRaises(mqttseal.TooOldError):
            rx.open("site/a", envs[0])
        rx.open("site/a", envs[50])
        st = store.stats()
        self.assertEqual((st.accepted, st.too_old), (2, 1))
        store.close()

    def test_unreachable_fails_closed(self):
        rx = self.ctx()
        with self.assertRaises(mqttseal.ReplayBackendError) as e:
            mqttseal.redis.attach(rx, "redis://127.0.0.1:%d?timeout=200"
                                  % rt.free_port())
        self.assertIn("refused", str(e.exception).lower())
        # Attached without a ping, to a Redis that then goes away.
        own = rt.Redis(self.dir)
        tx = self.ctx()
        store = mqttseal.redis.attach(rx, own.url + "?retry=1")
        env = tx.seal("site/a", b"secret")
        own.stop(signal.SIGKILL)
        with self.assertRaises(mqttseal.ReplayBackendError):
            rx.open("site/a", env)
        self.assertEqual(store.stats().failures, 1)
        self.assertNotEqual(store.last_error(), "")
        own.start()
        self.assertEqual(rx.open("site/a", env), b"secret")
        own.stop()
        store.close()

    def test_wrong_password(self):
        own = rt.Redis(self.dir, extra="requirepass s3cret")
        try:
            with self.assertRaises(mqttseal.ReplayBackendError) as e:
                mqttseal.redis.attach(self.ctx(), "redis://:wrong@127.0.0.1:%d"
                                      % own.port)
            self.assertNotIn("wrong", str(e.exception))
            store = mqttseal.redis.attach(self.ctx(),
                                          "redis://:s3cret@127.0.0.1:%d"
                                          % own.port)
            store.close()
        finally:
            own.stop()


if __name__ == "__main__":
    unittest.main()
