"""C <-> Python through a private mosquitto: 500 messages each way intact,
in order and complete, plus binary (all 256 byte values), empty and 1 MiB
payloads, on MQTT 3.1.1 and 5.

The C side is the example pair (examples/sealed_pub, sealed_sub) when it
is built, else the CLI (mqttseal pub / mqttseal sub); binary payloads go
through the CLI (pub -f, sub -N), which is binary-safe. Paths come from
tests/python/meson.build through the environment."""

import os
import queue
import subprocess
import tempfile
import threading
import time
import unittest

import support
import mqttseal
import mqttseal.paho
import paho.mqtt.client as mqtt

N = 500


def setUpModule():
    global BROKER, C, CBIN
    C, CBIN = find_c_programs()
    if C is None:
        raise unittest.SkipTest("neither examples/sealed_pub+sealed_sub "
                                "nor the mqttseal CLI is built")
    BROKER = support.Broker().start()


def tearDownModule():
    BROKER.cleanup()


class Proc:
    """A C program we started; its stderr is pumped into a queue."""

    def __init__(self, argv, stdin=None):
        self.argv = argv
        self.p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.err_lines = []
        self.err = queue.Queue()
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()

    def _pump(self):
        for line in self.p.stderr:
            line = line.decode("utf-8", "replace")
            self.err_lines.append(line)
            self.err.put(line)

    def wait_for_stderr(self, needle, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if needle in self.err.get(timeout=0.2):
                    return
            except queue.Empty:
                if self.p.poll() is not None:
                    break
        raise AssertionError("%s: no %r on stderr:\n%s"
                             % (self.argv[0], needle, "".join(self.err_lines)))

    def finish(self, timeout=120):
        """stdout bytes after exit; kills (by pid) on timeout."""
        timer = threading.Timer(timeout, self.p.kill)
        timer.start()
        try:
            out = self.p.stdout.read()
            self.p.wait()
        finally:
            timer.cancel()
        self.pump.join(10)
        self.p.stdout.close()
        self.p.stderr.close()
        if self.p.stdin:
            self.p.stdin.close()
        return out

    def stderr(self):
        return "".join(self.err_lines)


class Cli:
    """mqttseal pub / mqttseal sub (binary-safe: pub -f, sub -N)."""

    name = "mqttseal pub/sub"

    def __init__(self, path):
        self.path = path

    def conn(self, v5):
        return ["-h", "127.0.0.1", "-p", str(BROKER.port),
                "-V", "5" if v5 else "311"]

    def pub_lines(self, keyring, topic, lines, v5=False):
        """Publish each line (QoS 1, one session). Returns the Proc."""
        p = Proc([self.path, "pub", "--keyring", keyring, "-t", topic,
                  "-q", "1", "-l"] + self.conn(v5), stdin=subprocess.PIPE)
        p.p.stdin.write(b"".join(x + b"\n" for x in lines))
        p.p.stdin.close()
        return p

    def pub_bytes(self, keyring, topic, data, tmpdir, v5=False):
        if data == b"":
            what = ["-n"]
        else:
            f = os.path.join(tmpdir, "payload.bin")
            with open(f, "wb") as fh:
                fh.write(data)
            what = ["-f", f]
        return Proc([self.path, "pub", "--keyring", keyring, "-t", topic,
                     "-q", "1"] + what + self.conn(v5))

    def sub(self, keyring, topic, count, raw=False, v5=False):
        """Subscriber printing count payloads; raw: no newline added."""
        p = Proc([self.path, "sub", "--keyring", keyring, "-t", topic,
                  "-q", "1", "-C", str(count), "-d"]
                 + (["-N"] if raw else []) + self.conn(v5))
        p.wait_for_stderr("subscribed")
        return p


class Examples(Cli):
    """examples/sealed_pub (one message per stdin line) and sealed_sub
    (prints each payload and a newline; text only: it prints with %.*s)."""

    name = "examples/sealed_pub + sealed_sub"

    def __init__(self, pub, sub):
        self.pub_path, self.sub_path = pub, sub

    def conn(self, v5):
        return ["-b", BROKER.uri, "-V", "5" if v5 else "311", "-q", "1"]

    def pub_lines(self, keyring, topic, lines, v5=False):
        p = Proc([self.pub_path, "-k", keyring, "-t", topic] + self.conn(v5),
                 stdin=subprocess.PIPE)
        p.p.stdin.write(b"".join(x + b"\n" for x in lines))
        p.p.stdin.close()
        return p

    def sub(self, keyring, topic, count, raw=False, v5=False):
        assert not raw, "sealed_sub is not binary-safe"
        p = Proc([self.sub_path, "-k", keyring, "-t", topic, "-C",
                  str(count)] + self.conn(v5))
        p.wait_for_stderr("subscribed")
        return p


def find_c_programs():
    """(text, binary): the examples for text when built (preferred), the
    CLI for binary payloads (the examples cannot carry NUL bytes)."""
    pub = support.tool("MQTTSEAL_SEALED_PUB", "examples", "sealed_pub")
    sub = support.tool("MQTTSEAL_SEALED_SUB", "examples", "sealed_sub")
    cli = support.tool("MQTTSEAL_CLI", "tools", "mqttseal")
    cli = Cli(cli) if cli else None
    text = Examples(pub, sub) if pub and sub else cli
    return text, cli


class InteropTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.root = mqttseal.Keyring().generate(1)
        with cls.root.derive("interop/#") as dev:
            cls.dev_path = support.write_keyring(
                os.path.join(cls.tmp.name, "device.keyring"), dev)

    @classmethod
    def tearDownClass(cls):
        cls.root.close()
        cls.tmp.cleanup()

    def python_sub(self, topic, protocol=mqtt.MQTTv311):
        ctx = mqttseal.Context(self.root)
        cl = support.Client(BROKER, protocol)
        got, rejects = support.Collector(), support.Collector()
        mqttseal.paho.wrap(cl.c, ctx,
                           on_reject=lambda *a: rejects.add(a[2:]))
        cl.c.on_message = lambda c, u, m: got.add(m)
        cl.connect()
        cl.subscribe(topic, 1)
        self.addCleanup(ctx.close)
        self.addCleanup(cl.close)
        return got, rejects

    def python_pub(self, protocol=mqtt.MQTTv311):
        ctx = mqttseal.Context(self.root)
        cl = support.Client(BROKER, protocol)
        mqttseal.paho.wrap(cl.c, ctx)
        cl.connect()
        self.addCleanup(ctx.close)
        self.addCleanup(cl.close)
        return cl.c

    @staticmethod
    def lines():
        return [b"msg %03d %s" % (i, os.urandom(8).hex().encode())
                for i in range(N)]

    def check_c_exit(self, p, out=None):
        self.assertEqual(p.p.returncode, 0, "%s failed:\n%s"
                         % (p.argv, p.stderr()))

    # --- C publisher -> Python subscriber ----------------------------------

    def c_to_python(self, protocol, v5):
        topic = "interop/c2py/%d" % protocol
        got, rejects = self.python_sub(topic, protocol)
        lines = self.lines()
        p = C.pub_lines(self.dev_path, topic, lines, v5=v5)
        p.finish()
        self.check_c_exit(p)
        msgs = got.wait(N, 120)
        self.assertEqual(len(msgs), N, "only %d of %d arrived (%s)"
                         % (len(msgs), N, C.name))
        self.assertEqual([m.payload for m in msgs], lines)
        self.assertEqual(len({m.header.session_id for m in msgs}), 1)
        self.assertEqual(sorted(m.header.seq for m in msgs),
                         [m.header.seq for m in msgs])
        self.assertEqual(rejects.items, [])

    def test_c_to_python_500_v311(self):
        self.c_to_python(mqtt.MQTTv311, False)

    def test_c_to_python_500_v5(self):
        self.c_to_python(mqtt.MQTTv5, True)

    def need_cli(self):
        if CBIN is None:
            self.fail("binary payloads need the mqttseal CLI (pub -f, "
                      "sub -N), which is not built")

    def test_c_to_python_binary_empty_1mib(self):
        self.need_cli()
        topic = "interop/c2py/bin"
        got, rejects = self.python_sub(topic)
        payloads = [bytes(range(256)), b"", os.urandom(1 << 20),
                    bytes(range(255, -1, -1)) * 4]
        for data in payloads:
            p = CBIN.pub_bytes(self.dev_path, topic, data, self.tmp.name)
            p.finish()
            self.check_c_exit(p)
        msgs = got.wait(len(payloads), 60)
        self.assertEqual([m.payload for m in msgs], payloads)
        self.assertEqual(rejects.items, [])

    # --- Python publisher -> C subscriber ----------------------------------

    def python_to_c(self, protocol, v5):
        topic = "interop/py2c/%d" % protocol
        sub = C.sub(self.dev_path, topic, N, v5=v5)
        pub = self.python_pub(protocol)
        lines = self.lines()
        for x in lines:
            pub.publish(topic, x, qos=1)
        out = sub.finish()
        self.check_c_exit(sub)
        got = out.split(b"\n")
        self.assertEqual(got[-1], b"")
        self.assertEqual(len(got) - 1, N, "only %d of %d arrived (%s)"
                         % (len(got) - 1, N, C.name))
        self.assertEqual(got[:-1], lines)
        self.assertNotIn("rejected", sub.stderr())

    def test_python_to_c_500_v311(self):
        self.python_to_c(mqtt.MQTTv311, False)

    def test_python_to_c_500_v5(self):
        self.python_to_c(mqtt.MQTTv5, True)

    def test_python_to_c_binary_empty_1mib(self):
        self.need_cli()
        topic = "interop/py2c/bin"
        pub = self.python_pub()
        for data in (bytes(range(256)), b"", os.urandom(1 << 20)):
            with self.subTest(size=len(data)):
                sub = CBIN.sub(self.dev_path, topic, 1, raw=True)
                pub.publish(topic, data, qos=1).wait_for_publish(30)
                out = sub.finish()
                self.check_c_exit(sub)
                self.assertEqual(len(out), len(data))
                self.assertEqual(out, data)

    def test_c_subscriber_rejects_what_python_tampers(self):
        """The C side refuses a tampered, plaintext or replayed message
        from Python and prints only the good ones."""
        topic = "interop/py2c/rej"
        sub = C.sub(self.dev_path, topic, 2)
        raw = support.Client(BROKER).connect()
        self.addCleanup(raw.close)
        with mqttseal.Context(self.root) as ctx:
            env = ctx.seal(topic, b"good")
            bad = bytearray(env)
            bad[-1] ^= 1
            for payload in (bytes(bad), b"plain", env, env,
                            ctx.seal(topic, b"good2")):
                raw.c.publish(topic, payload, qos=1).wait_for_publish(10)
        out = sub.finish(60)
        self.check_c_exit(sub)
        self.assertEqual(out, b"good\ngood2\n")
        self.assertEqual(sub.stderr().count("rejected"), 3, sub.stderr())


if __name__ == "__main__":
    unittest.main()
