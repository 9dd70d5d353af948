"""Exceptions: one class per mqttseal_err code, grouped into a taxonomy.

Every exception is a MqttsealError with ``.code`` (the C enum value),
``.message`` (the library's own mqttseal_strerror text) and ``.detail``
(extra context, e.g. the keyring line, or None). ``str(exc)`` is the
message followed by the detail.

Taxonomy (abstract groups have no code of their own)::

    MqttsealError
      UsageError              caller mistakes
        InvalidArgumentError 1, BufferTooSmallError 3, PayloadTooLargeError 4,
        SequenceExhaustedError 26
      TopicError              TopicEmptyError 5, TopicInvalidError 6,
                              TopicDepthError 35
      FilterError             FilterInvalidError 7, FilterPlusError 8
      KeyringError            NoPrimaryError 27, KeyringSyntaxError 28,
                              KeyringPermissionsError 29, DuplicateKeyError 32
      ResourceError           NoMemoryError 2, FileIOError 30,
                              StateCorruptError 31, CryptoInitError 34,
                              FileOwnerError 36
      RejectedError           a received envelope was refused by open()
        EnvelopeError         NotSealedError 9, and MalformedError:
          MalformedError      VersionError 10, SuiteError 11,
                              ReservedFlagError 12, TruncatedError 13,
                              VarintError 14, TrailingDataError 15,
                              OversizeError 16
        KeyAccessError        UnknownKeyError 17, NoGrantError 18,
                              KeyExpiredError 19
        AuthenticationError 20  (tampering, wrong key, wrong topic: one code)
        ReplayRejectedError   ReplayError 21, TooOldError 22,
                              SessionLostError 33, ReplayBackendError 43
        FreshnessError        StaleError 23, FutureError 24,
                              NoTimestampError 25
        OriginError           who signed it (trust list): SignatureRequiredError
                              37, SignerUnknownError 38,
                              SignerNotGrantedError 39, SignerExpiredError
                              40, SignatureError 41
      TrustError              TrustSyntaxError 42 (trust-list or signer-key
                              text malformed)
      UpdateError             a keyring update was refused:
                              UpdateDeviceError 44, UpdateRollbackError 45,
                              UpdateExpiredError 46, UpdateScopeError 47

Each class also names a rejection ``reason`` (a Reason member): what the
paho integration passes to ``on_reject`` when open() raises it.
"""

import enum

from . import _lib


class Reason(str, enum.Enum):
    """Why a received message was rejected (compares equal to its value)."""

    DUPLICATE = "duplicate"        # REPLAY on a message flagged DUP: a
                                   # QoS 1/2 redelivery already delivered
    REPLAY = "replay"              # REPLAY without DUP: a replayed copy
    TOO_OLD = "too_old"            # below the replay window
    SESSION_LOST = "session_lost"  # unknown session after state was dropped
    REPLAY_BACKEND = "replay_backend"  # shared replay store unreachable
    AUTH = "auth"                  # tampered, wrong key or wrong topic
    NOT_SEALED = "not_sealed"      # plaintext or foreign payload
    MALFORMED = "malformed"        # an envelope that does not parse
    UNKNOWN_KEY = "unknown_key"
    NO_GRANT = "no_grant"
    KEY_EXPIRED = "key_expired"
    STALE = "stale"
    FUTURE = "future"
    NO_TIMESTAMP = "no_timestamp"
    SIG_REQUIRED = "sig_required"  # unsigned where the trust list
                                   # requires a signature
    SIGNER_UNKNOWN = "signer_unknown"        # signer not in the trust list
    SIGNER_NOT_GRANTED = "signer_not_granted"  # signer outside its filters
    SIGNER_EXPIRED = "signer_expired"        # signer's trust entry expired
    SIGNATURE = "signature"        # signature invalid (forged or altered)
    TOPIC = "topic"                # empty/invalid topic (e.g. an alias),
                                   # or more levels than allowed
    ERROR = "error"                # anything else (out of memory, ...)

    def __str__(self):
        return self.value


class MqttsealError(Exception):
    """Base of every mqttseal exception."""

    code = None
    reason = Reason.ERROR
    header = None   # set by Context.open when the envelope header parsed

    def __init__(self, code=None, detail=None, message=None):
        if code is None:
            code = type(self).code
        self.code = code
        self.message = message if message is not None else strerror(code)
        self.detail = detail
        super().__init__(self.message if detail is None
                         else "%s: %s" % (self.message, detail))

    def __reduce__(self):   # picklable despite the custom __init__
        return (type(self), (self.code, self.detail, self.message))


def strerror(code):
    """The library's description of an error code."""
    if code is None:
        return "mqttseal error"
    return _lib.lib.mqttseal_strerror(int(code)).decode("utf-8", "replace")


class ClosedError(ValueError):
    """A Keyring or Context was used after close() (no C error code)."""


# --- groups -----------------------------------------------------------------

