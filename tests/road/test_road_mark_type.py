"""A road mark's explicit ``<type>`` (its dash pattern) is read, not reported as unsupported."""

import logging

import pytest

from dil.road.parse import RoadNetworkError, parse, read

from .helpers import ROADS, document, geometry, road

MARK = """<lanes><laneSection s="0">
  <center><lane id="0" type="none">
    <roadMark sOffset="0" type="broken" width="0.2">
      <type name="broken" width="0.2"><line length="{length}" space="9" tOffset="0.1" sOffset="1"/></type>
    </roadMark></lane></center>
  <right><lane id="-1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></right>
</laneSection></lanes>"""


def test_the_dash_pattern_is_read_into_the_road_mark(caplog):
    caplog.set_level(logging.WARNING, logger="dil.road")
    odr = parse(document(road(geometry("<line/>", 50.0), 50.0, lanes_xml=MARK.format(length=3))), "m.xodr")
    assert odr.warnings == () and not caplog.records
    (mark,) = odr.roads[0].lane_sections[0].lanes[0].marks
    (line,) = mark.lines
    assert (line.length, line.space, line.t_offset, line.s_offset) == (3.0, 9.0, 0.1, 1.0)
    assert line.width == 0.2  # the mark's width where the line gives none


def test_a_bad_dash_length_names_the_file_line_and_value():
    xml = document(road(geometry("<line/>", 50.0), 50.0, lanes_xml=MARK.format(length="x")))
    with pytest.raises(RoadNetworkError, match=r"m\.xodr:\d+: <line> attribute length='x' is not a number"):
        parse(xml, "m.xodr")


@pytest.mark.parametrize("name", ["highway", "rural", "junction"])
def test_the_shipped_networks_load_without_warnings(name, caplog):
    caplog.set_level(logging.WARNING, logger="dil.road")
    odr = read(ROADS / f"{name}.xodr")
    assert odr.warnings == () and not caplog.records
    patterns = [m.lines for r in odr.roads for s in r.lane_sections for ln in s.lanes for m in ln.marks]
    if name == "highway":  # its broken lane lines give their dashes explicitly
        assert any(patterns)
