"""Reads for the aligner: FASTQ or FASTA (plain or gzip) through mappy's parser, and
the two files of a pair read in step with their names checked."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import zip_longest
from pathlib import Path
from typing import NamedTuple

import mappy

MATE_SUFFIXES = ("/1", "/2")


class Read(NamedTuple):
    """One read; a tuple, so that batches of reads are cheap to make and to send to a
    worker process."""

    name: str
    sequence: str
    qualities: str | None


def template_name(name: str) -> str:
    """The read name without a /1 or /2 mate suffix."""
    return name[:-2] if name.endswith(MATE_SUFFIXES) else name


def fastq_reads(path: Path | str) -> Iterator[Read]:
    for name, sequence, qualities in mappy.fastx_read(str(path), read_comment=False):
        yield Read(template_name(name), sequence, qualities)


def read_pairs(path_1: Path | str, path_2: Path | str) -> Iterator[tuple[Read, Read]]:
    """Mates from two files in step; a name mismatch or a file ending early is an error."""
    pairs = zip_longest(fastq_reads(path_1), fastq_reads(path_2))
    for number, (read_1, read_2) in enumerate(pairs, start=1):
        if read_1 is None or read_2 is None:
            shorter = path_1 if read_1 is None else path_2
            raise ValueError(f"{shorter} ends after {number - 1} reads; its mate file holds more")
        if read_1.name != read_2.name:
            raise ValueError(f"record {number}: read names differ: {read_1.name!r} in {path_1}, {read_2.name!r} in {path_2}")
        yield read_1, read_2
