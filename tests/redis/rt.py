"""Helpers for the redis suite's process tests: a private redis-server and
private mosquitto brokers on free 127.0.0.1 ports, stopped by their pid,
and `mqttseal sub` consumers. Only loopback is ever used."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

CLI = os.environ.get("MQTTSEAL_CLI", "mqttseal")
HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _answer(port, line=b"PING\r\n"):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(line)
            return s.recv(64)
    except OSError:
        return b""


def mkcerts(workdir):
    """Fresh test certificates (tests/redis/mkcerts.sh) in workdir/certs:
    ca, server (localhost, 127.0.0.1), client, rogue-ca, rogue-client."""
    d = os.path.join(workdir, "certs")
    subprocess.run(["sh", os.path.join(HERE, "mkcerts.sh"), d], check=True)
    return d


class Redis:
    """redis-server on 127.0.0.1; aof=True keeps state across restarts.
    certs (from mkcerts): TLS on a second port as well, client
    certificates required (tls_url gives a URL for it)."""

    def __init__(self, workdir, aof=False, extra="", certs=None):
        self.dir = os.path.join(workdir, "redis-%d" % free_port())
        os.makedirs(self.dir)
        self.port = free_port()
        self.proc = None
        self.certs = certs
        if certs:
            self.tls_port = free_port()
            extra += ("\ntls-port %d\ntls-cert-file %s/server.crt\n"
                      "tls-key-file %s/server.key\ntls-ca-cert-file "
                      "%s/ca.crt\ntls-auth-clients yes\n"
                      % (self.tls_port, certs, certs, certs))
        self.conf = os.path.join(self.dir, "redis.conf")
        with open(self.conf, "w") as f:
            f.write("bind 127.0.0.1\nport %d\nprotected-mode yes\n"
                    "dir %s\nsave \"\"\nappendonly %s\n"
                    "appendfsync always\ndaemonize no\n%s\n"
                    % (self.port, self.dir, "yes" if aof else "no", extra))
        self.url = "redis://127.0.0.1:%d" % self.port
        self.start()

    def tls_url(self, query="", client="client", ca="ca", userinfo=""):
        """rediss://[userinfo@]127.0.0.1:TLS_PORT/0?cacert=..&cert=..&key=..
        followed by &query."""
        c = self.certs
        return ("rediss://%s127.0.0.1:%d/0?cacert=%s/%s.crt&cert=%s/%s.crt"
                "&key=%s/%s.key%s" % (userinfo, self.tls_port, c, ca, c,
                                      client, c, client,
                                      "&" + query if query else ""))

    def start(self):
        exe = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.log = open(os.path.join(self.dir, "redis.out"), "ab")
        self.proc = subprocess.Popen([exe, self.conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        for _ in range(500):
            a = _answer(self.port)
            if a and not a.startswith(b"-LOADING"):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start (%s)" % self.dir)

    def command(self, *args):
        """One command in RESP; the raw reply (enough for tests)."""
        req = b"*%d\r\n" % len(args) + b"".join(
            b"$%d\r\n%s\r\n" % (len(a), a)
            for a in (x if isinstance(x, bytes) else str(x).encode()
                      for x in args))
        with socket.create_connection(("127.0.0.1", self.port), 2) as s:
            s.sendall(req)
            time.sleep(0.05)
            return s.recv(1 << 20)

    def stop(self, sig=signal.SIGTERM):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(20)
        self.proc = None
        if self.log:
            self.log.close()
            self.log = None


class Mosquitto:
    def __init__(self, workdir, extra=""):
        self.port = free_port()
        self.dir = os.path.join(workdir, "mosq-%d" % self.port)
        os.makedirs(self.dir)
        conf = os.path.join(self.dir, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\n"
                    "persistence false\nmax_queued_messages 0\n"
                    "max_inflight_messages 0\n%s\n" % (self.port, extra))
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.log = open(os.path.join(self.dir, "mosquitto.log"), "ab")
        self.proc = subprocess.Popen([exe, "-c", conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        for _ in range(250):
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("mosquitto did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        self.log.close()


class Sub:
    """`mqttseal sub -v` writing verified messages to a file."""

    def __init__(self, workdir, name, keyring, port, topic, extra=()):
        self.out_path = os.path.join(workdir, name + ".out")
        self.err_path = os.path.join(workdir, name + ".err")
        self.out = open(self.out_path, "ab")
        self.err = open(self.err_path, "ab")
        self.proc = subprocess.Popen(
            [CLI, "sub", "--keyring", keyring, "-h", "127.0.0.1", "-p",
             str(port), "-q", "1", "-v", "-t", topic, "-d"] + list(extra),
            stdout=self.out, stderr=self.err)
        deadline = time.time() + 10
        while time.time() < deadline:
            with open(self.err_path, "rb") as f:
                if b"subscribed to" in f.read():
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError("sub did not subscribe: %s"
                           % open(self.err_path, "rb").read()[-2000:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(20)
        self.out.close()
        self.err.close()

    def lines(self):
        with open(self.out_path, "rb") as f:
            return f.read().splitlines()

    def refused(self, reason):
        with open(self.err_path, "rb") as f:
            return sum(1 for ln in f.read().splitlines()
                       if ln.startswith(b"mqttseal: sub: rejected") and
                       reason.encode() in ln)


def keygen(workdir):
    path = os.path.join(workdir, "site.keyring")
    subprocess.run([CLI, "keygen", "--id", "1", path], check=True,
                   stdout=subprocess.DEVNULL)
    return path


def publish(keyring, port, topic, lines, extra=()):
    """Seal and publish one message per line (mqttseal pub -l, QoS 1)."""
    subprocess.run([CLI, "pub", "--keyring", keyring, "-h", "127.0.0.1",
                    "-p", str(port), "-q", "1", "-t", topic, "-l"]
                   + list(extra),
                   input=b"".join(ln + b"\n" for ln in lines), check=True)


def workdir():
    return tempfile.mkdtemp(prefix="mqttseal-redis-")


def wait_until(cond, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()
