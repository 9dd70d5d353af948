"""Finding libmqttseal and declaring its C prototypes (ctypes).

Lookup order (the first that loads wins):

1. ``MQTTSEAL_LIBRARY``: full path to ``libmqttseal.so`` (or ``.so.0``).
2. ``MQTTSEAL_BUILD_DIR``: a meson build directory (its ``src/`` or the
   directory itself).
3. The installed library: ``ctypes.util.find_library('mqttseal')``, then
   the dynamic linker's ``libmqttseal.so.0``.

When MQTTSEAL_LIBRARY or MQTTSEAL_BUILD_DIR is set, nothing else is tried:
a library named explicitly that does not load is an ImportError, never a
silent fall-back to some other copy. Without them only the installed
library is tried: build directories of the source tree are never searched
(the newest one may be a sanitizer build, see below).

A library built with AddressSanitizer (or another sanitizer needing its
runtime first) aborts an uninstrumented python3 when loaded, so one is
refused with an ImportError before it is loaded, unless that runtime is
already in the process (LD_PRELOAD). The ImportError lists every place
looked at and why each failed.

Nothing is compiled; only the standard library is used.
"""

import ctypes
import ctypes.util
import os

__all__ = ["lib", "path", "Header", "KeyInfo", "Diag", "Stats"]

_SONAMES = ("libmqttseal.so", "libmqttseal.so.0")
# Runtimes that must come first in the process (they abort otherwise).
_SANITIZER_RUNTIMES = (b"libasan.so", b"libtsan.so", b"libmsan.so",
                       b"libhwasan.so", b"libclang_rt.asan")


def _build_dir_candidates(build):
    for sub in ("src", ""):
        for name in _SONAMES:
            yield os.path.join(build, sub, name)


def _resolve(cand):
    """The file the dynamic linker would open for cand, if it can be found
    (a bare soname is looked up in the linker's cache and usual dirs)."""
    if os.sep in cand:
        return cand
    for d in (os.environ.get("LD_LIBRARY_PATH", "").split(":")
              + ["/usr/local/lib", "/usr/local/lib64",
                 "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib",
                 "/lib"]):
        if d and os.path.exists(os.path.join(d, cand)):
            return os.path.join(d, cand)
    return None


def _loaded_runtimes():
    try:
        with open("/proc/self/maps", "rb") as f:
            maps = f.read()
    except OSError:
        return b""
    return maps


def _sanitizer(cand):
    """The sanitizer runtime cand needs and this process lacks, or None."""
    real = _resolve(cand)
    if real is None:
        return None
    try:
        with open(real, "rb") as f:
            data = f.read()
    except OSError:
        return None
    maps = _loaded_runtimes()
    for rt in _SANITIZER_RUNTIMES:
        if rt in data and rt not in maps:
            return rt.decode()
    return None


def _try(cands, tried):
    for how, cand in cands:
        if os.sep in cand and not os.path.exists(cand):
            tried.append("%s: %s (not found)" % (how, cand))
            continue
        rt = _sanitizer(cand)
        if rt is not None:
            tried.append("%s: %s (a sanitizer build: it needs %s loaded "
                         "first and would abort python; not loaded)"
                         % (how, cand, rt))
            continue
        try:
            return ctypes.CDLL(cand), cand
        except OSError as e:
            tried.append("%s: %s (%s)" % (how, cand, e))
    return None


def _fail(tried, why):
    raise ImportError(
        "mqttseal: cannot load libmqttseal (%s). Install the library "
        "(meson install), or set MQTTSEAL_LIBRARY to the full path of "
        "libmqttseal.so, or MQTTSEAL_BUILD_DIR to a meson build directory "
        "(not a sanitizer build). Looked in:\n  %s"
        % (why, "\n  ".join(tried)))


def _load():
    """An explicit MQTTSEAL_LIBRARY or MQTTSEAL_BUILD_DIR that does not load
    is an error: silently falling back to another copy would hide it."""
    tried = []
    env = os.environ.get("MQTTSEAL_LIBRARY")
    if env:
        return (_try([("MQTTSEAL_LIBRARY", env)], tried)
                or _fail(tried, "MQTTSEAL_LIBRARY does not load"))
    build = os.environ.get("MQTTSEAL_BUILD_DIR")
    if build:
        cands = [("MQTTSEAL_BUILD_DIR", p)
                 for p in _build_dir_candidates(build)]
        return (_try(cands, tried) or _fail(
            tried, "MQTTSEAL_BUILD_DIR holds no loadable library"))
    cands = []
    name = ctypes.util.find_library("mqttseal")
    if name:
        cands.append(("installed (find_library)", name))
    else:
        tried.append("installed (find_library): no libmqttseal on the "
                     "system library path")
    cands.append(("installed (dynamic linker)", "libmqttseal.so.0"))
    return _try(cands, tried) or _fail(tried, "not installed, and "
                                       "MQTTSEAL_LIBRARY is not set")

