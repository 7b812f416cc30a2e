"""dil replay --resim on a log cut short (its writer killed): re-simulated up to where it ends."""

from __future__ import annotations

import subprocess
from pathlib import Path

from dil.recording.reader import check

from ..inproc import dil_here

CCRS = Path(__file__).resolve().parents[2] / "scenarios" / "catalog" / "ccrs.xosc"


def _dil(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``dil ARGS`` in this process: what is tested is the command's output and status (``dil run``
    and ``dil replay --resim`` run as processes in the README commands' test)."""
    return dil_here(*args, cwd=cwd)


def test_resim_of_a_log_cut_short_re_simulates_up_to_its_end(tmp_path):
    # started 8 s from the car ahead: a log long enough that its first 70 % hold a whole 1 MiB chunk
    args = ("--stack", "aeb", "--param", "StartTTC=8", "--out", str(tmp_path / "runs"))
    run = _dil("run", str(CCRS), *args, cwd=tmp_path)
    assert run.returncode in (0, 1), run.stderr
    log = tmp_path / "runs" / "ccrs" / "run.mcap"
    data = log.read_bytes()
    cut = tmp_path / "cut.mcap"
    cut.write_bytes(data[: len(data) * 7 // 10])  # what kill -9 leaves: no summary, a broken last chunk
    held = check(cut)
    assert not held.complete and held.last_ns is not None and held.messages > 0
    full = check(log)
    assert held.last_ns < full.last_ns
    p = _dil("replay", str(cut), "--resim", cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Traceback" not in p.stderr
    assert f"cut short at t = {held.last_ns / 1e9:.3f} s" in p.stdout
    n = held.per_topic["vehicle/state"]
    assert f"reproduces all {n} vehicle/state messages the log holds bit for bit" in p.stdout


def test_resim_of_a_log_cut_before_its_first_message_is_bad_input(tmp_path):
    run = _dil("run", str(CCRS), "--max-time", "1", "--out", str(tmp_path / "runs"), cwd=tmp_path)
    assert run.returncode in (0, 1, 3), run.stderr
    data = (tmp_path / "runs" / "ccrs" / "run.mcap").read_bytes()
    for size in (0, 8, 200):
        cut = tmp_path / f"cut{size}.mcap"
        cut.write_bytes(data[:size])
        p = _dil("replay", str(cut), "--resim", cwd=tmp_path)
        assert p.returncode == 2, (size, p.stdout, p.stderr)
        assert "Traceback" not in p.stderr and p.stderr.strip().splitlines()[-1].startswith("dil replay:")
