"""Docs that cannot drift: the code blocks of README.md and docs/PORTING.md
are built and run as shown (suite 'docs').

- Every ```c block is compiled with -Wall -Wextra -Werror against this
  build and run: a complete program as it stands; a block of functions
  with a small main() of this file's that calls them. The blocks that
  talk to a broker run against a private mosquitto on 127.0.0.1.
- PORTING.md's ```diff blocks must be the real `diff -u` of the example
  files, byte for byte; README.md's (context trimmed) must hold exactly
  the real diff's changed lines, and context lines from it, in order.
- README.md's Python diff block runs before and after the change; after
  it, what the client publishes is sealed.

usage: check_docs.py SRC_ROOT MQTTSEAL_CLI LIBMQTTSEAL LIBMQTTSEAL_PAHO_C
                     LIBMQTTSEAL_PAHO_A
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time

SRC, CLI, LIB, LIBPAHO_C, LIBPAHO_A = sys.argv[1:6]
# The hooks library of each Paho flavour a block is linked with.
LIBPAHO = {"paho-mqtt3c": LIBPAHO_C, "paho-mqtt3a": LIBPAHO_A}
CC = os.environ.get("CC", "cc")
FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def blocks(path):
    """(language, text, line) of every fenced block of a Markdown file."""
    out, lang, buf, start = [], None, [], 0
    with open(os.path.join(SRC, path)) as f:
        for n, line in enumerate(f, 1):
            if lang is None and line.startswith("```"):
                lang, buf, start = line[3:].strip(), [], n
            elif lang is not None and line.rstrip("\n") == "```":
                out.append((lang, "".join(buf), "%s:%d" % (path, start)))
                lang = None
            elif lang is not None:
                buf.append(line)
    return out


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, timeout=60, **kw)


# ---- diffs -------------------------------------------------------------

def real_diff(a, b):
    r = run(["diff", "-u", "--label", a, "--label", b,
             os.path.join(SRC, a), os.path.join(SRC, b)])
    return r.stdout.decode()


def check_exact_diff(text, where):
    m = re.match(r"--- (\S+)\n\+\+\+ (\S+)\n", text)
    if not m:
        return fail("%s: a diff without ---/+++ file names" % where)
    real = real_diff(m.group(1), m.group(2))
    if real != text:
        import difflib
        fail("%s: not the real `diff -u %s %s`:\n%s" % (
            where, m.group(1), m.group(2), "".join(difflib.unified_diff(
                text.splitlines(True), real.splitlines(True), "shown",
                "real"))))


def check_trimmed_diff(text, where):
    pair = ("examples/plain_sub.c", "examples/sealed_sub.c") \
        if "setCallbacks" in text else \
        ("examples/plain_pub.c", "examples/sealed_pub.c")
    real = [l for l in real_diff(*pair).splitlines()[2:]
            if not l.startswith("@@")]
    shown = [l for l in text.splitlines() if not l.startswith("@@")]
    changed = lambda ls: [l for l in ls if l[:1] in "+-"]
    if changed(shown) != changed(real):
        fail("%s: its changed lines are not those of `diff -u %s %s`"
             % ((where,) + pair))
    i = 0
    for l in shown:   # every shown line, in the real diff's order
        while i < len(real) and real[i] != l:
            i += 1
        if i == len(real):
            return fail("%s: %r is not in the real diff (in this order)"
                        % (where, l))
        i += 1


# ---- a private broker ----------------------------------------------------

class Broker:
    def __enter__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="mqttseal-docs-")
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        conf = os.path.join(self.dir.name, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\n"
                    % self.port)
        self.proc = subprocess.Popen(["mosquitto", "-c", conf],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def __exit__(self, *a):
        self.proc.terminate()      # by its pid: the one we started
        self.proc.wait(10)
        self.dir.cleanup()


def capture(broker, topic):
    """A mosquitto_sub that prints one raw payload of topic."""
    p = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p",
                          str(broker.port), "-t", topic, "-C", "1", "-W",
                          "15", "-N"], stdout=subprocess.PIPE)
    time.sleep(0.5)
    return p


def opens(d, keyring, topic, raw, want):
    r = run([CLI, "open", "--keyring", keyring, "--topic", topic],
            input=raw, cwd=d)
    return r.returncode == 0 and r.stdout == want


# ---- C blocks ------------------------------------------------------------

PRELUDE = """#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <MQTTAsync.h>
#include <mqttseal/paho.h>

"""

MAINS = {
    "app_handle": """
int main(void)
{
    mqttseal_paho *ms = app_handle();
    mqttseal_paho_free(ms);
    puts("loaded");
    return 0;
}
""",
    "connect_with_sealed_will": """
static volatile int connected;
static void on_connect(void *ctx, MQTTAsync_successData *d)
{
    (void)ctx;
    (void)d;
    connected = 1;
}

