"""Quality profile of FASTQ reads: the counts that FastQC- and fastp-style reports are drawn from.

One pass over each buffer of whole 4-line records fills, per read position:

- base counts (A, C, G, T, N; N counts every byte that is not A, C, G or T in either
  case: N itself, IUPAC ambiguity codes, '.');
- a histogram of quality *characters* ('!' to '~'), whatever the encoding: the encoding
  is decided afterwards from the lowest and highest character (`kernels.quality_encoding`),
  so "auto" needs no second pass, and Phred scores, Q20/Q30, means and quartiles per
  position all follow exactly from these histograms;

and per read:

- a histogram of read lengths;
- a histogram of the read's mean quality character, rounded down (reads of length 0
  have no mean and are left out);
- a histogram of the read's GC content, G+C as a percentage of its A, C, G and T bases,
  rounded half up to a whole percent (bins 0..100, as FastQC draws it; reads without
  any A, C, G or T are left out);
- for each adapter of `kernels.adapter_content`, the position where its first 12 bases
  first occur;
- its key (whole read, or the first 50 bases of reads over 75) into the duplication
  sample and the frequent-sequence summary of `kernels.sequence_duplication`.

The pass itself is `kernels.fastq_profile_pass`. Totals (bases, base and quality counts)
are sums of the per-position arrays, so it does one store per base for each of the two
histograms and nothing more. Memory
does not grow with the input: the per-position arrays start short and double when a
longer read arrives, up to `max_read_length` (which guards against a corrupt file with
no newlines asking for gigabytes), and the sample and summary have fixed capacities.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from kernels.adapter_content import ADAPTER_KEYS
from kernels.fastq_profile_pass import (
    BAD_COLUMN,
    BASE_CODES,
    BASE_COLUMNS,
    BASE_LABELS,
    DEFAULT_MAX_READ_LENGTH,
    GC_PERCENT_BINS,
    INITIAL_CAPACITY,
    LONGEST_READ_LIMIT,
    QUALITY_COLUMNS,
    QUALITY_LEVELS,
    QUALITY_OUT_OF_RANGE,
    READ_TOO_LONG,
    _profile_records,
    _profile_trimmed_records,
    _quality_columns,
)
from kernels.fastq_records import (
    RECORD_OK,
    STATUS_MESSAGES,
    TRUNCATED_RECORD,
    FastqFormatError,
    _record_bounds,
    as_uint8_array,
    terminated,
)
from kernels.quality_encoding import (
    CHARACTER_COLUMNS,
    LOWEST_CHARACTER,
    QualityEncoding,
    QualityEncodingError,
    decide_quality_encoding,
    lowest_allowed_character,
    requested_encoding,
)
from kernels.sequence_duplication import (
    DEFAULT_DUPLICATION_CAPACITY,
    DEFAULT_FREQUENT_CAPACITY,
    DuplicationSample,
    FrequentSequences,
)


HEAD_BYTES = 1 << 16  # of a block, joined to the record carried over from the previous one


class Profile:
    """Counts over FASTQ reads; see the module docstring for what each array holds.

    `quality_offset` is the requested encoding: 33, 64, "solexa" or "auto"
    (`kernels.quality_encoding`); `encoding` is the one decided from the data.
    After a FastqFormatError the counts may include part of the bad record: discard it.
    """

    def __init__(
        self,
        quality_offset: int | str = 33,
        max_read_length: int = DEFAULT_MAX_READ_LENGTH,
        duplication_capacity: int = DEFAULT_DUPLICATION_CAPACITY,
        frequent_capacity: int = DEFAULT_FREQUENT_CAPACITY,
    ):
        self.requested_encoding = requested_encoding(quality_offset)
        if not 1 <= max_read_length <= LONGEST_READ_LIMIT:
            raise ValueError(f"max_read_length must be from 1 to {LONGEST_READ_LIMIT:,}, not {max_read_length}")
        self.quality_offset = quality_offset
        self.max_read_length = max_read_length
        self.quality_columns = _quality_columns(lowest_allowed_character(quality_offset))
        self.reads = 0
        capacity = min(INITIAL_CAPACITY, max_read_length)
        self.position_bases = np.zeros((capacity, BASE_COLUMNS), dtype=np.int64)
        self.position_qualities = np.zeros((capacity, QUALITY_COLUMNS), dtype=np.int64)
        self.length_histogram = np.zeros(capacity + 1, dtype=np.int64)
        self.mean_quality_columns = np.zeros(CHARACTER_COLUMNS, dtype=np.int64)
        self.gc_histogram = np.zeros(GC_PERCENT_BINS, dtype=np.int64)
        self.adapter_first_positions = np.zeros((len(ADAPTER_KEYS), capacity), dtype=np.int64)
        self.duplication = DuplicationSample(duplication_capacity)
        self.frequent = FrequentSequences(frequent_capacity)

    @property
    def capacity(self) -> int:
        """Longest read the per-position arrays hold now."""
        return self.position_bases.shape[0]

    def grow(self, capacity: int) -> None:
        """Lengthen the per-position arrays to hold reads of `capacity` bases."""
        extra = capacity - self.capacity
        if extra <= 0:
            return

        def longer(array: np.ndarray, axis: int) -> np.ndarray:
            shape = list(array.shape)
            shape[axis] = extra
            return np.concatenate([array, np.zeros(shape, dtype=array.dtype)], axis=axis)

        self.position_bases = longer(self.position_bases, 0)
        self.position_qualities = longer(self.position_qualities, 0)
        self.length_histogram = longer(self.length_histogram, 0)
        self.adapter_first_positions = longer(self.adapter_first_positions, 1)

    def _counts(self) -> tuple[np.ndarray, ...]:
        """The arrays the kernels add to, in their order."""
        duplication, frequent = self.duplication, self.frequent
        return (self.position_bases.reshape(-1), self.position_qualities.reshape(-1), self.length_histogram,
                self.mean_quality_columns, self.gc_histogram, self.adapter_first_positions,
                duplication.keys, duplication.counts, duplication.state,
                frequent.keys, frequent.counts, frequent.sequences, frequent.lengths, frequent.pending, frequent.index,
                frequent.state)

    def add_records(self, buffer: np.ndarray | bytes) -> int:
        """Add the whole FASTQ records in `buffer` and return how many there were.

        `buffer` must start at a record and end just after the last record's newline
        (`complete_records_end` finds that point). Raises FastqFormatError numbering
        records from the first one this profile saw.
        """
        return self._add(as_uint8_array(buffer), final=True)[0]

    def _add(self, buffer: np.ndarray, final: bool) -> tuple[int, int]:
        """Add the records of `buffer`; return (records added, offset of the first byte
        not used). Unless `final`, a record cut short by the end of the buffer is left
        for the caller to complete."""
        start = 0
        added = 0
        while True:
            status, stop, records = _profile_records(buffer, start, BASE_CODES, self.quality_columns, *self._counts())
            added += records
            self.reads += records
            if status == RECORD_OK or (status == TRUNCATED_RECORD and not final):
                return added, stop
            if status == READ_TOO_LONG and self.capacity < self.max_read_length:
                self.grow(min(2 * self.capacity, self.max_read_length))
                start = stop
                continue
            raise FastqFormatError(self._status_message(status, buffer, stop), record=self.reads + 1)

    def _status_message(self, status: int, buffer: np.ndarray, record_start: int) -> str:
        if status == READ_TOO_LONG:
            return f"read is longer than max_read_length ({self.max_read_length} bases)"
        if status == QUALITY_OUT_OF_RANGE:
            _, _, _, quality_start, quality_end, _ = _record_bounds(buffer, record_start)
            return self._quality_message(buffer[quality_start:quality_end])
        return STATUS_MESSAGES[status]

    def _quality_message(self, qualities: np.ndarray) -> str:
        """Why a read's quality characters do not fit the requested encoding."""
        bad = qualities[self.quality_columns[qualities] == BAD_COLUMN]
        try:
            decide_quality_encoding(int(bad.min()), int(qualities.max()), self.requested_encoding)
        except QualityEncodingError as error:
            return str(error)
        raise AssertionError("the kernel and decide_quality_encoding disagree")  # pragma: no cover

    def merge(self, other: Profile) -> Profile:
        """Add the counts of `other` (say, another chunk of the same file) and return self."""
        if other.requested_encoding != self.requested_encoding:
            raise ValueError(
                f"cannot merge profiles with quality offsets {self.quality_offset} and {other.quality_offset}"
            )
        if other.duplication.capacity != self.duplication.capacity:
            raise ValueError("cannot merge profiles whose duplication samples differ in capacity")
        self.max_read_length = max(self.max_read_length, other.max_read_length)
        self.reads += other.reads
        self._add_counts(other)
        self.duplication.merge(other.duplication)
        self.frequent.merge(other.frequent)
        return self

    def _add_counts(self, other: Profile) -> None:
        """Add the per-position arrays and read histograms of `other` (not its reads, sample or summary)."""
        self.grow(other.capacity)
        rows = other.capacity
        self.position_bases[:rows] += other.position_bases
        self.position_qualities[:rows] += other.position_qualities
        self.length_histogram[: rows + 1] += other.length_histogram
        self.adapter_first_positions[:, :rows] += other.adapter_first_positions
        self.mean_quality_columns += other.mean_quality_columns
        self.gc_histogram += other.gc_histogram

    # Derived values.

    @property
    def quality_character_counts(self) -> np.ndarray:
        """Bases per quality character, '!' first."""
        return self.position_qualities[:, :CHARACTER_COLUMNS].sum(axis=0)

    @property
    def encoding(self) -> QualityEncoding:
        present = np.flatnonzero(self.quality_character_counts)
        if present.size == 0:
            return decide_quality_encoding(None, None, self.requested_encoding)
        return decide_quality_encoding(
            int(present[0]) + LOWEST_CHARACTER, int(present[-1]) + LOWEST_CHARACTER, self.requested_encoding
        )

    def _to_phred(self, character_counts: np.ndarray) -> np.ndarray:
        """Re-index counts by quality character (last axis) as counts by Phred score."""
        phred = self.encoding.phred_by_column()
        result = np.zeros((*character_counts.shape[:-1], QUALITY_LEVELS), dtype=np.int64)
        for column in np.flatnonzero(character_counts.reshape(-1, CHARACTER_COLUMNS).any(axis=0)):
            result[..., phred[column]] += character_counts[..., column]
        return result

    @property
    def base_counts(self) -> np.ndarray:
        return self.position_bases.sum(axis=0)

    @property
    def quality_counts(self) -> np.ndarray:
        """Bases per Phred score 0..93."""
        return self._to_phred(self.quality_character_counts)

    @property
    def mean_quality_histogram(self) -> np.ndarray:
        """Reads per mean quality: the mean character's score (for Solexa, converted)."""
        return self._to_phred(self.mean_quality_columns)

    def position_quality_histograms(self) -> np.ndarray:
        """Bases per (position, Phred score), positions up to the longest read."""
        return self._to_phred(self.position_qualities[: self.longest_read, :CHARACTER_COLUMNS])

    @property
    def position_quality_sum(self) -> np.ndarray:
        """Sum of Phred scores at each position up to the current capacity."""
        return self._to_phred(self.position_qualities[:, :CHARACTER_COLUMNS]) @ np.arange(QUALITY_LEVELS)

    @property
    def bases(self) -> int:
        return int(self.position_bases.sum())

    @property
    def gc_bases(self) -> int:
        counts = self.base_counts
        return int(counts[1] + counts[2])

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

    @property
    def shortest_read(self) -> int:
        lengths = np.flatnonzero(self.length_histogram)
        return int(lengths[0]) if lengths.size else 0

    def position_quality_count(self) -> np.ndarray:
        """Return, per read position up to the longest read, how many reads reach it."""
        return self.position_bases[: self.longest_read].sum(axis=1)

    def position_mean_quality(self) -> np.ndarray:
        """Return the mean Phred score at each position up to the longest read."""
        return self.position_quality_sum[: self.longest_read] / self.position_quality_count()

    def summary(self) -> dict[str, int | float | str | None]:
        """Return the headline numbers; a percentage or mean of nothing is None.

        GC is a share of the A, C, G and T bases, as in FastQC, so Ns do not dilute it;
        the other percentages are shares of all bases; the duplicate percentage is the
        estimate of `kernels.sequence_duplication`.
        """
        bases = self.bases
        counts = self.base_counts
        called_bases = bases - int(counts[4])
        duplicate_rate = self.duplication.duplicate_rate()
        return {
            "reads": self.reads,
            "bases": bases,
            "gc_percent": _percent(self.gc_bases, called_bases),
            "mean_quality": self.quality_sum / bases if bases else None,
            "q20_percent": _percent(self.bases_at_least(20), bases),
            "q30_percent": _percent(self.bases_at_least(30), bases),
            "n_percent": _percent(int(counts[4]), bases),
            "min_length": self.shortest_read if self.reads else None,
            "mean_length": bases / self.reads if self.reads else None,
            "max_length": self.longest_read if self.reads else None,
            "q20_bases": self.bases_at_least(20),
            "q30_bases": self.bases_at_least(30),
            "duplicate_percent": None if duplicate_rate is None else 100.0 * duplicate_rate,
            "quality_encoding": self.encoding.name,
        }

    def to_dict(self) -> dict:
        """Return the profile as plain JSON-ready values, arrays cut at the longest read.

        Raw counts (by quality character) are what `from_dict` reads back; the entries
        by Phred score are derived with the decided encoding.
        """
        longest = self.longest_read
        position_characters = self.position_qualities[:longest, :CHARACTER_COLUMNS]
        return {
            "quality_offset": self.quality_offset,
            "max_read_length": self.max_read_length,
            "reads": self.reads,
            "quality_encoding": self.encoding.to_dict(),
            "base_counts": dict(zip(BASE_LABELS, self.base_counts.tolist())),
            "quality_counts": self.quality_counts.tolist(),
            "mean_quality_histogram": self.mean_quality_histogram.tolist(),
            "length_histogram": self.length_histogram[: longest + 1].tolist(),
            "position_quality_sum": self.position_quality_sum[:longest].tolist(),
            "position_quality_count": self.position_quality_count().tolist(),
            "gc_histogram": self.gc_histogram.tolist(),
            "position_base_counts": dict(zip(BASE_LABELS, self.position_bases[:longest].T.tolist())),
            "position_quality_characters": [_without_trailing_zeros(row) for row in position_characters.tolist()],
            "mean_quality_characters": self.mean_quality_columns.tolist(),
            "adapter_first_positions": dict(zip(ADAPTER_KEYS, self.adapter_first_positions[:, :longest].tolist())),
            "duplication": self.duplication.to_dict(),
            "frequent_sequences": self.frequent.to_dict(),
            "summary": self.summary(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Profile:
        """Rebuild a profile from `to_dict` output (derived entries are recomputed)."""
        profile = cls(
            data["quality_offset"],
            data["max_read_length"],
            data["duplication"]["capacity"],
            data["frequent_sequences"]["capacity"],
        )
        rows = len(data["position_quality_characters"])
        profile.grow(rows)
        profile.reads = data["reads"]
        for column, base in enumerate(BASE_LABELS):
            profile.position_bases[:rows, column] = data["position_base_counts"][base]
        for position, row in enumerate(data["position_quality_characters"]):
            profile.position_qualities[position, : len(row)] = row
        lengths = data["length_histogram"]
        profile.length_histogram[: len(lengths)] = lengths
        profile.mean_quality_columns[:] = data["mean_quality_characters"]
        profile.gc_histogram[:] = data["gc_histogram"]
        for row, key in enumerate(ADAPTER_KEYS):
            profile.adapter_first_positions[row, :rows] = data["adapter_first_positions"][key]
        profile.duplication = DuplicationSample.from_dict(data["duplication"])
        profile.frequent = FrequentSequences.from_dict(data["frequent_sequences"])
        return profile


class TrimmedProfiles:
    """The profiles of reads and of what a trimmer kept of them, filled in one pass.

    `add` takes records a trimmer parsed and, for each, the window it kept and whether
    the read was written; the raw profile gets every read, the trimmed one the kept
    windows of the written reads. Most reads are written whole or cut at the 3' end
    only, so the trimmed counts are kept as differences from the raw ones
    (`_profile_trimmed_records`) and completed by `finish`: far less work than
    profiling the trimmed reads again, with the same result.
    """

    def __init__(self, raw: Profile, trimmed: Profile):
        if raw.reads or trimmed.reads:
            raise ValueError("both profiles must start empty")
        self.raw, self.trimmed = raw, trimmed
        self._finished = False

    def add(self, buffer: np.ndarray, sequence_start: np.ndarray, sequence_end: np.ndarray, quality_start: np.ndarray,
            keep_start: np.ndarray, keep_stop: np.ndarray, written: np.ndarray) -> None:
        """Add parsed records: read i is buffer[sequence_start[i]:sequence_end[i]] with its
        qualities from quality_start[i]; the trimmer kept [keep_start[i]:keep_stop[i]]
        of it (relative to its start) and wrote it where written[i]. Raises
        FastqFormatError for a read too long or a quality outside the encoding,
        numbering records from the first one the profiles saw."""
        if self._finished:
            raise ValueError("the profiles are finished")
        raw, trimmed = self.raw, self.trimmed
        record = 0
        while True:
            trimmed.grow(raw.capacity)  # differences are taken at every raw position
            status, stop = _profile_trimmed_records(
                buffer, sequence_start, sequence_end, quality_start, keep_start, keep_stop, written, record,
                BASE_CODES, raw.quality_columns, *raw._counts(), *trimmed._counts())
            raw.reads += stop - record
            trimmed.reads += int(np.count_nonzero(written[record:stop]))
            record = stop
            if status == RECORD_OK:
                return
            if status == READ_TOO_LONG and raw.capacity < raw.max_read_length:
                raw.grow(min(2 * raw.capacity, raw.max_read_length))
                continue
            if status == READ_TOO_LONG:
                message = f"read is longer than max_read_length ({raw.max_read_length} bases)"
            else:
                first, length = int(quality_start[record]), int(sequence_end[record] - sequence_start[record])
                message = raw._quality_message(buffer[first : first + length])
            raise FastqFormatError(message, record=raw.reads + 1)

    def finish(self) -> tuple[Profile, Profile]:
        """The raw and the trimmed profile, complete; no more `add` after this."""
        if not self._finished:
            self.trimmed._add_counts(self.raw)
            self._finished = True
        return self.raw, self.trimmed


def _without_trailing_zeros(row: list[int]) -> list[int]:
    end = len(row)
    while end and row[end - 1] == 0:
        end -= 1
    return row[:end]


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def profile_fastq_blocks(
    blocks: Iterable[bytes],
    quality_offset: int | str = 33,
    max_read_length: int = DEFAULT_MAX_READ_LENGTH,
    **capacities: int,
) -> Profile:
    """Return the profile of a FASTQ stream given as consecutive blocks of bytes.

    Blocks may split records anywhere; the partial record at the end of a block is
    carried over to the next. A missing newline at the very end is tolerated.
    `capacities` (duplication_capacity, frequent_capacity) size the bounded summaries.
    """
    profile = Profile(quality_offset, max_read_length, **capacities)
    pending = b""  # a record cut by the end of the previous block
    for block in blocks:
        data = as_uint8_array(block)
        offset = 0
        if pending:
            # Complete the carried record with the head of this block, and read the rest
            # in place: joining whole blocks would copy every byte once more.
            head = pending + bytes(data[:HEAD_BYTES])
            used = profile._add(as_uint8_array(head), final=False)[1]
            if used == 0 and data.size > HEAD_BYTES:  # a record longer than the head
                head = pending + bytes(data)
                used = profile._add(as_uint8_array(head), final=False)[1]
            if used == 0 or data.size <= HEAD_BYTES:
                pending = head[used:]
                continue
            offset = used - len(pending)
        used = profile._add(data[offset:], final=False)[1]
        pending = bytes(data[offset + used :])
    profile.add_records(terminated(pending))
    return profile
