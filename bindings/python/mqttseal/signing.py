"""Signatures: who sealed a message, not just that a key holder did.

A Signer wraps an ``mqttseal_signer *`` (an Ed25519 key pair whose secret
seed stays in the C library's guarded memory). ``Context(kr,
signer=...)`` signs every envelope it seals, inside the encryption.

A Trust wraps an ``mqttseal_trust *``: the signers a receiver accepts,
the MQTT filters ('+' and '#' allowed) each may publish on, an optional
expiry, and "require" filters on which unsigned envelopes are refused.
``Context(kr, trust=...)`` checks every signed envelope against it;
refusals raise an OriginError subclass (SignatureRequiredError,
SignerUnknownError, SignerNotGrantedError, SignerExpiredError,
SignatureError).

Both are copied into a Context: closing or changing them later does not
affect contexts already configured.
"""

import base64
import ctypes
import os

from . import _lib, sizes
from ._handle import Handle, new_ptr
from ._handle import text_arg as _text
from .errors import InvalidArgumentError, check, check_diag

_c = _lib.lib


def signer_id_of(public_key):
    """The 8-byte signer id of a 32-byte Ed25519 public key."""
    pk = _public_key(public_key)
    out = ctypes.create_string_buffer(sizes.SIGNERIDBYTES)
    _c.mqttseal_signer_id_of(out, pk)
    return out.raw


def _public_key(pk):
    """32 raw bytes, base64 text, or the export line 'signer <base64>'."""
    if isinstance(pk, str):
        pk = pk.strip()
        if pk.startswith("signer "):
            pk = pk[7:].strip()
        try:
            pk = base64.b64decode(pk, validate=True)
        except ValueError:
            raise InvalidArgumentError(detail="public key: bad base64")
    if not isinstance(pk, (bytes, bytearray, memoryview)):
        raise TypeError("public key must be bytes or str")
    pk = bytes(pk)
    if len(pk) != sizes.SIGN_PUBLICKEYBYTES:
        raise InvalidArgumentError(detail="public key must be %d bytes"
                                   % sizes.SIGN_PUBLICKEYBYTES)
    return pk


class Signer(Handle):
    """An Ed25519 signer key. ``Signer()`` generates a fresh one."""

    _free = staticmethod(_c.mqttseal_signer_free)

    def __init__(self, _ptr=None):
        if _ptr is None:
            rc, out = new_ptr(_c.mqttseal_signer_generate)
            check(rc)
            _ptr = out.value
        super().__init__(_ptr)

    generate = classmethod(lambda cls: cls())

    @classmethod
    def from_seed(cls, seed):
        """The signer of a 32-byte seed (deterministic; for tests and
        for keys kept elsewhere). Pass a bytearray to wipe your copy."""
        n = sizes.SIGN_SEEDBYTES
        if not isinstance(seed, (bytes, bytearray)) or len(seed) != n:
            raise InvalidArgumentError(detail="seed must be %d bytes" % n)
        buf = (ctypes.c_ubyte * n).from_buffer_copy(seed)
        try:
            rc, out = new_ptr(_c.mqttseal_signer_from_seed, buf)
        finally:
            _lib.wipe(buf)
        check(rc)
        return cls(out.value)

    @classmethod
    def from_string(cls, text):
        """Parse signer-key text ('mqttseal-signer 1', 'secret ...').
        Raises TrustSyntaxError naming the line (never the secret)."""
        data = _text(text, "signer-key text")
        diag = _lib.Diag()
        rc, out = new_ptr(_c.mqttseal_signer_load_string, data, len(data),
                          ctypes.byref(diag))
        check_diag(rc, diag)
        return cls(out.value)

    @classmethod
    def from_file(cls, path):
        """Read a signer-key file. One readable or writable by group or
        others raises KeyringPermissionsError (chmod 600 it); one owned by
        another user, FileOwnerError."""
        p = os.fsencode(path)
        diag = _lib.Diag()
        rc, out = new_ptr(_c.mqttseal_signer_load_file, p, ctypes.byref(diag))
        check_diag(rc, diag, os.fsdecode(p))
        return cls(out.value)

    load = from_file

    def save(self, path):
        """Write the secret key file atomically with mode 0600."""
        p = os.fsencode(path)
        with self._use() as s:
            check(_c.mqttseal_signer_save_file(s, p), os.fsdecode(p))

    @property
    def public_key(self):
        """The 32-byte Ed25519 public key."""
        out = ctypes.create_string_buffer(sizes.SIGN_PUBLICKEYBYTES)
        with self._use() as s:
            _c.mqttseal_signer_public_key(s, out)
        return out.raw

    @property
    def id(self):
        """The 8-byte signer id (BLAKE2b-256 of the public key, first 8)."""
        out = ctypes.create_string_buffer(sizes.SIGNERIDBYTES)
        with self._use() as s:
            _c.mqttseal_signer_id(s, out)
        return out.raw

    def export(self):
        """The shareable public line, 'signer <base64 public key>'."""
        need = ctypes.c_size_t(0)
        buf = ctypes.create_string_buffer(128)
        with self._use() as s:
            check(_c.mqttseal_signer_export(s, buf, len(buf),
                                            ctypes.byref(need)))
        return buf.raw[:need.value].decode("ascii").rstrip("\n")

    def __repr__(self):
        if self.closed:
            return "<mqttseal.Signer closed>"
        return "<mqttseal.Signer id=%s>" % self.id.hex()


