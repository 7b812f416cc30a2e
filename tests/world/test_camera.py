import math
import re

import numpy as np
import pytest

from dil.road.network import RoadNetwork
from dil.road.parse import parse
from dil.world.actors import A_X, A_Y, A_YAW, ActorSpec
from dil.world.camera import GROUND, SKY, Camera, CameraSpec
from dil.world.embedded import EmbeddedWorld

from ..road.helpers import ROADS, document, geometry, road


def _road_edges(img: np.ndarray, rows: range) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Leftmost and rightmost road (grey) pixel per row."""
    ys, left, right = [], [], []
    for v in rows:
        grey = np.nonzero(np.abs(img[v].astype(int) - (90, 90, 90)).sum(axis=1) < 10)[0]
        if len(grey) > 2:
            ys.append(v)
            left.append(grey[0])
            right.append(grey[-1])
    return np.array(ys), np.array(left), np.array(right)


@pytest.mark.parametrize("pitch", [0.0, 4.0])
def test_straight_road_converges_at_the_vanishing_point_of_the_camera_model(pitch):
    # two 3.5 m driving lanes on a flat straight road; the camera above the centre of lane -1
    xml = re.sub(r"<roadMark[^>]*/>", "", document(road(geometry("<line/>", 1000.0), 1000.0)))  # bare edges
    world = EmbeddedWorld(RoadNetwork(parse(xml)))
    world.set_pose(0, world.network.lane_to_world("1", -1, 10.0), 0.0)
    spec = CameraSpec(width=640, height=360, fov_deg=90.0, pitch_deg=pitch, range_m=600.0)
    cam = Camera(world.network, spec, step=1.0)
    state, _ = world.actor_state()
    img = cam.render(state, len(state)).copy()
    ys, left, right = _road_edges(img, range(int(spec.height / 2 + 12), 250))
    inside = (left > 0) & (right < 639)
    ys, left, right = ys[inside], left[inside], right[inside]
    assert len(ys) > 30
    # x = a*y + b for both edges of the road; they meet at the vanishing point
    al, bl = np.polyfit(ys, left, 1)
    ar, br = np.polyfit(ys, right, 1)
    v = (br - bl) / (al - ar)
    u = al * v + bl
    horizon = 180.0 - spec.focal * math.tan(math.radians(pitch))
    assert u == pytest.approx(320.0, abs=1.5)  # the road runs along the optical axis
    assert v == pytest.approx(horizon, abs=1.5)
    assert tuple(img[5, 320]) == SKY and tuple(img[int(horizon) + 5, 635]) == GROUND


def test_an_actor_ahead_appears_where_it_projects_and_hides_the_road():
    world = EmbeddedWorld(ROADS / "highway.xodr")
    world.set_pose(0, world.network.lane_to_world("1", -2, 100.0), 0.0)
    world.spawn_in_lane(ActorSpec("lead", length=4.0, width=2.0, height=1.5), "1", -2, 120.0)
    cam = Camera(world.network, CameraSpec(mount=(0.0, 0.0, 1.3)))
    state, _ = world.actor_state()
    img = cam.render(state, len(state))
    rot, pos = cam.pose(state[0])
    # the middle of the lead car's rear face: 18 m ahead, 0.75 m up
    rear = np.array([[state[1, A_X] - 2.0 * math.cos(state[1, A_YAW]), state[1, A_Y], 0.75]])
    ((u, v),) = cam.project(rear, rot, pos)[0]
    colour = img[round(v), round(u)]
    assert colour[2] > 2 * colour[0] and colour[2] > 2 * colour[1]  # the red car, not grey road or sky
