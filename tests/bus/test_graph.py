import pytest

from dil.bus import GraphError, NodeSpec, Port, validate

DRIVER = NodeSpec("driver", outputs=(Port("input", "driver/input", 100.0),))
VEHICLE = NodeSpec(
    "vehicle", inputs=(Port("input", "driver/input"),), outputs=(Port("state", "vehicle/state", 1000.0),)
)
CUEING = NodeSpec(
    "cueing",
    inputs=(Port("state", "vehicle/state", 1000.0),),
    outputs=(Port("command", "rig/command", 1000.0),),
)


def test_a_valid_graph_passes():
    validate([DRIVER, VEHICLE, CUEING])


def test_missing_producer_names_node_and_port():
    with pytest.raises(GraphError, match=r"node 'vehicle' input 'input' \(driver/input\): no node produces"):
        validate([VEHICLE, CUEING])


def test_duplicate_producer_names_both():
    ai_as_driver = NodeSpec("ai", outputs=(Port("cmd", "driver/input", 50.0),))
    with pytest.raises(GraphError) as e:
        validate([DRIVER, ai_as_driver, VEHICLE])
    text = str(e.value)
    assert "node 'vehicle' input 'input'" in text
    assert "2 producers" in text and "'driver' output 'input'" in text and "'ai' output 'cmd'" in text


@pytest.mark.parametrize("rate", [30.0, 3000.0, 0.3e-9, 1000.0 / 3])
def test_rate_not_a_whole_number_of_steps(rate):
    node = NodeSpec("camera", outputs=(Port("frames", "world/actors", rate),))
    with pytest.raises(
        GraphError,
        match=r"node 'camera' output 'frames' \(world/actors\): rate .* not an "
        r"integer multiple of the 1 ms physics step",
    ):
        validate([node])


@pytest.mark.parametrize("rate", [1000.0, 500.0, 50.0, 20.0, 40.0, 0.5])
def test_whole_number_rates_pass(rate):
    validate([NodeSpec("world", outputs=(Port("actors", "world/actors", rate),))])


def test_schema_version_mismatch():
    old_reader = NodeSpec("rig", inputs=(Port("command", "rig/command", version=2),))
    with pytest.raises(
        GraphError,
        match=r"node 'rig' input 'command' \(rig/command\): reads schema version 2 "
        r"but node 'cueing' output 'command' writes version 1",
    ):
        validate([DRIVER, VEHICLE, CUEING, old_reader])


def test_unknown_topic_and_all_problems_listed_together():
    odd = NodeSpec("odd", inputs=(Port("x", "sensor/lidar"),), outputs=(Port("y", "vehicle/state", 30.0),))
    with pytest.raises(GraphError) as e:
        validate([odd, odd])
    text = str(e.value)
    assert "declared 2 times" in text
    assert "'sensor/lidar'" not in text or "unknown topic" in text
    assert text.count("unknown topic") == 2
    assert "rate 30 Hz" in text
