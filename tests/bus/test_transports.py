import time

import pytest

from dil.bus import SCHEMAS, Drops, Encoder, Endpoints, Inbox, LocalBus, ZmqBus
from dil.bus.curve import Curve, KeyFileError, generate

from .samples import sample

TOPIC = "driver/input"


def _bus(kind, tmp_path, base_port, **kw):
    if kind == "local":
        return LocalBus()
    if kind == "inproc":
        return ZmqBus(Endpoints.default("inproc", name=str(tmp_path)), **kw)
    if kind == "ipc":
        return ZmqBus(Endpoints.default("ipc", directory=tmp_path), **kw)
    return ZmqBus(Endpoints.default("tcp", port=base_port), **kw)


def _await_link(pub, sub, frame, timeout_s=5.0):
    """PUB/SUB joins asynchronously: publish until the subscriber sees one frame, then drain."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        pub.send(frame)
        if sub.recv(20) is not None:
            while sub.recv(50) is not None:
                pass
            return
    raise AssertionError("subscriber never connected")


KINDS = ["local", "inproc", "ipc", "tcp"]


@pytest.mark.parametrize("kind", KINDS)
def test_publish_subscribe_delivers_in_order(kind, tmp_path, base_port):
    bus = _bus(kind, tmp_path, base_port)
    try:
        pub = bus.publisher(TOPIC)
        sub = bus.subscriber(TOPIC)
        other = bus.subscriber("vehicle/state")  # another topic's subscriber sees nothing of ours
        enc = Encoder(SCHEMAS[TOPIC], "driver")
        if kind != "local":
            _await_link(pub, sub, enc.encode(0, 0, sample(SCHEMAS[TOPIC])))
        inbox = Inbox(sub, Drops())
        first = enc.seq
        for i in range(500):
            pub.send(enc.encode(i, 0, sample(SCHEMAS[TOPIC], seed=i)))
        seqs = []
        while (m := inbox.next(timeout_ms=200)) is not None:
            seqs.append(m["seq"])
        assert seqs == list(range(first, first + 500))
        assert other.recv(10) is None
    finally:
        bus.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_conflating_subscriber_keeps_only_the_newest(kind, tmp_path, base_port):
    bus = _bus(kind, tmp_path, base_port)
    try:
        pub = bus.publisher(TOPIC)
        sub = bus.subscriber(TOPIC, conflate=True)
        enc = Encoder(SCHEMAS[TOPIC], "driver")
        if kind != "local":
            _await_link(pub, sub, enc.encode(0, 0, sample(SCHEMAS[TOPIC])))
        for i in range(200):
            pub.send(enc.encode(i, 0, sample(SCHEMAS[TOPIC])))
        inbox, newest, end = Inbox(sub, Drops()), None, time.monotonic() + 30.0
        time.sleep(0.1)  # most often all 200 are in by now: one read gets the newest
        while (newest is None or newest["seq"] != enc.seq - 1) and time.monotonic() < end:
            newest = inbox.latest() or newest  # a busy machine: read again until the newest is in
            time.sleep(0.05)
        assert newest is not None and newest["seq"] == enc.seq - 1
        assert inbox.received <= 5  # of 200 sent: the socket kept only the newest each time it was read
    finally:
        bus.close()


@pytest.mark.parametrize("kind", KINDS)
def test_request_reply_routes_each_reply_to_its_requester(kind, tmp_path, base_port):
    bus = _bus(kind, tmp_path, base_port)
    try:
        server = bus.replier("inference")
        clients = [bus.requester("inference") for _ in range(3)]
        for i, c in enumerate(clients):
            c.send(b"q%d" % i)
        for _ in range(3):
            got = server.recv(2000)
            assert got is not None
            peer, frame = got
            server.send(peer, b"a" + frame[1:])
        for i, c in enumerate(clients):
            assert c.recv(2000) == b"a%d" % i
    finally:
        bus.close()


def test_two_buses_in_one_process_over_tcp_with_curve(tmp_path, base_port):
    keys = tmp_path / "keys"
    allowed = tmp_path / "allowed"
    _, server_secret = generate(keys, "runtime")
    client_public, client_secret = generate(keys, "rig")
    _, stranger_secret = generate(keys, "stranger")
    allowed.mkdir()
    (allowed / "rig.key").write_bytes(client_public.read_bytes())
    ep = Endpoints.default("tcp", port=base_port)
    server_public = keys / "runtime.key"
    runtime = ZmqBus(ep, curve=Curve(server_secret, authorized_dir=allowed))
    rig = ZmqBus(ep, curve=Curve(client_secret, server_key_file=server_public))
    stranger = ZmqBus(ep, curve=Curve(stranger_secret, server_key_file=server_public))
    try:
        pub = runtime.publisher("rig/command")
        sub = rig.subscriber("rig/command")
        intruder = stranger.subscriber("rig/command")
        enc = Encoder(SCHEMAS["rig/command"], "runtime")
        _await_link(pub, sub, enc.encode(0, 0, sample(SCHEMAS["rig/command"])))
        pub.send(enc.encode(1, 0, sample(SCHEMAS["rig/command"])))
        assert Inbox(sub, Drops()).next(2000) is not None
        assert intruder.recv(300) is None  # its key is not authorised: no connection
    finally:
        for b in (stranger, rig, runtime):
            b.close()


def test_curve_key_errors_name_the_file(tmp_path):
    with pytest.raises(KeyFileError, match="no such key file"):
        Curve(tmp_path / "missing.key_secret")
    public, _ = generate(tmp_path, "x")
    with pytest.raises(KeyFileError, match="no secret key"):
        Curve(public)
    (tmp_path / "junk.key_secret").write_text("not a certificate")
    with pytest.raises(KeyFileError, match=r"junk\.key_secret"):
        Curve(tmp_path / "junk.key_secret")


def test_local_bus_tap_sees_every_frame_in_order():
    bus = LocalBus()
    seen = []
    bus.tap(seen.append)
    a = bus.publisher("driver/input")
    b = bus.publisher("vehicle/state")
    a.send(b"driver/input\0x")
    b.send(bytearray(b"vehicle/state\0y"))
    assert seen == [b"driver/input\0x", b"vehicle/state\0y"]
    assert all(type(f) is bytes for f in seen)


def test_endpoints_name_what_is_missing():
    with pytest.raises(KeyError, match="no address for 'sensor/rear'"):
        Endpoints.default("tcp")["sensor/rear"]
    with pytest.raises(ValueError, match="udp"):
        Endpoints.default("udp")


@pytest.mark.parametrize("kind", KINDS)
def test_a_subscriber_says_when_it_has_joined_its_publisher(kind, tmp_path, base_port):
    from tests.joining import joined

    bus = _bus(kind, tmp_path, base_port)
    try:
        sub = bus.subscriber(TOPIC)
        if kind in ("ipc", "tcp"):
            assert not sub.joined()  # nothing bound at the topic's address yet
        pub = bus.publisher(TOPIC)
        assert joined(sub).joined()
        if kind in ("ipc", "tcp"):
            assert bus.links.handshakes == 1 and bus.links.handshake_failures == 0
        enc = Encoder(SCHEMAS[TOPIC], "driver")
        _await_link(pub, sub, enc.encode(0, 0, sample(SCHEMAS[TOPIC])))
    finally:
        bus.close()


@pytest.mark.parametrize("kind", ["inproc", "ipc", "tcp"])
def test_an_announced_publisher_waits_for_its_subscribers_and_then_loses_nothing(kind, tmp_path, base_port):
    bus = _bus(kind, tmp_path, base_port)
    other = _bus(kind, tmp_path, base_port, context=bus.context)  # inproc reaches within a context
    try:
        subs = [bus.subscriber(TOPIC), other.subscriber(TOPIC), other.subscriber("vehicle/state")]
        pub = bus.announced_publisher(TOPIC)
        assert pub.wait_subscribers(2, 60.0) == 2  # the other topic's subscriber is not counted
        assert pub.wait_subscribers(3, 0.2) == 2
        frame = Encoder(SCHEMAS[TOPIC], "driver").encode(0, 0, sample(SCHEMAS[TOPIC]))
        pub.send(frame)  # once, no retry: both subscribers have joined
        assert [s.recv(60_000) for s in subs[:2]] == [bytes(frame)] * 2
        assert subs[2].recv(10) is None
        with pytest.raises(ValueError, match="already bound"):
            bus.announced_publisher(TOPIC)
    finally:
        other.close()
        bus.close()
