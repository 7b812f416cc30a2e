"""An ego driven by dil's built-in stack with an ObjectController in the file: the controller's
properties that the stack has (set speed, time gap) configure it."""

from __future__ import annotations

from dataclasses import replace

from dil.stack.builtin import BuiltinStack

from .acc import AccController
from .alks import AlksController, r157_time_gap
from .base import Controller


def configure_stack(stack: BuiltinStack, controller: Controller) -> list[str]:
    """Apply what maps of ``controller`` to ``stack``; returns what was set, as ``name=value``."""
    if not isinstance(controller, AccController):
        return []
    done: list[str] = []
    if controller.property_speed is not None and controller.mode == "override":
        stack.cruise_speed = controller.property_speed
        done.append(f"set speed={controller.property_speed * 3.6:.1f} km/h")
    gap = controller.time_gap
    if isinstance(controller, AlksController) and not controller.fixed_gap:
        gap = r157_time_gap(max(stack.cruise_speed, controller.property_speed or 0.0))
    stack.p = replace(stack.p, time_gap=gap, min_gap=controller.min_gap)
    done.append(f"time gap={gap:g} s")
    return done