class Trust(Handle):
    """A trust list. ``Trust()`` is empty: it trusts nobody and requires
    nothing."""

    _free = staticmethod(_c.mqttseal_trust_free)

    def __init__(self, _ptr=None):
        if _ptr is None:
            rc, out = new_ptr(_c.mqttseal_trust_new)
            check(rc)
            _ptr = out.value
        super().__init__(_ptr)

    @classmethod
    def from_string(cls, text):
        """Parse trust-list text ('mqttseal-trust 1', 'signer ...',
        'require ...'). Raises TrustSyntaxError naming the line."""
        data = _text(text, "trust-list text")
        diag = _lib.Diag()
        rc, out = new_ptr(_c.mqttseal_trust_load_string, data, len(data),
                          ctypes.byref(diag))
        check_diag(rc, diag)
        return cls(out.value)

    @classmethod
    def from_file(cls, path):
        """Read a trust-list file (refused with FileOwnerError when
        writable by group or others, or owned by another user)."""
        p = os.fsencode(path)
        diag = _lib.Diag()
        rc, out = new_ptr(_c.mqttseal_trust_load_file, p, ctypes.byref(diag))
        check_diag(rc, diag, os.fsdecode(p))
        return cls(out.value)

    load = from_file

    def add(self, name, public_key, filters, expires=0):
        """Trust public_key (32 bytes, base64, 'signer <base64>' or a
        Signer) under name on filters (a str or a list of MQTT filters),
        until expires (Unix seconds, 0 = never). Returns self."""
        if isinstance(public_key, Signer):
            public_key = public_key.public_key
        pk = _public_key(public_key)
        if isinstance(filters, (str, bytes)):
            filters = [filters]
        fs = [_text(f, "filter") for f in filters]
        arr = (ctypes.c_char_p * max(1, len(fs)))(*fs)
        with self._use() as t:
            check(_c.mqttseal_trust_add(t, _text(name, "name"), pk, arr,
                                        len(fs), int(expires)))
        return self

    def require(self, filter):
        """Refuse unsigned envelopes on topics filter matches. Returns
        self."""
        with self._use() as t:
            check(_c.mqttseal_trust_require(t, _text(filter, "filter")))
        return self

    def name(self, signer_id):
        """The name of signer_id (8 bytes), or None if not listed."""
        sid = bytes(signer_id)
        if len(sid) != sizes.SIGNERIDBYTES:
            raise InvalidArgumentError(detail="signer_id must be %d bytes"
                                       % sizes.SIGNERIDBYTES)
        buf = ctypes.create_string_buffer(80)
        with self._use() as t:
            rc = _c.mqttseal_trust_name(t, sid, buf, len(buf))
        if rc == 38:
            return None
        check(rc)
        return buf.value.decode("utf-8")

    def to_string(self):
        """The trust-list text (public data)."""
        need = ctypes.c_size_t(0)
        with self._use() as t:
            _c.mqttseal_trust_to_string(t, None, 0, ctypes.byref(need))
            buf = ctypes.create_string_buffer(need.value + 1)
            check(_c.mqttseal_trust_to_string(t, buf, len(buf),
                                              ctypes.byref(need)))
        return buf.raw[:need.value].decode("utf-8")

    def save(self, path):
        """Write atomically with mode 0644."""
        p = os.fsencode(path)
        with self._use() as t:
            check(_c.mqttseal_trust_save_file(t, p), os.fsdecode(p))

    def __repr__(self):
        return "<mqttseal.Trust%s>" % (" closed" if self.closed else "")
