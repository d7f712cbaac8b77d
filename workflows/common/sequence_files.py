"""Reading sequence and spectrum files: plain or gzip (ISA-L), in bounded blocks whatever
their size, and telling their format from their first bytes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from isal import igzip

from kernels.fastq_validate import FastqValidationError, validate_fastq_blocks

GZIP_MAGIC = b"\x1f\x8b"
BLOCK_BYTES = 16 << 20
FORMATS = ("fastq", "fasta", "mgf", "mzml")
SNIFF_BYTES = 4096  # enough of a file's start for detect_format
_MGF_FIRST_LINE = re.compile(rb"BEGIN IONS|[A-Z_]+=")


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


def detect_format(head: bytes) -> str | None:
    """The format of a file whose (decompressed) content starts with ``head``, or None.

    FASTQ starts with '@', FASTA with '>'; MGF with ``BEGIN IONS`` or a ``KEY=value``
    parameter after any comment lines; mzML is XML whose root is ``mzML`` or
    ``indexedmzML`` within the first ``SNIFF_BYTES``.
    """
    text = head.lstrip()
    if text.startswith(b"@"):
        return "fastq"
    if text.startswith(b">"):
        return "fasta"
    if text.startswith(b"<"):
        return "mzml" if re.search(rb"<(indexed)?mzML[\s>]", text) else None
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith((b"#", b";", b"!", b"/")):
            return "mgf" if _MGF_FIRST_LINE.match(line) else None
    return None


def read_head(path: Path | str, count: int = SNIFF_BYTES) -> bytes:
    """The first ``count`` (decompressed) bytes of a file."""
    with open_sequence_file(path) as handle:
        return handle.read(count)


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
