"""Contexts: seal and open payloads, replay and freshness options.

A Context wraps an ``mqttseal_ctx *``: a copy of a keyring, a cache of
derived keys, one sealing session (a random 96-bit session id and a
sequence counter) and the receive-side replay state.

Threads: one Context may be used for seal() and open() from many threads
at once (the C context is thread-safe and ctypes releases the GIL during
each call); its setters may be called at any time. close() waits for calls
already running on other threads, then frees the C context exactly once;
any later call raises ClosedError.
"""

import collections
import ctypes
import os

from . import _lib, sizes
from ._handle import Handle, new_ptr
from .errors import (InvalidArgumentError, PayloadTooLargeError, check,
                     check_diag, make_error)
from .keyring import Keyring

_c = _lib.lib

OPEN_RETAINED = 0x1

Header = collections.namedtuple(
    "Header", "version suite flags key_id session_id seq timestamp_ms "
              "header_len payload_len")
Header.__doc__ = """Envelope header fields.

session_id is 12 bytes; timestamp_ms is Unix milliseconds or None when the
sender sent no timestamp; payload_len is the plaintext length."""


def _header(h):
    return Header(h.version, h.suite, h.flags, h.key_id, bytes(h.session_id),
                  h.seq, h.timestamp_ms if h.has_timestamp else None,
                  h.header_len, h.payload_len)


def _topic(topic):
    if isinstance(topic, str):
        return topic.encode("utf-8")
    if isinstance(topic, (bytes, bytearray, memoryview)):
        return bytes(topic)
    raise TypeError("topic must be str or bytes, not %s"
                    % type(topic).__name__)


def _data(data, what):
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError("%s must be bytes-like, not %s"
                    % (what, type(data).__name__))


def _u64(v, what):
    v = int(v)
    if not 0 <= v < 1 << 64:
        raise InvalidArgumentError(detail="%s out of range" % what)
    return v


def parse_header(envelope):
    """Parse and strictly check an envelope's header (no key needed,
    nothing authenticated). Raises the parse errors (NotSealedError,
    TruncatedError, ...)."""
    env = _data(envelope, "envelope")
    h = _lib.Header()
    check(_c.mqttseal_header_parse(ctypes.byref(h), env, len(env)))
    return _header(h)


def topic_check(topic):
    """Raise TopicEmptyError/TopicInvalidError unless topic may be sealed."""
    t = _topic(topic)
    check(_c.mqttseal_topic_check(t, len(t)))


def filter_check(filter):
    """Raise FilterInvalidError/FilterPlusError unless filter is a grant."""
    f = _topic(filter)
    check(_c.mqttseal_filter_check(f, len(f)))


