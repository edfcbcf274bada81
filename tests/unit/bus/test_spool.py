"""Disk spool: order, bound, segments, resume after restart, torn lines."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from phantomnet.bus.spool import DiskSpool


def drain(spool: DiskSpool, per_read: int = 3) -> list[bytes]:
    out: list[bytes] = []
    while (chunk := spool.read(per_read)) is not None:
        out += chunk.lines
        spool.commit(chunk)
    return out


def test_lines_come_back_in_order_across_segments_and_files_are_removed(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, max_bytes=10_000, segment_bytes=40)
    lines = [f"event-{i:03d}".encode() for i in range(30)]
    assert spool.append(lines) == 30
    assert len(list(tmp_path.glob("seg-*.jsonl"))) > 5
    assert drain(spool) == lines
    assert not spool.pending()
    assert list(tmp_path.glob("seg-*.jsonl")) == []


def test_append_while_replaying_keeps_order(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, max_bytes=10_000, segment_bytes=30)
    spool.append([b"a1", b"a2", b"a3"])
    chunk = spool.read(2)
    assert chunk is not None
    spool.append([b"b1", b"b2"])
    spool.commit(chunk)
    assert drain(spool) == [b"a3", b"b1", b"b2"]


def test_full_spool_refuses_new_lines_and_keeps_old_ones(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, max_bytes=50, segment_bytes=20)
    accepted = spool.append([b"x" * 9 for _ in range(10)])  # 10 bytes per line with newline
    assert accepted == 5
    assert spool.size == 50
    assert spool.append([b"late"]) == 0
    assert drain(spool) == [b"x" * 9] * 5
    assert spool.append([b"room again"]) == 1


def test_uncommitted_chunk_is_read_again_after_restart(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, max_bytes=10_000, segment_bytes=25)
    spool.append([f"l{i}".encode() for i in range(10)])
    first = spool.read(4)
    assert first is not None
    spool.commit(first)
    spool.read(4)  # read but never committed: the process died while sending it
    spool.close()
    again = DiskSpool(tmp_path, max_bytes=10_000, segment_bytes=25)
    again.open()
    assert again.pending()
    assert drain(again) == [f"l{i}".encode() for i in range(4, 10)]


def test_torn_last_line_is_isolated(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, max_bytes=10_000)
    spool.append([b'{"kind": "a"}'])
    spool.close()
    (segment,) = tmp_path.glob("seg-*.jsonl")
    with segment.open("ab") as f:
        f.write(b'{"kind": "torn')  # crash mid-write
    again = DiskSpool(tmp_path, max_bytes=10_000)
    again.open()
    again.append([b'{"kind": "b"}'])
    assert drain(again) == [b'{"kind": "a"}', b'{"kind": "torn', b'{"kind": "b"}']


def test_directory_and_files_are_private(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path / "spool", max_bytes=1000)
    spool.append([b"x"])
    assert (tmp_path / "spool").stat().st_mode & 0o077 == 0
    (segment,) = (tmp_path / "spool").glob("seg-*.jsonl")
    assert segment.stat().st_mode & 0o077 == 0


@settings(max_examples=40, deadline=None)
@given(
    batches=st.lists(
        st.lists(st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"")), max_size=8),
        max_size=8,
    ),
    per_read=st.integers(1, 5),
    segment=st.integers(1, 64),
)
def test_any_interleaving_is_fifo(batches: list[list[bytes]], per_read: int, segment: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        spool = DiskSpool(Path(d), max_bytes=1_000_000, segment_bytes=segment)
        expected: list[bytes] = []
        got: list[bytes] = []
        for batch in batches:
            assert spool.append(batch) == len(batch)
            expected += batch
            chunk = spool.read(per_read)
            if chunk is not None:
                got += chunk.lines
                spool.commit(chunk)
        got += drain(spool, per_read)
        assert got == expected
        spool.close()
