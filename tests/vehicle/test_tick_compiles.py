"""What a catalog run compiles (or loads from the cache) for its vehicle: the model's two tick kernels
and the model kernels they call, no more. The helpers between them are inlined into each tick kernel,
and the model's own entry points for Python (``simulate``) are never called: each compiled function
that calls the model would be optimised and compiled to machine code again with the model linked in."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

RUN = """
import json, logging
logging.getLogger("dil").setLevel(logging.ERROR)
from dil.paths import catalog_dir
from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing
from dil.vehicle import tick_kernel as tk
from vehicle_models import single_track as st
from numba.core.caching import NullCache
for tick in (tk.tick_single_track, tk.tick_single_track_inputs):
    tick._cache = NullCache()  # compiled here, not loaded: what they call is compiled or loaded here too
ccrs = ScenarioChoice(catalog_dir() / "ccrs.xosc")
run(RunSpec(ccrs, DriverChoice("builtin"), timing=Timing(max_time=0.3)))
kernels = {"tick": tk.tick_single_track, "tick_inputs": tk.tick_single_track_inputs, "step": st.step,
           "rhs": st.rhs, "simulate": st.simulate, "_tick": tk._tick,
           "_tick_with_inputs": tk._tick_with_inputs, "take_inputs": tk.take_inputs}
print(json.dumps({name: len(k.signatures) for name, k in kernels.items()}))
"""


def test_a_catalog_run_compiles_the_two_tick_kernels_and_the_model_kernels_they_call():
    done = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    compiled = json.loads(done.stdout.strip().splitlines()[-1])
    assert compiled == {
        "tick": 1, "tick_inputs": 1, "step": 1, "rhs": 1,  # the ticks, and the model linked into them
        "simulate": 0,  # the ticks loop over step themselves
        "_tick": 0, "_tick_with_inputs": 0, "take_inputs": 0,  # inlined into the ticks
    }  # fmt: skip
