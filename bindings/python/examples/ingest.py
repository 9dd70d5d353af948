#!/usr/bin/python3
"""Sealed MQTT ingest: subscribe, open, and write readings to stdout as
JSON lines, the shape of a real ingest service.

    ingest.py -k reader.keyring -h 127.0.0.1 -p 1883 -t 'site/#'

One line per accepted message:

    {"topic": "site/a/temp", "received": "2025-01-01T12:00:00.123Z",
     "qos": 1, "retain": false, "key_id": 1, "seq": 7,
     "sent": "2025-01-01T12:00:00.101Z",      (when the sender stamps)
     "payload": {"temp": 21.5}}                (JSON payloads)
     "payload_base64": "AAEC..."               (anything else, instead)

Rejected messages (tampered, replayed, stale, wrong topic, not sealed,
no key) never reach stdout; each is reported on stderr as a JSON line with
"rejected": reason.

Freshness: the fleet defaults (senders stamp every message): a live
message older than --max-age-ms (5 min) is refused, and so is one sealed
as retained (publisher's authenticated flag) older than
--retained-max-age-ms (1 day). The RETAIN bit of a delivery exempts
nothing.

With --state FILE the replay state is loaded at start, saved from the main
thread every --checkpoint-every-s seconds and every --checkpoint-every-n
accepted messages (whichever comes first; network I/O goes on meanwhile),
and saved at exit. Each save is reported on stderr as {"checkpoint": FILE,
"accepted": N}. After a crash (kill -9, power loss) a restarted ingest
still refuses every message accepted before the last checkpoint; those
accepted after it are refused only once older than the maximum age.
"""

import argparse
import base64
import datetime
import json
import os
import signal
import sys
import threading
import time

import paho.mqtt.client as mqtt

try:
    import mqttseal
except ImportError:   # running from a source checkout
    sys.path.insert(0, os.path.join(os.path.dirname(
        os.path.abspath(__file__)), ".."))
    import mqttseal
import mqttseal.paho


def iso(t):
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).isoformat(timespec="milliseconds") \
        .replace("+00:00", "Z")


def now():
    return datetime.datetime.now(datetime.timezone.utc).timestamp()


def record(msg, received):
    """The JSON object for one opened message (a mqttseal.paho
    SealedMessage: plaintext payload plus the envelope header)."""
    h = msg.header
    out = {"topic": msg.topic, "received": iso(received),
           "qos": msg.qos, "retain": bool(msg.retain),
           "key_id": h.key_id, "seq": h.seq}
    if h.timestamp_ms is not None:
        out["sent"] = iso(h.timestamp_ms / 1000)
    try:
        out["payload"] = json.loads(msg.payload.decode("utf-8"))
    except ValueError:   # not UTF-8 or not JSON
        out["payload_base64"] = base64.b64encode(msg.payload).decode()
    return out


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Sealed MQTT subscriber writing JSON lines.",
        add_help=False)
    p.add_argument("--help", action="help")
    p.add_argument("-k", "--keyring", required=True,
                   help="keyring file (mode 0600)")
    p.add_argument("-t", "--topic", action="append", required=True,
                   help="topic filter (repeatable)")
    p.add_argument("-h", "--host", default="127.0.0.1")
    p.add_argument("-p", "--port", type=int, default=1883)
    p.add_argument("-b", "--broker", metavar="URI",
                   help="tcp://host:port (overrides -h/-p)")
    p.add_argument("-q", "--qos", type=int, default=1, choices=(0, 1, 2))
    p.add_argument("-i", "--id", default="", help="client id")
    p.add_argument("-c", "--persistent", action="store_true",
                   help="persistent session (MQTT 3.1.1 clean session off)")
    p.add_argument("-V", "--protocol", default="mqttv311",
                   choices=("mqttv311", "mqttv5", "311", "5"))
    p.add_argument("-C", "--count", type=int, default=0,
                   help="exit after this many accepted messages")
    p.add_argument("--state", metavar="FILE",
                   help="replay state file: loaded at start, saved "
                        "periodically and at exit")
    p.add_argument("--checkpoint-every-s", type=float, default=5.0,
                   metavar="S", help="save the state at least this often "
                                     "while messages arrive (default 5)")
    p.add_argument("--checkpoint-every-n", type=int, default=100,
                   metavar="N", help="and after this many accepted "
                                     "messages (default 100)")
    p.add_argument("--max-age-ms", type=int,
                   default=mqttseal.sizes.FLEET_MAX_AGE_MS,
                   help="reject messages older than this; 0 = off "
                        "(default: fleet, 300000)")
    p.add_argument("--retained-max-age-ms", type=int,
                   default=mqttseal.sizes.FLEET_RETAINED_MAX_AGE_MS,
                   help="the same for messages sealed as retained; 0 = "
                        "no exemption (default: fleet, 86400000)")
    p.add_argument("--skew-ms", type=int, default=0,
                   help="tolerated clock skew into the future (0 = the "
                        "library default, 30000)")
    a = p.parse_args(argv)
    if a.broker:
        rest = a.broker.split("://", 1)[-1]
        host, _, port = rest.rpartition(":")
        a.host, a.port = (host or rest), int(port or 1883)
    return a


