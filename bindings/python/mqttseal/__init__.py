"""mqttseal: end-to-end sealed MQTT payloads (ctypes binding).

    import mqttseal
    ctx = mqttseal.Context.from_file("site.keyring")
    env = ctx.seal("site/a/temp", b"21.5")
    assert ctx.open("site/a/temp", env) == b"21.5"

For paho-mqtt clients see mqttseal.paho.wrap(). The library is found as
described in mqttseal._lib (MQTTSEAL_LIBRARY, MQTTSEAL_BUILD_DIR, then the
installed library; never a source tree's build directories).
"""

from . import _lib, sizes
from .context import (Context, Header, OPEN_RETAINED, SEAL_RETAINED, Stats,
                      filter_check, parse_header, topic_check)
from .errors import *  # noqa: F401,F403 (one class per error code)
from .errors import __all__ as _errors_all
from .keyring import KeyInfo, Keyring
from .signing import Signer, Trust, signer_id_of
from .distribution import (Device, DeviceAgent, UpdateInfo, apply_update,
                           device_id_of, open_update, parse_update,
                           seal_update)

__version__ = "0.1.0"


def library_version():
    """The loaded libmqttseal's version string."""
    return _lib.lib.mqttseal_version().decode("ascii")


def library_path():
    """Where the loaded libmqttseal came from."""
    return _lib.path


def init():
    """Initialise the library (done on import; safe to repeat)."""
    from .errors import check
    check(_lib.lib.mqttseal_init())


init()

__all__ = (["Context", "Keyring", "KeyInfo", "Header", "Stats",
            "Signer", "Trust", "signer_id_of",
            "Device", "DeviceAgent", "UpdateInfo", "apply_update",
            "device_id_of", "open_update", "parse_update", "seal_update",
            "OPEN_RETAINED", "SEAL_RETAINED",
            "parse_header", "topic_check", "filter_check", "sizes",
            "library_version", "library_path", "init", "__version__"]
           + list(_errors_all))
