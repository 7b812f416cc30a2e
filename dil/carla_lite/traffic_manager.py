"""The Traffic Manager: CARLA's TM RPC served on the port a client asks for.

CARLA's client asks the simulator ``is_traffic_manager_running(port)``; when it is, it connects to
the address ``get_traffic_manager_running(port)`` gives and talks plain msgpack-RPC (rpclib, no
``Response`` wrapper) to it: ``register_vehicle([actor])`` for ``set_autopilot(True, port)``, the
settings (``set_global_distance_to_leading_vehicle(2.5)``, ...), ``health_check_remote_TM`` every
few seconds. carla-lite answers that one is running on every port asked for and opens it on first
demand (on the server's host), so ``client.get_trafficmanager(port)`` works for any free port; a
port another program holds answers "not running" (the client then fails to open it itself, with
CARLA's own bind error).

Settings that change driving act (``autopilot.py``): speed differences and desired speeds, distances
to the leading vehicle, ``ignore_vehicles_percentage``, lane offsets, the random seed. The others are
accepted and stored (``TrafficManager.stored``): carla-lite has no traffic lights, signs, walkers or
dormant actors, changes no lanes, and its autopilot steps with the world in both modes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from .autopilot import Autopilot, DriverParams, TrafficSettingsView
from .rpc import RpcServer

log = logging.getLogger(__name__)

DEFAULT_TM_PORT = 8000
"""CARLA's default Traffic Manager port; batch ``SetAutopilot`` commands (which carry no port) use it."""


