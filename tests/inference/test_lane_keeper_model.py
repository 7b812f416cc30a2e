"""The shipped lane-keeping model (``dil/inference/models/lane_keeper.*``): its manifest matches the
ONNX file, and on frames of dil's own camera it steers back towards the lane centre, follows a
bend and holds its cruise speed. The frames are prepared here from the manifest's fields alone, so
a manifest that misdescribes the model's input fails these tests."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from dil.inference.manifest import check_against, load_manifest
from dil.inference.onnx_backend import BACKEND
from dil.road.network import RoadNetwork
from dil.run.runner import run
from dil.run.spec import DriverChoice, RunSpec, ScenarioChoice
from dil.stack.ai import AiOptions
from dil.world.actors import A_SIZE, A_X, A_Y, A_YAW, A_Z, EGO
from dil.world.camera import Camera, CameraSpec

from ..road.helpers import ROADS
from .deadlines import PATIENT_MS

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "catalog" / "lane_keeping_rural.xosc"
MANIFEST = Path(__file__).resolve().parents[2] / "dil" / "inference" / "models" / "lane_keeper.yaml"
CRUISE = 70.0 / 3.6


@pytest.fixture(scope="module")
def model():
    m = load_manifest(MANIFEST)
    return m, BACKEND.open(m.model_path, {"threads": "1"})


@pytest.fixture(scope="module")
def highway():
    net = RoadNetwork.load(ROADS / "highway.xodr")
    return net, Camera(net, CameraSpec())


@pytest.fixture(scope="module")
def rural():
    net = RoadNetwork.load(ROADS / "rural.xodr")
    return net, Camera(net, CameraSpec())


def frame(net: RoadNetwork, cam: Camera, road: str, lane: int, s: float, offset: float = 0.0) -> np.ndarray:
    """The front camera's view with the car's box centre at a lane position, on the road surface."""
    x, y, z, yaw = net.lane_to_world(road, lane, s, offset)
    actors = np.zeros((1, A_SIZE))
    actors[EGO, A_X], actors[EGO, A_Y], actors[EGO, A_Z], actors[EGO, A_YAW] = x, y, z, yaw
    return cam.render(actors, 1).copy()


def drive(model, images: list[np.ndarray], speeds: list[float], cruise: float = CRUISE) -> np.ndarray:
    """(n, 3) steering-wheel angle [rad], throttle, brake for a batch of frames at ego ``speeds``
    with the scenario asking for ``cruise``, as the manifest says."""
    m, session = model
    feeds = {}
    for i in m.inputs:
        if i.kind == "camera":
            batch = []
            for img in images:
                assert img.shape[1::-1] == tuple(i.source_size)
                if i.crop is not None:
                    x, y, w, h = i.crop
                    img = img[y : y + h, x : x + w]
                img = cv2.resize(img, tuple(i.size), interpolation=cv2.INTER_AREA)
                if i.colour == "rgb":
                    img = img[:, :, ::-1]
                batch.append(img)
            x = np.stack(batch).astype(np.float32) * i.scale
            x = (x - np.asarray(i.mean or 0.0, np.float32)) / np.asarray(i.std or 1.0, np.float32)
            feeds[i.name] = np.ascontiguousarray(x.transpose(0, 3, 1, 2) if i.layout == "nchw" else x)
        else:
            assert i.kind == "ego" and set(i.fields) <= {"speed", "cruise_speed"}
            values = {"speed": np.asarray(speeds), "cruise_speed": np.full(len(speeds), cruise)}
            feeds[i.name] = (np.stack([values[f] for f in i.fields], axis=1) * i.scale).astype(np.float32)
    outputs = dict(zip([t.name for t in session.outputs], session.run(feeds), strict=True))
    cmd = np.zeros((len(images), 3))
    for o in m.outputs:
        for name, c in o.commands.items():
            k = ("steering_wheel_angle", "throttle", "brake").index(name)
            cmd[:, k] = outputs[o.name][:, c.index] * c.scale + c.offset
    return cmd


def test_the_manifest_loads_and_agrees_with_the_model(model):
    m, session = model
    check_against(m, session)
    assert m.cameras == ("front",)
    assert all(t.shape[0] == -1 for t in session.inputs)  # any batch up to max_batch
    assert m.model_path.stat().st_size < 3_000_000


def test_centred_on_a_straight_road_it_steers_straight_ahead(model, highway):
    cmd = drive(model, [frame(*highway, "1", -2, 100.0)], [CRUISE])
    assert abs(cmd[0, 0]) < 0.05


@pytest.mark.parametrize("lane", [-2, 2])
def test_off_the_lane_centre_it_steers_back(model, highway, lane):
    # offsets are positive to the left of the road's reference line: for lane 2, which runs the
    # other way, that is to the driver's right
    left = 1.0 if lane < 0 else -1.0
    imgs = [frame(*highway, "1", lane, 600.0, left * d) for d in (0.6, -0.6)]
    steer = drive(model, imgs, [CRUISE, CRUISE])[:, 0]
    assert steer[0] < -0.05  # left of the centre: steer right (negative)
    assert steer[1] > 0.05  # right of the centre: steer left


def test_the_further_off_the_centre_the_harder_it_steers_back(model, highway):
    offsets = (0.8, 0.4, 0.0, -0.4, -0.8)
    steer = drive(model, [frame(*highway, "1", -2, 300.0, d) for d in offsets], [CRUISE] * 5)[:, 0]
    assert np.all(np.diff(steer) > 0.0)


def test_it_steers_into_a_bend(model, rural):
    # rural.xodr: a left-hand arc (radius 150 m) at s 150..270, a right-hand one (200 m) at 350..450
    left, right = frame(*rural, "1", -1, 200.0), frame(*rural, "1", -1, 400.0)
    steer = drive(model, [left, right], [CRUISE, CRUISE])[:, 0]
    wheelbase, ratio = 2.58, 15.4  # the built-in stack's car: about 0.26 rad at the wheel for R 150 m
    assert steer[0] == pytest.approx(ratio * math.atan(wheelbase / 150.0), rel=0.5)
    assert steer[1] == pytest.approx(-ratio * math.atan(wheelbase / 200.0), rel=0.5)


@pytest.mark.parametrize("kmh", [50.0, 70.0, 90.0])
def test_it_holds_the_cruise_speed_the_scenario_asks_for(model, highway, kmh):
    # as the built-in stack: the throttle eases off towards the cruise speed, above it the brake
    # comes in
    cruise = kmh / 3.6
    img = frame(*highway, "1", -2, 100.0)
    speeds = [cruise - 4.0, cruise - 1.0, cruise + 2.0, cruise + 4.0]
    slow, near, over, fast = drive(model, [img] * 4, speeds, cruise)
    assert slow[1] > 0.3 and slow[2] < 0.02
    assert 0.1 < near[1] < 0.3 and near[2] < 0.02
    assert over[1] < 0.02 and over[2] > 0.05
    assert fast[1] < 0.02 and fast[2] > over[2] + 0.03


@pytest.mark.parametrize("kmh", [70.0, 50.0])
def test_it_keeps_the_lane_of_the_catalog_curved_road_through_a_real_node(kmh):
    # the whole chain: a node process over tcp, frames of the run's own camera, the 25 Hz stack
    # against the loop, the scenario's speed parameter; the built-in stack only takes over if the
    # node fails, which it must not
    ai = AiOptions(model=str(MANIFEST), deadline_ms=PATIENT_MS)
    result = run(RunSpec(ScenarioChoice(SCENARIO, {"EgoSpeed": f"{kmh:g}"}), DriverChoice("ai", ai=ai)))
    k = result.kpis
    assert k["ai_fallback_at_s"] is None and k["ai_control_at_end"] == "ai"
    assert k["ai_commands_applied"] > 600 * 70.0 / kmh  # 25 Hz for the whole drive
    assert result.end == "stop trigger"  # the end of both bends
    assert k["lane_invasions"] == 0 and k["off_road"] == 0
    assert k["final_speed"] * 3.6 == pytest.approx(kmh, abs=4.0)  # the speed the scenario asks for
    assert result.passed
