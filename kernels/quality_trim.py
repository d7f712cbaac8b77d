"""Trimming read ends by base quality, by NextSeq dark cycles and by poly-G tails.

Each function looks at one read, `sequence[start:stop]` / `qualities[start:stop]` of a
larger buffer, and returns offsets relative to `start`, so a caller slices instead of
copying. Qualities are ASCII characters; `base` (33 or 64) is subtracted to get the
Phred score, which may come out negative for characters below the base (the arithmetic
does not clamp, as cutadapt's does not).

- `quality_trim_index`: BWA's `bwa_trim_read`, as cutadapt applies it with
  `-q [5'CUTOFF,]3'CUTOFF`. From one end, add `cutoff - score` base by base; stop once
  the running sum goes negative; cut where the sum was largest (strictly: the first
  maximum wins). A read whose two cut points cross becomes empty.
- `nextseq_trim_index`: the same from the 3' end only, but every 'G' counts as score
  `cutoff - 1` whatever its quality: on two-colour instruments a dark cycle is called
  as a high-quality G, so G runs at the end must not stop the trimming.
- `poly_g_trim_index`: fastp's poly-G tail rule. Walk from the 3' end; a non-'G' is a
  mismatch; give up after more than 5 mismatches, or once more than one mismatch per 8
  bases examined has been seen when at least `min_length` bases were examined. If the
  walk examined at least `min_length` bases, cut just before the leftmost 'G' it saw.
  Only upper-case 'G' counts, as in fastp.
"""

from __future__ import annotations

import numpy as np

from kernels.jit import kernel

LETTER_G = 71
POLY_G_MAX_MISMATCHES = 5
POLY_G_BASES_PER_MISMATCH = 8


@kernel
def _quality_trim_index(qualities, start, stop, cutoff_front, cutoff_back, base):
    length = stop - start
    total = 0
    best = 0
    new_start = 0
    for offset in range(length):
        total += cutoff_front - (np.int64(qualities[start + offset]) - base)
        if total < 0:
            break
        if total > best:
            best = total
            new_start = offset + 1
    total = 0
    best = 0
    new_stop = length
    for offset in range(length - 1, -1, -1):
        total += cutoff_back - (np.int64(qualities[start + offset]) - base)
        if total < 0:
            break
        if total > best:
            best = total
            new_stop = offset
    if new_start >= new_stop:
        return 0, 0
    return new_start, new_stop


@kernel
def _nextseq_trim_index(sequence, sequence_start, qualities, quality_start, length, cutoff, base):
    total = 0
    best = 0
    new_stop = length
    for offset in range(length - 1, -1, -1):
        score = np.int64(qualities[quality_start + offset]) - base
        if sequence[sequence_start + offset] == LETTER_G:
            score = cutoff - 1
        total += cutoff - score
        if total < 0:
            break
        if total > best:
            best = total
            new_stop = offset
    return new_stop


@kernel
def _poly_g_trim_index(sequence, start, stop, min_length):
    length = stop - start
    mismatches = 0
    leftmost_g = length - 1
    examined = 0
    while examined < length:
        position = length - 1 - examined
        if sequence[start + position] == LETTER_G:
            leftmost_g = position
        else:
            mismatches += 1
        allowed = (examined + 1) // POLY_G_BASES_PER_MISMATCH
        if mismatches > POLY_G_MAX_MISMATCHES or (mismatches > allowed and examined >= min_length - 1):
            break
        examined += 1
    if examined >= min_length:
        return leftmost_g
    return length


def _as_array(data: bytes | np.ndarray) -> np.ndarray:
    if isinstance(data, np.ndarray):
        return data
    return np.frombuffer(data, dtype=np.uint8)


def quality_trim_index(qualities: bytes | np.ndarray, cutoff_front: int, cutoff_back: int,
                       base: int = 33) -> tuple[int, int]:
    """Return (start, stop) of the part of a read that quality trimming keeps.

    `cutoff_front` 0 leaves the 5' end alone (every score is >= 0 there, so the running
    sum goes negative at once), likewise `cutoff_back` for the 3' end.
    """
    array = _as_array(qualities)
    start, stop = _quality_trim_index(array, 0, array.size, cutoff_front, cutoff_back, base)
    return int(start), int(stop)


def nextseq_trim_index(sequence: bytes | np.ndarray, qualities: bytes | np.ndarray, cutoff: int,
                       base: int = 33) -> int:
    """Return the length to keep after NextSeq quality trimming of the 3' end."""
    bases, scores = _as_array(sequence), _as_array(qualities)
    if bases.size != scores.size:
        raise ValueError(f"sequence and qualities differ in length ({bases.size} != {scores.size})")
    return int(_nextseq_trim_index(bases, 0, scores, 0, bases.size, cutoff, base))


def poly_g_trim_index(sequence: bytes | np.ndarray, min_length: int = 10) -> int:
    """Return the length to keep after removing a poly-G tail of at least `min_length`."""
    if min_length < 1:
        raise ValueError(f"min_length must be at least 1, not {min_length}")
    bases = _as_array(sequence)
    return int(_poly_g_trim_index(bases, 0, bases.size, min_length))
