"""A normal run of the project's own files says nothing on stderr but progress: no warnings."""

import subprocess
import sys
from pathlib import Path

from ..inproc import dil_here

ROOT = Path(__file__).resolve().parents[2]


def _dil(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dil", *args], capture_output=True, text=True, cwd=ROOT, timeout=600
    )


def test_a_catalog_run_and_its_report_print_no_warning(tmp_path):
    run = _dil("run", "scenarios/catalog/ccrs.xosc", "--out", str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert "WARNING" not in run.stderr and "Traceback" not in run.stderr, run.stderr
    report = _dil("report", str(tmp_path / "ccrs"), "-o", str(tmp_path / "ccrs.html"))
    assert report.returncode == 0, report.stderr
    assert "WARNING" not in report.stderr and "Warning" not in report.stderr, report.stderr
    assert (tmp_path / "ccrs.html").stat().st_size > 10_000  # the page with its plots


def test_every_catalog_scenario_runs_without_warning(tmp_path):
    """In this process (the run above is the real one): stderr as a process shows it, warnings too."""
    for xosc in sorted((ROOT / "scenarios" / "catalog").glob("*.xosc")):
        run = dil_here("run", xosc, "--out", tmp_path, "--no-record", "--max-time", "1", cwd=ROOT)
        assert run.returncode in (0, 1, 3), (xosc.name, run.stderr)
        assert "WARNING" not in run.stderr and "Traceback" not in run.stderr, (xosc.name, run.stderr)
