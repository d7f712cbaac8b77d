"""Per-base read depth from alignment CIGARs, and the numbers that summarise it.

An alignment is its 0-based reference start and its CIGAR, given for many alignments at
once as flat arrays: `operations[offsets[i]:offsets[i + 1]]` and the matching `lengths`
are alignment i's CIGAR, with the BAM operation codes (M=0 I=1 D=2 N=3 S=4 H=5 P=6 =7
X=8). Each aligned block adds one at its first reference position and takes one away
after its last, in a difference array; one cumulative sum then gives every depth, so the
work grows with the number of CIGAR operations plus the reference length, not with the
bases covered.

What counts is what `samtools depth` counts with its default options: M, = and X cover
the reference; D covers it only when `count_deletions` is true (`samtools depth -J`);
N (a spliced intron), I, S, H and P never do. The caller decides which alignments to
pass (samtools depth skips unmapped, secondary, QC-failed and duplicate records by
default, and counts the two mates of a pair separately even where they overlap).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from kernels.jit import kernel

CIGAR_MATCH, CIGAR_INSERTION, CIGAR_DELETION, CIGAR_SKIP = 0, 1, 2, 3
CIGAR_SOFT_CLIP, CIGAR_HARD_CLIP, CIGAR_PADDING, CIGAR_EQUAL, CIGAR_DIFFERENT = 4, 5, 6, 7, 8
BREADTH_THRESHOLDS = (1, 10, 30)
CG_CIGAR, MALFORMED_RECORD = -1, -2  # what the BAM record walk stops at


class BamRecordsError(ValueError):
    """BAM records that cannot be read (the caller names the file)."""


@kernel
def _add_operation(difference, base, reference_length, position, operation, length, count_deletions):
    """One CIGAR operation of an alignment at `position` into the difference array whose
    slots for this sequence start at `base`; returns the position after it."""
    if operation == 0 or operation == 7 or operation == 8 or (operation == 2 and count_deletions):
        first = min(max(position, 0), reference_length)
        last = min(max(position + length, 0), reference_length)
        difference[base + first] += 1
        difference[base + last] -= 1
        return position + length
    if operation == 2 or operation == 3:
        return position + length
    return position


@kernel
def _add_alignments(difference, starts, offsets, operations, lengths, count_deletions):
    reference_length = difference.shape[0] - 1
    for index in range(starts.shape[0]):
        position = starts[index]
        for operation_index in range(offsets[index], offsets[index + 1]):
            position = _add_operation(difference, 0, reference_length, position, operations[operation_index],
                                      lengths[operation_index], count_deletions)


@kernel
def _little_endian(data, at, size):
    value = 0
    for byte in range(size - 1, -1, -1):
        value = (value << 8) | data[at + byte]
    return value


@kernel
def _add_bam_records(difference, sequence_slots, data, end, skipped_flags, min_mapping_quality, count_deletions):
    """The alignments of the whole BAM records in `data[:end]` (SAM specification, section
    4.2.1) into `difference` (sequence i's slots from `sequence_slots[i]`, its length + 1
    of them). Returns the offset after the last whole record, CG_CIGAR at a record whose
    CIGAR may live in a CG tag (more than 65,535 operations: a kSmN placeholder, k the read's
    length), which this kernel leaves to htslib, or MALFORMED_RECORD at a record that
    cannot be read safely."""
    at = 0
    while at + 4 <= end:
        size = _little_endian(data, at, 4)
        if at + 4 + size > end:
            break
        reference = np.int32(_little_endian(data, at + 4, 4))
        position = np.int32(_little_endian(data, at + 8, 4))
        name_bytes = data[at + 12]
        mapping_quality = data[at + 13]
        operations = _little_endian(data, at + 16, 2)
        flag = _little_endian(data, at + 18, 2)
        if size < 32 or 32 + name_bytes + 4 * operations > size or reference >= sequence_slots.shape[0] - 1:
            return MALFORMED_RECORD
        if reference >= 0 and flag & skipped_flags == 0 and mapping_quality >= min_mapping_quality and operations > 0:
            cigar = at + 36 + name_bytes
            first = _little_endian(data, cigar, 4)
            if operations == 2 and first & 15 == 4 and first >> 4 == _little_endian(data, at + 20, 4):
                if _little_endian(data, cigar + 4, 4) & 15 == 3:
                    return CG_CIGAR  # kSmN: the real CIGAR is in the CG tag
            base = sequence_slots[reference]
            reference_length = sequence_slots[reference + 1] - base - 1
            for index in range(operations):
                value = _little_endian(data, cigar + 4 * index, 4)
                position = _add_operation(difference, base, reference_length, position, value & 15, value >> 4,
                                          count_deletions)
        at += 4 + size
    return at


@kernel
def _depth_from_difference(difference):
    depth = np.empty(difference.shape[0] - 1, dtype=np.int32)
    running = 0
    for position in range(depth.shape[0]):
        running += difference[position]
        depth[position] = running
    return depth


@kernel
def _coverage_totals(depth, thresholds):
    total = 0
    at_least = np.zeros(thresholds.shape[0], dtype=np.int64)
    for position in range(depth.shape[0]):
        value = depth[position]
        total += value
        for index in range(thresholds.shape[0]):
            if value >= thresholds[index]:
                at_least[index] += 1
    return total, at_least


def _as_array(values, dtype, name: str) -> np.ndarray:
    array = np.ascontiguousarray(values, dtype=dtype)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    return array


def per_base_depth(
    reference_length: int,
    starts,
    offsets,
    operations,
    lengths,
    count_deletions: bool = False,
) -> np.ndarray:
    """Return the depth (int32) at each of `reference_length` positions.

    `starts` holds each alignment's 0-based reference start; `offsets` (one longer than
    `starts`, from 0, never decreasing) cuts `operations`/`lengths` into the alignments'
    CIGARs. Blocks reaching past either end of the reference are clipped to it.
    """
    if reference_length < 0:
        raise ValueError("reference_length must not be negative")
    starts = _as_array(starts, np.int64, "starts")
    offsets = _as_array(offsets, np.int64, "offsets")
    operations = _as_array(operations, np.uint8, "operations")
    lengths = _as_array(lengths, np.int64, "lengths")
    if offsets.shape[0] != starts.shape[0] + 1:
        raise ValueError("offsets must have one entry more than starts")
    if offsets[0] != 0 or offsets[-1] != operations.shape[0] or np.any(np.diff(offsets) < 0):
        raise ValueError("offsets must rise from 0 to the number of operations")
    if lengths.shape != operations.shape:
        raise ValueError("operations and lengths must have the same length")
    if np.any(lengths < 0) or np.any(operations > CIGAR_DIFFERENT):
        raise ValueError("CIGAR lengths must be >= 0 and operations BAM codes 0..8")
    difference = np.zeros(reference_length + 1, dtype=np.int64)
    _add_alignments(difference, starts, offsets, operations, lengths, bool(count_deletions))
    return _depth_from_difference(difference)


def bam_records_depth(lengths: list[int], pieces: Iterable, skipped_flags: int, min_mapping_quality: int = 0,
                      count_deletions: bool = False) -> list[np.ndarray] | None:
    """The depth (int32) along each reference sequence of a BAM file, from its record
    section (uncompressed, as `pieces` of bytes cut anywhere) with no Python object per
    record: records whose flag has none of `skipped_flags`, with at least
    `min_mapping_quality`, and a CIGAR. None at a CIGAR shaped like the placeholder of one
    kept in a CG tag (kSmN), which the caller leaves to htslib."""
    slots = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum([length + 1 for length in lengths], out=slots[1:])
    difference = np.zeros(int(slots[-1]), dtype=np.int64)
    pending = b""
    for piece in pieces:
        data = np.frombuffer(pending + piece if pending else piece, dtype=np.uint8)
        used = _add_bam_records(difference, slots, data, data.shape[0], skipped_flags, min_mapping_quality,
                                bool(count_deletions))
        if used == MALFORMED_RECORD:
            raise BamRecordsError("a BAM record is malformed (its sizes or sequence number do not fit)")
        if used == CG_CIGAR:
            return None
        pending = data[used:].tobytes()
    if pending:
        raise BamRecordsError(f"the BAM records end in the middle of a record ({len(pending)} bytes left over)")
    return [_depth_from_difference(difference[slots[index] : slots[index + 1]]) for index in range(len(lengths))]


def coverage_summary(depth, thresholds=BREADTH_THRESHOLDS) -> dict:
    """Mean depth and, for each threshold t, the share of positions with depth >= t
    (`breadth` maps t to a fraction in [0, 1]); an empty reference gives zeros."""
    depth = _as_array(depth, np.int32, "depth")
    limits = _as_array(list(thresholds), np.int64, "thresholds")
    total, at_least = _coverage_totals(depth, limits)
    positions = depth.shape[0]
    return {
        "positions": positions,
        "total_depth": int(total),
        "mean_depth": float(total) / positions if positions else 0.0,
        "breadth": {int(t): (int(c) / positions if positions else 0.0) for t, c in zip(limits, at_least)},
    }
