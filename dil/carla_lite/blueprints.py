"""The blueprint library served by carla-lite: CARLA's vehicles and props, sensors, walkers, the spectator.

Names and attributes follow CARLA's so that scripts written for CARLA find what they filter for
(``vehicle.*``, ``sensor.camera.rgb``, ``role_name``, ``image_size_x`` ...).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .catalogue import PROPS, VEHICLES, VehicleEntry
from .layouts import AttributeType


class ActorClass(enum.IntEnum):
    """What an actor is in carla-lite's world: decides how it moves, collides and is drawn."""

    SPECTATOR = 0
    VEHICLE = 1
    SENSOR = 2
    PROP = 3
    WALKER = 4
    CONTROLLER = 5
    """``controller.ai.walker``: attached to its walker, no body."""


class SensorKind(enum.IntEnum):
    NONE = 0
    COLLISION = 1
    CAMERA_RGB = 2
    CAMERA_DEPTH = 3
    CAMERA_SEMANTIC = 4
    LIDAR = 5
    LIDAR_SEMANTIC = 6
    IMU = 7
    GNSS = 8
    LANE_INVASION = 9
    """Computed by the client from the map (CARLA's client-side sensor): no stream data."""
    OBSTACLE = 10
    RADAR = 11
    CAMERA_INSTANCE = 12
    CAMERA_DVS = 13
    CAMERA_OPTICAL_FLOW = 14
    CAMERA_NORMALS = 15
    CAMERA_COSMOS = 16
    """``sensor.camera.cosmos_visualization``: the semantic pass in CityScapes colours."""


@dataclass(frozen=True)
class Attribute:
    """A blueprint attribute (the wire's ActorAttribute); values are strings as in CARLA."""

    id: str
    type: AttributeType
    value: str
    recommended: tuple[str, ...] = ()
    modifiable: bool = False
    restrict_to_recommended: bool = False

    def to_msgpack(self) -> list:
        return [
            self.id,
            int(self.type),
            self.value,
            list(self.recommended),
            self.modifiable,
            self.restrict_to_recommended,
        ]


@dataclass(frozen=True)
class Blueprint:
    id: str
    actor_class: ActorClass
    attributes: tuple[Attribute, ...]
    size: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """Bounding box length, width, height [m] (0 for sensors and the spectator)."""
    sensor: SensorKind = SensorKind.NONE
    extra_tags: tuple[str, ...] = field(default=())

    @property
    def tags(self) -> tuple[str, ...]:
        return (*self.id.split("."), *self.extra_tags)

    def to_msgpack(self, uid: int) -> list:
        """An ActorDefinition: ``[uid, id, tags, attributes]``."""
        return [uid, self.id, ",".join(self.tags), [a.to_msgpack() for a in self.attributes]]

    def defaults(self) -> dict[str, str]:
        return {a.id: a.value for a in self.attributes}


def _role_name(default: str) -> Attribute:
    return Attribute("role_name", AttributeType.STRING, default, modifiable=True)


COLOURS = ("255,255,255", "0,0,0", "200,20,20", "20,60,200", "120,120,120")


def _vehicle(entry: VehicleEntry) -> Blueprint:
    name, size, base_type, generation, special_type = entry
    return Blueprint(
        f"vehicle.{name}",
        ActorClass.VEHICLE,
        (
            _role_name("autopilot"),
            Attribute("color", AttributeType.RGB_COLOR, COLOURS[0], COLOURS, modifiable=True),
            Attribute("number_of_wheels", AttributeType.INT, str(entry.wheels)),
            Attribute("generation", AttributeType.INT, str(generation)),
            Attribute("base_type", AttributeType.STRING, base_type),
            Attribute("object_type", AttributeType.STRING, ""),
            Attribute("special_type", AttributeType.STRING, special_type),
            Attribute("has_lights", AttributeType.BOOL, "true"),
            Attribute("has_dynamic_doors", AttributeType.BOOL, "false"),
            Attribute("sticky_control", AttributeType.BOOL, "true", modifiable=True),
            Attribute("terramechanics", AttributeType.BOOL, "false", modifiable=True),
        ),
        size,
    )


