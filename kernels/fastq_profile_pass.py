"""The one pass over FASTQ records that fills a profile's counts (see `kernels.fastq_profile`).

Per read, a vectorised loop sums the qualities, counts G+C and A/C/G/T and checks the
quality characters; then a scalar loop adds one to a per-position base count and one to
a per-position quality histogram for each base and rolls the 2-bit code that filters
reads for the adapter search; last come the read's histograms, its duplication key and
the rare exact adapter search. It is written for speed (1M x 150 bp reads: about 0.32 s
for the base counts and histograms, 0.03 s for the adapter filter, 0.12 s for the
duplication key and tables, on this machine): records are found by guessing line ends
and confirming the guess (see `_guessed_record_bounds`), and per read it calls only
helpers that do not allocate, since a call to one that may allocate costs tens of
nanoseconds even when it does not.

`_profile_trimmed_records` makes the same pass over records a trimmer parsed and also
fills a second profile with the windows the trimmer kept, as differences from the raw
counts (see `kernels.fastq_profile.TrimmedProfiles`).
"""

from __future__ import annotations

import numpy as np

from kernels.adapter_content import ADAPTER_FILTER, FILTER_KMER_LENGTH, FILTER_STRIDE, _count_first_adapters
from kernels.fastq_records import (
    AT_SIGN,
    CARRIAGE_RETURN,
    FIRST_KERNEL_STATUS,
    NEWLINE,
    PLUS_SIGN,
    RECORD_OK,
    _line_end,
    _newline_free,
    _record_bounds,
    _text_end,
)
from kernels.jit import inline_kernel, kernel
from kernels.quality_encoding import CHARACTER_COLUMNS, LOWEST_CHARACTER
from kernels.sequence_duplication import (
    CAPACITY,
    CONSIDERED_READS,
    COUNTED_READS,
    DISTINCT,
    ENTRIES,
    KEY_LENGTH_LIMIT,
    KEY_POWERS,
    LEVEL,
    TRUNCATED_KEY_LENGTH,
    _compact_frequent,
    _settle_frequent,
    _enforce_capacity,
    _find_slot,
    _finish_hash,
    _insert,
    _key_term,
    _qualifies,
    _store_frequent,
)

BASE_LABELS = ("A", "C", "G", "T", "N")
QUALITY_LEVELS = 94  # Phred 0..93: what printable ASCII ('!'..'~') holds at offset 33
BAD_COLUMN = CHARACTER_COLUMNS  # where a character the encoding cannot hold is counted
QUALITY_COLUMNS = CHARACTER_COLUMNS + 1
BASE_COLUMNS = len(BASE_LABELS)
GC_PERCENT_BINS = 101
DEFAULT_MAX_READ_LENGTH = 100_000
INITIAL_CAPACITY = 512

QUALITY_OUT_OF_RANGE = FIRST_KERNEL_STATUS
READ_TOO_LONG = FIRST_KERNEL_STATUS + 1

# Every quality of a read adds to a 32-bit sum in the kernel.
LONGEST_READ_LIMIT = (1 << 32) // (LOWEST_CHARACTER + CHARACTER_COLUMNS)
_HIGHEST_CHARACTER = LOWEST_CHARACTER + CHARACTER_COLUMNS - 1
_LOWEST_CHARACTER = np.uint64(LOWEST_CHARACTER)
_BASE_COLUMNS = np.uint64(BASE_COLUMNS)
_QUALITY_COLUMNS = np.uint64(QUALITY_COLUMNS)
_FILTER_MASK = np.uint64((1 << (2 * FILTER_KMER_LENGTH)) - 1)


def _base_codes() -> np.ndarray:
    # uint8 tables: numba indexes with unsigned values without a negative-index fix-up.
    codes = np.full(256, BASE_LABELS.index("N"), dtype=np.uint8)
    for code, base in enumerate("ACGT"):
        codes[ord(base)] = code
        codes[ord(base.lower())] = code
    return codes


def _quality_columns(lowest_allowed: int) -> np.ndarray:
    """Per byte: its column (character - '!') if the encoding allows it, else BAD_COLUMN."""
    columns = np.full(256, BAD_COLUMN, dtype=np.uint8)
    allowed = np.arange(lowest_allowed, LOWEST_CHARACTER + CHARACTER_COLUMNS)
    columns[allowed] = allowed - LOWEST_CHARACTER
    return columns


