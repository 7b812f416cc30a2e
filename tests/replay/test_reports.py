"""Reports a validator reads: every number with its unit and rounded, titles from scenario names,
the bird's-eye view showing the stationary target, campaign rows linking to existing pages and
logs, and ``dil view`` pictures of every shipped network that are not strips (the commands run
in-process by ``dil.cli.main``, :mod:`tests.inproc`; the page screenshot in headless Chromium)."""

import base64
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import cv2
import numpy as np
import pytest

from tests.console.test_browser import browser  # noqa: F401 (the module's headless Chromium)
from tests.inproc import dil_here

ROOT = Path(__file__).resolve().parents[2]
CCRS = ROOT / "scenarios" / "catalog" / "ccrs.xosc"
ROADS = sorted((ROOT / "scenarios" / "roads").glob("*.xodr"))
SHOTS = Path("/work/helpers/shots")
LONG_FLOAT = re.compile(r"\d\.\d{4,}")
"""A number printed with four or more decimals: unrounded."""


def _dil(*args: str) -> subprocess.CompletedProcess:
    return dil_here(*args, cwd=ROOT)


def _quiet(done: subprocess.CompletedProcess) -> None:
    """The command succeeded and printed no warning (the project's own files, a normal run)."""
    text = done.stdout + done.stderr
    assert not re.search(r"warn|not supported|deprecat", text, re.IGNORECASE), text


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two ccrs runs without a stack (the ego hits the stationary target) in a/ and b/."""
    d = tmp_path_factory.mktemp("runs")
    for name in ("a", "b"):
        done = _dil("run", str(CCRS), "--stack", "none", "--out", str(d / name))
        assert done.returncode == 1, done.stdout + done.stderr  # a collision: the verdict fails
        _quiet(done)
    return d


def _text(page: str) -> str:
    """The page without its embedded images."""
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)


def _images(page: str) -> dict[str, np.ndarray]:
    found = re.findall(r"<img alt='([^']*)' src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    return {
        alt: cv2.imdecode(np.frombuffer(base64.b64decode(d), np.uint8), cv2.IMREAD_COLOR) for alt, d in found
    }


def test_a_run_report_has_units_rounding_a_scenario_title_and_the_target_drawn(
    runs,
    tmp_path,
    browser,  # noqa: F811 (the fixture imported above)
):
    out = tmp_path / "report.html"
    done = _dil("report", str(runs / "a" / "ccrs" / "run.mcap"), "-o", str(out))
    assert done.returncode == 0, done.stderr
    _quiet(done)
    page = out.read_text()
    text = _text(page)
    assert "<h1>ccrs: ccrs/run.mcap</h1>" in text and "<title>dil run report: ccrs" in text
    kpis = dict(re.findall(r"<tr><td>(\w+)</td><td class='num'>([^<]*)</td></tr>", text))
    assert re.fullmatch(r"\d+\.\d\d s", kpis["min_ttc"]) or kpis["min_ttc"] == "none"
    assert re.fullmatch(r"\d+\.\d km/h", kpis["initial_speed"]) and kpis["initial_speed"] == "40.0 km/h"
    assert re.fullmatch(r"\d+\.\d km/h", kpis["collision_speed"])
    assert re.fullmatch(r"\d+\.\d\d m", kpis["min_distance"])
    assert re.fullmatch(r"\d+\.\d\d m/s²", kpis["max_decel"])
    assert re.fullmatch(r"\d+\.\d\d s", kpis["duration"])
    assert kpis["collision"] == "yes" and kpis["lane_invasions"] == "0"
    for name, value in kpis.items():  # every number with its unit, except counts
        if re.fullmatch(r"-?\d+\.\d+", value):
            raise AssertionError(f"{name} {value} has no unit")
    assert not LONG_FLOAT.search(text), LONG_FLOAT.search(text)

    images = _images(page)
    # speeds, distance and TTC, lateral offset, bird's-eye (no stack: no inputs, no vehicle/state)
    assert list(images) == ["Speeds", "Distance and TTC", "Lateral offset", "Trajectories"]
    bev = images["Trajectories"]
    h, w = bev.shape[:2]
    assert 0.4 < h / w < 1.0  # a framed picture, not a line along a 500 m road
    # the stationary target is drawn: its box in matplotlib's second colour (orange, BGR 14 127 255)
    orange = np.all(np.abs(bev.astype(int) - (14, 127, 255)) < 40, axis=2) | np.all(
        np.abs(bev.astype(int) - (108, 178, 255)) < 30, axis=2
    )  # the filled box at alpha 0.6 on white
    assert orange.sum() > 150, orange.sum()

    # the page as a validator sees it, in headless Chromium
    tab = browser.new_page(viewport={"width": 1100, "height": 1400})
    tab.goto(out.as_uri())
    assert tab.title().startswith("dil run report: ccrs")
    shot = tmp_path / "report.png"
    tab.screenshot(path=str(shot), full_page=False)
    tab.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if SHOTS.parent.is_dir():
        SHOTS.mkdir(exist_ok=True)
        shutil.copy(shot, SHOTS / "report.png")


def test_log_score_prints_each_kpi_rounded_with_its_unit(runs):
    done = _dil("log", "score", str(runs / "a" / "ccrs" / "run.mcap"))
    assert done.returncode == 1, done.stderr
    lines = dict(
        line.split(None, 1) for line in done.stdout.splitlines() if line and not line.startswith(" ")
    )
    assert re.fullmatch(r"\d+\.\d\d s|none", lines["min_ttc"])
    assert lines["initial_speed"] == "40.0 km/h" and re.fullmatch(r"-?\d+\.\d km/h", lines["speed_reduction"])
    assert re.fullmatch(r"\d+\.\d m/s³", lines["max_jerk"]) and lines["collision"] == "yes"
    assert not LONG_FLOAT.search(done.stdout), done.stdout


def test_compare_html_is_titled_by_scenario_and_the_folders_apart(runs, tmp_path):
    out = tmp_path / "cmp.html"
    a, b = runs / "a" / "ccrs" / "run.mcap", runs / "b" / "ccrs" / "run.mcap"
    done = _dil("compare", str(a), str(b), "--html", str(out))
    assert done.returncode == 0, done.stdout + done.stderr  # the same deterministic run twice
    page = out.read_text()
    title = "ccrs (a/ccrs/run.mcap) vs ccrs (b/ccrs/run.mcap)"
    assert f"<h1>{title}</h1>" in page and f"<title>dil compare: {title}</title>" in page


def test_campaign_rows_link_to_each_runs_report_and_log(runs, tmp_path):
    from dil.campaign.results import write_html
    from dil.run.kpi import score_log

    table = []
    for name in ("a", "b"):
        log = runs / name / "ccrs" / "run.mcap"
        kpis = score_log(log).as_dict()
        table.append(
            {"run_id": f"ccrs-{name}", "scenario": "ccrs", "stack": "none", "repetition": 0, "seed": 0,
             "param.EgoSpeed": "50", "status": "fail", **kpis, "end": "stop trigger", "reason": "",
             "log": str(log), "error": "", "wall_s": 1.0}
        )  # fmt: skip
    page_path = tmp_path / "campaign" / "report.html"
    page_path.parent.mkdir()
    write_html(table, page_path, "t", None)
    page = page_path.read_text()
    text = _text(page)
    links = re.findall(r"<a href='([^']+)'>(report|log)</a>", text)
    assert sorted(kind for _, kind in links) == ["log", "log", "report", "report"]
    for href, kind in links:
        target = (page_path.parent / unquote(href)).resolve()
        assert not href.startswith(("/", "file:")) and target.is_file(), href  # relative, existing
        assert target.name == ("report.html" if kind == "report" else "run.mcap")
    assert re.search(r"<td>\d+\.\d km/h</td><td>(\d+\.\d\d s|none)</td>", text)
    for kpi, unit in (("min_distance", "m"), ("max_decel", "m/s²"), ("collision_speed", "km/h")):
        assert f"<h2>{kpi} [{unit}]</h2>" in text
    assert not LONG_FLOAT.search(text)


@pytest.mark.parametrize("road", ROADS, ids=[r.stem for r in ROADS])
def test_view_draws_every_shipped_network_framed_with_a_scale_bar(road, tmp_path):
    out = tmp_path / f"{road.stem}.png"
    done = _dil("view", str(road), "-o", str(out))
    assert done.returncode == 0, done.stderr
    _quiet(done)
    img = cv2.imread(str(out))
    h, w = img.shape[:2]
    assert f"{w}x{h} px" in done.stdout
    assert 0.25 <= h / w <= 4.0, (w, h)  # never a strip
    # the scale bar: a white bar in the bottom-left corner
    corner = img[h - 40 :, : w // 2]
    white_rows = np.all(corner > 240, axis=2).sum(axis=1)
    assert white_rows.max() > w // 20, white_rows.max()


def test_view_scale_bar_is_a_round_length_about_a_fifth_of_the_width():
    from dil.road.render import View, scale_bar_m

    for span in (40.0, 150.0, 1210.0, 9000.0):
        view = View.fit((0.0, 0.0, span, span / 2), 1600, margin_m=0.0)
        m = scale_bar_m(view)
        mantissa = m / 10 ** np.floor(np.log10(m))
        assert round(mantissa, 6) in (1.0, 2.0, 5.0) and span / 12.5 < m <= span / 5, (span, m)
