"""Built road networks kept on disk (dil/road/cache.py): the same network as a read, an edited file
or another dil version read afresh, a corrupt entry rebuilt, a folder others can write not used."""

from __future__ import annotations

import logging
import os
import pickle

import pytest

from dil.road import cache
from dil.road.network import RoadNetwork

from .helpers import document, geometry, road

UNSUPPORTED = '<objects><object id="1" s="1" t="0"/></objects>'


def _xodr(tmp_path, length: float = 200.0, name: str = "r.xodr"):
    path = tmp_path / name
    path.write_text(document(road(geometry("<line/>", length), length, extra=UNSUPPORTED)))
    return path


def _entries(folder):
    return sorted(folder.glob("*" + cache.SUFFIX))


def _same(a: RoadNetwork, b: RoadNetwork) -> None:
    assert a.source == b.source and [r.id for r in a.roads] == [r.id for r in b.roads]
    for x, y in zip(a.tables, b.tables, strict=True):
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes()
    for p in ((10.0, -1.7), (150.0, 1.2), (55.5, 30.0)):
        assert a.locate(*p) == b.locate(*p)


def test_a_kept_network_is_the_one_the_file_builds_and_is_read_from_the_entry(tmp_path, caplog):
    path, folder = _xodr(tmp_path), tmp_path / "cache"
    with caplog.at_level(logging.WARNING, logger="dil.road"):
        first = cache.load(path, folder)
    warned = [r.getMessage() for r in caplog.records]
    assert warned and "<objects>" in warned[0]
    (entry,) = _entries(folder)
    assert folder.stat().st_mode & 0o777 == 0o700
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dil.road"):
        again = cache.load(path, folder)
    assert [r.getMessage() for r in caplog.records] == warned  # the file's warnings, as a read gives them
    _same(again, RoadNetwork.load(path))
    _same(first, again)
    # the entry is what is read: another network put under its name comes back
    other = RoadNetwork.load(_xodr(tmp_path, 80.0, "other.xodr"))
    entry.write_bytes(pickle.dumps(other))
    assert cache.load(path, folder).source == other.source


def test_an_edited_file_is_read_afresh(tmp_path):
    path, folder = _xodr(tmp_path), tmp_path / "cache"
    assert cache.load(path, folder).roads[0].length == 200.0
    path.write_text(path.read_text().replace("200.0", "120.0"))
    assert cache.load(path, folder).roads[0].length == 120.0
    assert len(_entries(folder)) == 2


def test_a_corrupt_entry_is_ignored_and_rebuilt(tmp_path):
    path, folder = _xodr(tmp_path), tmp_path / "cache"
    cache.load(path, folder)
    (entry,) = _entries(folder)
    for bad in (b"", b"\x80\x05garbage", pickle.dumps({"not": "a network"})):
        entry.write_bytes(bad)
        _same(cache.load(path, folder), RoadNetwork.load(path))
        assert isinstance(pickle.loads(entry.read_bytes()), RoadNetwork)  # written again, whole


def test_another_dil_version_does_not_reuse_an_entry(tmp_path):
    path, folder = _xodr(tmp_path), tmp_path / "cache"
    cache.load(path, folder, version="1.0")
    (old,) = _entries(folder)
    old.write_bytes(pickle.dumps(RoadNetwork.load(_xodr(tmp_path, 80.0, "other.xodr"))))
    assert cache.load(path, folder, version="1.1").source == str(path)  # not the planted network
    assert len(_entries(folder)) == 2


def test_a_bad_file_raises_as_a_read_does_and_is_not_kept(tmp_path):
    folder = tmp_path / "cache"
    bad = tmp_path / "bad.xodr"
    bad.write_text("<OpenDRIVE><header")
    with pytest.raises(Exception, match="not well-formed") as got:
        cache.load(bad, folder)
    with pytest.raises(type(got.value), match="not well-formed"):
        RoadNetwork.load(bad)
    with pytest.raises(type(got.value), match="cannot read"):
        cache.load(tmp_path / "missing.xodr", folder)
    assert _entries(folder) == []


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="folder owners are a POSIX notion")
def test_a_folder_others_can_write_is_not_used(tmp_path):
    path, folder = _xodr(tmp_path), tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    _same(cache.load(path, folder), RoadNetwork.load(path))
    assert _entries(folder) == []


def test_the_folder_comes_from_the_environment():
    assert cache.default_folder({"DIL_ROAD_CACHE": "off"}) is None
    assert str(cache.default_folder({"DIL_ROAD_CACHE": "/x/y"})) == "/x/y"
    assert str(cache.default_folder({"XDG_CACHE_HOME": "/c"})) == "/c/dil/roads"
