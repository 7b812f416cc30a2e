"""Imported by the zygote alone (:data:`tests.carla_lite.zygote.PRELOAD`): loads the default map and
runs the server's kernel warm-up (:func:`dil.carla_lite.warmup.warm_kernels`) once, which loads every
kernel a server calls from numba's cache (or compiles it, when the cache is cold), so each forked
server finds them loaded and skips its own warm-up. Nothing here opens a socket or starts a thread:
the zygote forks every server."""

from pathlib import Path

from dil.carla_lite.server import DEFAULT_MAP, RoadNetwork, spawn_points
from dil.carla_lite.warmup import warm_kernels

_network = RoadNetwork.load(Path(DEFAULT_MAP))
warm_kernels(_network, spawn_points(_network))
del _network
