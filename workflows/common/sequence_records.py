"""FASTA/FASTQ records in batches, read pairs in lockstep, and output files.

Reading goes through `sequence_files.open_sequence_file` (plain or gzip by content,
ISA-L) in blocks, the incomplete tail being carried into the next block, so memory
stays bounded by the block size whatever the input size. A FASTQ block is cut after
its last complete 4-line record by counting newlines and handed on unparsed
(`FastqBlock.parse()` runs in the worker that trims it); FASTA is parsed while reading,
since its records end only where the next one starts. Paired files are cut at the same
record count, and the names of each pair are checked after parsing (`check_pairs`).

Formats follow cutadapt 4.2 (dnaio 0.10): an input's format comes from its name
(.fasta/.fa/.fna/.csfasta/.csfa or .fastq/.fq/_sequence.txt, after a compression suffix)
or else from its first byte; an output's from its name too, except that a compressed
output (or one without a known suffix) keeps the input's format. FASTQ cannot be
written from FASTA.

Outputs are written to a hidden file next to the target and renamed over it only when
the whole run succeeded, so an error leaves no partial file behind.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from isal import igzip_threaded

from kernels.fastq_records import terminated
from kernels.sequence_records import (
    ParsedRecords,
    RecordFormatError,
    fastq_cut,
    first_unpaired,
    parse_fasta,
    parse_fastq,
)
from workflows.common.sequence_files import SequenceFileError, WritingBehind, open_sequence_file

FASTA_SUFFIXES = (".fasta", ".fa", ".fna", ".csfasta", ".csfa")
FASTQ_SUFFIXES = (".fastq", ".fq")
COMPRESSION_SUFFIXES = (".gz", ".xz", ".bz2", ".zst")
BATCH_BYTES = 4 << 20
GZIP_LEVEL = 2  # ISA-L's default: near gzip -6 in size at several times its speed
OTHER_COMPRESSION_MAGIC = (b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")  # bzip2, xz, zstd


def format_from_name(path: Path | str) -> str | None:
    """'fasta', 'fastq' or None, from the file name alone."""
    name = str(path).lower()
    for suffix in COMPRESSION_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    stem, suffix = os.path.splitext(name)
    if suffix in FASTA_SUFFIXES:
        return "fasta"
    if suffix in FASTQ_SUFFIXES or (suffix == ".txt" and stem.endswith("_sequence")):
        return "fastq"
    return None


def input_format(path: Path | str) -> str:
    """The format of an input file: by name, else by its first (decompressed) byte."""
    known = format_from_name(path)
    if known is not None:
        return known
    try:
        with open_sequence_file(path) as handle:
            first = handle.read(1)
    except (OSError, EOFError) as error:
        raise SequenceFileError(path, f"cannot be read: {error}") from None
    formats = {b"@": "fastq", b">": "fasta", b"#": "fasta", b"": "fastq"}
    if first not in formats:
        raise SequenceFileError(path, "neither the name nor the first character tells whether this is FASTA or FASTQ")
    return formats[first]


def output_format(path: Path | str | None, source_format: str) -> str:
    """The format written to `path` (None: standard output) from input of `source_format`."""
    if path is None or str(path).lower().endswith(COMPRESSION_SUFFIXES):
        return source_format
    return format_from_name(path) or source_format


@dataclass(frozen=True)
class RecordBatch:
    """Consecutive parsed records of one file; `first_record` records of the file precede them."""

    records: ParsedRecords
    first_record: int
    fastq: bool
    path: str = ""

    def __len__(self) -> int:
        return int(self.records.name_start.size)

    def parse(self) -> RecordBatch:
        return self

    def part(self, begin: int, end: int) -> RecordBatch:
        """Records begin..end-1 of this batch (views, no copy)."""
        arrays = (array[begin:end] for array in self.records[1:6])
        return RecordBatch(ParsedRecords(self.records.buffer, *arrays, self.records.consumed),
                           self.first_record + begin, self.fastq, self.path)

    def name(self, index: int) -> str:
        start, end = self.records.name_start[index], self.records.name_end[index]
        return self.records.buffer[start:end].tobytes().decode("latin-1")

    def bases(self) -> int:
        return int((self.records.sequence_end - self.records.sequence_start).sum())


@dataclass(frozen=True)
class FastqBlock:
    """Whole FASTQ records not parsed yet, so that a worker thread can parse them."""

    path: str
    data: np.ndarray
    first_record: int
    count: int | None = None  # records, when known to be complete (not for a file's last block)

    def parse(self) -> RecordBatch:
        """Parse; raise SequenceFileError naming the file, the record and the defect."""
        try:
            parsed = parse_fastq(self.data, True, self.first_record, self.count)
        except RecordFormatError as error:
            raise SequenceFileError(self.path, f"FASTQ {error}", error.record, error.line) from None
        return RecordBatch(parsed, self.first_record, True, self.path)


def check_pairs(first: RecordBatch, second: RecordBatch) -> None:
    """Raise SequenceFileError unless every pair's names agree (up to the first
    whitespace, a final 1/2/3 aside), naming both files, the record and both names."""
    unpaired = first_unpaired(first.records, second.records)
    if unpaired >= 0:
        number = first.first_record + unpaired + 1
        raise SequenceFileError(first.path, f"reads are improperly paired: record {number} is named "
                                            f"{first.name(unpaired)!r} here but {second.name(unpaired)!r} in "
                                            f"{second.path}", number)


class _BlockReader:
    """Reads a file in blocks, keeping what is not used yet in `pending`."""

    def __init__(self, path: Path | str, batch_bytes: int):
        self.path = str(path)
        self.batch_bytes = batch_bytes
        self.pending = b""
        self.at_end = False
        self._started = False
        try:
            self._handle = open_sequence_file(path, batch_bytes)
        except OSError as error:
            raise SequenceFileError(path, f"cannot be read: {error}") from None

    def fill(self) -> None:
        """Append one more block to `pending` (at the end: the missing final newline)."""
        try:
            block = self._handle.read(self.batch_bytes)
        except (OSError, EOFError) as error:
            raise SequenceFileError(self.path, f"cannot be read: {error}") from None
        if not self._started and block.startswith(OTHER_COMPRESSION_MAGIC):
            raise SequenceFileError(self.path, "is compressed with bzip2, xz or zstd; only gzip is read")
        self._started = True
        if block:
            self.pending += block
        else:
            self.at_end = True
            self.pending = terminated(self.pending)

    def take(self, end: int) -> np.ndarray:
        taken = np.frombuffer(self.pending, dtype=np.uint8, count=end)
        self.pending = self.pending[end:]
        return taken

    def close(self) -> None:
        self._handle.close()


def _fastq_blocks(path: Path | str, batch_bytes: int) -> Iterator[FastqBlock]:
    reader = _BlockReader(path, batch_bytes)
    records = 0
    try:
        while not reader.at_end:
            reader.fill()
            if reader.at_end:  # the rest, complete or not: parsing reports a truncated record
                if reader.pending:
                    yield FastqBlock(reader.path, reader.take(len(reader.pending)), records)
                break
            count, end = fastq_cut(np.frombuffer(reader.pending, dtype=np.uint8))
            if count:
                yield FastqBlock(reader.path, reader.take(end), records, count)
                records += count
    finally:
        reader.close()


def _fasta_batches(path: Path | str, batch_bytes: int) -> Iterator[RecordBatch]:
    reader = _BlockReader(path, batch_bytes)
    records = lines = 0
    try:
        while not reader.at_end:
            reader.fill()
            data = reader.pending
            try:
                parsed = parse_fasta(np.frombuffer(data, dtype=np.uint8), reader.at_end, records, lines)
            except RecordFormatError as error:
                raise SequenceFileError(path, f"FASTA {error}", error.record, error.line) from None
            count = int(parsed.name_start.size)
            if count:
                yield RecordBatch(parsed, records, False, reader.path)
            lines += data.count(b"\n", 0, parsed.consumed)
            records += count
            reader.take(parsed.consumed)
    finally:
        reader.close()


def record_batches(path: Path | str, file_format: str, batch_bytes: int = BATCH_BYTES):
    """The records of a file in batches of about `batch_bytes` of input each: FASTQ as
    `FastqBlock`s (parsed by `parse()`, so in the worker), FASTA already parsed."""
    if file_format == "fastq":
        return _fastq_blocks(path, batch_bytes)
    return _fasta_batches(path, batch_bytes)


def _improperly_paired(longer: str, shorter: str) -> SequenceFileError:
    return SequenceFileError(shorter, f"reads are improperly paired: {longer} has more reads than {shorter}")


def _paired_fastq_blocks(path1, path2, batch_bytes: int) -> Iterator[tuple[FastqBlock, FastqBlock]]:
    readers = (_BlockReader(path1, batch_bytes), _BlockReader(path2, batch_bytes))
    records = 0
    try:
        while True:
            counts = []
            for reader in readers:
                while True:
                    count, _ = fastq_cut(np.frombuffer(reader.pending, dtype=np.uint8))
                    if count or reader.at_end:
                        break
                    reader.fill()
                counts.append(count)
            shared = min(counts)
            if shared == 0:
                for reader in readers:  # an incomplete last record is a format error
                    if reader.pending:
                        FastqBlock(reader.path, np.frombuffer(reader.pending, dtype=np.uint8), records).parse()
                if counts[0] or counts[1]:
                    longer, shorter = (readers[0], readers[1]) if counts[0] else (readers[1], readers[0])
                    raise _improperly_paired(longer.path, shorter.path)
                return
            blocks = []
            for reader in readers:
                _, end = fastq_cut(np.frombuffer(reader.pending, dtype=np.uint8), shared)
                blocks.append(FastqBlock(reader.path, reader.take(end), records, shared))
            records += shared
            yield blocks[0], blocks[1]
    finally:
        for reader in readers:
            reader.close()


def paired_batches(path1: Path | str, format1: str, path2: Path | str, format2: str,
                   batch_bytes: int = BATCH_BYTES) -> Iterator[tuple]:
    """Batches of the two files holding the same number of records (FASTQ blocks, or
    parsed FASTA batches); their names are checked by `check_pairs` after parsing.

    Raises SequenceFileError when one file holds more records than the other.
    """
    if format1 == format2 == "fastq":
        yield from _paired_fastq_blocks(path1, path2, batch_bytes)
        return
    sides = (record_batches(path1, format1, batch_bytes), record_batches(path2, format2, batch_bytes))
    current: list = [None, None]
    used = [0, 0]
    while True:
        for side in (0, 1):
            if current[side] is None or used[side] == len(current[side]):
                batch = next(sides[side], None)
                current[side], used[side] = (batch.parse() if batch is not None else None), 0
        first, second = current
        if first is None and second is None:
            return
        if first is None or second is None:
            raise _improperly_paired(str(path2 if first is None else path1), str(path1 if first is None else path2))
        count = min(len(first) - used[0], len(second) - used[1])
        yield first.part(used[0], used[0] + count), second.part(used[1], used[1] + count)
        used[0] += count
        used[1] += count


class OutputFile:
    """A sequence output: plain, or gzip (ISA-L, `threads` compressing) for a .gz name.

    Regular files are written under a temporary name and renamed by `commit()`;
    `discard()` removes what was written. `None` writes to standard output.
    """

    def __init__(self, path: Path | str | None, threads: int = 1):
        self.path = None if path is None else Path(path)
        self._temporary: Path | None = None
        if self.path is None:
            self._handle: BinaryIO = sys.stdout.buffer
            return
        target = self.path
        if not target.exists() or target.is_file():
            self._temporary = target.with_name(f".{target.name}.lsdih-partial-{os.getpid()}")
            target = self._temporary
        if str(self.path).endswith(".gz"):
            self._handle = igzip_threaded.open(target, "wb", compresslevel=GZIP_LEVEL, threads=threads)
        else:
            self._handle = WritingBehind(open(target, "wb"))

    def write(self, data: bytes | np.ndarray) -> None:
        if len(data):
            try:
                self._handle.write(memoryview(data))
            except OSError as error:
                raise self._named(error) from None

    def commit(self) -> None:
        """Finish the file and put it in place."""
        try:
            if self.path is None:
                self._handle.flush()
                return
            self._handle.close()
            if self._temporary is not None:
                os.replace(self._temporary, self.path)
        except OSError as error:
            raise self._named(error) from None

    def _named(self, error: OSError) -> OSError:
        """The error naming this output (a write behind, in a thread, cannot know it)."""
        return OSError(error.errno, error.strerror or str(error), str(self.path or "standard output"))

    def discard(self) -> None:
        """Close and delete the partial file (a non-regular target is left alone)."""
        if self.path is None:
            return
        try:
            self._handle.close()
        except OSError:
            pass
        if self._temporary is not None:
            self._temporary.unlink(missing_ok=True)
