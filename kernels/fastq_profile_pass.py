"""The one pass over FASTQ records that fills a profile's counts (see `kernels.fastq_profile`).

Per base the kernel looks up the base's code and the quality character's column in
byte tables, adds one to a per-position base count and one to a per-position quality
histogram, and carries a few per-read sums; everything else happens once per read.
It is written for speed: records are found by guessing line ends and confirming the
guess (see `_guessed_record_bounds`), and per read it calls only helpers that do not
allocate, since a call to one that may allocate costs tens of nanoseconds even when it
does not.
"""

from __future__ import annotations

import numpy as np

from kernels.adapter_content import ADAPTER_KMER_LENGTH, KMER_MASK, SLOT_BITS
from kernels.fastq_records import (
    AT_SIGN,
    CARRIAGE_RETURN,
    FIRST_KERNEL_STATUS,
    NEWLINE,
    PLUS_SIGN,
    RECORD_OK,
    _line_end,
    _record_bounds,
    _text_end,
)
from kernels.jit import kernel
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
    _enforce_capacity,
    _find_slot,
    _finish_hash,
    _insert,
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

_LOW_32_BITS = (1 << 32) - 1
_SLOT_MASK = np.uint64((1 << SLOT_BITS) - 1)


def _base_codes() -> np.ndarray:
    # uint8 tables: numba indexes with unsigned values without a negative-index fix-up.
    codes = np.full(256, BASE_LABELS.index("N"), dtype=np.uint8)
    for code, base in enumerate("ACGT"):
        codes[ord(base)] = code
        codes[ord(base.lower())] = code
    return codes


def _gc_and_n_weights() -> np.ndarray:
    """Per byte: 1 for G or C, 2**32 for an N (any non-ACGT byte), so one sum per read
    holds both counts."""
    weights = np.full(256, 1 << 32, dtype=np.int64)
    for base, weight in (("A", 0), ("T", 0), ("G", 1), ("C", 1)):
        weights[ord(base)] = weights[ord(base.lower())] = weight
    return weights


def _quality_columns(lowest_allowed: int) -> np.ndarray:
    """Per byte: its column (character - '!') if the encoding allows it, else BAD_COLUMN."""
    columns = np.full(256, BAD_COLUMN, dtype=np.uint8)
    allowed = np.arange(lowest_allowed, LOWEST_CHARACTER + CHARACTER_COLUMNS)
    columns[allowed] = allowed - LOWEST_CHARACTER
    return columns


BASE_CODES = _base_codes()
GC_AND_N_WEIGHTS = _gc_and_n_weights()


@kernel
def _newlines_between(buffer, start, end):
    # No early exit, so LLVM vectorises it: far cheaper than a search byte by byte.
    newlines = 0
    for offset in range(start, end):
        newlines += buffer[offset] == NEWLINE
    return newlines


@kernel
def _guessed_record_bounds(buffer, start, sequence_line_guess):
    """`_record_bounds` for the common case, guessing where lines end instead of
    searching byte by byte: the sequence line as long as `sequence_line_guess` (the
    previous record's), confirmed by a vectorised count of the newlines before that
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
            and _newlines_between(buffer, sequence_start, sequence_line_end) == 0
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


@kernel
def _profile_records(
    buffer, start, base_codes, gc_and_n_weights, quality_columns,
    position_bases, position_qualities, length_histogram, mean_quality_histogram, gc_histogram,
    adapter_kmers, adapter_slots, adapter_first_positions,
    duplication_keys, duplication_counts, duplication_state,
    frequent_keys, frequent_counts, frequent_sequences, frequent_lengths, frequent_index, frequent_state,
):  # fmt: skip
    """Add every record of `buffer` from offset `start` on to the count arrays.

    Returns (status, stop, records): `records` were added and `stop` is where the next
    record starts. On READ_TOO_LONG nothing of that record was added, so the caller can
    grow the position arrays and resume at `stop`.
    """
    capacity = length_histogram.size - 1
    adapters = adapter_kmers.size
    first_hits = np.empty(adapters, dtype=np.int64)
    position = start
    records = 0
    sequence_line_guess = 0
    while position < buffer.size:
        status, sequence_start, sequence_end, quality_start, _, next_start, sequence_line_guess = (
            _guessed_record_bounds(buffer, position, sequence_line_guess)
        )
        if status != RECORD_OK:
            return status, position, records
        length = sequence_end - sequence_start
        if length > capacity:
            return READ_TOO_LONG, position, records
        key_length = length if length <= KEY_LENGTH_LIMIT else TRUNCATED_KEY_LENGTH
        first_hits[:] = -1
        quality_total = 0
        worst = 0
        gc_and_n = 0
        kmer = np.uint64(0)
        run = 0
        for index in range(length):
            character = buffer[sequence_start + index]
            code = base_codes[character]
            column = quality_columns[buffer[quality_start + index]]
            # The per-position arrays come flat: the index arithmetic is then the
            # compiler's to simplify, which it does not do as well for 2-D arrays.
            position_bases[index * BASE_COLUMNS + code] += 1
            position_qualities[index * QUALITY_COLUMNS + column] += 1
            quality_total += column
            worst = max(worst, column)
            gc_and_n += gc_and_n_weights[character]
            # Rolling 2-bit code of the last 12 bases; `run` counts bases since an N.
            kmer = ((kmer << np.uint64(2)) | np.uint64(code & 3)) & KMER_MASK
            run = run + 1 if code < 4 else 0
            if run >= ADAPTER_KMER_LENGTH:
                adapter = adapter_slots[np.int64(kmer & _SLOT_MASK)]
                if adapter >= 0 and adapter_kmers[adapter] == kmer and first_hits[adapter] < 0:
                    first_hits[adapter] = index + 1 - ADAPTER_KMER_LENGTH
        if worst == BAD_COLUMN:
            status = _record_bounds(buffer, position)[0]
            return (QUALITY_OUT_OF_RANGE if status == RECORD_OK else status), position, records
        length_histogram[length] += 1
        if length > 0:
            mean_quality_histogram[quality_total // length] += 1
            gc = gc_and_n & _LOW_32_BITS
            called = length - (gc_and_n >> 32)
            if called > 0:
                gc_histogram[(200 * gc + called) // (2 * called)] += 1
            for adapter in range(adapters):
                if first_hits[adapter] >= 0:
                    adapter_first_positions[adapter, first_hits[adapter]] += 1
            # The duplication sample and the frequent-sequence summary, written out as
            # in `_add_to_sample` and `_count_frequent`: only non-allocating helpers
            # are called per read (see `_count_frequent`).
            key_state = np.uint64(0)
            for index in range(key_length):
                key_state += np.uint64(base_codes[buffer[sequence_start + index]] + 1) * KEY_POWERS[index]
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
                        frequent_keys, frequent_counts, frequent_sequences, frequent_lengths, frequent_index,
                        frequent_state,
                    )  # fmt: skip
                _store_frequent(
                    frequent_keys, frequent_counts, frequent_sequences, frequent_lengths, frequent_index,
                    frequent_state, hashed, buffer, sequence_start, key_length,
                )  # fmt: skip
        records += 1
        position = next_start
    return RECORD_OK, position, records
