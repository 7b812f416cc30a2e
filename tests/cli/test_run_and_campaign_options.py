"""``dil run NAME`` takes a catalog name, ``--out`` says where results go, ``campaign --list`` is a
table."""

import json
import subprocess
from pathlib import Path

from ..inproc import dil_here

ROOT = Path(__file__).resolve().parents[2]


def _dil(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``dil ARGS`` in this process: the tests read its output, files and status (``dil run`` and
    ``dil campaign`` run as processes in the README commands' test)."""
    return dil_here(*args, cwd=cwd)


def test_a_catalog_name_runs_that_scenario_and_writes_under_out_scenario(tmp_path):
    result = _dil("run", "ccrs", "--out", str(tmp_path / "out"), "--no-record", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "out" / "ccrs" / "result.json").read_text())
    assert Path(doc["scenario"]) == ROOT / "scenarios" / "catalog" / "ccrs.xosc"
    assert doc["verdict"]["passed"] is True  # its criteria file was found beside it


def test_an_existing_file_wins_over_the_catalog(tmp_path):
    (tmp_path / "ccrs").write_text("not a scenario")
    result = _dil("run", "ccrs", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("dil run: ccrs:"), result.stderr  # the file here, not the catalog's


def test_an_unknown_name_lists_the_catalog(tmp_path):
    result = _dil("run", "ccrz", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "dil run: ccrz: no such file, and no catalog scenario of that name" in result.stderr
    catalog = sorted(p.stem for p in (ROOT / "scenarios" / "catalog").glob("*.xosc"))
    assert f"(the catalog: {', '.join(catalog)})" in result.stderr


def test_a_missing_path_is_not_looked_up_in_the_catalog(tmp_path):
    result = _dil("run", "elsewhere/ccrs.xosc", cwd=tmp_path)
    assert (
        result.returncode == 2 and "elsewhere/ccrs.xosc" in result.stderr and "catalog" not in result.stderr
    )


def test_out_help_says_results_go_in_a_folder_per_scenario():
    help_ = _dil("run", "--help").stdout
    assert "OUT/SCENARIO/result.json" in " ".join(help_.split())


def test_campaign_list_is_a_table_and_json_on_request():
    table = _dil("campaign", "scenarios/campaigns/ccrs_grid.yaml", "--list")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["run", "id", "scenario", "stack"]
    assert lines[-1] == "12 runs" and len(lines) == 14  # header, 4 speeds x 3 overlaps, count
    assert "ccrs" in lines[1] and "EgoSpeed=20 Overlap=-0.5" in lines[1] and "{" not in table.stdout
    as_json = _dil("campaign", "scenarios/campaigns/ccrs_grid.yaml", "--list", "--json")
    specs = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert len(specs) == 12 and specs[0]["params"] == [["EgoSpeed", "20"], ["Overlap", "-0.5"]]
    assert [line.split()[0] for line in lines[1:-1]] == [s["run_id"] for s in specs]


def test_campaign_engine_help_says_what_each_engine_is():
    help_ = " ".join(_dil("campaign", "--help").stdout.split())
    assert "local (a process pool on this machine)" in help_ and "ray (tasks on a Ray cluster" in help_