class UsageError(MqttsealError):
    """The caller passed something the library cannot use."""


class TopicError(MqttsealError):
    reason = Reason.TOPIC


class FilterError(MqttsealError):
    """A grant filter is malformed or uses '+'."""


class KeyringError(MqttsealError):
    """A keyring is malformed, unsafe, or lacks what the call needs.

    ``.line`` is the 1-based keyring line (0 when not tied to a line)."""

    line = 0

    def __init__(self, code=None, detail=None, message=None, line=0):
        super().__init__(code, detail, message)
        self.line = line

    def __reduce__(self):
        return (type(self), (self.code, self.detail, self.message,
                             self.line))


class ResourceError(MqttsealError):
    """Memory, files or the crypto library failed."""


class RejectedError(MqttsealError):
    """open() refused a received envelope."""


class EnvelopeError(RejectedError):
    reason = Reason.MALFORMED


class MalformedError(EnvelopeError):
    """An mqttseal envelope that does not parse."""


class KeyAccessError(RejectedError):
    """No usable key for this key id and topic."""


class ReplayRejectedError(RejectedError):
    reason = Reason.REPLAY


class FreshnessError(RejectedError):
    """The timestamp check failed."""


class OriginError(RejectedError):
    """The signature check against the trust list failed: the envelope
    authenticated under the topic key, but its origin is not accepted."""


class TrustError(KeyringError):
    """A trust list or signer key is malformed (``.line`` names the
    line)."""


# --- one class per code -----------------------------------------------------

class InvalidArgumentError(UsageError):
    """A bad argument (NULL, out of range)."""

    code = 1


class NoMemoryError(ResourceError):
    """Out of memory."""

    code = 2


class BufferTooSmallError(UsageError):
    """Output buffer too small."""

    code = 3


class PayloadTooLargeError(UsageError):
    """Plaintext exceeds PLAINTEXT_MAX."""

    code = 4


class TopicEmptyError(TopicError):
    """Empty topic name (also an unresolved topic alias)."""

    code = 5


class TopicInvalidError(TopicError):
    """Topic with a wildcard, NUL, or over 65535 bytes."""

    code = 6


class FilterInvalidError(FilterError):
    """Malformed topic filter."""

    code = 7


class FilterPlusError(FilterError):
    """'+' cannot be granted as one key: grant each topic."""

    code = 8


class NotSealedError(EnvelopeError):
    """Not an mqttseal envelope at all."""

    code = 9
    reason = Reason.NOT_SEALED


class VersionError(MalformedError):
    """Unknown envelope version."""

    code = 10


class SuiteError(MalformedError):
    """Unknown cipher suite."""

    code = 11


class ReservedFlagError(MalformedError):
    """Reserved flag bit set."""

    code = 12


class TruncatedError(MalformedError):
    """Envelope shorter than its header says."""

    code = 13


class VarintError(MalformedError):
    """Non-minimal or overflowing varint."""

    code = 14


class TrailingDataError(MalformedError):
    """Bytes after the authentication tag."""

    code = 15


class OversizeError(MalformedError):
    """A length field exceeds the maximum."""

    code = 16


class UnknownKeyError(KeyAccessError):
    """No key with this key id."""

    code = 17
    reason = Reason.UNKNOWN_KEY


class NoGrantError(KeyAccessError):
    """Key id known, but no grant covers the topic."""

    code = 18
    reason = Reason.NO_GRANT


class KeyExpiredError(KeyAccessError):
    """The key id has expired."""

    code = 19
    reason = Reason.KEY_EXPIRED


class AuthenticationError(RejectedError):
    """Authentication failed: tampered, wrong key or wrong topic."""

    code = 20
    reason = Reason.AUTH


class ReplayError(ReplayRejectedError):
    """This message was already accepted."""

    code = 21
    reason = Reason.REPLAY


class TooOldError(ReplayRejectedError):
    """Sequence number below the replay window."""

    code = 22
    reason = Reason.TOO_OLD


class StaleError(FreshnessError):
    """Timestamp older than the maximum age."""

    code = 23
    reason = Reason.STALE


class FutureError(FreshnessError):
    """Timestamp beyond the tolerated skew."""

    code = 24
    reason = Reason.FUTURE


class NoTimestampError(FreshnessError):
    """A maximum age is set and the message has no timestamp."""

    code = 25
    reason = Reason.NO_TIMESTAMP


class SequenceExhaustedError(UsageError):
    """The sealing session used every sequence number."""

    code = 26


class NoPrimaryError(KeyringError):
    """The keyring names no usable primary id."""

    code = 27


class KeyringSyntaxError(KeyringError):
    """Keyring text malformed; .line names the line."""

    code = 28


class KeyringPermissionsError(KeyringError):
    """Keyring file readable by group or others (chmod 600)."""

    code = 29


class FileIOError(ResourceError):
    """A file could not be read or written."""

    code = 30


