"""Every error code the binding can trigger raises its own class, carrying
.code and the library's message; the taxonomy groups them."""

import os
import re
import stat
import tempfile
import time
import unittest

import support
import mqttseal
from mqttseal import errors, sizes

import reference

TOPIC = "site/a/temp"
GOOD_LINE = "key 1 # " + "A" * 43 + "="


def keyring(*ids, primary=None):
    kr = mqttseal.Keyring()
    for k in ids:
        kr.generate(k)
    if primary is not None:
        kr.set_primary(primary)
    return kr


class ErrorTestCase(unittest.TestCase):
    def assertRaisesCode(self, cls, fn, *args, **kw):
        """fn raises exactly cls, with its code and the library message."""
        with self.assertRaises(mqttseal.MqttsealError) as cm:
            fn(*args, **kw)
        e = cm.exception
        self.assertIs(type(e), cls, "%s: %s" % (type(e).__name__, e))
        self.assertEqual(e.code, cls.code)
        self.assertEqual(e.message, errors.strerror(cls.code))
        self.assertTrue(str(e).startswith(e.message))
        return e

    def setUp(self):
        self.kr = keyring(1)
        self.ctx = mqttseal.Context(self.kr)
        self.env = self.ctx.seal(TOPIC, b"x" * 16)

    def tearDown(self):
        self.ctx.close()
        self.kr.close()

    def rx(self, **kw):
        return mqttseal.Context(self.kr, **kw)


class TaxonomyTest(ErrorTestCase):
    def test_one_class_per_code(self):
        with open(support.HEADER_FILE, encoding="utf-8") as f:
            codes = {int(c) for c in re.findall(
                r"MQTTSEAL_E_\w+\s*=\s*(\d+)", f.read())}
        self.assertEqual(len(codes), 47)
        self.assertEqual(max(codes) + 1, sizes.ERR_COUNT)
        classes = {errors.error_class(c) for c in codes}
        self.assertEqual(len(classes), len(codes))
        for c in codes:
            cls = errors.error_class(c)
            self.assertEqual(cls.code, c)
            self.assertTrue(issubclass(cls, mqttseal.MqttsealError))
            self.assertTrue(hasattr(mqttseal, cls.__name__))
            self.assertNotEqual(errors.strerror(c), "")
        self.assertIs(errors.error_class(9999), mqttseal.MqttsealError)

    def test_groups(self):
        E = mqttseal
        for cls, group in ((E.AuthenticationError, E.RejectedError),
                           (E.ReplayError, E.ReplayRejectedError),
                           (E.TooOldError, E.ReplayRejectedError),
                           (E.TruncatedError, E.MalformedError),
                           (E.NotSealedError, E.EnvelopeError),
                           (E.NoGrantError, E.KeyAccessError),
                           (E.StaleError, E.FreshnessError),
                           (E.KeyringSyntaxError, E.KeyringError),
                           (E.FilterPlusError, E.FilterError),
                           (E.TopicEmptyError, E.TopicError),
                           (E.FileIOError, E.ResourceError),
                           (E.InvalidArgumentError, E.UsageError)):
            self.assertTrue(issubclass(cls, group), cls)
        self.assertFalse(issubclass(E.NotSealedError, E.MalformedError))
        self.assertFalse(issubclass(E.KeyringSyntaxError, E.RejectedError))


