import logging

import pytest

from dil.road.network import RoadNetwork
from dil.road.parse import RoadNetworkError, parse
from dil.road.routing import RouteError

from .helpers import ROADS, document, geometry, lanes, road


def _net(xml: str) -> RoadNetwork:
    return RoadNetwork(parse(xml, "test.xodr"))


def test_lane_borders_follow_width_polynomials_and_lane_offset():
    widths = """<lanes><laneOffset s="0" a="0.5" b="0.01" c="0" d="0"/><laneSection s="0">
      <left><lane id="1" type="driving"><width sOffset="0" a="3" b="0.02" c="0" d="0"/></lane></left>
      <center><lane id="0" type="none"/></center>
      <right><lane id="-1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/>
        <width sOffset="50" a="3.5" b="0" c="0.001" d="0"/></lane>
      <lane id="-2" type="sidewalk"><width sOffset="0" a="2" b="0" c="0" d="0"/></lane></right>
    </laneSection></lanes>"""
    net = _net(document(road(geometry("<line/>", 100.0), 100.0, lanes_xml=widths)))
    s = 80.0
    offset = 0.5 + 0.01 * s
    w1, w_1 = 3 + 0.02 * s, 3.5 + 0.001 * (s - 50) ** 2
    assert net.lane_to_road("1", 1, s) == pytest.approx(offset + w1 / 2)
    assert net.lane_to_road("1", -1, s) == pytest.approx(offset - w_1 / 2)
    assert net.lane_to_road("1", -2, s, 0.25) == pytest.approx(offset - w_1 - 1.0 + 0.25)
    pos = net.locate(s, offset - w_1 - 0.5)
    assert (pos.lane, pos.lane_type, pos.inside) == (-2, "sidewalk", True)
    outside = net.locate(s, offset - w_1 - 2.0 - 1.0)
    assert not outside.inside and outside.distance == pytest.approx(1.0) and outside.lane == -2
    assert net.locate(s, 500.0) is None


def test_lane_sections_change_the_lanes_along_the_road():
    two = """<lanes><laneSection s="0"><center><lane id="0" type="none"/></center>
      <right><lane id="-1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/>
      <link><successor id="-1"/></link></lane></right></laneSection>
      <laneSection s="60"><center><lane id="0" type="none"/></center>
      <right><lane id="-1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/>
      <link><predecessor id="-1"/></link></lane>
      <lane id="-2" type="driving"><width sOffset="0" a="0" b="0.1" c="0" d="0"/></lane></right>
      </laneSection></lanes>"""
    net = _net(document(road(geometry("<line/>", 100.0), 100.0, lanes_xml=two)))
    assert net.locate(90.0, -3.5 - 1.0).lane == -2  # the new lane has opened: 3 m wide at s = 90
    assert net.locate(30.0, -3.5 - 1.0).inside is False
    assert net.graph.next_lanes("1", -1, 10.0) == [("1", -1)]
    with pytest.raises(KeyError, match="no lane -2 at s = 30"):
        net.lane_to_road("1", -2, 30.0)


def test_driving_direction_follows_the_traffic_rule():
    net = _net(document(road(geometry("<line/>", 100.0, hdg=0.5), 100.0)))
    assert net.lane_to_world("1", -1, 10.0)[3] == pytest.approx(0.5)
    assert net.lane_to_world("1", 1, 10.0)[3] == pytest.approx(0.5 - 3.141592653589793)


def test_routes_through_the_junction():
    net = RoadNetwork.load(ROADS / "junction.xodr")
    assert len(net.graph.next_lanes("1", -1, 149.0)) == 3  # right, straight on, left
    path = net.graph.route(("1", -1, 50.0), ("3", 1, 100.0))
    assert path[0] == ("1", -1) and path[-1] == ("3", 1)
    assert net.roads[net.road_index(path[1][0])].junction == "100"
    with_change = net.graph.route(("1", -2, 50.0), ("2", 1, 100.0))
    assert with_change[:2] == [("1", -2), ("1", -1)]  # changes lane before the junction
    away = net.graph.route(("1", 1, 50.0), ("3", 1, 100.0))  # lane 1 leads away from the junction:
    assert away[:3] == [("1", 1), ("5", -1), ("2", -1)]  # round the loop to arm 2, then across


def test_no_route_between_roads_that_are_not_linked():
    net = _net(
        document(
            road(geometry("<line/>", 100.0), 100.0),
            road(geometry("<line/>", 100.0, y=50.0), 100.0, road_id="2"),
        )
    )
    with pytest.raises(RouteError, match="no route"):
        net.graph.route(("1", -1, 10.0), ("2", -1, 50.0))


