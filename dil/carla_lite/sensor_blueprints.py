"""Blueprints of the sensors beyond the RGB camera and the collision sensor, with CARLA's attribute
names and defaults (distances [m], angles [deg], rates [Hz], times [s])."""

from __future__ import annotations

from .blueprints import ActorClass, Attribute, Blueprint, SensorKind
from .layouts import AttributeType


def _attr(name: str, kind: AttributeType, value: str) -> Attribute:
    return Attribute(name, kind, value, modifiable=True)


def _floats(*pairs: tuple[str, str]) -> tuple[Attribute, ...]:
    """Float attributes; the default is also the one recommended value (scripts read
    ``recommended_values[0]`` of the lidar's drop-off attributes, as CARLA lists them)."""
    return tuple(Attribute(n, AttributeType.FLOAT, v, (v,), modifiable=True) for n, v in pairs)


def _sensor(name: str, kind: SensorKind, *attributes: Attribute) -> Blueprint:
    common = (
        Attribute("role_name", AttributeType.STRING, "front", modifiable=True),
        _attr("sensor_tick", AttributeType.FLOAT, "0.0"),
    )
    return Blueprint(name, ActorClass.SENSOR, common + attributes, sensor=kind)


def _camera(name: str, kind: SensorKind, *extra: Attribute) -> Blueprint:
    return _sensor(
        name,
        kind,
        _attr("image_size_x", AttributeType.INT, "800"),
        _attr("image_size_y", AttributeType.INT, "600"),
        _attr("fov", AttributeType.FLOAT, "90"),
        *extra,
    )


def _lidar(name: str, kind: SensorKind, *extra: Attribute) -> Blueprint:
    return _sensor(
        name,
        kind,
        _attr("channels", AttributeType.INT, "32"),
        *_floats(
            ("range", "10.0"),
            ("points_per_second", "56000"),
            ("rotation_frequency", "10.0"),
            ("upper_fov", "10.0"),
            ("lower_fov", "-30.0"),
            ("horizontal_fov", "360.0"),
        ),
        *extra,
    )


def sensor_blueprints() -> tuple[Blueprint, ...]:
    return (
        _camera("sensor.camera.depth", SensorKind.CAMERA_DEPTH),
        _camera("sensor.camera.semantic_segmentation", SensorKind.CAMERA_SEMANTIC),
        _camera("sensor.camera.instance_segmentation", SensorKind.CAMERA_INSTANCE),
        _camera(
            "sensor.camera.dvs",
            SensorKind.CAMERA_DVS,
            *_floats(
                ("positive_threshold", "0.3"),
                ("negative_threshold", "0.3"),
                ("sigma_positive_threshold", "0.0"),
                ("sigma_negative_threshold", "0.0"),
                ("log_eps", "0.001"),
            ),
            _attr("refractory_period_ns", AttributeType.INT, "0"),
            _attr("use_log", AttributeType.BOOL, "true"),
        ),
        _camera("sensor.camera.optical_flow", SensorKind.CAMERA_OPTICAL_FLOW),
        _camera("sensor.camera.normals", SensorKind.CAMERA_NORMALS),
        _camera("sensor.camera.cosmos_visualization", SensorKind.CAMERA_COSMOS),
        _lidar(
            "sensor.lidar.ray_cast",
            SensorKind.LIDAR,
            *_floats(
                ("atmosphere_attenuation_rate", "0.004"),
                ("dropoff_general_rate", "0.45"),
                ("dropoff_intensity_limit", "0.8"),
                ("dropoff_zero_intensity", "0.4"),
                ("noise_stddev", "0.0"),
            ),
            _attr("noise_seed", AttributeType.INT, "0"),
        ),
        _lidar("sensor.lidar.ray_cast_semantic", SensorKind.LIDAR_SEMANTIC),
        _sensor(
            "sensor.other.imu",
            SensorKind.IMU,
            *_floats(*((f"noise_{q}_stddev_{a}", "0.0") for q in ("accel", "gyro") for a in "xyz")),
            *_floats(*((f"noise_gyro_bias_{a}", "0.0") for a in "xyz")),
            _attr("noise_seed", AttributeType.INT, "0"),
        ),
        _sensor(
            "sensor.other.gnss",
            SensorKind.GNSS,
            *_floats(*((f"noise_{q}_{w}", "0.0") for q in ("alt", "lat", "lon") for w in ("bias", "stddev"))),
            _attr("noise_seed", AttributeType.INT, "0"),
        ),
        _sensor("sensor.other.lane_invasion", SensorKind.LANE_INVASION),
        _sensor(
            "sensor.other.radar",
            SensorKind.RADAR,
            *_floats(
                ("horizontal_fov", "30.0"),
                ("vertical_fov", "30.0"),
                ("range", "100.0"),
                ("points_per_second", "1500"),
            ),
        ),
        _sensor(
            "sensor.other.obstacle",
            SensorKind.OBSTACLE,
            *_floats(("distance", "5.0"), ("hit_radius", "0.5")),
            _attr("only_dynamics", AttributeType.BOOL, "false"),
            _attr("debug_linetrace", AttributeType.BOOL, "false"),
        ),
    )