class KeyringErrorsTest(ErrorTestCase):
    def test_syntax_error_names_line(self):
        text = "# comment\nmqttseal-keyring 1\n\nkey 1 # not-base64!\n"
        e = self.assertRaisesCode(mqttseal.KeyringSyntaxError,
                                  mqttseal.Keyring.from_string, text)
        self.assertEqual(e.line, 4)
        self.assertIn("line 4", str(e))

    def test_syntax_error_missing_magic(self):
        e = self.assertRaisesCode(mqttseal.KeyringSyntaxError,
                                  mqttseal.Keyring.from_string,
                                  GOOD_LINE + "\n")
        self.assertEqual(e.line, 1)

    def test_duplicate_key(self):
        text = "mqttseal-keyring 1\n%s\n%s\n" % (GOOD_LINE, GOOD_LINE)
        e = self.assertRaisesCode(mqttseal.DuplicateKeyError,
                                  mqttseal.Keyring.from_string, text)
        self.assertIn("3", str(e))
        self.assertRaisesCode(mqttseal.DuplicateKeyError, self.kr.generate, 1)

    def test_filter_plus(self):
        self.assertRaisesCode(mqttseal.FilterPlusError,
                              mqttseal.Keyring().grant, self.kr, 1, "a/+/b")
        self.assertRaisesCode(mqttseal.FilterPlusError,
                              mqttseal.filter_check, "a/+")

    def test_filter_invalid(self):
        self.assertRaisesCode(mqttseal.FilterInvalidError,
                              mqttseal.filter_check, "a/#/b")
        self.assertRaisesCode(mqttseal.FilterInvalidError,
                              mqttseal.filter_check, "")
        self.assertRaisesCode(mqttseal.FilterInvalidError,
                              mqttseal.Keyring().add, 1, "a#", bytes(32))

    def test_no_grant(self):
        with mqttseal.Keyring() as dev:
            dev.grant(self.kr, 1, "site/a/#")
            self.assertRaisesCode(mqttseal.NoGrantError,
                                  mqttseal.Keyring().grant, dev, 1, "site/b")
            dev.set_primary(1)
            with mqttseal.Context(dev) as ctx:
                self.assertRaisesCode(mqttseal.NoGrantError, ctx.seal,
                                      "site/b", b"")
                other = self.ctx.seal("site/b", b"")
                e = self.assertRaisesCode(mqttseal.NoGrantError, ctx.open,
                                          "site/b", other)
                self.assertEqual(e.reason, mqttseal.Reason.NO_GRANT)

    def test_unknown_key(self):
        self.assertRaisesCode(mqttseal.UnknownKeyError,
                              self.kr.set_primary, 77)
        self.assertRaisesCode(mqttseal.UnknownKeyError, self.kr.remove, 77)
        with keyring(2) as kr2, mqttseal.Context(kr2) as ctx:
            e = self.assertRaisesCode(mqttseal.UnknownKeyError, ctx.open,
                                      TOPIC, self.env)
            self.assertEqual(e.header.key_id, 1)

    def test_no_primary(self):
        with mqttseal.Keyring() as kr:
            kr.grant(self.kr, 1, "#")
            self.assertIsNone(kr.primary)
            with mqttseal.Context(kr) as ctx:
                self.assertRaisesCode(mqttseal.NoPrimaryError, ctx.seal,
                                      TOPIC, b"")
                self.assertEqual(ctx.open(TOPIC, self.env), b"x" * 16)

    def test_key_expired(self):
        with keyring(1) as kr:
            kr.set_expiry(1, int(time.time()) - 10)
            with mqttseal.Context(kr) as ctx:
                self.assertRaisesCode(mqttseal.KeyExpiredError, ctx.seal,
                                      TOPIC, b"")
            text = self.kr.to_string()
        with mqttseal.Keyring.from_string(text) as kr:
            kr.set_expiry(1, int(time.time()) - 10)
            with mqttseal.Context(kr) as ctx:
                self.assertRaisesCode(mqttseal.KeyExpiredError, ctx.open,
                                      TOPIC, self.env)

    def test_permissions_and_io(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "k")
            self.kr.save(p)
            self.assertEqual(stat.S_IMODE(os.stat(p).st_mode), 0o600)
            mqttseal.Keyring.from_file(p).close()
            os.chmod(p, 0o640)
            e = self.assertRaisesCode(mqttseal.KeyringPermissionsError,
                                      mqttseal.Keyring.from_file, p)
            self.assertIn("600", str(e))
            self.assertRaisesCode(mqttseal.KeyringPermissionsError,
                                  mqttseal.Context.from_file, p)
            missing = os.path.join(d, "missing")
            e = self.assertRaisesCode(mqttseal.FileIOError,
                                      mqttseal.Keyring.from_file, missing)
            self.assertIn(missing, str(e))
            self.assertRaisesCode(mqttseal.FileIOError,
                                  mqttseal.Context.from_file, missing)
            self.assertRaisesCode(mqttseal.FileIOError, self.kr.save,
                                  os.path.join(d, "no", "dir", "k"))