class StateCorruptError(ResourceError):
    """Replay state file corrupt or truncated, or not authenticated by
    this context's keyring (saved under other keys)."""

    code = 31


class DuplicateKeyError(KeyringError):
    """Same key id and filter twice."""

    code = 32


class SessionLostError(ReplayRejectedError):
    """Replay state for the key id was dropped; unknown session refused."""

    code = 33
    reason = Reason.SESSION_LOST


class CryptoInitError(ResourceError):
    """libsodium failed to initialise."""

    code = 34


class TopicDepthError(TopicError):
    """More topic levels than the context allows (set_max_levels)."""

    code = 35


class FileOwnerError(ResourceError):
    """File owned by another user (not root), or writable by group or
    others (state and keyring files)."""

    code = 36


class SignatureRequiredError(OriginError):
    """Unsigned envelope on a topic the trust list requires signed."""

    code = 37
    reason = Reason.SIG_REQUIRED


class SignerUnknownError(OriginError):
    """Signed by a key not in the trust list."""

    code = 38
    reason = Reason.SIGNER_UNKNOWN


class SignerNotGrantedError(OriginError):
    """The signer may not publish on this topic."""

    code = 39
    reason = Reason.SIGNER_NOT_GRANTED


class SignerExpiredError(OriginError):
    """The signer's trust entry has expired."""

    code = 40
    reason = Reason.SIGNER_EXPIRED


class SignatureError(OriginError):
    """Signature invalid, or the signed inner malformed or truncated."""

    code = 41
    reason = Reason.SIGNATURE


class TrustSyntaxError(TrustError):
    """Trust-list or signer-key text malformed (see ``.line``)."""

    code = 42


class ReplayBackendError(ReplayRejectedError):
    """The shared replay-state store (e.g. Redis) could not answer: the
    message was refused, not delivered unchecked."""

    code = 43
    reason = Reason.REPLAY_BACKEND


class UpdateError(MqttsealError):
    """A keyring update was refused (the device's keyring is untouched)."""


class UpdateDeviceError(UpdateError):
    """The update is addressed to another device."""

    code = 44


class UpdateRollbackError(UpdateError):
    """The update's version is not above the one already applied."""

    code = 45


class UpdateExpiredError(UpdateError):
    """The update is past its expiry."""

    code = 46


class UpdateScopeError(UpdateError):
    """The update grants more than its signer is trusted for."""

    code = 47


_BY_CODE = {c.code: c for c in (
    InvalidArgumentError, NoMemoryError, BufferTooSmallError,
    PayloadTooLargeError, TopicEmptyError, TopicInvalidError,
    FilterInvalidError, FilterPlusError, NotSealedError, VersionError,
    SuiteError, ReservedFlagError, TruncatedError, VarintError,
    TrailingDataError, OversizeError, UnknownKeyError, NoGrantError,
    KeyExpiredError, AuthenticationError, ReplayError, TooOldError,
    StaleError, FutureError, NoTimestampError, SequenceExhaustedError,
    NoPrimaryError, KeyringSyntaxError, KeyringPermissionsError, FileIOError,
    StateCorruptError, DuplicateKeyError, SessionLostError, CryptoInitError,
    TopicDepthError, FileOwnerError, SignatureRequiredError,
    SignerUnknownError, SignerNotGrantedError, SignerExpiredError,
    SignatureError, TrustSyntaxError, ReplayBackendError, UpdateDeviceError,
    UpdateRollbackError, UpdateExpiredError, UpdateScopeError,
)}


def error_class(code):
    """The exception class for a code (MqttsealError for unknown codes)."""
    return _BY_CODE.get(code, MqttsealError)


def make_error(code, detail=None, line=None):
    cls = error_class(code)
    if issubclass(cls, KeyringError):
        return cls(code, detail, line=line or 0)
    return cls(code, detail)


def check(code, detail=None):
    """Raise the exception for a non-zero return code."""
    if code != 0:
        raise make_error(code, detail)


def check_diag(code, diag, what=None):
    """Raise for a keyring/file call, naming the diag line and message."""
    if code == 0:
        return
    text = diag.message.split(b"\0", 1)[0].decode("utf-8", "replace")
    parts = []
    if what:
        parts.append(what)
    if diag.line and not text.startswith("line %d" % diag.line):
        parts.append("line %d" % diag.line)
    if text:
        parts.append(text)
    raise make_error(code, ": ".join(parts) or None, line=diag.line)


__all__ = (["Reason", "ClosedError", "MqttsealError", "UsageError",
            "TopicError", "FilterError", "KeyringError", "ResourceError",
            "RejectedError", "EnvelopeError", "MalformedError",
            "KeyAccessError", "ReplayRejectedError", "FreshnessError",
            "OriginError", "TrustError",
            "error_class", "strerror"]
           + sorted(c.__name__ for c in _BY_CODE.values()))
