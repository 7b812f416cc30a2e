"""The inference node's serving loop (``dil node serve``): requests in over a ROUTER, batched up to
the manifest's ``max_batch`` from whatever is waiting, one model call per batch, one reply per
request in the order received.

A request the model cannot be fed (a missing camera, an image of the wrong size, a malformed
frame) gets a reply with ``error`` set and no command; the rest of its batch is still answered.
``delay_ms`` holds every reply back, to demonstrate and test how a runtime handles a slow node.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dil.bus.codec import Encoder, decode
from dil.bus.messages import INFERENCE_REPLY, SERVICE_SCHEMAS
from dil.bus.schema import MessageError
from dil.bus.transport import Replier

from .backend import Session
from .manifest import Manifest
from .preprocess import RequestError, check_request, commands, decode_image, feeds, warm

log = logging.getLogger("dil.node")


def needs(m: Manifest) -> str:
    """What the model reads, for the runtime's check before it starts."""
    parts = []
    for i in m.inputs:
        if i.kind == "camera":
            parts.append(f"camera:{i.camera}:{i.source_size[0]}x{i.source_size[1]}")
        elif i.kind == "ego":
            parts.append("ego:" + ":".join(i.fields))
        else:
            parts.append("objects")
    return ",".join(parts)


@dataclass
class ServerStats:
    requests: int = 0
    batches: int = 0
    errors: int = 0
    inference_ns: list[int] = field(default_factory=list)
    """Model time per batch (the last 100 000)."""


class InferenceServer:
    def __init__(
        self,
        manifest: Manifest,
        session: Session,
        replier: Replier,
        *,
        name: str = "node",
        delay_ms: float = 0.0,
    ) -> None:
        self.manifest = manifest
        self.session = session
        self.replier = replier
        self.identity = f"{name} ({session.backend} on {session.device})"
        self.delay_ns = int(delay_ms * 1e6)
        self.stats = ServerStats()
        self._needs = needs(manifest)
        self._enc = Encoder(INFERENCE_REPLY, name)
        warm()

    def serve(self, should_stop: Callable[[], bool] = lambda: False, poll_ms: int = 100) -> None:
        while not should_stop():
            self.serve_once(poll_ms)

    def serve_once(self, timeout_ms: int = 100) -> int:
        """Answer what is waiting (waiting up to ``timeout_ms`` for the first request); returns
        the number of requests answered."""
        first = self.replier.recv(timeout_ms)
        if first is None:
            return 0
        received = [(time.perf_counter_ns(), *first)]
        while len(received) < self.manifest.max_batch:
            more = self.replier.recv(0)
            if more is None:
                break
            received.append((time.perf_counter_ns(), *more))
        good, replies = [], []
        for t_in, peer, frame in received:
            reply = {"frame_id": 0, "t_sim_ns": 0, "batch": 0, "inference_ns": 0}
            try:
                req = self._decode(frame)
                reply["frame_id"], reply["t_sim_ns"] = req["frame_id"], req["t_sim_ns"]
                if req["frame_id"] == 0 and not req["images"] and not req["ego"]:
                    reply["error"] = ""  # a probe: answered with what the model needs
                else:
                    good.append((len(replies), req))
                    reply["error"] = None
            except (RequestError, MessageError) as e:
                reply["error"] = str(e)
            replies.append((t_in, peer, reply))
        if good:
            self._run([r for _, r in good], [replies[k][2] for k, _ in good])
        if self.delay_ns:
            time.sleep(self.delay_ns * 1e-9)
        for t_in, peer, reply in replies:
            self._send(peer, reply, t_in)
        return len(replies)

    def _decode(self, frame: bytes) -> dict:
        schema, msg = decode(frame, SERVICE_SCHEMAS)
        if schema.topic != "inference/request":
            raise RequestError(f"expected an inference/request frame, got {schema.topic}")
        images = {}
        for rec in msg["images"]:
            images[rec["camera"]] = decode_image(rec)
        names = [n for n in msg["ego_fields"].split(",") if n]
        if len(names) != len(msg["ego"]):
            raise RequestError(f"ego has {len(msg['ego'])} values for {len(names)} ego_fields")
        msg["images"] = images
        msg["ego"] = dict(zip(names, msg["ego"], strict=True))
        return msg

    def _run(self, requests: list[dict], replies: list[dict]) -> None:
        # requests the model cannot be fed are answered alone with their error; the others together
        batch, out = [], []
        for req, rep in zip(requests, replies, strict=True):
            try:
                check_request(self.manifest, req)
                batch.append(req)
                out.append(rep)
            except RequestError as e:
                rep["error"] = str(e)
        if not batch:
            return
        try:
            inputs = feeds(self.manifest, self.session, batch)
            t0 = time.perf_counter_ns()
            outputs = self.session.run(inputs)
            dt = time.perf_counter_ns() - t0
            cmd = commands(self.manifest, self.session, outputs, len(batch))
        except Exception as e:  # a backend's failure is this batch's error, not the node's end
            log.warning("model failed on a batch of %d: %s", len(batch), e)
            for rep in out:
                rep["error"] = f"model failed: {e}"
            return
        self.stats.batches += 1
        self.stats.inference_ns.append(dt)
        del self.stats.inference_ns[:-100_000]
        for k, rep in enumerate(out):
            rep["steering_wheel_angle"], rep["throttle"], rep["brake"] = map(float, cmd[k])
            rep["inference_ns"], rep["batch"], rep["error"] = dt, len(batch), ""

    def _send(self, peer: bytes, reply: dict, t_in: int) -> None:
        self.stats.requests += 1
        if reply["error"]:
            self.stats.errors += 1
        fields = {
            "frame_id": reply["frame_id"],
            "steering_wheel_angle": reply.get("steering_wheel_angle", 0.0),
            "throttle": reply.get("throttle", 0.0),
            "brake": reply.get("brake", 0.0),
            "inference_ns": reply["inference_ns"],
            "node_ns": time.perf_counter_ns() - t_in,
            "batch": reply["batch"],
            "node": self.identity,
            "needs": self._needs,
            "error": reply["error"] or "",
        }
        self.replier.send(peer, self._enc.encode(reply["t_sim_ns"], time.time_ns(), fields))