class Checkpoints:
    """Saves the replay state from the main thread: every every_s seconds
    while there is something new, and as soon as every_n messages were
    accepted since the last save. on_message (paho's thread) only counts
    and wakes the main thread; nothing is held during the write (the C
    library copies the state under its lock and writes outside it)."""

    def __init__(self, ctx, path, every_s, every_n):
        self.ctx, self.path = ctx, path
        self.every_s, self.every_n = max(every_s, 0.01), max(every_n, 1)
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.accepted = 0       # accepted messages, in total
        self.saved = 0          # accepted when the last save began
        self.last = time.monotonic()

    def note_accepted(self):
        with self.lock:
            self.accepted += 1
            due = self.accepted - self.saved >= self.every_n
        if due:
            self.wake.set()

    def wait(self):
        """Sleep until the next save is due (or woken)."""
        left = self.every_s - (time.monotonic() - self.last)
        self.wake.wait(max(left, 0))
        self.wake.clear()

    def maybe_save(self):
        with self.lock:
            pending = self.accepted - self.saved
            due = pending >= self.every_n or (
                pending and time.monotonic() - self.last >= self.every_s)
        if due:
            self.save()

    def save(self):
        with self.lock:
            n = self.accepted
        if self.path is None:
            return
        self.ctx.save_replay(self.path)   # no Python lock held
        with self.lock:
            self.saved, self.last = n, time.monotonic()
        print(json.dumps({"checkpoint": self.path, "accepted": n}),
              file=sys.stderr, flush=True)


def main(argv=None):
    a = parse_args(argv)
    v5 = a.protocol in ("mqttv5", "5")
    ctx = mqttseal.Context.from_file(a.keyring)
    ctx.use_fleet_defaults()
    ctx.set_freshness(a.max_age_ms, a.skew_ms, a.retained_max_age_ms)
    if a.state and os.path.exists(a.state):
        ctx.load_replay(a.state)   # a damaged or foreign file: refuse to run
    cp = Checkpoints(ctx, a.state, a.checkpoint_every_s,
                     a.checkpoint_every_n)
    done = threading.Event()

    client = mqtt.Client(client_id=a.id,
                         protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
                         clean_session=None if v5 else not a.persistent)
    accepted = [0]

    def on_connect(c, userdata, flags, rc, props=None):
        if rc != 0:
            print(json.dumps({"error": "connect refused", "rc": str(rc)}),
                  file=sys.stderr, flush=True)
            return
        c.subscribe([(t, a.qos) for t in a.topic])

    def on_subscribe(c, userdata, mid, granted, props=None):
        print(json.dumps({"subscribed": a.topic}), file=sys.stderr,
              flush=True)

    def on_message(c, userdata, msg):
        line = json.dumps(record(msg, now()), ensure_ascii=False)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        cp.note_accepted()
        accepted[0] += 1
        if a.count and accepted[0] >= a.count:
            c.disconnect()   # from paho's thread: no further deliveries
            stop()

    def on_reject(c, userdata, topic, reason):
        if isinstance(topic, bytes):
            topic = topic.decode("utf-8", "replace")
        print(json.dumps({"rejected": str(reason), "topic": topic,
                          "received": iso(now())}),
              file=sys.stderr, flush=True)

    def stop(*_):
        done.set()
        cp.wake.set()

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    mqttseal.paho.wrap(client, ctx, on_reject=on_reject)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    try:
        client.connect(a.host, a.port, keepalive=30)
        client.loop_start()    # network and callbacks on paho's thread
        while not done.is_set():
            cp.wait()
            cp.maybe_save()
        client.disconnect()
        client.loop_stop()
    finally:
        cp.save()
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
