"""Road networks as CARLA's client sees them: every lane in its topology, routes across the junction
(a route search over the client's own waypoints, as CARLA's global route planner does). The shipped
networks, and networks written in the test with another tool (``written_maps.py``)."""

from __future__ import annotations

import heapq
import itertools
import math
from pathlib import Path

import pytest

from dil.road.network import RoadNetwork
from dil.road.routing import LANE_CHANGE_COST, LaneGraph

from .conftest import ROADS, carla, start_server, stop_server
from .written_maps import WRITERS

MAPS = ("highway", "rural", "junction")
JOIN_M = 0.5
"""A segment's exit and the next one's entry are the same place within this [m]."""
SAMPLE_M = 2.0


def _client_map(name: str, path: Path | None = None, log: list[str] | None = None) -> carla.Map:
    server = start_server("--map", str(path or ROADS / f"{name}.xodr"))
    try:
        return server.client().get_world().get_map()
    finally:
        stop_server(server)
        if log is not None:
            log.extend(server.log)


@pytest.fixture(scope="module", params=MAPS)
def maps(request) -> tuple[str, carla.Map, RoadNetwork]:
    return request.param, _client_map(request.param), RoadNetwork.load(ROADS / f"{request.param}.xodr")


def _key(w: carla.Waypoint) -> tuple[str, int, int]:
    return str(w.road_id), int(w.section_id), int(w.lane_id)


def _driving(net: RoadNetwork, graph: LaneGraph) -> set[tuple[str, int, int]]:
    driving = set()
    for node in graph.length:
        road = net.roads[net.road_index(node[0])]
        lane = next(ln for ln in road.lane_sections[node[1]].lanes if ln.id == node[2])
        if lane.type == "driving":
            driving.add(node)
    assert driving
    return driving


def test_the_client_topology_covers_every_driving_lane(maps):
    name, cmap, net = maps
    driving = _driving(net, LaneGraph(net))
    segments = cmap.get_topology()
    entries = {_key(a) for a, _ in segments}
    assert entries == driving, (
        f"{name}: missing {sorted(driving - entries)}, extra {sorted(entries - driving)}"
    )
    for a, b in segments:  # a dead end's segment ends on its own lane
        if _key(a) == _key(b):
            assert a.transform.location.distance(b.transform.location) > 1.0
    for p in cmap.get_spawn_points():  # what a route planner localises a start with
        assert _key(cmap.get_waypoint(p.location)) in entries


def _route(cmap: carla.Map, start: carla.Location, goal: carla.Location) -> list[carla.Waypoint]:
    """Shortest path over the client's topology segments, as a global route planner builds it."""
    segments = cmap.get_topology()
    length = []
    for a, b in segments:
        length.append(max(a.transform.location.distance(b.transform.location), 0.1))
    succ: dict[int, list[int]] = {i: [] for i in range(len(segments))}
    for i, (_, exit_) in enumerate(segments):
        for j, (entry, _) in enumerate(segments):
            if i != j and exit_.transform.location.distance(entry.transform.location) < JOIN_M:
                succ[i].append(j)
    first, last = _key(cmap.get_waypoint(start)), _key(cmap.get_waypoint(goal))
    starts = [i for i, (a, _) in enumerate(segments) if _key(a) == first]
    goals = {i for i, (a, _) in enumerate(segments) if _key(a) == last}
    assert starts and goals, "start or goal is on no topology segment"
    dist = {i: 0.0 for i in starts}
    prev: dict[int, int] = {}
    heap = [(0.0, i) for i in starts]
    end = None
    while heap:
        d, i = heapq.heappop(heap)
        if i in goals:
            end = i
            break
        if d > dist[i]:
            continue
        for j in succ[i]:
            if d + length[i] < dist.get(j, math.inf):
                dist[j], prev[j] = d + length[i], i
                heapq.heappush(heap, (d + length[i], j))
    assert end is not None, "no route"
    chain = [end]
    while chain[-1] in prev:
        chain.append(prev[chain[-1]])
    path = []
    for i in reversed(chain):
        a, b = segments[i]
        w = a
        while True:
            path.append(w)
            if w.transform.location.distance(b.transform.location) <= SAMPLE_M:
                break
            ahead = [n for n in w.next(SAMPLE_M) if _key(n) == _key(a)]
            if not ahead:
                break
            w = ahead[0]
    return path


def test_a_route_over_the_client_waypoints_crosses_the_junction():
    cmap = _client_map("junction")
    net = RoadNetwork.load(ROADS / "junction.xodr")
    x, y, _, _ = net.lane_to_world("1", -1, 20.0)  # towards the junction on arm 1
    gx, gy, _, _ = net.lane_to_world("3", 1, 100.0)  # away from it on arm 3
    start, goal = carla.Location(x, -y, 0.0), carla.Location(gx, -gy, 0.0)
    path = _route(cmap, start, goal)
    assert any(w.is_junction for w in path)
    assert min(w.transform.location.distance(start) for w in path) < SAMPLE_M
    assert min(w.transform.location.distance(goal) for w in path) < SAMPLE_M
    for a, b in itertools.pairwise(path):
        assert a.transform.location.distance(b.transform.location) < SAMPLE_M + JOIN_M + 0.1


@pytest.fixture(scope="module", params=sorted(WRITERS))
def written(request, tmp_path_factory) -> tuple[str, carla.Map, RoadNetwork, list[str]]:
    path = tmp_path_factory.mktemp("written") / f"{request.param}.xodr"
    WRITERS[request.param](path)
    log: list[str] = []
    return request.param, _client_map(request.param, path, log), RoadNetwork.load(path), log


def test_a_written_map_reaches_the_client_with_every_lane_and_every_way_on(written):
    """Each lane of dil's lane graph is in the client's topology, and the client goes on from it to
    every lane dil's graph goes on to (so a route planner over the topology finds routes wherever
    dil's graph has one); the server said once what it changed for the client."""
    _name, cmap, net, log = written
    graph = LaneGraph(net)
    driving = _driving(net, graph)
    segments = cmap.get_topology()
    assert {_key(a) for a, _ in segments} == driving
    client_next = {(_key(a), _key(b)) for a, b in segments if _key(a) != _key(b)}
    dil_next = {
        (n, m)
        for n in driving
        for m, cost in graph.successors.get(n, [])
        if m in driving and not (cost == LANE_CHANGE_COST and m[:2] == n[:2])
    }
    assert dil_next and dil_next <= client_next, sorted(dil_next - client_next)
    served = [line for line in log if "served to clients with" in line]
    assert served and len(served) == len(set(served)), log


ROUTES = {
    "direct_exit": (("1", -3, 10.0), ("3", -1, 60.0)),
    "lane_drop_dead_end": (("1", -1, 10.0), ("2", -1, 95.0)),
    "crossing": (("1", -1, 20.0), ("3", 1, 50.0)),
}
"""A start and a goal (road, lane, s) per written map, across what the client could not take."""


def test_a_route_over_the_client_waypoints_crosses_a_written_map(written):
    name, cmap, net, _ = written
    start, goal = ROUTES[name]
    assert LaneGraph(net).route(start, goal)
    x, y, _, _ = net.lane_to_world(*start)
    gx, gy, _, _ = net.lane_to_world(*goal)
    path = _route(cmap, carla.Location(x, -y, 0.0), carla.Location(gx, -gy, 0.0))
    assert (path[-1].road_id, path[-1].lane_id) == (int(goal[0]), goal[1])
