"""Reads for the aligner: FASTQ or FASTA (plain or gzip) through mappy's parser, and
the two files of a pair read in step with their names checked."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice, zip_longest
from pathlib import Path
from typing import NamedTuple

import mappy

MATE_SUFFIXES = ("/1", "/2")


class ReadBatch(NamedTuple):
    """Reads in columns, cheap to send to a worker process: the template names, and per
    mate (one, or two for pairs) the bases and the qualities (None for FASTA)."""

    names: list[str]
    sequences: list[list[str]]
    qualities: list[list[str | None]]


def template_name(name: str) -> str:
    """The read name without a /1 or /2 mate suffix."""
    return name[:-2] if name.endswith(MATE_SUFFIXES) else name


def read_batches(paths: list[Path | str], size: int) -> Iterator[ReadBatch]:
    """Batches of `size` reads from one file, or pairs from two files read in step; a
    name mismatch or a file ending early is an error."""
    if len(paths) not in (1, 2):
        raise ValueError("give one FASTQ file (single-end) or two (read 1, read 2)")
    readers = [mappy.fastx_read(str(path), read_comment=False) for path in paths]
    number = 0
    while True:
        names: list[str] = []
        sequences: list[list[str]] = [[] for _ in paths]
        qualities: list[list[str | None]] = [[] for _ in paths]
        for records in islice(zip_longest(*readers), size):
            number += 1
            if None in records:
                shorter = paths[records.index(None)]
                raise ValueError(f"{shorter} ends after {number - 1} reads; its mate file holds more")
            name = template_name(records[0][0])
            if len(records) == 2 and template_name(records[1][0]) != name:
                raise ValueError(
                    f"record {number}: read names differ: {name!r} in {paths[0]}, {template_name(records[1][0])!r} in {paths[1]}"
                )
            names.append(name)
            for mate, (_, sequence, quality) in enumerate(records):
                sequences[mate].append(sequence)
                qualities[mate].append(quality)
        if not names:
            return
        yield ReadBatch(names, sequences, qualities)
