"""The test's stand-ins for the runtime and the rig server: real messages on the real bus."""

import threading
import time

from dil.bus import SCHEMAS, Encoder
from hil_rigs.server import feedback_fields


def run_status(state: str) -> dict:
    return {
        "state": state,
        "clock": "wall",
        "tick": 1234,
        "rate_hz": 1000.0,
        "lateness_p50_us": 5.0,
        "lateness_p99_us": 20.0,
        "lateness_p999_us": 40.0,
        "lateness_max_us": 60.0,
        "late_ticks": 0,
        "missed_ticks": 0,
        "dropped_messages": 0,
        "scheduling": "",
    }


def rig_feedback(state: str) -> dict:
    return feedback_fields(state, lengths=(0.6,) * 6)


class Peer:
    """Publishes the given topics' messages at 50 Hz from a thread until stopped; ``set`` changes
    a topic's message."""

    def __init__(self, bus, messages: dict[str, dict]) -> None:
        self.messages = dict(messages)
        self._pubs = {t: bus.publisher(t) for t in messages}
        self._enc = {t: Encoder(SCHEMAS[t], "test") for t in messages}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def set(self, topic: str, msg: dict) -> None:
        with self._lock:
            self.messages[topic] = msg

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                items = list(self.messages.items())
            for t, m in items:
                self._pubs[t].send(self._enc[t].encode(0, time.time_ns(), m))
            time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