def _bad(xml: str, match: str):
    with pytest.raises(RoadNetworkError, match=match):
        parse(xml, "bad.xodr")


def test_errors_name_file_line_element_and_attribute():
    _bad(
        document(road(geometry("<line/>", 100.0).replace(' x="0.0"', ""), 100.0)),
        r"bad\.xodr:4: <geometry> is missing attribute 'x'",
    )
    _bad(
        document(road(geometry("<line/>", 100.0).replace('length="100.0"', 'length="ten"'), 100.0)),
        r"bad\.xodr:4: <geometry> attribute length='ten' is not a number",
    )
    _bad(document(road(geometry("<clothoid/>", 10.0), 10.0)), r"<clothoid> is not a planView geometry")
    _bad(
        document(road(geometry("<line/>", 10.0), 10.0)).replace('revMinor="6"', 'revMinor="2"'),
        r"revision 1\.2 is not supported",
    )
    _bad("<OpenDRIVE><header", r"bad\.xodr:1: not well-formed XML")
    _bad(
        document(road(geometry("<line/>", 10.0), 10.0, lanes_xml=lanes().replace('id="-2"', 'id="-3"'))),
        r"lane ids .* are not consecutive",
    )
    _bad(document(road(geometry("<arc curvature='nan'/>", 10.0), 10.0)), r"curvature='nan' is not finite")
    _bad(
        document(road(geometry("<line/>", 10.0), 10.0), road(geometry("<line/>", 10.0), 10.0)),
        r"road id\(s\) \['1'\] are used more than once",
    )


def test_unsupported_elements_are_listed_once_with_their_count(caplog):
    objects = "<objects><object id='1' s='1' t='0'/><object id='2' s='2' t='0'/></objects>"
    xml = document(
        road(geometry("<line/>", 10.0), 10.0, extra=objects),
        road(geometry("<line/>", 10.0), 10.0, road_id="2", extra="<objects><object id='3'/></objects>"),
    )
    caplog.set_level(logging.WARNING, logger="dil.road")
    odr = parse(xml, "x.xodr")
    assert len(odr.warnings) == 1
    assert "<objects> in <road> is not supported and ignored (2 elements)" in odr.warnings[0]
    assert odr.warnings[0].startswith("x.xodr:")
    assert len(caplog.records) == 1


def test_files_written_by_scenariogeneration_load(tmp_path):
    from scenariogeneration import xodr

    odr = xodr.OpenDrive("t")
    r = xodr.create_road(
        [xodr.Line(30), xodr.Spiral(0.0, 0.05, length=20), xodr.Arc(0.05, length=25)],
        id=7,
        left_lanes=2,
        right_lanes=3,
        lane_width=3.25,
    )
    odr.add_road(r)
    odr.adjust_roads_and_lanes()
    path = tmp_path / "sg.xodr"
    odr.write_xml(str(path))
    net = RoadNetwork.load(path)
    assert net.roads[0].id == "7" and net.roads[0].length == pytest.approx(75.0)
    assert [ln.id for ln in net.roads[0].lane_sections[0].lanes] == [2, 1, 0, -1, -2, -3]
    _x, _y, _, h = net.road_to_world("7", 75.0)
    assert h == pytest.approx(0.5 * 0.05 * 20 + 0.05 * 25)


def test_speed_records_of_roads_and_lanes():
    types = (
        '<type s="0" type="town"><speed max="50" unit="km/h"/></type>'
        '<type s="40" type="rural"><speed max="no limit"/></type>'
    )
    lane_speed = lanes().replace(
        '<lane id="1" type="driving">', '<lane id="1" type="driving"><speed sOffset="0" max="20" unit="mph"/>'
    )
    net = _net(document(road(geometry("<line/>", 100.0), 100.0, extra=types, lanes_xml=lane_speed)))
    assert net.speed_limit("1", -1, 10.0) == pytest.approx(50 / 3.6)
    assert net.speed_limit("1", -1, 60.0) == float("inf")
    assert net.speed_limit("1", 1, 10.0) == pytest.approx(20 * 0.44704)
    _bad(
        document(
            road(
                geometry("<line/>", 10.0),
                10.0,
                extra='<type s="0" type="town"><speed max="5" unit="knots"/></type>',
            )
        ),
        r"<speed> attribute unit='knots'",
    )
