"""Message schemas: typed fields with units and frames, and the checks a received message must pass.

A message on the wire is a msgpack map. Its header fields come first (``schema_version``, ``seq``,
``t_sim_ns``, ``t_wall_ns``, ``source``), then the topic's own fields. A field is one of a small
set of kinds (:class:`Kind`); numbers may carry a range. A message that fails a check is not
repaired: it is rejected with a :class:`MessageError` naming the reason (:class:`Drop`), the field
and the value.
"""

from __future__ import annotations

import enum
import functools
import math
import operator
from dataclasses import dataclass, field
from typing import Any


class Kind(enum.Enum):
    """What a field holds on the wire."""

    F64 = "float"
    """A finite number (msgpack float or integer)."""
    INT = "int"
    """An integer."""
    BOOL = "bool"
    STR = "str"
    ENUM = "enum"
    """A string from a fixed set of values."""
    F64_LIST = "float[]"
    """A list of finite numbers, of a fixed length when the field says so."""
    RECORDS = "record[]"
    """A list of maps, each checked against the field's record fields."""
    BYTES = "bytes"


class Drop(enum.Enum):
    """Why a received message was dropped."""

    MALFORMED = "malformed"
    """Not msgpack, not a map, or not framed as ``topic NUL payload``."""
    UNKNOWN_TOPIC = "unknown_topic"
    VERSION = "version"
    """A schema version this runtime does not read."""
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    NOT_FINITE = "not_finite"
    """NaN or infinity where a number is required."""
    OUT_OF_RANGE = "out_of_range"
    TOO_LARGE = "too_large"
    """A frame, map, list, string or byte string longer than the schema allows (dil.bus.limits)."""


class MessageError(ValueError):
    """A message that must not be acted on; ``reason`` says why, the text names field and value."""

    def __init__(self, reason: Drop, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class Field:
    """One field of a message: its kind, unit, frame and meaning."""

    name: str
    kind: Kind
    unit: str = "-"
    frame: str = "-"
    doc: str = ""
    lo: float | None = None
    """Inclusive lower bound for numbers."""
    hi: float | None = None
    """Inclusive upper bound for numbers."""
    values: tuple[str, ...] = ()
    """The allowed values of an ENUM field."""
    length: int | None = None
    """Fixed length of a F64_LIST field."""
    record: tuple[Field, ...] = ()
    """The fields of each record of a RECORDS field."""
    max_len: int | None = None
    """Largest length of a variable-length field: elements of a list, records, bytes of a string or
    byte string (None: the defaults of :mod:`dil.bus.limits`)."""

    @functools.cached_property
    def _record_checker(self) -> FastCheck:
        return FastCheck(self.record)

    def check(self, value: Any, where: str) -> None:
        """Raise :class:`MessageError` unless ``value`` is valid for this field."""
        k = self.kind
        if k is Kind.F64:
            _check_number(self, value, where)
        elif k is Kind.INT:
            if type(value) is not int:
                _wrong(self, value, where, "an integer")
            _check_range(self, value, where)
        elif k is Kind.BOOL:
            if type(value) is not bool:
                _wrong(self, value, where, "true or false")
        elif k is Kind.STR:
            if type(value) is not str:
                _wrong(self, value, where, "a string")
        elif k is Kind.ENUM:
            if type(value) is not str:
                _wrong(self, value, where, f"one of {', '.join(self.values)}")
            if value not in self.values:
                raise MessageError(
                    Drop.OUT_OF_RANGE,
                    f"{where}{self.name} = {value!r}: must be one of {', '.join(self.values)}",
                )
        elif k is Kind.F64_LIST:
            if type(value) is not list:
                _wrong(self, value, where, "a list of numbers")
            if self.length is not None and len(value) != self.length:
                raise MessageError(
                    Drop.WRONG_TYPE, f"{where}{self.name} has {len(value)} elements: must have {self.length}"
                )
            if not _numbers_ok(value, self.lo, self.hi):  # the fast check failed: find the culprit
                for i, v in enumerate(value):
                    _check_number(self, v, where, f"[{i}]")
        elif k is Kind.RECORDS:
            if type(value) is not list:
                _wrong(self, value, where, "a list of maps")
            checker = self._record_checker
            for i, rec in enumerate(value):
                if type(rec) is not dict:
                    _wrong(self, rec, where, "a map", f"[{i}]")
                checker.check(rec, f"{where}{self.name}[{i}].")
        elif k is Kind.BYTES and type(value) is not bytes:
            _wrong(self, value, where, "bytes")


def _numbers_ok(values: list, lo: float | None, hi: float | None) -> bool:
    """True when every element is a finite int or float within the bounds (one pass in C)."""
    try:
        total = sum(values)
    except TypeError:
        return False
    if total - total != 0.0 or not _NUMBER_TYPES.issuperset(map(type, values)):
        return False
    return not values or ((lo is None or min(values) >= lo) and (hi is None or max(values) <= hi))


def _wrong(f: Field, value: Any, where: str, expected: str, index: str = "") -> None:
    raise MessageError(Drop.WRONG_TYPE, f"{where}{f.name}{index} = {_short(value)}: must be {expected}")


def _check_number(f: Field, value: Any, where: str, index: str = "") -> None:
    t = type(value)
    if t is float or (isinstance(value, float) and t is not bool):  # numpy floats are floats
        if not math.isfinite(value):
            raise MessageError(Drop.NOT_FINITE, f"{where}{f.name}{index} = {value!r}: must be finite")
    elif t is not int:
        _wrong(f, value, where, "a number", index)
    _check_range(f, value, where, index)


def _check_range(f: Field, value: float, where: str, index: str = "") -> None:
    if (f.lo is not None and value < f.lo) or (f.hi is not None and value > f.hi):
        raise MessageError(
            Drop.OUT_OF_RANGE, f"{where}{f.name}{index} = {value!r}: must be within [{f.lo}, {f.hi}] {f.unit}"
        )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_fields(fields: tuple[Field, ...], msg: dict, where: str = "") -> None:
    """Check that ``msg`` has every field, each valid. Extra keys are allowed (forward compatible)."""
    for f in fields:
        try:
            value = msg[f.name]
        except KeyError:
            raise MessageError(Drop.MISSING_FIELD, f"{where}{f.name} is missing") from None
        f.check(value, where)


HEADER: tuple[Field, ...] = (
    Field("schema_version", Kind.INT, doc="version of this topic's schema; a reader rejects others", lo=1),
    Field(
        "seq", Kind.INT, doc="per publisher and topic, +1 per message from 0; a gap is a lost message", lo=0
    ),
    Field("t_sim_ns", Kind.INT, "ns", "simulation clock", "simulation time the content refers to"),
    Field(
        "t_wall_ns",
        Kind.INT,
        "ns",
        "UNIX epoch",
        "wall-clock time at publication (simulated runs: the run's epoch + t_sim_ns)",
    ),
    Field("source", Kind.STR, doc="name of the publishing node"),
)
"""The fields every message starts with."""


@dataclass(frozen=True)
class Schema:
    """The contract of one topic."""

    topic: str
    version: int
    doc: str
    fields: tuple[Field, ...]
    rate: str = ""
    """The usual publication rate, in words."""
    conflate: bool = False
    """Readers want only the newest message (a stream of states, not a list of events)."""
    names: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names = [f.name for f in HEADER + self.fields]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"schema {self.topic}: duplicate field(s) {sorted(dup)}")
        object.__setattr__(self, "names", frozenset(names))
        object.__setattr__(self, "_fast", FastCheck(HEADER[1:] + self.fields))

    def check(self, msg: Any) -> None:
        """Raise :class:`MessageError` unless ``msg`` is a valid message of this topic."""
        if type(msg) is not dict:
            raise MessageError(Drop.MALFORMED, f"{self.topic}: payload is a {type(msg).__name__}, not a map")
        version = msg.get("schema_version")
        if version != self.version or type(version) is not int:
            if "schema_version" not in msg:
                raise MessageError(Drop.MISSING_FIELD, f"{self.topic}: schema_version is missing")
            raise MessageError(
                Drop.VERSION,
                f"{self.topic}: schema_version = {_short(version)}: "
                f"this runtime reads version {self.version}",
            )
        self._fast.check(msg, f"{self.topic}: ")  # type: ignore[attr-defined]


