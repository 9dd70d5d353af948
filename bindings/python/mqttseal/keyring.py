"""Keyrings: root keys, grants (topic filters), key ids, rotation, files.

A Keyring wraps an ``mqttseal_keyring *``. Key bytes stay in the C library's
guarded memory; the only ways key material reaches Python are ``add()``
(the caller's key, copied into a ctypes buffer that is wiped afterwards)
and ``to_string()`` (the keyring text, which holds base64 keys: treat it
like the file).

Threads: a keyring may be read from several threads, but must not be
changed (add, grant, remove, set_*) while another thread uses it. Contexts
copy the keyring, so changing or closing a keyring never affects a context
already made from it.
"""

import collections
import ctypes
import os

from . import _lib
from ._handle import Handle, new_ptr
from ._handle import text_arg as _text
from .errors import (InvalidArgumentError, NoPrimaryError, check,
                     check_diag)

_c = _lib.lib

KeyInfo = collections.namedtuple("KeyInfo",
                                 "key_id filter expires is_primary")
KeyInfo.__doc__ = """One keyring entry: what it grants, never its key.

key_id: int; filter: str ("#", "a/b/#" or an exact topic); expires: Unix
seconds, 0 = never; is_primary: bool."""


def _path(p):
    return os.fsencode(p)


def _key_id(k):
    k = int(k)
    if not 0 <= k <= 0xFFFFFFFF:
        raise InvalidArgumentError(
            detail="key id %d out of range 0..2^32-1" % k)
    return k


