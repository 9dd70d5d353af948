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

Rejected messages (tampered, replayed, wrong topic, not sealed, no key)
never reach stdout; each is reported on stderr as a JSON line with
"rejected": reason. With --state FILE the replay state is loaded at start
and saved at exit, so a restarted ingest still refuses old messages.
"""

import argparse
import base64
import datetime
import json
import os
import signal
import sys

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
                   help="replay state file, loaded at start, saved at exit")
    p.add_argument("--max-age-ms", type=int, default=0,
                   help="reject messages older than this (needs sender "
                        "timestamps; retained messages are exempt)")
    a = p.parse_args(argv)
    if a.broker:
        rest = a.broker.split("://", 1)[-1]
        host, _, port = rest.rpartition(":")
        a.host, a.port = (host or rest), int(port or 1883)
    return a


def main(argv=None):
    a = parse_args(argv)
    v5 = a.protocol in ("mqttv5", "5")
    ctx = mqttseal.Context.from_file(a.keyring)
    if a.max_age_ms:
        ctx.set_freshness(a.max_age_ms, 5000, exempt_retained=True)
    if a.state and os.path.exists(a.state):
        ctx.load_replay(a.state)

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
        accepted[0] += 1
        if a.count and accepted[0] >= a.count:
            c.disconnect()

    def on_reject(c, userdata, topic, reason):
        if isinstance(topic, bytes):
            topic = topic.decode("utf-8", "replace")
        print(json.dumps({"rejected": str(reason), "topic": topic,
                          "received": iso(now())}),
              file=sys.stderr, flush=True)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    mqttseal.paho.wrap(client, ctx, on_reject=on_reject)

    def stop(signum, frame):
        client.disconnect()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    try:
        client.connect(a.host, a.port, keepalive=30)
        client.loop_forever()
    finally:
        if a.state:
            ctx.save_replay(a.state)
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
