"""Replay state shared by a consumer group, in Redis (libmqttseal-redis).

    import mqttseal, mqttseal.redis
    ctx = mqttseal.Context.from_file("site.keyring", fleet=True)
    store = mqttseal.redis.attach(ctx, "redis://127.0.0.1:6379/0?prefix=site1")
    ...                         # ctx.open() now checks replays in Redis
    store.stats().too_old       # legitimate messages refused: widen window

Every consumer of a shared subscription ($share/GROUP/...) attaches its
context to the same Redis and prefix, so a replay is refused whichever
consumer it reaches. Semantics, URL syntax, the window (default 4096
bits), expiry and failure (Redis unreachable: open raises
ReplayBackendError, nothing is delivered) are those of
include/mqttseal/redis.h and README "Scaling out".

The library is found like libmqttseal (mqttseal._lib):
``MQTTSEAL_REDIS_LIBRARY`` (full path), else next to the loaded
libmqttseal (its build directory's ``redis/`` or the same directory),
else the system path. It must link the libmqttseal already loaded (the
dynamic linker reuses it by soname), so contexts can be shared.

Threads: a Store may be attached to several contexts used from any
thread; the C handle serialises its one Redis connection.
"""

import collections
import ctypes
import ctypes.util
import os

from . import _lib
from ._handle import Handle, new_ptr
from .errors import InvalidArgumentError, check, check_diag, make_error

__all__ = ["Store", "attach", "Stats", "library_path", "WINDOW_DEFAULT"]

WINDOW_DEFAULT = 4096   # MQTTSEAL_REDIS_WINDOW_DEFAULT


def _load():
    env = os.environ.get("MQTTSEAL_REDIS_LIBRARY")
    if env:
        cands = [env]
    else:
        d = os.path.dirname(_lib.path) if os.sep in _lib.path else ""
        cands = [os.path.join(d, sub, n) for sub in ("redis", "")
                 for n in ("libmqttseal-redis.so", "libmqttseal-redis.so.0")
                 if d]
        name = ctypes.util.find_library("mqttseal-redis")
        cands += ([name] if name else []) + ["libmqttseal-redis.so.0"]
    tried = []
    for cand in cands:
        if os.sep in cand and not os.path.exists(cand):
            tried.append("%s (not found)" % cand)
            continue
        try:
            return ctypes.CDLL(cand), cand
        except OSError as e:
            tried.append("%s (%s)" % (cand, e))
        if env:
            break
    raise ImportError(
        "mqttseal.redis: cannot load libmqttseal-redis. Set "
        "MQTTSEAL_REDIS_LIBRARY to its full path, or install it. Tried:\n  "
        + "\n  ".join(tried))


_c, _path = _load()


class _CStats(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in (
        "checks", "accepted", "replays", "too_old", "failures",
        "round_trips", "connects", "noscript")]


Stats = collections.namedtuple("Stats", [f[0] for f in _CStats._fields_])
Stats.__doc__ = """A Store's counters (mqttseal_redis_stats): checks made,
answered accepted / replays / too_old / failures (Redis unreachable or
erring: the message was refused), round_trips (one per check, plus one per
connect), connects, noscript (EVALSHA answered NOSCRIPT, then EVAL).
A non-zero too_old with no attacker about means the window is too small
for how far the group's consumers run out of step."""

_vp = ctypes.c_void_p
_c.mqttseal_redis_new_url.argtypes = [ctypes.POINTER(_vp), ctypes.c_char_p,
                                      ctypes.POINTER(_lib.Diag)]
_c.mqttseal_redis_new_url.restype = ctypes.c_int
_c.mqttseal_redis_free.argtypes = [_vp]
_c.mqttseal_redis_free.restype = None
_c.mqttseal_redis_attach.argtypes = [_vp, _vp]
_c.mqttseal_redis_attach.restype = ctypes.c_int
_c.mqttseal_redis_ping.argtypes = [_vp]
_c.mqttseal_redis_ping.restype = ctypes.c_int
_c.mqttseal_redis_last_error.argtypes = [_vp, ctypes.c_char_p,
                                         ctypes.c_size_t]
_c.mqttseal_redis_last_error.restype = None
_c.mqttseal_redis_get_stats.argtypes = [_vp, ctypes.POINTER(_CStats)]
_c.mqttseal_redis_get_stats.restype = None


def library_path():
    """Where the loaded libmqttseal-redis came from."""
    return _path


class Store(Handle):
    """A libmqttseal-redis handle (mqttseal_redis *) made from a URL:

        redis://[[USER]:PASSWORD@]HOST[:PORT][/DB][?PARAMS]
        unix://[[USER]:PASSWORD@]/PATH/TO/SOCKET[?db=DB&PARAMS]

    PARAMS: prefix, window, ttl, skew, retained_max_age, timeout, retry.
    A bad URL raises InvalidArgumentError naming what is wrong (never the
    password). Not connected until ping() or the first open. Contexts it
    is attached to keep their own reference: close() only drops ours.
    """

    _free = staticmethod(_c.mqttseal_redis_free)

    def __init__(self, url):
        if isinstance(url, str):
            url = url.encode("utf-8")
        if not isinstance(url, bytes):
            raise TypeError("url must be str or bytes")
        diag = _lib.Diag()
        rc, out = new_ptr(_c.mqttseal_redis_new_url, url, ctypes.byref(diag))
        check_diag(rc, diag, "Redis URL")
        super().__init__(out.value)

    def ping(self):
        """Connect (if not connected) and PING; raise ReplayBackendError
        with the server's or the socket's reason on failure."""
        with self._use() as p:
            rc = _c.mqttseal_redis_ping(p)
        if rc != 0:
            raise make_error(rc, self.last_error() or None)

    def attach(self, ctx):
        """Keep ctx's replay state in this store (the context takes its
        own reference: it stays attached after this Store is closed)."""
        with self._use() as p, ctx._use() as cp:
            check(_c.mqttseal_redis_attach(p, cp))

    def last_error(self):
        """The last connection or server error, '' if none."""
        buf = ctypes.create_string_buffer(256)
        with self._use() as p:
            _c.mqttseal_redis_last_error(p, buf, len(buf))
        return buf.value.decode("utf-8", "replace")

    def stats(self):
        """A snapshot of the counters (Stats)."""
        st = _CStats()
        with self._use() as p:
            _c.mqttseal_redis_get_stats(p, ctypes.byref(st))
        return Stats(*(getattr(st, f) for f in Stats._fields))


def attach(ctx, url, ping=True):
    """Make ctx (a mqttseal.Context) keep its replay state in the Redis
    named by url; return the Store (for stats(), last_error()). With
    ping (the default) an unreachable server or a wrong password raises
    ReplayBackendError now rather than at the first message."""
    if not hasattr(ctx, "_use"):
        raise InvalidArgumentError("ctx must be a mqttseal.Context")
    store = Store(url)
    try:
        if ping:
            store.ping()
        store.attach(ctx)
    except BaseException:
        store.close()
        raise
    return store