BASE_CODES = _base_codes()


@kernel
def _guessed_record_bounds(buffer, start, sequence_line_guess):
    """`_record_bounds` for the common case, guessing where lines end instead of
    searching byte by byte: the sequence line as long as `sequence_line_guess` (the
    previous record's), confirmed by a vectorised test for newlines before that
    end, and the quality line as long as the sequence. Where a guess does not hold,
    `_record_bounds` itself decides. A newline or carriage return inside the guessed
    quality is not a quality character, so the caller, which rejects those, asks
    `_record_bounds` again and reports what it finds.

    Returns `_record_bounds`'s tuple and the sequence line's length (for the next guess).
    """
    size = buffer.size
    if buffer[start] == AT_SIGN:
        sequence_start = _line_end(buffer, start) + 1
        sequence_line_end = sequence_start + sequence_line_guess
        if not (
            sequence_line_end < size
            and buffer[sequence_line_end] == NEWLINE
            and _newline_free(buffer, sequence_start, sequence_line_end)
        ):
            sequence_line_end = _line_end(buffer, sequence_start)
        separator_start = sequence_line_end + 1
        if separator_start < size and buffer[separator_start] == PLUS_SIGN:
            quality_start = _line_end(buffer, separator_start) + 1
            sequence_end = _text_end(buffer, sequence_start, sequence_line_end)
            quality_end = quality_start + sequence_end - sequence_start
            line_length = sequence_line_end - sequence_start
            if quality_end < size and buffer[quality_end] == NEWLINE:
                return RECORD_OK, sequence_start, sequence_end, quality_start, quality_end, quality_end + 1, line_length
            if quality_end + 1 < size and buffer[quality_end] == CARRIAGE_RETURN and buffer[quality_end + 1] == NEWLINE:
                return RECORD_OK, sequence_start, sequence_end, quality_start, quality_end, quality_end + 2, line_length
    status, sequence_start, sequence_end, quality_start, quality_end, next_start = _record_bounds(buffer, start)
    return status, sequence_start, sequence_end, quality_start, quality_end, next_start, sequence_line_guess


@inline_kernel
def _read_sums(letters, qualities):
    """(lowest, highest, sum of the quality characters, G+C, A+C+G+T) of one read."""
    # A loop without tables or stores: with slices and narrow types LLVM vectorises it;
    # with index arithmetic on the buffer or 64-bit sums it stays scalar and costs about
    # five times as much.
    lowest = np.uint8(255)
    highest = np.uint8(0)
    quality_sum = np.uint32(0)  # Profile caps reads so that this cannot overflow
    gc = np.uint32(0)
    called = np.uint32(0)
    for index in range(letters.size):
        quality = qualities[index]
        lowest = min(lowest, quality)
        highest = max(highest, quality)
        quality_sum += quality
        upper = letters[index] & np.uint8(0xDF)
        is_gc = np.uint32((upper == 67) | (upper == 71))
        gc += is_gc
        called += is_gc | np.uint32((upper == 65) | (upper == 84))
    return lowest, highest, quality_sum, gc, called


