"""Shared helpers for the Python binding tests.

Environment (set by tests/python/meson.build; defaults for running by hand
from a checkout with /usr/bin/python3 -m unittest):
  MQTTSEAL_LIBRARY      libmqttseal.so to test (required: the tests never
                        rely on the binding's lookup, which would find an
                        installed copy, not this build)
  MQTTSEAL_VECTORS_DIR  tests/vectors
  MQTTSEAL_SEALED_PUB, MQTTSEAL_SEALED_SUB, MQTTSEAL_CLI
                        the C example programs and the mqttseal CLI
Only loopback brokers: a private mosquitto on 127.0.0.1 and a free port,
stopped by its pid.
"""

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
BINDING = os.path.join(ROOT, "bindings", "python")
if BINDING not in sys.path:
    sys.path.insert(0, BINDING)

if not os.environ.get("MQTTSEAL_LIBRARY"):
    sys.exit("set MQTTSEAL_LIBRARY to the libmqttseal.so under test, e.g. "
             "build/src/libmqttseal.so (meson test sets it)")

import mqttseal  # noqa: E402
import mqttseal.paho  # noqa: E402,F401
import paho.mqtt.client as mqtt  # noqa: E402

VECTORS_DIR = os.environ.get("MQTTSEAL_VECTORS_DIR",
                             os.path.join(ROOT, "tests", "vectors"))
HEADER_FILE = os.path.join(ROOT, "include", "mqttseal", "mqttseal.h")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Broker:
    """A private mosquitto on 127.0.0.1:<free port>, stopped by its pid."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="mqttseal-py-broker-")
        self.port = None
        self.proc = None
        self.log = None

    def start(self):
        for _ in range(5):   # the free port can be taken before we bind it
            self.port = free_port()
            conf = os.path.join(self.dir.name, "mosquitto.conf")
            with open(conf, "w") as f:
                f.write("listener %d 127.0.0.1\n"
                        "allow_anonymous true\n"
                        "persistence false\n"
                        "max_queued_messages 100000\n"
                        "max_inflight_messages 0\n" % self.port)
            self.log = open(os.path.join(self.dir.name, "mosquitto.log"),
                            "w+")
            self.proc = subprocess.Popen(["mosquitto", "-c", conf],
                                         stdout=self.log,
                                         stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    socket.create_connection(("127.0.0.1", self.port),
                                             timeout=0.2).close()
                    return self
                except OSError:
                    time.sleep(0.05)
            self.stop()
        raise RuntimeError("mosquitto did not start:\n" + self.log_text())

    def log_text(self):
        try:
            with open(os.path.join(self.dir.name, "mosquitto.log")) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, 9)
                self.proc.wait()
        self.proc = None
        if self.log is not None:
            self.log.close()
            self.log = None

    def cleanup(self):
        self.stop()
        self.dir.cleanup()

    @property
    def uri(self):
        return "tcp://127.0.0.1:%d" % self.port


class Client:
    """A paho client connected (loop_start) to the test broker, with
    helpers to wait for CONNACK and SUBACK."""

    def __init__(self, broker, protocol=mqtt.MQTTv311, client_id=""):
        self.c = mqtt.Client(client_id=client_id, protocol=protocol)
        self.protocol = protocol
        self.broker = broker
        self._connected = threading.Event()
        self._subacks = {}
        self._lock = threading.Lock()
        if protocol == mqtt.MQTTv5:
            self.c.on_connect = lambda c, u, f, rc, p=None: \
                self._connected.set()
            self.c.on_subscribe = lambda c, u, mid, q, p=None: \
                self._suback(mid)
        else:
            self.c.on_connect = lambda c, u, f, rc: self._connected.set()
            self.c.on_subscribe = lambda c, u, mid, q: self._suback(mid)

    def _suback(self, mid):
        with self._lock:
            self._subacks.setdefault(mid, threading.Event()).set()

    def connect(self):
        self.c.connect("127.0.0.1", self.broker.port, keepalive=30)
        self.c.loop_start()
        if not self._connected.wait(10):
            raise RuntimeError("no CONNACK")
        return self

    def subscribe(self, topic, qos=1):
        rc, mid = self.c.subscribe(topic, qos)
        if rc != mqtt.MQTT_ERR_SUCCESS:
            raise RuntimeError("subscribe failed: %d" % rc)
        with self._lock:
            ev = self._subacks.setdefault(mid, threading.Event())
        if not ev.wait(10):
            raise RuntimeError("no SUBACK")

    def close(self):
        try:
            self.c.disconnect()
        finally:
            self.c.loop_stop()


class Collector:
    """Thread-safe list of received items with a wait-for-count."""

    def __init__(self):
        self.items = []
        self.cond = threading.Condition()

    def add(self, item):
        with self.cond:
            self.items.append(item)
            self.cond.notify_all()

    def wait(self, n, timeout=30.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.items) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return list(self.items)

    def settle(self, quiet=0.5, timeout=10.0):
        """Wait until nothing new arrived for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while time.monotonic() < deadline:
                n = len(self.items)
                self.cond.wait(quiet)
                if len(self.items) == n:
                    break
            return list(self.items)


def write_keyring(path, keyring):
    """Save keyring text with mode 0600 (the library refuses others)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(keyring.to_string())
    return path


def tool(envvar, *fallback):
    """Path of a C program given by meson through env, else a build-dir
    guess; None when absent."""
    p = os.environ.get(envvar)
    if p:
        return p if os.access(p, os.X_OK) else None
    for d in sorted(os.listdir(ROOT)):
        if d.startswith("build"):
            cand = os.path.join(ROOT, d, *fallback)
            if os.access(cand, os.X_OK):
                return cand
    return None
