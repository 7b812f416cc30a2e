"""Loading an OpenSCENARIO 1.0 to 1.3 file: parameters, catalogs, road network, entities, the
init actions and the storyboard, every unsupported element an error naming its line."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from dil.world.actors import ActorKind

from .actions import Action, parse_action
from .catalogs import Catalogs
from .conditions import parse_trigger
from .controllers import controller_for
from .entities import Entity
from .global_actions import EnvironmentLog
from .params import ParameterError, resolve
from .references import check_entity_refs
from .road_file import find_map_file, find_road_file, map_dirs, road_file_candidates
from .roadless import check_roadless
from .signals import parse_signals
from .storyboard import Act, ActionNode, Event, Maneuver, ManeuverGroup, Story, Storyboard
from .trailers import check_trailers, read_parts
from .variables import declare_variables
from .xml import Reader, ScenarioError, children, load_xml


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
    road_map: str | None = None
    """A LogicFile given as a bare map name (a CARLA map, ``Town01``) instead of a file."""
    environment: EnvironmentLog = field(default_factory=EnvironmentLog)
    """The weather, time of day and road condition EnvironmentActions set, as the run goes."""


def _declarations(
    r: Reader, el: etree._Element | None, overrides: dict[str, str] | None = None
) -> dict[str, str]:
    params = dict(r.params)
    if el is None:
        return params
    for d in el.iterfind("ParameterDeclaration"):
        name = _declared_name(r, d)
        ptype = d.get("parameterType", "string")
        value = d.get("value", "")
        if overrides and name in overrides:
            value = overrides[name]
        try:
            value = resolve(value, params)
        except ParameterError as e:
            raise r.error(d, f"parameter {name!r}: {e}") from None
        if ptype in NUMERIC_TYPES and not _is_number(value):
            # as the reference player: kept as text; an attribute that needs a number is the error
            r.warn(
                d,
                f"parameter {name!r} of type {ptype} has value {value!r}, not a number: it is used as "
                "text (an attribute that needs a number and is given it is an error)",
            )
        params[name] = value
        r.params[name] = value
    return params


def _declared_name(r: Reader, d: etree._Element) -> str:
    """A declaration's name; one leading ``$`` (``name="$Speed"``) is dropped, as other players do."""
    name = r.param_ref(d, "name")
    if d.get("name", "").startswith("$"):
        r.warn(d, f"name={d.get('name')!r}: a parameter's name has no '$'; it is declared as {name!r}")
    return name


NUMERIC_TYPES = ("double", "int", "integer", "unsignedInt", "unsignedShort")
"""Parameter types whose values are numbers."""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


OBJECT_KINDS = ("Vehicle", "Pedestrian", "MiscObject", "CatalogReference", "ExternalObjectReference")
MAP_NAME = re.compile(r"^[A-Za-z0-9_]+$")
"""A LogicFile that is a bare name (no directory, no suffix) and no file: a CARLA map name."""


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
    types = (
        {
            (d.get("name") or "").removeprefix("$"): d.get("parameterType", "string")
            for d in decl.iterfind("ParameterDeclaration")
        }
        if decl is not None
        else {}
    )
    declared = set(types)
    for name in overrides or {}:
        if name not in declared:
            raise ScenarioError(
                f"{path}: --param {name}: the scenario declares no such parameter "
                f"(declared: {', '.join(sorted(n for n in declared if n))})"
            )
        ptype = types.get(name, "string")
        value = (overrides or {})[name]
        if ptype in NUMERIC_TYPES and not value.startswith("$") and not _is_number(value):
            raise ScenarioError(f"{path}: --param {name}={value!r}: the parameter is a {ptype}, not a number")
    _declarations(r, decl, overrides)
    declare_variables(r, root)
    base = path.parent
    catalogs = Catalogs(r, root, base, _declarations)
    r.catalogs = catalogs
    r.environment = EnvironmentLog()
    road_file, road_map = _road_network(r, root.find("RoadNetwork"), base)
    r.environment.signals = parse_signals(r, root.find("RoadNetwork"), r.environment.changes)
    if road_file is None and road_map is None:
        check_roadless(r, root)
    entities = _entities(r, r.child(root, "Entities"), catalogs)
    names = list(entities)
    if not names:
        raise r.error(r.child(root, "Entities"), "declares no entity")
    if ego is None:
        ego = _default_ego(r, root, entities)
    if ego not in entities:
        raise ScenarioError(f"{path}: --ego {ego}: no entity of that name (entities: {', '.join(names)})")
    check_entity_refs(r, root, set(names))
    entities[ego].is_ego = True
    r.ego = ego
    runtime = r.params
    sb = r.child(root, "Storyboard")
    init = _init(r, r.child(sb, "Init"), entities)
    stories = [_story(_scope(r, s, runtime), s, catalogs, entities, runtime) for s in sb.iterfind("Story")]
    for c in children(sb):
        if c.tag not in ("Init", "Story", "StopTrigger"):
            raise r.unsupported(c)
    stop = sb.find("StopTrigger")
    if stop is not None and stop.find("ConditionGroup") is None:  # an empty <StopTrigger/>: as none
        stop = None
    board = Storyboard(stories, parse_trigger(r, stop))
    scen = Scenario(
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
        road_map=road_map,
        environment=r.environment,
    )
    return scen


