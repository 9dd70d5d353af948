#!/usr/bin/env python3
"""No key bytes in the mqttseal CLI's error output (issue 7, item 4).

    cli_secrets.py MQTTSEAL_PROGRAM

Makes a root keyring and a device keyring, then runs every error path of
every subcommand it can reach without a broker (pub and sub get a closed
loopback port) and checks that no stdout or stderr of a failing command
holds any key of those keyrings: in base64 (standard and URL-safe), in
hex (both cases), or any 8-character piece of those (16 for hex).
Commands that print a keyring on purpose (grant to stdout) succeed and
are not error paths; each command below must fail. A key typed as a
command-line argument is not tried: the CLI quotes bad arguments back,
and the user's own command line is not a secret it holds.
"""
import base64
import os
import re
import socket
import stat
import subprocess
import sys
import tempfile

CLI = sys.argv[1]


def run(args, stdin=b"", expect_fail=True):
    p = subprocess.run([CLI] + args, input=stdin, capture_output=True,
                       timeout=60)
    if expect_fail and p.returncode == 0:
        sys.exit(f"expected a failure: mqttseal {' '.join(args)}")
    return p


def keys_in(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return [base64.b64decode(m) for m in
            re.findall(r"^key \S+ \S+ (\S{44})", text, flags=re.M)]


def needles(keys):
    out = set()
    for k in keys:
        encs = [(base64.b64encode(k).decode(), 8),
                (base64.urlsafe_b64encode(k).decode().rstrip("="), 8),
                (k.hex(), 16), (k.hex().upper(), 16)]
        for enc, piece in encs:
            out.add(enc)
            out.update(enc[i:i + piece] for i in range(len(enc) - piece + 1))
    return out


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return str(port)


def main():
    d = tempfile.mkdtemp(prefix="mqttseal-cli-secrets-")
    root = os.path.join(d, "root.keyring")
    dev = os.path.join(d, "dev.keyring")
    run(["keygen", root], expect_fail=False)
    run(["grant", "--keyring", root, "--out", dev, "a/#", "x/y"],
        expect_fail=False)
    env = run(["seal", "--keyring", dev, "--topic", "a/b"], b"hello",
              expect_fail=False).stdout
    keys = keys_in(root) + keys_in(dev)
    assert len(keys) == 3, keys
    bad = needles(keys)

    # Keyrings that fail to load, each holding the root key.
    with open(root, encoding="utf-8") as f:
        good = f.read()
    key_line = [l for l in good.splitlines() if l.startswith("key ")][0]
    b64 = key_line.split()[3]
    broken = {
        "syntax": good.replace(key_line, key_line + " junk"),
        "swapped": good.replace(key_line, f"key 1 {b64} #"),
        "short-key": good.replace(b64, b64[:40]),
        "bad-char": good.replace(b64, b64[:20] + "*" + b64[21:]),
        "key-alone": good + b64 + "\n",
        "primary-key": good.replace("primary 1", f"primary {b64}"),
    }
    files = {}
    for name, text in broken.items():
        path = os.path.join(d, name + ".keyring")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, 0o600)
        files[name] = path
    perms = os.path.join(d, "perms.keyring")
    with open(perms, "w", encoding="utf-8") as f:
        f.write(good)
    os.chmod(perms, 0o644)
    files["perms"] = perms
    envfile = os.path.join(d, "msg.bin")
    with open(envfile, "wb") as f:
        f.write(env)
    tampered = bytearray(env)
    tampered[-1] ^= 1
    port = closed_port()
    net = ["-h", "127.0.0.1", "-p", port]

    calls = []
    for path in files.values():
        calls += [
            (["grant", "--keyring", path, "a/#"], b""),
            (["grant", "--list", path], b""),
            (["seal", "--keyring", path, "--topic", "a/b"], b"x"),
            (["open", "--keyring", path, "--topic", "a/b"], env),
            (["inspect", "--keyring", path, "--topic", "a/b", envfile], b""),
            (["rotate", "--keyring", path], b""),
            (["rotate", "--keyring", root, "--regenerate-only", path], b""),
            (["pub", "--keyring", path, "-t", "a/b", "-m", "x"] + net, b""),
            (["sub", "--keyring", path, "-t", "a/#", "-W", "1"] + net, b""),
        ]
    calls += [
        (["keygen", root], b""),                      # exists
        (["grant", "--keyring", dev, "b/#"], b""),     # not derivable
        (["grant", "--keyring", root, "a/+/c"], b""),
        (["grant", "--keyring", root, "--out", dev, "a/#"], b""),  # exists
        (["grant", "--keyring", root, "--id", "9", "a/#"], b""),
        (["seal", "--keyring", dev, "--topic", "b"], b"x"),
        (["seal", "--keyring", dev, "--topic", "a/+"], b"x"),
        (["open", "--keyring", dev, "--topic", "a/c"], env),
        (["open", "--keyring", dev, "--topic", "a/b"], bytes(tampered)),
        (["open", "--keyring", dev, "--topic", "a/b"], b"plain text"),
        (["open", "--keyring", dev, "--topic", "b"], env),
        (["inspect", "--keyring", dev, "--topic", "a/c", envfile], b""),
        (["inspect", "--hex"], b"zz"),
        (["inspect", "--base64"], b"!!"),
        (["inspect"], b"\x00\x01"),
        (["rotate", "--keyring", dev], b""),
        (["rotate", "--keyring", root, "--new-id", "1"], b""),
        (["pub", "--keyring", dev, "-t", "a/b", "-m", "x"] + net, b""),
        (["pub", "--keyring", dev, "-t", "b", "-m", "x"] + net, b""),
        (["sub", "--keyring", dev, "-t", "a/#", "-W", "1"] + net, b""),
        (["seal", "--keyring"], b""),
    ]
    for args, stdin in calls:
        p = run(args, stdin)
        out = (p.stdout + p.stderr).decode("utf-8", "replace")
        for n in bad:
            if n in out:
                sys.exit(f"mqttseal {' '.join(args)} printed key material "
                         f"'{n}':\n{out}")
    print(f"{len(calls)} failing CLI calls, no key material in their output")
    for name in os.listdir(d):
        os.unlink(os.path.join(d, name))
    os.rmdir(d)
    return 0


if __name__ == "__main__":
    sys.exit(main())
