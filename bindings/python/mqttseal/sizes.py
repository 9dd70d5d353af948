"""Sizes, from the library's size functions (they agree with the macros in
mqttseal.h; tests/python/test_vectors.py checks both).

Constants that have no function in the C API (header bounds derive from
the overheads; the MQTT, topic and default limits are fixed by the
format and the header) are mirrored here and checked by the same test.
"""

from . import _lib

_c = _lib.lib

KEYBYTES = _c.mqttseal_keybytes()
SESSIONIDBYTES = _c.mqttseal_sessionidbytes()
ABYTES = _c.mqttseal_abytes()
OVERHEAD_MIN = _c.mqttseal_overhead_min()
OVERHEAD_MAX = _c.mqttseal_overhead_max()
PLAINTEXT_MAX = _c.mqttseal_plaintext_max()
HEADER_MIN = OVERHEAD_MIN - ABYTES
SIGNED_OVERHEAD = 72  # signer id (8) + Ed25519 signature (64)
HEADER_MAX = OVERHEAD_MAX - ABYTES - SIGNED_OVERHEAD
MQTT_PAYLOAD_MAX = 268435455
TOPIC_MAX = 65535
CACHE_DEFAULT = 131072
REPLAY_WINDOW_DEFAULT = 64
REPLAY_WINDOW_MAX = 4096
REPLAY_SESSIONS_DEFAULT = 1024
REPLAY_REMEMBER_DEFAULT = 1048576
LEVELS_DEFAULT = 128
SKEW_DEFAULT_MS = 30000
FLEET_MAX_AGE_MS = 300000
FLEET_RETAINED_MAX_AGE_MS = 86400000
ERR_COUNT = _lib.ERR_COUNT


def sealed_bytes(plaintext_len):
    """Bytes that always hold the envelope of a plaintext_len plaintext."""
    return _c.mqttseal_sealed_bytes(_size(plaintext_len))


def opened_bytes(envelope_len):
    """Bytes that always hold the plaintext of an envelope_len envelope."""
    return _c.mqttseal_opened_bytes(_size(envelope_len))


def replay_session_bytes(window=REPLAY_WINDOW_DEFAULT):
    """Memory one tracked sender session costs at this replay window."""
    w = int(window)
    if not 0 <= w < 1 << 32:
        raise ValueError("window out of range")
    return _c.mqttseal_replay_session_bytes(w)


def replay_remembered_bytes():
    """Memory one remembered (compact) sender session costs."""
    return _c.mqttseal_replay_remembered_bytes()


def _size(n):
    n = int(n)
    if not 0 <= n < 1 << 64:
        raise ValueError("length out of range")
    return n
