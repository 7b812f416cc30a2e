"""Fuzz worker: runs dil's loaders (and short in-process batch runs) on the cases it reads, one JSON
object a line on stdin, and answers one JSON line each on stdout:

- ``ok``: the input was accepted;
- ``clean``: it was refused with the error a ``dil`` command prints as one line (a ValueError,
  KeyError or OSError with a message);
- ``traceback``: anything else escaped (the traceback's last lines in ``detail``).

A crash ends this process (the parent sees EOF and the signal); a hang leaves it silent (the parent
kills it at the case's deadline). Each case is one of the kinds of :func:`run_case`.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from pathlib import Path

CLEAN = (ValueError, KeyError, OSError)
"""What the command lines report as a one-line error with exit status 2."""


def run_case(case: dict) -> None:
    kind = case["kind"]
    path = Path(case["path"])
    if kind == "run":  # a scenario (its road, catalogs, criteria, parameters) through a short batch run
        from dil.run.runner import run
        from dil.run.spec import RunSpec, ScenarioChoice, Timing

        run(
            RunSpec(
                ScenarioChoice(path, dict(case.get("params", {}))),
                timing=Timing(max_time=case.get("max_time", 0.5)),
            )
        )
    elif kind == "road":
        from dil.road.network import RoadNetwork
        from dil.road.render import render_png

        net = RoadNetwork.load(path)
        for x, y in ((0.0, 0.0), (1e300, 0.0), (float("nan"), 5.0), (50.0, -3.5)):
            net.locate(x, y)
        render_png(net, str(path.with_suffix(".png")), 200)
    elif kind == "pvd":
        from dil.campaign.pvd import load_pvd
        from dil.campaign.runs import run_specs

        run_specs(load_pvd(path))
    elif kind == "campaign":
        from dil.campaign.runs import run_specs
        from dil.campaign.spec import load

        run_specs(load(path))
    elif kind == "rig":
        from hil_rigs.config import load_rig

        load_rig(path)
    elif kind == "wheel":
        from hil_rigs.wheel import load_mapping

        load_mapping(path)
    elif kind == "manifest":
        from dil.inference.manifest import load_manifest

        load_manifest(path)
    elif kind == "vehicle":
        import vehicle_models

        vehicle_models.load(path)
    elif kind == "criteria":
        from dil.run.criteria import Criteria

        Criteria.load(path)
    elif kind == "selftest-crash":  # the harness's own test: a crash must be seen as one
        import os
        import signal

        os.kill(os.getpid(), signal.SIGSEGV)
    elif kind == "selftest-hang":
        import time

        time.sleep(3600)
    elif kind == "selftest-traceback":
        [][1]
    else:
        raise SystemExit(f"unknown case kind {kind!r}")


def main() -> None:
    logging.disable(logging.CRITICAL)  # the cases' warnings are not under test here
    out = sys.stdout
    for line in sys.stdin:
        case = json.loads(line)
        try:
            run_case(case)
            status, detail = "ok", ""
        except CLEAN as e:
            status, detail = "clean", f"{type(e).__name__}: {str(e)[:300]}"
        except Exception:
            status, detail = "traceback", "".join(traceback.format_exc().splitlines(True)[-6:])[-1500:]
        out.write(json.dumps({"status": status, "detail": detail}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