EGO_NAMES = ("ego", "hero", "egovehicle", "ego_vehicle")
"""Entity names (any case) taken as the ego when ``--ego`` is not given."""


def _default_ego(r: Reader, root: etree._Element, entities: dict[str, Entity]) -> str:
    """The entity named as an ego is (EGO_NAMES), else the first vehicle the storyboard never
    deletes (a DeleteEntityAction: dil's runs keep the ego in the world), else the first entity never
    deleted, else the first."""
    names = list(entities)
    named = next((n for n in names if n.lower() in EGO_NAMES), None)
    if named is not None:
        return named
    deleted = set()
    for ea in root.iter("EntityAction"):
        if ea.find("DeleteEntityAction") is not None:
            try:
                deleted.add(r.raw(ea, "entityRef"))
            except ScenarioError:  # a reference to a scoped parameter: read where it is declared
                continue
    kept = [n for n in names if n not in deleted]
    return next((n for n in kept if entities[n].kind == ActorKind.VEHICLE), kept[0] if kept else names[0])


def _road_network(r: Reader, rn: etree._Element | None, base: Path) -> tuple[Path | None, str | None]:
    """The OpenDRIVE file, and the CARLA map name a bare LogicFile gives (ScenarioRunner's
    ``Town01``; its ``Town01.xodr`` is the file when found beside the scenario or on
    ``$DIL_MAP_PATH``): which one a world needs is the runner's to say."""
    if rn is None or rn.find("LogicFile") is None:
        return None, None
    lf = rn.find("LogicFile")
    given = r.raw(lf, "filepath", "").strip()
    if not given:  # an empty LogicFile: no roads, as when none is named
        return None, None
    road_file, as_written = find_road_file(given, base)
    if road_file is not None and as_written:
        return road_file, None
    if MAP_NAME.match(given):  # a map name: its .xodr where maps are kept, else the CARLA server's
        return find_map_file(given, map_dirs(base)), given
    if road_file is not None:
        r.warn(lf, f"filepath={given!r} does not exist; {road_file} (the same file name) is used")
        return road_file, None
    tried = ", ".join(str(p.parent) for p in road_file_candidates(given, base))
    raise r.error(
        lf, f"road network {(base / given).resolve()} does not exist (nor its file name in {tried})"
    )


def _scope(r: Reader, el: etree._Element, runtime: dict[str, str]) -> Reader:
    """The reader of a storyboard element: its ParameterDeclarations shadow the outer ones and are
    visible to its subtree (and to the run's parameter actions and conditions by name)."""
    decl = el.find("ParameterDeclarations")
    if decl is None:
        return r
    sub = r.scoped(dict(r.params))
    params = _declarations(sub, decl)
    for name, value in params.items():
        runtime.setdefault(name, value)
    return r.scoped(params)


def _entities(r: Reader, el: etree._Element, catalogs: Catalogs) -> dict[str, Entity]:
    out: dict[str, Entity] = {}
    for so in children(el):
        if so.tag == "EntitySelection":
            raise r.unsupported(so)
        name = r.raw(so, "name")
        if name in out:
            raise r.error(so, f"entity {name!r} is declared twice")
        obj = next(
            (c for c in children(so) if c.tag in OBJECT_KINDS),
            None,
        )
        if obj is None:
            raise r.error(so, f"entity {name!r} has no Vehicle, Pedestrian, MiscObject or CatalogReference")
        if obj.tag == "ExternalObjectReference":
            raise r.unsupported(obj, "entity kind")
        sub = r
        if obj.tag == "CatalogReference":
            obj, sub = catalogs.entry(obj)
        elif obj.find("ParameterDeclarations") is not None:  # an inline object's own parameters
            sub = r.scoped(_declarations(r.scoped(dict(r.params)), obj.find("ParameterDeclarations")))
        out[name] = _entity(sub, name, obj)
        ctl = so.find("ObjectController")
        if ctl is not None:
            out[name].controller_line = ctl.sourceline or 0
            out[name].controller = controller_for(r, ctl, name)
    check_trailers(r, el, out)
    return out


