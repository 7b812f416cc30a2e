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
    original_tick, original_path = BuiltinStack.tick, BuiltinStack._path_ahead

    def every_tick(self, t_sim_ns):
        self._path_n = -1  # the path forgotten: worked out again this tick
        return original_tick(self, t_sim_ns)

    def counted(self):
        calls.append(1)
        return original_path(self)

    monkeypatch.setattr(BuiltinStack, "tick", every_tick)
    monkeypatch.setattr(BuiltinStack, "_path_ahead", counted)
    fresh = replay(trace)
    assert len(calls) > 100
    assert cached == fresh  # bit for bit, not within a tolerance
