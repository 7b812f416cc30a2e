"""CARLA's EpisodeSettings as served by carla-lite."""

from __future__ import annotations

from dataclasses import astuple, dataclass

from .layouts import optional, parse_optional


@dataclass(frozen=True)
class EpisodeSettings:
    """Field order is the wire order (``rpc::EpisodeSettings``)."""

    synchronous_mode: bool = False
    no_rendering_mode: bool = False
    fixed_delta_seconds: float | None = None
    """[s]; None: asynchronous mode steps by the server's own rate."""
    substepping: bool = True
    max_substep_delta_time: float = 0.01
    max_substeps: int = 10
    max_culling_distance: float = 0.0
    deterministic_ragdolls: bool = True
    tile_stream_distance: float = 3000.0
    actor_active_distance: float = 2000.0
    spectator_as_ego: bool = True

    def to_msgpack(self) -> list:
        fields = list(astuple(self))
        fields[2] = optional(self.fixed_delta_seconds)
        return fields

    @staticmethod
    def from_msgpack(obj: list) -> EpisodeSettings:
        if len(obj) != len(EpisodeSettings.__dataclass_fields__):
            raise ValueError(f"episode settings with {len(obj)} fields, expected 11 (carla 0.9.16)")
        delta = parse_optional(obj[2])
        return EpisodeSettings(
            synchronous_mode=bool(obj[0]),
            no_rendering_mode=bool(obj[1]),
            fixed_delta_seconds=None if delta is None else float(delta),
            substepping=bool(obj[3]),
            max_substep_delta_time=float(obj[4]),
            max_substeps=int(obj[5]),
            max_culling_distance=float(obj[6]),
            deterministic_ragdolls=bool(obj[7]),
            tile_stream_distance=float(obj[8]),
            actor_active_distance=float(obj[9]),
            spectator_as_ego=bool(obj[10]),
        )
