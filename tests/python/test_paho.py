"""mqttseal.paho.wrap through a private mosquitto, MQTT 3.1.1 and 5:
payloads (all byte values, empty, 1 MiB), callbacks, rejections (tampered,
replayed, wrong topic, plaintext, duplicate), wills, retained messages,
Payload Format Indicator, and that plaintext is never published."""

import os
import socket
import threading
import time
import unittest

import support
import mqttseal
import mqttseal.paho
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

R = mqttseal.Reason
PROTOCOLS = (("v311", mqtt.MQTTv311), ("v5", mqtt.MQTTv5))


def setUpModule():
    global BROKER, KR
    BROKER = support.Broker().start()
    KR = mqttseal.Keyring().generate(1)


def tearDownModule():
    BROKER.cleanup()
    KR.close()


class Endpoint:
    """A connected client, wrapped unless raw=True, recording what its
    callbacks see."""

    def __init__(self, protocol, raw=False, keyring=None, client_id="",
                 clean=True, wrap_kw=None, connect=True):
        self.client = support.Client(BROKER, protocol, client_id)
        c = self.client.c
        if protocol == mqtt.MQTTv311 and not clean:
            c._clean_session = False
        self.messages = support.Collector()
        self.rejects = support.Collector()
        self.ctx = None
        if not raw:
            self.ctx = mqttseal.Context(keyring or KR)
            mqttseal.paho.wrap(c, self.ctx, on_reject=self._on_reject,
                               **(wrap_kw or {}))
        c.on_message = lambda cl, u, m: self.messages.add(m)
        if connect:
            self.client.connect()

    @property
    def c(self):
        return self.client.c

    def _on_reject(self, client, userdata, topic, reason):
        self.rejects.add((topic, reason))

    def close(self):
        self.client.close()
        if self.ctx is not None:
            self.ctx.close()


class PahoCase(unittest.TestCase):
    protocol = mqtt.MQTTv311

    def ep(self, **kw):
        e = Endpoint(self.protocol, **kw)
        self.addCleanup(e.close)
        return e

    def topic(self, leaf=""):
        return "t/%s/%s/%s" % (self.id().rsplit(".", 1)[-1], self.protocol,
                               leaf or "x")

    def publish_all(self, ep, topic, payloads, qos=1):
        for p in payloads:
            info = ep.c.publish(topic, p, qos=qos)
            self.assertEqual(info.rc, mqtt.MQTT_ERR_SUCCESS)
            if qos:
                info.wait_for_publish(10)


