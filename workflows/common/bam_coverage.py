"""Per-base depth of a BAM file with the coverage kernel, and its tables.

Records are chosen as `samtools depth` chooses them by default: unmapped, secondary,
QC-failed and duplicate records are skipped (supplementary ones count), no base or
mapping quality threshold, the two mates of a pair counted separately where they
overlap, deletions not counted (`count_deletions=True` is `samtools depth -J`).
"""

from __future__ import annotations

import gzip
import itertools
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pysam

from kernels.coverage import BREADTH_THRESHOLDS, BamRecordsError, bam_records_depth, coverage_summary, per_base_depth
from reference.bgzf import decompressed_pieces

SKIPPED_FLAGS = 0x4 | 0x100 | 0x200 | 0x400  # unmapped, secondary, QC fail, duplicate
SUMMARY_COLUMNS = ("sequence", "length", "mean_depth", *(f"breadth_{t}x" for t in BREADTH_THRESHOLDS))
BINS_PER_SEQUENCE = 600
TABLE_BLOCK = 1 << 18  # positions formatted at once


@dataclass(frozen=True)
class SequenceDepth:
    name: str
    depth: np.ndarray


def _cigar_arrays(records) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    starts, counts, operations, lengths = [], [0], [], []
    for record in records:
        cigar = record.cigartuples
        starts.append(record.reference_start)
        counts.append(len(cigar))
        for operation, length in cigar:
            operations.append(operation)
            lengths.append(length)
    offsets = np.cumsum(np.asarray(counts, dtype=np.int64))
    return np.asarray(starts, dtype=np.int64), offsets, np.asarray(operations, dtype=np.uint8), np.asarray(lengths, dtype=np.int64)


def bam_depth(bam_path: Path | str, min_mapping_quality: int = 0, count_deletions: bool = False,
              threads: int | None = None) -> list[SequenceDepth]:
    """Depth at every position of every @SQ sequence, in header order: the kernel reads
    the records' bytes as `threads` threads inflate the file (None: up to 4 cores);
    htslib's records only where a CIGAR may be kept in a CG tag (a kSmN placeholder)."""
    names, lengths, records = bam_header_and_records(bam_path, threads)
    try:
        depths = bam_records_depth(lengths, records, SKIPPED_FLAGS, min_mapping_quality, count_deletions)
    except BamRecordsError as error:
        raise ValueError(f"{bam_path}: {error}") from None
    if depths is None:
        return bam_depth_with_htslib(bam_path, min_mapping_quality, count_deletions)
    return [SequenceDepth(name, depth) for name, depth in zip(names, depths)]


def bam_header_and_records(bam_path: Path | str,
                           threads: int | None = None) -> tuple[list[str], list[int], Iterator[bytes]]:
    """The @SQ names and lengths of a BAM file's binary header (SAM specification,
    section 4.2), and the uncompressed bytes that follow it, in pieces."""
    pieces = decompressed_pieces(bam_path, threads)
    data, at = b"", 0

    def take(size: int) -> bytes:
        nonlocal data, at
        while len(data) - at < size:
            piece = next(pieces, None)
            if piece is None:
                raise ValueError(f"{bam_path}: the BAM header is cut short")
            data, at = data[at:] + piece, 0
        at += size
        return data[at - size : at]

    if take(4) != b"BAM\1":
        raise ValueError(f"{bam_path}: not a BAM file")
    take(struct.unpack("<i", take(4))[0])  # the header's text
    names, lengths = [], []
    for _ in range(struct.unpack("<i", take(4))[0]):
        names.append(take(struct.unpack("<i", take(4))[0]).rstrip(b"\0").decode())
        lengths.append(struct.unpack("<i", take(4))[0])
    return names, lengths, itertools.chain([data[at:]], pieces)


def bam_depth_with_htslib(bam_path: Path | str, min_mapping_quality: int = 0, count_deletions: bool = False) -> list[SequenceDepth]:
    """`bam_depth` through pysam's records (an index is needed)."""
    result = []
    with pysam.AlignmentFile(str(bam_path), "rb") as bam:
        for name, length in zip(bam.references, bam.lengths):
            records = (
                record
                for record in bam.fetch(name, until_eof=False)
                if not record.flag & SKIPPED_FLAGS and record.mapping_quality >= min_mapping_quality and record.cigartuples
            )
            arrays = _cigar_arrays(records)
            result.append(SequenceDepth(name, per_base_depth(length, *arrays, count_deletions=count_deletions)))
    return result


def write_depth_table(depths: list[SequenceDepth], path: Path | str) -> None:
    """Gzip TSV `sequence, position (1-based), depth` at every position, as
    `samtools depth -a` prints it (with a header line); written in blocks of positions
    so memory stays bounded on long genomes."""
    with gzip.open(path, "wt", compresslevel=1, encoding="ascii") as output:
        output.write("sequence\tposition\tdepth\n")
        for sequence in depths:
            prefix = sequence.name + "\t"
            for first in range(0, sequence.depth.shape[0], TABLE_BLOCK):
                block = sequence.depth[first : first + TABLE_BLOCK].tolist()
                output.write("".join(f"{prefix}{first + offset}\t{depth}\n" for offset, depth in enumerate(block, start=1)))


def summary_rows(depths: list[SequenceDepth]) -> list[dict]:
    """One row per sequence and a last row `all` over the whole reference."""
    rows = []
    for sequence in depths:
        rows.append({"sequence": sequence.name, **_summary_values(sequence.depth)})
    whole = np.concatenate([sequence.depth for sequence in depths]) if depths else np.zeros(0, dtype=np.int32)
    rows.append({"sequence": "all", **_summary_values(whole)})
    return rows


def _summary_values(depth: np.ndarray) -> dict:
    summary = coverage_summary(depth)
    return {
        "length": summary["positions"],
        "mean_depth": summary["mean_depth"],
        **{f"breadth_{t}x": share for t, share in summary["breadth"].items()},
    }


def binned_depth(depth: np.ndarray, bins: int = BINS_PER_SEQUENCE) -> list[tuple[int, float]]:
    """(first position, mean depth) of up to `bins` equal runs of positions, for plots."""
    if depth.shape[0] == 0:
        return []
    edges = np.unique(np.linspace(0, depth.shape[0], min(bins, depth.shape[0]) + 1).astype(np.int64))
    sums = np.add.reduceat(depth.astype(np.int64), edges[:-1])
    means = sums / np.diff(edges)
    return [(int(edge) + 1, float(mean)) for edge, mean in zip(edges[:-1], means)]
