"""The built-in stack works out the lane it follows only when a lane message or the target lane
changes; its commands are exactly those of working it out every tick, on the golden traces' inputs."""

import pytest

from dil.stack.builtin import BuiltinStack
from tests.stack.golden import CASES, load, replay


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_commands_equal_those_of_a_path_worked_out_every_tick(case, monkeypatch):
    trace = load(case)
    cached = replay(trace)
    calls = []
    original = BuiltinStack._path_ahead

    def every_tick(self):
        self._path_cache = None
        calls.append(1)
        return original(self)

    monkeypatch.setattr(BuiltinStack, "_path_ahead", every_tick)
    fresh = replay(trace)
    assert len(calls) > 100
    assert cached == fresh  # bit for bit, not within a tolerance
