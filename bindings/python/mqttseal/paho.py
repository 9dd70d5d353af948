"""paho-mqtt integration: seal what a Client publishes, open what it gets.

    import mqttseal, mqttseal.paho
    client = paho.mqtt.client.Client()
    mqttseal.paho.wrap(client, mqttseal.Context.from_file("app.keyring"))

After wrap():

* ``client.publish(topic, payload, ...)`` seals payload for topic and
  publishes the envelope; with ``retain=True`` it is sealed as retained
  (an authenticated header flag: receivers apply their retained maximum
  age to it). If sealing fails it raises (a MqttsealError):
  plaintext is never published. str/int/float/None payloads are converted
  as paho does. On MQTT 5, a Payload Format Indicator of 1 is removed from
  a copy of the properties (the envelope is binary; the caller's object is
  not changed).
* ``client.will_set(...)`` seals the will (see README for the replay
  caveat and ``will_context``); a will set before wrap() is sealed by it.
* Every incoming PUBLISH is opened before any application callback runs:
  the hook replaces the client's internal dispatch (``_handle_on_message``,
  which paho calls for QoS 0, 1 and 2 and which runs both ``on_message``
  and ``message_callback_add`` callbacks). Callbacks may therefore be set
  before or after wrap(). Callbacks receive a SealedMessage: an
  MQTTMessage whose payload is the plaintext, with the envelope's
  ``header`` (mqttseal.Header) added.
* A message that does not open never reaches on_message or a filtered
  callback: ``on_reject(client, userdata, topic, reason)`` is called
  instead (reason: an mqttseal.Reason, a str enum), and it is logged at
  warning level through paho's on_log/logger. The RETAIN bit of a
  delivery is passed to open() for information only: it exempts nothing.
* ``wrap(..., fleet=True)`` applies the fleet defaults to the context(s)
  (Context.use_fleet_defaults: timestamps on, 5 min maximum age, 1 day
  for messages sealed as retained).

Works with MQTTv31, MQTTv311 and MQTTv5 clients (paho-mqtt 1.6.x).

Threads: the context is used from paho's network thread (loop_start) and
from whichever threads publish; mqttseal contexts allow that.
"""

import copy

import paho.mqtt.client as _mqtt

from .context import Context
from .errors import MqttsealError, ReplayError, Reason

__all__ = ["wrap", "unwrap", "is_wrapped", "set_on_reject", "SealedMessage",
           "Reason"]

_ATTR = "_mqttseal_state"
_MISSING = object()


class SealedMessage(_mqtt.MQTTMessage):
    """An MQTTMessage whose payload was opened; ``header`` holds the
    envelope's mqttseal.Header (key_id, session_id, seq, timestamp_ms)."""

    __slots__ = ("header",)


_MSG_SLOTS = ("timestamp", "state", "dup", "mid", "_topic", "qos", "retain",
              "info", "properties")


def _opened(message, payload, header):
    m = SealedMessage.__new__(SealedMessage)
    for name in _MSG_SLOTS:
        try:
            setattr(m, name, getattr(message, name))
        except AttributeError:
            pass
    m.payload = payload
    m.header = header
    return m


def _payload_bytes(payload):
    """paho's own payload conversion (Client.publish, will_set)."""
    if isinstance(payload, str):
        return payload.encode("utf-8")
    if isinstance(payload, (bytes, bytearray)):
        return bytes(payload)
    if isinstance(payload, (int, float)):
        return str(payload).encode("ascii")
    if payload is None:
        return b""
    raise TypeError(
        "payload must be a string, bytearray, int, float or None.")


def _strip_pfi(properties):
    """A copy of properties without Payload Format Indicator 1."""
    if properties is None or getattr(properties, "PayloadFormatIndicator",
                                     0) != 1:
        return properties
    p = copy.copy(properties)
    del p.PayloadFormatIndicator
    return p


class _State:
    __slots__ = ("context", "will_context", "on_reject", "publish",
                 "will_set", "dispatch", "saved")

    def __init__(self, context, will_context, on_reject):
        self.context = context
        self.will_context = will_context
        self.on_reject = on_reject


def is_wrapped(client):
    return getattr(client, _ATTR, None) is not None