@inline_kernel
def _add_read_bins(length, quality_sum, gc, called, length_histogram, mean_quality_histogram, gc_histogram, count):
    """Add `count` (1, or -1 to take a read out) to the read's length, mean quality and GC bins."""
    length_histogram[length] += count
    if length > 0:
        mean_quality_histogram[(np.int64(quality_sum) - length * LOWEST_CHARACTER) // length] += count
        if called > 0:
            gc_histogram[(200 * np.int64(gc) + called) // (2 * np.int64(called))] += count


@kernel
def _add_positions(letters, qualities, first_row, base_codes, position_bases, position_qualities, count):
    """Add `count` to the per-position base and quality counts of letters[i] at row first_row + i."""
    for index in range(letters.size):
        row = np.uint64(first_row + index)
        position_bases[row * _BASE_COLUMNS + np.uint64(base_codes[letters[index]])] += count
        position_qualities[row * _QUALITY_COLUMNS + np.uint64(qualities[index]) - _LOWEST_CHARACTER] += count


@inline_kernel
def _read_key(letters, key_length):
    """The duplication key's hash of a read (see `kernels.sequence_duplication`)."""
    key_state = np.uint64(0)
    for index in range(key_length):
        key_state += _key_term(letters[index]) * KEY_POWERS[index]
    return _finish_hash(key_state)


@inline_kernel
def _add_key(hashed, buffer, key_start, key_length, duplication_keys, duplication_counts, duplication_state,
             frequent_keys, frequent_counts, frequent_sequences, frequent_lengths, frequent_pending,
             frequent_index, frequent_state):
    """A read's key into the duplication sample and the frequent-sequence summary, written
    out as in `_add_to_sample`: a call to a function that may allocate (as compaction
    does) costs tens of nanoseconds even when nothing is allocated, so per read only the
    non-allocating helpers are called and compaction waits for the rare branch."""
    duplication_state[CONSIDERED_READS] += 1
    if _qualifies(hashed, duplication_state[LEVEL]):
        _insert(duplication_keys, duplication_counts, duplication_state, hashed, 1)
        if duplication_state[DISTINCT] > duplication_state[CAPACITY]:
            _enforce_capacity(duplication_keys, duplication_counts, duplication_state)
    frequent_state[COUNTED_READS] += 1
    entry = frequent_index[_find_slot(frequent_index, frequent_keys, hashed)]
    if entry >= 0:
        frequent_counts[entry] += 1
    else:
        if frequent_state[ENTRIES] == frequent_keys.size:
            _compact_frequent(
                frequent_keys, frequent_counts, frequent_sequences, frequent_lengths, frequent_pending,
                frequent_index, frequent_state,
            )  # fmt: skip
        _store_frequent(
            frequent_keys, frequent_counts, frequent_sequences, frequent_lengths, frequent_pending,
            frequent_index, frequent_state,
            hashed, buffer, key_start, key_length,
        )  # fmt: skip


@inline_kernel
def _lowest_allowed(quality_columns):
    lowest_allowed = 0
    while quality_columns[lowest_allowed] == BAD_COLUMN:
        lowest_allowed += 1
    return lowest_allowed


@kernel
def _profile_records(
    buffer, start, base_codes, quality_columns,
    position_bases, position_qualities, length_histogram, mean_quality_histogram, gc_histogram,
    adapter_first_positions,
    duplication_keys, duplication_counts, duplication_state,
    frequent_keys, frequent_counts, frequent_sequences, frequent_lengths, frequent_pending,
    frequent_index, frequent_state,
):  # fmt: skip
    """Add every record of `buffer` from offset `start` on to the count arrays.

    Returns (status, stop, records): `records` were added and `stop` is where the next
    record starts. On READ_TOO_LONG or a bad quality character nothing of that record
    was added, so the caller can grow the position arrays and resume at `stop`.
    """
    capacity = length_histogram.size - 1
    first_hits = np.empty(adapter_first_positions.shape[0], dtype=np.int64)
    lowest_allowed = 0
    while quality_columns[lowest_allowed] == BAD_COLUMN:
        lowest_allowed += 1
    position = start
    records = 0
    sequence_line_guess = 0
    while position < buffer.size:
        status, sequence_start, sequence_end, quality_start, _, next_start, sequence_line_guess = (
            _guessed_record_bounds(buffer, position, sequence_line_guess)
        )
        if status != RECORD_OK:
            _settle_frequent(frequent_sequences, frequent_lengths, frequent_pending, frequent_state, buffer)
            return status, position, records
        length = sequence_end - sequence_start
        if length > capacity:
            _settle_frequent(frequent_sequences, frequent_lengths, frequent_pending, frequent_state, buffer)
            return READ_TOO_LONG, position, records
        letters = buffer[sequence_start:sequence_end]
        qualities = buffer[quality_start : quality_start + length]
        # Per-read sums first, in a loop without tables or stores. With slices and
        # narrow types LLVM vectorises it; with index arithmetic on `buffer` or 64-bit
        # sums it stays scalar and costs about five times as much.
        lowest = np.uint8(255)
        highest = np.uint8(0)
        quality_sum = np.uint32(0)  # Profile caps reads so that this cannot overflow
        gc = np.uint32(0)
        called = np.uint32(0)
        for index in range(length):
            quality = qualities[index]
            lowest = min(lowest, quality)
            highest = max(highest, quality)
            quality_sum += quality
            upper = letters[index] & np.uint8(0xDF)
            is_gc = np.uint32((upper == 67) | (upper == 71))
            gc += is_gc
            called += is_gc | np.uint32((upper == 65) | (upper == 84))
        if length > 0 and (lowest < lowest_allowed or highest > _HIGHEST_CHARACTER):
            status = _record_bounds(buffer, position)[0]
            _settle_frequent(frequent_sequences, frequent_lengths, frequent_pending, frequent_state, buffer)
            return (QUALITY_OUT_OF_RANGE if status == RECORD_OK else status), position, records
        kmer = np.uint64(0)
        adapter_candidate = np.uint8(0)
        whole_steps = length - length % FILTER_STRIDE
        for step in range(0, whole_steps, FILTER_STRIDE):
            for index in range(step, step + FILTER_STRIDE):
                code = base_codes[letters[index]]
                # The per-position arrays come flat, indexed with unsigned integers: Numba
                # then adds no negative-index fix-up (about 40% of this loop otherwise).
                row = np.uint64(index)
                position_bases[row * _BASE_COLUMNS + np.uint64(code)] += 1
                position_qualities[row * _QUALITY_COLUMNS + np.uint64(qualities[index]) - _LOWEST_CHARACTER] += 1
                kmer = (kmer << np.uint64(2)) | np.uint64(code & 3)
            # The adapter filter of `kernels.adapter_content`, on every fourth 8-mer.
            eight = kmer & _FILTER_MASK
            adapter_candidate |= ADAPTER_FILTER[eight >> np.uint64(3)] >> np.uint8(eight & np.uint64(7))
        for index in range(whole_steps, length):
            row = np.uint64(index)
            position_bases[row * _BASE_COLUMNS + np.uint64(base_codes[letters[index]])] += 1
            position_qualities[row * _QUALITY_COLUMNS + np.uint64(qualities[index]) - _LOWEST_CHARACTER] += 1
        length_histogram[length] += 1
        if length > 0:
            mean_quality_histogram[(np.int64(quality_sum) - length * LOWEST_CHARACTER) // length] += 1
            if called > 0:
                gc_histogram[(200 * np.int64(gc) + called) // (2 * np.int64(called))] += 1
            if adapter_candidate & np.uint8(1):
                _count_first_adapters(letters, base_codes, first_hits, adapter_first_positions)
            # The duplication sample and the frequent-sequence summary, written out as
            # in `_add_to_sample`: only non-allocating helpers are called per read
            # (see `_add_key`).
            key_length = length if length <= KEY_LENGTH_LIMIT else TRUNCATED_KEY_LENGTH
            key_state = np.uint64(0)
            for index in range(key_length):
                key_state += _key_term(letters[index]) * KEY_POWERS[index]
            hashed = _finish_hash(key_state)
            duplication_state[CONSIDERED_READS] += 1
            if _qualifies(hashed, duplication_state[LEVEL]):
                _insert(duplication_keys, duplication_counts, duplication_state, hashed, 1)
                if duplication_state[DISTINCT] > duplication_state[CAPACITY]:
                    _enforce_capacity(duplication_keys, duplication_counts, duplication_state)
            frequent_state[COUNTED_READS] += 1
            entry = frequent_index[_find_slot(frequent_index, frequent_keys, hashed)]
            if entry >= 0:
                frequent_counts[entry] += 1
            else:
                if frequent_state[ENTRIES] == frequent_keys.size:
                    _compact_frequent(
                        frequent_keys, frequent_counts, frequent_sequences, frequent_lengths, frequent_pending,
                        frequent_index, frequent_state,
                    )  # fmt: skip
                _store_frequent(
                    frequent_keys, frequent_counts, frequent_sequences, frequent_lengths, frequent_pending,
                    frequent_index, frequent_state, hashed, buffer, sequence_start, key_length,
                )  # fmt: skip
        records += 1
        position = next_start
    _settle_frequent(frequent_sequences, frequent_lengths, frequent_pending, frequent_state, buffer)
    return RECORD_OK, position, records


@kernel
def _profile_trimmed_records(
    buffer, sequence_starts, sequence_ends, quality_starts, keep_starts, keep_stops, written, first,
    base_codes, quality_columns,
    position_bases, position_qualities, length_histogram, mean_quality_histogram, gc_histogram,
    adapter_first_positions,
    duplication_keys, duplication_counts, duplication_state,
    frequent_keys, frequent_counts, frequent_sequences, frequent_lengths, frequent_pending,
    frequent_index, frequent_state,
    trimmed_position_bases, trimmed_position_qualities, trimmed_length_histogram, trimmed_mean_quality_histogram,
    trimmed_gc_histogram, trimmed_adapter_first_positions,
    trimmed_duplication_keys, trimmed_duplication_counts, trimmed_duplication_state,
    trimmed_frequent_keys, trimmed_frequent_counts, trimmed_frequent_sequences, trimmed_frequent_lengths,
    trimmed_frequent_pending, trimmed_frequent_index, trimmed_frequent_state,
):  # fmt: skip
    """Add parsed records from number `first` on to the raw counts (as `_profile_records`)
    and the reads the trimmer kept, sequence[keep_start:keep_stop] of those `written`, to
    the trimmed ones.

    The trimmed per-position arrays and read histograms hold differences from the raw
    ones: a read written whole adds nothing to them, a read cut at its 3' end takes out
    only the bases cut, a read not written takes itself out. Adding the raw counts at
    the end gives the trimmed reads' counts, at a fraction of profiling them again. The
    trimmed duplication sample and summary get every written read's key (the raw key's
    hash where the key is unchanged).

    Returns (status, record): records before `record` were added; on READ_TOO_LONG or a
    bad quality character nothing of that record was.
    """
    capacity = length_histogram.size - 1
    first_hits = np.empty(adapter_first_positions.shape[0], dtype=np.int64)
    lowest_allowed = _lowest_allowed(quality_columns)
    for record in range(first, sequence_starts.size):
        start = sequence_starts[record]
        quality_start = quality_starts[record]
        length = sequence_ends[record] - start
        if length > capacity:
            _settle_frequent(frequent_sequences, frequent_lengths, frequent_pending, frequent_state, buffer)
            _settle_frequent(trimmed_frequent_sequences, trimmed_frequent_lengths, trimmed_frequent_pending,
                             trimmed_frequent_state, buffer)
            return READ_TOO_LONG, record
        # The raw read, as in `_profile_records` (written out again: through helpers
        # inlined by Numba the same work took a third longer).
        letters = buffer[start : start + length]
        qualities = buffer[quality_start : quality_start + length]
        lowest, highest, quality_sum, gc, called = _read_sums(letters, qualities)
        if length > 0 and (lowest < lowest_allowed or highest > _HIGHEST_CHARACTER):
            _settle_frequent(frequent_sequences, frequent_lengths, frequent_pending, frequent_state, buffer)
            _settle_frequent(trimmed_frequent_sequences, trimmed_frequent_lengths, trimmed_frequent_pending,
                             trimmed_frequent_state, buffer)
            return QUALITY_OUT_OF_RANGE, record
        kmer = np.uint64(0)
        adapter_candidate = np.uint8(0)
        whole_steps = length - length % FILTER_STRIDE
        for step in range(0, whole_steps, FILTER_STRIDE):
            for index in range(step, step + FILTER_STRIDE):
                code = base_codes[letters[index]]
                row = np.uint64(index)
                position_bases[row * _BASE_COLUMNS + np.uint64(code)] += 1
                position_qualities[row * _QUALITY_COLUMNS + np.uint64(qualities[index]) - _LOWEST_CHARACTER] += 1
                kmer = (kmer << np.uint64(2)) | np.uint64(code & 3)
            eight = kmer & _FILTER_MASK
            adapter_candidate |= ADAPTER_FILTER[eight >> np.uint64(3)] >> np.uint8(eight & np.uint64(7))
        for index in range(whole_steps, length):
            row = np.uint64(index)
            position_bases[row * _BASE_COLUMNS + np.uint64(base_codes[letters[index]])] += 1
            position_qualities[row * _QUALITY_COLUMNS + np.uint64(qualities[index]) - _LOWEST_CHARACTER] += 1
        _add_read_bins(length, quality_sum, gc, called, length_histogram, mean_quality_histogram, gc_histogram, 1)
        candidate = (adapter_candidate & np.uint8(1)) != 0
        hashed = np.uint64(0)
        if length > 0:
            if candidate:
                _count_first_adapters(letters, base_codes, first_hits, adapter_first_positions)
            key_length = length if length <= KEY_LENGTH_LIMIT else TRUNCATED_KEY_LENGTH
            hashed = _read_key(letters, key_length)
            duplication_state[CONSIDERED_READS] += 1
            if _qualifies(hashed, duplication_state[LEVEL]):
                _insert(duplication_keys, duplication_counts, duplication_state, hashed, 1)
                if duplication_state[DISTINCT] > duplication_state[CAPACITY]:
                    _enforce_capacity(duplication_keys, duplication_counts, duplication_state)
            frequent_state[COUNTED_READS] += 1
            entry = frequent_index[_find_slot(frequent_index, frequent_keys, hashed)]
            if entry >= 0:
                frequent_counts[entry] += 1
            else:
                if frequent_state[ENTRIES] == frequent_keys.size:
                    _compact_frequent(
                        frequent_keys, frequent_counts, frequent_sequences, frequent_lengths, frequent_pending,
                        frequent_index, frequent_state,
                    )  # fmt: skip
                _store_frequent(
                    frequent_keys, frequent_counts, frequent_sequences, frequent_lengths, frequent_pending,
                    frequent_index, frequent_state, hashed, buffer, start, key_length,
                )  # fmt: skip
        keep_start = keep_starts[record]
        keep_stop = keep_stops[record]
        kept = keep_stop - keep_start
        cut_at_3_prime_only = written[record] and keep_start == 0
        if not (cut_at_3_prime_only and kept == length):  # the raw read leaves, wholly or in part
            cut_from = keep_stop if cut_at_3_prime_only else 0
            _add_positions(buffer[start + cut_from : start + length],
                           buffer[quality_start + cut_from : quality_start + length],
                           cut_from, base_codes, trimmed_position_bases, trimmed_position_qualities, -1)
            _add_read_bins(length, quality_sum, gc, called, trimmed_length_histogram, trimmed_mean_quality_histogram,
                           trimmed_gc_histogram, -1)
            if length > 0 and candidate:  # first_hits still holds the raw read's
                for adapter in range(first_hits.size):
                    if first_hits[adapter] >= 0:
                        trimmed_adapter_first_positions[adapter, first_hits[adapter]] -= 1
        if not written[record]:
            continue
        letters = buffer[start + keep_start : start + keep_stop]
        if kept != length:
            qualities = buffer[quality_start + keep_start : quality_start + keep_stop]
            if keep_start != 0:
                _add_positions(letters, qualities, 0, base_codes, trimmed_position_bases, trimmed_position_qualities, 1)
            _, _, kept_quality_sum, kept_gc, kept_called = _read_sums(letters, qualities)
            _add_read_bins(kept, kept_quality_sum, kept_gc, kept_called, trimmed_length_histogram,
                           trimmed_mean_quality_histogram, trimmed_gc_histogram, 1)
            if kept > 0 and candidate:  # no adapter is in the part of a read the filter passed over
                _count_first_adapters(letters, base_codes, first_hits, trimmed_adapter_first_positions)
        if kept > 0:
            key_length = kept if kept <= KEY_LENGTH_LIMIT else TRUNCATED_KEY_LENGTH
            if keep_start != 0 or (kept != length and min(length, kept) <= KEY_LENGTH_LIMIT):  # another key
                hashed = _read_key(letters, key_length)
            _add_key(hashed, buffer, start + keep_start, key_length,
                     trimmed_duplication_keys, trimmed_duplication_counts, trimmed_duplication_state,
                     trimmed_frequent_keys, trimmed_frequent_counts, trimmed_frequent_sequences,
                     trimmed_frequent_lengths, trimmed_frequent_pending, trimmed_frequent_index,
                     trimmed_frequent_state)  # fmt: skip
    _settle_frequent(frequent_sequences, frequent_lengths, frequent_pending, frequent_state, buffer)
    _settle_frequent(trimmed_frequent_sequences, trimmed_frequent_lengths, trimmed_frequent_pending,
                     trimmed_frequent_state, buffer)
    return RECORD_OK, sequence_starts.size
