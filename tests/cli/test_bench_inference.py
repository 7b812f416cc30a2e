"""``dil bench inference`` measures the shipped lane-keeping model, whose manifest reads the cruise
speed as well as the speed from the request's ego state. The benchmark itself runs once in the suite,
as the README's command, and its report is checked there (``tests/cli/bench_reports.py``)."""

import yaml

from dil.bench.inference import DEFAULT_MANIFEST


def test_the_shipped_models_manifest_reads_the_cruise_speed_the_bench_sends():
    ego_fields = [
        f for i in yaml.safe_load(DEFAULT_MANIFEST.read_text())["inputs"] for f in i.get("fields", [])
    ]
    assert "cruise_speed" in ego_fields  # what the bench's request must carry
