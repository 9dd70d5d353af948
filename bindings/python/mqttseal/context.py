"""Contexts: seal and open payloads, replay and freshness options.

A Context wraps an ``mqttseal_ctx *``: a copy of a keyring, a cache of
derived keys, one sealing session (a random 96-bit session id and a
sequence counter) and the receive-side replay state.

Threads: one Context may be used for seal() and open() from many threads
at once (the C context is thread-safe and ctypes releases the GIL during
each call); its setters may be called at any time. close() waits for calls
already running on other threads, then frees the C context exactly once;
any later call raises ClosedError.

Fork: a sealing session never continues in a child process. The C library
detects fork() by itself (a new session id before the child's first seal);
on top of that, an os.register_at_fork hook marks every live Context so
that its first seal (or session_id) in the child starts a new session
with mqttseal_ctx_new_session(). The hook makes no C call in the child
itself: a parent thread may have held a context's lock at fork time, and
a child that never uses the context must not block on it.
"""

import collections
import ctypes
import os
import threading
import weakref

from . import _lib, sizes
from ._handle import Handle, new_ptr
from .errors import (InvalidArgumentError, PayloadTooLargeError, check,
                     check_diag, make_error)
from .keyring import Keyring

_c = _lib.lib

OPEN_RETAINED = 0x1    # informative only: the RETAIN bit exempts nothing
SEAL_RETAINED = 0x1    # seal(..., retained=True)

Header = collections.namedtuple(
    "Header", "version suite flags key_id session_id seq timestamp_ms "
              "header_len payload_len sealed_retained is_signed signer_id")
Header.__doc__ = """Envelope header fields.

session_id is 12 bytes; timestamp_ms is Unix milliseconds or None when the
sender sent no timestamp; payload_len is the plaintext length;
sealed_retained is True when the publisher sealed it as retained (an
authenticated header flag once open() accepted it; unauthenticated from
parse_header). is_signed: the flags say a signature is inside (once
open() accepted it: the signature verified against the trust list);
signer_id: the signer's 8-byte id after a successful open of a signed
envelope, else None (Context.signer_name(id) names it)."""

_STATS_FIELDS = ("sealed", "opened", "refused", "refused_by",
                 "sessions_new", "replay_tracked", "replay_remembered",
                 "replay_forgotten", "replay_dropped", "replay_bytes",
                 "cache_entries", "cache_bytes")
Stats = collections.namedtuple("Stats", _STATS_FIELDS)
Stats.__doc__ = """What a Context has done and holds (Context.stats()).

refused_by maps an error code to how many opens it refused (codes that
refused nothing are left out; mqttseal.error_class(code) names them).
replay_forgotten: sender sessions dropped once stale (no risk);
replay_dropped: dropped while fresh (each sets its key id's low-water
mark). *_bytes: memory of the replay tables and of the key cache."""


def _header(h):
    return Header(h.version, h.suite, h.flags, h.key_id, bytes(h.session_id),
                  h.seq, h.timestamp_ms if h.has_timestamp else None,
                  h.header_len, h.payload_len, bool(h.sealed_retained),
                  bool(h.is_signed),
                  bytes(h.signer_id) if any(h.signer_id) else None)


# --- fork safety --------------------------------------------------------------

_live = weakref.WeakSet()   # every Context not yet garbage-collected
_fork_gen = 0               # bumped in each child of os.fork()
_renew_after_fork = True    # tests turn it off to see the C library alone


def _after_fork_in_child():
    """Runs in the child of os.fork(), before any other Python code.

    Only the forking thread exists in the child: a Context's Python-side
    lock and busy count may reflect threads that are gone, so both start
    over. The new session itself is drawn on first use (see _renew)."""
    global _fork_gen
    if _renew_after_fork:
        _fork_gen += 1
    for ctx in list(_live):
        ctx._cond = threading.Condition(threading.Lock())
        ctx._busy = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


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


_EXEMPT_REMOVED = (
    "exempt_retained was removed: the RETAIN bit of a delivery is not "
    "authenticated (anyone who can publish can set it), so exempting it "
    "let any captured envelope be replayed as 'retained' forever. Seal "
    "retained messages with seal(..., retained=True) and give receivers "
    "retained_max_age_ms (0 = no exemption), or use fleet=True / "
    "use_fleet_defaults() (1 day).")


