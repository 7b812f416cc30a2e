import logging

import msgpack
import pytest

from dil.bus import SCHEMAS, Drop, Drops, Encoder, Inbox, LocalBus

from .samples import sample

TOPIC = "driver/input"


def _valid(seq=0, **changes):
    msg = {
        "schema_version": 1,
        "seq": seq,
        "t_sim_ns": 0,
        "t_wall_ns": 0,
        "source": "test",
        **sample(SCHEMAS[TOPIC]),
    }
    msg.update(changes)
    return msg


def _frame(msg) -> bytes:
    return TOPIC.encode() + b"\0" + msgpack.packb(msg)


def _without(field):
    msg = _valid()
    del msg[field]
    return _frame(msg)


BAD = {
    "not msgpack": (b"driver/input\0\xc1\xc1", Drop.MALFORMED),
    "truncated": (_frame(_valid())[:-3], Drop.MALFORMED),
    "not a map": (TOPIC.encode() + b"\0" + msgpack.packb([1, 2, 3]), Drop.MALFORMED),
    "no topic prefix": (msgpack.packb(_valid()), Drop.MALFORMED),
    "wrong version": (_frame(_valid(schema_version=2)), Drop.VERSION),
    "missing version": (_without("schema_version"), Drop.MISSING_FIELD),
    "missing field": (_without("brake"), Drop.MISSING_FIELD),
    "missing header field": (_without("t_sim_ns"), Drop.MISSING_FIELD),
    "string for a number": (_frame(_valid(throttle="0.5")), Drop.WRONG_TYPE),
    "float for an integer": (_frame(_valid(gear=1.0)), Drop.WRONG_TYPE),
    "bool for a number": (_frame(_valid(brake=True)), Drop.WRONG_TYPE),
    "nan": (_frame(_valid(steering_wheel_angle=float("nan"))), Drop.NOT_FINITE),
    "infinity": (_frame(_valid(steering_wheel_angle=float("inf"))), Drop.NOT_FINITE),
    "out of range": (_frame(_valid(throttle=1.2)), Drop.OUT_OF_RANGE),
    "source not a string": (_frame(_valid(source=5)), Drop.WRONG_TYPE),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_message_is_dropped_and_counted(case):
    frame, reason = BAD[case]
    bus = LocalBus()
    drops = Drops()
    inbox = Inbox(bus.subscriber(TOPIC), drops)
    pub = bus.publisher(TOPIC)
    good = Encoder(SCHEMAS[TOPIC], "driver")
    pub.send(good.encode(0, 0, sample(SCHEMAS[TOPIC])))
    pub.send(frame)
    pub.send(good.encode(1, 0, sample(SCHEMAS[TOPIC], seed=1)))
    got = [inbox.next(), inbox.next(), inbox.next()]
    assert [m["seq"] for m in got[:2]] == [0, 1]  # the bad one never comes out
    assert got[2] is None
    assert drops.of(TOPIC, reason) == 1, drops.counts
    assert drops.total == 1


def test_nan_inside_a_list_or_record_is_rejected():
    schema = SCHEMAS["world/actors"]
    fields = sample(schema)
    fields["actors"][1]["x"] = float("nan")
    msg = {"schema_version": 1, "seq": 0, "t_sim_ns": 0, "t_wall_ns": 0, "source": "t", **fields}
    with pytest.raises(ValueError, match=r"actors\[1\]\.x = nan"):
        schema.check(msg)
    rig = SCHEMAS["rig/command"]
    fields = sample(rig)
    fields["actuator_lengths"][3] = float("inf")
    msg = {"schema_version": 1, "seq": 0, "t_sim_ns": 0, "t_wall_ns": 0, "source": "t", **fields}
    with pytest.raises(ValueError, match=r"actuator_lengths\[3\]"):
        rig.check(msg)
    fields["actuator_lengths"] = [1.0] * 5
    with pytest.raises(ValueError, match="must have 6"):
        rig.check({**msg, **fields})


def test_unknown_enum_value_is_out_of_range():
    schema = SCHEMAS["rig/command"]
    msg = {"schema_version": 1, "seq": 0, "t_sim_ns": 0, "t_wall_ns": 0, "source": "t", **sample(schema)}
    msg["mode"] = "fly"
    with pytest.raises(ValueError, match="mode = 'fly'"):
        schema.check(msg)


def test_drops_are_logged_once_per_kind_then_summarised(caplog):
    now = [0.0]
    drops = Drops(log_interval_s=10.0, clock=lambda: now[0])
    bus = LocalBus()
    inbox = Inbox(bus.subscriber(TOPIC), drops)
    pub = bus.publisher(TOPIC)
    caplog.set_level(logging.WARNING, logger="dil.bus")
    for _ in range(50):
        pub.send(BAD["nan"][0])
    pub.send(BAD["wrong version"][0])
    assert inbox.latest() is None
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2  # one per kind, not 51
    assert "not_finite" in lines[0] and "version" in lines[1]
    now[0] = 11.0
    pub.send(BAD["nan"][0])
    inbox.latest()
    assert len(caplog.records) == 3
    assert "dropped 50 more" in caplog.records[-1].getMessage()
    assert drops.of(TOPIC) == 52