class Keyring(Handle):
    """A set of keys with key ids and grants. ``Keyring()`` is empty."""

    _free = staticmethod(_c.mqttseal_keyring_free)

    def __init__(self, _ptr=None):
        if _ptr is None:
            rc, out = new_ptr(_c.mqttseal_keyring_new)
            check(rc)
            _ptr = out.value
        super().__init__(_ptr)

    # --- loading and saving ------------------------------------------------

    @classmethod
    def from_string(cls, text):
        """Parse keyring text (docs/FORMAT.md, "Keyring file").

        Raises KeyringSyntaxError (``.line`` and the message name the line),
        DuplicateKeyError, FilterInvalidError, FilterPlusError, ..."""
        data = _text(text, "keyring text")
        diag = _lib.Diag()
        rc, out = new_ptr(_c.mqttseal_keyring_load_string, data, len(data),
                           ctypes.byref(diag))
        check_diag(rc, diag)
        return cls(out.value)

    @classmethod
    def from_file(cls, path):
        """Read a keyring file. A file readable or writable by group or
        others raises KeyringPermissionsError (chmod 600 it)."""
        diag = _lib.Diag()
        p = _path(path)
        rc, out = new_ptr(_c.mqttseal_keyring_load_file, p,
                           ctypes.byref(diag))
        check_diag(rc, diag, os.fsdecode(p))
        return cls(out.value)

    load = from_file

    def to_string(self):
        """The keyring text. It contains the keys in base64."""
        with self._use() as p:
            need = ctypes.c_size_t(0)
            _c.mqttseal_keyring_to_string(p, None, 0, ctypes.byref(need))
            while True:
                buf = ctypes.create_string_buffer(need.value + 1)
                try:
                    rc = _c.mqttseal_keyring_to_string(
                        p, buf, len(buf), ctypes.byref(need))
                    if rc == 3 and need.value + 1 > len(buf):
                        continue  # changed under us: grow and retry
                    check(rc)
                    return buf.raw[:need.value].decode("utf-8")
                finally:
                    _lib.wipe(buf)

    def save(self, path):
        """Write atomically with mode 0600."""
        with self._use() as p:
            check(_c.mqttseal_keyring_save_file(p, _path(path)),
                  os.fsdecode(_path(path)))

    # --- keys ---------------------------------------------------------------

    def generate(self, key_id):
        """Add a fresh random root key ("#") under key_id (primary if the
        keyring has none yet)."""
        with self._use() as p:
            check(_c.mqttseal_keyring_generate(p, _key_id(key_id)))
        return self

    def add(self, key_id, filter, key, expires=0):
        """Add a key granting filter. key: 32 bytes (pass a bytearray to
        be able to wipe your own copy afterwards). expires: Unix seconds,
        0 = never."""
        n = _c.mqttseal_keybytes()
        if isinstance(key, bytearray) and len(key) == n:
            src = (ctypes.c_ubyte * n).from_buffer(key)
        elif isinstance(key, (bytes, bytearray, memoryview)):
            src = bytes(key)
        else:
            raise TypeError("key must be bytes or bytearray")
        if len(src) != n:
            raise InvalidArgumentError(detail="key must be %d bytes" % n)
        buf = (ctypes.c_ubyte * n)()
        try:
            ctypes.memmove(buf, src, n)
            del src
            with self._use() as p:
                check(_c.mqttseal_keyring_add(
                    p, _key_id(key_id), _text(filter, "filter"), buf,
                    int(expires)))
        finally:
            _lib.wipe(buf)
        return self

    def grant(self, src, key_id, filter):
        """Derive from src the key that grants filter (under key_id) and
        add it here. Raises NoGrantError if src cannot derive it."""
        if not isinstance(src, Keyring):
            raise TypeError("src must be a Keyring")
        with self._use() as d, src._use() as s:
            check(_c.mqttseal_keyring_grant(d, s, _key_id(key_id),
                                            _text(filter, "filter")))
        return self

    def derive(self, filters, key_ids=None):
        """A new keyring granting each filter (str or list) under each key
        id (default: every id here), with the same primary when present:
        what to hand to a device that may use only those topics."""
        if isinstance(filters, (str, bytes)):
            filters = [filters]
        ids = sorted(set(key_ids if key_ids is not None else self.key_ids()))
        out = Keyring()
        try:
            for k in ids:
                for f in filters:
                    out.grant(self, k, f)
            prim = self.primary
            if prim is not None and prim in ids:
                out.set_primary(prim)
        except BaseException:
            out.close()
            raise
        return out

    def set_primary(self, key_id):
        with self._use() as p:
            check(_c.mqttseal_keyring_set_primary(p, _key_id(key_id)))
        return self

    @property
    def primary(self):
        """The primary key id, or None if the keyring names none."""
        v = ctypes.c_uint32()
        with self._use() as p:
            rc = _c.mqttseal_keyring_primary(p, ctypes.byref(v))
        if rc == NoPrimaryError.code:
            return None
        check(rc)
        return v.value

    def set_expiry(self, key_id, expires):
        """Expire every entry of key_id at Unix second expires (0 = never)."""
        with self._use() as p:
            check(_c.mqttseal_keyring_set_expiry(p, _key_id(key_id),
                                                 int(expires)))
        return self

    def remove(self, key_id):
        """Remove (and wipe) every entry with key_id."""
        with self._use() as p:
            check(_c.mqttseal_keyring_remove(p, _key_id(key_id)))
        return self

    def __len__(self):
        with self._use() as p:
            return _c.mqttseal_keyring_count(p)

    def entries(self):
        """A list of KeyInfo, one per entry."""
        out = []
        info = _lib.KeyInfo()
        with self._use() as p:
            for i in range(_c.mqttseal_keyring_count(p)):
                check(_c.mqttseal_keyring_entry(p, i, ctypes.byref(info)))
                n = ctypes.c_size_t(0)
                _c.mqttseal_keyring_entry_filter(p, i, None, 0,
                                                 ctypes.byref(n))
                f = ctypes.create_string_buffer(n.value + 1)
                check(_c.mqttseal_keyring_entry_filter(
                    p, i, f, n.value + 1, ctypes.byref(n)))
                out.append(KeyInfo(info.key_id,
                                   f.raw[:n.value].decode("utf-8", "replace"),
                                   info.expires, bool(info.is_primary)))
        return out

    def __iter__(self):
        return iter(self.entries())

    def key_ids(self):
        """The distinct key ids, sorted."""
        return sorted({e.key_id for e in self.entries()})

    def __repr__(self):
        if self.closed:
            return "<mqttseal.Keyring closed>"
        return "<mqttseal.Keyring %d entries, primary=%r>" % (
            len(self), self.primary)