class PayloadsMixin:
    def test_payloads_intact(self):
        payloads = [bytes(range(256)), b"", os.urandom(1 << 20),
                    b'{"temp": 21.5}', bytes(256 * 3)]
        t = self.topic()
        sub, pub, spy = self.ep(), self.ep(), self.ep(raw=True)
        sub.client.subscribe(t, 2)
        spy.client.subscribe(t, 2)
        for qos in (0, 1, 2):
            self.publish_all(pub, t, payloads, qos)
        n = 3 * len(payloads)
        got = sub.messages.wait(n, 60)
        self.assertEqual([m.payload for m in got], payloads * 3)
        self.assertEqual([m.qos for m in got],
                         [q for q in (0, 1, 2) for _ in payloads])
        for m in got:
            self.assertEqual(m.topic, t)
            self.assertIsInstance(m, mqtt.MQTTMessage)
            self.assertEqual(m.header.key_id, 1)
            self.assertEqual(m.header.session_id, pub.ctx.session_id)
        self.assertEqual([m.header.seq for m in got], list(range(n)))
        # the broker (and any plain subscriber) sees only envelopes
        raw = spy.messages.wait(n, 60)
        self.assertEqual(len(raw), n)
        for m, p in zip(raw, payloads * 3):
            self.assertGreaterEqual(len(m.payload),
                                    len(p) + mqttseal.sizes.OVERHEAD_MIN)
            self.assertLessEqual(len(m.payload), mqttseal.sizes.sealed_bytes(
                len(p)))
            self.assertEqual(mqttseal.parse_header(m.payload).payload_len,
                             len(p))
            if len(p) >= 16:
                self.assertNotIn(p[:16], m.payload)
        self.assertEqual(sub.rejects.items, [])

    def test_str_int_none_payloads_like_paho(self):
        t = self.topic()
        sub, pub = self.ep(), self.ep()
        sub.client.subscribe(t, 1)
        self.publish_all(pub, t, ["héllo", 42, 2.5, None])
        got = sub.messages.wait(4)
        self.assertEqual([m.payload for m in got],
                         ["héllo".encode(), b"42", b"2.5", b""])

    def test_callbacks_set_after_wrap(self):
        base = self.topic("")[:-1]
        sub, pub = self.ep(), self.ep()
        filtered = support.Collector()
        sub.c.message_callback_add(base + "f/#",
                                   lambda c, u, m: filtered.add(m))
        late = support.Collector()
        sub.c.on_message = lambda c, u, m: late.add(m)
        sub.client.subscribe(base + "#", 1)
        self.publish_all(pub, base + "f/1", [b"to-filter"])
        self.publish_all(pub, base + "o", [b"to-on-message"])
        self.assertEqual([m.payload for m in filtered.wait(1)],
                         [b"to-filter"])
        self.assertEqual([m.payload for m in late.wait(1)],
                         [b"to-on-message"])
        self.assertEqual(sub.messages.items, [])   # the first on_message

    def test_rejections_never_reach_callbacks(self):
        t = self.topic("r")
        other = self.topic("other")
        sub, pub = self.ep(), self.ep()
        raw = self.ep(raw=True)
        spy = self.ep(raw=True)
        filtered = support.Collector()
        sub.c.message_callback_add(other, lambda c, u, m: filtered.add(m))
        spy.client.subscribe(t, 1)
        sub.client.subscribe(t, 1)
        sub.client.subscribe(other, 1)
        self.publish_all(pub, t, [b"original"])
        env = spy.messages.wait(1)[0].payload
        self.assertEqual([m.payload for m in sub.messages.wait(1)],
                         [b"original"])
        tampered = bytearray(env)
        tampered[-20] ^= 0x04
        self.publish_all(raw, t, [bytes(tampered)])      # tampered
        self.publish_all(raw, t, [env])                  # replayed
        self.publish_all(raw, other, [env])              # wrong topic
        self.publish_all(raw, t, [b'{"plain": true}'])  # not sealed
        self.publish_all(raw, t, [env[:-1]])             # truncated
        self.publish_all(pub, t, [b"after"])             # ordering mark
        self.assertEqual([m.payload for m in sub.messages.wait(2)],
                         [b"original", b"after"])
        self.assertEqual(sub.rejects.wait(5), [
            (t, R.AUTH), (t, R.REPLAY), (other, R.AUTH),
            (t, R.NOT_SEALED), (t, R.MALFORMED)])
        self.assertEqual(filtered.settle(0.2), [])
        self.assertEqual(R.REPLAY, "replay")   # a str enum

    def test_publish_failure_sends_nothing(self):
        base = self.topic("")[:-1]
        with KR.derive(base + "ok/#") as dev:
            pub = self.ep(keyring=dev)
        spy = self.ep(raw=True)
        spy.client.subscribe(base + "#", 1)
        with self.assertRaises(mqttseal.NoGrantError):
            pub.c.publish(base + "denied", b"secret", qos=1)
        with self.assertRaises(mqttseal.TopicInvalidError):
            pub.c.publish(base + "+", b"secret")
        if self.protocol == mqtt.MQTTv5:
            with self.assertRaises(mqttseal.TopicEmptyError):
                pub.c.publish("", b"secret")
        pub.ctx.close()
        with self.assertRaises(mqttseal.ClosedError):
            pub.c.publish(base + "ok/1", b"secret")
        with self.assertRaises(TypeError):
            pub.c.publish(base + "ok/1", object())
        got = spy.messages.settle(0.5)
        self.assertEqual(got, [])

    def test_retained(self):
        t = self.topic("ret")
        pub = self.ep()
        info = pub.c.publish(t, b"last-known", qos=1, retain=True)
        info.wait_for_publish(10)
        sub = self.ep()
        sub.client.subscribe(t, 1)
        m = sub.messages.wait(1)[0]
        self.assertEqual((m.payload, bool(m.retain)), (b"last-known", True))
        self.assertTrue(m.header.sealed_retained)   # retain=True seals so
        pub.c.publish(t, b"", qos=1, retain=True).wait_for_publish(10)
        pub.c.publish(t, b"live", qos=1).wait_for_publish(10)
        m = sub.messages.wait(3)[2]
        self.assertEqual((m.payload, m.header.sealed_retained),
                         (b"live", False))
        raw = self.ep(raw=True)
        raw.c.publish(t, b"", qos=1, retain=True).wait_for_publish(10)

    def test_fleet_retained_max_age(self):
        """fleet=True; only the authenticated sealed-as-retained flag picks
        the retained maximum age: a live envelope re-published with RETAIN
        is held to the live maximum age."""
        t = self.topic("fleet")
        pub = self.ep(wrap_kw={"fleet": True})
        sub = self.ep(wrap_kw={"fleet": True})
        spy, raw = self.ep(raw=True), self.ep(raw=True)
        self.addCleanup(lambda: raw.c.publish(t, b"", qos=1, retain=True)
                        .wait_for_publish(10))
        spy.client.subscribe(t, 1)
        pub.c.publish(t, b"live", qos=1).wait_for_publish(10)
        pub.c.publish(t, b"state", qos=1, retain=True).wait_for_publish(10)
        live, state = [m.payload for m in spy.messages.wait(2)]
        self.assertFalse(mqttseal.parse_header(live).sealed_retained)
        self.assertTrue(mqttseal.parse_header(state).sealed_retained)
        # Receivers: live messages may be 1 ms old, retained ones a day.
        sub.ctx.set_freshness(1, 0, mqttseal.sizes.FLEET_RETAINED_MAX_AGE_MS)
        time.sleep(0.05)
        sub.client.subscribe(t, 1)     # the broker hands over "state"
        got = sub.messages.wait(1)
        self.assertEqual([(m.payload, bool(m.retain)) for m in got],
                         [(b"state", True)])
        raw.c.publish(t, live, qos=1, retain=True).wait_for_publish(10)
        self.assertEqual(sub.rejects.wait(1), [(t, mqttseal.Reason.STALE)])
        self.assertEqual(len(sub.messages.items), 1)

    def test_will_is_sealed(self):
        t = self.topic("will")
        t2 = self.topic("will2")
        sub, spy = self.ep(), self.ep(raw=True)
        sub.client.subscribe(t, 1)
        sub.client.subscribe(t2, 1)
        spy.client.subscribe(t, 1)
        with mqttseal.Context(KR) as wctx:
            # a will set before wrap() is sealed by wrap()
            dev = Endpoint(self.protocol, raw=True, connect=False)
            dev.c.will_set(t, b"gone", qos=1)
            dev.ctx = mqttseal.Context(KR)
            mqttseal.paho.wrap(dev.c, dev.ctx, will_context=wctx)
            dev.client.connect()
            # and one set after wrap() (on a second device)
            dev2 = Endpoint(self.protocol, connect=False)
            dev2.c.will_set(t2, b"gone2", qos=1)
            dev2.client.connect()
            for d in (dev, dev2):   # die without DISCONNECT
                d.c.socket().shutdown(socket.SHUT_RDWR)
                d.c.loop_stop()
            got = sub.messages.wait(2, 30)
            self.assertEqual(sorted(m.payload for m in got),
                             [b"gone", b"gone2"])
            raw = spy.messages.wait(1)[0].payload
            self.assertEqual(mqttseal.parse_header(raw).session_id,
                             wctx.session_id)
            dev.ctx.close()
            dev2.ctx.close()

    def test_unwrap(self):
        t = self.topic()
        pub, spy = self.ep(), self.ep(raw=True)
        spy.client.subscribe(t, 1)
        self.assertTrue(mqttseal.paho.is_wrapped(pub.c))
        with self.assertRaises(ValueError):
            mqttseal.paho.wrap(pub.c, pub.ctx)
        mqttseal.paho.unwrap(pub.c)
        self.assertFalse(mqttseal.paho.is_wrapped(pub.c))
        self.assertNotIn("publish", vars(pub.c))
        self.publish_all(pub, t, [b"plain again"])
        self.assertEqual(spy.messages.wait(1)[0].payload, b"plain again")


