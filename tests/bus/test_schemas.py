import math
from pathlib import Path

import msgpack
import numpy as np
import pytest

from dil.bus import HEADER, SCHEMAS, Encoder, FixedEncoder, Kind, decode, split
from dil.bus.contract import markdown

from .samples import sample

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("topic", list(SCHEMAS))
def test_every_schema_round_trips(topic):
    schema = SCHEMAS[topic]
    enc = Encoder(schema, "test-node")
    fields = sample(schema, seed=3)
    frame = enc.encode(123_000_000, 1_700_000_000_000_000_000, fields)
    assert frame.startswith(topic.encode() + b"\0")
    got_schema, msg = decode(frame)
    assert got_schema is schema
    assert msg == {
        "schema_version": schema.version,
        "seq": 0,
        "t_sim_ns": 123_000_000,
        "t_wall_ns": 1_700_000_000_000_000_000,
        "source": "test-node",
        **fields,
    }
    # the sequence advances per message
    assert decode(enc.encode(124_000_000, 0, fields))[1]["seq"] == 1


def test_encoder_refuses_to_send_an_invalid_message():
    enc = Encoder(SCHEMAS["driver/input"], "test")
    with pytest.raises(ValueError, match="throttle"):
        enc.encode(0, 0, {"steering_wheel_angle": 0.0, "throttle": 1.5, "brake": 0.0, "gear": 1})
    assert enc.seq == 0  # nothing was sent


def test_fixed_template_encodes_what_the_generic_encoder_does():
    schema = SCHEMAS["vehicle/state"]
    fixed = FixedEncoder(schema, "vehicle")
    generic = Encoder(schema, "vehicle")
    rng = np.random.default_rng(7)
    for i in range(5):
        fields = sample(schema, seed=i)
        for name in fixed.float_names:
            if schema.fields[[f.name for f in schema.fields].index(name)].hi is None:
                fields[name] = float(rng.normal(0.0, 100.0))
        fixed.floats[:] = [fields[n] for n in fixed.float_names]
        fixed.ints[:] = [fields[n] for n in fixed.int_names]
        t = 10**9 * (i + 1)
        frame = bytes(fixed.encode(t, -t))
        assert decode(frame)[1] == decode(generic.encode(t, -t, fields))[1]
    assert fixed.seq == 5


def test_fixed_template_is_plain_msgpack_with_float64_values():
    fixed = FixedEncoder(SCHEMAS["vehicle/state"], "vehicle")
    fixed.floats[:] = 1.0 / 3.0  # not representable in float32: must survive exactly
    topic, payload = split(bytes(fixed.encode(0, 0)))
    msg = msgpack.unpackb(payload)
    assert topic == "vehicle/state"
    assert msg["x"] == 1.0 / 3.0
    assert list(msg)[: len(HEADER)] == [f.name for f in HEADER]


def test_fixed_template_refuses_schemas_with_non_numbers():
    with pytest.raises(ValueError, match="non-number"):
        FixedEncoder(SCHEMAS["run/status"], "loop")


def test_every_field_is_documented_with_a_unit_or_none():
    for schema in SCHEMAS.values():
        assert schema.doc
        for f in schema.fields:
            assert f.doc or f.kind is Kind.ENUM or f.unit != "-", f"{schema.topic}.{f.name}"
            if f.kind is Kind.F64 and f.lo is not None and f.hi is not None:
                assert f.lo < f.hi
                assert not math.isinf(f.lo)


def test_docs_messages_md_is_generated_from_the_code():
    assert (ROOT / "docs" / "messages.md").read_text() == markdown(), (
        "docs/messages.md is stale: run `dil messages --markdown > docs/messages.md`"
    )
