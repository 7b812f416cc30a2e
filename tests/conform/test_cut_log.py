"""A player's log cut while it wrote a row ends at its last whole row (dil/conform/players.py)."""

from __future__ import annotations

from dil.conform.players import whole_lines


def test_a_row_cut_short_is_dropped_and_whole_rows_kept(tmp_path):
    log = tmp_path / "esmini.csv"
    rows = b"Index, TimeStamp, #1 Entity_Name\n"
    rows += b"".join(b"%d, %.2f, Ego\n" % (i, i / 100) for i in range(500))
    for tail in (1 << 16, 64, 9):  # the last row's end within the tail read
        log.write_bytes(rows + b"500, 5.0")
        whole_lines(log, tail_bytes=tail)
        assert log.read_bytes() == rows
    log.write_bytes(rows + b"500, 5.0")
    whole_lines(log, tail_bytes=8)  # no row's end in the tail: left as it is, never cut mid-row
    assert log.read_bytes() == rows + b"500, 5.0"
    whole_lines(log)  # whole already: left as it is
    assert log.read_bytes() == rows


def test_a_log_without_one_whole_row_is_emptied_and_a_missing_one_is_no_error(tmp_path):
    log = tmp_path / "esmini.csv"
    log.write_bytes(b"Index, TimeSt")
    whole_lines(log)
    assert log.read_bytes() == b""
    whole_lines(tmp_path / "missing.csv")