def wrap(client, context, on_reject=None, will_context=None, fleet=False):
    """Make client seal everything it publishes and open everything it
    receives with context (a mqttseal.Context). Returns client.

    on_reject(client, userdata, topic, reason): called for each message
    that does not open (topic is str, or bytes if not UTF-8).
    will_context: a separate Context for the will (recommended; see the
    README), default context.
    fleet: call use_fleet_defaults() on context (and will_context) first.
    """
    if not isinstance(context, Context):
        raise TypeError("context must be a mqttseal.Context")
    if will_context is not None and not isinstance(will_context, Context):
        raise TypeError("will_context must be a mqttseal.Context")
    if is_wrapped(client):
        raise ValueError("client is already wrapped by mqttseal")
    if fleet:
        for ctx in (context, will_context):
            if ctx is not None:
                ctx.use_fleet_defaults()
    st = _State(context, will_context, on_reject)
    # The originals, bound to this client: whatever the instance had before
    # (another wrapper, or the class's methods).
    st.publish = client.publish
    st.will_set = client.will_set
    st.dispatch = client._handle_on_message
    st.saved = {n: client.__dict__.get(n, _MISSING)
                for n in ("publish", "will_set", "_handle_on_message")}

    def publish(topic, payload=None, qos=0, retain=False, properties=None):
        if topic is None:
            raise ValueError("Invalid topic.")
        env = st.context.seal(topic, _payload_bytes(payload),
                              retained=bool(retain))
        return st.publish(topic, env, qos, retain, _strip_pfi(properties))

    def will_set(topic, payload=None, qos=0, retain=False, properties=None):
        if topic is None or len(topic) == 0:
            raise ValueError("Invalid topic.")
        ctx = st.will_context or st.context
        env = ctx.seal(topic, _payload_bytes(payload), retained=bool(retain))
        return st.will_set(topic, env, qos, retain, _strip_pfi(properties))

    def handle_on_message(message):
        _dispatch(client, st, message)

    publish.__doc__ = ("Seal payload for topic (as retained when retain), "
                       "then paho's publish().")
    will_set.__doc__ = "Seal the will payload, then paho's will_set()."
    if getattr(client, "_will", False):
        # A will set before wrap() would go out in plaintext: seal it now.
        wt = client._will_topic.decode("utf-8")
        will_set(wt, client._will_payload, client._will_qos,
                 client._will_retain,
                 getattr(client, "_will_properties", None))
    client.publish = publish
    client.will_set = will_set
    client._handle_on_message = handle_on_message
    setattr(client, _ATTR, st)
    return client


def unwrap(client):
    """Undo wrap(): the client publishes and receives raw payloads again."""
    st = getattr(client, _ATTR, None)
    if st is None:
        return client
    for name, saved in st.saved.items():
        if saved is _MISSING:
            client.__dict__.pop(name, None)   # back to the class's method
        else:
            setattr(client, name, saved)
    delattr(client, _ATTR)
    return client


def set_on_reject(client, on_reject):
    """Set or replace the rejection callback of a wrapped client."""
    st = getattr(client, _ATTR, None)
    if st is None:
        raise ValueError("client is not wrapped by mqttseal")
    st.on_reject = on_reject


def _reason(err, message):
    if isinstance(err, ReplayError) and message.dup:
        return Reason.DUPLICATE
    if isinstance(err, MqttsealError):
        return err.reason
    return Reason.ERROR


def _dispatch(client, st, message):
    raw_topic = message._topic
    try:
        payload, header = st.context.open_with_header(
            raw_topic, message.payload, retained=bool(message.retain))
    except Exception as err:   # fail closed: nothing unverified goes on
        _reject(client, st, message, raw_topic, _reason(err, message), err)
        return
    st.dispatch(_opened(message, payload, header))


def _reject(client, st, message, raw_topic, reason, err):
    try:
        topic = raw_topic.decode("utf-8")
    except UnicodeDecodeError:
        topic = raw_topic
    client._easy_log(_mqtt.MQTT_LOG_WARNING,
                     "mqttseal: rejected message on %r (d%d, q%d, r%d): "
                     "%s: %s", topic, message.dup, message.qos,
                     message.retain, reason.value, err)
    cb = st.on_reject
    if cb is None:
        return
    with client._in_callback_mutex:
        try:
            cb(client, client._userdata, topic, reason)
        except Exception as e:
            client._easy_log(_mqtt.MQTT_LOG_ERR,
                             "Caught exception in on_reject: %s", e)
            if not client.suppress_exceptions:
                raise