class FastCheck:
    """Checks a map against fields: all numbers at once (a NaN or infinity makes their sum
    non-finite), then the integer fields' types, the bounded fields' ranges, the other fields one
    by one; only when that fails does the field-by-field check find and name the culprit."""

    def __init__(self, fields: tuple[Field, ...]) -> None:
        self.fields = fields
        numbers = [f for f in fields if f.kind in (Kind.F64, Kind.INT)]
        names = tuple(f.name for f in numbers)
        if len(names) > 1:
            self._numbers = operator.itemgetter(*names)
        elif names:
            self._numbers = lambda m, n=names[0]: (m[n],)
        else:
            self._numbers = lambda m: ()
        self._ints = tuple(f.name for f in numbers if f.kind is Kind.INT)
        self._bounded = tuple(
            (f.name, -_BIG if f.lo is None else f.lo, _BIG if f.hi is None else f.hi)
            for f in numbers
            if f.lo is not None or f.hi is not None
        )
        self._others = tuple(f for f in fields if f.kind not in (Kind.F64, Kind.INT))

    def check(self, msg: dict, where: str) -> None:
        if self._numbers_ok(msg):
            for f in self._others:
                if f.name not in msg:
                    raise MessageError(Drop.MISSING_FIELD, f"{where}{f.name} is missing")
                f.check(msg[f.name], where)
            return
        check_fields(self.fields, msg, where)
        # valid after all (finite numbers whose sum overflowed)

    def _numbers_ok(self, msg: dict) -> bool:
        try:
            values = self._numbers(msg)
            total = sum(values)
        except (KeyError, TypeError):
            return False
        if total - total != 0.0 or not _NUMBER_TYPES.issuperset(map(type, values)):
            return False
        for name in self._ints:
            if type(msg[name]) is not int:
                return False
        return all(lo <= msg[name] <= hi for name, lo, hi in self._bounded)


_NUMBER_TYPES = frozenset((float, int))
_BIG = 1.7976931348623157e308
"""The largest float: bounds that only infinities exceed."""