def _entity(r: Reader, name: str, obj: etree._Element) -> Entity:
    if obj.tag not in ("Vehicle", "Pedestrian", "MiscObject"):
        raise r.error(obj, f"entity {name!r}: a {obj.tag} is not a Vehicle, Pedestrian or MiscObject")
    box = r.child(obj, "BoundingBox")
    dims = r.child(box, "Dimensions")
    centre = r.child(box, "Center")
    if obj.tag == "Vehicle":
        cat = r.raw(obj, "vehicleCategory", "car")
        kind = ActorKind.CYCLIST if cat in ("bicycle", "motorbike") else ActorKind.VEHICLE
        parts = read_parts(r, name, obj)
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
    if obj.tag == "Vehicle":
        e.hitch_dx, e.coupler_dx, e.towing = parts.hitch, parts.coupler, parts.trailer
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
        elif c.tag == "UserDefinedAction":
            out.append(([], parse_action(r, c)))
        else:
            raise r.unsupported(c)
    return out


def _story(
    r: Reader, el: etree._Element, catalogs: Catalogs, entities: dict[str, Entity], runtime: dict[str, str]
) -> Story:
    story = Story(r.raw(el, "name"), "story")
    for act_el in el.iterfind("Act"):
        ra = _scope(r, act_el, runtime)
        act = Act(
            ra.raw(act_el, "name"),
            "act",
            start_trigger=parse_trigger(ra, act_el.find("StartTrigger")),
            stop_trigger=parse_trigger(ra, act_el.find("StopTrigger")),
        )
        for g_el in act_el.iterfind("ManeuverGroup"):
            rg = _scope(ra, g_el, runtime)
            g = ManeuverGroup(
                rg.raw(g_el, "name"),
                "maneuverGroup",
                max_executions=rg.integer(g_el, "maximumExecutionCount", 1),
            )
            actors = g_el.find("Actors")
            if actors is not None:
                # the triggering entities of an Act StartTrigger with no entity condition are none:
                # the actors are those listed; entity conditions would choose them at run time
                triggered = act_el.find("StartTrigger")
                by_entity = triggered is not None and triggered.find(".//ByEntityCondition") is not None
                if rg.boolean(actors, "selectTriggeringEntities", False) and by_entity:
                    raise rg.unsupported(
                        actors,
                        "selectTriggeringEntities=true with entity conditions in the Act's StartTrigger",
                    )
                for ref in actors.iterfind("EntityRef"):
                    who = rg.raw(ref, "entityRef")
                    if who not in entities:
                        raise rg.error(ref, f"entityRef={who!r} is not an entity")
                    g.actors.append(who)
            for m_el in children(g_el):
                if m_el.tag == "Maneuver":
                    g.maneuvers.append(_maneuver(rg, m_el, runtime))
                elif m_el.tag == "CatalogReference":
                    item, sub = catalogs.entry(m_el)  # its declarations, assigned, are in sub
                    g.maneuvers.append(_maneuver(sub, item, runtime, declared=True))
                elif m_el.tag not in ("Actors", "ParameterDeclarations"):
                    raise rg.unsupported(m_el)
            act.groups.append(g)
        story.acts.append(act)
    return story


def _maneuver(r: Reader, el: etree._Element, runtime: dict[str, str], declared: bool = False) -> Maneuver:
    """A Maneuver; ``declared``: its ParameterDeclarations are already in ``r`` (a catalog entry's,
    with the reference's assignments)."""
    if declared:
        for name, value in r.params.items():
            runtime.setdefault(name, value)
    else:
        r = _scope(r, el, runtime)
    m = Maneuver(r.raw(el, "name"), "maneuver")
    for ev_el in el.iterfind("Event"):
        re_ = _scope(r, ev_el, runtime)
        priority = re_.choice(ev_el, "priority", ("override", "overwrite", "skip", "parallel"))
        ev = Event(
            re_.raw(ev_el, "name"),
            "event",
            priority=priority,
            max_executions=re_.integer(ev_el, "maximumExecutionCount", 1),
            start_trigger=parse_trigger(re_, ev_el.find("StartTrigger")),
        )
        for a_el in ev_el.iterfind("Action"):
            ev.actions.append(ActionNode(re_.raw(a_el, "name"), "action", action=parse_action(re_, a_el)))
        m.events.append(ev)
    return m
