"""OSI output of a run: the tap wired to a standalone trace and/or the run's log."""

from __future__ import annotations

from pathlib import Path

from dil.road.network import RoadNetwork

from .groundtruth import EgoGeometry, GroundTruthBuilder
from .lanes import osi_lanes
from .sinks import LogSink, Sink, TraceSink
from .tap import OsiTap


def run_tap(
    net: RoadNetwork,
    vehicle_params: object,
    model: str,
    *,
    trace: Path | None = None,
    recorder: object | None = None,
    threaded: bool = False,
    description: str = "dil run",
) -> OsiTap:
    """A tap writing ground truth to ``trace`` (``.mcap`` or ``.osi``) and, given a recorder, to a
    ``ground_truth`` channel of the run's log."""
    builder = GroundTruthBuilder(
        osi_lanes(net), net, EgoGeometry.of(vehicle_params, model), Path(str(net.source)).name
    )
    sinks: list[Sink] = []
    if trace is not None:
        sinks.append(TraceSink(trace, description))
    if recorder is not None:
        sinks.append(LogSink(recorder, description))
    return OsiTap(builder, sinks, threaded=threaded)
