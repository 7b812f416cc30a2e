"""Compiled road networks kept on disk: a run on a file read before loads the built network (its
tables, grid and lane graph) instead of parsing the XML and building them again.

An entry is the pickled :class:`~dil.road.network.RoadNetwork` as built from one file, named by the
SHA-256 of: :data:`FORMAT`, dil's version, the road package's sources (name, size and modification
time of each module: an edited parser or builder makes new entries), the path as given (the network
names it in its messages) and the file's contents. So an edited file, another dil version or an
edited road module reads afresh; an entry that cannot be read (cut short, corrupt, written by
another Python) is ignored, built afresh and written again. Entries are written whole (a temporary
file renamed), at most :data:`KEEP` of them (the least recently used go first). A network from an
entry is the one the file builds, bit for bit, and its file's warnings are logged again as a read
logs them.

The folder: ``DIL_ROAD_CACHE`` (a folder, or ``off`` for none), else ``$XDG_CACHE_HOME/dil/roads``
or ``~/.cache/dil/roads``. It is made with mode 0700; one that is not this user's, or that others
can write to, is not used (loading an entry runs the pickle's code, so only this user may write one).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .network import RoadNetwork
from .parse import log, parse

FORMAT = 1
"""The entries' layout; a new one makes new names."""
KEEP = 64
"""Entries kept in the folder (a network is 0.04-0.5 MB)."""
ENV_VAR = "DIL_ROAD_CACHE"
SUFFIX = ".network.pickle"


def default_folder(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The cache folder of this user (None: ``DIL_ROAD_CACHE=off``)."""
    given = environ.get(ENV_VAR, "")
    if given == "off":
        return None
    if given:
        return Path(given)
    base = environ.get("XDG_CACHE_HOME", "") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dil" / "roads"


def _private(folder: Path) -> bool:
    """Make ``folder`` (mode 0700) if needed; whether only this user can write in it."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.stat()
    except OSError:
        return False
    getuid = getattr(os, "getuid", None)
    return getuid is None or (st.st_uid == getuid() and not st.st_mode & 0o022)


def _sources_stamp() -> str:
    """Name, size [bytes] and modification time [ns] of every module of the road package."""
    parts = []
    for source in sorted(Path(__file__).parent.glob("*.py")):
        with contextlib.suppress(OSError):
            st = source.stat()
            parts.append(f"{source.name}:{st.st_size}:{st.st_mtime_ns}")
    return ";".join(parts)


def entry_name(path: str | Path, data: bytes, version: str) -> str:
    """The entry's file name for the file ``path`` with contents ``data`` under dil ``version``."""
    head = f"{FORMAT}\0{version}\0{_sources_stamp()}\0{path}\0".encode()
    return hashlib.sha256(head + data).hexdigest() + SUFFIX


def load(path: str | Path, folder: Path | None = None, *, version: str | None = None) -> RoadNetwork:
    """The compiled network of the ``.xodr`` file ``path``, from the cache in ``folder`` (default:
    :func:`default_folder`) when an entry for its contents is there, else read, built and kept.
    Errors are :meth:`RoadNetwork.load`'s (a bad file is never kept). ``version``: dil's (tests)."""
    if version is None:
        from dil import __version__ as version
    folder = folder if folder is not None else default_folder()
    if folder is None or not _private(folder):
        return RoadNetwork.load(path)
    try:
        data = Path(path).read_bytes()
    except OSError:
        return RoadNetwork.load(path)  # the error as a read reports it
    entry = folder / entry_name(path, data, version)
    net = _read(entry)
    if net is not None:
        for warning in net.odr.warnings:
            log.warning("%s", warning)
        # numba's target and the lookup kernels load here, in the set-up, as a build would have
        # loaded them (every run locates its entities); not in a run's first tick
        net.locate(0.0, 0.0)
        return net
    net = RoadNetwork(parse(data, str(path)))
    _write(folder, entry, net)
    return net


def _read(entry: Path) -> RoadNetwork | None:
    """The network kept in ``entry``; None when there is none or it cannot be read."""
    try:
        with open(entry, "rb") as f:
            net = pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception:  # cut short, corrupt, another Python's: built afresh and written again
        return None
    if not isinstance(net, RoadNetwork):
        return None
    with contextlib.suppress(OSError):
        os.utime(entry)  # recently used: kept longest
    return net


def _write(folder: Path, entry: Path, net: RoadNetwork) -> None:
    """Keep ``net`` in ``entry`` (whole or not at all) and drop the oldest entries beyond
    :data:`KEEP`; a folder that cannot be written is left as it is."""
    tmp = None
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".", suffix=".tmp", delete=False) as f:
            tmp = f.name
            pickle.dump(net, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, entry)
        tmp = None
        entries = sorted(folder.glob("*" + SUFFIX), key=lambda p: p.stat().st_mtime_ns)
        for old in entries[: max(0, len(entries) - KEEP)]:
            old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError):
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