class TrafficManager:
    """The settings of one Traffic Manager port; global ones in ``view``, the rest in ``stored``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.view = TrafficSettingsView()
        self.stored: dict[str, Any] = {}
        """Accepted settings with no effect on carla-lite's driving, by call name (per vehicle: by
        ``(call name, actor id)``)."""


class TrafficManagers:
    """Every Traffic Manager port of a carla-lite server and the autopilot they share."""

    def __init__(self, host: str, autopilot: Autopilot, lock: threading.RLock) -> None:
        self.host = "127.0.0.1" if host in ("", "0.0.0.0") else host
        self._bind_host = host
        self.autopilot = autopilot
        self.lock = lock
        self.managers: dict[int, TrafficManager] = {DEFAULT_TM_PORT: TrafficManager(DEFAULT_TM_PORT)}
        self.servers: dict[int, RpcServer] = {}
        self._methods = self._method_table()

    # --- the simulator's side (answered on the world's RPC port) ----------------------------------

    def is_running(self, port: int) -> bool:
        """Open ``port`` on first demand; False when it cannot be opened."""
        port = int(port)
        if port in self.servers:
            return True
        try:
            server = RpcServer(self._bind_host, port, lambda m, p, _port=port: self.handle(_port, m, p))
        except OSError as exc:
            log.warning("carla-lite: cannot serve a Traffic Manager on port %d: %s", port, exc)
            return False
        server.start()
        self.servers[port] = server
        self.managers.setdefault(port, TrafficManager(port))
        log.info("carla-lite: Traffic Manager on %s:%d", self.host, port)
        return True

    def endpoint(self, port: int) -> list:
        """``(ip, port)`` of the Traffic Manager on ``port``; ``("", 0)`` when none runs."""
        port = int(port)
        return [self.host, port] if port in self.servers else ["", 0]

    def close(self) -> None:
        for server in self.servers.values():
            server.close()
        self.servers.clear()

    # --- the world's side -------------------------------------------------------------------------

    def set_autopilot(self, actor_id: int, enabled: bool, port: int = DEFAULT_TM_PORT) -> None:
        self.managers.setdefault(port, TrafficManager(port))
        if enabled:
            self.autopilot.register(actor_id, port)
        else:
            self.autopilot.unregister(actor_id)

    def before_step(self, dt: float) -> None:
        self.autopilot.step(dt, {port: tm.view for port, tm in self.managers.items()})

    def forget(self, actor_id: int) -> None:
        self.autopilot.forget(actor_id)

    # --- the TM's own RPC -------------------------------------------------------------------------

    def handle(self, port: int, method: str, params: list) -> Any:
        """One call on a Traffic Manager port; rpclib's reply (a value or nil), errors as rpc errors."""
        fn = self._methods.get(method)
        if fn is None:
            raise ValueError(f"carla-lite's Traffic Manager does not support '{method}'")
        with self.lock:
            return fn(self.managers[port], *params)

    def _method_table(self) -> dict[str, Callable[..., Any]]:
        a = self.autopilot

        def per_vehicle(name: str, apply: Callable[[DriverParams, Any], None] | None = None):
            def run(tm: TrafficManager, actor: list, value: Any) -> None:
                actor_id = _actor_id(actor)
                a.world.info(actor_id)
                if apply is None:
                    tm.stored[(name, actor_id)] = value
                else:
                    apply(a.params.setdefault(actor_id, DriverParams()), value)

            return run

        def stored(name: str):
            def run(tm: TrafficManager, *values: Any) -> None:
                tm.stored[name] = values[0] if len(values) == 1 else list(values)

            return run

        def view(field: str):
            def run(tm: TrafficManager, value: float) -> None:
                setattr(tm.view, field, float(value))

            return run

        def register(tm: TrafficManager, actors: list) -> None:
            for actor in actors:
                a.register(_actor_id(actor), tm.port)

        def unregister(tm: TrafficManager, actors: list) -> None:
            for actor in actors:
                if a.ports.get(_actor_id(actor)) == tm.port:
                    a.unregister(_actor_id(actor))

        def seed(tm: TrafficManager, value: int) -> None:
            tm.stored["set_random_device_seed"] = int(value)
            a.rng = np.random.default_rng(int(value))

        table: dict[str, Callable[..., Any]] = {
            "health_check_remote_TM": lambda tm: None,
            "register_vehicle": register,
            "unregister_vehicle": unregister,
            "synchronous_tick": lambda tm: True,
            "shut_down": lambda tm: None,
            "set_random_device_seed": seed,
            "set_global_percentage_speed_difference": view("speed_difference"),
            "set_global_distance_to_leading_vehicle": view("distance"),
            "set_global_lane_offset": view("lane_offset"),
            "set_percentage_speed_difference": per_vehicle(
                "speed_difference", lambda p, v: setattr(p, "speed_difference", float(v))
            ),
            "set_desired_speed": per_vehicle(
                "desired_speed", lambda p, v: setattr(p, "desired_kmh", float(v))
            ),
            "set_distance_to_leading_vehicle": per_vehicle(
                "distance", lambda p, v: setattr(p, "distance", float(v))
            ),
            "set_percentage_ignore_vehicles": per_vehicle(
                "ignore_vehicles", lambda p, v: setattr(p, "ignore_vehicles", float(v))
            ),
            "set_lane_offset": per_vehicle("lane_offset", lambda p, v: setattr(p, "lane_offset", float(v))),
            "set_auto_lane_change": per_vehicle(
                "auto_lane_change", lambda p, v: setattr(p, "auto_lane_change", bool(v))
            ),
            "set_force_lane_change": per_vehicle(
                "force_lane_change", lambda p, v: setattr(p, "force_change", 1 if v else -1)
            ),
        }
        for name in (
            "set_synchronous_mode",
            "set_synchronous_mode_timeout_in_milisecond",
            "set_hybrid_physics_mode",
            "set_hybrid_physics_radius",
            "set_osm_mode",
            "set_respawn_dormant_vehicles",
            "set_boundaries_respawn_dormant_vehicles",
            "set_max_boundaries",
        ):
            table[name] = stored(name)
        for name in (
            "set_percentage_running_light",
            "set_percentage_running_sign",
            "set_percentage_ignore_walkers",
            "set_percentage_keep_right_rule",
            "set_percentage_random_left_lanechange",
            "set_percentage_random_right_lanechange",
            "keep_right_rule_percentage",  # the names the 0.9.16 client calls for the three above
            "random_left_lanechange_percentage",
            "random_right_lanechange_percentage",
            "update_vehicle_lights",
            "set_path",
            "set_imported_route",
        ):
            table[name] = per_vehicle(name)
        for name in (
            "remove_custom_path",
            "update_custom_path",
            "remove_imported_route",
            "update_imported_route",
        ):
            table[name] = lambda tm, i, value, _name=name: tm.stored.__setitem__((_name, int(i)), value)
        table["set_collision_detection"] = lambda tm, ref, other, on: tm.stored.__setitem__(
            ("set_collision_detection", _actor_id(ref), _actor_id(other)), bool(on)
        )
        table["get_next_action"] = lambda tm, actor_id: None
        table["get_all_actions"] = lambda tm, actor_id: None
        return table


def _actor_id(actor: Any) -> int:
    """The id of an ``rpc::Actor`` (``[id, parent, description, bounding box, tags, token]``)."""
    return int(actor[0] if isinstance(actor, list | tuple) else actor)
