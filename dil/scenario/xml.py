"""Reading OpenSCENARIO XML: parameter resolution on every attribute, and errors that name the
file, line, element and attribute."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from lxml import etree

from dil.config.yaml_safe import short

from .params import ParameterError, resolve

MAX_COORD = 1e8
"""Largest coordinate, offset or distance of a position accepted [m] (as for OpenDRIVE files)."""
MAX_ANGLE = 1e4
"""Largest heading or angle of a position accepted [rad]."""
MAX_VALUE = 1e12
"""Any other finite number is within +-MAX_VALUE (``inf`` may be written out where it means
"no limit")."""


class ScenarioError(ValueError):
    """A malformed or unsupported scenario; the message names file, line, element and attribute."""

    is_bad_input = True
    """Met while a run plays (a position off its road, say): the loop reports the message, no traceback."""


class Reader:
    """Attribute access with ``$param`` and ``${expr}`` resolved against ``params``."""

    def __init__(self, source: str, params: dict[str, str], warnings: list[str] | None = None) -> None:
        self.source = source
        self.params = params
        self.warnings: list[str] = [] if warnings is None else warnings
        self.catalogs: Any = None
        """The scenario's catalogs (``entry(ref) -> (element, Reader)``), for catalog references."""
        self.ego = ""
        """The ego entity's name once the entities are read."""
        self.environment: Any = None
        """The run's EnvironmentLog, which EnvironmentActions write."""

    def scoped(self, params: dict[str, str], source: str | None = None) -> Reader:
        """A reader of a nested scope (declarations of a storyboard element, a catalog file):
        its own parameters, the same warnings and catalogs."""
        sub = Reader(self.source if source is None else source, params, self.warnings)
        sub.catalogs, sub.ego, sub.environment = self.catalogs, self.ego, self.environment
        return sub

    def warn(self, el: etree._Element, why: str) -> None:
        """Record a warning naming file, line and element (once per distinct text)."""
        text = f"{self.source}:{el.sourceline}: <{el.tag}> {why}"
        if text not in self.warnings:
            self.warnings.append(text)

    def param_ref(self, el: etree._Element, name: str = "parameterRef") -> str:
        """The name a ``parameterRef``/``variableRef`` names; one leading ``$`` is accepted, as other
        players do (the attribute names a parameter; it is not itself resolved)."""
        value = el.get(name)
        if value is None:
            raise self.error(el, f"is missing attribute {name!r}")
        value = value.removeprefix("$")
        if not value:
            raise self.error(el, f"attribute {name} is empty")
        return value

    def error(self, el: etree._Element, why: str) -> ScenarioError:
        return ScenarioError(f"{self.source}:{el.sourceline}: <{el.tag}> {why}")

    def unsupported(self, el: etree._Element, what: str = "") -> ScenarioError:
        return self.error(
            el, f"is not supported{': ' + what if what else ''} (see docs/openscenario-support.md)"
        )

    def raw(self, el: etree._Element, name: str, default: str | None = None) -> str:
        value = el.get(name)
        if value is None:
            if default is not None:
                return default
            raise self.error(el, f"is missing attribute {name!r}")
        try:
            return resolve(value, self.params)
        except ParameterError as e:
            raise self.error(el, f"attribute {name}={short(value)}: {e}") from None

    def num(
        self, el: etree._Element, name: str, default: float | None = None, limit: float = MAX_VALUE
    ) -> float:
        """A number within ``[-limit, limit]``; ``inf`` only where written out and ``limit`` is
        MAX_VALUE (a limit that means "none")."""
        text = self.raw(el, name, None if default is None else repr(default))
        try:
            v = float(text)
        except ValueError:
            raise self.error(el, f"attribute {name}={short(el.get(name))} is not a number") from None
        given = short(el.get(name))
        written_inf = text.lower() in ("inf", "infinity") and limit == MAX_VALUE
        if not math.isfinite(v) and not written_inf:
            raise self.error(el, f"attribute {name}={given} is not finite")
        if math.isfinite(v) and abs(v) > limit:
            raise self.error(el, f"attribute {name}={given} is outside [-{limit:g}, {limit:g}]")
        return v

    def coord(self, el: etree._Element, name: str, default: float | None = None) -> float:
        """A finite coordinate, offset or distance of a position [m], within +-MAX_COORD."""
        return self.num(el, name, default, MAX_COORD)

    def integer(self, el: etree._Element, name: str, default: int | None = None) -> int:
        v = self.num(el, name, None if default is None else float(default))
        if not float(v).is_integer():
            raise self.error(el, f"attribute {name}={short(el.get(name))} is not an integer")
        return int(v)

    def boolean(self, el: etree._Element, name: str, default: bool | None = None) -> bool:
        text = self.raw(el, name, None if default is None else ("true" if default else "false"))
        if text not in ("true", "false", "1", "0"):
            raise self.error(el, f"attribute {name}={short(el.get(name))} must be true or false")
        return text in ("true", "1")

    def choice(
        self, el: etree._Element, name: str, allowed: tuple[str, ...], default: str | None = None
    ) -> str:
        text = self.raw(el, name, default)
        if text not in allowed:
            raise self.error(el, f"attribute {name}={short(text)} must be one of {', '.join(allowed)}")
        return text

    def one_child(self, el: etree._Element, allowed: tuple[str, ...] | None = None) -> etree._Element:
        kids = children(el)
        if len(kids) != 1:
            raise self.error(el, f"must hold exactly one element, found {len(kids)}")
        if allowed is not None and kids[0].tag not in allowed:
            raise self.unsupported(kids[0])
        return kids[0]

    def child(self, el: etree._Element, tag: str) -> etree._Element:
        c = el.find(tag)
        if c is None:
            raise self.error(el, f"has no <{tag}>")
        return c


def children(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def load_xml(path: Path) -> etree._Element:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ScenarioError(f"{path}: cannot read ({e.strerror})") from None
    try:
        return etree.fromstring(data, etree.XMLParser(remove_comments=True, resolve_entities=False))
    except etree.XMLSyntaxError as e:
        raise ScenarioError(f"{path}:{e.lineno}: not well-formed XML ({e.msg})") from None
