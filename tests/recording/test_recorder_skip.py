"""The recorder leaves out the topics it is told to skip, and counts them."""

from dil.recording.fast import fast_records
from dil.recording.recorder import Recorder


def test_skipped_topics_are_counted_not_written(tmp_path):
    path = tmp_path / "run.mcap"
    now = [0]
    rec = Recorder(path, lambda: now[0], skip=frozenset({"sensor/front"}))
    for k in range(5):
        now[0] = k * 1_000_000
        rec(b"sensor/front\0" + bytes(64))
        rec(b"custom/topic\0" + bytes([k]))
    rec.close()
    assert rec.skipped == 5 and rec.count == 5
    written = [(topic, bytes(data)) for topic, _, data in fast_records(path)]
    assert written == [("custom/topic", bytes([k])) for k in range(5)]
