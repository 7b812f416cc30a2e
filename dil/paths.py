"""Where the shipped scenario catalog and road networks are found.

By default the ``scenarios/`` folder beside the ``dil`` package (a source checkout or an editable
install); the environment variable ``DIL_SCENARIOS`` names another folder of the same layout
(``catalog/`` and ``roads/`` inside).
"""

from __future__ import annotations

import os
from pathlib import Path

SCENARIOS_ENV = "DIL_SCENARIOS"
"""The environment variable that overrides :func:`scenarios_dir`."""


def scenarios_dir() -> Path:
    """The folder holding ``catalog/`` (OpenSCENARIO files) and ``roads/`` (OpenDRIVE files)."""
    override = os.environ.get(SCENARIOS_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parents[1] / "scenarios"


def docs_dir() -> Path:
    """The project's documentation beside the ``dil`` package (a source checkout or an editable
    install): ``docs/``."""
    return Path(__file__).resolve().parents[1] / "docs"


def catalog_dir() -> Path:
    """The built-in scenario catalog: ``scenarios/catalog``."""
    return scenarios_dir() / "catalog"


def roads_dir() -> Path:
    """The shipped road networks: ``scenarios/roads``."""
    return scenarios_dir() / "roads"