class V311Test(PahoCase, PayloadsMixin):
    protocol = mqtt.MQTTv311

    def test_qos1_redelivery_reaches_app_once(self):
        """The broker redelivers an unacknowledged QoS 1 message with DUP
        set after a reconnect; the app sees it once, on_reject gets
        'duplicate'."""
        t = self.topic()
        cid = "mqttseal-dup-%d" % os.getpid()
        sub = self.ep(client_id=cid, clean=False)
        sub.client.subscribe(t, 1)
        first = threading.Event()

        def on_message(c, u, m):
            sub.messages.add(m)
            if not first.is_set():
                first.set()
                # drop the connection before paho can send the PUBACK
                c.socket().shutdown(socket.SHUT_RDWR)
        sub.c.on_message = on_message
        sub.c.reconnect_delay_set(0.1, 0.5)
        pub = self.ep()
        self.publish_all(pub, t, [b"once"])
        rej = sub.rejects.wait(1, 30)
        self.assertEqual(rej, [(t, R.DUPLICATE)])
        self.assertEqual([m.payload for m in sub.messages.settle(0.3)],
                         [b"once"])

    def test_duplicate_vs_replay_reasons(self):
        """Without a broker: the same envelope delivered again is
        'duplicate' when flagged DUP and 'replay' when not."""
        c = mqtt.Client()
        got, rej = [], []
        with mqttseal.Context(KR) as tx, mqttseal.Context(KR) as rx:
            mqttseal.paho.wrap(c, rx, on_reject=lambda *a: rej.append(a[2:]))
            c.on_message = lambda cl, u, m: got.append(m.payload)
            env = tx.seal("a/b", b"p")
            for dup in (0, 1, 0):
                m = mqtt.MQTTMessage(1, b"a/b")
                m.payload, m.dup, m.qos = env, dup, 1
                c._handle_on_message(m)
        self.assertEqual(got, [b"p"])
        self.assertEqual(rej, [("a/b", R.DUPLICATE), ("a/b", R.REPLAY)])


