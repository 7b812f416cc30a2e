"""Weather: ``world.get_weather()`` / ``set_weather()`` (``carla.WeatherParameters``), stored and read back.

carla-lite draws no sky, fog or rain: the parameters are kept as the client sent them so scripts that
set and read the weather (CARLA's ``dynamic_weather.py``) run. Only the light follows the sun: RGB
camera images darken as the sun's altitude falls below ``DAY_ALTITUDE_DEG`` (``daylight``).
"""

from __future__ import annotations

import math

WEATHER_FIELDS = (
    "cloudiness",
    "precipitation",
    "precipitation_deposits",
    "wind_intensity",
    "sun_azimuth_angle",
    "sun_altitude_angle",
    "fog_density",
    "fog_distance",
    "fog_falloff",
    "wetness",
    "scattering_intensity",
    "mie_scattering_scale",
    "rayleigh_scattering_scale",
    "dust_storm",
)
"""``rpc::WeatherParameters`` in the 0.9.16 client's msgpack order (percentages 0-100, angles in
degrees, fog distance in m)."""

SUN_ALTITUDE = WEATHER_FIELDS.index("sun_altitude_angle")
DAY_ALTITUDE_DEG = 15.0
"""Sun altitude [deg] from which images have their full brightness."""
NIGHT_ALTITUDE_DEG = -5.0
"""Sun altitude [deg] at and below which images have ``NIGHT_LIGHT`` of it."""
NIGHT_LIGHT = 0.2

CLEAR_NOON = (5.0, 0.0, 0.0, 10.0, -1.0, 45.0, 2.0, 0.75, 0.1, 0.0, 1.0, 0.03, 0.0331, 0.0)
"""What a new world reports: the client's ``carla.WeatherParameters.ClearNoon``."""


class Weather:
    """The episode's weather parameters."""

    def __init__(self) -> None:
        self.values: list[float] = list(CLEAR_NOON)

    def daylight(self) -> float:
        """Image brightness factor: ``NIGHT_LIGHT`` to 1, linear in the sun's altitude."""
        altitude = self.values[SUN_ALTITUDE]
        span = DAY_ALTITUDE_DEG - NIGHT_ALTITUDE_DEG
        f = min(max((altitude - NIGHT_ALTITUDE_DEG) / span, 0.0), 1.0)
        return NIGHT_LIGHT + (1.0 - NIGHT_LIGHT) * f

    def get(self) -> list[float]:
        return list(self.values)

    def set(self, values: list) -> None:
        """Keep ``values`` (one float per ``WEATHER_FIELDS`` entry); bad ones raise naming the field."""
        if not isinstance(values, list | tuple) or len(values) != len(WEATHER_FIELDS):
            raise ValueError(f"weather: {len(WEATHER_FIELDS)} parameters expected, got {values!r}")
        parsed = []
        for name, v in zip(WEATHER_FIELDS, values, strict=True):
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError(f"weather: {name} = {v!r} is not a finite number")
            parsed.append(float(v))
        self.values = parsed
