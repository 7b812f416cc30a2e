"""Loading an OpenSCENARIO 1.0 to 1.3 file: parameters, catalogs, road network, entities, the
init actions and the storyboard, every unsupported element an error naming its line."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from dil.world.actors import ActorKind

from .actions import Action, parse_action
from .conditions import parse_trigger
from .entities import Entity
from .params import ParameterError, resolve
from .storyboard import Act, ActionNode, Event, Maneuver, ManeuverGroup, Story, Storyboard
from .xml import Reader, ScenarioError, children, load_xml

CATALOG_KINDS = (
    "VehicleCatalog",
    "PedestrianCatalog",
    "MiscObjectCatalog",
    "ControllerCatalog",
    "ManeuverCatalog",
    "TrajectoryCatalog",
    "RouteCatalog",
    "EnvironmentCatalog",
)


@dataclass
class Scenario:
    source: Path
    sha256: str
    revision: tuple[int, int]
    params: dict[str, str]
    road_file: Path | None
    entities: dict[str, Entity]
    ego: str
    init: list[tuple[list[str], Action]]
    storyboard: Storyboard
    warnings: list[str] = field(default_factory=list)


class _Catalogs:
    def __init__(self, r: Reader, root: etree._Element, base: Path) -> None:
        self.r = r
        self.dirs: dict[str, Path] = {}
        loc = root.find("CatalogLocations")
        if loc is not None:
            for c in children(loc):
                if c.tag not in CATALOG_KINDS:
                    raise r.unsupported(c, "catalog kind")
                d = r.child(c, "Directory")
                self.dirs[c.tag] = (base / r.raw(d, "path")).resolve()
        self._cache: dict[str, etree._Element] = {}

    def entry(self, ref: etree._Element) -> tuple[etree._Element, dict[str, str]]:
        """The catalog entry a ``<CatalogReference>`` names, and its parameters after assignment."""
        r = self.r
        name, entry = r.raw(ref, "catalogName"), r.raw(ref, "entryName")
        for d in self.dirs.values():
            if not d.is_dir():
                continue
            for f in sorted(d.glob("*.xosc")):
                root = self._cache.get(str(f))
                if root is None:
                    root = load_xml(f)
                    self._cache[str(f)] = root
                cat = root.find("Catalog")
                if cat is None or cat.get("name") != name:
                    continue
                for item in children(cat):
                    if item.get("name") == entry:
                        params = _declarations(
                            Reader(str(f), dict(r.params)), item.find("ParameterDeclarations")
                        )
                        assigns = ref.find("ParameterAssignments")
                        if assigns is not None:
                            for a in assigns.iterfind("ParameterAssignment"):
                                key = r.raw(a, "parameterRef").lstrip("$")
                                if key not in params:
                                    raise r.error(a, f"catalog entry {entry!r} declares no parameter {key!r}")
                                params[key] = r.raw(a, "value")
                        return item, params
        raise r.error(
            ref, f"catalog {name!r} entry {entry!r} not found in {sorted(map(str, self.dirs.values()))}"
        )


def _declarations(
    r: Reader, el: etree._Element | None, overrides: dict[str, str] | None = None
) -> dict[str, str]:
    params = dict(r.params)
    if el is None:
        return params
    for d in el.iterfind("ParameterDeclaration"):
        name = r.raw(d, "name")
        ptype = d.get("parameterType", "string")
        value = d.get("value", "")
        if overrides and name in overrides:
            value = overrides[name]
        try:
            value = resolve(value, params)
        except ParameterError as e:
            raise r.error(d, f"parameter {name!r}: {e}") from None
        if ptype in ("double", "int", "unsignedInt", "unsignedShort"):
            try:
                float(value)
            except ValueError:
                raise r.error(d, f"parameter {name!r} of type {ptype} has value {value!r}") from None
        params[name] = value
        r.params[name] = value
    return params


def load(path: str | Path, overrides: dict[str, str] | None = None, ego: str | None = None) -> Scenario:
    """Read a scenario; ``overrides`` set declared parameters (``--param name=value``)."""
    path = Path(path)
    root = load_xml(path)
    r = Reader(str(path), {})
    if root.tag != "OpenSCENARIO":
        raise r.error(root, "is not an OpenSCENARIO document")
    header = r.child(root, "FileHeader")
    rev = (r.integer(header, "revMajor"), r.integer(header, "revMinor"))
    if rev[0] != 1 or rev[1] > 3:
        raise r.error(header, f"revision {rev[0]}.{rev[1]} is not supported (1.0 to 1.3 are)")
    if root.find("Catalog") is not None or root.find("ParameterValueDistribution") is not None:
        raise r.error(root, "is a catalog or a parameter distribution, not a scenario (campaigns read those)")
    decl = root.find("ParameterDeclarations")
    declared = {d.get("name") for d in decl.iterfind("ParameterDeclaration")} if decl is not None else set()
    for name in overrides or {}:
        if name not in declared:
            raise ScenarioError(
                f"{path}: --param {name}: the scenario declares no such parameter "
                f"(declared: {', '.join(sorted(n for n in declared if n))})"
            )
    _declarations(r, decl, overrides)
    base = path.parent
    catalogs = _Catalogs(r, root, base)
    road_file = None
    rn = root.find("RoadNetwork")
    if rn is not None and rn.find("LogicFile") is not None:
        road_file = (base / r.raw(rn.find("LogicFile"), "filepath")).resolve()
        if not road_file.is_file():
            raise r.error(rn.find("LogicFile"), f"road network {road_file} does not exist")
    entities = _entities(r, r.child(root, "Entities"), catalogs)
    names = list(entities)
    if ego is None:
        ego = next((n for n in names if n.lower() in ("ego", "hero", "egovehicle", "ego_vehicle")), names[0])
    if ego not in entities:
        raise ScenarioError(f"{path}: --ego {ego}: no entity of that name (entities: {', '.join(names)})")
    entities[ego].is_ego = True
    sb = r.child(root, "Storyboard")
    init = _init(r, r.child(sb, "Init"), entities)
    stories = [_story(r, s, catalogs, entities) for s in sb.iterfind("Story")]
    for c in children(sb):
        if c.tag not in ("Init", "Story", "StopTrigger"):
            raise r.unsupported(c)
    board = Storyboard(stories, parse_trigger(r, sb.find("StopTrigger")))
    return Scenario(
        path,
        hashlib.sha256(path.read_bytes()).hexdigest(),
        rev,
        r.params,
        road_file,
        entities,
        ego,
        init,
        board,
        r.warnings,
    )


def _entities(r: Reader, el: etree._Element, catalogs: _Catalogs) -> dict[str, Entity]:
    out: dict[str, Entity] = {}
    for so in children(el):
        if so.tag == "EntitySelection":
            raise r.unsupported(so)
        name = r.raw(so, "name")
        if name in out:
            raise r.error(so, f"entity {name!r} is declared twice")
        obj = next(
            (c for c in children(so) if c.tag in ("Vehicle", "Pedestrian", "MiscObject", "CatalogReference")),
            None,
        )
        if obj is None:
            raise r.error(so, f"entity {name!r} has no Vehicle, Pedestrian, MiscObject or CatalogReference")
        sub = r
        if obj.tag == "CatalogReference":
            obj, params = catalogs.entry(obj)
            sub = Reader(r.source, params)
        out[name] = _entity(sub, name, obj)
        ctl = so.find("ObjectController")
        if ctl is not None:
            r.warnings.append(
                f"{r.source}:{ctl.sourceline}: <ObjectController> of {name!r}: dil drives the ego "
                "with --stack and moves the others by the storyboard; the controller is not used"
            )
    return out


def _entity(r: Reader, name: str, obj: etree._Element) -> Entity:
    box = r.child(obj, "BoundingBox")
    dims = r.child(box, "Dimensions")
    centre = r.child(box, "Center")
    if obj.tag == "Vehicle":
        cat = r.raw(obj, "vehicleCategory", "car")
        kind = ActorKind.CYCLIST if cat in ("bicycle", "motorbike") else ActorKind.VEHICLE
    elif obj.tag == "Pedestrian":
        kind = ActorKind.PEDESTRIAN
    else:
        kind = ActorKind.OBJECT
    perf = obj.find("Performance")
    e = Entity(
        name,
        kind,
        r.num(dims, "length"),
        r.num(dims, "width"),
        r.num(dims, "height"),
        centre_x=r.num(centre, "x", 0.0),
    )
    if perf is not None:
        e.max_speed = r.num(perf, "maxSpeed", 70.0)
        e.max_accel = r.num(perf, "maxAcceleration", 10.0)
        e.max_decel = r.num(perf, "maxDeceleration", 10.0)
    return e


def _private_actions(r: Reader, el: etree._Element) -> list[Action]:
    return [parse_action(r, a) for a in el.iterfind("PrivateAction")]


def _init(r: Reader, el: etree._Element, entities: dict[str, Entity]) -> list[tuple[list[str], Action]]:
    out: list[tuple[list[str], Action]] = []
    acts = el.find("Actions")
    if acts is None:
        return out
    for c in children(acts):
        if c.tag == "GlobalAction":
            out.append(([], parse_action(r, c)))
        elif c.tag == "Private":
            who = r.raw(c, "entityRef")
            if who not in entities:
                raise r.error(c, f"entityRef={who!r} is not an entity")
            out += [([who], a) for a in _private_actions(r, c)]
        else:
            raise r.unsupported(c)
    return out


def _story(r: Reader, el: etree._Element, catalogs: _Catalogs, entities: dict[str, Entity]) -> Story:
    story = Story(r.raw(el, "name"), "story")
    for act_el in el.iterfind("Act"):
        act = Act(
            r.raw(act_el, "name"),
            "act",
            start_trigger=parse_trigger(r, act_el.find("StartTrigger")),
            stop_trigger=parse_trigger(r, act_el.find("StopTrigger")),
        )
        for g_el in act_el.iterfind("ManeuverGroup"):
            g = ManeuverGroup(
                r.raw(g_el, "name"),
                "maneuverGroup",
                max_executions=r.integer(g_el, "maximumExecutionCount", 1),
            )
            actors = g_el.find("Actors")
            if actors is not None:
                if r.boolean(actors, "selectTriggeringEntities", False):
                    raise r.unsupported(actors, "selectTriggeringEntities=true")
                for ref in actors.iterfind("EntityRef"):
                    who = r.raw(ref, "entityRef")
                    if who not in entities:
                        raise r.error(ref, f"entityRef={who!r} is not an entity")
                    g.actors.append(who)
            for m_el in children(g_el):
                if m_el.tag == "Maneuver":
                    g.maneuvers.append(_maneuver(r, m_el))
                elif m_el.tag == "CatalogReference":
                    item, params = catalogs.entry(m_el)
                    g.maneuvers.append(_maneuver(Reader(r.source, params), item))
                elif m_el.tag != "Actors":
                    raise r.unsupported(m_el)
            act.groups.append(g)
        story.acts.append(act)
    return story


def _maneuver(r: Reader, el: etree._Element) -> Maneuver:
    if el.find("ParameterDeclarations") is not None:
        r = Reader(
            r.source, _declarations(Reader(r.source, dict(r.params)), el.find("ParameterDeclarations"))
        )
    m = Maneuver(r.raw(el, "name"), "maneuver")
    for ev_el in el.iterfind("Event"):
        priority = r.choice(ev_el, "priority", ("override", "overwrite", "skip", "parallel"))
        ev = Event(
            r.raw(ev_el, "name"),
            "event",
            priority=priority,
            max_executions=r.integer(ev_el, "maximumExecutionCount", 1),
            start_trigger=parse_trigger(r, ev_el.find("StartTrigger")),
        )
        for a_el in ev_el.iterfind("Action"):
            ev.actions.append(ActionNode(r.raw(a_el, "name"), "action", action=parse_action(r, a_el)))
        m.events.append(ev)
    return m
