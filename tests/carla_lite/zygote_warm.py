"""Imported by the zygote alone (:data:`tests.carla_lite.zygote.PRELOAD`): loads the default map once,
which loads the road network's numba kernels from their cache, so each forked server finds them
loaded. Nothing here opens a socket or starts a thread: the zygote forks every server."""

from pathlib import Path

from dil.carla_lite.server import DEFAULT_MAP, RoadNetwork

RoadNetwork.load(Path(DEFAULT_MAP))
