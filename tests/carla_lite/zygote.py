"""The body of a ``dil carla-lite`` server process forked from the test worker's zygote (a
``multiprocessing`` forkserver that imported the server's modules once): no pytest, no client."""

from __future__ import annotations

import os
import sys
from multiprocessing.connection import Connection

PRELOAD = ["dil.cli", "dil.carla_lite.cli", "dil.carla_lite.server", __name__, "tests.carla_lite.zygote_warm"]
"""Modules the zygote imports once, before it forks any server (the last loads every server kernel)."""


def carla_lite(out: Connection, args: list[str]) -> None:
    """``dil carla-lite ARGS`` (``dil.cli.main``), stdout and stderr into ``out``; exits with its status."""
    os.dup2(out.fileno(), 1)
    os.dup2(out.fileno(), 2)
    out.close()
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 (the process's own stdout)
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    from dil.cli import main

    sys.exit(main(["carla-lite", *args]))
