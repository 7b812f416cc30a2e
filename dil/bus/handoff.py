"""Typed hand-off between nodes of one process: a message travels as its checked value, and its bytes
are made only where something needs them (a recorder's tap, a reader of raw frames, another process).

A publisher made by :class:`~dil.bus.transport.LocalBus` takes a :class:`Handoff` (the message and a
function that packs it); an :class:`~dil.bus.inbox.Inbox` on the same bus receives the value, checked
against its schema once for all its readers, instead of decoding and checking the frame again in
each of them. Every other publisher (ZeroMQ) is given the packed frame. The bytes, when made, are
exactly those of :meth:`dil.bus.codec.Encoder.encode`: a log records what a cross-process run sends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .schema import MessageError, Schema

if TYPE_CHECKING:
    from .codec import Encoder
    from .transport import Publisher

Pack = Callable[[dict[str, Any]], bytes]
"""Turns a message into its frame (``topic NUL msgpack``)."""


Make = Callable[[tuple], dict[str, Any]]
"""Turns a message's values (header then fields, in order) into the message."""


class Typed:
    """A message as its header values and a typed value (:mod:`dil.bus.values`): the message's fields
    are made from the value by ``fields_of`` on first need, once."""

    __slots__ = ("_fields_of", "_msg", "head", "value")

    def __init__(self, head: tuple, value: Any, fields_of: Callable[[Any], dict[str, Any]]) -> None:
        """``head``: schema_version, seq, t_sim_ns, t_wall_ns, source."""
        self.head = head
        self.value = value
        self._fields_of = fields_of
        self._msg: dict[str, Any] | None = None

    def message(self) -> dict[str, Any]:
        """The message (header then fields): what :meth:`dil.bus.codec.Encoder.message` makes."""
        m = self._msg
        if m is None:
            m = self._msg = dict(zip(_HEAD_KEYS, self.head, strict=True))
            m.update(self._fields_of(self.value))
        return m


_HEAD_KEYS = ("schema_version", "seq", "t_sim_ns", "t_wall_ns", "source")


class Handoff:
    """One published message as a value (``msg``), its frame made on first need and its check against
    a schema made once. Made from the message's values and a ``make`` function, the message itself
    is made on first need too: a reader that takes only some of the messages (a conflating
    subscriber reading at a lower rate) costs the publisher nothing for the others."""

    __slots__ = ("_checked", "_error", "_frame", "_make", "_msg", "_pack", "_payload", "_view")

    def __init__(
        self,
        msg: Any,
        pack: Pack | Callable[[tuple], bytes],
        checked: Schema | None = None,
        make: Make | None = None,
        view: Callable[[Any], Any] | None = None,
    ) -> None:
        """``msg``: the message, or with ``make`` its values (``pack`` then packs the values).
        ``checked``: the schema the publisher has already checked the message against. ``view``:
        reads the values by field name without the message made (:attr:`value`)."""
        self._payload = msg
        self._view = view
        self._make = make
        self._msg: dict[str, Any] | None = msg if make is None else None
        self._pack = pack
        self._frame: bytes | None = None
        self._checked = checked
        self._error: MessageError | None = None

    @property
    def msg(self) -> dict[str, Any]:
        """The message (made from its values on first need)."""
        m = self._msg
        if m is None:
            m = self._msg = self._make(self._payload)  # type: ignore[misc]
        return m

    @property
    def value(self) -> Any:
        """The typed value the publisher handed over (:class:`Typed`), or its values read by field
        name (a ``view`` given), else the message."""
        p = self._payload
        if self._view is not None:
            return self._view(p)
        return p.value if type(p) is Typed else self.msg

    @property
    def checked(self) -> Schema | None:
        """The schema the message has been checked against (by its publisher or a reader), if any."""
        return self._checked

    def frame(self) -> bytes:
        """The message's frame, packed once."""
        if self._frame is None:
            self._frame = self._pack(self._payload)
        return self._frame

    def check(self, schema: Schema) -> MessageError | None:
        """Why the message is not valid for ``schema`` (None: it is); checked once per schema."""
        if self._checked is not schema:
            try:
                schema.check(self.msg)
                self._error = None
            except MessageError as e:
                self._error = e
            self._checked = schema
        return self._error


class Outlet:
    """A publisher and its encoder: :meth:`publish` hands the message over as a value where the
    transport takes one (in-process), else sends its frame."""

    __slots__ = ("_checked", "_hand", "encoder", "publisher")

    def __init__(self, publisher: Publisher, encoder: Encoder) -> None:
        self.publisher = publisher
        self.encoder = encoder
        self._hand: Callable[..., None] | None = getattr(publisher, "hand", None)
        self._checked = encoder.schema if encoder.checks else None

    def publish(self, t_sim_ns: int, t_wall_ns: int, fields: dict[str, Any], checked: bool = False) -> None:
        """Publish one message (simulated and wall time [ns], the topic's fields). ``checked``: the
        caller vouches that the fields pass the schema (it made them from values it checked, e.g. the
        numbers of an array in one kernel): readers in this process take the value without checking
        it again. Frames sent to other processes are checked by their readers whatever this says."""
        enc = self.encoder
        msg = enc.message(t_sim_ns, t_wall_ns, fields)
        if self._hand is not None:
            self._hand(msg, enc.pack, enc.schema if checked else self._checked)
        else:
            self.publisher.send(enc.pack(msg))

    def publish_value(
        self,
        t_sim_ns: int,
        t_wall_ns: int,
        value: Any,
        fields_of: Callable[[Any], dict[str, Any]],
        checked: bool = False,
    ) -> None:
        """Publish one message given as a typed value (:mod:`dil.bus.values`) and the function that
        makes its fields: readers in this process that take the value
        (:meth:`dil.bus.inbox.Inbox.latest_value`) get it as it is, and the fields are made only
        for those that read the message, a recorder or another process. ``checked`` as in
        :meth:`publish`. An encoder that checks each message makes the fields at once."""
        enc = self.encoder
        if self._hand is None or enc.checks:
            self.publish(t_sim_ns, t_wall_ns, fields_of(value), checked)
            return
        head = (enc.schema.version, enc.seq, t_sim_ns, t_wall_ns, enc.source)
        enc.seq += 1
        self._hand(Typed(head, value, fields_of), self._pack_typed, enc.schema if checked else None, _message)

    def _pack_typed(self, typed: Typed) -> bytes:
        return self.encoder.pack(typed.message())


def _message(typed: Typed) -> dict[str, Any]:
    return typed.message()
