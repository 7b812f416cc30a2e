"""``dil run`` as a program ends its process once its files are written, without the interpreter's
teardown: its output and status are whole, exit handlers run, objects are not freed one by one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

TIMEOUT_S = 600.0  # a cold kernel cache compiles first, on a busy machine

PROGRAM = """
import atexit, sys
class Freed:
    def __del__(self):
        print("freed at teardown", flush=True)
kept = Freed()
atexit.register(lambda: print("exit handler ran", flush=True))
sys.argv = ["dil", *sys.argv[1:]]
from dil.cli import main
sys.exit(main())
"""


def _dil(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DIL_RUN_WORKER": "off"}
    return subprocess.run(
        [sys.executable, "-c", PROGRAM, *args], capture_output=True, text=True, timeout=TIMEOUT_S, env=env
    )


def test_a_run_ends_with_its_status_output_and_exit_handlers_but_no_teardown(tmp_path):
    p = _dil("run", "ccrs", "--stack", "none", "--no-record", "--out", str(tmp_path))
    lines = p.stdout.splitlines()
    assert p.returncode == 1, p.stderr  # nobody brakes: the collision fails the verdict
    assert lines[-2].startswith("written: ") and lines[-1] == "exit handler ran", p.stdout
    assert "freed at teardown" not in p.stdout
    assert json.loads((tmp_path / "ccrs" / "result.json").read_text())["outcome"] == "fail"
    assert (tmp_path / "ccrs" / "trace.csv").read_text().count("\n") > 100


def test_a_refused_run_ends_at_once_too_and_other_commands_as_usual(tmp_path):
    missing = str(tmp_path / "missing.xosc")
    bad = _dil("run", missing, "--stack", "none", "--no-record", "--out", str(tmp_path))
    assert bad.returncode == 2 and "missing.xosc" in bad.stderr and "Traceback" not in bad.stderr
    assert bad.stdout.splitlines() == ["exit handler ran"]
    p = _dil("vehicles")
    assert p.returncode == 0 and p.stdout.splitlines()[-2:] == ["exit handler ran", "freed at teardown"]
