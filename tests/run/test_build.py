"""The one builder: the node graph of a run in tick order, the caller's observers after the run's
own, the world closed whatever ends the run, and a run built from the spec identical to the same run
from flat keywords."""

from pathlib import Path

from dil.realtime.loop import Loop
from dil.run.build import build
from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing
from dil.run.stacks import STACKS, Driving, StackEntry

ROOT = Path(__file__).resolve().parents[2]
CCRS = ROOT / "scenarios" / "catalog" / "ccrs.xosc"


def _names(loop: Loop) -> list[str]:
    return [n.spec.name for n in loop.nodes]


class _Counter:
    """An observer of the caller's: counts its ticks."""

    rate_hz = 10.0

    def __init__(self) -> None:
        from dil.bus.graph import NodeSpec

        self.spec = NodeSpec("counter")
        self.ticks = 0

    def start(self, t_sim_ns: int) -> None:
        pass

    def stop(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        self.ticks += 1


def test_a_batch_run_is_engine_world_stack_vehicle_then_observers():
    spec = RunSpec(ScenarioChoice(CCRS), DriverChoice("builtin"), timing=Timing(max_time=1.0))
    counters: list[_Counter] = []

    def counter(ctx):
        counters.append(_Counter())
        return counters[-1]

    with build(spec, observers=[counter]) as built:
        names = _names(built.loop)
        assert names[0] == "scenario" and names[1] == "world" and names[-3:] == ["kpi", "trace", "counter"]
        assert names.index("vehicle") > 2  # after the stack it drives from
        assert built.world.network is built.context.network
        built.loop.run(round(built.max_time * 1000))
    assert counters[0].ticks == 10  # 1 s at 10 Hz


def test_storyboard_only_has_no_stack_and_no_vehicle():
    spec = RunSpec(ScenarioChoice(CCRS), DriverChoice("none"), timing=Timing(max_time=1.0))
    with build(spec) as built:
        assert _names(built.loop) == ["scenario", "world", "kpi", "trace"]
        assert not built.driving.driven


class _Brake:
    """A stack of the caller's: full brake, wheel straight, at 50 Hz."""

    rate_hz = 50.0

    def __init__(self, bus) -> None:
        from dil.bus.codec import Encoder
        from dil.bus.graph import NodeSpec, Port
        from dil.bus.messages import AI_COMMAND

        self.spec = NodeSpec("brake", outputs=(Port("command", AI_COMMAND.topic, self.rate_hz),))
        self._pub = bus.publisher(AI_COMMAND.topic)
        self._enc = Encoder(AI_COMMAND, "brake")
        self.cruise_speed = 0.0
        self.target_lane = None

    def start(self, t_sim_ns: int) -> None:
        pass

    def stop(self, t_sim_ns: int) -> None:
        pass

    def tick(self, t_sim_ns: int) -> None:
        fields = {"steering_wheel_angle": 0.0, "throttle": 0.0, "brake": 1.0, "gear": 1}
        self._pub.send(self._enc.encode(t_sim_ns, t_sim_ns, {**fields, "frame_id": 0, "inference_ns": 0}))


def test_a_stack_from_the_callers_registry_drives_and_is_closed():
    closed: list[bool] = []
    stacks_made: list[_Brake] = []

    def braking(ctx) -> Driving:
        stacks_made.append(_Brake(ctx.bus))
        return Driving(
            node=stacks_made[-1], sensors=False, target=stacks_made[-1], close=lambda: closed.append(True)
        )

    stacks = {**STACKS, "brake": StackEntry("brake", "brakes hard and holds the wheel", braking)}
    spec = RunSpec(ScenarioChoice(CCRS), DriverChoice("brake"), timing=Timing(max_time=2.0))
    result = run(spec, stacks=stacks)
    assert closed == [True]
    assert result.kpis["final_speed"] < 0.5 * result.kpis["initial_speed"]  # it stopped the car
    assert stacks_made[0].cruise_speed > 0.0  # the scenario's cruise speed reached the caller's stack


def test_the_spec_and_the_flat_keywords_run_alike():
    spec = RunSpec(ScenarioChoice(CCRS, {"EgoSpeed": "30"}), DriverChoice("aeb"), timing=Timing(max_time=3.0))
    a = run(spec)
    b = run(
        RunSpec(ScenarioChoice(CCRS, {"EgoSpeed": "30"}), DriverChoice("aeb"), timing=Timing(max_time=3.0))
    )
    assert a.trace == b.trace and a.kpis == b.kpis and a.verdict == b.verdict