class Context(Handle):
    """A sealing session plus the receiver's key cache and replay state.

    ``Context(keyring, **options)`` copies the keyring (close it whenever
    you like). Options, all optional, as the setters below:
    fleet (bool: use_fleet_defaults(), applied first so the other options
    refine it), replay (bool), replay_window (bits), replay_sessions,
    replay_capacity, timestamps (bool), max_age_ms, skew_ms,
    retained_max_age_ms, max_levels, cache_size, signer (a Signer: every
    seal is signed), trust (a Trust: signed envelopes are checked
    against it, unsigned ones refused where it requires signatures).
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
        self._gen = _fork_gen
        _live.add(self)
        try:
            if "exempt_retained" in o:
                raise TypeError(_EXEMPT_REMOVED)
            fleet = o.pop("fleet", False)
            if fleet:
                self.use_fleet_defaults()
            if ("replay" in o or "replay_window" in o
                    or "replay_sessions" in o):
                self.set_replay(
                    o.pop("replay", True),
                    o.pop("replay_window", sizes.REPLAY_WINDOW_DEFAULT),
                    o.pop("replay_sessions", sizes.REPLAY_SESSIONS_DEFAULT))
            if "replay_capacity" in o:
                self.set_replay_capacity(o.pop("replay_capacity"))
            if "timestamps" in o:
                self.set_timestamps(o.pop("timestamps"))
            if ("max_age_ms" in o or "skew_ms" in o
                    or "retained_max_age_ms" in o):
                # Unset ones keep the fleet values when fleet=True.
                self.set_freshness(
                    o.pop("max_age_ms",
                          sizes.FLEET_MAX_AGE_MS if fleet else 0),
                    o.pop("skew_ms", 0),
                    o.pop("retained_max_age_ms",
                          sizes.FLEET_RETAINED_MAX_AGE_MS if fleet else 0))
            if "max_levels" in o:
                self.set_max_levels(o.pop("max_levels"))
            if "cache_size" in o:
                self.set_cache_size(o.pop("cache_size"))
            if "signer" in o:
                self.set_signer(o.pop("signer"))
            if "trust" in o:
                self.set_trust(o.pop("trust"))
            if o:
                raise TypeError("unknown Context option(s): %s"
                                % ", ".join(sorted(o)))
        except BaseException:
            self.close()
            raise

    # --- sealing and opening -----------------------------------------------

    def seal(self, topic, payload, retained=False):
        """Seal payload (bytes-like) for topic (str or bytes) under the
        primary key id. Returns the envelope (bytes).

        retained=True: the envelope is to be published as a retained
        message. Its header then says so (authenticated), and receivers
        apply their retained maximum age to it instead of the live one
        (set_freshness)."""
        t = _topic(topic)
        d = _data(payload, "payload")
        if len(d) > sizes.PLAINTEXT_MAX:
            raise PayloadTooLargeError(detail="%d bytes" % len(d))
        cap = _c.mqttseal_sealed_bytes(len(d))
        out = ctypes.create_string_buffer(cap)
        n = ctypes.c_size_t(0)
        with self._use() as p:
            self._renew(p)
            rc = _c.mqttseal_seal_ex(p, out, cap, ctypes.byref(n), t, len(t),
                                     d, len(d),
                                     SEAL_RETAINED if retained else 0)
        check(rc)
        return ctypes.string_at(out, n.value)

    def _renew(self, p):
        """First use in a child of fork(): start a new sealing session
        (the C library does this by itself as well)."""
        gen = _fork_gen
        if self._gen != gen:
            check(_c.mqttseal_ctx_new_session(p))
            self._gen = gen

    def open(self, topic, envelope, retained=False):
        """Verify and decrypt envelope for topic. retained: the message
        arrived with the RETAIN bit; informative only, it exempts nothing
        (the publisher's authenticated sealed-as-retained flag selects the
        retained maximum age, see set_freshness). Returns the
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
        window: bits, a multiple of 64 up to REPLAY_WINDOW_MAX.
        max_sessions: sender sessions tracked with a full window (the least
        recently seen is kept in compact form). Changing window or
        max_sessions carries the state over (never more permissive)."""
        if int(window) < 0 or int(max_sessions) < 0:
            raise InvalidArgumentError(detail="negative replay setting")
        with self._use() as p:
            check(_c.mqttseal_ctx_set_replay(p, 1 if enabled else 0,
                                             int(window), int(max_sessions)))

    def set_replay_capacity(self, remembered):
        """The most sender sessions remembered in compact form (default
        sizes.REPLAY_REMEMBER_DEFAULT; sizes.replay_remembered_bytes()
        each). With freshness on, a session is dropped before it is stale
        only when this is reached. Below max_sessions: InvalidArgumentError.
        """
        if int(remembered) < 0:
            raise InvalidArgumentError(detail="negative replay capacity")
        with self._use() as p:
            check(_c.mqttseal_ctx_set_replay_capacity(p, int(remembered)))

    def set_max_levels(self, levels):
        """Refuse topics with more than levels levels (1 to 65535, default
        sizes.LEVELS_DEFAULT) with TopicDepthError, on seal and open."""
        if not 0 <= int(levels) < 1 << 32:
            raise InvalidArgumentError(detail="levels out of range")
        with self._use() as p:
            check(_c.mqttseal_ctx_set_max_levels(p, int(levels)))

    def set_timestamps(self, on=True):
        """Sealing side: carry a millisecond timestamp in each header."""
        with self._use() as p:
            check(_c.mqttseal_ctx_set_timestamps(p, 1 if on else 0))

    def set_freshness(self, max_age_ms, skew_ms=0, retained_max_age_ms=0,
                      **removed):
        """Opening side freshness.

        max_age_ms: refuse messages older than this (StaleError), or
        without a timestamp (NoTimestampError); 0 = no age check.
        skew_ms: refuse messages stamped more than this in the future
        (FutureError), always, even with max_age_ms 0; 0 = the default
        (sizes.SKEW_DEFAULT_MS).
        retained_max_age_ms: applies instead of max_age_ms to messages the
        publisher sealed as retained (seal(..., retained=True), an
        authenticated flag); 0 = no exemption. The RETAIN bit of a
        delivery is never trusted."""
        if removed:
            if "exempt_retained" in removed:
                raise TypeError(_EXEMPT_REMOVED)
            raise TypeError("set_freshness() got unexpected keyword "
                            "argument(s): %s" % ", ".join(sorted(removed)))
        if isinstance(retained_max_age_ms, bool):
            # set_freshness(a, s, True) meant exempt_retained=True: it must
            # not silently become a 1 ms retained maximum age.
            raise TypeError(_EXEMPT_REMOVED)
        with self._use() as p:
            check(_c.mqttseal_ctx_set_freshness(
                p, _u64(max_age_ms, "max_age_ms"), _u64(skew_ms, "skew_ms"),
                _u64(retained_max_age_ms, "retained_max_age_ms")))

    def use_fleet_defaults(self):
        """The documented setting for fleets, on both sides: timestamps on;
        freshness with sizes.FLEET_MAX_AGE_MS (5 min), the default skew
        (30 s) and sizes.FLEET_RETAINED_MAX_AGE_MS (1 day). With it, replay
        memory is bounded by time (a session is forgotten once stale).
        Returns self."""
        with self._use() as p:
            check(_c.mqttseal_ctx_use_fleet_defaults(p))
        return self

    def new_session(self):
        """Start a new sealing session (fresh session id, sequence from 0).
        fork() is handled automatically; call this after a clone nothing
        can detect: a restored VM snapshot or container checkpoint (CRIU),
        before sealing again."""
        with self._use() as p:
            check(_c.mqttseal_ctx_new_session(p))
            self._gen = _fork_gen

    def stats(self):
        """Counters: a Stats namedtuple (sealed, opened, refused,
        refused_by {code: count}, sessions_new, replay_tracked,
        replay_remembered, replay_forgotten, replay_dropped, replay_bytes,
        cache_entries, cache_bytes)."""
        st = _lib.Stats()
        with self._use() as p:
            check(_c.mqttseal_ctx_stats(p, ctypes.byref(st)))
        vals = {f: getattr(st, f) for f in _STATS_FIELDS
                if f != "refused_by"}
        vals["refused_by"] = {c: n for c, n in enumerate(st.refused_by)
                              if n}
        return Stats(**vals)

    def set_cache_size(self, entries):
        """Resize the derived-key cache (>= 1). Flushes it."""
        if int(entries) < 1:
            raise InvalidArgumentError(detail="cache size must be >= 1")
        with self._use() as p:
            check(_c.mqttseal_ctx_set_cache_size(p, int(entries)))

    def set_signer(self, signer):
        """Sign every envelope sealed from now on with signer (a Signer,
        copied: close it whenever you like); None stops signing. A signed
        envelope is 72 bytes (sizes.SIGNED_OVERHEAD) larger."""
        from .signing import Signer
        if signer is not None and not isinstance(signer, Signer):
            raise TypeError("signer must be a mqttseal.Signer or None")
        with self._use() as p:
            if signer is None:
                check(_c.mqttseal_ctx_set_signer(p, None))
                return
            with signer._use() as sp:
                check(_c.mqttseal_ctx_set_signer(p, sp))

    def set_trust(self, trust):
        """Check signed envelopes against trust (a Trust, copied); None
        removes it (every signed envelope is then SignerUnknownError and
        nothing is required)."""
        from .signing import Trust
        if trust is not None and not isinstance(trust, Trust):
            raise TypeError("trust must be a mqttseal.Trust or None")
        with self._use() as p:
            if trust is None:
                check(_c.mqttseal_ctx_set_trust(p, None))
                return
            with trust._use() as tp:
                check(_c.mqttseal_ctx_set_trust(p, tp))

    def signer_name(self, signer_id):
        """The name this context's trust list gives signer_id (8 bytes,
        e.g. Header.signer_id), or None when it lists no such signer."""
        sid = _data(signer_id, "signer_id")
        if len(sid) != sizes.SIGNERIDBYTES:
            raise InvalidArgumentError(detail="signer_id must be %d bytes"
                                       % sizes.SIGNERIDBYTES)
        buf = ctypes.create_string_buffer(80)
        with self._use() as p:
            rc = _c.mqttseal_ctx_signer_name(p, sid, buf, len(buf))
        if rc == 38:
            return None
        check(rc)
        return buf.value.decode("utf-8")

    def set_keyring(self, keyring):
        """Replace the keys (rotation at run time). The replay state and
        the sealing session are kept."""
        if not isinstance(keyring, Keyring):
            raise TypeError("keyring must be a mqttseal.Keyring")
        with self._use() as p, keyring._use() as kr:
            check(_c.mqttseal_ctx_set_keyring(p, kr))

    def save_replay(self, path):
        """Save the replay state atomically (temp file, fsync, rename;
        mode 0600). The C library copies the state under its lock and
        writes outside it, so seal and open go on meanwhile. The file is
        authenticated with keys derived from this context's keyring."""
        p8 = os.fsencode(path)
        with self._use() as p:
            check(_c.mqttseal_ctx_save_replay(p, p8), os.fsdecode(p8))

    def load_replay(self, path):
        """Replace the replay state with one saved by save_replay().
        FileOwnerError: owned by another user or writable by group/others;
        StateCorruptError: damaged, or saved under another keyring."""
        p8 = os.fsencode(path)
        with self._use() as p:
            check(_c.mqttseal_ctx_load_replay(p, p8), os.fsdecode(p8))

    @property
    def session_id(self):
        """This context's 12-byte sealing session id."""
        buf = (ctypes.c_ubyte * sizes.SESSIONIDBYTES)()
        with self._use() as p:
            self._renew(p)
            _c.mqttseal_ctx_session_id(p, buf)
        return bytes(buf)

    def __repr__(self):
        if self.closed:
            return "<mqttseal.Context closed>"
        return "<mqttseal.Context session %s>" % self.session_id.hex()