class Context(Handle):
    """A sealing session plus the receiver's key cache and replay state.

    ``Context(keyring, **options)`` copies the keyring (close it whenever
    you like). Options, all optional, as the setters below:
    replay (bool), replay_window (bits), replay_sessions, timestamps (bool),
    max_age_ms, skew_ms, exempt_retained (bool), cache_size.
    """

    _free = staticmethod(_c.mqttseal_ctx_free)

    def __init__(self, keyring, **options):
        if not isinstance(keyring, Keyring):
            raise TypeError("keyring must be a mqttseal.Keyring "
                            "(or use Context.from_file)")
        with keyring._use() as kr:
            rc, out = new_ptr(_c.mqttseal_ctx_new, kr)
        check(rc)
        super().__init__(out.value)
        self._configure(options)

    @classmethod
    def from_file(cls, path, **options):
        """Load a keyring file and make a context over it."""
        p = os.fsencode(path)
        diag = _lib.Diag()
        rc, out = new_ptr(_c.mqttseal_ctx_from_file, p, ctypes.byref(diag))
        check_diag(rc, diag, os.fsdecode(p))
        self = cls.__new__(cls)
        Handle.__init__(self, out.value)
        self._configure(options)
        return self

    @classmethod
    def from_string(cls, text, **options):
        """Parse keyring text and make a context over it."""
        with Keyring.from_string(text) as kr:
            return cls(kr, **options)

    def _configure(self, o):
        try:
            if ("replay" in o or "replay_window" in o
                    or "replay_sessions" in o):
                self.set_replay(
                    o.pop("replay", True),
                    o.pop("replay_window", sizes.REPLAY_WINDOW_DEFAULT),
                    o.pop("replay_sessions", sizes.REPLAY_SESSIONS_DEFAULT))
            if "timestamps" in o:
                self.set_timestamps(o.pop("timestamps"))
            if "max_age_ms" in o or "skew_ms" in o or "exempt_retained" in o:
                self.set_freshness(o.pop("max_age_ms", 0),
                                   o.pop("skew_ms", 0),
                                   o.pop("exempt_retained", False))
            if "cache_size" in o:
                self.set_cache_size(o.pop("cache_size"))
            if o:
                raise TypeError("unknown Context option(s): %s"
                                % ", ".join(sorted(o)))
        except BaseException:
            self.close()
            raise

    # --- sealing and opening -----------------------------------------------

    def seal(self, topic, payload):
        """Seal payload (bytes-like) for topic (str or bytes) under the
        primary key id. Returns the envelope (bytes)."""
        t = _topic(topic)
        d = _data(payload, "payload")
        if len(d) > sizes.PLAINTEXT_MAX:
            raise PayloadTooLargeError(detail="%d bytes" % len(d))
        cap = _c.mqttseal_sealed_bytes(len(d))
        out = ctypes.create_string_buffer(cap)
        n = ctypes.c_size_t(0)
        with self._use() as p:
            rc = _c.mqttseal_seal(p, out, cap, ctypes.byref(n), t, len(t),
                                  d, len(d))
        check(rc)
        return ctypes.string_at(out, n.value)

    def open(self, topic, envelope, retained=False):
        """Verify and decrypt envelope for topic. retained: the message
        arrived as a retained message (see set_freshness). Returns the
        plaintext; raises a RejectedError subclass (AuthenticationError,
        ReplayError, ...) or a usage error. A raised error carries
        ``.header`` (a Header) when the header parsed, else None."""
        return self._open(topic, envelope, retained)[0]

    def open_with_header(self, topic, envelope, retained=False):
        """As open(), returning (plaintext, Header)."""
        return self._open(topic, envelope, retained)

    def _open(self, topic, envelope, retained):
        t = _topic(topic)
        env = _data(envelope, "envelope")
        cap = max(1, _c.mqttseal_opened_bytes(len(env)))
        out = ctypes.create_string_buffer(cap)
        n = ctypes.c_size_t(0)
        h = _lib.Header()
        with self._use() as p:
            rc = _c.mqttseal_open(p, out, cap, ctypes.byref(n), t, len(t),
                                  env, len(env),
                                  OPEN_RETAINED if retained else 0,
                                  ctypes.byref(h))
        if rc != 0:
            err = make_error(rc)
            err.header = _header(h) if h.version else None
            raise err
        try:
            return ctypes.string_at(out, n.value), _header(h)
        finally:
            _lib.wipe(out)

    # --- options ------------------------------------------------------------

    def set_replay(self, enabled=True,
                   window=sizes.REPLAY_WINDOW_DEFAULT,
                   max_sessions=sizes.REPLAY_SESSIONS_DEFAULT):
        """Replay protection: enabled=False accepts every authentic copy.
        window: bits, a multiple of 64 up to REPLAY_WINDOW_MAX. Changing
        window or max_sessions resets the replay state."""
        if int(window) < 0 or int(max_sessions) < 0:
            raise InvalidArgumentError(detail="negative replay setting")
        with self._use() as p:
            check(_c.mqttseal_ctx_set_replay(p, 1 if enabled else 0,
                                             int(window), int(max_sessions)))

    def set_timestamps(self, on=True):
        """Sealing side: carry a millisecond timestamp in each header."""
        with self._use() as p:
            check(_c.mqttseal_ctx_set_timestamps(p, 1 if on else 0))

    def set_freshness(self, max_age_ms, skew_ms=0, exempt_retained=False):
        """Opening side: reject messages older than max_age_ms (0 = no age
        check; StaleError), more than skew_ms in the future (FutureError),
        or without a timestamp when max_age_ms is set (NoTimestampError).
        exempt_retained: retained deliveries skip the age check."""
        with self._use() as p:
            check(_c.mqttseal_ctx_set_freshness(
                p, _u64(max_age_ms, "max_age_ms"), _u64(skew_ms, "skew_ms"),
                1 if exempt_retained else 0))

    def set_cache_size(self, entries):
        """Resize the derived-key cache (>= 1). Flushes it."""
        if int(entries) < 1:
            raise InvalidArgumentError(detail="cache size must be >= 1")
        with self._use() as p:
            check(_c.mqttseal_ctx_set_cache_size(p, int(entries)))

    def set_keyring(self, keyring):
        """Replace the keys (rotation at run time). The replay state and
        the sealing session are kept."""
        if not isinstance(keyring, Keyring):
            raise TypeError("keyring must be a mqttseal.Keyring")
        with self._use() as p, keyring._use() as kr:
            check(_c.mqttseal_ctx_set_keyring(p, kr))

    def save_replay(self, path):
        """Save the replay state atomically (mode 0600)."""
        p8 = os.fsencode(path)
        with self._use() as p:
            check(_c.mqttseal_ctx_save_replay(p, p8), os.fsdecode(p8))

    def load_replay(self, path):
        """Replace the replay state with one saved by save_replay()."""
        p8 = os.fsencode(path)
        with self._use() as p:
            check(_c.mqttseal_ctx_load_replay(p, p8), os.fsdecode(p8))

    @property
    def session_id(self):
        """This context's 12-byte sealing session id."""
        buf = (ctypes.c_ubyte * sizes.SESSIONIDBYTES)()
        with self._use() as p:
            _c.mqttseal_ctx_session_id(p, buf)
        return bytes(buf)

    def __repr__(self):
        if self.closed:
            return "<mqttseal.Context closed>"
        return "<mqttseal.Context session %s>" % self.session_id.hex()
