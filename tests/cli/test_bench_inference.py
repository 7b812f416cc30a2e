"""``dil bench inference`` measures the shipped lane-keeping model, whose manifest reads the cruise
speed as well as the speed from the request's ego state."""

import json
import subprocess
import sys

import yaml

from dil.bench.inference import DEFAULT_MANIFEST


def test_the_shipped_model_is_measured_on_the_cpu(tmp_path):
    ego_fields = [
        f for i in yaml.safe_load(DEFAULT_MANIFEST.read_text())["inputs"] for f in i.get("fields", [])
    ]
    assert "cruise_speed" in ego_fields  # what the bench's request must carry
    out = tmp_path / "inference.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dil",
            "bench",
            "inference",
            "--frames",
            "20",
            "--burst",
            "8",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "RequestError" not in done.stderr
    rows = {(r["backend"], r["what"].strip()): r for r in json.loads(out.read_text())["rows"]}
    cpu = {what: r for (backend, what), r in rows.items() if backend == "onnx cpu"}
    assert cpu["model latency, batch 1"]["p50 ms"] > 0
    assert cpu["node overhead beyond the model, camera frame"]["p50 ms"] is not None
    assert cpu["throughput, max_batch 8"]["frames/s"] > 0 and cpu["throughput, max_batch 1"]["frames/s"] > 0