class V5Test(PahoCase, PayloadsMixin):
    protocol = mqtt.MQTTv5

    def test_payload_format_indicator_never_1(self):
        t = self.topic()
        pub, spy, sub = self.ep(), self.ep(raw=True), self.ep()
        spy.client.subscribe(t, 1)
        sub.client.subscribe(t, 1)
        props = Properties(PacketTypes.PUBLISH)
        props.PayloadFormatIndicator = 1
        props.ContentType = "application/json"
        props.UserProperty = ("k", "v")
        self.publish_all(pub, t, [b'{"a": 1}'])
        pub.c.publish(t, b'{"a": 2}', qos=1,
                      properties=props).wait_for_publish(10)
        self.assertEqual(props.PayloadFormatIndicator, 1)  # caller's intact
        raw = spy.messages.wait(2)
        for m in raw:
            self.assertNotEqual(
                getattr(m.properties, "PayloadFormatIndicator", 0), 1)
        self.assertEqual(raw[1].properties.ContentType, "application/json")
        self.assertEqual(raw[1].properties.UserProperty, [("k", "v")])
        got = sub.messages.wait(2)
        self.assertEqual([m.payload for m in got], [b'{"a": 1}',
                                                    b'{"a": 2}'])
        self.assertEqual(got[1].properties.ContentType, "application/json")


del PahoCase

if __name__ == "__main__":
    unittest.main()
