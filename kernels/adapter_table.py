"""Adapters packed for the matching kernels: flags per kind, character tables, parameters.

`adapter_table` turns `AdapterParameters` (one adapter each, as parsed from the command
line) into flat arrays that Numba kernels index by adapter number: the adapter bytes
translated for comparison, N counts for the error rate of wildcard adapters, one row of
integer parameters, the error rates, and per read byte the bit mask of the adapter
positions it matches (for the bit-parallel search of `kernels.adapter_alignment`).

Characters are compared through tables, as cutadapt does: literally (both upper-cased)
when neither side's wildcards are enabled, otherwise as IUPAC bit sets (`a & b != 0`),
where a read's N (or any non-ACGT byte) matches only the adapter's N unless read
wildcards are on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np

START_IN_ADAPTER = 1
START_IN_READ = 2
STOP_IN_ADAPTER = 4
STOP_IN_READ = 8

# Which ends are free for each kind of adapter; "anywhere" is the full semiglobal case.
KIND_FLAGS = {
    "back": START_IN_READ | STOP_IN_READ | STOP_IN_ADAPTER,
    "front": START_IN_READ | STOP_IN_READ | START_IN_ADAPTER,
    "anywhere": START_IN_ADAPTER | START_IN_READ | STOP_IN_ADAPTER | STOP_IN_READ,
    "anchored_front": STOP_IN_READ,
    "anchored_back": START_IN_READ,
    "noninternal_front": START_IN_ADAPTER | STOP_IN_READ,
    "noninternal_back": START_IN_READ | STOP_IN_ADAPTER,
}
FRONT_KINDS = ("front", "anchored_front", "noninternal_front")

# What a match removes: the read up to the match end, from the match start on, or
# (for "anywhere" adapters) the former when the match touches the read's first base.
REMOVE_BEFORE = 0
REMOVE_AFTER = 1
REMOVE_BY_POSITION = 2

METHOD_ALIGN = 0
METHOD_PREFIX = 1
METHOD_SUFFIX = 2

INDEL_COST_FORBIDDEN = 100000

# Columns of `AdapterTable.parameters`.
P_OFFSET, P_LENGTH, P_FLAGS, P_METHOD, P_REMOVAL, P_MIN_OVERLAP = 0, 1, 2, 3, 4, 5
P_INDEL_COST, P_WILDCARD_ADAPTER, P_COMPARE_EQUAL, P_READ_TABLE, P_EFFECTIVE_LENGTH = 6, 7, 8, 9, 10
P_MAX_MISMATCHES, P_BIT_PARALLEL, P_INDEX_GROUP, P_GROUP_SIZE = 11, 12, 13, 14
PARAMETER_COUNT = 15
BIT_PARALLEL_MAX_LENGTH = 63  # one bit per adapter base, one spare for the carry

READ_TABLE_UPPER, READ_TABLE_ACGT, READ_TABLE_IUPAC = 0, 1, 2


def _tables() -> np.ndarray:
    upper = np.frombuffer(bytes(range(256)).upper(), dtype=np.uint8)
    acgt = np.full(256, 0x80, dtype=np.uint8)
    iupac = np.zeros(256, dtype=np.uint8)
    a, c, g, t = 1, 2, 4, 8
    for letter, bits in {"A": a, "C": c, "G": g, "T": t, "U": t}.items():
        acgt[ord(letter)] = acgt[ord(letter.lower())] = bits
    codes = {"X": 0, "A": a, "C": c, "G": g, "T": t, "U": t, "R": a | g, "Y": c | t, "S": g | c,
             "W": a | t, "K": g | t, "M": a | c, "B": c | g | t, "D": a | g | t, "H": a | c | t,
             "V": a | c | g, "N": a | c | g | t | 0x80}  # N's high bit also meets acgt's 0x80
    for letter, bits in codes.items():
        iupac[ord(letter)] = iupac[ord(letter.lower())] = bits
    return np.stack([upper, acgt, iupac])


TABLES = _tables()
"""Rows: upper-casing, ACGT bit sets (other bytes 0x80), IUPAC bit sets (other bytes 0)."""


@dataclass(frozen=True)
class AdapterParameters:
    """One adapter as the matcher sees it.

    `sequence` is already normalised (upper case, U as T); `max_error_rate` is a rate
    (an absolute error count has been divided by the non-N length); `adapter_wildcards`
    is on only if asked for and the sequence holds a non-ACGT character; `min_overlap`
    is capped at the length (anchored kinds need the full length).
    """

    sequence: bytes
    kind: str
    max_error_rate: float
    min_overlap: int = 3
    indels: bool = True
    adapter_wildcards: bool = False
    read_wildcards: bool = False
    force_anywhere: bool = False


class AdapterTable(NamedTuple):
    """Adapters packed for the kernels: codes back to back, one parameter row each."""

    codes: np.ndarray  # uint8, each adapter translated by its reference table
    n_before: np.ndarray  # int64, per adapter m + 1 entries: N count in sequence[:i]
    n_offsets: np.ndarray  # int64, start of each adapter's n_before entries
    parameters: np.ndarray  # int64 (adapters, PARAMETER_COUNT)
    error_rates: np.ndarray  # float64
    match_masks: np.ndarray  # uint64 (adapters, 256): bit i set if adapter[i] matches that read byte
    longest: int
    # Dictionaries of anchored adapter groups (`kernels.adapter_index`); empty without groups.
    index_keys: np.ndarray = np.zeros(0, dtype=np.uint8)
    index_key_offsets: np.ndarray = np.zeros(1, dtype=np.int64)
    index_values: np.ndarray = np.zeros((0, 4), dtype=np.int64)  # group, table row, errors, score
    index_slots: np.ndarray = np.full(1, -1, dtype=np.int64)
    index_lengths: np.ndarray = np.full((2, 1), -1, dtype=np.int64)


def adapter_table(adapters: Sequence[AdapterParameters]) -> AdapterTable:
    """Pack adapters, in the given order, for `_match_adapter`; raise ValueError for an
    all-N wildcard adapter. (`adapter_index.indexed_adapter_table` orders them as
    cutadapt searches them.)"""
    codes, n_before, n_offsets, rows, rates, masks = [], [], [], [], [], []
    offset = n_offset = 0
    for adapter in adapters:
        if adapter.kind not in KIND_FLAGS:
            raise ValueError(f"unknown adapter kind {adapter.kind!r}")
        sequence = adapter.sequence
        length = len(sequence)
        if length == 0:
            raise ValueError("the adapter sequence is empty")
        raw = np.frombuffer(sequence, dtype=np.uint8)
        is_n = (raw == ord("N")) | (raw == ord("n"))
        effective_length = length - int(is_n.sum()) if adapter.adapter_wildcards else length
        if effective_length == 0:
            raise ValueError(f"adapter {sequence.decode()!r} consists of N wildcards only")
        if adapter.adapter_wildcards:
            reference_table = TABLES[READ_TABLE_IUPAC]
            read_table = READ_TABLE_IUPAC if adapter.read_wildcards else READ_TABLE_ACGT
        elif adapter.read_wildcards:
            reference_table, read_table = TABLES[READ_TABLE_ACGT], READ_TABLE_IUPAC
        else:
            reference_table, read_table = TABLES[READ_TABLE_UPPER], READ_TABLE_UPPER
        compare_equal = not (adapter.adapter_wildcards or adapter.read_wildcards)
        method = METHOD_ALIGN
        if not adapter.indels and adapter.kind == "anchored_front":
            method = METHOD_PREFIX
        elif not adapter.indels and adapter.kind == "anchored_back":
            method = METHOD_SUFFIX
        if adapter.kind == "anywhere":
            removal = REMOVE_BY_POSITION
        else:
            removal = REMOVE_BEFORE if adapter.kind in FRONT_KINDS else REMOVE_AFTER
        flags = KIND_FLAGS["anywhere" if adapter.force_anywhere else adapter.kind]
        row = np.zeros(PARAMETER_COUNT, dtype=np.int64)
        row[P_OFFSET], row[P_LENGTH], row[P_FLAGS], row[P_METHOD] = offset, length, flags, method
        row[P_REMOVAL], row[P_MIN_OVERLAP] = removal, min(adapter.min_overlap, length)
        row[P_INDEL_COST] = 1 if adapter.indels else INDEL_COST_FORBIDDEN
        row[P_WILDCARD_ADAPTER], row[P_COMPARE_EQUAL] = adapter.adapter_wildcards, compare_equal
        row[P_READ_TABLE], row[P_EFFECTIVE_LENGTH] = read_table, effective_length
        row[P_MAX_MISMATCHES] = int(adapter.max_error_rate * effective_length)
        row[P_INDEX_GROUP] = -1
        row[P_BIT_PARALLEL] = (method == METHOD_ALIGN and adapter.indels and length <= BIT_PARALLEL_MAX_LENGTH
                               and (flags & START_IN_READ) != 0)
        masks.append(_match_masks(reference_table[raw], TABLES[read_table], compare_equal))
        codes.append(reference_table[raw])
        n_before.append(np.concatenate([[0], np.cumsum(is_n)]).astype(np.int64))
        n_offsets.append(n_offset)
        rows.append(row)
        rates.append(adapter.max_error_rate)
        offset += length
        n_offset += length + 1
    return AdapterTable(
        codes=np.concatenate(codes) if codes else np.zeros(0, dtype=np.uint8),
        n_before=np.concatenate(n_before) if n_before else np.zeros(0, dtype=np.int64),
        n_offsets=np.array(n_offsets, dtype=np.int64),
        parameters=np.array(rows, dtype=np.int64).reshape(len(rows), PARAMETER_COUNT),
        error_rates=np.array(rates, dtype=np.float64),
        match_masks=np.array(masks, dtype=np.uint64).reshape(len(masks), 256),
        longest=max((len(adapter.sequence) for adapter in adapters), default=0),
    )


def _match_masks(adapter_codes: np.ndarray, read_table: np.ndarray, compare_equal: bool) -> np.ndarray:
    """Per read byte, the adapter positions (first 64) it matches, as bits."""
    read_codes = read_table[np.arange(256)][:, None]
    codes = adapter_codes[None, :BIT_PARALLEL_MAX_LENGTH]
    matches = (codes == read_codes) if compare_equal else (codes & read_codes) != 0
    weights = np.left_shift(np.uint64(1), np.arange(codes.shape[1], dtype=np.uint64))
    return (matches.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
