"""What each ``dil bench ...`` command of the README writes to its ``--json`` report (and prints).

The README test runs every benchmark once, with short options, and calls these on its scratch folder:
one process per benchmark in the whole suite.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path


def _rows(path: Path, key: str = "what") -> dict[str, dict]:
    return {str(r[key]).strip(): r for r in json.loads(path.read_text())["rows"]}


def dynamics(workdir: Path, stdout: str) -> None:
    """Three models by two integrators, and CommonRoad's two baselines when its package is there."""
    doc = json.loads((workdir / "d.json").read_text())
    rows = {(r["model"], r["integrator"]): r for r in doc["rows"]}
    st = rows[("single_track", "semi_implicit_euler")]
    assert "single_track" in stdout and st["ns/step numba"] > 0 and st["batch veh-s/s"] > 0
    if importlib.util.find_spec("vehiclemodels") is not None:  # the `bench` extra
        assert len(rows) == 8, sorted(rows)  # 3 models x 2 integrators + 2 baselines
        assert "CommonRoad ST" in stdout
        assert st["speedup vs CommonRoad"] > 1.0  # compiled kernels beat plain Python


def bus(workdir: Path, stdout: str) -> None:
    """Every transport asked for, nothing lost, ordered percentiles; decoding costs more than encoding."""
    doc = json.loads((workdir / "b.json").read_text())
    rows = {r["transport"]: r for r in doc["rows"]}
    assert set(rows) == {"kernel", "inproc", "local"}
    for r in rows.values():
        assert r["lost"] == 0 and 0 < r["p50 us"] <= r["p99 us"] <= r["max us"], r
        assert r["msgs/s raw"] > 0
    assert rows["local"]["msgs/s decoded"] > 0
    assert doc["codec"]["decode and check ns"] > doc["codec"]["encode fixed template ns"] > 0


def rig(workdir: Path, stdout: str) -> None:
    """The rig tick's cost, and the latched (parked) tick well under 2 us."""
    rows = json.loads((workdir / "r.json").read_text())["rows"]
    assert rows[0]["per tick us"] > 0 and rows[2]["per tick us"] <= 2


def world(workdir: Path, stdout: str) -> None:
    """The road lookup against CARLA's client, a world step with 50 actors and a camera frame."""
    rows = json.loads((workdir / "w.json").read_text())["rows"]
    whats = [r["what"] for r in rows]
    assert "world step, 50 actors" in whats and "camera frame 640x360" in whats
    assert rows[0]["per call us"] > 0 and rows[0]["carla client us"] > 0


def carla(workdir: Path, stdout: str) -> None:
    """The CARLA backend's step against a bare ``world.tick()``, and its front camera's frames."""
    doc = json.loads((workdir / "carla.json").read_text())
    rows = {r["what"].strip(): r for r in doc["rows"]}
    assert rows["bare client world.tick() (baseline)"]["vs bare tick"] == 1
    backend = rows["backend step: dil step + mirror + tick"]
    assert backend["ticks"] == 40 and backend["ticks per s"] > 0 and backend["vs bare tick"] > 0
    kpis = doc["camera_kpis"]
    assert kpis["carla_front_frames"] == 20 and kpis["carla_front_stale_frames"] == 0, kpis


def inference(workdir: Path, stdout: str) -> None:
    """The shipped lane-keeping model on the CPU: its latency, the node's overhead beyond it and the
    throughput of both batch sizes."""
    rows = {
        (r["backend"], r["what"].strip()): r for r in json.loads((workdir / "i.json").read_text())["rows"]
    }
    cpu = {what: r for (backend, what), r in rows.items() if backend == "onnx cpu"}
    assert cpu["model latency, batch 1"]["p50 ms"] > 0
    assert cpu["node overhead beyond the model, camera frame"]["p50 ms"] is not None
    assert cpu["throughput, max_batch 8"]["frames/s"] > 0 and cpu["throughput, max_batch 1"]["frames/s"] > 0


def console(workdir: Path, stdout: str) -> None:
    """A real loop, console and headless Chromium page: every phase measured, and the page's delay
    (where Debian's Chromium is installed; the page's phase needs it)."""
    from dil.console.chromium import CHROMIUM

    doc = json.loads((workdir / "c.json").read_text())
    phases = [r["phase"] for r in doc["rows"]]
    if CHROMIUM.exists():
        assert phases == [
            "without console",
            "with console, no page",
            "with console and page",
            "without console again",
        ]
        assert "vehicle/state publication to painted page" in stdout
    assert all(r["windows"] >= 1 and r["lateness_p99_us"] is not None for r in doc["rows"])
