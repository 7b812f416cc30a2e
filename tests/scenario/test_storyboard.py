from pathlib import Path

import pytest

from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice, Timing
from dil.scenario.actions import Action, FollowTrajectory, LaneChange, LaneOffset, Speed
from dil.scenario.loader import load
from dil.scenario.storyboard import Storyboard
from dil.scenario.xml import ScenarioError

from .engine_harness import EngineHarness
from .helpers import CATALOG, action, event, scenario, sim_time, speed


def _run(path, params=None):
    spec = RunSpec(ScenarioChoice(path, params or {}), DriverChoice("none"), timing=Timing(max_time=20.0))
    return run(spec)


def _times(result, kind, name, transition):
    return [round(t, 3) for t, k, n, tr in result.transitions if (k, n, tr) == (kind, name, transition)]


def test_rising_edge_with_delay_starts_the_event_late(tmp_path):
    path = scenario(tmp_path, event("go_fast", action("a", speed("20")), sim_time("1.0", delay="0.5")))
    r = _run(path)
    # the condition becomes true at the first step after 1.0 s; delivered 0.5 s later
    assert _times(r, "event", "go_fast", "start") == [pytest.approx(1.51, abs=0.011)]
    car = [row for row in r.trace if row[1] == "Car"]
    assert max(row[5] for row in car if row[0] < 1.5) == 0.0 and car[-1][5] == 20.0


def test_override_stops_the_running_event_and_skip_waits(tmp_path):
    slow = event("slow", action("a", speed("10", "linear", "time", "10")), sim_time("0.5"))
    fast = event("fast", action("b", speed("30")), sim_time("2.0"), priority="override")
    r = _run(scenario(tmp_path, slow + fast))
    assert _times(r, "event", "slow", "stop") == _times(r, "event", "fast", "start")
    assert _times(r, "action", "a", "stop")
    skipped = event("late", action("c", speed("5")), sim_time("2.0"), priority="skip")
    r = _run(scenario(tmp_path, slow + skipped))
    assert _times(r, "event", "late", "skip") and not _times(r, "event", "late", "start")
    both = event("both", action("d", speed("5")), sim_time("2.0"), priority="parallel")
    r = _run(scenario(tmp_path, slow + both))
    assert _times(r, "event", "both", "start") and not _times(r, "event", "slow", "stop")


def test_maximum_execution_count_repeats_an_event(tmp_path):
    ev = event(
        "again", action("a", speed("${$n}")), sim_time("0", edge="none", rule="greaterOrEqual"), count=3
    )
    r = _run(
        scenario(tmp_path, ev, params='<ParameterDeclaration name="n" parameterType="double" value="3"/>')
    )
    assert len(_times(r, "event", "again", "start")) == 3
    assert len(_times(r, "event", "again", "end")) == 3


def test_storyboard_element_state_and_parameter_conditions_chain_events(tmp_path):
    set_p = action(
        "set",
        '<GlobalAction><ParameterAction parameterRef="phase"><SetAction value="2"/>'
        "</ParameterAction></GlobalAction>",
    )
    first = event("first", set_p, sim_time("1.0"))
    after_end = (
        '<Condition name="c" delay="0" conditionEdge="none"><ByValueCondition>'
        "<StoryboardElementStateCondition "
        'storyboardElementType="event" storyboardElementRef="first" state="completeState"/>'
        "</ByValueCondition></Condition>"
    )
    on_param = (
        '<Condition name="p" delay="0" conditionEdge="none"><ByValueCondition><ParameterCondition '
        'parameterRef="phase" value="2" rule="equalTo"/></ByValueCondition></Condition>'
    )
    second = event("second", action("go", speed("7")), after_end + on_param)
    r = _run(
        scenario(
            tmp_path,
            first + second,
            params='<ParameterDeclaration name="phase" parameterType="double" value="1"/>',
        )
    )
    t_first, t_second = _times(r, "event", "first", "end")[0], _times(r, "event", "second", "start")[0]
    assert 1.0 < t_first <= t_second <= t_first + 0.011
    assert r.scenario.params["phase"] == "2"


def test_stop_trigger_ends_the_run(tmp_path):
    r = _run(scenario(tmp_path, stop=sim_time("3.0", "end")))
    assert r.end == "stop trigger" and r.simulated_s == pytest.approx(3.01, abs=0.011)


def test_unsupported_elements_are_errors_naming_their_line(tmp_path):
    random = action("w", "<PrivateAction><RoutingAction><RandomRouteAction/></RoutingAction></PrivateAction>")
    path = scenario(tmp_path, event("e", random, sim_time("1")))
    with pytest.raises(ScenarioError, match=r"t\.xosc:\d+: <RandomRouteAction> is not supported"):
        load(path)
    with pytest.raises(ScenarioError, match=r"revision 1\.7 is not supported"):
        load(scenario(tmp_path, revision=7))


def test_parameters_resolve_and_bad_ones_are_named(tmp_path):
    params = (
        '<ParameterDeclaration name="v" parameterType="double" value="12"/>'
        '<ParameterDeclaration name="w" parameterType="double" value="${$v * 2 + 1}"/>'
    )
    path = scenario(tmp_path, event("e", action("a", speed("$w")), sim_time("0.5")), params=params)
    r = _run(path, params={"v": "4"})
    assert r.scenario.params["w"] == "9"
    assert [row for row in r.trace if row[1] == "Car"][-1][5] == 9.0
    with pytest.raises(ScenarioError, match="--param x: the scenario declares no such parameter"):
        load(path, {"x": "1"})
    bad = scenario(tmp_path, event("e", action("a", speed("${$nope + 1}")), sim_time("0.5")), params=params)
    with pytest.raises(
        ScenarioError,
        match=r"<AbsoluteTargetSpeed> attribute value='\$\{\$nope \+ 1\}'.*"
        r"parameter \$nope is not declared",
    ):
        load(bad)


@pytest.mark.parametrize(
    "path",
    [
        *(
            CATALOG / f"{n}.xosc"
            for n in ("alks_cutin", "alks_cutout", "cpna", "lane_change_highway", "ccrb")
        ),
        *(
            Path(__file__).parent / "data" / f"{n}.xosc"
            for n in ("transitions", "trajectory_shapes", "headway")
        ),
    ],
    ids=lambda p: p.stem,
)
def test_steps_that_skip_the_walk_while_only_motion_runs_are_as_with_the_walk(path: Path, monkeypatch):
    """While the running actions are only motions (speed, lane change, lane offset, trajectory) that
    have not ended and no trigger fires, the storyboard does not walk its stories: every transition
    and every entity's track is as with a walk in every step."""
    walks = [0]
    story = Storyboard._story

    def counted(self, *args):
        walks[0] += 1
        story(self, *args)

    monkeypatch.setattr(Storyboard, "_story", counted)
    skipping = EngineHarness(path)
    skipping.run(30.0)
    skipped_walks, walks[0] = walks[0], 0
    for cls in (Action, Speed, LaneChange, LaneOffset, FollowTrajectory):
        monkeypatch.setattr(cls, "step_is_motion", lambda self: False)
    walking = EngineHarness(path)
    walking.run(30.0)
    assert skipped_walks < walks[0]
    assert skipping.transitions() == walking.transitions()
    assert skipping.tracks == walking.tracks