lib, path = _load()

# --- structures (must match include/mqttseal/mqttseal.h) -------------------

SESSIONIDBYTES = 12
SIGNERIDBYTES = 8   # MQTTSEAL_SIGNERIDBYTES


class Diag(ctypes.Structure):
    _fields_ = [("line", ctypes.c_uint), ("message", ctypes.c_char * 160)]


class KeyInfo(ctypes.Structure):
    _fields_ = [("key_id", ctypes.c_uint32), ("expires", ctypes.c_int64),
                ("is_primary", ctypes.c_int), ("filter", ctypes.c_char * 256)]


class Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("suite", ctypes.c_uint),
                ("flags", ctypes.c_uint), ("key_id", ctypes.c_uint32),
                ("session_id", ctypes.c_ubyte * SESSIONIDBYTES),
                ("seq", ctypes.c_uint64), ("has_timestamp", ctypes.c_int),
                ("timestamp_ms", ctypes.c_uint64),
                ("sealed_retained", ctypes.c_int),
                ("header_len", ctypes.c_size_t),
                ("payload_len", ctypes.c_size_t),
                ("is_signed", ctypes.c_int),
                ("signer_id", ctypes.c_ubyte * SIGNERIDBYTES)]


ERR_COUNT = 48   # MQTTSEAL_ERR_COUNT: one more than the largest error code


class Stats(ctypes.Structure):
    _fields_ = ([(n, ctypes.c_uint64) for n in ("sealed", "opened",
                                                 "refused")]
                + [("refused_by", ctypes.c_uint64 * ERR_COUNT)]
                + [(n, ctypes.c_uint64) for n in (
                    "sessions_new", "replay_tracked", "replay_remembered",
                    "replay_forgotten", "replay_dropped", "replay_bytes",
                    "cache_entries", "cache_bytes")])


# --- prototypes: every function gets argtypes and restype ------------------

_vp = ctypes.c_void_p        # opaque mqttseal_keyring * / mqttseal_ctx *
_pvp = ctypes.POINTER(ctypes.c_void_p)
_cp = ctypes.c_char_p        # const input bytes (never written by C)
_buf = ctypes.c_void_p       # buffers C writes into (create_string_buffer)
_sz = ctypes.c_size_t
_psz = ctypes.POINTER(ctypes.c_size_t)
_int = ctypes.c_int
_u32 = ctypes.c_uint32
_i64 = ctypes.c_int64
_u64 = ctypes.c_uint64
_uint = ctypes.c_uint

