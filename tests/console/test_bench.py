"""``dil bench console`` end to end: a real loop, console and headless Chromium page."""

import json
import subprocess
import sys

import pytest

from dil.console.chromium import CHROMIUM, MISSING

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING)


def test_bench_console_reports_every_phase_and_the_page_delay(tmp_path, base_port):
    out = tmp_path / "console.json"
    args = ["bench", "console", "--seconds", "1", "--port", str(base_port), "--json", str(out)]
    result = subprocess.run(
        [sys.executable, "-m", "dil", *args],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    phases = [r["phase"] for r in doc["rows"]]
    assert phases == [
        "without console",
        "with console, no page",
        "with console and page",
        "without console again",
    ]
    assert all(r["windows"] >= 1 and r["lateness_p99_us"] is not None for r in doc["rows"])
    assert "vehicle/state publication to painted page" in result.stdout
