"""Load-time check of a scenario's entity references: every ``entityRef`` and ``masterEntityRef``
of the file names a declared entity, so that a typo is an error naming the file, line, element and
value before the run starts (not an error in the loop when the reference is first used)."""

from __future__ import annotations

from lxml import etree

from dil.config.yaml_safe import short

from .params import ParameterError, resolve
from .xml import Reader, children

REF_ATTRIBUTES = ("entityRef", "masterEntityRef")
"""Attributes that name an entity."""
MAY_BE_EMPTY = ("TrailerRef",)
"""Elements whose empty reference means "none" (a catalog's default trailer)."""


def check_entity_refs(r: Reader, root: etree._Element, entities: set[str]) -> None:
    """Raise a ScenarioError at the first reference in ``root``'s Storyboard and Entities to no
    entity of ``entities``. References built from parameters are resolved in their element's scope
    (the ParameterDeclarations of it and its ancestors); one that cannot be resolved here is left to
    the parser of its element."""
    for section in ("Entities", "Storyboard"):
        el = root.find(section)
        if el is not None:
            _walk(r, el, dict(r.params), entities)


def _walk(r: Reader, el: etree._Element, params: dict[str, str], entities: set[str]) -> None:
    decl = el.find("ParameterDeclarations")
    if decl is not None:
        params = _scoped(decl, params)
    for name in REF_ATTRIBUTES:
        given = el.get(name)
        if given is None:
            continue
        try:
            value = resolve(given, params)
        except ParameterError:
            continue
        if not value and el.tag in MAY_BE_EMPTY:
            continue
        if value not in entities:
            shown = f"{short(given)} (= {short(value)})" if value != given else short(given)
            raise r.error(
                el, f"attribute {name}={shown}: no such entity (entities: {', '.join(sorted(entities))})"
            )
    for c in children(el):
        if c.tag != "ParameterDeclarations":
            _walk(r, c, params, entities)


def _scoped(decl: etree._Element, outer: dict[str, str]) -> dict[str, str]:
    """``outer`` with the declarations of ``decl`` (values resolved where they can be)."""
    params = dict(outer)
    for d in decl.iterfind("ParameterDeclaration"):
        name = (d.get("name") or "").removeprefix("$")
        try:
            params[name] = resolve(d.get("value", ""), params)
        except ParameterError:
            params.pop(name, None)
    return params