_PROTOS = {
    "mqttseal_init": (_int, []),
    "mqttseal_version": (ctypes.c_char_p, []),
    "mqttseal_strerror": (ctypes.c_char_p, [_int]),
    # sizes
    "mqttseal_keybytes": (_sz, []),
    "mqttseal_sessionidbytes": (_sz, []),
    "mqttseal_abytes": (_sz, []),
    "mqttseal_overhead_min": (_sz, []),
    "mqttseal_overhead_max": (_sz, []),
    "mqttseal_plaintext_max": (_sz, []),
    "mqttseal_sealed_bytes": (_sz, [_sz]),
    "mqttseal_opened_bytes": (_sz, [_sz]),
    "mqttseal_replay_session_bytes": (_sz, [_uint]),
    "mqttseal_replay_remembered_bytes": (_sz, []),
    # keyrings
    "mqttseal_keyring_new": (_int, [_pvp]),
    "mqttseal_keyring_load_string":
        (_int, [_pvp, _cp, _sz, ctypes.POINTER(Diag)]),
    "mqttseal_keyring_load_file": (_int, [_pvp, _cp, ctypes.POINTER(Diag)]),
    "mqttseal_keyring_to_string": (_int, [_vp, _buf, _sz, _psz]),
    "mqttseal_keyring_save_file": (_int, [_vp, _cp]),
    "mqttseal_keyring_free": (None, [_vp]),
    "mqttseal_keyring_generate": (_int, [_vp, _u32]),
    "mqttseal_keyring_add": (_int, [_vp, _u32, _cp, _buf, _i64]),
    "mqttseal_keyring_grant": (_int, [_vp, _vp, _u32, _cp]),
    "mqttseal_keyring_set_primary": (_int, [_vp, _u32]),
    "mqttseal_keyring_primary": (_int, [_vp, ctypes.POINTER(_u32)]),
    "mqttseal_keyring_set_expiry": (_int, [_vp, _u32, _i64]),
    "mqttseal_keyring_remove": (_int, [_vp, _u32]),
    "mqttseal_keyring_count": (_sz, [_vp]),
    "mqttseal_keyring_entry": (_int, [_vp, _sz, ctypes.POINTER(KeyInfo)]),
    "mqttseal_keyring_entry_filter": (_int, [_vp, _sz, _buf, _sz, _psz]),
    # contexts
    "mqttseal_ctx_new": (_int, [_pvp, _vp]),
    "mqttseal_ctx_from_file": (_int, [_pvp, _cp, ctypes.POINTER(Diag)]),
    "mqttseal_ctx_free": (None, [_vp]),
    "mqttseal_ctx_set_keyring": (_int, [_vp, _vp]),
    "mqttseal_ctx_set_cache_size": (_int, [_vp, _sz]),
    "mqttseal_ctx_set_max_levels": (_int, [_vp, _uint]),
    "mqttseal_ctx_set_replay": (_int, [_vp, _int, _uint, _sz]),
    "mqttseal_ctx_set_replay_capacity": (_int, [_vp, _sz]),
    "mqttseal_ctx_set_timestamps": (_int, [_vp, _int]),
    "mqttseal_ctx_set_freshness": (_int, [_vp, _u64, _u64, _u64]),
    "mqttseal_ctx_use_fleet_defaults": (_int, [_vp]),
    "mqttseal_ctx_save_replay": (_int, [_vp, _cp]),
    "mqttseal_ctx_load_replay": (_int, [_vp, _cp]),
    "mqttseal_ctx_session_id": (None, [_vp, _buf]),
    "mqttseal_ctx_new_session": (_int, [_vp]),
    "mqttseal_ctx_stats": (_int, [_vp, ctypes.POINTER(Stats)]),
    # seal / open
    "mqttseal_seal": (_int, [_vp, _buf, _sz, _psz, _cp, _sz, _cp, _sz]),
    "mqttseal_seal_ex": (_int, [_vp, _buf, _sz, _psz, _cp, _sz, _cp, _sz,
                                _uint]),
    "mqttseal_open": (_int, [_vp, _buf, _sz, _psz, _cp, _sz, _cp, _sz, _uint,
                             ctypes.POINTER(Header)]),
    # inspection
    "mqttseal_header_parse": (_int, [ctypes.POINTER(Header), _cp, _sz]),
    "mqttseal_topic_check": (_int, [_cp, _sz]),
    "mqttseal_filter_check": (_int, [_cp, _sz]),
    # signatures
    "mqttseal_signeridbytes": (_sz, []),
    "mqttseal_signbytes": (_sz, []),
    "mqttseal_sign_publickeybytes": (_sz, []),
    "mqttseal_sign_seedbytes": (_sz, []),
    "mqttseal_signed_overhead": (_sz, []),
    "mqttseal_signer_generate": (_int, [_pvp]),
    "mqttseal_signer_from_seed": (_int, [_pvp, _buf]),
    "mqttseal_signer_load_string":
        (_int, [_pvp, _cp, _sz, ctypes.POINTER(Diag)]),
    "mqttseal_signer_load_file": (_int, [_pvp, _cp, ctypes.POINTER(Diag)]),
    "mqttseal_signer_save_file": (_int, [_vp, _cp]),
    "mqttseal_signer_public_key": (None, [_vp, _buf]),
    "mqttseal_signer_id": (None, [_vp, _buf]),
    "mqttseal_signer_id_of": (None, [_buf, _cp]),
    "mqttseal_signer_export": (_int, [_vp, _buf, _sz, _psz]),
    "mqttseal_signer_free": (None, [_vp]),
    "mqttseal_ctx_set_signer": (_int, [_vp, _vp]),
    "mqttseal_trust_new": (_int, [_pvp]),
    "mqttseal_trust_load_string":
        (_int, [_pvp, _cp, _sz, ctypes.POINTER(Diag)]),
    "mqttseal_trust_load_file": (_int, [_pvp, _cp, ctypes.POINTER(Diag)]),
    "mqttseal_trust_add": (_int, [_vp, _cp, _cp, ctypes.POINTER(_cp), _sz,
                                  _i64]),
    "mqttseal_trust_require": (_int, [_vp, _cp]),
    "mqttseal_trust_name": (_int, [_vp, _cp, _buf, _sz]),
    "mqttseal_trust_to_string": (_int, [_vp, _buf, _sz, _psz]),
    "mqttseal_trust_save_file": (_int, [_vp, _cp]),
    "mqttseal_trust_free": (None, [_vp]),
    "mqttseal_ctx_set_trust": (_int, [_vp, _vp]),
    "mqttseal_ctx_signer_name": (_int, [_vp, _cp, _buf, _sz]),
}


def _declare():
    missing = []
    for name, (restype, argtypes) in _PROTOS.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    if missing:
        raise ImportError("mqttseal: %s lacks %s" % (path, ", ".join(missing)))


_declare()

# Wipe Python-side copies of secrets (ctypes buffers only: bytes objects are
# immutable and cannot be wiped).
memset = ctypes.memset


def wipe(buf):
    """Zero a ctypes buffer in place."""
    memset(buf, 0, ctypes.sizeof(buf))
