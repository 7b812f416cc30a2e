"""Vehicle dynamics for dil: numba kernels ``f(x, u, p)``, integrators, parameter sets.

Models: ``kinematic`` (kinematic single track), ``single_track`` (dynamic, combined-slip
tyres), ``two_track`` (four wheels, suspension). See docs/vehicle_models.md.
"""

from .inputs import INPUT_NAMES, InputError
from .models import METHODS, MODELS, VehicleModel, get_model
from .outputs import OUTPUT_NAMES
from .packing import pack
from .parameters import ParameterError, VehicleParameters, available, load
from .vehicle import PHYSICS_STEP, Vehicle

__all__ = [
    "INPUT_NAMES",
    "METHODS",
    "MODELS",
    "OUTPUT_NAMES",
    "PHYSICS_STEP",
    "InputError",
    "ParameterError",
    "Vehicle",
    "VehicleModel",
    "VehicleParameters",
    "available",
    "get_model",
    "load",
    "pack",
]