int main(int argc, char **argv)
{
    MQTTAsync client;
    MQTTAsync_connectOptions conn = MQTTAsync_connectOptions_initializer;
    mqttseal_diag diag;
    mqttseal_paho *ms = mqttseal_paho_load("app.keyring", &diag);
    struct timespec tick = {0, 10000000};

    if (argc < 2 || ms == NULL ||
        MQTTAsync_create(&client, argv[1], "docs-will", 0, NULL) != 0)
        return 2;
    conn.onSuccess = on_connect;
    if (connect_with_sealed_will(ms, client, &conn) != MQTTASYNC_SUCCESS)
        return 3;
    for (int i = 0; i < 500 && !connected; i++)
        nanosleep(&tick, NULL);
    printf("%s\\n", connected ? "connected" : "not connected");
    fflush(stdout);
    _Exit(connected ? 0 : 4); /* no DISCONNECT: the broker sends the will */
}
""",
}


def compile_c(d, name, source, paho):
    c = os.path.join(d, name + ".c")
    exe = os.path.join(d, name)
    with open(c, "w") as f:
        f.write(source)
    libs = [LIB]
    rpath = {os.path.dirname(LIB)}
    if paho:
        libs = [LIBPAHO[paho], LIB, "-l" + paho]
        rpath.add(os.path.dirname(LIBPAHO[paho]))
    cmd = [CC, "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-Wall", "-Wextra",
           "-Werror", "-I", os.path.join(SRC, "include"), "-o", exe, c] + \
        libs + ["-Wl,-rpath," + ":".join(sorted(rpath))]
    r = run(cmd)
    if r.returncode != 0:
        fail("%s does not compile: %s" % (name, r.stderr.decode()))
        return None
    return exe


def keyrings(d, filt, out):
    run([CLI, "keygen", "root.keyring"], cwd=d)
    r = run([CLI, "grant", "--keyring", "root.keyring", "--out", out, filt],
            cwd=d)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.decode())


def bad_keyring(d, name):
    p = os.path.join(d, name)
    with open(p, "w") as f:
        f.write("mqttseal-keyring 1\nprimary 1\nbogus line\n")
    os.chmod(p, 0o600)


def check_c(text, where):
    with tempfile.TemporaryDirectory(prefix="mqttseal-docs-") as d:
        if "int main(" in text:                 # a complete program
            exe = compile_c(d, "block", text,
                            "paho-mqtt3c" if "paho.h" in text else None)
            if exe is None:
                return
            keyrings(d, "site/a/#", "device.keyring")
            r = run([exe], cwd=d)
            if r.returncode != 0 or r.stdout != b"21.5\n":
                fail("%s: exited %d: %r %r" % (where, r.returncode,
                                               r.stdout, r.stderr))
            bad_keyring(d, "device.keyring")
            r = run([exe], cwd=d)
            err = r.stderr.decode()
            if r.returncode != 1 or not err.startswith(
                    "device.keyring: line 3: ") or err.count("line 3") != 1:
                fail("%s: with a bad keyring: %d %r" % (where, r.returncode,
                                                        err))
            return
        name = next((n for n in MAINS if n + "(" in text), None)
        if name is None:
            return fail("%s: a C block this test does not know how to run"
                        % where)
        paho = "paho-mqtt3a" if "MQTTAsync" in text else "paho-mqtt3c"
        exe = compile_c(d, name, PRELUDE + text + MAINS[name], paho)
        if exe is None:
            return
        keyrings(d, "site/#", "app.keyring")
        if name == "app_handle":
            r = run([exe], cwd=d)
            if r.returncode != 0 or r.stdout != b"loaded\n":
                fail("%s: %d %r" % (where, r.returncode, r.stderr))
            bad_keyring(d, "app.keyring")
            r = run([exe], cwd=d)
            if r.returncode != 1 or not r.stderr.startswith(
                    b"app.keyring: line 3: "):
                fail("%s: with a bad keyring: %r" % (where, r.stderr))
            return
        with Broker() as b:
            sub = capture(b, "site/status")
            r = run([exe, "tcp://127.0.0.1:%d" % b.port], cwd=d)
            raw, _ = sub.communicate(timeout=20)
        if r.returncode != 0:
            return fail("%s: %d %r %r" % (where, r.returncode, r.stdout,
                                          r.stderr))
        if b"publisher went away" in raw or not opens(
                d, "app.keyring", "site/status", raw, b"publisher went away"):
            fail("%s: the will the broker published is not the sealed "
                 "one: %r" % (where, raw))


# ---- the Python diff block ----------------------------------------------

PY_AFTER = """
client.connect("127.0.0.1", %d)
client.loop_start()
client.publish("site/py", b"from python", qos=1).wait_for_publish()
client.loop_stop()
client.disconnect()
"""


def check_python_diff(text, where):
    before = "".join(l[1:] for l in text.splitlines(True) if l[:1] == " ")
    after = "".join(l[1:] for l in text.splitlines(True) if l[:1] in " +")
    env = dict(os.environ, MQTTSEAL_LIBRARY=LIB,
               PYTHONPATH=os.path.join(SRC, "bindings", "python"),
               PYTHONDONTWRITEBYTECODE="1")
    with tempfile.TemporaryDirectory(prefix="mqttseal-docs-") as d:
        keyrings(d, "site/#", "app.keyring")
        with Broker() as b:
            for code, sealed in ((before, False), (after, True)):
                sub = capture(b, "site/py")
                r = run(["/usr/bin/python3", "-c", code + PY_AFTER % b.port],
                        cwd=d, env=env)
                raw, _ = sub.communicate(timeout=20)
                if r.returncode != 0:
                    fail("%s: %r" % (where, r.stderr.decode()))
                elif sealed != opens(d, "app.keyring", "site/py", raw,
                                     b"from python") or \
                        sealed == (raw == b"from python"):
                    fail("%s (%s the change): published %r" % (
                        where, "after" if sealed else "before", raw))


def main():
    n = 0
    for path in ("README.md", "docs/PORTING.md"):
        for lang, text, where in blocks(path):
            if lang == "c":
                check_c(text, where)
            elif lang == "diff" and text.startswith("---"):
                check_exact_diff(text, where)
            elif lang == "diff" and "import" in text:
                check_python_diff(text, where)
            elif lang == "diff":
                check_trimmed_diff(text, where)
            else:
                continue
            n += 1
            print("checked %s (%s)" % (where, lang))
    if n < 8:
        fail("only %d code blocks found: the documents changed shape" % n)
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
