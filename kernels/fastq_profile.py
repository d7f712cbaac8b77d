"""Quality profile of FASTQ reads: counts that FastQC-style reports are drawn from.

`Profile` accumulates, over any number of buffers of whole records:

- reads, and a histogram of read lengths;
- base counts in the order A, C, G, T, N, where N counts every byte that is not
  A, C, G or T in either case (N itself, IUPAC ambiguity codes, '.');
- a histogram of base qualities (Phred 0..93), from which Q20/Q30 counts and the
  mean quality follow;
- the quality sum at each read position (the count of bases at a position follows from
  the length histogram, so the kernel does not spend a store per base on it);
- a histogram of per-read mean quality, the mean rounded down; reads of length 0 have
  no mean and are left out of it.

Memory stays small for short reads: per-position arrays start short and double when a
longer read arrives, up to `max_read_length`, which guards against a corrupt file with
no newlines asking for gigabytes.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from kernels.fastq_records import (
    FIRST_KERNEL_STATUS,
    RECORD_OK,
    STATUS_MESSAGES,
    FastqFormatError,
    _record_bounds,
    as_uint8_array,
    complete_records_end,
    terminated,
)
from kernels.jit import kernel

BASE_LABELS = ("A", "C", "G", "T", "N")
QUALITY_LEVELS = 94  # Phred 0..93: what printable ASCII ('!'..'~') holds at offset 33
DEFAULT_MAX_READ_LENGTH = 100_000
INITIAL_CAPACITY = 512

QUALITY_OUT_OF_RANGE = FIRST_KERNEL_STATUS
READ_TOO_LONG = FIRST_KERNEL_STATUS + 1


def _base_codes() -> np.ndarray:
    codes = np.full(256, BASE_LABELS.index("N"), dtype=np.intp)
    for code, base in enumerate("ACGT"):
        codes[ord(base)] = code
        codes[ord(base.lower())] = code
    return codes


BASE_CODES = _base_codes()


@kernel
def _profile_records(
    buffer,
    start,
    quality_offset,
    base_codes,
    base_counts,
    quality_counts,
    position_quality_sum,
    length_histogram,
    mean_quality_histogram,
):
    """Add every record of `buffer` from offset `start` on to the count arrays.

    Returns (status, stop, records): `records` were added and `stop` is where the next
    record starts. On READ_TOO_LONG nothing of that record was added, so the caller can
    grow the position arrays and resume at `stop`.
    """
    capacity = position_quality_sum.size
    highest_quality = quality_counts.size - 1
    position = start
    records = 0
    while position < buffer.size:
        status, sequence_start, sequence_end, quality_start, _, next_start = _record_bounds(
            buffer, position
        )
        if status != RECORD_OK:
            return status, position, records
        length = sequence_end - sequence_start
        if length > capacity:
            return READ_TOO_LONG, position, records
        for offset in range(sequence_start, sequence_end):
            base_counts[base_codes[buffer[offset]]] += 1
        quality_total = 0
        for index in range(length):
            quality = np.int64(buffer[quality_start + index]) - quality_offset
            if quality < 0 or quality > highest_quality:
                return QUALITY_OUT_OF_RANGE, position, records
            quality_counts[quality] += 1
            position_quality_sum[index] += quality
            quality_total += quality
        length_histogram[length] += 1
        if length > 0:
            mean_quality_histogram[quality_total // length] += 1
        records += 1
        position = next_start
    return RECORD_OK, position, records


class Profile:
    """Counts over FASTQ reads; see the module docstring for what each array holds.

    After a FastqFormatError the counts may include part of the bad record: discard it.
    """

    def __init__(self, quality_offset: int = 33, max_read_length: int = DEFAULT_MAX_READ_LENGTH):
        if quality_offset not in (33, 64):
            raise ValueError(f"quality_offset must be 33 or 64, not {quality_offset}")
        if max_read_length < 1:
            raise ValueError(f"max_read_length must be positive, not {max_read_length}")
        self.quality_offset = quality_offset
        self.max_read_length = max_read_length
        self.reads = 0
        self.base_counts = np.zeros(len(BASE_LABELS), dtype=np.int64)
        self.quality_counts = np.zeros(QUALITY_LEVELS, dtype=np.int64)
        self.mean_quality_histogram = np.zeros(QUALITY_LEVELS, dtype=np.int64)
        capacity = min(INITIAL_CAPACITY, max_read_length)
        self.position_quality_sum = np.zeros(capacity, dtype=np.int64)
        self.length_histogram = np.zeros(capacity + 1, dtype=np.int64)

    @property
    def capacity(self) -> int:
        """Longest read the per-position arrays hold now."""
        return self.position_quality_sum.size

    def grow(self, capacity: int) -> None:
        """Lengthen the per-position arrays to hold reads of `capacity` bases."""
        extra = capacity - self.capacity
        if extra > 0:
            self.position_quality_sum = np.concatenate(
                [self.position_quality_sum, np.zeros(extra, dtype=np.int64)]
            )
            self.length_histogram = np.concatenate(
                [self.length_histogram, np.zeros(extra, dtype=np.int64)]
            )

    def add_records(self, buffer: np.ndarray | bytes) -> int:
        """Add the whole FASTQ records in `buffer` and return how many there were.

        `buffer` must start at a record and end just after the last record's newline
        (`complete_records_end` finds that point). Raises FastqFormatError numbering
        records from the first one this profile saw.
        """
        buffer = as_uint8_array(buffer)
        start = 0
        added = 0
        while True:
            status, start, records = _profile_records(
                buffer,
                start,
                self.quality_offset,
                BASE_CODES,
                self.base_counts,
                self.quality_counts,
                self.position_quality_sum,
                self.length_histogram,
                self.mean_quality_histogram,
            )
            added += records
            self.reads += records
            if status == RECORD_OK:
                return added
            if status == READ_TOO_LONG and self.capacity < self.max_read_length:
                self.grow(min(2 * self.capacity, self.max_read_length))
                continue
            raise FastqFormatError(self._status_message(status), record=self.reads + 1)

    def _status_message(self, status: int) -> str:
        if status == READ_TOO_LONG:
            return f"read is longer than max_read_length ({self.max_read_length} bases)"
        if status == QUALITY_OUT_OF_RANGE:
            return (
                f"quality character outside the range of Phred+{self.quality_offset} "
                f"('{chr(self.quality_offset)}' to '~')"
            )
        return STATUS_MESSAGES[status]

    def merge(self, other: Profile) -> Profile:
        """Add the counts of `other` (say, another chunk of the same file) and return self."""
        if other.quality_offset != self.quality_offset:
            raise ValueError(
                f"cannot merge profiles with quality offsets {self.quality_offset} "
                f"and {other.quality_offset}"
            )
        self.max_read_length = max(self.max_read_length, other.max_read_length)
        self.grow(other.capacity)
        self.reads += other.reads
        self.base_counts += other.base_counts
        self.quality_counts += other.quality_counts
        self.mean_quality_histogram += other.mean_quality_histogram
        self.position_quality_sum[: other.capacity] += other.position_quality_sum
        self.length_histogram[: other.capacity + 1] += other.length_histogram
        return self

    @property
    def bases(self) -> int:
        return int(self.base_counts.sum())

    @property
    def gc_bases(self) -> int:
        return int(self.base_counts[1] + self.base_counts[2])

    @property
    def quality_sum(self) -> int:
        """Sum of the Phred scores of all bases."""
        return int(np.dot(np.arange(QUALITY_LEVELS, dtype=np.int64), self.quality_counts))

    def bases_at_least(self, quality: int) -> int:
        """Return the number of bases with Phred score `quality` or higher."""
        return int(self.quality_counts[quality:].sum())

    @property
    def longest_read(self) -> int:
        lengths = np.flatnonzero(self.length_histogram)
        return int(lengths[-1]) if lengths.size else 0

    def position_quality_count(self) -> np.ndarray:
        """Return, per read position up to the longest read, how many reads reach it."""
        reads_longer_than = self.reads - np.cumsum(self.length_histogram)
        return reads_longer_than[: self.longest_read]

    def position_mean_quality(self) -> np.ndarray:
        """Return the mean Phred score at each position up to the longest read."""
        return self.position_quality_sum[: self.longest_read] / self.position_quality_count()

    def summary(self) -> dict[str, int | float | None]:
        """Return the headline numbers; a percentage of no bases is None.

        GC is a share of the A, C, G and T bases, as in FastQC, so Ns do not dilute it;
        the other percentages are shares of all bases.
        """
        bases = self.bases
        called_bases = bases - int(self.base_counts[4])
        return {
            "reads": self.reads,
            "bases": bases,
            "gc_percent": _percent(self.gc_bases, called_bases),
            "mean_quality": self.quality_sum / bases if bases else None,
            "q20_percent": _percent(self.bases_at_least(20), bases),
            "q30_percent": _percent(self.bases_at_least(30), bases),
            "n_percent": _percent(int(self.base_counts[4]), bases),
        }

    def to_dict(self) -> dict:
        """Return the profile as plain JSON-ready values, arrays cut at the longest read."""
        longest = self.longest_read
        return {
            "quality_offset": self.quality_offset,
            "max_read_length": self.max_read_length,
            "reads": self.reads,
            "base_counts": dict(zip(BASE_LABELS, self.base_counts.tolist())),
            "quality_counts": self.quality_counts.tolist(),
            "mean_quality_histogram": self.mean_quality_histogram.tolist(),
            "length_histogram": self.length_histogram[: longest + 1].tolist(),
            "position_quality_sum": self.position_quality_sum[:longest].tolist(),
            "position_quality_count": self.position_quality_count().tolist(),
            "summary": self.summary(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Profile:
        """Rebuild a profile from `to_dict` output (derived entries are recomputed)."""
        profile = cls(data["quality_offset"], data["max_read_length"])
        profile.grow(len(data["position_quality_sum"]))
        profile.reads = data["reads"]
        profile.base_counts[:] = [data["base_counts"][base] for base in BASE_LABELS]
        profile.quality_counts[:] = data["quality_counts"]
        profile.mean_quality_histogram[:] = data["mean_quality_histogram"]
        lengths = data["length_histogram"]
        profile.length_histogram[: len(lengths)] = lengths
        positions = data["position_quality_sum"]
        profile.position_quality_sum[: len(positions)] = positions
        return profile


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def profile_fastq_blocks(
    blocks: Iterable[bytes],
    quality_offset: int = 33,
    max_read_length: int = DEFAULT_MAX_READ_LENGTH,
) -> Profile:
    """Return the profile of a FASTQ stream given as consecutive blocks of bytes.

    Blocks may split records anywhere; the partial record at the end of a block is
    carried over to the next. A missing newline at the very end is tolerated.
    """
    profile = Profile(quality_offset, max_read_length)
    remainder = b""
    for block in blocks:
        data = remainder + block if remainder else block
        buffer = as_uint8_array(data)
        end = complete_records_end(buffer)
        profile.add_records(buffer[:end])
        remainder = bytes(data[end:])
    profile.add_records(terminated(remainder))
    return profile
