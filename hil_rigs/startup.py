"""Checks made before a rig server, or a runtime that cues a rig, starts: whether its bus addresses
leave the machine (then rig control needs CURVE) and whether its rig file loads. Each answers with
the message to print, or nothing when all is well."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from pathlib import Path

import yaml

LOCAL_SCHEMES = ("ipc://", "inproc://")
"""Transports that cannot leave the machine."""


def is_loopback(address: str) -> bool:
    """True when a ZeroMQ address stays on this machine: ``ipc://``, ``inproc://``, or ``tcp://``
    to 127.0.0.0/8, ``::1`` or ``localhost`` (every part of a ``source;destination`` address)."""
    if address.startswith(LOCAL_SCHEMES):
        return True
    scheme, sep, rest = address.partition("://")
    if not sep or scheme != "tcp":
        return False
    for part in rest.split(";"):
        host = part.rpartition(":")[0].strip("[]")
        if host == "localhost":
            continue
        try:
            if not ipaddress.ip_address(host).is_loopback:
                return False
        except ValueError:  # a host name or an interface other than localhost: may leave the machine
            return False
    return True


def curve_refusal(addresses: Iterable[str], curve: bool) -> str | None:
    """Why a rig server must not start on ``addresses`` (None when it may): without CURVE any
    process that reaches them could move, e-stop or re-arm the rig, so off loopback it is required."""
    if curve:
        return None
    outside = [a for a in addresses if not is_loopback(a)]
    if not outside:
        return None
    return (
        f"{', '.join(outside)}: not loopback, and CURVE is not configured: without it any process that "
        "reaches these addresses can move, e-stop or re-arm the rig. Give --curve-secret, "
        "--curve-server-key and --curve-authorized (keys from `dil keys`), or serve on 127.0.0.1 or ipc"
    )


def rig_file_problem(name_or_path: str | Path) -> str | None:
    """Why the rig file (a name in ``hil_rigs/rigs`` or a path) cannot be used, naming the file and
    the key; None when it loads."""
    from .config import load_rig

    try:
        load_rig(name_or_path)
    except (ValueError, yaml.YAMLError, OSError, RecursionError) as e:
        text = str(e)
        return (
            text
            if str(name_or_path) in text or str(Path(name_or_path).name) in text
            else f"{name_or_path}: {text}"
        )
    return None
