"""The message bus: schemas, encoding, transports (ZeroMQ and in-process) and the node graph."""

from .codec import Encoder, decode, split, topic_prefix
from .fixed import FixedEncoder
from .graph import PHYSICS_STEP_NS, GraphError, NodeSpec, Port, validate
from .inbox import Drops, Inbox
from .messages import SCHEMAS
from .schema import HEADER, Drop, Field, Kind, MessageError, Schema
from .transport import Bus, LocalBus, Publisher, Replier, Requester, Subscriber

__all__ = [
    "HEADER",
    "PHYSICS_STEP_NS",
    "SCHEMAS",
    "Bus",
    "Drop",
    "Drops",
    "Encoder",
    "Endpoints",
    "Field",
    "FixedEncoder",
    "GraphError",
    "Inbox",
    "Kind",
    "LocalBus",
    "MessageError",
    "NodeSpec",
    "Port",
    "Publisher",
    "Replier",
    "Requester",
    "Schema",
    "Subscriber",
    "ZmqBus",
    "decode",
    "split",
    "topic_prefix",
    "validate",
]


def __getattr__(name: str) -> object:
    """``ZmqBus`` and ``Endpoints`` on first use: a batch run on the in-process bus never loads ZeroMQ
    and its CURVE authenticator (about 50 ms of start-up)."""
    if name in ("ZmqBus", "Endpoints"):
        from . import zmq_bus

        return getattr(zmq_bus, name)
    raise AttributeError(f"module 'dil.bus' has no attribute {name!r}")
