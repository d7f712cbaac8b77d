"""Reading FASTQ files in blocks, plain and gzip, and `lsdih fastq check` on the format suite."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from isal import igzip as isal_gzip

from tests.conftest import PROJECT_ROOT
from tests.naive import naive_validate_fastq
from workflows.common.fastq_validation import count_valid_fastq_records
from workflows.common.sequence_records import OutputFile
from workflows.common.sequence_files import (
    BlocksAhead,
    InOrderThread,
    ReadingAhead,
    WritingBehind,
    SequenceFileError,
    detect_format,
    read_blocks,
)

RECORDS = b"".join(b"@r%d\nACGTN\n+\nIIII#\n" % index for index in range(50))


def _suite(peer_data, status):
    suite = peer_data / "fastq_suite"
    with (suite / "MANIFEST.tsv").open(newline="") as manifest:
        rows = csv.DictReader(manifest, delimiter="\t")
        return [(suite / row["file"], row) for row in rows if row["file"].endswith(".fastq") and row["status"] == status]


@pytest.mark.parametrize("block_bytes", [1, 7, 64, 1 << 20])
@pytest.mark.parametrize("compress", [False, True])
def test_blocks_rebuild_the_file_and_count_records(tmp_path, block_bytes, compress):
    path = tmp_path / ("reads.fastq.gz" if compress else "reads.fastq")
    path.write_bytes(gzip.compress(RECORDS) if compress else RECORDS)
    assert b"".join(read_blocks(path, block_bytes)) == RECORDS
    assert count_valid_fastq_records(path, block_bytes) == 50


def test_gzip_is_detected_by_content_not_name(tmp_path):
    path = tmp_path / "reads.fastq"
    path.write_bytes(gzip.compress(RECORDS))
    assert count_valid_fastq_records(path) == 50


def test_a_truncated_gzip_file_is_named(tmp_path):
    path = tmp_path / "cut.fastq.gz"
    path.write_bytes(gzip.compress(RECORDS * 100)[:-40])
    with pytest.raises(SequenceFileError, match=r"cut\.fastq\.gz: cannot be read"):
        count_valid_fastq_records(path)


def _reading_ahead_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name == "read-ahead"]


@pytest.mark.parametrize("compress", [False, True])
def test_blocks_ahead_serve_any_read_size_and_stop_their_thread(tmp_path, compress):
    path = tmp_path / "reads.fastq.gz"
    path.write_bytes(gzip.compress(RECORDS * 200) if compress else RECORDS * 200)
    with BlocksAhead(isal_gzip.open(path, "rb") if compress else open(path, "rb"), 1000) as handle:
        pieces = [handle.read(size) for size in (1, 999, 5000, 3)]
        pieces.append(handle.read())
        while piece := handle.read(777):
            pieces.append(piece)
        assert handle.read(10) == b""
    assert b"".join(pieces) == RECORDS * 200
    assert not _reading_ahead_threads()


@pytest.mark.parametrize("compress", [False, True])
def test_abandoned_blocks_leave_no_thread(tmp_path, compress):
    path = tmp_path / "reads.fastq.gz"
    path.write_bytes(gzip.compress(RECORDS * 2000) if compress else RECORDS * 2000)
    blocks = read_blocks(path, 64)
    assert next(blocks) == RECORDS[:64]
    blocks.close()  # the reader stops early, as after a format error
    assert not _reading_ahead_threads()


def test_reading_ahead_keeps_order_and_raises_the_error_in_its_turn():
    def items():
        yield from range(5)
        raise ValueError("record 6 is broken")

    seen = []
    with pytest.raises(ValueError, match="record 6"):
        with ReadingAhead(items(), "read-ahead", depth=2) as ahead:
            for item in ahead:
                seen.append(item)
    assert seen == [0, 1, 2, 3, 4]
    assert next(ahead, "ended") == "ended"
    assert not _reading_ahead_threads()


def test_reading_ahead_stays_within_its_depth_and_closes_an_abandoned_generator():
    produced, closed = [], threading.Event()

    def items():
        try:
            for item in range(1000):
                produced.append(item)
                yield item
        finally:
            closed.set()

    ahead = ReadingAhead(items(), "read-ahead", depth=2)
    assert next(ahead) == 0
    deadline = time.monotonic() + 5
    while len(produced) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    assert len(produced) == 4  # one taken, two queued, one waiting to be queued
    ahead.close()
    assert closed.is_set() and not _reading_ahead_threads()


def test_writing_behind_keeps_order_and_stops_its_thread(tmp_path):
    path = tmp_path / "out.fastq"
    writer = WritingBehind(open(path, "wb"), depth=1)
    for index in range(200):
        writer.write(b"chunk %d\n" % index)
    writer.close()
    assert path.read_bytes() == b"".join(b"chunk %d\n" % index for index in range(200))
    assert not any(thread.name == "write-behind" for thread in threading.enumerate())


def test_writing_behind_raises_the_file_s_error():
    class FullDisk(io.RawIOBase):
        def writable(self):
            return True

        def write(self, data):
            raise OSError(28, "No space left on device")

    writer = WritingBehind(FullDisk())
    writer.write(b"first")
    with pytest.raises(OSError, match="No space left"):
        try:
            for _ in range(10):  # the error surfaces at a later write, or at close
                writer.write(b"more")
        finally:
            writer.close()  # raises it too, and stops the thread
    assert not any(thread.name == "write-behind" for thread in threading.enumerate())


def test_in_order_thread_as_a_block_raises_its_error_unless_the_block_raised_one():
    seen = []

    def take(item):
        if item == "bad":
            raise ValueError("bad item")
        seen.append(item)

    with pytest.raises(ValueError, match="bad item"):
        with InOrderThread(take, "profile") as thread:
            for item in ("a", "b", "bad"):  # the last: its error comes at the end of the block
                thread.put(item)
    assert seen == ["a", "b"]
    with pytest.raises(KeyError):  # the block's own error wins
        with InOrderThread(take, "profile") as thread:
            thread.put("bad")
            raise KeyError("the block's")
    assert not any(thread.name == "profile" for thread in threading.enumerate())


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_names_the_output():
    output = OutputFile("/dev/full")
    with pytest.raises(OSError, match="No space left on device: '/dev/full'"):
        try:
            for _ in range(64):
                output.write(b"@r\nACGT\n+\nIIII\n" * 4096)
        finally:
            output.commit()


@pytest.mark.peer
@pytest.mark.parametrize("compress", [False, True])
def test_format_suite_through_files(peer_data, tmp_path, compress):
    """Every invalid file is rejected at the manifest's record and names itself; every
    valid one is accepted with its record count, plain and gzipped, in small blocks."""
    for path, row in _suite(peer_data, "invalid"):
        target = path
        if compress:
            target = tmp_path / (path.name + ".gz")
            target.write_bytes(gzip.compress(path.read_bytes()))
        good = int(re.search(r"(\d+) good record", row["expected_behaviour"]).group(1))
        with pytest.raises(SequenceFileError) as caught:
            count_valid_fastq_records(target, block_bytes=5)
        assert caught.value.record == good + 1, path.name
        assert str(caught.value).startswith(f"{target}: record {good + 1} (line ")
    for path, _ in _suite(peer_data, "valid"):
        target = path
        if compress:
            target = tmp_path / (path.name + ".gz")
            target.write_bytes(gzip.compress(path.read_bytes()))
        assert count_valid_fastq_records(target, block_bytes=5) == naive_validate_fastq(path.read_bytes()), path.name


def _lsdih(*args):
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], capture_output=True, text=True, cwd=PROJECT_ROOT)


@pytest.mark.peer
def test_fastq_check_cli(peer_data):
    suite = peer_data / "fastq_suite"
    good = _lsdih("fastq", "check", str(suite / "example.fastq"), str(suite / "tricky.fastq"))
    assert good.returncode == 0
    assert f"{suite / 'tricky.fastq'}: ok, 4 records" in good.stdout
    bad = _lsdih("fastq", "check", str(suite / "example.fastq"), str(suite / "error_trunc_in_title.fastq"), "--json")
    assert bad.returncode == 1
    document = json.loads(bad.stdout)
    assert document[0] == {"path": str(suite / "example.fastq"), "valid": True, "records": 3}
    assert document[1]["valid"] is False and document[1]["record"] == 5
    assert "input ends inside the title line" in document[1]["error"]
    missing = _lsdih("fastq", "check", str(suite / "no-such-file.fastq"))
    assert missing.returncode == 1 and "No such file" in missing.stderr and "Traceback" not in missing.stderr


@pytest.mark.parametrize(
    "head, expected",
    [
        (b"@r1\nACGT\n+\nIIII\n", "fastq"),
        (b"\n  >chr1\nACGT\n", "fasta"),
        (b"BEGIN IONS\nTITLE=x\n", "mgf"),
        (b"# exported\n\nCOM=search\nBEGIN IONS\n", "mgf"),
        (b'<?xml version="1.0"?>\n<mzML xmlns="http://psi.hupo.org/ms/mzml">', "mzml"),
        (b'<?xml version="1.0"?>\n<indexedmzML>', "mzml"),
        (b'<?xml version="1.0"?>\n<html>', None),
        (b"hello world\n", None),
        (b"# only a comment\n", None),
        (b"", None),
    ],
)
def test_detect_format(head, expected):
    assert detect_format(head) == expected
