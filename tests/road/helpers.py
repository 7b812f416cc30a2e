"""Small OpenDRIVE documents written in the tests."""

from __future__ import annotations

ROOT_SCENARIOS = __import__("pathlib").Path(__file__).resolve().parents[2] / "scenarios"
ROADS = ROOT_SCENARIOS / "roads"


def lanes(left: float = 3.5, right: float = 3.5, extra: str = "") -> str:
    return f"""<lanes>{extra}<laneSection s="0">
  <left><lane id="1" type="driving"><width sOffset="0" a="{left}" b="0" c="0" d="0"/>
    <roadMark sOffset="0" type="solid" width="0.12"/></lane></left>
  <center><lane id="0" type="none"><roadMark sOffset="0" type="broken" width="0.12"/></lane></center>
  <right><lane id="-1" type="driving"><width sOffset="0" a="{right}" b="0" c="0" d="0"/>
    <roadMark sOffset="0" type="solid" width="0.12"/></lane>
  <lane id="-2" type="shoulder"><width sOffset="0" a="2.0" b="0" c="0" d="0"/></lane></right>
</laneSection></lanes>"""


def road(
    geometry: str, length: float, *, road_id: str = "1", lanes_xml: str | None = None, extra: str = ""
) -> str:
    return f"""<road id="{road_id}" length="{length!r}" junction="-1"><planView>
{geometry}</planView>{extra}{lanes_xml if lanes_xml is not None else lanes()}</road>"""


def document(*roads: str, minor: int = 6, tail: str = "") -> str:
    return (
        f'<?xml version="1.0"?>\n<OpenDRIVE><header revMajor="1" revMinor="{minor}" name="t"/>\n'
        + "\n".join(roads)
        + tail
        + "</OpenDRIVE>"
    )


def geometry(
    kind: str, length: float, s: float = 0.0, x: float = 0.0, y: float = 0.0, hdg: float = 0.0
) -> str:
    return f'<geometry s="{s!r}" x="{x!r}" y="{y!r}" hdg="{hdg!r}" length="{length!r}">{kind}</geometry>'