class UsageErrorsTest(ErrorTestCase):
    def test_invalid_argument(self):
        self.assertRaisesCode(mqttseal.InvalidArgumentError,
                              self.ctx.set_replay, True, 65, 10)
        self.assertRaisesCode(mqttseal.InvalidArgumentError,
                              self.ctx.set_replay, True,
                              sizes.REPLAY_WINDOW_MAX + 64, 10)
        self.assertRaisesCode(mqttseal.InvalidArgumentError,
                              self.kr.add, 5, "#", b"short")

    def test_topic_empty(self):
        self.assertRaisesCode(mqttseal.TopicEmptyError, self.ctx.seal, "",
                              b"")
        e = self.assertRaisesCode(mqttseal.TopicEmptyError, self.ctx.open,
                                  "", self.env)
        self.assertEqual(e.reason, mqttseal.Reason.TOPIC)

    def test_topic_invalid(self):
        for t in ("a/+", "a/#", "a\0b", "x" * 65536):
            with self.subTest(topic=t[:10]):
                self.assertRaisesCode(mqttseal.TopicInvalidError,
                                      self.ctx.seal, t, b"")
        self.assertRaisesCode(mqttseal.TopicInvalidError,
                              mqttseal.topic_check, "a/+/c")

    def test_payload_too_large(self):
        big = bytes(sizes.PLAINTEXT_MAX + 1)   # calloc'd, never touched
        self.assertRaisesCode(mqttseal.PayloadTooLargeError, self.ctx.seal,
                              TOPIC, big)

    def test_type_errors(self):
        with self.assertRaises(TypeError):
            self.ctx.seal(TOPIC, "text is not bytes")
        with self.assertRaises(TypeError):
            mqttseal.Context("not a keyring")
        with self.assertRaises(TypeError):
            mqttseal.Context(self.kr, no_such_option=1)


class EnvelopeErrorsTest(ErrorTestCase):
    def parse_and_open(self, cls, env):
        self.assertRaisesCode(cls, mqttseal.parse_header, env)
        e = self.assertRaisesCode(cls, self.ctx.open, TOPIC, env)
        self.assertEqual(e.reason, cls.reason)

    def test_not_sealed(self):
        self.parse_and_open(mqttseal.NotSealedError, b'{"t": 21.5}')
        self.assertEqual(mqttseal.NotSealedError.reason, "not_sealed")

    def test_truncated(self):
        self.parse_and_open(mqttseal.TruncatedError, b"")
        self.parse_and_open(mqttseal.TruncatedError, self.env[:-1])
        self.parse_and_open(mqttseal.TruncatedError, self.env[:10])

    def test_trailing(self):
        self.parse_and_open(mqttseal.TrailingDataError, self.env + b"\0")

    def test_version_suite_reserved(self):
        e = self.env
        self.parse_and_open(mqttseal.VersionError, b"\x91" + e[1:])
        self.parse_and_open(mqttseal.SuiteError, b"\x8a" + e[1:])
        # bit 1 is "sealed as retained", bit 2 "signed"; 3..7 are reserved
        for bit in range(3, 8):
            self.parse_and_open(mqttseal.ReservedFlagError,
                                e[:1] + bytes([e[1] | 1 << bit]) + e[2:])

    def test_varint(self):
        # key id 1 as the non-minimal "81 00"
        self.parse_and_open(mqttseal.VarintError,
                            self.env[:2] + b"\x81\x00" + self.env[3:])

    def test_oversize(self):
        h = (b"\x89\x00\x01" + bytes(12) + b"\x00" +
             reference.varint(sizes.MQTT_PAYLOAD_MAX - sizes.HEADER_MAX
                              - sizes.ABYTES + 1))
        self.parse_and_open(mqttseal.OversizeError, h + bytes(16))

    def test_malformed_reason(self):
        self.assertEqual(mqttseal.TruncatedError.reason,
                         mqttseal.Reason.MALFORMED)


