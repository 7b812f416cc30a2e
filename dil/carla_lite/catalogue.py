"""CARLA 0.9.16's vehicle and common prop blueprint names with their boxes, as carla-lite serves them.

Client code filters the library by name (``vehicle.lincoln.mkz_2017``, ``*charger_2020*``,
``static.prop.streetbarrier``) and indexes the result, so every name CARLA ships is served. The
boxes are the vehicles' outer dimensions (length, width, height [m]) to a few centimetres; every
vehicle moves by carla-lite's one vehicle model, scaled by its length.
"""

from __future__ import annotations

from typing import NamedTuple


class VehicleEntry(NamedTuple):
    name: str
    """The blueprint id without ``vehicle.``."""
    size: tuple[float, float, float]
    """Length, width, height [m]."""
    base_type: str
    """``car``, ``van``, ``truck``, ``bus``, ``motorcycle`` or ``bicycle``."""
    generation: int
    special_type: str = ""
    """``electric``, ``emergency``, ``taxi`` or empty."""

    @property
    def wheels(self) -> int:
        return 2 if self.base_type in ("motorcycle", "bicycle") else 4


VEHICLES: tuple[VehicleEntry, ...] = (
    VehicleEntry("tesla.model3", (4.79, 2.16, 1.49), "car", 2, "electric"),
    VehicleEntry("lincoln.mkz_2020", (4.89, 2.24, 1.53), "car", 2),
    VehicleEntry("audi.a2", (3.71, 1.79, 1.55), "car", 1),
    VehicleEntry("mercedes.sprinter", (5.92, 1.99, 2.56), "van", 2),
    VehicleEntry("carlamotors.carlacola", (5.20, 2.61, 2.47), "truck", 1),
    VehicleEntry("audi.etron", (4.86, 2.03, 1.65), "car", 1, "electric"),
    VehicleEntry("audi.tt", (4.18, 1.99, 1.38), "car", 1),
    VehicleEntry("bmw.grandtourer", (4.61, 2.24, 1.66), "car", 1),
    VehicleEntry("chevrolet.impala", (5.36, 2.03, 1.41), "car", 1),
    VehicleEntry("citroen.c3", (3.99, 1.85, 1.62), "car", 1),
    VehicleEntry("dodge.charger_police", (4.97, 2.04, 1.56), "car", 1, "emergency"),
    VehicleEntry("dodge.charger_2020", (5.01, 2.10, 1.54), "car", 2),
    VehicleEntry("dodge.charger_police_2020", (5.24, 2.10, 1.64), "car", 2, "emergency"),
    VehicleEntry("ford.crown", (5.36, 1.93, 1.56), "car", 2, "taxi"),
    VehicleEntry("ford.mustang", (4.72, 1.89, 1.30), "car", 1),
    VehicleEntry("jeep.wrangler_rubicon", (3.87, 1.91, 1.88), "car", 1),
    VehicleEntry("lincoln.mkz_2017", (4.90, 2.13, 1.49), "car", 1),
    VehicleEntry("mercedes.coupe", (5.03, 2.16, 1.63), "car", 1),
    VehicleEntry("mercedes.coupe_2020", (4.64, 1.95, 1.49), "car", 2),
    VehicleEntry("micro.microlino", (2.21, 1.47, 1.37), "car", 1, "electric"),
    VehicleEntry("mini.cooper_s", (3.81, 1.97, 1.43), "car", 1),
    VehicleEntry("mini.cooper_s_2021", (4.55, 2.10, 1.77), "car", 2),
    VehicleEntry("nissan.micra", (3.66, 1.85, 1.51), "car", 1),
    VehicleEntry("nissan.patrol", (4.60, 1.93, 1.86), "car", 1),
    VehicleEntry("nissan.patrol_2021", (5.57, 2.15, 2.05), "car", 2),
    VehicleEntry("seat.leon", (4.19, 1.82, 1.47), "car", 1),
    VehicleEntry("toyota.prius", (4.51, 2.01, 1.52), "car", 1, "electric"),
    VehicleEntry("tesla.cybertruck", (6.36, 2.39, 2.10), "truck", 1, "electric"),
    VehicleEntry("carlamotors.european_hgv", (7.90, 2.90, 3.90), "truck", 2),
    VehicleEntry("carlamotors.firetruck", (8.50, 2.90, 3.80), "truck", 2, "emergency"),
    VehicleEntry("mitsubishi.fusorosa", (10.30, 3.90, 3.80), "bus", 2),
    VehicleEntry("ford.ambulance", (6.40, 2.40, 2.50), "van", 2, "emergency"),
    VehicleEntry("volkswagen.t2", (4.50, 2.07, 2.04), "van", 1),
    VehicleEntry("volkswagen.t2_2021", (4.44, 1.97, 1.92), "van", 2),
    VehicleEntry("harley-davidson.low_rider", (2.35, 0.76, 1.29), "motorcycle", 1),
    VehicleEntry("kawasaki.ninja", (2.04, 0.80, 1.15), "motorcycle", 1),
    VehicleEntry("vespa.zx125", (1.86, 0.86, 1.51), "motorcycle", 1),
    VehicleEntry("yamaha.yzf", (2.19, 0.86, 1.25), "motorcycle", 1),
    VehicleEntry("bh.crossbike", (1.50, 0.86, 1.04), "bicycle", 1),
    VehicleEntry("diamondback.century", (1.66, 0.56, 1.07), "bicycle", 1),
    VehicleEntry("gazelle.omafiets", (1.86, 0.66, 1.10), "bicycle", 1),
)

PROPS: tuple[tuple[str, tuple[float, float, float]], ...] = (
    ("trafficcone01", (0.6, 0.6, 1.0)),
    ("trafficcone02", (0.5, 0.5, 0.8)),
    ("constructioncone", (0.4, 0.4, 0.7)),
    ("streetbarrier", (0.4, 1.4, 1.0)),
    ("chainbarrier", (0.3, 2.0, 1.0)),
    ("trafficwarning", (1.5, 2.2, 2.6)),
    ("warningconstruction", (1.0, 1.8, 1.9)),
    ("warningaccident", (1.0, 1.8, 1.9)),
    ("barrel", (0.6, 0.6, 0.9)),
    ("box01", (0.6, 0.6, 0.6)),
    ("creasedbox01", (0.5, 0.5, 0.4)),
    ("dirtdebris01", (1.5, 1.5, 0.1)),
    ("ironplank", (2.0, 1.5, 0.05)),
    ("container", (6.1, 2.4, 2.6)),
    ("bench01", (0.6, 1.8, 0.9)),
    ("busstop", (1.5, 4.0, 2.6)),
    ("trashcan01", (0.6, 0.6, 1.0)),
    ("vendingmachine", (0.8, 1.0, 1.9)),
)
"""``static.prop.<name>`` and its box (length, width, height [m])."""
