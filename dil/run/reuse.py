"""What the runs of one process can share: the parts of a run's set-up that depend on a file alone.

A campaign worker plays hundreds of runs of the same scenario with different parameters; each would
read and compile the same road network (~5 ms), parse the same vehicle parameter set (~15 ms of YAML)
and the same criteria file. :class:`Reuse` keeps each of them by its file's path, size and
modification time (an edited file is read again), at most :data:`KEEP` of a kind. The kept parts do
not change during a run: the parameter sets and criteria are frozen dataclasses, and a road
network's only writable arrays are scratch rows each lookup fills before it is read, so a run on a
kept network gives the same result, bit for bit, as one on a fresh network.

One is made by its owner (a campaign worker process) and handed to :func:`dil.run.build.build`;
nothing here is process-wide.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from dil.road.network import RoadNetwork
    from vehicle_models.parameters import VehicleParameters

    from .criteria import Criteria

T = TypeVar("T")

KEEP = 8
"""Parts kept per kind (the least recently used goes first)."""


def _file_key(path: Path) -> tuple[str, int, int] | None:
    """The key of a file's current contents: absolute path, size [bytes], modification time [ns];
    None when it is not a file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (os.path.abspath(path), st.st_size, st.st_mtime_ns)


class Reuse:
    """Road networks, vehicle parameter sets and criteria already read, by their files."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._kept: dict[str, OrderedDict[Hashable, object]] = {}
        self.hits = 0
        """Parts handed out again instead of read."""
        self.misses = 0
        """Parts read (and kept)."""

    def clear(self) -> None:
        """Forget every kept part (the next runs read their files again)."""
        self._kept.clear()

    def _get(self, kind: str, key: Hashable | None, make: Callable[[], T]) -> T:
        if key is None:  # not a file (an error to report, or a name): read it as a run would
            return make()
        kept = self._kept.setdefault(kind, OrderedDict())
        if key in kept:
            kept.move_to_end(key)
            self.hits += 1
            return kept[key]  # type: ignore[return-value]
        value = make()
        self.misses += 1
        kept[key] = value
        while len(kept) > self.keep:
            kept.popitem(last=False)
        return value

    def network(self, path: Path) -> RoadNetwork:
        """The compiled road network of the OpenDRIVE file ``path`` (from the disk cache of built
        networks where it holds this file's, :mod:`dil.road.cache`)."""
        from dil.road import cache

        return self._get("network", _file_key(path), lambda: cache.load(path))

    def vehicle_params(self, name_or_path: str) -> VehicleParameters:
        """A vehicle parameter set by name (``vehicle_models/sets``) or by path."""
        from vehicle_models import parameters

        path = Path(name_or_path)
        if not path.suffix:
            path = parameters.SETS_DIR / f"{name_or_path}.yaml"
        return self._get("vehicle", _file_key(path), lambda: parameters.load(name_or_path))

    def criteria(self, scenario: Path) -> Criteria:
        """The pass criteria of a scenario (its ``.criteria.yaml``, else the defaults)."""
        from .criteria import Criteria

        side = Path(scenario).with_suffix(".criteria.yaml")
        key = _file_key(side) or ("no criteria file", os.path.abspath(scenario))
        return self._get("criteria", key, lambda: Criteria.for_scenario(Path(scenario)))
