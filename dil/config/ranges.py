"""Documented valid ranges of configuration values, checked at load.

A table maps dotted key paths (``cueing.yaw.zeta``; ``*`` matches one component: a list index or
a mapping key) to a :class:`Bound`. :func:`check` walks a loaded dataclass and refuses any number
that is not finite or lies outside its bound, naming the file, key, value and range.
:func:`numeric_paths` lists the numeric keys of a dataclass type so that tests can prove every
one of them has a range, and :func:`markdown` prints a table for the docs.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass, fields, is_dataclass

from .yaml_safe import ConfigError, short


@dataclass(frozen=True)
class Bound:
    """Closed interval ``[lo, hi]`` unless ``lo_open``/``hi_open``; ``unit`` for messages and docs."""

    lo: float
    hi: float
    unit: str = ""
    lo_open: bool = False
    hi_open: bool = False
    integer: bool = False

    def __contains__(self, v: float) -> bool:
        above = v > self.lo if self.lo_open else v >= self.lo
        below = v < self.hi if self.hi_open else v <= self.hi
        return above and below and (not self.integer or isinstance(v, int) or float(v).is_integer())

    def text(self) -> str:
        lo = f"{self.lo:g}"
        hi = f"{self.hi:g}"
        interval = f"{'(' if self.lo_open else '['}{lo}, {hi}{')' if self.hi_open else ']'}"
        return interval + (f" {self.unit}" if self.unit else "") + (" (integer)" if self.integer else "")


def closed(lo: float, hi: float, unit: str = "") -> Bound:
    return Bound(lo, hi, unit)


def positive(hi: float, unit: str = "") -> Bound:
    """``(0, hi]``"""
    return Bound(0.0, hi, unit, lo_open=True)


def count(lo: int, hi: int) -> Bound:
    return Bound(lo, hi, integer=True)


def _match(pattern: str, path: str) -> bool:
    a, b = pattern.split("."), path.split(".")
    return len(a) == len(b) and all(p == "*" or p == q for p, q in zip(a, b, strict=True))


def bound_for(table: dict[str, Bound], key: str) -> Bound | None:
    """The bound of the (wildcard) path ``key``: an exact entry first, then a ``*`` pattern."""
    if key in table:
        return table[key]
    for pattern, b in table.items():
        if "*" in pattern and _match(pattern, key):
            return b
    return None


def check(obj: object, table: dict[str, Bound], where: str) -> None:
    """Refuse a non-finite or out-of-range number anywhere in ``obj`` (a dataclass)."""
    _walk(obj, "", "", table, where)


def _walk(v: object, shown: str, key: str, table: dict[str, Bound], where: str) -> None:
    if is_dataclass(v) and not isinstance(v, type):
        for f in fields(v):
            if f.name in ("source", "path"):
                continue
            _walk(getattr(v, f.name), _join(shown, f.name), _join(key, f.name), table, where)
    elif isinstance(v, dict):
        for k, item in v.items():
            _walk(item, _join(shown, str(k)), _join(key, "*"), table, where)
    elif isinstance(v, list | tuple):
        for i, item in enumerate(v):
            _walk(item, f"{shown}[{i}]", _join(key, "*"), table, where)
    elif isinstance(v, int | float) and not isinstance(v, bool):
        b = bound_for(table, key)
        if b is None:
            ok = isinstance(v, int) or math.isfinite(v)
        else:  # a bound may include an infinity on purpose (an open-ended limit); NaN never passes
            ok = not (isinstance(v, float) and math.isnan(v)) and v in b
        if not ok:
            want = f"must be within {b.text()}" if b is not None else "must be a finite number"
            raise ConfigError(f"{where}: {shown} = {short(v)}: {want}")


def _join(a: str, b: str) -> str:
    return f"{a}.{b}" if a else b


def _numeric(t: object) -> bool:
    return t in (int, float)


def numeric_paths(cls: type, prefix: str = "") -> list[str]:
    """Every key path of ``cls`` (a dataclass type) that can hold a number (``*`` for items)."""
    hints = typing.get_type_hints(cls)
    out: list[str] = []
    for f in fields(cls):
        if f.name in ("source", "path"):
            continue
        out += _paths_of(hints[f.name], _join(prefix, f.name))
    return out


def _paths_of(t: object, key: str) -> list[str]:
    origin = typing.get_origin(t)
    args = typing.get_args(t)
    if is_dataclass(t):
        return numeric_paths(t, key)  # type: ignore[arg-type]
    if origin in (typing.Union, types.UnionType):
        found: list[str] = []
        for a in args:
            for p in _paths_of(a, key):
                if p not in found:
                    found.append(p)
        return found
    if origin in (list, tuple):
        found = []
        for a in args:
            if a is not Ellipsis:
                for p in _paths_of(a, _join(key, "*")):
                    if p not in found:
                        found.append(p)
        return found
    if origin is dict:
        return _paths_of(args[1], _join(key, "*"))
    return [key] if _numeric(t) else []


def markdown(table: dict[str, Bound]) -> str:
    """The table as Markdown rows: key, valid range."""
    lines = ["| key | valid range |", "|---|---|"]
    lines += [f"| `{k}` | {b.text()} |" for k, b in table.items()]
    return "\n".join(lines) + "\n"
