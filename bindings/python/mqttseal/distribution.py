"""Key distribution, the device side (docs/FORMAT.md section 15).

A Device wraps an ``mqttseal_device *``: the device's own X25519 key pair
(its seed stays in the C library's guarded memory). ``Device()`` makes a
fresh one; ``Device.from_file`` reads the file ``mqttseal enroll``
writes. ``device.enrollment_request()`` is the line an operator needs.

``apply_update(...)`` verifies a keyring update (addressed to this
device, signed by a signer of the trust list within its filters, newer
than the version applied, unexpired), writes the keyring file and its
``.version`` file atomically and switches a running Context to the new
keyring. Any refusal raises an UpdateError / OriginError / MalformedError
subclass and changes nothing.

``DeviceAgent`` does that for a paho-mqtt client: it subscribes to the
device's retained control topic and acknowledges on its status topic,
as ``mqttseal agent`` does.
"""

import base64
import collections
import ctypes
import os
import time

from . import _lib
from ._handle import Handle, new_ptr
from .errors import InvalidArgumentError, MqttsealError, check, check_diag
from .keyring import Keyring

_c = _lib.lib

DEVICE_PUBLICKEYBYTES = 32
DEVICEIDBYTES = 8
CONTROL_PREFIX = "mqttseal/ctl"

UpdateInfo = collections.namedtuple(
    "UpdateInfo", "device_id version expires signer_id sealed_len")


class _Info(ctypes.Structure):
    _fields_ = [("device_id", ctypes.c_ubyte * DEVICEIDBYTES),
                ("version", ctypes.c_uint64),
                ("expires", ctypes.c_int64),
                ("signer_id", ctypes.c_ubyte * 8),
                ("sealed_len", ctypes.c_size_t)]


_vp, _pvp, _cp, _sz = (ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p),
                       ctypes.c_char_p, ctypes.c_size_t)
_PD = ctypes.POINTER(_lib.Diag)
for _name, _res, _args in (
        ("mqttseal_device_generate", ctypes.c_int, [_pvp]),
        ("mqttseal_device_from_seed", ctypes.c_int, [_pvp, _vp]),
        ("mqttseal_device_load_file", ctypes.c_int, [_pvp, _cp, _PD]),
        ("mqttseal_device_save_file", ctypes.c_int, [_vp, _cp]),
        ("mqttseal_device_public_key", None, [_vp, _vp]),
        ("mqttseal_device_id_of", None, [_vp, _cp]),
        ("mqttseal_device_free", None, [_vp]),
        ("mqttseal_update_seal", ctypes.c_int,
         [_vp, _sz, ctypes.POINTER(_sz), _vp, _cp, ctypes.c_uint64,
          ctypes.c_int64, _vp]),
        ("mqttseal_update_parse", ctypes.c_int,
         [_cp, _sz, ctypes.POINTER(_Info)]),
        ("mqttseal_update_open", ctypes.c_int,
         [_pvp, ctypes.POINTER(_Info), _vp, _vp, ctypes.c_uint64,
          ctypes.c_int64, _cp, _sz, _PD]),
        ("mqttseal_update_apply", ctypes.c_int,
         [_vp, _cp, _vp, _vp, _cp, _sz, ctypes.POINTER(ctypes.c_uint64),
          _PD])):
    _fn = getattr(_c, _name)
    _fn.restype = _res
    _fn.argtypes = _args


def device_id_of(public_key):
    """The 8-byte device id of a 32-byte X25519 public key."""
    pk = bytes(public_key)
    if len(pk) != DEVICE_PUBLICKEYBYTES:
        raise InvalidArgumentError(detail="public key must be 32 bytes")
    out = ctypes.create_string_buffer(DEVICEIDBYTES)
    _c.mqttseal_device_id_of(out, pk)
    return out.raw


class Device(Handle):
    """A device key pair. ``Device()`` generates a fresh one."""

    _free = staticmethod(_c.mqttseal_device_free)

    def __init__(self, _ptr=None):
        if _ptr is None:
            rc, out = new_ptr(_c.mqttseal_device_generate)
            check(rc)
            _ptr = out.value
        super().__init__(_ptr)

    @classmethod
    def from_seed(cls, seed):
        """The device of a 32-byte seed (deterministic)."""
        if not isinstance(seed, (bytes, bytearray)) or len(seed) != 32:
            raise InvalidArgumentError(detail="seed must be 32 bytes")
        buf = (ctypes.c_ubyte * 32).from_buffer_copy(seed)
        try:
            rc, out = new_ptr(_c.mqttseal_device_from_seed, buf)
        finally:
            _lib.wipe(buf)
        check(rc)
        return cls(out.value)

    @classmethod
    def from_file(cls, path):
        """Read a device-key file (mode 0600, owner-checked)."""
        p = os.fsencode(path)
        diag = _lib.Diag()
        rc, out = new_ptr(_c.mqttseal_device_load_file, p, ctypes.byref(diag))
        check_diag(rc, diag, os.fsdecode(p))
        return cls(out.value)

    load = from_file

    @classmethod
    def enroll(cls, path):
        """The device key in path, created (0600) if it does not exist."""
        if os.path.exists(path):
            return cls.from_file(path)
        d = cls()
        d.save(path)
        return d

    def save(self, path):
        """Write the secret device-key file atomically with mode 0600."""
        p = os.fsencode(path)
        with self._use() as d:
            check(_c.mqttseal_device_save_file(d, p), os.fsdecode(p))

    @property
    def public_key(self):
        out = ctypes.create_string_buffer(DEVICE_PUBLICKEYBYTES)
        with self._use() as d:
            _c.mqttseal_device_public_key(d, out)
        return out.raw

    @property
    def id(self):
        return device_id_of(self.public_key)

    @property
    def id_hex(self):
        return self.id.hex()

    def enrollment_request(self, signer=None):
        """'mqttseal-enroll 1 <id> <base64 key> [<base64 signer key>]'."""
        line = "mqttseal-enroll 1 %s %s" % (
            self.id_hex, base64.b64encode(self.public_key).decode("ascii"))
        if signer is not None:
            line += " " + base64.b64encode(signer.public_key).decode("ascii")
        return line

    def __repr__(self):
        return "<mqttseal.Device %s>" % (
            "closed" if self.closed else self.id_hex)


