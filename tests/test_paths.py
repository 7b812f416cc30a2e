"""dil.paths: the shipped scenarios beside the package, or the folder DIL_SCENARIOS names."""

from __future__ import annotations

from pathlib import Path

import pytest

from dil.paths import SCENARIOS_ENV, catalog_dir, roads_dir, scenarios_dir

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_catalog_and_roads_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCENARIOS_ENV, raising=False)
    assert scenarios_dir() == ROOT / "scenarios"
    assert (catalog_dir() / "ccrs.xosc").is_file()
    assert (roads_dir() / "highway.xodr").is_file()


def test_the_environment_names_another_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(SCENARIOS_ENV, str(tmp_path))
    assert scenarios_dir() == tmp_path.resolve()
    assert catalog_dir() == tmp_path.resolve() / "catalog"
    assert roads_dir() == tmp_path.resolve() / "roads"