RGB_LOOK_ATTRIBUTES = tuple(
    Attribute(name, AttributeType.FLOAT, value, modifiable=True)
    for name, value in (
        ("gamma", "2.2"),
        ("lens_circle_falloff", "5.0"),
        ("lens_circle_multiplier", "0.0"),
        ("lens_k", "-1.0"),
        ("lens_kcube", "0.0"),
        ("lens_x_size", "0.08"),
        ("lens_y_size", "0.08"),
        ("chromatic_aberration_intensity", "0.0"),
        ("chromatic_aberration_offset", "0.0"),
        ("bloom_intensity", "0.675"),
        ("lens_flare_intensity", "0.1"),
        ("motion_blur_intensity", "0.45"),
        ("motion_blur_max_distortion", "0.35"),
        ("motion_blur_min_object_screen_size", "0.1"),
        ("exposure_compensation", "0.0"),
        ("fstop", "1.4"),
        ("iso", "100.0"),
        ("shutter_speed", "200.0"),
    )
)
"""CARLA's RGB camera attributes of lens, exposure and post-processing: accepted and stored, not
drawn (the renderer has none of these effects)."""


def _camera_rgb() -> Blueprint:
    return Blueprint(
        "sensor.camera.rgb",
        ActorClass.SENSOR,
        (
            _role_name("front"),
            Attribute("image_size_x", AttributeType.INT, "800", modifiable=True),
            Attribute("image_size_y", AttributeType.INT, "600", modifiable=True),
            Attribute("fov", AttributeType.FLOAT, "90", modifiable=True),
            Attribute("sensor_tick", AttributeType.FLOAT, "0.0", modifiable=True),
            *RGB_LOOK_ATTRIBUTES,
        ),
        sensor=SensorKind.CAMERA_RGB,
    )


def _collision() -> Blueprint:
    return Blueprint(
        "sensor.other.collision",
        ActorClass.SENSOR,
        (_role_name("front"),),
        sensor=SensorKind.COLLISION,
    )


def _prop_size(size: tuple[float, float, float]) -> str:
    """CARLA's ``size`` attribute of a prop: its largest side up to 1 m small, 3 m medium, else big."""
    side = max(size)
    return "small" if side <= 1.0 else "medium" if side <= 3.0 else "big"


SPECTATOR = Blueprint("spectator", ActorClass.SPECTATOR, ())


class BlueprintLibrary:
    """The definitions; a definition's uid is its position in the list plus one."""

    def __init__(self) -> None:
        from .walkers import walker_blueprints  # walkers builds on this module's types

        self.blueprints: tuple[Blueprint, ...] = (
            *(_vehicle(entry) for entry in VEHICLES),
            _camera_rgb(),
            _collision(),
            *(
                Blueprint(
                    f"static.prop.{name}",
                    ActorClass.PROP,
                    (_role_name(""), Attribute("size", AttributeType.STRING, _prop_size(size))),
                    size,
                )
                for name, size in PROPS
            ),
            *walker_blueprints(),
        )
        from .sensor_blueprints import sensor_blueprints  # it builds on this module's classes

        self.blueprints += sensor_blueprints()
        self._by_id = {b.id: b for b in self.blueprints}

    def to_msgpack(self) -> list:
        return [b.to_msgpack(i + 1) for i, b in enumerate(self.blueprints)]

    def uid(self, blueprint_id: str) -> int:
        for i, b in enumerate(self.blueprints):
            if b.id == blueprint_id:
                return i + 1
        return 0

    def get(self, blueprint_id: str) -> Blueprint:
        try:
            return self._by_id[blueprint_id]
        except KeyError:
            raise LookupError(f"no blueprint {blueprint_id!r} in carla-lite's library") from None


def parse_description(obj: list) -> tuple[int, str, list[list]]:
    """An ActorDescription ``[uid, id, [[id, type, value], ...]]``."""
    uid, blueprint_id, attributes = obj
    return int(uid), str(blueprint_id), [list(a) for a in attributes]


def attribute_values(attributes: list[list]) -> dict[str, str]:
    return {str(a[0]): str(a[2]) for a in attributes}