def _info(i):
    return UpdateInfo(bytes(i.device_id), i.version, i.expires,
                      bytes(i.signer_id), i.sealed_len)


def parse_update(data):
    """The unauthenticated fields of an update (UpdateInfo)."""
    data = bytes(data)
    i = _Info()
    check(_c.mqttseal_update_parse(data, len(data), ctypes.byref(i)))
    return _info(i)


def seal_update(signer, device_public_key, version, expires, keyring):
    """The operator side: keyring sealed to the device, signed by
    signer. Returns bytes."""
    pk = bytes(device_public_key)
    if len(pk) != DEVICE_PUBLICKEYBYTES:
        raise InvalidArgumentError(detail="public key must be 32 bytes")
    n = _sz(0)
    with signer._use() as s, keyring._use() as kr:
        rc = _c.mqttseal_update_seal(None, 0, ctypes.byref(n), s, pk,
                                     version, expires, kr)
        if rc != 3:  # MQTTSEAL_E_BUFFER: the size is in n
            check(rc)
        out = ctypes.create_string_buffer(n.value)
        check(_c.mqttseal_update_seal(out, n.value, ctypes.byref(n), s, pk,
                                      version, expires, kr))
    return out.raw[:n.value]


def open_update(device, trust, data, last_version=0, now=None):
    """Verify and open an update: (Keyring, UpdateInfo). Raises on any
    refusal (the message of the error says why)."""
    data = bytes(data)
    now = int(time.time()) if now is None else int(now)
    i = _Info()
    diag = _lib.Diag()
    with device._use() as d, trust._use() as t:
        rc, out = new_ptr(_c.mqttseal_update_open, ctypes.byref(i), d, t,
                          last_version, now, data, len(data),
                          ctypes.byref(diag))
    check_diag(rc, diag)
    return Keyring(out.value), _info(i)


def apply_update(data, device, trust, keyring_path, context=None):
    """Verify, write keyring_path (+ .version) atomically, and switch
    context (may be None) to the new keyring. Returns the version."""
    data = bytes(data)
    p = os.fsencode(keyring_path)
    v = ctypes.c_uint64(0)
    diag = _lib.Diag()
    with device._use() as d, trust._use() as t:
        if context is None:
            rc = _c.mqttseal_update_apply(None, p, d, t, data, len(data),
                                          ctypes.byref(v), ctypes.byref(diag))
        else:
            with context._use() as c:
                rc = _c.mqttseal_update_apply(c, p, d, t, data, len(data),
                                              ctypes.byref(v),
                                              ctypes.byref(diag))
    check_diag(rc, diag)
    return v.value


class DeviceAgent:
    """``mqttseal agent`` for a paho-mqtt client: call attach(client)
    after connecting (and again after a reconnect)."""

    def __init__(self, device, trust, keyring_path, context,
                 prefix=CONTROL_PREFIX, on_event=None):
        self.device, self.trust = device, trust
        self.keyring_path, self.context = keyring_path, context
        self.prefix = prefix
        self.on_event = on_event or (lambda ok, text: None)
        self.control_topic = "%s/%s/keyring" % (prefix, device.id_hex)
        self.status_topic = "%s/%s/status" % (prefix, device.id_hex)
        self.last_error = None

    def attach(self, client):
        client.message_callback_add(self.control_topic, self._on_message)
        client.subscribe(self.control_topic, qos=1)

    def _status(self, result, code=None):
        version = 0
        try:
            with open(self.keyring_path + ".version") as f:
                version = int(f.read().strip() or 0)
        except OSError:
            pass
        keys, primary = "-", 0
        try:
            kr = Keyring.from_file(self.keyring_path)
            ids = sorted({e.key_id for e in kr.entries()})
            keys = ",".join(map(str, ids)) or "-"
            primary = kr.primary or 0
            kr.close()
        except MqttsealError:
            pass
        line = ("mqttseal-status 1 device=%s version=%d primary=%d keys=%s "
                "result=%s" % (self.device.id_hex, version, primary, keys,
                               result))
        return line + (" code=%d" % code if code else "")

    def handle(self, payload):
        """Apply one update payload; returns the status line."""
        if not payload:
            return None
        try:
            v = apply_update(payload, self.device, self.trust,
                             self.keyring_path, self.context)
        except MqttsealError as e:
            self.last_error = e
            self.on_event(False, "refused keyring update: %s" % e)
            return self._status("refused", getattr(e, "code", 0))
        self.on_event(True, "applied update version %d" % v)
        return self._status("applied")

    def _on_message(self, client, userdata, msg):
        line = self.handle(msg.payload)
        if line is not None:
            client.publish(self.status_topic, line.encode(), qos=1,
                           retain=True)
