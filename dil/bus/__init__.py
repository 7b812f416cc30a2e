"""The message bus: schemas, encoding, transports (ZeroMQ and in-process) and the node graph."""

from .codec import Encoder, decode, split, topic_prefix
from .fixed import FixedEncoder
from .graph import PHYSICS_STEP_NS, GraphError, NodeSpec, Port, validate
from .inbox import Drops, Inbox
from .messages import SCHEMAS
from .schema import HEADER, Drop, Field, Kind, MessageError, Schema
from .transport import Bus, LocalBus, Publisher, Replier, Requester, Subscriber
from .zmq_bus import Endpoints, ZmqBus

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
