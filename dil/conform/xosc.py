"""What the harness needs to know about an OpenSCENARIO file without loading it with the engine: its
kind, the element tags it uses and which entities a controller drives."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

SCENARIO, CATALOG, DISTRIBUTION, UNREADABLE = "scenario", "catalog", "distribution", "unreadable"

CENSUS_SCOPES = ("Entities", "Storyboard", "Catalog")
"""The subtrees whose element tags the census counts (a catalog file's ``Catalog`` holds entries)."""

DEFAULT_CONTROLLERS = frozenset({"DefaultController", ""})
"""Controller names (or catalog entry names) that mean "the storyboard drives it"."""


@dataclass
class XoscFacts:
    path: Path
    kind: str
    tags: Counter = field(default_factory=Counter)
    """Element tag -> occurrences in the census scopes."""
    controllers: dict[str, str] = field(default_factory=dict)
    """Entity name -> the controller (name or catalog entry) that drives it."""
    entities: list[str] = field(default_factory=list)
    """The entities the file declares (names as written, ``$name`` references resolved where declared
    at the top)."""
    error: str = ""


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def read(path: Path) -> XoscFacts:
    """The file's kind (scenario, catalog, parameter distribution), its element census and the entities
    a non-default controller drives (by ``ObjectController`` or ``AssignControllerAction``)."""
    try:
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except (etree.XMLSyntaxError, OSError) as e:
        return XoscFacts(path, UNREADABLE, error=f"{path}: not readable XML ({e})")
    names = {_local(c.tag) for c in root}
    if "Catalog" in names:
        kind = CATALOG
    elif "ParameterValueDistribution" in names:
        kind = DISTRIBUTION
    elif "Storyboard" in names or "Entities" in names:
        kind = SCENARIO
    else:
        return XoscFacts(
            path, UNREADABLE, error=f"{path}: neither a scenario nor a catalog (root <{root.tag}>)"
        )
    facts = XoscFacts(path, kind)
    for scope in root:
        if _local(scope.tag) not in CENSUS_SCOPES:
            continue
        for el in scope.iter():
            tag = _local(el.tag)
            if tag:
                facts.tags[tag] += 1
    if kind == SCENARIO:
        facts.controllers = _controlled(root)
        params = {p.get("name", ""): p.get("value", "") for p in root.iterfind("ParameterDeclarations/*")}
        facts.entities = [
            params.get(n[1:], n) if n.startswith("$") else n
            for n in (so.get("name", "") for so in root.iterfind("Entities/ScenarioObject"))
        ]
    return facts


def _controller_name(ctl: etree._Element) -> str:
    """The controller's name, or the catalog entry's, in an ObjectController or AssignControllerAction."""
    for el in ctl.iter():
        tag = _local(el.tag)
        if tag == "Controller":
            return el.get("name", "")
        if tag == "CatalogReference":
            return el.get("entryName", "")
    return ""


def _controlled(root: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for so in root.iter("ScenarioObject"):
        ctl = so.find("ObjectController")
        if ctl is not None:
            name = _controller_name(ctl)
            if name not in DEFAULT_CONTROLLERS:
                out[so.get("name", "")] = name
    for private in root.iter("Private"):
        for assign in private.iter("AssignControllerAction"):
            name = _controller_name(assign)
            if name not in DEFAULT_CONTROLLERS:
                out.setdefault(private.get("entityRef", ""), name)
    for action in root.iter("Action"):  # storyboard actions: the actors of their maneuver group
        assign = next(action.iter("AssignControllerAction"), None)
        if assign is None:
            continue
        name = _controller_name(assign)
        group = next((a for a in action.iterancestors("ManeuverGroup")), None)
        if name in DEFAULT_CONTROLLERS or group is None:
            continue
        for ref in group.iterfind("Actors/EntityRef"):
            out.setdefault(ref.get("entityRef", ""), name)
    out.pop("", None)
    return out