class RejectionsTest(ErrorTestCase):
    def test_authentication(self):
        with self.rx() as rx:
            for i in range(len(self.env)):
                bad = bytearray(self.env)
                bad[i] ^= 0x01
                try:
                    rx.open(TOPIC, bytes(bad))
                except (mqttseal.AuthenticationError,
                        mqttseal.EnvelopeError, mqttseal.KeyAccessError,
                        mqttseal.ReplayRejectedError):
                    continue
                self.fail("flipped byte %d opened" % i)
            # the tag, the ciphertext and the sid/seq all authenticate
            bad = self.env[:-1] + bytes([self.env[-1] ^ 0x80])
            e = self.assertRaisesCode(mqttseal.AuthenticationError, rx.open,
                                      TOPIC, bad)
            self.assertEqual(e.reason, mqttseal.Reason.AUTH)
            self.assertRaisesCode(mqttseal.AuthenticationError, rx.open,
                                  "site/a/hum", self.env)
            self.assertEqual(rx.open(TOPIC, self.env), b"x" * 16)

    def test_replay_and_too_old(self):
        with self.rx() as rx:
            first = self.ctx.seal(TOPIC, b"0")
            rx.open(TOPIC, first)
            e = self.assertRaisesCode(mqttseal.ReplayError, rx.open, TOPIC,
                                      first)
            self.assertEqual(e.reason, mqttseal.Reason.REPLAY)
            for i in range(sizes.REPLAY_WINDOW_DEFAULT + 1):
                rx.open(TOPIC, self.ctx.seal(TOPIC, b"%d" % i))
            e = self.assertRaisesCode(mqttseal.TooOldError, rx.open, TOPIC,
                                      first)
            self.assertEqual(e.reason, mqttseal.Reason.TOO_OLD)
        with self.rx(replay=False) as rx:
            rx.open(TOPIC, first)
            rx.open(TOPIC, first)

    def test_session_lost(self):
        """FORMAT.md 9: with one tracked session and room for four
        remembered ones, the sixth sender drops one while it is not stale
        (no freshness here); an untracked session without a timestamp is
        then refused."""
        senders = [mqttseal.Context(self.kr) for _ in range(7)]
        try:
            with self.rx(replay_sessions=1, replay_capacity=4) as rx:
                for s in senders[:6]:
                    rx.open(TOPIC, s.seal(TOPIC, b"."))
                e = self.assertRaisesCode(mqttseal.SessionLostError, rx.open,
                                          TOPIC, senders[6].seal(TOPIC, b"."))
                self.assertEqual(e.reason, mqttseal.Reason.SESSION_LOST)
                self.assertEqual(rx.stats().replay_dropped, 1)
                senders[6].set_timestamps(True)
                # the mark is the dropped session's newest timestamp (none)
                rx.open(TOPIC, senders[6].seal(TOPIC, b"."))
        finally:
            for s in senders:
                s.close()

    def test_freshness(self):
        with self.rx(max_age_ms=60000, skew_ms=1000) as rx:
            e = self.assertRaisesCode(mqttseal.NoTimestampError, rx.open,
                                      TOPIC, self.ctx.seal(TOPIC, b""))
            self.assertEqual(e.reason, mqttseal.Reason.NO_TIMESTAMP)
            self.ctx.set_timestamps(True)
            env, h = rx.open_with_header(TOPIC, self.ctx.seal(TOPIC, b"t"))
            self.assertAlmostEqual(h.timestamp_ms / 1000, time.time(),
                                   delta=5)
        if not reference.have_nacl():
            return
        # Envelopes with chosen timestamps, sealed by the reference model
        # under the key the keyring grants for TOPIC.
        with mqttseal.Keyring() as one:
            one.grant(self.kr, 1, TOPIC)
            key = __import__("base64").b64decode(
                one.to_string().split()[-1])
        now = int(time.time() * 1000)
        t = TOPIC.encode()
        old = reference.seal(key, t, 1, os.urandom(12), 0, b"o",
                             ts=now - 120000)
        future = reference.seal(key, t, 1, os.urandom(12), 0, b"f",
                                ts=now + 120000)
        old_ret = reference.seal(key, t, 1, os.urandom(12), 0, b"r",
                                 ts=now - 120000, retained=True)
        ancient_ret = reference.seal(key, t, 1, os.urandom(12), 0, b"a",
                                     ts=now - 7200000, retained=True)
        future_ret = reference.seal(key, t, 1, os.urandom(12), 0, b"F",
                                    ts=now + 120000, retained=True)
        with self.rx(max_age_ms=60000, skew_ms=1000) as rx:
            e = self.assertRaisesCode(mqttseal.StaleError, rx.open, TOPIC,
                                      old)
            self.assertEqual(e.reason, mqttseal.Reason.STALE)
            # The RETAIN bit of a delivery exempts nothing, and without a
            # retained maximum age neither does the sealed-retained flag.
            self.assertRaisesCode(mqttseal.StaleError, rx.open, TOPIC, old,
                                  retained=True)
            self.assertRaisesCode(mqttseal.StaleError, rx.open, TOPIC,
                                  old_ret, retained=True)
            e = self.assertRaisesCode(mqttseal.FutureError, rx.open, TOPIC,
                                      future)
            self.assertEqual(e.reason, mqttseal.Reason.FUTURE)
        with self.rx(max_age_ms=60000, skew_ms=1000,
                     retained_max_age_ms=3600000) as rx:
            pt, h = rx.open_with_header(TOPIC, old_ret)
            self.assertEqual((pt, h.sealed_retained), (b"r", True))
            self.assertRaisesCode(mqttseal.StaleError, rx.open, TOPIC,
                                  ancient_ret, retained=True)
            self.assertRaisesCode(mqttseal.StaleError, rx.open, TOPIC, old,
                                  retained=True)
            self.assertRaisesCode(mqttseal.FutureError, rx.open, TOPIC,
                                  future_ret, retained=True)
            # The flag is authenticated: clearing or setting it breaks
            # the tag.
            self.assertRaisesCode(mqttseal.AuthenticationError, rx.open,
                                  TOPIC, old[:1] + bytes([old[1] | 2])
                                  + old[2:])
        # The future check applies with the age check off (default skew).
        with self.rx() as rx:
            self.assertRaisesCode(mqttseal.FutureError, rx.open, TOPIC,
                                  future)
            soon = reference.seal(key, t, 1, os.urandom(12), 0, b"s",
                                  ts=now + 5000)
            self.assertEqual(rx.open(TOPIC, soon), b"s")
            self.assertEqual(rx.stats().refused_by,
                             {mqttseal.FutureError.code: 1})

    def test_exempt_retained_removed(self):
        with self.assertRaisesRegex(TypeError, "exempt_retained was removed"):
            self.rx(max_age_ms=1000, exempt_retained=True)
        with self.rx() as rx:
            for call in (lambda: rx.set_freshness(1000, 0, True),
                         lambda: rx.set_freshness(1000,
                                                  exempt_retained=False)):
                with self.assertRaisesRegex(TypeError, "exempt_retained"):
                    call()

    def test_topic_depth(self):
        deep = "a/b/c/d"
        with self.rx() as tx:
            env = tx.seal(deep, b"x")
            tx.set_max_levels(3)
            e = self.assertRaisesCode(mqttseal.TopicDepthError, tx.seal,
                                      deep, b"x")
            self.assertEqual(e.reason, mqttseal.Reason.TOPIC)
            tx.seal("a/b/c", b"x")
        with self.rx(max_levels=3) as rx:
            self.assertRaisesCode(mqttseal.TopicDepthError, rx.open, deep,
                                  env)
            self.assertEqual(rx.stats().refused_by,
                             {mqttseal.TopicDepthError.code: 1})

    def test_file_owner_and_foreign_state(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "replay.state")
            with self.rx() as rx:
                rx.open(TOPIC, self.env)
                rx.save_replay(p)
            os.chmod(p, 0o620)   # group-writable: anyone there could reset it
            with self.rx() as rx:
                self.assertRaisesCode(mqttseal.FileOwnerError,
                                      rx.load_replay, p)
            os.chmod(p, 0o600)
            with self.rx() as rx:
                rx.load_replay(p)
                self.assertRaisesCode(mqttseal.ReplayError, rx.open, TOPIC,
                                      self.env)
            # A state file is authenticated with the keyring's keys: one
            # saved under another keyring with the same key id is refused.
            with keyring(1) as other, mqttseal.Context(other) as rx:
                self.assertRaisesCode(mqttseal.StateCorruptError,
                                      rx.load_replay, p)

    def test_state_corrupt(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "replay.state")
            with self.rx() as rx:
                rx.open(TOPIC, self.env)
                rx.save_replay(p)
            with open(p, "r+b") as f:
                f.seek(30)
                b = f.read(1)
                f.seek(30)
                f.write(bytes([b[0] ^ 1]))
            with self.rx() as rx:
                self.assertRaisesCode(mqttseal.StateCorruptError,
                                      rx.load_replay, p)
                self.assertRaisesCode(mqttseal.FileIOError, rx.load_replay,
                                      os.path.join(d, "missing"))


if __name__ == "__main__":
    unittest.main()
