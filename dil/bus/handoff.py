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
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from .schema import MessageError, Schema

if TYPE_CHECKING:
    from .codec import Encoder
    from .transport import Publisher

Pack = Callable[[dict[str, Any]], bytes]
"""Turns a message into its frame (``topic NUL msgpack``)."""


Make = Callable[[tuple], dict[str, Any]]
"""Turns a message's values (header then fields, in order) into the message."""


_HEAD_KEYS = ("schema_version", "seq", "t_sim_ns", "t_wall_ns", "source")

# a typed message (Outlet.publish_value) travels as one flat tuple: its header values, the value, and
# the function that makes its fields from the value
T_VALUE = len(_HEAD_KEYS)
"""Where a typed message's value sits in its tuple (after the header's five values)."""
T_FIELDS_OF = T_VALUE + 1

typed_value = itemgetter(T_VALUE)
"""The value of a typed message's tuple (a C-level call: readers take it for the price of a lookup)."""


def typed_message(typed: tuple) -> dict[str, Any]:
    """The message (header then fields) of a typed message's tuple: what
    :meth:`dil.bus.codec.Encoder.message` makes for the value's fields."""
    m = dict(zip(_HEAD_KEYS, typed[:T_VALUE], strict=True))
    m.update(typed[T_FIELDS_OF](typed[T_VALUE]))
    return m


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
        gives readers of values what they take of them without the message made (:attr:`value`)."""
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
        """What ``view`` reads from the payload (the typed value of :meth:`Outlet.publish_value`, or
        a fixed template's values tuple, read with :func:`dil.bus.fixed.field_reader`), else the message."""
        if self._view is not None:
            return self._view(self._payload)
        return self.msg

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

    __slots__ = (
        "_checked",
        "_checked_schema",
        "_hand",
        "_keys",
        "_message_of",
        "_pack",
        "_pack_typed",
        "_pack_values",
        "_source",
        "_typed",
        "_version",
        "encoder",
        "publisher",
    )

    def __init__(self, publisher: Publisher, encoder: Encoder) -> None:
        self.publisher = publisher
        self.encoder = encoder
        self._hand: Callable[..., None] | None = getattr(publisher, "hand", None)
        self._checked = encoder.schema if encoder.checks else None
        self._checked_schema = encoder.schema
        self._version = encoder.schema.version
        self._pack = encoder.pack
        self._pack_typed = self._pack_typed_message
        self._pack_values = self._pack_values_message
        self._keys = (*_HEAD_KEYS, *(f.name for f in encoder.schema.fields))
        """The message's keys in order: the header's, then every field's in schema order."""
        self._message_of = self.message_of
        self._source = encoder.source
        self._typed = self._hand is not None and not encoder.checks
        """Values are handed over as they are (an in-process transport, an encoder that does not
        check each message: both fixed from the start)."""

    def publish(self, t_sim_ns: int, t_wall_ns: int, fields: dict[str, Any], checked: bool = False) -> None:
        """Publish one message (simulated and wall time [ns], the topic's fields). ``checked``: the
        caller vouches that the fields pass the schema (it made them from values it checked, e.g. the
        numbers of an array in one kernel): readers in this process take the value without checking
        it again. Frames sent to other processes are checked by their readers whatever this says."""
        enc = self.encoder
        msg = enc.message(t_sim_ns, t_wall_ns, fields)
        hand = self._hand
        if hand is not None:
            hand(msg, self._pack, self._checked_schema if checked else self._checked)
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
        if not self._typed:
            self.publish(t_sim_ns, t_wall_ns, fields_of(value), checked)
            return
        enc = self.encoder
        seq = enc.seq
        enc.seq = seq + 1
        self._hand(  # type: ignore[misc]
            (self._version, seq, t_sim_ns, t_wall_ns, self._source, value, fields_of),
            self._pack_typed,
            self._checked_schema if checked else None,
            typed_message,
            typed_value,
        )

    def publish_fields(self, t_sim_ns: int, t_wall_ns: int, values: tuple, checked: bool = False) -> None:
        """Publish one message given as the values of all its fields, in schema order: readers in this
        process that take values (:meth:`dil.bus.inbox.Inbox.latest_value`) get the message's values
        tuple (the header's five values, then ``values``; read with :func:`dil.bus.fixed.field_reader`),
        and the message (the map :meth:`publish` makes of the same fields) and its frame are made only
        for those that read the message, a recorder or another process. ``checked`` as in
        :meth:`publish`. An encoder that checks each message makes the message at once."""
        if not self._typed:
            self.publish(t_sim_ns, t_wall_ns, dict(zip(self._keys[T_VALUE:], values, strict=True)), checked)
            return
        enc = self.encoder
        seq = enc.seq
        enc.seq = seq + 1
        self._hand(  # type: ignore[misc]
            (self._version, seq, t_sim_ns, t_wall_ns, self._source, *values),
            self._pack_values,
            self._checked_schema if checked else None,
            self._message_of,
            tuple,
        )

    def message_of(self, values: tuple) -> dict[str, Any]:
        """The message of a values tuple that :meth:`publish_fields` handed over."""
        return dict(zip(self._keys, values, strict=True))

    def _pack_values_message(self, values: tuple) -> bytes:
        return self.encoder.pack(self.message_of(values))

    def _pack_typed_message(self, typed: tuple) -> bytes:
        # the message made again if a reader in this process made it too (a recorder's run with a
        # reader of the message): rare, and the same bytes
        return self.encoder.pack(typed_message(typed))
