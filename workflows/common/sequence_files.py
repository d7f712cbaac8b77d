"""Reading sequence files in bounded blocks: plain or gzip (ISA-L), whatever their size."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from isal import igzip

from kernels.fastq_validate import FastqValidationError, validate_fastq_blocks

GZIP_MAGIC = b"\x1f\x8b"
BLOCK_BYTES = 16 << 20


class SequenceFileError(ValueError):
    """A file that cannot be read as what it should be; the message names the file."""

    def __init__(self, path: Path | str, message: str, record: int | None = None, line: int | None = None):
        self.path = str(path)
        self.record = record
        self.line = line
        super().__init__(f"{path}: {message}")


def open_sequence_file(path: Path | str) -> BinaryIO:
    """Open for binary reading, decompressing when the content (not the name) is gzip."""
    with open(path, "rb") as probe:
        compressed = probe.read(2) == GZIP_MAGIC
    return igzip.open(path, "rb") if compressed else open(path, "rb")


def read_blocks(path: Path | str, block_bytes: int = BLOCK_BYTES) -> Iterator[bytes]:
    """The file's (decompressed) bytes in blocks of at most ``block_bytes``."""
    try:
        with open_sequence_file(path) as handle:
            while block := handle.read(block_bytes):
                yield block
    except (OSError, EOFError) as error:  # a damaged or truncated gzip stream
        raise SequenceFileError(path, f"cannot be read: {error}") from None


def count_valid_fastq_records(path: Path | str, block_bytes: int = BLOCK_BYTES) -> int:
    """Validate a FASTQ file (Cock et al. 2010) and return its number of records.

    Raises SequenceFileError naming the file, the record, the line and the defect.
    """
    try:
        return validate_fastq_blocks(read_blocks(path, block_bytes))
    except FastqValidationError as error:
        raise SequenceFileError(path, str(error), error.record, error.line) from None
