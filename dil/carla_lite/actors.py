"""Actors as the wire's ``rpc::Actor``: ``[id, parent_id, description, bounding_box, semantic_tags,
stream_token]``."""

from __future__ import annotations

from .blueprints import ActorClass, BlueprintLibrary
from .layouts import bounding_box, pack_token
from .world import LiteWorld

SEMANTIC_TAGS = {
    ActorClass.VEHICLE: b"\x0e",  # Car
    ActorClass.PROP: b"\x14",  # Static
    ActorClass.SENSOR: b"",
    ActorClass.SPECTATOR: b"",
    ActorClass.WALKER: b"\x0c",  # Pedestrian
    ActorClass.CONTROLLER: b"",
}
"""CARLA's CityObjectLabel values of each class."""


class ActorCodec:
    """Packs the actors of one world; sensors carry a token for ``stream_port``."""

    def __init__(self, world: LiteWorld, library: BlueprintLibrary, stream_port: int) -> None:
        self.world = world
        self.library = library
        self.stream_port = stream_port

    def actor(self, actor_id: int) -> list:
        info = self.world.info(actor_id)
        bp = info.blueprint
        attributes = info.attributes or [[a.id, int(a.type), a.value] for a in bp.attributes]
        token = pack_token(info.stream_id, self.stream_port) if info.stream_id else b""
        return [
            actor_id,
            self.world.parent_of(actor_id),
            [self.library.uid(bp.id), bp.id, attributes],
            self.bounding_box(actor_id),
            SEMANTIC_TAGS[bp.actor_class],
            token,
        ]

    def bounding_box(self, actor_id: int) -> list:
        """The box of any actor kind (vehicles, props, sensors, the spectator), centred above the
        actor's origin, which lies on the ground: ``[location, extent, rotation]`` [m]."""
        length, width, height = self.world.info(actor_id).blueprint.size
        return bounding_box((0.0, 0.0, 0.5 * height), (0.5 * length, 0.5 * width, 0.5 * height))
